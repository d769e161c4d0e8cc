"""What the crash drills check a register against: a snapshot of what its work has committed
(taken after every commit of a clean pass, and of a register whose process was killed), its
content row for row beside a reference register's, and every record's path through its
lifecycle's transition table as its audit log tells it."""

import hashlib
import json
import re
from collections import Counter
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, select, text
from sqlmodel import Session

from models.lifecycles import (
    ACCESS_GRANT,
    AGENCY_MEMBERSHIP,
    ARRANGEMENT,
    DISPOSAL_TASK,
    SUSPENSION,
    WITHDRAWAL,
    Lifecycle,
)
from models.tables import metadata
from tasks.audit import verify_audit

# what a delivery run changes: not part of any change's content (two passes deliver at other
# times, a killed deliverer's row is tried twice)
DELIVERY_COLUMNS = {
    "outbox": {
        "id",
        "status",
        "attempts",
        "claim",
        "claimed_at",
        "next_attempt_at",
        "sent_at",
        "smtp_reply",
        "last_error",
    },
    "event_outbox": {"id", "event_id", "published_at", "attempts", "last_error"},
    # an older link is voided when the email carrying its replacement is sent, at that moment
    "action_link": {"voided_at"},
}
# the installation row is the migration's, each message's MIME boundaries are random, and a
# message is compared under its dedupe key, not its row id
NOT_COMPARED = {"installation", "outbox_message"}
BOUNDARY = re.compile(r"={15}\d+==")


def _plain(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(engine: Engine, table: str, leave_out: set[str]) -> Counter[tuple[Any, ...]]:
    columns = [c for c in metadata.tables[table].columns if c.name not in leave_out]
    with engine.connect() as conn:
        return Counter(
            tuple(_plain(v) for v in row) for row in conn.execute(select(*columns)).all()
        )


def snapshot(engine: Engine) -> dict[str, Any]:
    """What the register's work has committed, and nothing a delivery run changes: how many
    audit events, a digest of every record's row, the emails queued (dedupe keys) and the Prefect
    events owed. Equal snapshots: the same changes, with the same emails, are in."""
    digest = hashlib.sha256()
    for table in sorted(metadata.tables):
        if table in NOT_COMPARED or table in ("outbox", "event_outbox"):
            continue
        leave_out = DELIVERY_COLUMNS.get(table, set())
        rows = sorted(repr(row) for row in _rows(engine, table, leave_out).elements())
        digest.update(f"{table}:{len(rows)}:{'|'.join(rows)}".encode())
    with engine.connect() as conn:
        audit = conn.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
        keys = sorted(k for (k,) in conn.execute(text("SELECT dedupe_key FROM outbox")))
        events = sorted(
            f"{e} {c} {r}"
            for e, c, r in conn.execute(text("SELECT event, cause, reference FROM event_outbox"))
        )
    return {
        "audit": int(audit),
        "register": digest.hexdigest(),
        "emails": keys,
        "events": events,
    }


def content(engine: Engine) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every row of every table as a multiset (no surrogate ids, no delivery columns), each
    email's message under its dedupe key: to compare a drilled register with the reference."""
    out: dict[str, Counter[tuple[Any, ...]]] = {}
    for table in metadata.tables:
        if table in NOT_COMPARED:
            continue
        out[table] = _rows(engine, table, DELIVERY_COLUMNS.get(table, {"id"}))
    outbox, message = metadata.tables["outbox"], metadata.tables["outbox_message"]
    with engine.connect() as conn:
        out["outbox_message"] = Counter(
            (key, BOUNDARY.sub("=boundary=", body))
            for key, body in conn.execute(
                select(outbox.c.dedupe_key, message.c.message).join(
                    outbox, outbox.c.id == message.c.outbox_id
                )
            )
        )
    return out


def outbox_emails(engine: Engine) -> dict[str, tuple[str, str, str]]:
    """Each email queued: dedupe key -> (its status, its Message-ID, its recipient)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT dedupe_key, status, message_id, recipient FROM outbox")
        ).all()
    return {key: (status, mid, rcpt) for key, status, mid, rcpt in rows}


def delivery_state(engine: Engine) -> tuple[Any, ...]:
    """Where delivery stands, but for its times and the ids each process makes anew: each
    email's status and attempts (by dedupe key), and each Prefect event's (by what it tells)
    publication. Two registers equal in this and in their snapshot are rerun alike (a run's
    leases and backoffs are minutes, its times seconds apart)."""
    with engine.connect() as conn:
        emails = sorted(
            (key, status, attempts)
            for key, status, attempts in conn.execute(
                text("SELECT dedupe_key, status, attempts FROM outbox")
            )
        )
        events = sorted(
            (f"{event} {cause} {reference}", published is not None, attempts)
            for event, cause, reference, published, attempts in conn.execute(
                text("SELECT event, cause, reference, published_at, attempts FROM event_outbox")
            )
        )
    return tuple(emails), tuple(events)


# --- lifecycles --------------------------------------------------------------------------------

LIFECYCLES: Mapping[str, tuple[Lifecycle[Any], str]] = {
    "agency": (AGENCY_MEMBERSHIP, "SELECT name, status FROM agency"),
    "arrangement": (ARRANGEMENT, "SELECT reference, status FROM arrangement"),
    "suspension": (SUSPENSION, "SELECT reference, status FROM suspension"),
    "access_grant": (ACCESS_GRANT, "SELECT reference, status FROM access_grant"),
    "disposal_task": (DISPOSAL_TASK, "SELECT reference, status FROM disposal_task"),
    "withdrawal": (WITHDRAWAL, "SELECT reference, status FROM withdrawal"),
}
# a sweep's batch event names every record it moved, and the move (tasks/sweeps.py,
# tasks/protocol/access_sweep.py): (kind, the `after` key naming them, the state they moved to)
BATCH_MOVES = {
    "arrangement.open_review": ("arrangement", "opened", None),
    "review.escalate": ("arrangement", "overdue", "lapsed"),
    "access.revoke": ("access_grant", "revoked", "revoked"),
}


def statuses(engine: Engine) -> dict[tuple[str, str], str]:
    """Every lifecycle record's status: (kind, reference) -> status."""
    out: dict[tuple[str, str], str] = {}
    with engine.connect() as conn:
        for kind, (_, sql) in LIFECYCLES.items():
            for ref, status in conn.execute(text(sql)):
                out[(kind, ref)] = str(status)
    return out


def _legal(lifecycle: Lifecycle[Any], was: str, now: str) -> bool:
    return any(
        src.value == was and dst.value == now for (src, _), dst in lifecycle.transitions.items()
    )


def _parsed(value: Any) -> dict[str, Any]:
    """An audit event's before or after: a dict, JSON text, or nothing (None, JSON null)."""
    return (value if isinstance(value, dict) else json.loads(value) if value else None) or {}


def _moves(action: str, subject_type: str | None, ref: str | None, before: Any, after: Any) -> Any:
    """(kind, reference, the status before as the event says it or None, the status after)."""
    after, before = _parsed(after), _parsed(before)
    if subject_type in LIFECYCLES and ref is not None and "status" in after:
        yield subject_type, ref, before.get("status"), after["status"]
    if subject_type == "sweep" and action in BATCH_MOVES:
        kind, key, state = BATCH_MOVES[action]
        for reference, what in (after.get(key) or {}).items():
            if action == "review.escalate" and what != "lapsed":
                continue
            yield kind, reference, None, state or after["status"]


def last_seq(engine: Engine) -> int:
    """The audit log's last event: where the work's own events begin after."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT coalesce(max(seq), 0) FROM audit_event")).scalar_one())


def lifecycle_problems(
    engine: Engine, start: Mapping[tuple[str, str], str], since: int = 0
) -> list[str]:
    """Walk the audit log past event `since` from `start` (each record's status then, before the
    work; a record not in it is created by the work, in its lifecycle's first state): every move
    must be one its lifecycle's table allows, from the state the record was in (no move made
    twice, none skipped), and every record must end where the log leaves it. Returns what is
    wrong."""
    problems: list[str] = []
    current = dict(start)
    with engine.connect() as conn:
        events = conn.execute(
            text(
                "SELECT seq, action, outcome, subject_type, subject_ref, before, after "
                "FROM audit_event WHERE seq > :since ORDER BY seq"
            ),
            {"since": since},
        ).all()
    for seq, action, outcome, subject_type, ref, before, after in events:
        if outcome != "done":
            continue
        if (
            subject_type in LIFECYCLES
            and ref is not None
            and (subject_type, ref) not in current
            and "status" not in _parsed(after)
        ):
            # created by an event that does not say its status (a withdrawal's notice): in its
            # lifecycle's first state, as the use case's insert leaves it
            current[(subject_type, ref)] = LIFECYCLES[subject_type][0].initial.value
        for kind, reference, was, now in _moves(action, subject_type, ref, before, after):
            lifecycle = LIFECYCLES[kind][0]
            held = current.get((kind, reference))
            where = f"#{seq} {action} on {kind} {reference}"
            if held is None:
                if was is not None or now != lifecycle.initial.value:
                    problems.append(f"{where}: created as {was} -> {now}")
            elif was is not None:
                if was != held:
                    problems.append(f"{where}: moves from {was}, but it was {held}")
                if not _legal(lifecycle, was, now):
                    problems.append(f"{where}: {was} -> {now} is not in the {lifecycle.name} table")
            elif now != held and not _legal(lifecycle, held, now):
                problems.append(f"{where}: {held} -> {now} is not in the {lifecycle.name} table")
            current[(kind, reference)] = now
    for key, status in statuses(engine).items():
        if current.get(key, status) != status:
            problems.append(f"{key[0]} {key[1]} is {status}; its audit log says {current[key]}")
        lifecycle = LIFECYCLES[key[0]][0]
        if status not in {s.value for s in lifecycle.states}:
            problems.append(f"{key[0]} {key[1]} is {status}: not a {lifecycle.name} state")
    return problems


def audit_verified(engine: Engine) -> tuple[str | None, int]:
    """`isa audit verify`: the chain and head whole, and no record the log tells of otherwise
    than the register holds it (a register built in bulk has records the log never told of:
    those are not differences a use case made). Returns the first problem (None) and how many
    events verified."""
    with Session(engine) as session:
        result = verify_audit(session)
    told = [d for d in result.differences if d.seq != 0]
    if told:
        return f"the register differs from its audit log: {told[0]}", result.events
    if result.broken is not None and not result.broken.startswith("the register differs"):
        return result.broken, result.events
    return None, result.events
