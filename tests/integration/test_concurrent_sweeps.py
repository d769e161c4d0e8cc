"""Sweeps at once: four deadline, access, review and disposal sweeps started together over a busy register
split its work and together queue and deliver exactly what one sweep alone does, on SQLite and
PostgreSQL. Two sweeps at once used to lose thousands of reminders on PostgreSQL: the reminder
phase read its batch without locking, so the second sweep took the same batch and its cancel
step withdrew the emails the first had just queued."""

import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import text

from core.db import upgrade
from core.settings import Settings
from tests.conftest import empty_postgres_schema, sealed_engine
from tests.utils.busy_register import KINDS, build_busy_register
from tests.utils.smtp import SMTPServer
from tests.utils.smtp import smtp_server as smtp_server  # the fixture
from tests.utils.sweeping import batch_subjects, outbox_rows, sweep_all

PER_KIND = 8
BATCH = 3


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
    alone = sweep_all(single, settings, None, batch_size=BATCH)
    alone_seconds = time.perf_counter() - started
    one_sweep_mail = Counter((r.message_id, tuple(r.rcpt_tos)) for r in smtp_server.received)
    smtp_server.received.clear()

    start = threading.Barrier(4)
    results: list[dict] = []
    errors: list[BaseException] = []

    def sweeper() -> None:
        try:
            results.append(sweep_all(four, settings, start, batch_size=BATCH))
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
    assert outbox_rows(four) == outbox_rows(single)
    assert {status for _, _, _, _, status, _ in outbox_rows(four)} == {"sent"}
    assert four_sweeps_mail == one_sweep_mail
    assert max(four_sweeps_mail.values()) == 1
    # each record appears in exactly one batch's audit event
    assert batch_subjects(four) == batch_subjects(single)
    assert max(batch_subjects(four).values()) == 1
    split = {phase: [r[phase] for r in results] for phase in alone}
    print(
        f"\n{backend}: {len(KINDS) * PER_KIND} arrangements, {sum(alone.values())} records acted "
        f"on, {sum(one_sweep_mail.values())} emails; one sweep {alone_seconds:.1f} s, four at "
        f"once {four_seconds:.1f} s; how the four split each phase: {split}"
    )
