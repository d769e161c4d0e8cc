"""Read models for the register's listings (the command line's `list` commands, later the web):
each a list of small frozen records in the register's words, read in one or two queries.
Read-only."""

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, func, select

from models.enums import ArrangementStatus
from models.policies import MAX_ROWS
from models.tables import Agency, Arrangement, Contact, ContactRoleAssignment, DisposalTask
from notifications.tables import OutboxEmail, OutboxStatus
from tasks.lookup import agency_by_name


def as_dicts(rows: list[Any]) -> list[dict[str, Any]]:
    """A listing as plain data (JSON output)."""
    return [asdict(row) for row in rows]


@dataclass(frozen=True)
class AgencyRow:
    name: str
    status: str
    ico_registration: str | None
    security_standard: str | None
    nation: str


def agencies(session: Session) -> list[AgencyRow]:
    """Every partner agency by name, with its membership status."""
    return [
        AgencyRow(
            name=a.name,
            status=a.status.value,
            ico_registration=a.ico_registration,
            security_standard=a.security_standard.value if a.security_standard else None,
            nation=a.nation.value,
        )
        for a in session.exec(select(Agency).order_by(col(Agency.name))).all()
    ]


@dataclass(frozen=True)
class ContactRow:
    agency: str
    email: str
    name: str
    roles: list[str]
    left: bool


def contacts(session: Session, agency: str | None = None) -> list[ContactRow]:
    """The people at every agency (or at `agency`), with their roles, by agency and name."""
    stmt = (
        select(Contact, Agency)
        .join(Agency, col(Agency.id) == Contact.agency_id)
        .order_by(col(Agency.name), col(Contact.name), col(Contact.email))
    )
    if agency is not None:
        stmt = stmt.where(Contact.agency_id == agency_by_name(session, agency).id)
    people = session.exec(stmt).all()
    roles: dict[int, list[str]] = {}
    for contact_id, role in session.exec(
        select(ContactRoleAssignment.contact_id, ContactRoleAssignment.role)
    ).all():
        roles.setdefault(contact_id, []).append(str(role))
    return [
        ContactRow(
            agency=home.name,
            email=person.email,
            name=person.name,
            roles=sorted(roles.get(person.id or 0, [])),
            left=person.left_at is not None,
        )
        for person, home in people
    ]


@dataclass(frozen=True)
class ArrangementRow:
    reference: str
    title: str
    status: str
    version: int
    next_review_due: str | None


def arrangements(session: Session, status: ArrangementStatus | None = None) -> list[ArrangementRow]:
    """Every arrangement by reference, or those in one status."""
    stmt = select(Arrangement).order_by(col(Arrangement.reference))
    if status is not None:
        stmt = stmt.where(Arrangement.status == status)
    return [
        ArrangementRow(
            reference=a.reference,
            title=a.title,
            status=a.status.value,
            version=a.version,
            next_review_due=a.next_review_due.isoformat() if a.next_review_due else None,
        )
        for a in session.exec(stmt).all()
    ]


@dataclass(frozen=True)
class DisposalRow:
    task: str
    arrangement: str
    agency: str
    due_on: str
    status: str
    certificate: str | None


def disposal_tasks(session: Session, *, overdue_on: date | None = None) -> list[DisposalRow]:
    """Every disposal task by due date, or only those still pending past `overdue_on`."""
    stmt = (
        select(DisposalTask, Arrangement.reference, Agency.name)
        .join(Arrangement, col(Arrangement.id) == DisposalTask.arrangement_id)
        .join(Agency, col(Agency.id) == DisposalTask.agency_id)
        .order_by(col(DisposalTask.due_on), col(DisposalTask.id))
    )
    if overdue_on is not None:
        stmt = stmt.where(DisposalTask.status == "pending").where(DisposalTask.due_on < overdue_on)
    return [
        DisposalRow(
            task=t.reference,
            arrangement=ref,
            agency=agency,
            due_on=t.due_on.isoformat(),
            status=t.status.value,
            certificate=t.certificate,
        )
        for t, ref, agency in session.exec(stmt).all()
    ]


@dataclass(frozen=True)
class EmailRow:
    id: int | None
    status: str
    event: str
    about: str
    recipient: str
    subject: str
    attempts: int
    next_attempt_at: str
    sent_at: str | None
    message_id: str
    smtp_reply: str | None
    last_error: str | None


def emails(
    session: Session, *, status: OutboxStatus | None = None, limit: int = 50
) -> tuple[list[EmailRow], int]:
    """The newest `limit` queued emails (or those in one status), and how many there are."""
    stmt = select(OutboxEmail).order_by(col(OutboxEmail.id).desc()).limit(min(limit, MAX_ROWS))
    counting = select(func.count()).select_from(OutboxEmail)
    if status is not None:
        stmt = stmt.where(OutboxEmail.status == status)
        counting = counting.where(OutboxEmail.status == status)
    total = session.exec(counting).one()
    rows = [
        EmailRow(
            id=row.id,
            status=row.status.value,
            event=row.event,
            about=row.subject_ref,
            recipient=row.recipient,
            subject=row.subject,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at.isoformat(),
            sent_at=row.sent_at.isoformat() if row.sent_at else None,
            message_id=row.message_id,
            smtp_reply=row.smtp_reply,
            last_error=row.last_error,
        )
        for row in session.exec(stmt).all()
    ]
    return rows, total
