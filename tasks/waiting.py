"""What waits on a person in the portal: the things the register waits on them for across
every matter (`waiting_on`), what is overdue that concerns them (`overdue_for`, with the
partners' duties whose chase has reached the chairs), and a fresh link to act on one of them.

The duties an agency owes on a row of its own are declared in tasks/owed.py and listed by one
loop here; approval, review, re-attestation and the chairs' resolution meetings are owed through
the arrangement or the register, and keep their own queries."""

import secrets
from dataclasses import dataclass

import pendulum
from sqlmodel import Session, col, select

from models.clocks import local_date
from models.enums import (
    AccessGrantStatus,
    ArrangementStatus,
    ContactRole,
    SuspensionStatus,
)
from models.links import LinkAction, link_expiry, token_hash
from models.policies import APPROVAL_ESCALATION_DAY
from models.tables import (
    AccessGrant,
    Agency,
    Arrangement,
    ArrangementParty,
    Contact,
    Review,
    SignOff,
    awaiting_sign_off,
)
from notifications.render import long_date, long_datetime
from notifications.tables import ActionLink
from tasks.overview import register_overview
from tasks.owed import CHASED_TO_CHAIRS, OWED, Owed, open_rows
from tasks.portal import Person, arrangements_stmt, days_late, overdue_by, suspensions_running


@dataclass(frozen=True)
class Waiting:
    """One thing that waits on the person: what, about which record, by when, how late (whole
    days past `by`, 0 when not overdue) and the arrangement it concerns, if any."""

    action: LinkAction
    subject: str
    title: str
    what: str
    by: str = ""
    late_days: int = 0
    arrangement: str = ""

    @property
    def late(self) -> str:
        return overdue_by(self.late_days)


@dataclass(frozen=True)
class Overdue:
    """One thing overdue that concerns the person: about which record, what, with whom it
    waits, how late; `arrangement` when the reference is an arrangement's."""

    reference: str
    title: str
    what: str
    with_whom: str
    late_days: int
    arrangement: bool
    # said in hours when a deadline is counted in hours (an incident's 72)
    late_text: str = ""

    @property
    def late(self) -> str:
        return self.late_text or overdue_by(self.late_days)


def _owed(session: Session, duty: Owed, agency: str, today: pendulum.Date) -> list[Waiting]:
    waiting = []
    for row, owner, named in open_rows(session, duty, agency=agency):
        if duty.shown is not None and not duty.shown(row, owner, today):
            continue
        due = duty.due_of(row, owner)
        waiting.append(
            Waiting(
                duty.action,
                row.reference,
                duty.say(duty.title, row, owner, named, due),
                duty.say(duty.what, row, owner, named, due),
                duty.say(duty.by, row, owner, named, due),
                days_late(due, today) if duty.late else 0,
                named["arrangement"].reference if "arrangement" in named else "",
            )
        )
    return waiting


def waiting_on(session: Session, who: Person, now: pendulum.DateTime) -> list[Waiting]:
    """Everything the register waits on this person for, across every matter: what is
    overdue first, the latest first, then the rest in the order of each matter."""
    waiting: list[Waiting] = []
    today = local_date(now)
    if who.agency is not None:
        if who.has(ContactRole.SIGNATORY):
            waiting.extend(_approvals(session, who.agency, today))
        for duty in OWED:
            if any(who.has(role) for role in duty.roles):
                waiting.extend(_owed(session, duty, who.agency, today))
        if who.has(ContactRole.SIGNATORY) or who.has(ContactRole.POINT_OF_CONTACT):
            waiting.extend(_reviews(session, who.agency, today))
        if who.has(ContactRole.POINT_OF_CONTACT):
            waiting.extend(_attestations(session, who.agency))
    if who.chair:
        for matter, agency in suspensions_running(session):
            set_ = matter.status == SuspensionStatus.MEETING_SCHEDULED
            waiting.append(
                Waiting(
                    LinkAction.MEETING,
                    matter.reference,
                    f"{agency.name} suspended: {matter.reason}",
                    "record the resolution meeting held" if set_ else "set the resolution meeting",
                    long_datetime(matter.meeting_deadline),
                    days_late(matter.meeting_deadline, today),
                )
            )
    # sorted is stable: what is not late keeps each matter's own order
    return sorted(waiting, key=lambda w: -w.late_days)


def _approvals(session: Session, agency: str, today: pendulum.Date) -> list[Waiting]:
    """For a signatory: each arrangement awaiting sign-off its agency has not signed."""
    waiting = []
    for arrangement in session.exec(
        select(Arrangement)
        .join(ArrangementParty, col(ArrangementParty.arrangement_id) == Arrangement.id)
        .join(Agency, col(Agency.id) == ArrangementParty.agency_id)
        .where(Agency.name == agency, col(ArrangementParty.left_at).is_(None))
        .where(awaiting_sign_off())
        .order_by(col(Arrangement.reference))
    ).all():
        signed = session.exec(
            select(SignOff.id)
            .join(Agency, col(Agency.id) == SignOff.agency_id)
            .where(SignOff.arrangement_id == arrangement.id)
            .where(SignOff.version == arrangement.version, Agency.name == agency)
        ).first()
        if signed is None:
            # the chairs are told of a sign-off still missing on day 14 (§6)
            by = (
                local_date(pendulum.instance(arrangement.submitted_at)).add(
                    days=APPROVAL_ESCALATION_DAY
                )
                if arrangement.submitted_at
                else None
            )
            waiting.append(
                Waiting(
                    LinkAction.APPROVE,
                    arrangement.reference,
                    arrangement.title,
                    f"approve or reject version {arrangement.version} for {agency}",
                    long_date(by) if by else "",
                    days_late(by, today),
                    arrangement.reference,
                )
            )
    return waiting


def _reviews(session: Session, agency: str, today: pendulum.Date) -> list[Waiting]:
    """For a signatory or point of contact: each review of its agency's arrangements open."""
    return [
        Waiting(
            LinkAction.REVIEW,
            arrangement.reference,
            arrangement.title,
            "record the review's outcome",
            long_date(review.due_on),
            days_late(review.due_on, today),
            arrangement.reference,
        )
        for arrangement, review in session.exec(
            select(Arrangement, Review)
            .join(Review, col(Review.arrangement_id) == Arrangement.id)
            .join(ArrangementParty, col(ArrangementParty.arrangement_id) == Arrangement.id)
            .join(Agency, col(Agency.id) == ArrangementParty.agency_id)
            .where(Agency.name == agency, col(ArrangementParty.left_at).is_(None))
            .where(Arrangement.status == ArrangementStatus.UNDER_REVIEW)
            .where(col(Review.completed_at).is_(None))
            .order_by(col(Review.due_on))
        ).all()
    ]


def _attestations(session: Session, agency: str) -> list[Waiting]:
    """For a point of contact: each of its agency's grants reminded and not attested since."""
    waiting = []
    for grant, staff in session.exec(
        select(AccessGrant, Contact)
        .join(Contact, col(Contact.id) == AccessGrant.contact_id)
        .join(Agency, col(Agency.id) == AccessGrant.agency_id)
        .where(Agency.name == agency, AccessGrant.status != AccessGrantStatus.REVOKED)
        .where(col(AccessGrant.attestation_reminded_at).is_not(None))
        .order_by(col(AccessGrant.reference))
    ).all():
        assert grant.attestation_reminded_at is not None
        reminded = pendulum.instance(grant.attestation_reminded_at)
        if grant.attested_at is None or pendulum.instance(grant.attested_at) < reminded:
            waiting.append(
                Waiting(
                    LinkAction.ATTEST,
                    grant.reference,
                    f"{staff.name} on {grant.reference}",
                    "keep or revoke this access (re-attestation)",
                )
            )
    return waiting


def overdue_for(session: Session, who: Person, now: pendulum.DateTime) -> list[Overdue]:
    """What is overdue in the register (tasks/overview.py) that concerns the person, the latest
    first: for a chair, all of it (what has been escalated to the chairs among it); for a
    contact, what is late on its agency's arrangements and its agency's own matters."""
    today = local_date(now)
    refs = {a.reference for a in session.exec(arrangements_stmt(who)).all()}
    parties: dict[str, list[str]] = {}
    for ref, name in session.exec(
        select(Arrangement.reference, Agency.name)
        .join(ArrangementParty, col(ArrangementParty.arrangement_id) == Arrangement.id)
        .join(Agency, col(Agency.id) == ArrangementParty.agency_id)
        .where(col(ArrangementParty.left_at).is_(None))
        .order_by(col(ArrangementParty.id))
    ).all():
        parties.setdefault(ref, []).append(name)
    found = []
    for due in register_overview(session, now=now, days=0).overdue:
        if not who.chair and due.reference not in refs and due.title != who.agency:
            continue
        with_whom = due.with_whom
        if with_whom == "the parties' signatories" and due.reference in parties:
            with_whom = "the signatories of " + ", ".join(parties[due.reference])
        found.append(
            Overdue(
                due.reference,
                due.title,
                due.what,
                with_whom,
                days_late(pendulum.parse(due.on).date(), today),  # type: ignore[union-attr]
                due.reference in refs,
            )
        )
    for agency, late in _escalated(session, now):
        if who.chair or agency == who.agency:
            found.append(late)
    return sorted(found, key=lambda o: -o.late_days)


def _escalated(session: Session, now: pendulum.DateTime) -> list[tuple[str, Overdue]]:
    """The partners' duties whose chase has reached the chairs (the agency that owes each, and
    it): a consent withdrawal or a data-quality notice unanswered, an onward request unanswered,
    an information request past its due date, an incident undecided after 72 hours or its notice
    to the originator unacknowledged. Late is counted from the first reminder, or the due date."""
    today = local_date(now)
    out: list[tuple[str, Overdue]] = []
    for duty in CHASED_TO_CHAIRS:
        for row, owner, named in open_rows(session, duty, agency=None):
            due = duty.due_of(row, owner)
            late, late_text = days_late(due, today), ""
            if duty.in_hours:
                hours = max(0, int((now - due).total_seconds() // 3600))
                late, late_text = hours // 24, f"{hours} hours overdue" if hours < 48 else ""
            out.append(
                (
                    owner.name,
                    Overdue(
                        row.reference,
                        duty.say(duty.chased_title or duty.title, row, owner, named, due),
                        duty.say(duty.chased_what or duty.what, row, owner, named, due),
                        duty.say(duty.with_whom, row, owner, named, due),
                        late,
                        False,
                        late_text,
                    ),
                )
            )
    return out


def link_to_act(
    session: Session, *, who: Person, action: LinkAction, subject: str, now: pendulum.DateTime
) -> int | None:
    """A fresh link for the signed-in person to act on one thing that waits on them (its id;
    the portal binds it to their browser, so its token is never shown); None when nothing of
    that kind waits on them."""
    if not any(w.action is action and w.subject == subject for w in waiting_on(session, who, now)):
        session.rollback()
        return None
    version = None
    if action is LinkAction.APPROVE:
        version = session.exec(
            select(Arrangement.version).where(Arrangement.reference == subject)
        ).one()
    row = ActionLink(
        token_hash=token_hash(secrets.token_urlsafe(32)),
        action=action.value,
        subject_ref=subject,
        version=version,
        email=who.email,
        created_at=now,
        expires_at=link_expiry(now, now.add(hours=1)),
    )
    session.add(row)
    session.commit()
    assert row.id is not None
    return row.id
