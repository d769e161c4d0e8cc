"""Running at scale, as the README's "Running at scale" says (issue 14), on PostgreSQL: the
Prefect server on a PostgreSQL database of its own, every deployment deployed to a process work
pool with `isa deploy` (`prefect deploy --all` underneath), two `isa worker`s taking one run at
a time, the register on PostgreSQL, a real SMTP server. A suspension raised at the command line
starts its flow on a worker through the deployment's trigger, once; the daily sweeps started
with it run on the workers too, spread over both; every email arrives once."""

import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pendulum
import pytest
from sqlalchemy import text
from sqlmodel import Session

from core.db import make_engine, upgrade
from isa.deployments import read_specs
from models.links import LinkIssuer
from tasks.sample import load_sample_register
from tests.conftest import (
    POSTGRES_URL,
    TEST_AUDIT_KEY,
    TEST_MAIL_FROM,
    TEST_SEAL,
    TEST_SECRET_KEY,
    empty_postgres_schema,
)
from tests.utils.cluster import Cluster, free_port, prefect_database, scaled_out, wait_until
from tests.utils.isa_up import ISA, Scratch, scratch, start_up, stop_up
from tests.utils.prefect_runs import wait_for_triggers
from tests.utils.smtp import SMTPServer
from tests.utils.smtp import smtp_server as smtp_server  # the fixture

pytestmark = pytest.mark.servers  # a PostgreSQL cluster and Prefect servers of its own

POLICE = "Sample: Northshire Police"
SIGNATORY = "signatory@police.sample.example"
SWEEPS = ("deadline-sweep", "access-sweep", "review-sweep", "disposal-sweep")
# the mail a real relay takes: from a mailbox that can receive replies
MAIL_FROM = "Information Sharing Register <isa-register@register.example.org>"


def _register_env(url: str, smtp: SMTPServer) -> dict[str, str]:
    """Every ISA_* setting a worker's flow runs need, as the README lists them."""
    return {
        "ISA_DATABASE_URL": url,
        "ISA_AUDIT_KEY": TEST_AUDIT_KEY,
        "ISA_SECRET_KEY": TEST_SECRET_KEY,
        "ISA_SMTP_HOST": smtp.host,
        "ISA_SMTP_PORT": str(smtp.port),
        "ISA_MAIL_FROM": MAIL_FROM,
        "ISA_PUBLIC_URL": "http://127.0.0.1:8000",
    }


def _triggers_loaded(cluster: Cluster) -> bool:
    wanted = sum(len(spec.triggers) for spec in read_specs())
    found = httpx.post(f"{cluster.api}/automations/filter", json={}, timeout=5).json()
    return len(found) >= wanted


def _start_run(cluster: Cluster, name: str) -> str:
    (deployment,) = httpx.post(
        f"{cluster.api}/deployments/filter",
        json={"deployments": {"name": {"any_": [name]}}},
        timeout=10,
    ).json()
    run = httpx.post(
        f"{cluster.api}/deployments/{deployment['id']}/create_flow_run", json={}, timeout=10
    ).json()
    return str(run["id"])


def _by_id(cluster: Cluster, ids: list[str]) -> dict[str, dict[str, Any]]:
    return {run["id"]: run for run in cluster.runs(id={"any_": ids})}


@pytest.mark.postgres
@pytest.mark.timeout(600)
def test_two_workers_serve_the_flows_deployed_with_isa_deploy_on_postgresql(
    tmp_path: Path, smtp_server: SMTPServer
) -> None:
    with empty_postgres_schema("isa_scale") as url, prefect_database(POSTGRES_URL) as pdb:
        upgrade(url)
        links = LinkIssuer(key=TEST_SECRET_KEY.encode(), public_url="http://127.0.0.1:8000")
        engine = make_engine(url, audit=TEST_SEAL, mailbox=TEST_MAIL_FROM, links=links)
        try:
            with Session(engine, expire_on_commit=False) as session:
                load_sample_register(session, now=pendulum.now("UTC"))
            env = _register_env(url, smtp_server)
            with scaled_out(tmp_path, prefect_db=pdb, env=env) as cluster:
                deployed = len(read_specs())
                assert f"deployed {deployed} deployments (" in cluster.deployed
                assert "to work pool drill-pool" in cluster.deployed, cluster.deployed
                # a worker that could not run the flows says why in one line and never starts
                closed = free_port()
                for change, why in (
                    ({"ISA_SMTP_PORT": str(free_port())}, "the SMTP relay at 127.0.0.1:"),
                    ({"ISA_AUDIT_KEY": ""}, "ISA_AUDIT_KEY is too short"),
                    ({"ISA_DATABASE_URL": f"{url}x"}, "the register's database is not set up"),
                    (
                        {"ISA_DATABASE_URL": url.replace(":5432/", f":{closed}/")},
                        f"cannot connect to the database at 127.0.0.1:{closed}: ",
                    ),
                    ({"ISA_PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api"}, "no Prefect"),
                ):
                    line = cluster.refused("worker", "--pool", "drill-pool", env=change)
                    assert why in line, (change, line)
                line = cluster.refused("worker", "--pool", "elsewhere")
                assert "has no work pool elsewhere: run `isa deploy --pool elsewhere`" in line
                line = cluster.refused("deploy", "--pool", "two words")
                assert "--pool must be 1 to 100 letters, digits" in line
                workers = cluster.start_workers(2, limit=1)
                wait_until("the triggers to be loaded", lambda: _triggers_loaded(cluster), 60)
                wait_for_triggers(cluster.api)

                said = cluster.isa(
                    "suspend", POLICE, "--reason", "Scale-out drill", "--as", SIGNATORY, "--json"
                )
                reference = said.split('"suspension": "')[1].split('"')[0]
                sweeps = [_start_run(cluster, f"{name}") for name in SWEEPS]

                def raised_runs() -> list[dict[str, Any]]:
                    return [
                        run
                        for run in cluster.runs()
                        if run["parameters"].get("suspension") == reference
                        and run["parameters"].get("as_of") is None
                    ]

                def all_done() -> bool:
                    raised = raised_runs()
                    done = _by_id(cluster, sweeps)
                    return (
                        len(raised) == 1
                        and raised[0]["state_type"] == "COMPLETED"
                        and all(run["state_type"] == "COMPLETED" for run in done.values())
                        and len(done) == len(sweeps)
                    )

                try:
                    wait_until("the suspension's flow and the sweeps to complete", all_done, 300)
                except AssertionError:
                    states = [(r["name"], r["state_name"]) for r in cluster.runs()]
                    pytest.fail(f"{states}\n{cluster.log('worker-a')[-3000:]}")
                time.sleep(4)  # a second trigger firing would have made its run by now
                (raised,) = raised_runs()

                # each run was taken by exactly one worker, and both workers took some (the
                # delivery runs the changes' `isa.outbox.queued` started among them)
                taken = cluster.taken()
                delivered = [r["id"] for r in cluster.runs() if "settle_seconds" in r["parameters"]]
                ran = [raised["id"], *sweeps, *delivered]
                assert set(ran) <= set(taken), (ran, taken)
                assert {taken[run] for run in ran} == set(workers), taken

                # its checker runs for days 7, 14, 25 and 30 wait on the server
                checks = [
                    run
                    for run in cluster.runs(state={"type": {"any_": ["SCHEDULED"]}})
                    if run["parameters"].get("suspension") == reference
                ]
                assert len(checks) == 4, [run["name"] for run in checks]

            # every email the register queued was sent (or withdrawn unsent, as a suspension
            # withdraws the reminders of what it suspends), and arrived once
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT status, message_id FROM outbox")).all()
            statuses = Counter(status for status, _ in rows)
            assert set(statuses) == {"sent", "cancelled"}, statuses
            sent = Counter(message_id for status, message_id in rows if status == "sent")
            received = Counter(message.message_id for message in smtp_server.received)
            assert received == sent
            assert set(received.values()) == {1}
            print(
                f"\nscale-out: {deployed} deployments on pool drill-pool, workers {workers} took "
                f"{Counter(taken[r] for r in ran)}; {len(sent)} emails sent, each received once"
            )
        finally:
            engine.dispose()


def _pools(api: str) -> dict[str, str | None]:
    found = httpx.post(f"{api}/deployments/filter", json={}, timeout=10).json()
    return {d["name"]: d["work_pool_name"] for d in found}


def _run(where: Scratch, *argv: str) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(
        [ISA, *argv], cwd=where.folder, env=where.env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.timeout(600)
def test_isa_up_and_isa_deploy_refuse_each_other_s_deployments_in_one_line_or_take_them_over(
    tmp_path: Path,
) -> None:
    """`isa deploy` on the server `isa up` serves refuses, changing nothing; `--take-over`
    gives the deployments to the pool. `isa up` on a server whose deployments a pool runs then
    refuses, changing nothing, where it used to crash every run ("flow code from storage at
    None"); `isa up --take-over` serves them again and its deadline sweep schedules again the
    checker runs deleting them dropped."""
    where = scratch(tmp_path)
    names = {spec.name for spec in read_specs()}
    up, _ = start_up(where)
    try:
        assert set(_pools(where.api).values()) == {None}
        refused = _run(where, "deploy", "--pool", "moved")
        assert refused.returncode == 1, refused.stdout
        (line,) = refused.stderr.splitlines()
        assert line.startswith(
            f"isa: error: the Prefect server at {where.api} holds {len(names)} deploy"
        )
        assert "isa deploy --take-over" in line
        assert set(_pools(where.api).values()) == {None}
        assert httpx.get(f"{where.api}/work_pools/moved", timeout=5).status_code == 404

        took = _run(where, "deploy", "--pool", "moved", "--take-over")
        assert took.returncode == 0, took.stderr
        assert f"took over {len(names)} deployments" in took.stdout
        assert _pools(where.api) == dict.fromkeys(names, "moved")
    finally:
        stop_up(up)

    again = _run(where, "up")
    assert again.returncode == 1, again.stdout
    (line,) = again.stderr.splitlines()
    assert f"holds {len(names)} deployments" in line and "workers of pool moved run" in line, line
    assert "isa up --take-over" in line

    up, lines = start_up(where, "--take-over")
    try:
        assert any(f"took over {len(names)} deployments" in line for line in lines), lines
        assert set(_pools(where.api).values()) == {None}
    finally:
        stop_up(up)
