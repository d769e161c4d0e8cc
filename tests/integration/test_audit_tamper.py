"""The audit log tried as an attacker with the database's own rights would try it: every way of
rewriting history the issue lists, each caught by `verify_audit` and named, on SQLite and
PostgreSQL. The database itself refuses UPDATE and DELETE of audit rows, so each attack below
starts by dropping that guard, as such an attacker could."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pendulum
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from models.audit import GENESIS_HASH, Checkpoint, audit_hash
from models.tables import Agency, AuditEvent
from tasks.audit import (
    checkpoints_to_check,
    read_checkpoint,
    save_checkpoint,
    take_checkpoint,
    verify_audit,
)
from tasks.protocol.disposal import schedule_disposal
from tasks.protocol.suspensions import raise_suspension
from tasks.protocol.withdrawals import withdraw_agency
from tests.conftest import TEST_AUDIT_KEY, Database
from tests.utils.factories import (
    ADMIN,
    COUNCIL,
    POLICE,
    TRUST,
    People,
    active,
    granted,
    parties,
    seed_agencies,
)

EVENTS = AuditEvent.__table__  # type: ignore[attr-defined]


@pytest.fixture
def history(db: Database, session: Session, now: pendulum.DateTime) -> People:
    """A register with a little of everything: arrangements, a grant, a suspension, a
    withdrawal that terminated an arrangement and its disposal task."""
    people = seed_agencies(session, now)
    ref = active(session, people, now)
    granted(session, people, ref, TRUST, now)
    ended = active(
        session,
        people,
        now,
        parties=parties((COUNCIL, "discloser"), (POLICE, "recipient")),
    )
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    withdraw_agency(
        session, agency=POLICE, reason="Merging", actor=people.signatory[POLICE], now=now
    )
    schedule_disposal(session, arrangement=ended, actor=ADMIN, now=now)
    return people


def _verified(db: Database, checkpoints: list[tuple[str, Checkpoint]] | None = None) -> Any:
    with db.session() as session:
        return verify_audit(session, checkpoints or [])


def _checkpoint(db: Database, now: pendulum.DateTime) -> list[tuple[str, Checkpoint]]:
    with db.session() as session:
        return [("kept by a chair", take_checkpoint(session, actor=ADMIN, now=now))]


def _rows(db: Database) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        return [
            dict(row) for row in conn.execute(EVENTS.select().order_by(EVENTS.c.seq)).mappings()
        ]


def _rewrite(db: Database, rows: list[dict[str, Any]], key: bytes | None) -> None:
    """Replace the whole log with `rows`, re-chained as an attacker would: with `key` if they
    have it, else with a key of their own guessing. The head is moved to match."""
    previous = GENESIS_HASH
    for number, row in enumerate(rows, start=1):
        row.update(seq=number, prev_hash=previous)
        fields = {k: v for k, v in row.items() if k != "hash"}
        fields["outcome"] = str(getattr(row["outcome"], "value", row["outcome"]))
        row["hash"] = audit_hash(key or b"the attacker's guess at the key!", **fields)
        previous = row["hash"]
    db.drop_audit_guards()
    with db.engine.begin() as conn:
        conn.execute(EVENTS.delete())
        conn.execute(EVENTS.insert(), rows)
        conn.execute(
            text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": len(rows), "h": previous}
        )


def _sql(db: Database, *statements: str) -> None:
    db.drop_audit_guards()
    with db.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_an_intact_log_verifies_against_its_checkpoints_and_the_register(
    db: Database, history, now
) -> None:
    kept = _checkpoint(db, now)
    result = _verified(db, kept)
    assert result.broken is None, result.broken
    assert (result.checkpoints, result.events) == (1, len(_rows(db)))
    assert result.records >= 8  # 3 agencies, 2 arrangements, a grant, a suspension, a task


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_event SET actor = 'x'", "DELETE FROM audit_event"]
)
def test_the_database_refuses_to_update_or_delete_audit_rows(
    db: Database, history, statement: str
) -> None:
    before = _rows(db)
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text(statement))
    assert _rows(db) == before


@pytest.mark.postgres
def test_postgres_refuses_to_truncate_the_audit_log(db: Database, history) -> None:
    if db.backend != "postgres":
        pytest.skip("TRUNCATE is PostgreSQL's")
    with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_event"))


ATTACKS: dict[str, Callable[[list[dict[str, Any]]], list[dict[str, Any]]]] = {
    # an event's content changed
    "edit": lambda rows: [
        dict(r, actor="someone@else.example") if r["seq"] == 3 else r for r in rows
    ],
    # an event that never happened slipped in
    "insert": lambda rows: [*rows[:4], dict(rows[4], detail="forged"), *rows[4:]],
    # two events swapped
    "reorder": lambda rows: [*rows[:2], rows[3], rows[2], *rows[4:]],
    # an event moved to another day
    "backdate": lambda rows: [
        dict(r, occurred_at=pendulum.instance(r["occurred_at"]).subtract(days=40))
        if r["seq"] == 5
        else r
        for r in rows
    ],
    # an event removed from the middle
    "delete": lambda rows: [r for r in rows if r["seq"] != 6],
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_rewritten_and_rechained_log_is_caught_without_the_key(
    db: Database, history, attack: str
) -> None:
    _rewrite(db, ATTACKS[attack](_rows(db)), key=None)
    broken = _verified(db).broken
    assert broken is not None
    assert broken.startswith(
        "audit chain broken at audit event #1: has been altered: its content does not match "
        "its hash"
    ), broken


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_log_rewritten_with_the_key_itself_is_caught_by_the_checkpoint(
    db: Database, history, now, attack: str
) -> None:
    kept = _checkpoint(db, now)
    _rewrite(db, ATTACKS[attack](_rows(db)), key=TEST_AUDIT_KEY.encode())
    broken = _verified(db, kept).broken
    assert broken is not None
    assert broken.startswith("audit log cut back or rewritten: "), broken
    assert "(kept by a chair)" in broken


def test_deleting_the_last_events_and_moving_the_head_is_caught_by_the_checkpoint(
    db: Database, history, now
) -> None:
    kept = _checkpoint(db, now)
    last = kept[0][1].seq
    head = _rows(db)[last - 4]
    _sql(
        db,
        f"DELETE FROM audit_event WHERE seq > {last - 3}",
        f"UPDATE audit_head SET seq = {last - 3}, hash = '{head['hash']}'",
    )
    # the chain and its head agree with each other, so the chain alone cannot see what is gone
    # (the replay may: the register still holds what the lost events did)
    alone = _verified(db).broken
    assert alone is None or alone.startswith("the register differs from its audit log"), alone
    assert _verified(db, kept).broken == (
        f"audit log cut back or rewritten: the log ends at event #{last - 3} but the checkpoint "
        f"of {kept[0][1].at} (kept by a chair) records event #{last}: events were removed from "
        "the end"
    )


def test_deleting_everything_and_resetting_the_head_is_caught_by_the_checkpoint(
    db: Database, history, now
) -> None:
    kept = _checkpoint(db, now)
    _sql(db, "DELETE FROM audit_event", f"UPDATE audit_head SET seq = 0, hash = '{GENESIS_HASH}'")
    broken = _verified(db, kept).broken
    assert broken is not None and "the log ends at event #0" in broken


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        (
            f"UPDATE agency SET status = 'member' WHERE name = '{POLICE}'",
            f"agency {POLICE}: the register says status member, the audit log says status "
            "withdrawn",
        ),
        (
            f"UPDATE agency SET status = 'member' WHERE name = '{TRUST}'",
            f"agency {TRUST}: the register says status member, the audit log says status suspended",
        ),
        (
            "UPDATE arrangement SET version = 7 WHERE reference = 'ISA-2026-0001'",
            "arrangement ISA-2026-0001: the register says version 7, the audit log says version 1",
        ),
        (
            "UPDATE access_grant SET status = 'active'",
            "access grant GRT-2026-0001: the register says status active, the audit log says "
            "status paused",
        ),
        (
            "UPDATE suspension SET status = 'ended'",
            "suspension SUS-2026-0001: the register says status ended, the audit log says status "
            "raised",
        ),
        (
            "UPDATE disposal_task SET status = 'confirmed', confirmed_at = '2026-11-25', "
            "certificate = 'x'",
            "disposal task DSP-2026-0001: the register says status confirmed, the audit log says "
            "status pending",
        ),
        (
            "DELETE FROM disposal_task",
            "disposal task DSP-2026-0001 is in the audit log",
        ),
    ],
)
def test_a_register_change_that_bypassed_the_audit_log_is_named(
    db: Database, history, statement: str, named: str
) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(statement))
    broken = _verified(db).broken
    assert broken is not None
    assert broken.startswith(f"the register differs from its audit log: {named}"), broken


def test_a_record_inserted_by_hand_is_named(db: Database, history, now) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            Agency.__table__.insert(),  # type: ignore[attr-defined]
            {
                "name": "Shadow Agency",
                "name_key": "shadow agency",
                "status": "member",
                "created_at": now,
            },
        )
    assert _verified(db).broken == (
        "the register differs from its audit log: agency Shadow Agency is in the register but "
        "no audit event records it"
    )


def test_a_checkpoint_edited_or_signed_with_another_key_is_refused(
    db: Database, history, now, tmp_path: Path
) -> None:
    ((_, taken),) = _checkpoint(db, now)
    path = save_checkpoint(taken, tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert read_checkpoint(path) == taken
    forged = Checkpoint(taken.seq + 100, taken.head, taken.at, taken.signature)
    broken = _verified(db, [("forged.json", forged)]).broken
    assert broken is not None and "is not signed with this register's audit key" in broken
    other = Checkpoint(taken.seq, taken.head, taken.at).signed(b"another register's key" * 2)
    assert not other.is_signed_by(TEST_AUDIT_KEY.encode())
    # `latest` is the newest kept; with none given, every checkpoint kept is checked
    second = Checkpoint(taken.seq, taken.head, pendulum.now("UTC").isoformat()).signed(
        TEST_AUDIT_KEY.encode()
    )
    save_checkpoint(second, tmp_path)
    assert [c for _, c in checkpoints_to_check(None, tmp_path)] == [taken, second]
    assert len(checkpoints_to_check("latest", tmp_path)) == 1
