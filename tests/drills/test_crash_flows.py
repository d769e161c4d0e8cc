"""Crash drills of delivery and of the matters' flows (issue 14):

- outbox delivery alone (`isa outbox deliver`, then the next delivery run), of a register's
  queued emails in small batches: killed between each batch's claim and its record, after each
  message the SMTP server accepted;
- a suspension raised by its signatory (`isa suspend`), then its flow's day-14 checker run (no
  meeting held: every signatory and the chairs told) and its day-30 run (it ends: the agency,
  its arrangements and their access resumed), each run sending its emails;
- a withdrawal noticed by its signatory (`isa withdraw --effective`), then its flow's checker run
  on the effective date: it takes effect (an arrangement terminated, one reviewed by the parties
  left, one awaiting approval redrafted, access revoked), disposal is scheduled, notices go out.

Each is killed by SIGKILL just before and just after every commit (inside a step: a use case's
change, with its emails and the Prefect events it owes; between two tasks of a flow; between a
delivery's claim and its record) and after every message the SMTP server accepted, then run
again to completion, and checked as tests/utils/crash_drill.py says. A change and its emails
cannot be split: every change that queued emails is killed just before its commit (none of it
is in, none of its emails) and just after (all of it, all of them), and the report line says
so. Every kill point that leaves what no other leaves is tried; of the flows' after-send
points, every fourth (and the first and the last). The flows report to the drills' own Prefect
server."""

from pathlib import Path

import pendulum
import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.db import upgrade
from core.settings import Settings
from notifications.delivery import deliver_outbox_sync
from tasks.protocol.arrangements import submit_arrangement
from tests.conftest import sealed_engine
from tests.utils.crash_drill import Drill, DrillReport, distinct_states, sqlite_copies
from tests.utils.factories import (
    COUNCIL,
    POLICE,
    TRUST,
    People,
    active,
    drafted,
    granted,
    parties,
    seed_agencies,
)
from tests.utils.smtp import SMTPServer

NOW = pendulum.datetime(2026, 11, 25, 10, tz="Europe/London").in_timezone("UTC")
RAISED = pendulum.date(2026, 11, 25)
SUS = "SUS-2026-0001"
WDR = "WDR-2026-0001"
EFFECTIVE = pendulum.date(2026, 12, 15)
# small batches: several in every delivery run, and kill points between them
BATCH = 4
FLOW_BATCH = 8
# of the flows' after-send kill points, which differ from their neighbours only in which
# message is in doubt, every fourth (and the first and the last)
SENDS_EVERY = 4


def _london(day: pendulum.Date, hour: int, minute: int = 0) -> str:
    at = pendulum.datetime(day.year, day.month, day.day, hour, minute, tz="Europe/London")
    return at.in_timezone("UTC").isoformat()


def _register(path: Path, smtp: SMTPServer | None) -> People:
    """Three agencies with their people, through the use cases: a two-party arrangement of the
    council and the trust and a three-party one, both active with staff given access, and a
    three-party one awaiting approval. With `smtp`, the emails building it queued are delivered
    (and forgotten by the server): the drill's work starts from an outbox with nothing due."""
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = sealed_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE installation SET identifier = 'drillregister002'"))
    with Session(engine, expire_on_commit=False) as session:
        people = seed_agencies(session, NOW)
        two = active(session, people, NOW)
        granted(session, people, two, TRUST, NOW)
        three = active(
            session,
            people,
            NOW,
            parties=parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "recipient")),
        )
        granted(session, people, three, POLICE, NOW)
        pending = drafted(
            session,
            people,
            NOW,
            parties=parties((TRUST, "discloser"), (POLICE, "recipient"), (COUNCIL, "recipient")),
        )
        submit_arrangement(session, reference=pending, actor=people.poc[TRUST], now=NOW)
    if smtp is not None:
        settings = Settings(smtp_host=smtp.host, smtp_port=smtp.port)
        report = deliver_outbox_sync(engine, settings, NOW)
        assert report.sent > 0 and report.sent == report.claimed, report
        with smtp.recorder.lock:
            smtp.recorder.received.clear()
    engine.dispose()
    return people


def _env(smtp: SMTPServer, batch: int, **more: str) -> dict[str, str]:
    return {
        "ISA_SMTP_HOST": smtp.host,
        "ISA_SMTP_PORT": str(smtp.port),
        "ISA_OUTBOX_BATCH_SIZE": str(batch),
        # no heartbeat inside a drill's short run
        "ISA_OUTBOX_HEARTBEAT_SECONDS": "50",
        **more,
    }


def _checked(report: DrillReport) -> None:
    print(f"\n{report.line()}")
    assert report.total > 0
    # every state a kill can leave was left (but for after-send ones out of the sample), and
    # every change that queued emails was killed on both sides of its commit
    assert report.gaps() == [], (report.gaps(), report)


def _clean_pass(directory: Path, sql: str) -> list[tuple[object, ...]]:
    """What the clean pass left (the drill's `clean` copy of the register)."""
    engine = sealed_engine(f"sqlite:///{directory / 'clean.db'}")
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


@pytest.mark.timeout(300)
def test_delivery_killed_between_claim_and_mark_and_after_each_send_loses_and_doubles_nothing(
    tmp_path: Path, smtp_server: SMTPServer
) -> None:
    template = tmp_path / "template.db"
    _register(template, None)
    drill = Drill(
        "outbox delivery",
        work="delivery",
        params={},
        env=_env(smtp_server, BATCH, ISA_NOW=NOW.add(minutes=1).isoformat()),
        register=sqlite_copies(template, tmp_path),
        smtp=smtp_server,
        directory=tmp_path,
    )
    report = drill.run(distinct_states())
    _checked(report)
    # many batches, each killed just after its claim (nothing sent yet) and after its record,
    # and after every message the server accepted
    assert report.boundaries["claim"] >= 4 and report.boundaries["record"] >= 4, report
    assert report.tried["after-commit (claim)"] == report.boundaries["claim"], report
    assert report.tried["after-commit (record)"] == report.boundaries["record"], report
    assert report.unsampled == 0, report
    assert report.tried["after-send (send)"] == report.sends == report.emails > BATCH * 3, report
    # a kill after a send, before its batch was marked sent: that message comes twice
    assert report.resent > 0, report


@pytest.mark.timeout(300)
def test_a_suspension_flow_killed_at_every_boundary_and_rerun_loses_nothing_and_doubles_nothing(
    tmp_path: Path, smtp_server: SMTPServer, drill_prefect_api: str
) -> None:
    template = tmp_path / "template.db"
    people = _register(template, smtp_server)
    drill = Drill(
        "suspension flow",
        work="suspension",
        params={
            "agency": TRUST,
            "reason": "Laptop with shared data stolen",
            "actor": people.signatory[TRUST],
            "reference": SUS,
            "raised_at": NOW.isoformat(),
            "runs": [
                # the day-14 checker run: no meeting held, every signatory and the chairs told
                (_london(RAISED.add(days=14), 9), RAISED.add(days=14).isoformat(), False),
                # the day-30 checker run, at its end: ended, everything resumed
                (NOW.add(days=30).isoformat(), RAISED.add(days=30).isoformat(), False),
            ],
        },
        env=_env(smtp_server, FLOW_BATCH, PREFECT_API_URL=drill_prefect_api),
        register=sqlite_copies(template, tmp_path),
        smtp=smtp_server,
        directory=tmp_path,
    )
    report = drill.run(distinct_states(sends_every=SENDS_EVERY))
    _checked(report)
    # raised, escalated, ended: each a change with its emails
    assert report.mailing >= 3, report
    events = {e for (e,) in _clean_pass(tmp_path, "SELECT DISTINCT event FROM outbox")}
    assert {"suspension.raised", "suspension.escalated", "suspension.ended"} <= events, events
    assert _clean_pass(tmp_path, "SELECT status FROM suspension") == [("ended",)]
    assert set(_clean_pass(tmp_path, "SELECT status FROM arrangement")) == {
        ("active",),
        ("awaiting_approval",),
    }


@pytest.mark.timeout(300)
def test_a_withdrawal_flow_killed_at_every_boundary_and_rerun_loses_nothing_and_doubles_nothing(
    tmp_path: Path, smtp_server: SMTPServer, drill_prefect_api: str
) -> None:
    template = tmp_path / "template.db"
    people = _register(template, smtp_server)
    drill = Drill(
        "withdrawal flow",
        work="withdrawal",
        params={
            "agency": TRUST,
            "reason": "Merging into a regional body",
            "actor": people.signatory[TRUST],
            "reference": WDR,
            "noticed_at": NOW.isoformat(),
            "effective_on": EFFECTIVE.isoformat(),
            "runs": [
                # the checker run at the start of the effective date: it takes effect, and the
                # disposal of what ended is scheduled
                (_london(EFFECTIVE, 0, 1), EFFECTIVE.isoformat(), False),
            ],
        },
        env=_env(smtp_server, FLOW_BATCH, PREFECT_API_URL=drill_prefect_api),
        register=sqlite_copies(template, tmp_path),
        smtp=smtp_server,
        directory=tmp_path,
    )
    report = drill.run(distinct_states(sends_every=SENDS_EVERY))
    _checked(report)
    # noticed, carried out, disposal scheduled: each a change with its emails
    assert report.mailing >= 3, report
    assert _clean_pass(tmp_path, "SELECT status FROM withdrawal") == [("completed",)]
    assert ("withdrawn",) in _clean_pass(tmp_path, "SELECT status FROM agency")
    # terminated, its disposal scheduled; reviewed by the two parties left; redrafted
    assert sorted(_clean_pass(tmp_path, "SELECT status FROM arrangement")) == [
        ("disposal_pending",),
        ("draft",),
        ("under_review",),
    ]
    # the trust destroys what it received under both (the one it left at once, the terminated
    # one scheduled by the flow); its staff's access is revoked, the police's kept
    assert _clean_pass(
        tmp_path,
        "SELECT d.reference, a.reference FROM disposal_task d "
        "JOIN arrangement a ON a.id = d.arrangement_id ORDER BY d.reference",
    ) == [("DSP-2026-0001", "ISA-2026-0002"), ("DSP-2026-0002", "ISA-2026-0001")]
    assert _clean_pass(tmp_path, "SELECT status FROM access_grant ORDER BY reference") == [
        ("revoked",),
        ("active",),
    ]
    events = {e for (e,) in _clean_pass(tmp_path, "SELECT DISTINCT event FROM outbox")}
    assert {"withdrawal.noticed", "withdrawal.completed", "disposal.scheduled"} <= events, events
