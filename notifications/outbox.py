"""Queueing emails in the outbox, inside the use case's own transaction: the unit of work calls
`queue_notifications` just before it commits, so the state change and its emails land together
or not at all, and a unique dedupe key means no rerun or race queues one email twice."""

import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import pendulum
from sqlalchemy import CursorResult, Table, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from models.events import DomainEvent
from models.links import LinkIssuer
from notifications.catalog import Notice, notice_for
from notifications.context import (
    Recipient,
    event_fields,
    merged_facts,
    occurrence_of,
    recipients_of,
    shared_context,
    with_recipient,
)
from notifications.invitation import meeting_invitation
from notifications.links import insert_links, issuer_of, link_of, redacted
from notifications.message import Sender, compose, message_id, serialise, unsendable
from notifications.register_view import SqlRegisterView
from notifications.render import RenderedEmail, render_email
from notifications.tables import OutboxEmail, OutboxMessage, OutboxStatus

outbox: Table = OutboxEmail.__table__  # type: ignore[attr-defined]
outbox_message: Table = OutboxMessage.__table__  # type: ignore[attr-defined]

# SQLite allows 32,766 bound values a statement; 500 rows of ~15 columns stays well inside it.
_INSERT_CHUNK = 500
# Records a cancelling statement names at once (with the keys kept, a few per record).
_CANCEL_CHUNK = 500


class QueueingUnit(Protocol):
    """What queueing needs of a unit of work (tasks.uow.UnitOfWork has it)."""

    session: Session
    now: pendulum.DateTime
    events: list[DomainEvent]


def dedupe_key(event: str, subject_ref: str, recipient: str, occurrence: str) -> str:
    """One email ever owed: this event, about this record, to this person, this occurrence."""
    identity = json.dumps([event, subject_ref, recipient.lower(), occurrence])
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()


def queue_notifications(uow: QueueingUnit) -> int:
    """Queue the emails every event of the unit of work sends; returns how many rows are new.

    A sweep's batch can hold a thousand events: their records are read in a few queries, their
    cancellations made in one statement per kind, and their rows inserted together. The result
    is the same as queueing the events one by one, in order.
    """
    view = SqlRegisterView(uow.session)
    issuer = issuer_of(uow.session)
    view.prefetch(
        str(fields["arrangement"])
        for fields in (event_fields(e) for e in uow.events)
        if isinstance(fields.get("arrangement"), str)
    )
    rows: list[dict[str, Any]] = []
    cancels: dict[tuple[str, tuple[str, ...]], set[str]] = {}
    merged = _merges(uow.events)
    for index, event in enumerate(uow.events):
        notice = notice_for(event.name)
        fields = event_fields(event)
        subject = str(fields[notice.subject])
        new: list[dict[str, Any]] = []
        if notice.sends_to(fields):
            shared = shared_context(notice, fields, view, uow.now)
            told = merged.absorbed.get(index)
            if told:
                shared["merged"] = {
                    other.name: merged_facts(event_fields(other), view) for other in told
                }
            people = recipients_of(notice, fields, view)
            if "calendar" in shared:
                # the invitation names everyone invited, so each sees who else is
                shared["calendar"] = {
                    **shared["calendar"],
                    "attendees": [{"email": p.email, "name": p.name} for p in people],
                }
            into = merged.into.get(index)
            if into is not None:
                # whoever the merged email goes to reads this news there
                absorber = notice_for(into.name)
                covered = {p.email for p in recipients_of(absorber, event_fields(into), view)}
                people = [p for p in people if p.email not in covered]
            new = [draft(notice, shared, p, uow.now, issuer) for p in people]
        if notice.cancels:
            cancels.setdefault((notice.event, notice.cancels), set()).add(subject)
            # an email this same unit queued earlier is withdrawn just as a stored one would be,
            # unless it is the very email about to be queued again (the same dedupe key)
            keep = {row["dedupe_key"] for row in new}
            for row in rows:
                if (
                    row["event"] in notice.cancels
                    and row["subject_ref"] == subject
                    and row["dedupe_key"] not in keep
                ):
                    row["status"] = OutboxStatus.CANCELLED
                    row["last_error"] = f"cancelled by {notice.event}"
        rows += new
    queued: dict[str, set[str]] = {}
    for row in rows:
        if row["status"] == OutboxStatus.PENDING:
            queued.setdefault(row["subject_ref"], set()).add(row["dedupe_key"])
    for (by, events), subjects in cancels.items():
        cancel_pending(
            uow.session, events=events, subject_refs=sorted(subjects), by=by, keep=queued
        )
    # an email cancelled before it was ever queued gives out no link
    links = [
        link
        for link, status in ((row.pop("link", None), row["status"]) for row in rows)
        if link is not None and status == OutboxStatus.PENDING
    ]
    added = insert_rows(uow.session, rows)
    insert_links(uow.session, links, uow.now)
    return added


@dataclass
class _Merges:
    # event index -> the events whose news its email also carries
    absorbed: dict[int, list[DomainEvent]] = field(default_factory=dict)
    # event index -> the event whose email carries its news
    into: dict[int, DomainEvent] = field(default_factory=dict)


def _merges(events: Sequence[DomainEvent]) -> _Merges:
    """Which of a unit of work's events are one moment (Notice.merged_into): the same record,
    in the same transaction."""
    merges = _Merges()
    for index, event in enumerate(events):
        notice = notice_for(event.name)
        if not notice.merged_into or not notice.sends_to(event_fields(event)):
            continue
        subject = event_fields(event)[notice.subject]
        for other_index, other in enumerate(events):
            if other.name not in notice.merged_into:
                continue
            absorber, fields = notice_for(other.name), event_fields(other)
            if absorber.sends_to(fields) and fields.get(absorber.subject) == subject:
                merges.into[index] = other
                merges.absorbed.setdefault(other_index, []).append(event)
                break
    return merges


def draft(
    notice: Notice,
    shared: dict[str, Any],
    recipient: Recipient,
    now: pendulum.DateTime,
    issuer: LinkIssuer | None = None,
) -> dict[str, Any]:
    """One outbox row, rendered and built into the message that will be sent: a template that
    cannot render fails the use case here, before anything is committed, rather than an email
    going missing later. An email that asks its recipient to act carries their personal link
    (its row, under "link", is written with the email)."""
    assert notice.template is not None
    context = with_recipient(shared, recipient)
    occurrence = occurrence_of(notice, context)
    key = dedupe_key(notice.event, shared["reference"], recipient.email, occurrence)
    link = link_of(issuer, notice, context, recipient, key, now)
    if link is not None:
        context["link"] = link[1]
    rendered = render_email(notice.template, context)
    context = redacted(context)
    calendar = context.get("calendar")
    sender = Sender.from_context(shared["sender"])
    problem = unsendable(recipient.email)
    if problem is not None:
        # one address that cannot be sent to (recorded before input refused it) must not stop
        # the change: its row is queued failed, saying why, for `isa outbox list --status failed`
        return {
            **_row(notice, shared, recipient, key, occurrence, context, rendered, now, sender),
            "message": "",
            "status": OutboxStatus.FAILED,
            "last_error": problem,
        }
    message = compose(
        recipient=recipient.email,
        recipient_name=recipient.name,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        message_id=message_id(key, sender),
        reference=shared["reference"],
        at=now,
        invitation=(
            meeting_invitation(calendar, recipient=context["recipient"]) if calendar else None
        ),
        invitation_method=calendar["method"] if calendar else None,
        reply_to=sender.office_mailbox,
    )
    return {
        **_row(notice, shared, recipient, key, occurrence, context, rendered, now, sender),
        # not outbox columns: insert_rows puts the message in outbox_message, and
        # queue_notifications the link in action_link
        "message": serialise(message),
        "link": link[0] if link is not None else None,
        "status": OutboxStatus.PENDING,
        "last_error": None,
    }


def _row(
    notice: Notice,
    shared: Mapping[str, Any],
    recipient: Recipient,
    key: str,
    occurrence: str,
    context: Mapping[str, Any],
    rendered: RenderedEmail,
    now: pendulum.DateTime,
    sender: Sender,
) -> dict[str, Any]:
    return {
        "dedupe_key": key,
        "event": notice.event,
        "subject_ref": shared["reference"],
        "recipient": recipient.email,
        "recipient_name": recipient.name,
        "occurrence": occurrence,
        "template": notice.template,
        "context": context,
        "subject": rendered.subject,
        "message_id": message_id(key, sender),
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


# what a drafted row carries that is not a column of `outbox`
_NOT_COLUMNS = ("message", "link")


def insert_rows(session: Session, rows: Sequence[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT (dedupe_key) DO NOTHING: a row already queued, by an earlier run
    or by a concurrent one, is left as it is. Returns how many rows were new."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    added = 0
    for start in range(0, len(rows), _INSERT_CHUNK):
        chunk = rows[start : start + _INSERT_CHUNK]
        messages = {row["dedupe_key"]: row["message"] for row in chunk}
        stmt = (
            insert(outbox)
            .values([{k: v for k, v in row.items() if k not in _NOT_COLUMNS} for row in chunk])
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
            # only the rows actually inserted come back
            .returning(outbox.c.id, outbox.c.dedupe_key)
        )
        new = session.execute(stmt).all()
        if new:
            session.execute(
                outbox_message.insert(),
                [{"outbox_id": row_id, "message": messages[key]} for row_id, key in new],
            )
        added += len(new)
    return added


def cancel_pending(
    session: Session,
    *,
    events: Iterable[str],
    subject_refs: Sequence[str],
    by: str,
    keep: Mapping[str, Collection[str]] | None = None,
) -> int:
    """Withdraw still-pending emails of these events about these records (a reminder about a
    meeting already held). An email already being sent is left to finish, and so is one whose
    dedupe key `keep` lists under its record: the caller is queueing that same email now (a
    second sweep reaching a reminder the first has just queued must not withdraw it)."""
    cancelled = 0
    for start in range(0, len(subject_refs), _CANCEL_CHUNK):
        refs = subject_refs[start : start + _CANCEL_CHUNK]
        stmt = (
            update(outbox)
            .where(outbox.c.status == OutboxStatus.PENDING.value)
            .where(outbox.c.event.in_(list(events)))
            .where(outbox.c.subject_ref.in_(refs))
            .values(status=OutboxStatus.CANCELLED.value, last_error=f"cancelled by {by}")
        )
        kept = sorted(key for ref in refs for key in (keep or {}).get(ref, ()))
        if kept:
            stmt = stmt.where(outbox.c.dedupe_key.not_in(kept))
        result = session.execute(stmt)
        cancelled += cast(CursorResult[Any], result).rowcount
    return cancelled
