"""Sweeps at once: four deadline, access, review and disposal sweeps started together over a busy register
split its work and together queue and deliver exactly what one sweep alone does, on SQLite and
PostgreSQL. Two sweeps at once used to lose thousands of reminders on PostgreSQL: the reminder
phase read its batch without locking, so the second sweep took the same batch and its cancel
step withdrew the emails the first had just queued."""

import json
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from core.db import upgrade
from core.settings import Settings
from notifications.delivery import deliver_outbox_sync
from tasks.daily import Sweep, run_sweep
from tests.conftest import empty_postgres_schema, sealed_engine
from tests.utils.busy_register import DAY, KINDS, NOW, build_busy_register
from tests.utils.smtp import SMTPServer
from tests.utils.smtp import smtp_server as smtp_server  # the fixture

SWEEPS: tuple[Sweep, ...] = ("deadlines", "access", "reviews", "disposal")
PER_KIND = 8
BATCH = 3
ACTOR = "system:test"


def _sweep_all(engine: Engine, settings: Settings, start: threading.Barrier | None) -> dict:
    """What `isa sweep` does for each sweep: its phases, then delivery of what is due."""
    if start is not None:
        start.wait()
    acted: dict[str, int] = {}
    with Session(engine, expire_on_commit=False) as session:
        for which in SWEEPS:
            for phase in run_sweep(
                session, which, as_of=DAY, now=NOW, actor=ACTOR, batch_size=BATCH
            ):
                acted[f"{which}/{phase.phase}"] = len(phase.acted)
    deliver_outbox_sync(engine, settings, NOW)
    return acted


def _outbox(engine: Engine) -> Counter[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT event, subject_ref, recipient, occurrence, status, message_id FROM outbox")
        ).all()
    return Counter(tuple(row) for row in rows)


def _batch_subjects(engine: Engine) -> Counter[tuple[str, str]]:
    """Each record named by a sweep's batch audit events, with the action: once each, however
    many sweeps ran."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT action, after FROM audit_event WHERE subject_type = 'sweep'")
        ).all()
    named: Counter[tuple[str, str]] = Counter()
    for action, after in rows:
        after = after if isinstance(after, dict) else json.loads(after)
        for touched in after.values():
            if isinstance(touched, dict | list):
                named.update((action, ref) for ref in touched)
    return named


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_registers(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The same busy register twice: one for a single sweep, one for four at once."""
    with ExitStack() as stack:
        engines = []
        for name in ("single", "four"):
            url = (
                f"sqlite:///{tmp_path / name}.db"
                if request.param == "sqlite"
                else stack.enter_context(empty_postgres_schema(f"isa_concurrent_{name}"))
            )
            upgrade(url)
            engine = sealed_engine(url)
            stack.callback(engine.dispose)
            build_busy_register(engine, per_kind=PER_KIND)
            # one register twice: one installation, so its Message-IDs can be compared
            with engine.begin() as conn:
                conn.execute(text("UPDATE installation SET identifier = 'busyregisterone1'"))
            engines.append(engine)
        yield request.param, engines[0], engines[1]


def test_four_sweeps_at_once_queue_and_deliver_exactly_what_one_sweep_does(
    two_registers, smtp_server: SMTPServer
) -> None:
    backend, single, four = two_registers
    settings = Settings(**smtp_server.settings())

    started = time.perf_counter()
    alone = _sweep_all(single, settings, None)
    alone_seconds = time.perf_counter() - started
    one_sweep_mail = Counter((r.message_id, tuple(r.rcpt_tos)) for r in smtp_server.received)
    smtp_server.received.clear()

    start = threading.Barrier(4)
    results: list[dict] = []
    errors: list[BaseException] = []

    def sweeper() -> None:
        try:
            results.append(_sweep_all(four, settings, start))
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)

    threads = [threading.Thread(target=sweeper) for _ in range(4)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=240)
    four_seconds = time.perf_counter() - started
    assert not errors, errors
    four_sweeps_mail = Counter((r.message_id, tuple(r.rcpt_tos)) for r in smtp_server.received)

    # every phase had work, and one sweep alone did all of it
    assert all(alone[phase] > 0 for phase in alone), alone
    shared = {phase: sum(r[phase] for r in results) for phase in alone}
    assert shared == alone
    # the same outbox, row for row (none cancelled, none twice), and the same mail received,
    # each message once
    assert _outbox(four) == _outbox(single)
    assert {status for _, _, _, _, status, _ in _outbox(four)} == {"sent"}
    assert four_sweeps_mail == one_sweep_mail
    assert max(four_sweeps_mail.values()) == 1
    # each record appears in exactly one batch's audit event
    assert _batch_subjects(four) == _batch_subjects(single)
    assert max(_batch_subjects(four).values()) == 1
    split = {phase: [r[phase] for r in results] for phase in alone}
    print(
        f"\n{backend}: {len(KINDS) * PER_KIND} arrangements, {sum(alone.values())} records acted "
        f"on, {sum(one_sweep_mail.values())} emails; one sweep {alone_seconds:.1f} s, four at "
        f"once {four_seconds:.1f} s; how the four split each phase: {split}"
    )
