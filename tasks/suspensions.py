"""Use cases for a partner's 30-day suspension and its resolution meeting (§41), and for
withdrawal from the Protocol by written notice to the chairs (§42)."""

from datetime import date
from typing import Any, Literal

import pendulum
from sqlmodel import Session, col, select

from models.clocks import (
    SUSPENSION_END_NOTICE_DAY,
    SUSPENSION_ESCALATE_DAY,
    SUSPENSION_REMIND_CHAIRS_DAY,
    local_date,
    meeting_within_deadline,
    suspension_end,
    suspension_meeting_deadline,
)
from models.enums import (
    AccessGrantStatus,
    AgencyStatus,
    ArrangementStatus,
    ContactRole,
    MeetingOutcome,
    PartyRole,
    SuspensionStatus,
    WithdrawalStatus,
)
from models.errors import InvalidInput, Refused
from models.events import (
    ArrangementPartyLeft,
    DomainEvent,
    MeetingHeld,
    MeetingScheduled,
    SuspensionEnded,
    SuspensionEndingSoon,
    SuspensionEscalated,
    SuspensionMeetingReminder,
    SuspensionRaised,
    WithdrawalCompleted,
    WithdrawalNoticed,
)
from models.inputs import normalise_email, required_text
from models.lifecycles import AGENCY_MEMBERSHIP, REVIEW, SUSPENSION, WITHDRAWAL
from models.tables import (
    AccessGrant,
    Agency,
    Arrangement,
    ArrangementParty,
    Chair,
    Contact,
    ContactRoleAssignment,
    MeetingAttendance,
    Review,
    Suspension,
    Withdrawal,
)
from tasks.access import end_grant, revoke
from tasks.arrangements import current_review, terminate, transition
from tasks.disposal import schedule_for_leaver
from tasks.lookup import (
    agency_by_name,
    current_parties,
    require_chair,
    require_role_at,
    resolve_actor,
    suspension_by_ref,
    withdrawal_by_ref,
)
from tasks.sweeps import PhaseReport
from tasks.uow import UnitOfWork, unit_of_work

LIVE = (
    ArrangementStatus.DRAFT,
    ArrangementStatus.AWAITING_APPROVAL,
    ArrangementStatus.ACTIVE,
    ArrangementStatus.UNDER_REVIEW,
    ArrangementStatus.SUSPENDED,
)


def _move_agency(uow: UnitOfWork, agency: Agency, event: str, **detail: Any) -> None:
    uow.move(
        agency,
        AGENCY_MEMBERSHIP,
        event,
        action=f"agency.{event}",
        subject_type="agency",
        subject_ref=agency.name,
        **detail,
    )


def _move_suspension(uow: UnitOfWork, suspension: Suspension, event: str, **detail: Any) -> None:
    uow.move(
        suspension,
        SUSPENSION,
        event,
        action=f"suspension.{event}",
        subject_type="suspension",
        subject_ref=suspension.reference,
        **detail,
    )


def open_suspension(session: Session, agency_id: int | None) -> Suspension | None:
    return session.exec(
        select(Suspension)
        .where(Suspension.agency_id == agency_id)
        .where(Suspension.status != SuspensionStatus.ENDED)
    ).first()


def _live_arrangements(session: Session, agency_id: int | None) -> list[Arrangement]:
    """Arrangements the agency is still party to that have not ended, oldest first."""
    return list(
        session.exec(
            select(Arrangement)
            .join(ArrangementParty, col(ArrangementParty.arrangement_id) == Arrangement.id)
            .where(ArrangementParty.agency_id == agency_id)
            .where(col(ArrangementParty.left_at).is_(None))
            .where(col(Arrangement.status).in_(LIVE))
            .order_by(col(Arrangement.id))
            .with_for_update()
        ).all()
    )


def _grants(
    session: Session, arrangement_id: int | None, status: AccessGrantStatus
) -> list[AccessGrant]:
    return list(
        session.exec(
            select(AccessGrant)
            .where(AccessGrant.arrangement_id == arrangement_id)
            .where(AccessGrant.status == status)
            .order_by(col(AccessGrant.id))
        ).all()
    )


def raise_suspension(
    session: Session, *, agency: str, reason: str, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """A signatory suspends their agency's obligations for 30 days (§41)."""
    reason = required_text(reason, "--reason")
    with unit_of_work(session, actor=actor, now=now, action="suspension.raise") as uow:
        uow.about("agency", agency)
        home = agency_by_name(session, agency, lock=True)
        who = resolve_actor(session, actor)
        require_role_at(who, home, ContactRole.SIGNATORY, to=f"suspend {home.name}")
        running = open_suspension(session, home.id)
        if running is not None:
            raise Refused(
                f"{home.name} is already suspended under {running.reference} until "
                f"{local_date(pendulum.instance(running.ends_at)).to_date_string()}; "
                "a second suspension is refused"
            )
        reference = uow.next_reference("SUS")
        assert home.id is not None
        suspension = Suspension(
            reference=reference,
            agency_id=home.id,
            reason=reason,
            raised_by=who.email,
            raised_at=now,
            meeting_deadline=suspension_meeting_deadline(now),
            ends_at=suspension_end(now),
        )
        session.add(suspension)
        session.flush()
        uow.record(
            "suspension.raise",
            subject_type="suspension",
            subject_ref=reference,
            after={
                "status": suspension.status,
                "agency": home.name,
                "reason": reason,
                "meeting_deadline": suspension.meeting_deadline,
                "ends_at": suspension.ends_at,
            },
        )
        _move_agency(uow, home, "suspend", suspension=reference)
        suspended: list[str] = []
        for arrangement in _live_arrangements(session, home.id):
            if arrangement.status != ArrangementStatus.ACTIVE:
                continue
            transition(uow, arrangement, "suspend", suspension=reference)
            for grant in _grants(session, arrangement.id, AccessGrantStatus.ACTIVE):
                end_grant(uow, grant, "pause", f"{home.name} suspended under {reference}")
            suspended.append(arrangement.reference)
        uow.emit(
            SuspensionRaised(
                suspension=reference,
                agency=home.name,
                reason=reason,
                meeting_deadline=suspension.meeting_deadline.isoformat(),
                ends_at=suspension.ends_at.isoformat(),
                arrangements=tuple(suspended),
            )
        )
        return uow.events


def schedule_meeting(
    session: Session, *, suspension: str, at: pendulum.DateTime, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """A chair sets (or moves) the risk assessment and resolution meeting, by day 14 (§41)."""
    with unit_of_work(session, actor=actor, now=now, action="meeting.schedule") as uow:
        uow.about("suspension", suspension)
        matter = suspension_by_ref(session, suspension, lock=True)
        who = resolve_actor(session, actor)
        require_chair(who, to=f"schedule the meeting for {matter.reference}")
        raised_at = pendulum.instance(matter.raised_at)
        if not meeting_within_deadline(raised_at, at):
            deadline = local_date(pendulum.instance(matter.meeting_deadline))
            raise Refused(
                f"a meeting on {local_date(at).to_date_string()} is not within 14 days of "
                f"{matter.reference} being raised (§41): it must fall between "
                f"{local_date(raised_at).to_date_string()} and {deadline.to_date_string()}"
            )
        rescheduled = matter.meeting_at is not None
        matter.meeting_at = at
        _move_suspension(uow, matter, "schedule_meeting", meeting_at=at.isoformat())
        home = session.get(Agency, matter.agency_id)
        assert home is not None
        uow.emit(
            MeetingScheduled(
                suspension=matter.reference,
                agency=home.name,
                meeting_at=at.in_timezone("UTC").isoformat(),
                rescheduled=rescheduled,
            )
        )
        return uow.events


def _attendee(session: Session, email: str) -> tuple[str, str]:
    """Name and capacity of a meeting attendee: a signatory or their nominated representative
    of a partner agency, or a chair (§41); anyone else is refused."""
    address = normalise_email(email)
    chair = session.exec(select(Chair).where(Chair.email == address)).first()
    if chair is not None:
        return chair.name, "chair"
    contact = session.exec(select(Contact).where(Contact.email == address)).first()
    if contact is not None:
        roles = set(
            session.exec(
                select(ContactRoleAssignment.role).where(
                    ContactRoleAssignment.contact_id == contact.id
                )
            ).all()
        )
        agency = session.get(Agency, contact.agency_id)
        assert agency is not None
        for role in (ContactRole.SIGNATORY, ContactRole.NOMINATED_REPRESENTATIVE):
            if role in roles:
                return contact.name, f"{role.value.replace('_', ' ')}, {agency.name}"
    raise Refused(f"attendee {address} is not a signatory, nominated representative or chair (§41)")


def record_meeting(
    session: Session,
    *,
    suspension: str,
    outcome: MeetingOutcome,
    attendees: list[str],
    risk_assessment: str,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """A chair records the meeting held: who attended, the risk assessment and the outcome."""
    risk_assessment = required_text(risk_assessment, "--risk-assessment")
    if not attendees:
        raise InvalidInput("at least one --attendee is required")
    with unit_of_work(session, actor=actor, now=now, action="meeting.record") as uow:
        uow.about("suspension", suspension)
        matter = suspension_by_ref(session, suspension, lock=True)
        who = resolve_actor(session, actor)
        require_chair(who, to=f"record the meeting for {matter.reference}")
        if matter.status == SuspensionStatus.RAISED:
            raise Refused(
                f"no meeting has been set for {matter.reference}: set it first with "
                f"`isa meeting schedule {matter.reference} --at DATETIME`"
            )
        SUSPENSION.fire(matter.status, "hold_meeting", matter.reference)
        if not meeting_within_deadline(pendulum.instance(matter.raised_at), now):
            raise Refused(
                f"the meeting for {matter.reference} had to be held by "
                f"{local_date(pendulum.instance(matter.meeting_deadline)).to_date_string()} (§41); "
                "the suspension runs to day 30"
            )
        present = {}
        for email in attendees:
            name, capacity = _attendee(session, email)
            present[email.strip().lower()] = (name, capacity)
        assert matter.id is not None
        for email, (name, capacity) in present.items():
            session.add(
                MeetingAttendance(
                    suspension_id=matter.id, email=email, name=name, capacity=capacity
                )
            )
        matter.meeting_held_at = now
        matter.risk_assessment = risk_assessment
        matter.outcome = outcome
        _move_suspension(uow, matter, "hold_meeting", outcome=outcome.value)
        home = session.get(Agency, matter.agency_id)
        assert home is not None
        uow.emit(
            MeetingHeld(
                suspension=matter.reference,
                agency=home.name,
                outcome=outcome.value,
                attendees=tuple(present),
            )
        )
        if outcome == MeetingOutcome.RESUME:
            _end_suspension(uow, matter, home, "resumed early by the resolution meeting")
        elif outcome == MeetingOutcome.WITHDRAW:
            _withdraw(
                uow,
                home,
                reason=f"withdrawal decided at the resolution meeting of {matter.reference}",
                effective_on=local_date(now),
            )
        return uow.events


def end_suspension(
    session: Session, *, suspension: str, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """Day 30: the suspension ends and the agency's obligations resume. Already ended: nothing."""
    with unit_of_work(session, actor=actor, now=now, action="suspension.end") as uow:
        uow.about("suspension", suspension)
        matter = suspension_by_ref(session, suspension, lock=True)
        if matter.status == SuspensionStatus.ENDED:
            return uow.events
        if now < matter.ends_at:
            raise Refused(
                f"{matter.reference} runs until "
                f"{pendulum.instance(matter.ends_at).in_timezone('Europe/London'):%d %B %Y %H:%M}"
            )
        home = session.get(Agency, matter.agency_id)
        assert home is not None
        _end_suspension(uow, matter, home, "30 days have passed")
        return uow.events


def _end_suspension(uow: UnitOfWork, matter: Suspension, home: Agency, why: str) -> None:
    matter.ended_at = uow.now
    _move_suspension(uow, matter, "end", why=why)
    _move_agency(uow, home, "lift_suspension", suspension=matter.reference)
    resumed: list[str] = []
    for arrangement in _live_arrangements(uow.session, home.id):
        if arrangement.status != ArrangementStatus.SUSPENDED or _other_party_suspended(
            uow.session, arrangement, home
        ):
            continue
        transition(uow, arrangement, "resume", suspension=matter.reference)
        for grant in _grants(uow.session, arrangement.id, AccessGrantStatus.PAUSED):
            end_grant(uow, grant, "restore", f"{matter.reference} ended")
        resumed.append(arrangement.reference)
    uow.emit(
        SuspensionEnded(
            suspension=matter.reference, agency=home.name, why=why, arrangements=tuple(resumed)
        )
    )


def _other_party_suspended(session: Session, arrangement: Arrangement, home: Agency) -> bool:
    assert arrangement.id is not None
    return any(
        agency.id != home.id and agency.status == AgencyStatus.SUSPENDED
        for _, agency in current_parties(session, arrangement.id)
    )


def withdraw_agency(
    session: Session,
    *,
    agency: str,
    reason: str,
    actor: str,
    now: pendulum.DateTime,
    effective_on: date | None = None,
) -> list[DomainEvent]:
    """The agency's signatory gives the chairs written notice of withdrawal, with reason (§42).
    Effective today (the default) it takes effect at once; a later date is carried out on that
    date by the withdrawal flow's check, or by the daily deadline sweep."""
    reason = required_text(reason, "--reason")
    if effective_on is not None and effective_on < local_date(now):
        raise InvalidInput(f"--effective {effective_on} is in the past")
    with unit_of_work(session, actor=actor, now=now, action="withdrawal.notify") as uow:
        uow.about("agency", agency)
        home = agency_by_name(session, agency, lock=True)
        who = resolve_actor(session, actor)
        require_role_at(who, home, ContactRole.SIGNATORY, to=f"withdraw {home.name}")
        _withdraw(uow, home, reason=reason, effective_on=effective_on or local_date(now))
        return uow.events


def complete_withdrawal(
    session: Session, *, withdrawal: str, as_of: date, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """On its effective date the withdrawal takes effect. Before that date, or already done:
    nothing (the flow's check and the deadline sweep may both call this). The date is read from
    the clock as well as `as_of`: a rehearsal of a later day never takes an agency out early."""
    with unit_of_work(session, actor=actor, now=now, action="withdrawal.complete") as uow:
        uow.about("withdrawal", withdrawal)
        notice = withdrawal_by_ref(session, withdrawal, lock=True)
        if (
            notice.status == WithdrawalStatus.COMPLETED
            or min(as_of, local_date(now)) < notice.effective_on
        ):
            return uow.events
        home = session.exec(
            select(Agency).where(Agency.id == notice.agency_id).with_for_update()
        ).one()
        _take_effect(uow, notice, home)
        return uow.events


def _withdraw(uow: UnitOfWork, home: Agency, *, reason: str, effective_on: date) -> None:
    """Record the notice to the chairs; on or after its effective date, carry it out too."""
    session = uow.session
    # fail before writing anything if the agency has already gone, or already gave notice
    AGENCY_MEMBERSHIP.fire(home.status, "withdraw", home.name)
    given = session.exec(select(Withdrawal).where(Withdrawal.agency_id == home.id)).first()
    if given is not None:
        raise Refused(
            f"{home.name} has already given notice of withdrawal under {given.reference}, "
            f"effective {given.effective_on.isoformat()}"
        )
    reference = uow.next_reference("WDR")
    assert home.id is not None
    notice = Withdrawal(
        reference=reference,
        agency_id=home.id,
        reason=reason,
        raised_by=uow.actor,
        noticed_at=uow.now,
        effective_on=effective_on,
    )
    session.add(notice)
    session.flush()
    uow.record(
        "withdrawal.notify",
        subject_type="withdrawal",
        subject_ref=reference,
        after={"agency": home.name, "reason": reason, "effective_on": effective_on},
    )
    uow.emit(
        WithdrawalNoticed(
            withdrawal=reference,
            agency=home.name,
            reason=reason,
            effective_on=effective_on.isoformat(),
        )
    )
    if effective_on <= local_date(uow.now):
        _take_effect(uow, notice, home)


def _take_effect(uow: UnitOfWork, notice: Withdrawal, home: Agency) -> None:
    """The agency leaves every arrangement, its access is revoked, and it is withdrawn (§42)."""
    session = uow.session
    suspension = open_suspension(session, home.id)
    if suspension is not None:
        notice.suspension_id = suspension.id
        suspension.ended_at = uow.now
        _move_suspension(uow, suspension, "end", why=f"{home.name} withdrew")
    _move_agency(uow, home, "withdraw", withdrawal=notice.reference)
    outcomes: dict[Departure, list[str]] = {"terminated": [], "left": [], "redrafted": []}
    for arrangement in _live_arrangements(session, home.id):
        outcomes[_leave(uow, arrangement, home)].append(arrangement.reference)
    terminated, left, redrafted = outcomes["terminated"], outcomes["left"], outcomes["redrafted"]
    notice.completed_at = uow.now
    uow.move(
        notice,
        WITHDRAWAL,
        "complete",
        action="withdrawal.complete",
        subject_type="withdrawal",
        subject_ref=notice.reference,
        terminated=terminated,
        left=left,
        redrafted=redrafted,
    )
    uow.emit(
        WithdrawalCompleted(
            withdrawal=notice.reference,
            agency=home.name,
            effective_on=notice.effective_on.isoformat(),
            terminated=tuple(terminated),
            left=tuple(left),
            redrafted=tuple(redrafted),
            suspension=suspension.reference if suspension is not None else "",
        )
    )


# what became of an arrangement the withdrawing agency left
Departure = Literal["terminated", "left", "redrafted"]
NOT_IN_FORCE = (ArrangementStatus.DRAFT, ArrangementStatus.AWAITING_APPROVAL)


def _leave(uow: UnitOfWork, arrangement: Arrangement, home: Agency) -> Departure:
    """The withdrawing agency leaves an arrangement (§42). One in force that is left without
    both a discloser and a recipient is terminated; the rest in force carry on and are reviewed
    without it. One not yet in force is a draft without it: one awaiting approval returns to
    draft at a new version, because sign-offs of the version that named it no longer count."""
    session = uow.session
    assert arrangement.id is not None
    for party, agency in current_parties(session, arrangement.id):
        if agency.id == home.id:
            party.left_at = uow.now
            session.add(party)
    uow.record(
        "arrangement.party_leave",
        subject_type="arrangement",
        subject_ref=arrangement.reference,
        after={"agency": home.name},
    )
    for status in (AccessGrantStatus.ACTIVE, AccessGrantStatus.PAUSED):
        for grant in _grants(session, arrangement.id, status):
            if grant.agency_id == home.id:
                revoke(uow, grant, f"{home.name} withdrew from the Protocol")
    if arrangement.status in NOT_IN_FORCE:
        if arrangement.activated_at is not None:
            # a draft amending an arrangement once in force: it may hold what was shared then
            schedule_for_leaver(uow, arrangement, home)
        if arrangement.status == ArrangementStatus.AWAITING_APPROVAL:
            named = arrangement.version
            arrangement.version += 1
            transition(uow, arrangement, "party_left", agency=home.name)
            uow.emit(
                ArrangementPartyLeft(
                    arrangement=arrangement.reference, version=named, agency=home.name
                )
            )
        return "redrafted"
    remaining = current_parties(session, arrangement.id)
    roles = {party.role for party, _ in remaining}
    viable = (
        len(remaining) >= 2
        and bool(roles & {PartyRole.DISCLOSER, PartyRole.BOTH})
        and bool(roles & {PartyRole.RECIPIENT, PartyRole.BOTH})
    )
    if not viable:
        terminate(uow, arrangement, f"{home.name} withdrew from the Protocol")
        return "terminated"
    # the others carry on; what the leaving agency received must still be destroyed
    schedule_for_leaver(uow, arrangement, home)
    if arrangement.status == ArrangementStatus.SUSPENDED and not _other_party_suspended(
        session, arrangement, home
    ):
        transition(uow, arrangement, "resume", reason=f"{home.name} withdrew")
        for grant in _grants(session, arrangement.id, AccessGrantStatus.PAUSED):
            end_grant(uow, grant, "restore", f"{home.name} withdrew")
    if arrangement.status == ArrangementStatus.ACTIVE:
        # the remaining parties review the arrangement without the agency that left
        transition(uow, arrangement, "open_review", reason=f"{home.name} withdrew")
        review = current_review(session, arrangement)
        if review is None:
            review = Review(arrangement_id=arrangement.id, due_on=local_date(uow.now))
        review.status = REVIEW.fire(review.status, "open", arrangement.reference)
        review.opened_at = uow.now
        session.add(review)
    return "left"


# --- the long waits: checker runs and the daily deadline sweep (DESIGN §7) ----------------------


def check_suspension(
    session: Session, *, suspension: str, as_of: date, actor: str, now: pendulum.DateTime
) -> list[str]:
    """Whatever `as_of` owes one suspension, each done once however often this runs: day 7 with
    no meeting set, remind the chairs; day 14 with no meeting held, tell every signatory and the
    chairs; day 25, notice that it ends in five days; at `ends_at` (by the clock, never by
    `as_of` alone, so a rehearsal cannot end a suspension early) it ends. A settled matter:
    nothing. Returns what it did."""
    with unit_of_work(session, actor=actor, now=now, action="suspension.check") as uow:
        uow.about("suspension", suspension)
        matter = suspension_by_ref(session, suspension, lock=True)
        return _check(uow, matter, as_of)


def _check(uow: UnitOfWork, matter: Suspension, as_of: date) -> list[str]:
    if matter.status == SuspensionStatus.ENDED:
        return []
    home = uow.session.get(Agency, matter.agency_id)
    assert home is not None
    raised_on = local_date(pendulum.instance(matter.raised_at))
    day = (pendulum.Date(as_of.year, as_of.month, as_of.day) - raised_on).in_days()
    ends_at = pendulum.instance(matter.ends_at)
    if uow.now >= ends_at:
        _end_suspension(uow, matter, home, "30 days have passed")
        return [f"day {day}: ended, the agency's obligations, arrangements and access resumed"]
    deadline = pendulum.instance(matter.meeting_deadline).isoformat()
    done: list[str] = []
    if (
        SUSPENSION_REMIND_CHAIRS_DAY <= day < SUSPENSION_ESCALATE_DAY
        and matter.status == SuspensionStatus.RAISED
        and matter.chairs_reminded_at is None
    ):
        matter.chairs_reminded_at = uow.now
        _note(uow, matter, "remind_chairs", day)
        uow.emit(SuspensionMeetingReminder(matter.reference, home.name, deadline))
        done.append(f"day {day}: no meeting set, chairs reminded")
    if (
        day >= SUSPENSION_ESCALATE_DAY
        and matter.status != SuspensionStatus.MEETING_HELD
        and matter.escalated_at is None
    ):
        matter.escalated_at = uow.now
        _note(uow, matter, "escalate", day)
        uow.emit(SuspensionEscalated(matter.reference, home.name, deadline))
        done.append(f"day {day}: no meeting held, every signatory and the chairs told")
    if day >= SUSPENSION_END_NOTICE_DAY and matter.end_noticed_at is None:
        matter.end_noticed_at = uow.now
        _note(uow, matter, "notice_end", day)
        uow.emit(SuspensionEndingSoon(matter.reference, home.name, ends_at.isoformat()))
        done.append(f"day {day}: notice that it ends {local_date(ends_at).isoformat()}")
    uow.session.add(matter)
    return done


def _note(uow: UnitOfWork, matter: Suspension, what: str, day: int) -> None:
    uow.record(
        f"suspension.{what}",
        subject_type="suspension",
        subject_ref=matter.reference,
        after={"day": day, "status": matter.status},
    )


def sweep_deadlines(
    session: Session, *, as_of: date, actor: str, now: pendulum.DateTime
) -> list[PhaseReport]:
    """The safety net: every open suspension checked as its checker runs would, every
    withdrawal whose effective date has come carried out. Suspensions are few (one open per
    agency at most), so each is checked in its own unit of work."""
    suspensions = PhaseReport("suspensions")
    for reference in session.exec(
        select(Suspension.reference)
        .where(Suspension.status != SuspensionStatus.ENDED)
        .order_by(col(Suspension.id))
    ).all():
        with unit_of_work(session, actor=actor, now=now, action="suspension.check") as uow:
            uow.about("suspension", reference)
            for what in _check(uow, suspension_by_ref(session, reference, lock=True), as_of):
                day, action = what.split(": ", 1)
                suspensions.add(reference, action, day)
        suspensions.queued += uow.queued
    today = local_date(now)
    if as_of > today:
        # a rehearsal of a later day: an end that day would bring waits for the clock
        for reference, ends_at in session.exec(
            select(Suspension.reference, Suspension.ends_at)
            .where(Suspension.status != SuspensionStatus.ENDED)
            .order_by(col(Suspension.id))
        ).all():
            ends = pendulum.instance(ends_at)
            if local_date(ends) <= as_of and now < ends:
                suspensions.hold(
                    reference, "end", f"ends {ends.in_timezone('Europe/London'):%Y-%m-%d %H:%M}"
                )
    withdrawals = PhaseReport("withdrawals")
    for reference, effective_on in session.exec(
        select(col(Withdrawal.reference), col(Withdrawal.effective_on))
        .where(Withdrawal.status == WithdrawalStatus.NOTIFIED)
        .where(col(Withdrawal.effective_on) <= as_of)
        .where(col(Withdrawal.effective_on) > today)
        .order_by(col(Withdrawal.id))
    ).all():
        withdrawals.hold(reference, "withdrawal taking effect", f"effective {effective_on}")
    session.rollback()
    for reference in session.exec(
        select(Withdrawal.reference)
        .where(Withdrawal.status == WithdrawalStatus.NOTIFIED)
        .where(col(Withdrawal.effective_on) <= min(as_of, today))
        .order_by(col(Withdrawal.id))
    ).all():
        for event in complete_withdrawal(
            session, withdrawal=reference, as_of=as_of, actor=actor, now=now
        ):
            if isinstance(event, WithdrawalCompleted):
                withdrawals.add(
                    reference,
                    "took effect",
                    f"{event.agency}: terminated {len(event.terminated)}, "
                    f"left {len(event.left)}, redrafted {len(event.redrafted)}",
                )
    return [suspensions, withdrawals]
