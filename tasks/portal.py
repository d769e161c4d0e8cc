"""The portal's signed-in use cases: asking for a sign-in link by email, who the person is,
what waits on them across every matter, their agency's arrangements (for a chair, the whole
register and the open suspensions with their day count), and a fresh link to act on one of
the things that wait on them. Raising a suspension or a withdrawal from the web calls the same
use cases as the command line."""

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pendulum
from sqlalchemy import func
from sqlmodel import Session, col, select

from models.clocks import (
    chase_dates,
    days_overdue,
    local_date,
    regulator_deadline,
    request_reminder_rung,
    suspension_day,
)
from models.enums import (
    AccessGrantStatus,
    ArrangementStatus,
    ConsentNoticeStatus,
    ConsultationStatus,
    ContactRole,
    DataQualityStatus,
    DisposalTaskStatus,
    IncidentStatus,
    InformationRequestStatus,
    OnwardRequestStatus,
    SuspensionStatus,
)
from models.errors import InvalidInput
from models.events import SignInRequested
from models.inputs import normalise_email
from models.links import SIGN_IN_MINUTES, LinkAction, link_expiry, token_hash
from models.policies import APPROVAL_ESCALATION_DAY
from models.tables import (
    AccessGrant,
    Agency,
    Arrangement,
    ArrangementParty,
    Chair,
    ConsentNotice,
    ConsentWithdrawal,
    Contact,
    ContactRoleAssignment,
    DataQualityNotice,
    DisposalTask,
    InformationRequest,
    OnwardRequest,
    RequestConsultation,
    Review,
    SecurityIncident,
    SignOff,
    Suspension,
    awaiting_sign_off,
)
from notifications.links import spend_link
from notifications.render import long_date, long_datetime
from notifications.tables import ActionLink
from tasks.overview import register_overview
from tasks.uow import unit_of_work

# sign-in links asked for one address within this window, beyond which no more are sent
SIGN_IN_WINDOW_MINUTES = 15
SIGN_INS_PER_WINDOW = 3


@dataclass(frozen=True)
class Person:
    """A contact (with their agency and roles) or a chair, as the portal knows them."""

    email: str
    name: str
    agency: str | None
    roles: tuple[str, ...]
    chair: bool

    def has(self, role: ContactRole) -> bool:
        return role.value in self.roles


def person(session: Session, email: str) -> Person | None:
    """The contact still at their agency, or the chair, with this address; else None."""
    address = email.strip().lower()
    chair = session.exec(select(Chair).where(Chair.email == address)).first()
    if chair is not None:
        return Person(chair.email, chair.name, None, ("chair",), True)
    found = session.exec(
        select(Contact, Agency)
        .join(Agency, col(Agency.id) == Contact.agency_id)
        .where(Contact.email == address, col(Contact.left_at).is_(None))
    ).first()
    if found is None:
        return None
    contact, agency = found
    roles = session.exec(
        select(ContactRoleAssignment.role).where(ContactRoleAssignment.contact_id == contact.id)
    ).all()
    return Person(contact.email, contact.name, agency.name, tuple(str(r) for r in roles), False)


def request_sign_in(session: Session, *, email: str, now: pendulum.DateTime) -> bool:
    """Email a sign-in link to the contact or chair at `email`; whether one was queued. An
    unknown address, or one that asked too often just now, writes nothing (and the page says
    the same either way)."""
    try:
        address = normalise_email(email)
    except InvalidInput:
        raise InvalidInput(f"{email.strip()!r} is not an email address") from None
    if person(session, address) is None:
        session.rollback()
        return False
    recent = session.exec(
        select(func.count())
        .select_from(ActionLink)
        .where(
            ActionLink.action == LinkAction.SIGN_IN.value,
            ActionLink.email == address,
            col(ActionLink.created_at) > now.subtract(minutes=SIGN_IN_WINDOW_MINUTES),
        )
    ).one()
    session.rollback()
    if recent >= SIGN_INS_PER_WINDOW:
        return False
    with unit_of_work(session, actor=address, now=now, action="portal.sign_in") as uow:
        uow.record("portal.sign_in", subject_type="person", subject_ref=address, after=None)
        uow.emit(
            SignInRequested(
                email=address,
                requested_at=now.isoformat(),
                expires_at=now.add(minutes=SIGN_IN_MINUTES).isoformat(),
            )
        )
    return True


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


def overdue_by(days: int) -> str:
    """'40 days overdue', or "" when not overdue."""
    if days <= 0:
        return ""
    return f"{days} day{'s' if days != 1 else ''} overdue"


def _late(due: Any, today: pendulum.Date) -> int:
    """Whole days `today` is past `due` (a date, or an instant taken on its London date)."""
    if due is None:
        return 0
    if isinstance(due, datetime):
        due = local_date(pendulum.instance(due))
    return days_overdue(pendulum.Date(due.year, due.month, due.day), today)


def waiting_on(session: Session, who: Person, now: pendulum.DateTime) -> list[Waiting]:
    """Everything the register waits on this person for, across every matter: what is
    overdue first, the latest first, then the rest in the order of each matter."""
    waiting: list[Waiting] = []
    today = local_date(now)
    home = session.exec(select(Agency).where(Agency.name == who.agency)).first()
    nation = home.nation if home is not None else None
    if who.agency is not None and who.has(ContactRole.SIGNATORY):
        for arrangement in session.exec(
            select(Arrangement)
            .join(ArrangementParty, col(ArrangementParty.arrangement_id) == Arrangement.id)
            .join(Agency, col(Agency.id) == ArrangementParty.agency_id)
            .where(Agency.name == who.agency, col(ArrangementParty.left_at).is_(None))
            .where(awaiting_sign_off())
            .order_by(col(Arrangement.reference))
        ).all():
            signed = session.exec(
                select(SignOff.id)
                .join(Agency, col(Agency.id) == SignOff.agency_id)
                .where(SignOff.arrangement_id == arrangement.id)
                .where(SignOff.version == arrangement.version, Agency.name == who.agency)
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
                        f"approve or reject version {arrangement.version} for {who.agency}",
                        long_date(by) if by else "",
                        _late(by, today),
                        arrangement.reference,
                    )
                )
    if who.agency is not None and who.has(ContactRole.NOMINATED_REPRESENTATIVE):
        for task, arrangement in session.exec(
            select(DisposalTask, Arrangement)
            .join(Arrangement, col(Arrangement.id) == DisposalTask.arrangement_id)
            .join(Agency, col(Agency.id) == DisposalTask.agency_id)
            .where(Agency.name == who.agency, DisposalTask.status == DisposalTaskStatus.PENDING)
            .order_by(col(DisposalTask.due_on))
        ).all():
            waiting.append(
                Waiting(
                    LinkAction.CONFIRM_DISPOSAL,
                    task.reference,
                    arrangement.title,
                    f"confirm the destruction of the data shared under {arrangement.reference}",
                    long_date(task.due_on),
                    _late(task.due_on, today),
                    arrangement.reference,
                )
            )
    if who.agency is not None and who.has(ContactRole.NOMINATED_REPRESENTATIVE):
        for notice, consent, originator in session.exec(
            select(ConsentNotice, ConsentWithdrawal, Agency)
            .join(ConsentWithdrawal, col(ConsentWithdrawal.id) == ConsentNotice.consent_id)
            .join(Agency, col(Agency.id) == ConsentWithdrawal.agency_id)
            .where(ConsentNotice.status == ConsentNoticeStatus.PENDING)
            .where(
                ConsentNotice.agency_id
                == select(Agency.id).where(Agency.name == who.agency).scalar_subquery()
            )
            .order_by(col(ConsentNotice.notified_at))
        ).all():
            # unanswered on its first reminder's day, it is late (models.clocks.chase_dates)
            first = (
                chase_dates(pendulum.instance(notice.notified_at), nation)[0] if nation else None
            )
            waiting.append(
                Waiting(
                    LinkAction.ACKNOWLEDGE_CONSENT,
                    notice.reference,
                    f"consent withdrawn: {originator.name}'s data subject {consent.subject_ref}",
                    "acknowledge that processing has ceased",
                    f"told {long_datetime(notice.notified_at)}",
                    _late(first, today),
                )
            )
    if who.agency is not None and who.has(ContactRole.NOMINATED_REPRESENTATIVE):
        for found, isa in session.exec(
            select(DataQualityNotice, Arrangement)
            .join(Arrangement, col(Arrangement.id) == DataQualityNotice.arrangement_id)
            .where(DataQualityNotice.status == DataQualityStatus.OPEN)
            .where(
                DataQualityNotice.owner_id
                == select(Agency.id).where(Agency.name == who.agency).scalar_subquery()
            )
            .order_by(col(DataQualityNotice.reported_at))
        ).all():
            first = chase_dates(pendulum.instance(found.reported_at), nation)[0] if nation else None
            waiting.append(
                Waiting(
                    LinkAction.CORRECT_DATA,
                    found.reference,
                    f"data found inaccurate under {isa.reference}: {isa.title}",
                    "record the correction",
                    f"told {long_datetime(found.reported_at)}",
                    _late(first, today),
                    isa.reference,
                )
            )
    answers = who.has(ContactRole.NOMINATED_REPRESENTATIVE) or who.has(ContactRole.DPO)
    if who.agency is not None and answers:
        waiting.extend(_requests_waiting(session, who.agency, now))
    if who.agency is not None and who.has(ContactRole.NOMINATED_REPRESENTATIVE):
        for asked, isa, requester in session.exec(
            select(OnwardRequest, Arrangement, Agency)
            .join(Arrangement, col(Arrangement.id) == OnwardRequest.arrangement_id)
            .join(Agency, col(Agency.id) == OnwardRequest.requester_id)
            .where(OnwardRequest.status == OnwardRequestStatus.OPEN)
            .where(
                OnwardRequest.owner_id
                == select(Agency.id).where(Agency.name == who.agency).scalar_subquery()
            )
            .order_by(col(OnwardRequest.requested_at))
        ).all():
            waiting.append(
                Waiting(
                    LinkAction.ANSWER_ONWARD,
                    asked.reference,
                    f"{requester.name} asks to share data received under {isa.reference} with "
                    f"{asked.third_party}",
                    "consent or refuse",
                    f"asked {long_datetime(asked.requested_at)}",
                    0,
                    isa.reference,
                )
            )
    if who.agency is not None and who.has(ContactRole.DPO):
        for incident, isa in session.exec(
            select(SecurityIncident, Arrangement)
            .join(Arrangement, col(Arrangement.id) == SecurityIncident.arrangement_id)
            .where(SecurityIncident.status == IncidentStatus.REPORTED)
            .where(
                SecurityIncident.agency_id
                == select(Agency.id).where(Agency.name == who.agency).scalar_subquery()
            )
            .order_by(col(SecurityIncident.aware_at))
        ).all():
            waiting.append(
                Waiting(
                    LinkAction.DECIDE_INCIDENT,
                    incident.reference,
                    f"security incident under {isa.reference}: {isa.title}",
                    "record whether it is reported to the ICO, and why",
                    long_datetime(regulator_deadline(pendulum.instance(incident.aware_at))),
                    _late(regulator_deadline(pendulum.instance(incident.aware_at)), today),
                    isa.reference,
                )
            )
    if who.agency is not None and (
        who.has(ContactRole.NOMINATED_REPRESENTATIVE) or who.has(ContactRole.DPO)
    ):
        for incident, isa in session.exec(
            select(SecurityIncident, Arrangement)
            .join(Arrangement, col(Arrangement.id) == SecurityIncident.arrangement_id)
            .where(col(SecurityIncident.acknowledged_at).is_(None))
            .where(
                SecurityIncident.originator_id
                == select(Agency.id).where(Agency.name == who.agency).scalar_subquery()
            )
            .order_by(col(SecurityIncident.reported_at))
        ).all():
            waiting.append(
                Waiting(
                    LinkAction.ACKNOWLEDGE_INCIDENT,
                    incident.reference,
                    f"security incident compromising your data under {isa.reference}",
                    "acknowledge that your agency has been told",
                    f"told {long_datetime(incident.reported_at)}",
                    0,
                    isa.reference,
                )
            )
    if who.agency is not None and (
        who.has(ContactRole.SIGNATORY) or who.has(ContactRole.POINT_OF_CONTACT)
    ):
        for arrangement, review in session.exec(
            select(Arrangement, Review)
            .join(Review, col(Review.arrangement_id) == Arrangement.id)
            .join(ArrangementParty, col(ArrangementParty.arrangement_id) == Arrangement.id)
            .join(Agency, col(Agency.id) == ArrangementParty.agency_id)
            .where(Agency.name == who.agency, col(ArrangementParty.left_at).is_(None))
            .where(Arrangement.status == ArrangementStatus.UNDER_REVIEW)
            .where(col(Review.completed_at).is_(None))
            .order_by(col(Review.due_on))
        ).all():
            waiting.append(
                Waiting(
                    LinkAction.REVIEW,
                    arrangement.reference,
                    arrangement.title,
                    "record the review's outcome",
                    long_date(review.due_on),
                    _late(review.due_on, today),
                    arrangement.reference,
                )
            )
    if who.agency is not None and who.has(ContactRole.POINT_OF_CONTACT):
        for grant, staff in session.exec(
            select(AccessGrant, Contact)
            .join(Contact, col(Contact.id) == AccessGrant.contact_id)
            .join(Agency, col(Agency.id) == AccessGrant.agency_id)
            .where(Agency.name == who.agency, AccessGrant.status != AccessGrantStatus.REVOKED)
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
    if who.chair:
        for matter, agency in _open_suspensions(session):
            set_ = matter.status == SuspensionStatus.MEETING_SCHEDULED
            waiting.append(
                Waiting(
                    LinkAction.MEETING,
                    matter.reference,
                    f"{agency.name} suspended: {matter.reason}",
                    "record the resolution meeting held" if set_ else "set the resolution meeting",
                    long_datetime(matter.meeting_deadline),
                    _late(matter.meeting_deadline, today),
                )
            )
    # sorted is stable: what is not late keeps each matter's own order
    return sorted(waiting, key=lambda w: -w.late_days)


def _open_suspensions(session: Session) -> list[tuple[Suspension, Agency]]:
    return list(
        session.exec(
            select(Suspension, Agency)
            .join(Agency, col(Agency.id) == Suspension.agency_id)
            .where(
                col(Suspension.status).in_(
                    (SuspensionStatus.RAISED, SuspensionStatus.MEETING_SCHEDULED)
                )
            )
            .order_by(col(Suspension.raised_at))
        ).all()
    )


@dataclass(frozen=True)
class ArrangementRow:
    reference: str
    title: str
    status: str
    next: str
    late_days: int = 0

    @property
    def late(self) -> str:
        return overdue_by(self.late_days)


# an arrangement that has ended owes the destruction of what was shared under it, not a review
ENDED = (ArrangementStatus.TERMINATED, ArrangementStatus.LAPSED, ArrangementStatus.DISPOSAL_PENDING)


def arrangements_of(session: Session, who: Person, now: pendulum.DateTime) -> list[ArrangementRow]:
    """The arrangements the person's agency is party to (a chair: every arrangement), with
    their status and what is next: for one in force its review, for one that has ended the
    destruction of its data (§35), with how late either is."""
    today = local_date(now)
    rows = []
    for a in session.exec(_arrangements_stmt(who)).all():
        status = a.status.value.replace("_", " ")
        if a.status in ENDED:
            due = session.exec(
                select(func.min(DisposalTask.due_on))
                .where(DisposalTask.arrangement_id == a.id)
                .where(DisposalTask.status == DisposalTaskStatus.PENDING)
            ).one()
            if due is not None:
                rows.append(
                    ArrangementRow(
                        a.reference,
                        a.title,
                        status,
                        f"disposal due {long_date(due)}",
                        _late(due, today),
                    )
                )
            else:
                rows.append(
                    ArrangementRow(a.reference, a.title, status, "disposal to be scheduled")
                )
        elif a.status is ArrangementStatus.CLOSED:
            rows.append(ArrangementRow(a.reference, a.title, status, "closed: its data destroyed"))
        elif a.next_review_due:
            rows.append(
                ArrangementRow(
                    a.reference,
                    a.title,
                    status,
                    f"review due {long_date(a.next_review_due)}",
                    _late(a.next_review_due, today),
                )
            )
        else:
            rows.append(ArrangementRow(a.reference, a.title, status, ""))
    return rows


def _arrangements_stmt(who: Person) -> Any:
    stmt = select(Arrangement).order_by(col(Arrangement.reference))
    if not who.chair:
        stmt = (
            stmt.join(ArrangementParty, col(ArrangementParty.arrangement_id) == Arrangement.id)
            .join(Agency, col(Agency.id) == ArrangementParty.agency_id)
            .where(Agency.name == who.agency, col(ArrangementParty.left_at).is_(None))
        )
    return stmt


def may_see_arrangement(session: Session, who: Person, reference: str) -> bool:
    """A chair sees every arrangement; a contact those their agency is a party to."""
    return (
        session.exec(_arrangements_stmt(who).where(Arrangement.reference == reference)).first()
        is not None
    )


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


def overdue_for(session: Session, who: Person, now: pendulum.DateTime) -> list[Overdue]:
    """What is overdue in the register (tasks/overview.py) that concerns the person, the latest
    first: for a chair, all of it (what has been escalated to the chairs among it); for a
    contact, what is late on its agency's arrangements and its agency's own matters."""
    today = local_date(now)
    refs = {a.reference for a in session.exec(_arrangements_stmt(who)).all()}
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
                _late(pendulum.parse(due.on).date(), today),  # type: ignore[union-attr]
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
    for notice, consent, agency in session.exec(
        select(ConsentNotice, ConsentWithdrawal, Agency)
        .join(ConsentWithdrawal, col(ConsentWithdrawal.id) == ConsentNotice.consent_id)
        .join(Agency, col(Agency.id) == ConsentNotice.agency_id)
        .where(ConsentNotice.status == ConsentNoticeStatus.PENDING, ConsentNotice.chased >= 3)
    ).all():
        first = chase_dates(pendulum.instance(notice.notified_at), agency.nation)[0]
        out.append(
            (
                agency.name,
                Overdue(
                    notice.reference,
                    f"consent withdrawn: data subject {consent.subject_ref}",
                    "acknowledge that processing has ceased",
                    f"the nominated representative of {agency.name}",
                    _late(first, today),
                    False,
                ),
            )
        )
    for found, isa, owner in session.exec(
        select(DataQualityNotice, Arrangement, Agency)
        .join(Arrangement, col(Arrangement.id) == DataQualityNotice.arrangement_id)
        .join(Agency, col(Agency.id) == DataQualityNotice.owner_id)
        .where(DataQualityNotice.status == DataQualityStatus.OPEN, DataQualityNotice.chased >= 3)
    ).all():
        first = chase_dates(pendulum.instance(found.reported_at), owner.nation)[0]
        out.append(
            (
                owner.name,
                Overdue(
                    found.reference,
                    f"data found inaccurate under {isa.reference}",
                    "record the correction",
                    f"the nominated representative of {owner.name}",
                    _late(first, today),
                    False,
                ),
            )
        )
    for asked, isa, owner in session.exec(
        select(OnwardRequest, Arrangement, Agency)
        .join(Arrangement, col(Arrangement.id) == OnwardRequest.arrangement_id)
        .join(Agency, col(Agency.id) == OnwardRequest.owner_id)
        .where(OnwardRequest.status == OnwardRequestStatus.OPEN, OnwardRequest.chased >= 3)
    ).all():
        first = chase_dates(pendulum.instance(asked.requested_at), owner.nation)[0]
        out.append(
            (
                owner.name,
                Overdue(
                    asked.reference,
                    f"onward sharing with {asked.third_party} under {isa.reference}",
                    "consent or refuse",
                    f"the nominated representative of {owner.name}",
                    _late(first, today),
                    False,
                ),
            )
        )
    for matter, received_by in session.exec(
        select(InformationRequest, Agency)
        .join(Agency, col(Agency.id) == InformationRequest.agency_id)
        .where(InformationRequest.status == InformationRequestStatus.OPEN)
        .where(InformationRequest.reminded >= 3)
    ).all():
        out.append(
            (
                received_by.name,
                Overdue(
                    matter.reference,
                    f"{matter.kind.value} request {matter.their_ref}",
                    "answer the request and record its outcome",
                    f"{received_by.name}'s nominated representative or DPO",
                    _late(matter.due_on, today),
                    False,
                ),
            )
        )
    for incident, agency in session.exec(
        select(SecurityIncident, Agency)
        .join(Agency, col(Agency.id) == SecurityIncident.agency_id)
        .where(SecurityIncident.status == IncidentStatus.REPORTED, SecurityIncident.chased >= 4)
    ).all():
        deadline = regulator_deadline(pendulum.instance(incident.aware_at))
        hours = max(0, int((now - deadline).total_seconds() // 3600))
        out.append(
            (
                agency.name,
                Overdue(
                    incident.reference,
                    f"security incident at {agency.name}",
                    "record whether it is reported to the ICO, and why",
                    f"the DPO of {agency.name}",
                    hours // 24,
                    False,
                    f"{hours} hours overdue" if hours < 48 else "",
                ),
            )
        )
    for incident, originator in session.exec(
        select(SecurityIncident, Agency)
        .join(Agency, col(Agency.id) == SecurityIncident.originator_id)
        .where(col(SecurityIncident.acknowledged_at).is_(None))
        .where(SecurityIncident.acknowledgement_chased >= 3)
    ).all():
        first = chase_dates(pendulum.instance(incident.reported_at), originator.nation)[0]
        out.append(
            (
                originator.name,
                Overdue(
                    incident.reference,
                    "security incident compromising its data",
                    "acknowledge that the agency has been told",
                    f"the nominated representative or DPO of {originator.name}",
                    _late(first, today),
                    False,
                ),
            )
        )
    return out


@dataclass(frozen=True)
class OpenSuspension:
    reference: str
    agency: str
    reason: str
    status: str
    day: int
    meeting_by: str


def open_suspensions(session: Session, now: pendulum.DateTime) -> list[OpenSuspension]:
    """The suspensions still running, with the day of 30 each is on."""
    return [
        OpenSuspension(
            matter.reference,
            agency.name,
            matter.reason,
            matter.status.value.replace("_", " "),
            suspension_day(pendulum.instance(matter.raised_at), now),
            long_datetime(matter.meeting_deadline),
        )
        for matter, agency in _open_suspensions(session)
    ]


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


def use_sign_in(session: Session, *, link_id: int, now: pendulum.DateTime) -> str | None:
    """Spend a sign-in link (once): the address it signs in, or None if it cannot be used."""
    row = session.get(ActionLink, link_id)
    if row is None or row.action != LinkAction.SIGN_IN.value:
        session.rollback()
        return None
    spent = spend_link(session, link_id, now)
    session.commit()
    if not spent:
        return None
    return row.email if person(session, row.email) is not None else None


def _requests_waiting(session: Session, agency: str, now: pendulum.DateTime) -> list[Waiting]:
    """For a nominated representative or DPO: each consultation its agency has yet to reply to
    (§7), and each request its agency received that is due soon (inside the first reminder's
    working days, models.clocks.request_reminder_rung) or overdue with no outcome."""
    waiting: list[Waiting] = []
    home = select(Agency.id).where(Agency.name == agency).scalar_subquery()
    today = local_date(now)
    for consulted, matter, requester in session.exec(
        select(RequestConsultation, InformationRequest, Agency)
        .join(InformationRequest, col(InformationRequest.id) == RequestConsultation.request_id)
        .join(Agency, col(Agency.id) == InformationRequest.agency_id)
        .where(RequestConsultation.status == ConsultationStatus.AWAITING)
        .where(RequestConsultation.agency_id == home)
        .order_by(col(RequestConsultation.reply_by))
    ).all():
        waiting.append(
            Waiting(
                LinkAction.REPLY_CONSULTATION,
                consulted.reference,
                f"{requester.name}'s {matter.kind.value} request {matter.their_ref}",
                "reply to the consultation: no objection, or object",
                long_date(consulted.reply_by),
                _late(consulted.reply_by, today),
            )
        )
    for matter, received_by in session.exec(
        select(InformationRequest, Agency)
        .join(Agency, col(Agency.id) == InformationRequest.agency_id)
        .where(InformationRequest.status == InformationRequestStatus.OPEN)
        .where(InformationRequest.agency_id == home)
        .order_by(col(InformationRequest.due_on))
    ).all():
        if request_reminder_rung(matter.due_on, today, received_by.nation) >= 1:
            waiting.append(
                Waiting(
                    LinkAction.CLOSE_REQUEST,
                    matter.reference,
                    f"{matter.kind.value} request {matter.their_ref}",
                    "answer the request and record its outcome",
                    long_date(matter.due_on),
                    _late(matter.due_on, today),
                )
            )
    return waiting
