"""Benchmark: a suspension raised at the command line to its flow run completed on Prefect
workers, as "Running at scale" runs them, against a baseline in the same run: a run of the
deployed `deliver-outbox` deployment created through the API to completed (a worker's poll, its
process start, the pull step and imports, with no trigger and no register work).

Starts a Prefect server (its own SQLite here: the workers' latency is what is measured), `isa
deploy` to a work pool, two `isa worker`s and a mail sink, over a sample register in a SQLite
file; then 5 times: `isa suspend` a sample agency, time until its suspension flow run is
COMPLETED, and resume the agency so it can be suspended again. Prints the median of the raises
and of the baseline runs. Target: median 10 s or less on workers.

    .venv/bin/python bench/raised_on_workers.py [--raises 5]
"""

import argparse
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pendulum
from fresh_copy import completed_run, result, wait_until_quiet, where_the_time_went
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.db import make_engine, upgrade
from core.keys import audit_seal, link_issuer
from core.settings import Settings
from isa.prefect_events import prefect_request
from tasks.sample import load_sample_register
from tests.utils.cluster import ISA, Cluster, free_port, scaled_out, wait_until

AGENCY = "Sample: Northshire Police"
SIGNATORY = "signatory@police.sample.example"
CHAIR = "chair@monitoring-group.sample.example"
TARGET = 10.0
KEY = "bench-workers-key-0123456789abcdef0123456789"


def _listens(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _create_run(cluster: Cluster, deployment: str) -> dict[str, str]:
    """A run of the deployment (prefect_request tries a busy server's 503 again)."""
    url = f"{cluster.api}/deployments/{deployment}/create_flow_run"
    found: dict[str, str] = prefect_request("POST", url, json={}).json()
    return found


def _completed(cluster: Cluster, pick: Any, since: float) -> tuple[float, dict[str, Any]]:
    return completed_run(lambda: cluster.runs(state={"type": {"any_": ["COMPLETED"]}}), pick, since)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raises", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        smtp = free_port()
        env = {
            "ISA_DATABASE_URL": f"sqlite:///{root / 'isa.db'}",
            "ISA_AUDIT_KEY": KEY,
            "ISA_SECRET_KEY": KEY,
            "ISA_SMTP_HOST": "127.0.0.1",
            "ISA_SMTP_PORT": str(smtp),
            "ISA_MAIL_FROM": "Information Sharing Register <isa-register@register.example.org>",
        }
        settings = Settings(database_url=env["ISA_DATABASE_URL"], audit_key=KEY, secret_key=KEY)
        upgrade(settings.database_url)
        engine = make_engine(
            settings.database_url,
            audit=audit_seal(settings, "cli"),
            mailbox=env["ISA_MAIL_FROM"],
            links=link_issuer(settings),
        )
        with Session(engine, expire_on_commit=False) as session:
            load_sample_register(session, now=pendulum.now("UTC"))
        engine.dispose()
        prefect_db = f"sqlite+aiosqlite:///{root / 'prefect.db'}"
        with scaled_out(root, prefect_db=prefect_db, env=env) as cluster:
            sink = ["mailsink", "--dir", str(root / "mail"), "--port", str(smtp)]
            cluster.start("mailsink", [str(ISA), *sink])
            wait_until("the mail sink", lambda: _listens(smtp), 60)
            cluster.start_workers(2, limit=None)
            wait_until(
                "the triggers to be loaded",
                lambda: httpx.post(f"{cluster.api}/automations/filter", json={}).json(),
                60,
            )
            # the triggers service settling; then the events loading the sample register owes
            # published (`isa outbox deliver`, as the next delivery run would) and the runs
            # they start (its approvals) run, so the raises are timed on a quiet pool
            time.sleep(5)
            cluster.isa("outbox", "deliver")
            print(f"  quiet after {wait_until_quiet(cluster.api):.0f} s")
            print(f"  {cluster.deployed.splitlines()[-2]}")
            raised: list[float] = []
            for n in range(args.raises):
                said = cluster.isa(
                    "suspend", AGENCY, "--reason", f"Drill {n}", "--as", SIGNATORY, "--json"
                )
                returned = time.time()
                reference = said.split('"suspension": "')[1].split('"')[0]
                took, run = _completed(
                    cluster,
                    lambda run, ref=reference: (
                        run["parameters"].get("suspension") == ref
                        and run["parameters"].get("as_of") is None
                    ),
                    returned,
                )
                raised.append(took)
                print(
                    f"  {reference}: flow run completed {took:.1f} s after isa suspend "
                    f"({where_the_time_went(run, returned)})"
                )
                at = pendulum.now("UTC").add(hours=1).isoformat()
                cluster.isa(
                    "meeting", "schedule", reference, "--at", at, "--place", "Room 2", "--as", CHAIR
                )
                cluster.isa(
                    "meeting", "record", reference, "--outcome", "resume", "--attendee",
                    SIGNATORY, "--risk-assessment", "Drill", "--as", CHAIR,
                )  # fmt: skip
                time.sleep(5)  # the settled event's run, on a worker, before the next raise
            baseline: list[float] = []
            deployment = httpx.get(
                f"{cluster.api}/deployments/name/deliver-outbox/deliver-outbox", timeout=10
            ).json()
            for _ in range(args.raises):
                asked = time.time()
                run = _create_run(cluster, deployment["id"])
                took, done = _completed(cluster, lambda r, i=run["id"]: r["id"] == i, asked)
                baseline.append(took)
                print(f"  baseline run completed {took:.1f} s ({where_the_time_went(done, asked)})")
                time.sleep(1)
    ours, base = statistics.median(raised), statistics.median(baseline)
    print(f"raised to completed on workers (median of {len(raised)}): {ours:.1f} s")
    print(f"a deployed run created through the API (median): {base:.1f} s")
    result(
        "suspension raised to flow completed, on workers",
        f"{ours:.1f} s",
        f"{base:.1f} s",
        ours / base,
        f"<= {TARGET:.0f} s",
        ours <= TARGET,
    )


if __name__ == "__main__":
    main()
