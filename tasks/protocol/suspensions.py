"""Use cases for a partner's 30-day suspension and its risk assessment and resolution meeting
(§41): raise it, set and record the meeting, end it, and what each day of it owes (the checker
runs and the deadline sweep)."""

from datetime import date

import pendulum
from sqlmodel import Session, select

from models.clocks import (
    local_date,
    meeting_within_deadline,
    suspension_end,
    suspension_meeting_deadline,
)
from models.enums import (
    AccessGrantStatus,
    ArrangementStatus,
    ContactRole,
    MeetingOutcome,
    SuspensionStatus,
)
from models.errors import InvalidInput, Refused
from models.events import (
    DomainEvent,
    MeetingHeld,
    MeetingScheduled,
    SuspensionEnded,
    SuspensionEndingSoon,
    SuspensionEscalated,
    SuspensionMeetingReminder,
    SuspensionRaised,
)
from models.inputs import normalise_email, required_text
from models.lifecycles import SUSPENSION
from models.matters import Duty, attendee_capacity, suspension_duties
from models.tables import (
    Agency,
    Chair,
    Contact,
    ContactRoleAssignment,
    MeetingAttendance,
    Suspension,
)
from tasks.lookup import (
    agency_by_name,
    require_chair,
    require_role_at,
    resolve_actor,
    suspension_by_ref,
)
from tasks.protocol.access import end_grant
from tasks.protocol.arrangements import IN_FORCE, resume, transition
from tasks.protocol.membership import (
    grants_of,
    live_arrangements,
    move_agency,
    move_suspension,
    open_suspension,
    other_party_suspended,
)
from tasks.protocol.withdrawals import give_notice
from tasks.uow import UnitOfWork, unit_of_work


def raise_suspension(
    session: Session, *, agency: str, reason: str, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """A signatory suspends their agency's obligations for 30 days (§41)."""
    reason = required_text(reason, "the reason", field="reason")
    with unit_of_work(session, actor=actor, now=now, action="suspension.raise") as uow:
        uow.about("agency", agency)
        home = agency_by_name(session, agency, lock=True)
        who = resolve_actor(session, actor)
        require_role_at(who, home, ContactRole.SIGNATORY, to=f"suspend {home.name}")
        suspend_agency(uow, home, reason, by=who.email)
        return uow.events


def suspend_agency(uow: UnitOfWork, home: Agency, reason: str, *, by: str) -> Suspension:
    """Inside a unit of work whose actor may suspend `home` (its signatory): suspend it for 30
    days, with every arrangement of it in force (active or under review) and their access; a
    second suspension is refused."""
    session, now = uow.session, uow.now
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
        raised_by=by,
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
    move_agency(uow, home, "suspend", suspension=reference)
    suspended: list[str] = []
    for arrangement in live_arrangements(session, home.id):
        if arrangement.status not in IN_FORCE:
            continue
        transition(uow, arrangement, "suspend", suspension=reference)
        for grant in grants_of(session, arrangement.id, AccessGrantStatus.ACTIVE):
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
    return suspension


# where a meeting is held, or how to join it: a room and address, a video call's link and code
MEETING_PLACE_MAX = 1000


def schedule_meeting(
    session: Session,
    *,
    suspension: str,
    at: pendulum.DateTime,
    place: str,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """A chair sets (or moves) the risk assessment and resolution meeting, by day 14 (§41),
    saying where it is held or how to join it (the email and its invitation say so)."""
    with unit_of_work(session, actor=actor, now=now, action="meeting.schedule") as uow:
        uow.about("suspension", suspension)
        place = required_text(
            place,
            "where the meeting is held, or how to join it",
            limit=MEETING_PLACE_MAX,
            field="place",
        )
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
        matter.meeting_sequence = (
            0 if matter.meeting_sequence is None else matter.meeting_sequence + 1
        )
        matter.meeting_set_by = who.email
        matter.meeting_place = place
        move_suspension(
            uow, matter, "schedule_meeting", meeting_at=at.isoformat(), meeting_place=place
        )
        home = session.get(Agency, matter.agency_id)
        assert home is not None
        uow.emit(
            MeetingScheduled(
                suspension=matter.reference,
                agency=home.name,
                meeting_at=at.in_timezone("UTC").isoformat(),
                rescheduled=rescheduled,
                meeting_place=place,
            )
        )
        return uow.events


def _attendee(session: Session, email: str) -> tuple[str, str]:
    """Name and capacity of a meeting attendee (models.matters.attendee_capacity); anyone who
    may not attend is refused."""
    address = normalise_email(email)
    chair = session.exec(select(Chair).where(Chair.email == address)).first()
    if chair is not None:
        return chair.name, str(attendee_capacity(is_chair=True, roles=(), agency=None))
    contact = session.exec(select(Contact).where(Contact.email == address)).first()
    if contact is not None:
        roles = {
            ContactRole(role)
            for role in session.exec(
                select(ContactRoleAssignment.role).where(
                    ContactRoleAssignment.contact_id == contact.id
                )
            ).all()
        }
        agency = session.get(Agency, contact.agency_id)
        assert agency is not None
        capacity = attendee_capacity(is_chair=False, roles=roles, agency=agency.name)
        if capacity is not None:
            return contact.name, capacity
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
    risk_assessment = required_text(risk_assessment, "the risk assessment", field="risk_assessment")
    if not attendees:
        raise InvalidInput("at least one {attendee} is required", inputs={"attendee": "attendee"})
    with unit_of_work(session, actor=actor, now=now, action="meeting.record") as uow:
        uow.about("suspension", suspension)
        matter = suspension_by_ref(session, suspension, lock=True)
        who = resolve_actor(session, actor)
        require_chair(who, to=f"record the meeting for {matter.reference}")
        if matter.status == SuspensionStatus.RAISED:
            raise Refused(
                f"no meeting has been set for {matter.reference}: set it first",
                command=f"isa meeting schedule {matter.reference} --at DATETIME --place TEXT",
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
        move_suspension(uow, matter, "hold_meeting", outcome=outcome.value)
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
            end_suspension_now(uow, matter, home, "resumed early by the resolution meeting")
        elif outcome == MeetingOutcome.WITHDRAW:
            give_notice(
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
        end_suspension_now(uow, matter, home, "30 days have passed")
        return uow.events


def end_suspension_now(uow: UnitOfWork, matter: Suspension, home: Agency, why: str) -> None:
    matter.ended_at = uow.now
    move_suspension(uow, matter, "end", why=why)
    move_agency(uow, home, "lift_suspension", suspension=matter.reference)
    resumed: list[str] = []
    for arrangement in live_arrangements(uow.session, home.id):
        if arrangement.status != ArrangementStatus.SUSPENDED or other_party_suspended(
            uow.session, arrangement, home
        ):
            continue
        resume(uow, arrangement, suspension=matter.reference)
        for grant in grants_of(uow.session, arrangement.id, AccessGrantStatus.PAUSED):
            end_grant(uow, grant, "restore", f"{matter.reference} ended")
        resumed.append(arrangement.reference)
    uow.emit(
        SuspensionEnded(
            suspension=matter.reference, agency=home.name, why=why, arrangements=tuple(resumed)
        )
    )


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
        return check_matter(uow, matter, as_of)


def check_matter(uow: UnitOfWork, matter: Suspension, as_of: date) -> list[str]:
    """Do what `as_of` owes the suspension (models.matters.suspension_duties); returns what."""
    raised_on = local_date(pendulum.instance(matter.raised_at))
    day = (pendulum.Date(as_of.year, as_of.month, as_of.day) - raised_on).in_days()
    ends_at = pendulum.instance(matter.ends_at)
    owed = suspension_duties(
        day,
        matter.status,
        at_end=uow.now >= ends_at,
        chairs_reminded=matter.chairs_reminded_at is not None,
        escalated=matter.escalated_at is not None,
        end_noticed=matter.end_noticed_at is not None,
    )
    if not owed:
        return []
    home = uow.session.get(Agency, matter.agency_id)
    assert home is not None
    if owed == (Duty.END,):
        end_suspension_now(uow, matter, home, "30 days have passed")
        return [f"day {day}: ended, the agency's obligations, arrangements and access resumed"]
    deadline = pendulum.instance(matter.meeting_deadline).isoformat()
    done: list[str] = []
    if Duty.REMIND_CHAIRS in owed:
        matter.chairs_reminded_at = uow.now
        _note(uow, matter, Duty.REMIND_CHAIRS, day)
        uow.emit(SuspensionMeetingReminder(matter.reference, home.name, deadline))
        done.append(f"day {day}: no meeting set, chairs reminded")
    if Duty.ESCALATE in owed:
        matter.escalated_at = uow.now
        _note(uow, matter, Duty.ESCALATE, day)
        uow.emit(SuspensionEscalated(matter.reference, home.name, deadline))
        done.append(f"day {day}: no meeting held, every signatory and the chairs told")
    if Duty.NOTICE_END in owed:
        matter.end_noticed_at = uow.now
        _note(uow, matter, Duty.NOTICE_END, day)
        uow.emit(SuspensionEndingSoon(matter.reference, home.name, ends_at.isoformat()))
        done.append(f"day {day}: notice that it ends {local_date(ends_at).isoformat()}")
    uow.session.add(matter)
    return done


def _note(uow: UnitOfWork, matter: Suspension, what: Duty, day: int) -> None:
    uow.record(
        f"suspension.{what.value}",
        subject_type="suspension",
        subject_ref=matter.reference,
        after={"day": day, "status": matter.status},
    )
