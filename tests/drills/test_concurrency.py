"""Concurrency drill (issue 14): on PostgreSQL, four review sweeps and four deliverers started at
once over a register of 20,000 arrangements queue no email twice and deliver none twice, counted
by Message-ID at a real SMTP server, and together do exactly what one review sweep alone does.

The register is the busy register (every review phase has work on its sweep day: sign-offs to
chase, reminders at each rung, reviews to open, escalations and lapses) topped up with quiet
arrangements whose next review is months away, so the sweeps pick their work out of 20,000.
The same register is built twice: one is swept once, alone, for the comparison."""

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert, text
from sqlmodel import Session

from core.db import upgrade
from core.settings import Settings
from models.tables import Arrangement, ArrangementParty, Review
from notifications.delivery import DeliveryReport, deliver_outbox_sync
from tasks.daily import run_sweep
from tests.conftest import empty_postgres_schema, sealed_engine
from tests.utils.busy_register import AGENCIES, DAY, KINDS, NOW, build_busy_register
from tests.utils.smtp import SMTPServer
from tests.utils.smtp import smtp_server as smtp_server  # the fixture
from tests.utils.sweeping import ACTOR, batch_subjects

pytestmark = pytest.mark.postgres

ARRANGEMENTS = 20_000
# of the busy register's kinds, the nine of sign-offs and reviews give the review sweep work
PER_KIND = 150
REVIEW_KINDS = [kind for kind in KINDS if "disposal" not in kind]
# records per batch, as `isa sweep reviews --batch-size` takes it: small enough for four sweeps
# to split every phase between them
SWEEP_BATCH = 100
SWEEPS = 4
DELIVERERS = 4
# rows a deliverer claims at a time (ISA_OUTBOX_BATCH_SIZE; the default)
OUTBOX_BATCH = 100


def _add_quiet_arrangements(engine: Engine, first: int, last: int) -> None:
    """Active arrangements `first`..`last` between two of the busy register's agencies, their
    next review 100 to 359 days away: nothing for today's review sweep to do."""
    at = NOW.subtract(years=1)
    arrangements, parties, reviews = [], [], []
    for number in range(first, last + 1):
        due = DAY.add(days=100 + number % 260)
        discloser, recipient = number % AGENCIES + 1, (number * 7 + 2) % AGENCIES + 1
        if discloser == recipient:
            recipient = recipient % AGENCIES + 1
        arrangements.append(
            {
                "id": number,
                "reference": f"ISA-2025-{number:05d}",
                "title": f"Quiet arrangement {number}",
                "purposes": ["Early help"],
                "lawful_basis": "Public task",
                "retention_months": 24,
                "retention_rule": "Two years after the arrangement ends",
                "disposal_method": "Secure deletion",
                "review_interval_months": 12,
                "version": 1,
                "status": "active",
                "next_review_due": due,
                "drafted_by": f"point.of.contact@agency{discloser}.example",
                "created_at": at,
                "updated_at": at,
                "submitted_at": at,
                "approval_chase": 0,
                "activated_at": at,
                "ended_at": None,
            }
        )
        parties += [
            {"arrangement_id": number, "agency_id": discloser, "role": "discloser"},
            {"arrangement_id": number, "agency_id": recipient, "role": "recipient"},
        ]
        reviews.append(
            {
                "arrangement_id": number,
                "due_on": due,
                "status": "scheduled",
                "opened_at": None,
                "reminded_rung": None,
                "escalation": 0,
            }
        )
    written: list[tuple[Any, list[dict[str, Any]]]] = [
        (Arrangement, arrangements),
        (ArrangementParty, parties),
        (Review, reviews),
    ]
    with engine.begin() as conn:
        for table, rows in written:
            for start in range(0, len(rows), 5000):
                conn.execute(insert(table.__table__), rows[start : start + 5000])
    with engine.begin() as conn:
        # sequences past the rows written with their ids, as the use cases would leave them
        for name in ("arrangement", "arrangement_party", "review"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))"
                )
            )
        conn.execute(text("ANALYZE"))


def _build(engine: Engine) -> None:
    build_busy_register(engine, per_kind=PER_KIND)
    _add_quiet_arrangements(engine, PER_KIND * len(KINDS) + 1, ARRANGEMENTS)
    # one register twice: one installation, so the two outboxes' Message-IDs can be compared
    with engine.begin() as conn:
        conn.execute(text("UPDATE installation SET identifier = 'concurrencydrill1'"))


@pytest.fixture
def two_registers() -> Iterator[tuple[Engine, Engine]]:
    """The same register of 20,000 arrangements twice, on fresh PostgreSQL schemas: one for one
    sweep alone, one for four sweeps and four deliverers at once."""
    with ExitStack() as stack:
        engines = []
        for name in ("alone", "four"):
            url = stack.enter_context(empty_postgres_schema(f"isa_drill_{name}"))
            upgrade(url)
            engine = sealed_engine(url)
            stack.callback(engine.dispose)
            _build(engine)
            engines.append(engine)
        yield engines[0], engines[1]


def _sweep(engine: Engine, start: threading.Barrier | None) -> dict[str, int]:
    """The review sweep as `isa sweep reviews --batch-size` runs it, in its own Session; returns
    how many records each phase acted on."""
    if start is not None:
        start.wait()
    with Session(engine, expire_on_commit=False) as session:
        phases = run_sweep(
            session, "reviews", as_of=DAY, now=NOW, actor=ACTOR, batch_size=SWEEP_BATCH
        )
    return {phase.phase: len(phase.acted) for phase in phases}


def _outbox(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT event, subject_ref, recipient, occurrence, message_id, status FROM outbox")
        ).all()
    return [tuple(row) for row in rows]


def _query(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql)).all()]


@pytest.mark.timeout(600)
def test_four_sweeps_and_four_deliverers_at_once_send_each_email_exactly_once(
    two_registers: tuple[Engine, Engine], smtp_server: SMTPServer
) -> None:
    single, four = two_registers
    settings = Settings(**smtp_server.settings(outbox_batch_size=OUTBOX_BATCH))

    alone = _sweep(single, None)
    alone_outbox = _outbox(single)

    began = time.perf_counter()
    t0 = time.monotonic()

    def clock() -> datetime:
        # one clock for every deliverer, moving on from the sweep's `now` with real time, as
        # the wall clock does for deliverers in separate processes
        return NOW + timedelta(seconds=time.monotonic() - t0)

    start = threading.Barrier(SWEEPS + DELIVERERS)
    sweeps_done = threading.Event()
    swept: list[dict[str, int]] = []
    delivered: list[list[DeliveryReport]] = [[] for _ in range(DELIVERERS)]
    errors: list[BaseException] = []
    running = [SWEEPS]
    lock = threading.Lock()

    def sweeper() -> None:
        try:
            swept.append(_sweep(four, start))
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)
        finally:
            with lock:
                running[0] -= 1
                if running[0] == 0:
                    sweeps_done.set()

    def deliverer(reports: list[DeliveryReport]) -> None:
        try:
            start.wait()
            while True:
                # read before the run: once the sweeps are done, a run that finds nothing
                # means nothing is left
                finished = sweeps_done.is_set()
                report = deliver_outbox_sync(four, settings, clock())
                reports.append(report)
                assert report.relay_error is None, report.relay_error
                if report.claimed == 0:
                    if finished:
                        return
                    time.sleep(0.05)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=sweeper) for _ in range(SWEEPS)] + [
        threading.Thread(target=deliverer, args=(reports,)) for reports in delivered
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=400)
    assert not any(thread.is_alive() for thread in threads), "a sweep or deliverer hung"
    assert not errors, errors
    # anything left (there should be nothing), sent by one more deliverer
    drained = deliver_outbox_sync(four, settings, clock())
    seconds = time.perf_counter() - began

    rows = _outbox(four)
    received = smtp_server.recorder.message_ids()
    queued = len(rows)

    # the register gave the sweeps real work, and the four split it
    assert queued >= 4000, queued
    assert all(alone[phase] > 0 for phase in alone), alone
    assert {phase: sum(s[phase] for s in swept) for phase in alone} == alone
    assert sum(1 for s in swept if sum(s.values())) >= 2, swept
    assert sum(1 for reports in delivered if sum(r.sent for r in reports)) >= 2, delivered
    # no duplicate outbox row, by its dedupe key or by what makes it one email
    assert not _query(four, "SELECT dedupe_key FROM outbox GROUP BY dedupe_key HAVING count(*) > 1")
    assert not _query(
        four,
        "SELECT event, subject_ref, recipient, occurrence FROM outbox "
        "GROUP BY event, subject_ref, recipient, occurrence HAVING count(*) > 1",
    )
    # each Message-ID received exactly once, every row sent, and as many received as sent
    assert max(received.values()) == 1, received.most_common(3)
    assert Counter(status for *_, status in rows) == {"sent": queued}
    assert sum(received.values()) == queued
    assert set(received) == {message_id for _, _, _, _, message_id, _ in rows}
    # exactly what one review sweep alone queued, email for email
    assert Counter(row[:5] for row in rows) == Counter(row[:5] for row in alone_outbox)
    assert {row[:3] for row in rows} == {row[:3] for row in alone_outbox}
    # the mail is about the arrangements built to be due, and no other
    due = {
        f"ISA-2026-{index * PER_KIND + n:05d}"
        for index, kind in enumerate(KINDS)
        if kind in REVIEW_KINDS
        for n in range(1, PER_KIND + 1)
    }
    assert {subject for _, subject, *_ in rows} == due
    # each record named in exactly one batch's audit event, as one sweep names it
    assert batch_subjects(four) == batch_subjects(single)
    assert max(batch_subjects(four).values()) == 1
    print(
        f"\n{ARRANGEMENTS} arrangements, {queued} emails queued, {sum(received.values())} "
        f"emails received, {len(received)} distinct Message-IDs, {seconds:.1f} s "
        f"(sweeps split {[sum(s.values()) for s in swept]}, deliverers sent "
        f"{[sum(r.sent for r in reports) for reports in delivered]}, drained {drained.sent})"
    )
