"""Shared by the benchmarks: time one piece of work on a fresh copy of a built register."""

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from core.db import make_engine
from core.settings import DEFAULT_MAIL_FROM
from models.audit import AuditSeal
from models.links import LinkIssuer
from models.tables import Installation
from notifications.links import insert_links
from notifications.message import Sender
from notifications.outbox import insert_rows

# What the benchmarks' use cases seal their audit events with, and make their links with.
BENCH_SEAL = AuditSeal(key=b"bench-audit-key-" * 4, channel="bench", os_user="bench")
BENCH_LINKS = LinkIssuer(key=b"bench-secret-key-" * 4, public_url="http://127.0.0.1:8000")


RESULT = "RESULT "


def completed_run(
    runs: Callable[[], list[dict[str, Any]]],
    pick: Callable[[dict[str, Any]], bool],
    since: float,
    timeout: float = 120,
) -> tuple[float, dict[str, Any]]:
    """Poll `runs()` (the server's completed runs) until one `pick` chooses: the seconds since
    `since` (a `time.time()`), and that run."""
    while time.time() - since < timeout:
        for run in runs():
            if pick(run):
                return time.time() - since, run
        time.sleep(0.1)
    raise SystemExit("no completed run within the timeout")


def wait_until_quiet(api: str, timeout: float = 300) -> float:
    """Wait until the Prefect server at `api` has no run pending, running or due (what a start
    queued: the sample register's approval runs, the first sweeps), for 3 s in a row, so a
    timed raise does not queue behind them; returns the seconds waited."""
    import httpx
    import pendulum

    started = quiet_since = time.time()
    while time.time() - started < timeout:
        now = pendulum.now("UTC").isoformat()
        busy = (
            httpx.post(
                f"{api}/flow_runs/count",
                json={"flow_runs": {"state": {"type": {"any_": ["PENDING", "RUNNING"]}}}},
                timeout=10,
            ).json()
            + httpx.post(
                f"{api}/flow_runs/count",
                json={
                    "flow_runs": {
                        "state": {"type": {"any_": ["SCHEDULED"]}},
                        "expected_start_time": {"before_": now},
                    }
                },
                timeout=10,
            ).json()
        )
        if busy:
            quiet_since = time.time()
        elif time.time() - quiet_since >= 3:
            return time.time() - started
        time.sleep(0.5)
    raise SystemExit(f"the Prefect server at {api} did not settle within {timeout:.0f} s")


def where_the_time_went(run: dict[str, Any], since: float) -> str:
    """A completed run's wait split at the server's own timestamps: to the run created (the
    event, the trigger, the automation's action), to it started (the runner's or worker's
    poll, the process start, the flow's imports), to it completed (the flow's work)."""
    import pendulum

    def at(key: str) -> float:
        return float(pendulum.parse(run[key]).timestamp())  # type: ignore[union-attr]

    created, start, end = at("created"), at("start_time"), at("end_time")
    return (
        f"created +{created - since:.1f} s, started +{start - created:.1f} s, "
        f"completed +{end - start:.1f} s"
    )


def result(measure: str, ours: str, baseline: str, ratio: float, target: str, met: bool) -> None:
    """One row of `make bench`'s table, printed as a line bench/all.py reads."""
    row = {
        "measure": measure,
        "ours": ours,
        "baseline": baseline,
        "ratio": round(ratio, 2),
        "target": target,
        "met": met,
    }
    print(RESULT + json.dumps(row), flush=True)


def insert_drafts(session: Session, drafts: list[dict[str, Any]], now: Any) -> int:
    """What the outbox does with drafted rows: insert them, and the personal links they carry."""
    links = [row.pop("link") for row in drafts if row.get("link") is not None]
    for row in drafts:
        row.pop("link", None)
    queued = insert_rows(session, drafts)
    insert_links(session, links, now)
    return queued


def sender_context(session: Session) -> dict[str, str]:
    """What a hand-built email context needs to name its sender, read once as the outbox does."""
    identifier = session.exec(select(Installation.identifier)).one()
    return Sender(installation=identifier, mailbox=DEFAULT_MAIL_FROM).as_context()


def timed(template: Path, work: Callable[[Engine], int]) -> tuple[float, int]:
    """Seconds `work` took on a copy of the SQLite register at `template`, and what it returned."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "isa.db"
        shutil.copy(template, path)
        engine = make_engine(f"sqlite:///{path}", audit=BENCH_SEAL, links=BENCH_LINKS)
        started = time.perf_counter()
        result = work(engine)
        elapsed = time.perf_counter() - started
        engine.dispose()
    return elapsed, result
