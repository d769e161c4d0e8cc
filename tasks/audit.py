"""Reading, checkpointing and verifying the audit log.

Verification proves four things, each catching what the one before cannot: the keyed chain
(every event unaltered, none removed from the middle or reordered, and none computed without
the key), the head (nothing removed from the end, unless the head was moved too), the signed
checkpoints kept outside the database (nothing removed from the end or rewritten before the
last checkpoint, even with the head moved and the chain recomputed), and a replay of the log
against the register's tables (nothing changed in the register without an audit event).
"""

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import pendulum
from sqlmodel import Session, col, select

from core.files import private_directory, write_private_file
from models.audit import GENESIS_HASH, AuditSeal, Checkpoint
from models.errors import InvalidInput, IsaError
from models.events import AuditCheckpointed
from models.replay import RECORDS, Difference, Event, differences, replay
from models.tables import (
    AccessGrant,
    Agency,
    Arrangement,
    AuditEvent,
    AuditHead,
    DisposalTask,
    Suspension,
)
from tasks.uow import audit_seal_of, sealed_hash, unit_of_work


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"audit event #{self.seq}: {self.problem}"


@dataclass(frozen=True)
class Verification:
    """What `verify_audit` checked, and the first thing it found wrong (None: nothing)."""

    events: int
    checkpoints: int
    records: int
    broken: str | None
    # every register record that disagrees with the log, first one first
    differences: tuple[Difference, ...] = ()


def _in_order(session: Session, batch: int = 1000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.seq > last)
            .order_by(col(AuditEvent.seq))
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def _chain(
    session: Session, seal: AuditSeal, replayed: list[Event]
) -> tuple[int, ChainBreak | None]:
    """Recompute every hash in order; how many events checked out, and the first break."""
    key = seal.key
    expected_prev, expected_seq, count = GENESIS_HASH, 1, 0
    for event in _in_order(session):
        if event.seq != expected_seq:
            return count, ChainBreak(
                expected_seq, f"is missing (the sequence jumps to #{event.seq})"
            )
        if event.prev_hash != expected_prev:
            return count, ChainBreak(event.seq, "does not follow the event before it (prev_hash)")
        if sealed_hash(key, event) != event.hash:
            if event.seq == 1 and not _last_sealed_by(session, key):
                # neither end verifies: a log rewritten whole without the key, or a key that is
                # not the register's, which the log alone cannot tell apart: say both
                return count, ChainBreak(
                    1,
                    "has been altered: its content does not match its hash, nor does the last "
                    f"event's (no event verifies with the audit key from {seal.source}: if that "
                    "is not the key that sealed this register, it is the wrong key, not an "
                    "alteration)",
                )
            # also what an event whose hash was computed without the key looks like
            return count, ChainBreak(
                event.seq, "has been altered: its content does not match its hash"
            )
        replayed.append(
            Event(
                event.seq,
                event.action,
                event.outcome.value,
                event.subject_type,
                event.subject_ref,
                event.after,
            )
        )
        expected_prev, expected_seq, count = event.hash, event.seq + 1, count + 1
    head = session.get(AuditHead, 1)
    if head is None or head.seq != count or head.hash != expected_prev:
        return count, ChainBreak(
            count + 1,
            "the chain's head does not match its last event (events were removed from the end)",
        )
    return count, None


def _last_sealed_by(session: Session, key: bytes) -> bool:
    last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1)).first()
    return last is not None and sealed_hash(key, last) == last.hash


def _hash_at(session: Session, seq: int) -> str | None:
    if seq == 0:
        return GENESIS_HASH
    return session.exec(select(AuditEvent.hash).where(AuditEvent.seq == seq)).first()


def _against(
    session: Session, key: bytes, count: int, checkpoints: Sequence[tuple[str, Checkpoint]]
) -> str | None:
    """The first published checkpoint the log does not extend, said in one line."""
    for source, checkpoint in sorted(checkpoints, key=lambda c: c[1].seq):
        when = f"the checkpoint of {checkpoint.at} ({source})"
        if not checkpoint.is_signed_by(key):
            return f"{when} is not signed with this register's audit key"
        if checkpoint.seq > count:
            return (
                f"the log ends at event #{count} but {when} records event #{checkpoint.seq}: "
                "events were removed from the end"
            )
        if _hash_at(session, checkpoint.seq) != checkpoint.head:
            return (
                f"audit event #{checkpoint.seq} is not the one {when} records: the log was "
                "rewritten"
            )
    return None


def _value(status: object) -> str:
    return str(status.value if isinstance(status, Enum) else status)


def register_state(session: Session) -> dict[str, dict[str, dict[str, Any]]]:
    """What the register's tables hold of each record the audit log accounts for."""
    state: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in RECORDS}
    for name, status in session.exec(select(Agency.name, Agency.status)).all():
        state["agency"][name] = {"status": _value(status)}
    for ref, status, version in session.exec(
        select(Arrangement.reference, Arrangement.status, Arrangement.version)
    ).all():
        state["arrangement"][ref] = {"status": _value(status), "version": version}
    for kind, model in (
        ("access_grant", AccessGrant),
        ("suspension", Suspension),
        ("disposal_task", DisposalTask),
    ):
        for ref, status in session.exec(select(model.reference, model.status)).all():
            state[kind][ref] = {"status": _value(status)}
    return state


def verify_audit(
    session: Session, checkpoints: Sequence[tuple[str, Checkpoint]] = ()
) -> Verification:
    """Check the chain, its head, every checkpoint given (with where it came from) and the
    register's current state against a replay of the log; the first problem found is named."""
    seal = audit_seal_of(session)
    key = seal.key
    replayed: list[Event] = []
    count, broken = _chain(session, seal, replayed)
    if broken is not None:
        return Verification(count, 0, 0, f"audit chain broken at {broken}")
    problem = _against(session, key, count, checkpoints)
    if problem is not None:
        return Verification(
            count, len(checkpoints), 0, f"audit log cut back or rewritten: {problem}"
        )
    state = register_state(session)
    found = tuple(differences(replay(replayed), state))
    records = sum(len(held) for held in state.values())
    if found:
        more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
        problem = f"the register differs from its audit log: {found[0]}{more}"
    return Verification(count, len(checkpoints), records, problem, found)


# --- checkpoints ---------------------------------------------------------------------------------


def take_checkpoint(session: Session, *, actor: str, now: pendulum.DateTime) -> Checkpoint:
    """Sign the chain's head as it stands, record that in the log, and send it to the chairs."""
    with unit_of_work(session, actor=actor, now=now, action="audit.checkpoint") as uow:
        seq, head = session.execute(
            select(col(AuditHead.seq), col(AuditHead.hash)).where(col(AuditHead.id) == 1)
        ).one()
        at = pendulum.instance(now).in_timezone("UTC").isoformat()
        checkpoint = Checkpoint(seq, head, at).signed(audit_seal_of(session).key)
        reference = f"audit event #{seq}"
        uow.record(
            "audit.checkpoint",
            subject_type="audit",
            subject_ref=reference,
            after=checkpoint.as_dict(),
        )
        uow.emit(AuditCheckpointed(reference, seq, head, at, checkpoint.to_json()))
    return checkpoint


def save_checkpoint(checkpoint: Checkpoint, directory: Path) -> Path:
    """Write the checkpoint to its own file, readable by its owner only."""
    stamp = pendulum.parse(checkpoint.at).format("YYYYMMDD[T]HHmmss[Z]")  # type: ignore[union-attr]
    path = directory / f"checkpoint-{checkpoint.seq:09d}-{stamp}.json"
    try:
        private_directory(directory)
        write_private_file(path, checkpoint.to_json().encode("utf-8"))
    except FileExistsError:
        pass  # the same checkpoint, kept twice in one second: it is there
    except OSError as exc:
        raise IsaError(
            f"cannot keep the checkpoint in {directory}: {exc.strerror or exc} (it was emailed "
            "to the chairs and recorded in the audit log)"
        ) from None
    return path


# A checkpoint is about 250 bytes: more than this is not one (and /dev/zero is not read to the end).
MAX_CHECKPOINT_BYTES = 64 * 1024


def read_checkpoint(path: Path) -> Checkpoint:
    try:
        with path.open("rb") as handle:
            content = handle.read(MAX_CHECKPOINT_BYTES + 1)
        if len(content) > MAX_CHECKPOINT_BYTES:
            raise InvalidInput(
                f"{path}: not an audit checkpoint: larger than {MAX_CHECKPOINT_BYTES // 1024} KiB"
            )
        raw = json.loads(content.decode("utf-8"))
        return Checkpoint.from_dict(raw)
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read checkpoint {path}: {exc}") from None
    except ValueError as exc:
        # not JSON, not a checkpoint, or a path with a NUL in it
        raise InvalidInput(f"{path}: {exc}") from None
    except RecursionError:
        raise InvalidInput(f"{path}: not an audit checkpoint: JSON nested too deep") from None


def stored_checkpoints(directory: Path) -> list[tuple[str, Checkpoint]]:
    """Every checkpoint kept in `directory`, oldest first."""
    if not directory.is_dir():
        return []
    return [(path.name, read_checkpoint(path)) for path in sorted(directory.glob("*.json"))]


def checkpoints_to_check(source: str | None, directory: Path) -> list[tuple[str, Checkpoint]]:
    """`--checkpoint FILE|latest`, or with none given every checkpoint kept in `directory`."""
    if source is None:
        return stored_checkpoints(directory)
    if source == "latest":
        kept = stored_checkpoints(directory)
        if not kept:
            raise InvalidInput(
                f"no checkpoint is kept in {directory}: take one first",
                command="isa audit checkpoint",
            )
        return [max(kept, key=lambda c: c[1].seq)]
    path = Path(source)
    return [(str(path), read_checkpoint(path))]
