"""A deliverer's claim on the rows it holds, against a real SMTP server that answers slowly: kept
for as long as the deliverer lives, however slow it is, and lost within about one lease when it
is killed, so its emails wait seconds rather than the ten minutes of the old fixed lease."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pendulum
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select, text

from core.settings import Settings
from notifications.delivery import DeliveryReport, claim_due, deliver_outbox_sync, renew_claims
from notifications.mailsink import SMTPServerThread
from notifications.outbox import outbox
from tests.conftest import Database
from tests.utils.outbox import queue_many
from tests.utils.smtp import Recorder, SMTPServer

# Short enough that a test waits seconds for a lapse, long enough that a loaded machine (two
# cores, several test runs) still renews every claim in time: ten heartbeats to a lease.
LEASE = 2.0
HEARTBEAT = 0.2


@dataclass
class SlowRecorder(Recorder):
    """Records as `Recorder` does, but takes `delay` seconds to accept each message, as a
    congested relay would, so a batch takes longer to send than a lease lasts."""

    delay: float = 0.0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_smtp_server() -> Iterator[SMTPServer]:
    recorder = SlowRecorder()
    thread = SMTPServerThread(recorder, port=0)
    recorder.server = thread
    thread.start()
    try:
        yield SMTPServer(thread, recorder)
    finally:
        thread.stop()


def slow(server: SMTPServer, seconds: float) -> None:
    assert isinstance(server.recorder, SlowRecorder)
    server.recorder.delay = seconds


def lease_settings(server: SMTPServer, **overrides: Any) -> dict[str, Any]:
    return server.settings(
        outbox_lease_seconds=LEASE, outbox_heartbeat_seconds=HEARTBEAT, **overrides
    )


def real_now() -> pendulum.DateTime:
    # Both deliverers read the real clock, as separate processes in production do: what one
    # writes as its claim's expiry, the other compares with its own reading of the same clock.
    return pendulum.now("UTC")


def statuses(db: Database) -> Counter[str]:
    with db.engine.connect() as conn:
        return Counter(s for (s,) in conn.execute(text("SELECT status FROM outbox")))


def outbox_rows(db: Database) -> list[tuple[str, str, int]]:
    with db.engine.connect() as conn:
        sql = "SELECT message_id, status, attempts FROM outbox ORDER BY id"
        return [tuple(row) for row in conn.execute(text(sql))]  # type: ignore[misc]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout} s waiting for {what}")
        time.sleep(0.02)


# The deliverer the drill kills: the library's own entry point, configured from the environment
# as `isa outbox deliver` and the flow are.
DELIVERER = """
from core.db import make_engine
from core.settings import Settings
from notifications.delivery import deliver_outbox_sync

settings = Settings()
deliver_outbox_sync(make_engine(settings.database_url), settings, settings.current_time())
"""


def start_deliverer(db: Database, settings: dict[str, Any]) -> subprocess.Popen[str]:
    env = {key: value for key, value in os.environ.items() if key != "ISA_NOW"}
    env["ISA_DATABASE_URL"] = db.url
    env.update({f"ISA_{key.upper()}": str(value) for key, value in settings.items()})
    return subprocess.Popen(
        [sys.executable, "-c", DELIVERER],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_killed_deliverers_emails_go_out_within_about_one_lease_and_not_before(
    db: Database, slow_smtp_server: SMTPServer
) -> None:
    server = slow_smtp_server
    # two batches, both in the first deliverer's hands at once: the one it sends and the one
    # it claims meanwhile
    queue_many(db, 40, real_now())
    settings = lease_settings(server, outbox_batch_size=20)
    slow(server, 0.2)
    first = start_deliverer(db, settings)
    try:
        # 14 sent at 0.2 s each is most of a second past the lease of the claims it made at the
        # start: only renewals can have kept them
        wait_for(lambda: len(server.received) >= 14, 30, "the first deliverer to send 14")
        assert first.poll() is None, first.communicate()
        assert statuses(db) == {"sending": 40}

        # alive and slow, it keeps every row: a second deliverer finds nothing to take
        while_alive = deliver_outbox_sync(db.engine, Settings(**settings), real_now())
        assert while_alive.claimed == 0

        first.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)
    assert first.returncode == -signal.SIGKILL
    # it died mid-batch, before recording what it had sent: every row it held is still `sending`
    assert statuses(db) == {"sending": 40}
    # (a message the server was still accepting when the connection died is not recorded)
    time.sleep(0.3)
    sent_by_first = server.recorder.message_ids()
    assert len(sent_by_first) >= 14

    slow(server, 0)
    second = Settings(**settings)
    report = DeliveryReport()
    while report.claimed == 0:
        assert time.monotonic() - killed < LEASE + 2, "the dead deliverer's claim never lapsed"
        report = deliver_outbox_sync(db.engine, second, real_now())
        time.sleep(0.02)
    lapsed = time.monotonic() - killed

    # its last renewal was about one heartbeat before the kill, and lasts one lease
    assert LEASE / 2 <= lapsed < LEASE + 2
    assert (report.claimed, report.sent, report.released) == (40, 40, 0)
    rows = outbox_rows(db)
    # each claim that lapsed with no outcome recorded counts as an attempt
    assert {(status, attempts) for _, status, attempts in rows} == {("sent", 2)}
    # every email arrived, and the only duplicates are what the first sent, under the same
    # Message-ID, so the recipient's mail client can recognise them
    received = server.recorder.message_ids()
    assert received == Counter(message_id for message_id, _, _ in rows) + sent_by_first


def test_a_live_deliverer_slower_than_its_lease_keeps_its_rows_and_nothing_is_sent_twice(
    db: Database, slow_smtp_server: SMTPServer
) -> None:
    server = slow_smtp_server
    count, deliverers = 60, 2
    queue_many(db, count, real_now())
    # a batch of 20 at 0.1 s each takes as long as the lease, and a deliverer holds two
    settings = Settings(**lease_settings(server, outbox_batch_size=20))
    slow(server, 0.1)
    start = threading.Barrier(deliverers)
    reports: list[DeliveryReport] = []
    problems: list[BaseException] = []

    def deliver() -> None:
        # run after run, as the delivery runs would, until the outbox is empty: a deliverer
        # that finishes early looks again, and would take any row whose claim had lapsed
        try:
            start.wait(10)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                reports.append(deliver_outbox_sync(db.engine, settings, real_now()))
                if set(statuses(db)) <= {"sent"}:
                    return
                time.sleep(0.05)
        except BaseException as exc:
            problems.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(deliverers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    assert problems == []
    received = server.recorder.message_ids()
    assert len(received) == count
    assert set(received.values()) == {1}
    # nothing was taken over from a live deliverer, nor given back by one fearing it had lost it
    assert sum(r.claimed for r in reports) == sum(r.sent for r in reports) == count
    assert sum(r.released for r in reports) == 0
    assert {(status, attempts) for _, status, attempts in outbox_rows(db)} == {("sent", 1)}


def test_a_renewal_extends_only_a_live_claim_and_never_rows_another_deliverer_has_taken(
    db: Database, now: pendulum.DateTime
) -> None:
    queue_many(db, 3, now)
    minute = pendulum.duration(seconds=60)
    assert len(claim_due(db.engine, now=now, lease=minute, claim="slow", limit=3)) == 3

    def held() -> list[tuple[str | None, datetime]]:
        with db.engine.connect() as conn:
            query = select(outbox.c.claim, outbox.c.next_attempt_at).order_by(outbox.c.id)
            return [(claim, at) for claim, at in conn.execute(query)]

    renewed = renew_claims(
        db.engine, claims=["slow", "gone"], now=now.add(seconds=30), until=now.add(seconds=90)
    )
    assert renewed == {"slow"}
    assert held() == [("slow", now.add(seconds=90))] * 3

    # lapsed: the deliverer must stop, not revive a claim another may already be taking
    lapsed = now.add(seconds=91)
    assert renew_claims(db.engine, claims=["slow"], now=lapsed, until=lapsed + minute) == set()
    assert held() == [("slow", now.add(seconds=90))] * 3

    # another takes two of the three; a renewal under the old claim (its clock behind) keeps
    # only the row still its own
    assert len(claim_due(db.engine, now=lapsed, lease=minute, claim="other", limit=2)) == 2
    renew_claims(db.engine, claims=["slow"], now=now.add(seconds=60), until=now.add(seconds=200))
    assert held() == [
        ("other", lapsed + minute),
        ("other", lapsed + minute),
        ("slow", now.add(seconds=200)),
    ]


def test_a_claim_takes_no_more_rows_than_its_limit_even_when_taking_over_a_lapsed_claim(
    db: Database, now: pendulum.DateTime
) -> None:
    queue_many(db, 5, now)
    minute = pendulum.duration(seconds=60)
    assert len(claim_due(db.engine, now=now, lease=minute, claim="dead", limit=5)) == 5

    later = now.add(seconds=61)
    taken = claim_due(db.engine, now=later, lease=minute, claim="next", limit=2)

    assert [row["id"] for row in taken] == [1, 2]
    assert db.count("outbox", "claim = 'next'") == 2
