"""Outage drills (issue 14): what the system promises when what it depends on goes away in the
middle of its work, and comes back.

- the SMTP relay down for a whole sweep, then back: every email delivered once, none lost;
- the Prefect server down when a suspension is raised, then back (`isa up`): its flow starts and
  its day 7, 14, 25 and 30 checks are scheduled;
- PostgreSQL restarted in the middle of a sweep (a private cluster, never the shared server):
  the sweep's next run reconnects, and the register ends as one uninterrupted sweep leaves it,
  nothing half-written.
"""

import json
import re
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pendulum
import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from core.db import make_engine, upgrade
from core.settings import Settings
from models.clocks import suspension_check_times
from models.links import LinkIssuer
from models.tables import metadata
from notifications.delivery import deliver_outbox_sync
from notifications.outbox import outbox
from tasks.audit import verify_audit
from tasks.sample import load_sample_register
from tests.conftest import (
    TEST_MAIL_FROM,
    TEST_SEAL,
    TEST_SECRET_KEY,
    empty_postgres_schema,
    sealed_engine,
)
from tests.utils.busy_register import KINDS, NOW, build_busy_register
from tests.utils.isa_up import ISA, scratch, start_up, stop_up, wait_for
from tests.utils.private_postgres import private_cluster
from tests.utils.smtp import SMTPServer
from tests.utils.smtp import smtp_server as smtp_server  # the fixture
from tests.utils.sweeping import batch_subjects, outbox_rows, sweep_all

# --- the SMTP relay down for a whole sweep ------------------------------------------------------

SMTP_PER_KIND = 8
SMTP_BATCH = 3
MINUTE = pendulum.duration(minutes=1)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def busy(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A busy register (work in every phase of every sweep) on each backend."""
    with ExitStack() as stack:
        url = (
            f"sqlite:///{tmp_path / 'busy.db'}"
            if request.param == "sqlite"
            else stack.enter_context(empty_postgres_schema("isa_drill_smtp"))
        )
        upgrade(url)
        engine = sealed_engine(url)
        stack.callback(engine.dispose)
        build_busy_register(engine, per_kind=SMTP_PER_KIND)
        yield request.param, engine


def _outbox(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        columns = [
            outbox.c[name]
            for name in (
                "id",
                "status",
                "attempts",
                "claim",
                "next_attempt_at",
                "last_error",
                "smtp_reply",
                "sent_at",
                "message_id",
            )
        ]
        return [
            dict(row) for row in conn.execute(select(*columns).order_by(outbox.c.id)).mappings()
        ]


def _nothing_listens(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.timeout(240)
def test_the_smtp_relay_down_for_a_whole_sweep_then_back_delivers_every_email_once(
    busy: tuple[str, Engine], smtp_server: SMTPServer
) -> None:
    """Every sweep runs, and `isa sweep`'s delivery and the delivery runs after it
    try the relay, while nothing listens on its port: each run says the relay cannot be
    reached, and every email stays pending and due with no attempt spent on it. The relay comes
    back on the same port: the next run sends every email, each received exactly once under the
    Message-ID it was queued with, and a run after that finds nothing to send."""
    backend, engine = busy
    settings = Settings(**smtp_server.settings())
    smtp_server.go_down()
    assert _nothing_listens(smtp_server.port)

    began = time.perf_counter()
    # every sweep, then its delivery (as `isa sweep all` does), with the relay down throughout
    acted = sweep_all(engine, settings, None, batch_size=SMTP_BATCH)
    assert all(acted.values()), acted
    queued = _outbox(engine)
    assert len(queued) > 100
    down_runs = []
    for minute in range(1, 4):
        at = NOW + MINUTE * minute
        report = deliver_outbox_sync(engine, settings, at)
        down_runs.append(report)
        assert report.sent == report.failed == report.retrying == 0, report
        assert report.relay_error is not None
        assert f"cannot reach the SMTP relay at {smtp_server.host}:{smtp_server.port}" in (
            report.relay_error
        )
        # nothing lost, nothing failed, no attempt spent, nothing left claimed; all due again
        rows = _outbox(engine)
        assert {(r["status"], r["attempts"], r["claim"]) for r in rows} == {("pending", 0, None)}
        assert all(pendulum.instance(r["next_attempt_at"]) <= at for r in rows)
        # the rows a run tried say why they were not sent
        tried = [r for r in rows if r["last_error"]]
        assert tried and all("cannot reach the SMTP relay" in r["last_error"] for r in tried)
    assert smtp_server.received == []

    smtp_server.come_back()
    back = NOW + MINUTE * 4
    report = deliver_outbox_sync(engine, settings, back)
    assert report.relay_error is None, report.relay_error
    assert (report.sent, report.failed, report.retrying) == (len(queued), 0, 0)
    again = deliver_outbox_sync(engine, settings, back + MINUTE)
    assert (again.claimed, again.sent) == (0, 0)
    seconds = time.perf_counter() - began

    rows = _outbox(engine)
    assert {(r["status"], r["attempts"], r["claim"], r["last_error"]) for r in rows} == {
        ("sent", 1, None, None)
    }
    assert all(str(r["smtp_reply"]).startswith("250 2.0.0 Ok") for r in rows)
    assert all(pendulum.instance(r["sent_at"]) >= back for r in rows)
    # each email received exactly once, under the Message-ID it was queued with
    received = smtp_server.recorder.message_ids()
    assert received == Counter({r["message_id"]: 1 for r in queued})
    assert {r["message_id"] for r in rows} == {r["message_id"] for r in queued}
    print(
        f"\n{backend}: SMTP relay down for a whole sweep: {len(KINDS) * SMTP_PER_KIND} "
        f"arrangements, {sum(acted.values())} records acted on, {len(queued)} emails queued; "
        f"the sweep's delivery and {len(down_runs)} delivery runs while down (these released "
        f"{', '.join(str(r.released) for r in down_runs)} untried); back: {report.sent} sent, "
        f"each received once; {seconds:.1f} s"
    )


# --- the Prefect server down when a suspension is raised -----------------------------------------

POLICE = "Sample: Northshire Police"


def _runs(api: str, reference: str) -> list[dict[str, Any]]:
    """The suspension deployment's runs for one suspension."""
    runs = httpx.post(
        f"{api}/flow_runs/filter",
        json={"deployments": {"name": {"any_": ["suspension"]}}, "limit": 200},
        timeout=10,
    ).json()
    return [run for run in runs if run["parameters"].get("suspension") == reference]


def _utc(value: Any) -> pendulum.DateTime:
    """A time as the driver returns it (SQLite's raw SQL gives text), in UTC."""
    if isinstance(value, str):
        parsed = pendulum.parse(value, tz="UTC")
        assert isinstance(parsed, pendulum.DateTime)
        return parsed
    return pendulum.instance(value, tz="UTC")


@pytest.mark.timeout(600)
def test_a_suspension_raised_with_the_prefect_server_down_starts_its_flow_at_isa_up(
    tmp_path: Path,
) -> None:
    """A register with the sample agencies, and no Prefect server anywhere: `isa suspend`
    succeeds, says the flow starts when the server is back, and leaves its event unpublished in
    the event outbox. `isa up` then starts the system: it publishes what the register owed, the
    suspension's flow run for that suspension completes, and its checker runs for days 7, 14,
    25 and 30 are scheduled on the server at the times the Protocol gives."""
    # the test's keys, so what is loaded here and what the commands write share one audit chain
    where = scratch(tmp_path, keep=("ISA_AUDIT_KEY", "ISA_SECRET_KEY", "ISA_MAIL_FROM"))
    upgrade(where.database_url)
    links = LinkIssuer(key=TEST_SECRET_KEY.encode(), public_url=where.env["ISA_PUBLIC_URL"])
    engine = make_engine(where.database_url, audit=TEST_SEAL, mailbox=TEST_MAIL_FROM, links=links)
    try:
        with Session(engine, expire_on_commit=False) as session:
            load_sample_register(session, now=pendulum.now("UTC"))
        with engine.connect() as conn:
            owed_before = conn.execute(
                text("SELECT count(*) FROM event_outbox WHERE published_at IS NULL")
            ).scalar_one()

        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{where.api}/health", timeout=2)
        said = subprocess.run(
            [
                ISA,
                "suspend",
                POLICE,
                "--reason",
                "Laptop with shared case files stolen",
                "--as",
                "signatory@police.sample.example",
            ],
            cwd=where.folder,
            env=where.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert said.returncode == 0, said.stderr
        found = re.search(r"(SUS-\d{4}-\d{4}) is recorded, and its flow starts when", said.stdout)
        assert found and "the Prefect server is not reachable" in said.stdout, said.stdout
        reference = found.group(1)
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT published_at, attempts, last_error FROM event_outbox "
                    "WHERE event = 'isa.suspension.raised' AND reference = :r"
                ),
                {"r": reference},
            ).one()
            raised_at, ends_at = conn.execute(
                text("SELECT raised_at, ends_at FROM suspension WHERE reference = :r"),
                {"r": reference},
            ).one()
        assert row.published_at is None and row.attempts == 1, row
        assert "not reachable" in str(row.last_error), row

        began = time.monotonic()
        up, lines = start_up(where)
        try:
            ready = time.monotonic() - began
            output = "".join(lines)
            assert f"published {owed_before + 1} Prefect event(s) the register owed" in output, (
                output
            )

            def completed() -> bool:
                return any(
                    run["state_type"] == "COMPLETED" and run["parameters"].get("as_of") is None
                    for run in _runs(where.api, reference)
                )

            # isa up starts at once the flows of every event the register owed (the sample
            # register's approvals among them): on a loaded 2-core machine the suspension's run
            # may wait behind them, so the deadline is generous (its speed is bench/'s business)
            wait_for(f"the suspension flow run for {reference} to complete", completed, 240)
            flow_seconds = time.monotonic() - began - ready
            runs = _runs(where.api, reference)
            checks = sorted(
                (run for run in runs if run["state_type"] == "SCHEDULED"),
                key=lambda run: run["expected_start_time"],
            )
            expected = suspension_check_times(_utc(raised_at), _utc(ends_at))
            assert [pendulum.parse(run["expected_start_time"]) for run in checks] == [
                expected[day] for day in sorted(expected)
            ]
            assert [run["parameters"]["as_of"] for run in checks] == [
                expected[day].date().isoformat() for day in sorted(expected)
            ]
            # one flow run for the raise: the republished event started it once
            assert len([run for run in runs if run["parameters"].get("as_of") is None]) == 1
            with engine.connect() as conn:
                published = conn.execute(
                    text(
                        "SELECT published_at FROM event_outbox "
                        "WHERE event = 'isa.suspension.raised' AND reference = :r"
                    ),
                    {"r": reference},
                ).scalar_one()
            assert published is not None
        finally:
            stop_up(up)
        print(
            f"\nPrefect server down at `isa suspend` ({reference}): isa up ready in {ready:.0f} s, "
            f"the suspension's flow completed {flow_seconds:.1f} s later, its checks scheduled "
            f"for {', '.join(expected[day].to_datetime_string() for day in sorted(expected))} "
            "(London)"
        )
    finally:
        engine.dispose()


# --- PostgreSQL restarted in the middle of a sweep ----------------------------------------------

RESTART_PER_KIND = 6
RESTART_BATCH = 2
# what differs between two identical registers by construction, not by what a sweep did: the
# surrogate keys sequences hand out (a rolled-back batch still spends its values), and the random
# id each Prefect event is made with
NOT_CONTENT = {"id", "event_id"}
# the installation row is the migration's (its time of creation), and each message's MIME
# boundaries are random
NOT_COMPARED = {"installation"}
BOUNDARY = re.compile(r"={15}\d+==")


def _busy_register(url: str) -> Engine:
    upgrade(url)
    engine = sealed_engine(url)
    build_busy_register(engine, per_kind=RESTART_PER_KIND)
    # one register twice: one installation, so their Message-IDs and links can be compared
    with engine.begin() as conn:
        conn.execute(text("UPDATE installation SET identifier = 'busyregisterone1'"))
    return engine


def _content(engine: Engine) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every row of every table as a multiset of its content (an email's message under its
    dedupe key, not its row id), to compare two registers row for row."""
    out: dict[str, Counter[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            if table.name in NOT_COMPARED:
                continue
            if table.name == "outbox_message":
                query: Any = select(outbox.c.dedupe_key, table.c.message).join(
                    outbox, outbox.c.id == table.c.outbox_id
                )
            else:
                query = select(*(c for c in table.columns if c.name not in NOT_CONTENT))
            out[table.name] = Counter(tuple(_plain(v) for v in r) for r in conn.execute(query))
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    if isinstance(value, str):
        return BOUNDARY.sub("=boundary=", value)
    return value


def _verified(engine: Engine) -> tuple[str | None, set[tuple[str, str]], int]:
    """What `isa audit verify` finds: the chain and its head whole (its first problem, or None),
    and the records the register holds that the log does not account for. A register built in
    bulk (setup, not use cases) has records no event ever told of; after a sweep, every record it
    touched must agree with the log."""
    with Session(engine) as session:
        result = verify_audit(session)
    chain = None
    if result.broken is not None and not result.broken.startswith("the register differs"):
        chain = result.broken
    told = {(d.kind, d.reference) for d in result.differences if d.seq != 0}
    untold = {(d.kind, d.reference) for d in result.differences if d.seq == 0}
    assert not told, f"records the audit log tells of differently: {sorted(told)[:5]}"
    return chain, untold, result.events


def _commits(engine: Engine) -> list[int]:
    """A counter of the transactions committed on `engine` from now on."""
    committed = [0]

    @event.listens_for(engine, "commit")
    def count(_conn: Any) -> None:
        committed[0] += 1

    return committed


@pytest.mark.parametrize("mode", ["fast", "immediate"])
@pytest.mark.timeout(240)
def test_postgres_restarted_in_the_middle_of_a_sweep_half_writes_nothing(mode: str) -> None:
    """A private cluster holds two identical busy registers. One is swept without interruption.
    The other's sweep is stopped inside a batch (its rows updated, its audit event appended, its
    emails about to be queued, nothing committed), the cluster is restarted under it, and the
    sweep fails; what it committed before is whole and nothing of the open batch is there. Its
    next run, on the same engine, reconnects and finishes: the register is then row for row what
    the uninterrupted sweep left."""
    with private_cluster() as cluster:
        single = _busy_register(cluster.create_database("single"))
        interrupted = _busy_register(cluster.create_database("interrupted"))
        try:
            began = time.perf_counter()
            commits = _commits(single)
            alone = sweep_all(single, None, None, batch_size=RESTART_BATCH)
            alone_seconds = time.perf_counter() - began
            total_commits = commits[0]
            assert sum(alone.values()) > 0 and total_commits > 10, (alone, total_commits)

            # half-way through the sweep, stop it inside a batch, before its emails are queued
            committed = _commits(interrupted)
            inside, restarted = threading.Event(), threading.Event()
            stopped_at: list[int] = []

            @event.listens_for(interrupted, "before_cursor_execute")
            def hold(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
                if (
                    not inside.is_set()
                    and committed[0] >= total_commits // 2
                    and statement.lstrip().upper().startswith("INSERT INTO OUTBOX ")
                ):
                    stopped_at.append(committed[0])
                    inside.set()
                    restarted.wait(120)

            failure: list[BaseException] = []

            def sweeper() -> None:
                try:
                    sweep_all(interrupted, None, None, batch_size=RESTART_BATCH)
                except BaseException as exc:  # what the restart did to it, asserted below
                    failure.append(exc)

            thread = threading.Thread(target=sweeper)
            thread.start()
            assert inside.wait(120), "the sweep never reached the middle of a batch"
            with interrupted.connect() as conn:
                # the open batch holds the audit head's lock: read without waiting for it
                in_flight = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'"
                    )
                ).scalar_one()
            began = time.perf_counter()
            cluster.restart(mode)
            restart_seconds = time.perf_counter() - began
            restarted.set()
            thread.join(120)
            assert not thread.is_alive()
            assert in_flight >= 1, "no transaction was open when the cluster went down"
            assert len(failure) == 1 and isinstance(failure[0], DBAPIError), failure
            assert failure[0].connection_invalidated, failure[0]

            # what the interrupted sweep left: only whole batches, each exactly as the
            # uninterrupted sweep wrote it, and not all of them
            partial = outbox_rows(interrupted)
            assert partial and partial < outbox_rows(single)
            assert batch_subjects(interrupted) < batch_subjects(single)
            chain, _, events_before = _verified(interrupted)
            assert chain is None, chain

            # and once more while the engine's connections sit idle in its pool, as between two
            # scheduled runs: each is dead, and the next run must not be handed one
            with interrupted.connect() as conn:
                conn.execute(text("SELECT 1"))
            cluster.restart(mode)

            # the next run, on the same engine
            began = time.perf_counter()
            sweep_all(interrupted, None, None, batch_size=RESTART_BATCH)
            rerun_seconds = time.perf_counter() - began

            assert outbox_rows(interrupted) == outbox_rows(single)
            assert batch_subjects(interrupted) == batch_subjects(single)
            assert max(batch_subjects(interrupted).values()) == 1
            after, expected = _content(interrupted), _content(single)
            assert {name for name in expected if after[name] != expected[name]} == set()
            assert sum(len(rows) for rows in after.values()) > 0
            chain, untold, events = _verified(interrupted)
            assert chain is None, chain
            assert (chain, untold, events) == _verified(single)
            assert events > events_before
            print(
                f"\nPostgreSQL restart (-m {mode}) mid-sweep: {len(KINDS) * RESTART_PER_KIND} "
                f"arrangements, batches of {RESTART_BATCH}; uninterrupted sweep "
                f"{total_commits} commits, {sum(alone.values())} records acted on, "
                f"{sum(outbox_rows(single).values())} emails, {alone_seconds:.1f} s; "
                f"interrupted inside the batch after commit {stopped_at[0]}, with "
                f"{sum(partial.values())} emails queued; restart {restart_seconds:.1f} s; "
                f"the next run finished in {rerun_seconds:.1f} s; {events} audit events verify"
            )
        finally:
            single.dispose()
            interrupted.dispose()
