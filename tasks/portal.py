"""The portal's person: who a signed-in address is, asking for a sign-in link by email and
spending it, and what the person's page reads besides what waits on them (tasks/waiting.py):
their agency's arrangements (for a chair, the whole register) and the open suspensions with
their day count."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pendulum
from sqlalchemy import func
from sqlmodel import Session, col, select

from models.clocks import (
    days_overdue,
    local_date,
    suspension_day,
)
from models.enums import (
    ArrangementStatus,
    ContactRole,
    DisposalTaskStatus,
    SuspensionStatus,
)
from models.errors import InvalidInput
from models.events import SignInRequested
from models.inputs import normalise_email
from models.links import SIGN_IN_MINUTES, LinkAction
from models.tables import (
    Agency,
    Arrangement,
    ArrangementParty,
    Chair,
    Contact,
    ContactRoleAssignment,
    DisposalTask,
    Suspension,
)
from notifications.links import spend_link
from notifications.render import long_date, long_datetime
from notifications.tables import ActionLink
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


def overdue_by(days: int) -> str:
    """'40 days overdue', or "" when not overdue."""
    if days <= 0:
        return ""
    return f"{days} day{'s' if days != 1 else ''} overdue"


def days_late(due: Any, today: pendulum.Date) -> int:
    """Whole days `today` is past `due` (a date, or an instant taken on its London date)."""
    if due is None:
        return 0
    if isinstance(due, datetime):
        due = local_date(pendulum.instance(due))
    return days_overdue(pendulum.Date(due.year, due.month, due.day), today)


def suspensions_running(session: Session) -> list[tuple[Suspension, Agency]]:
    """The suspensions still running (raised, or with their meeting set), the oldest first."""
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
    for a in session.exec(arrangements_stmt(who)).all():
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
                        days_late(due, today),
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
                    days_late(a.next_review_due, today),
                )
            )
        else:
            rows.append(ArrangementRow(a.reference, a.title, status, ""))
    return rows


def arrangements_stmt(who: Person) -> Any:
    """The arrangements the person sees: a chair every one, a contact their agency's."""
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
        session.exec(arrangements_stmt(who).where(Arrangement.reference == reference)).first()
        is not None
    )


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
        for matter, agency in suspensions_running(session)
    ]
