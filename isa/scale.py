"""Running at scale: the flows deployed to a Prefect work pool and run by workers on as many
machines as needed (README, "Running at scale"). Two roles besides the Prefect server:

- `isa deploy`: create the process work pool if it is missing and deploy every deployment in
  prefect.yaml to it with `prefect deploy --all` (the pool's name reaches the file through
  ISA_WORK_POOL); refuse a server whose deployments `isa up` serves, unless told to take them
  over, as `isa up` refuses deployments that workers run.
- `isa worker`: check first that this machine can run the flows (the register reachable and at
  this version's revision, the audit and secret keys, the SMTP relay, the Prefect server and the
  pool), say so in one line, then become `prefect worker start` for the pool.

Deleting a deployment deletes its scheduled runs, so taking over drops the checker runs of
every open suspension and withdrawal: the deadline sweep schedules them again, and taking over
starts one at once."""

import os
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from core.settings import Settings
from isa.deployments import read_specs
from isa.prefect_events import http_problem, prefect_request, server_healthy
from isa.steps import PROJECT
from models.errors import IsaError

# how often a worker asks for runs (Prefect's default is 10 s): a matter just raised waits
# for at most this before a worker takes its flow
WORKER_QUERY_SECONDS = "2"


@dataclass(frozen=True)
class Deployed:
    """A deployment on the server: its flow/deployment name and the pool that runs it (None:
    served by a runner, as `isa up` serves them)."""

    name: str
    pool: str | None
    id: str


def deployments(api_url: str) -> list[Deployed]:
    """Every deployment of prefect.yaml's flows that the server holds."""
    ours = {spec.name for spec in read_specs()}
    try:
        response = prefect_request("POST", f"{api_url}/deployments/filter", json={"limit": 200})
        flows = prefect_request("POST", f"{api_url}/flows/filter", json={"limit": 200})
    except httpx.HTTPError as exc:
        raise IsaError(
            f"the Prefect server at {api_url} did not list its deployments: {http_problem(exc)}"
        ) from None
    flow_names = {f["id"]: f["name"] for f in flows.json()}
    return sorted(
        (
            Deployed(
                name=f"{flow_names.get(d['flow_id'], '?')}/{d['name']}",
                pool=d.get("work_pool_name"),
                id=d["id"],
            )
            for d in response.json()
            if d["name"] in ours
        ),
        key=lambda d: d.name,
    )


def describe(found: list[Deployed]) -> str:
    """`3 deployments (suspension/suspension, ...)`, at most three named."""
    names = ", ".join(d.name for d in found[:3]) + (", ..." if len(found) > 3 else "")
    return f"{len(found)} deployment{'s' if len(found) != 1 else ''} ({names})"


def delete_deployments(api_url: str, found: list[Deployed]) -> None:
    for deployed in found:
        try:
            prefect_request("DELETE", f"{api_url}/deployments/{deployed.id}")
        except httpx.HTTPError as exc:
            raise IsaError(
                f"could not delete the deployment {deployed.name}: {http_problem(exc)}"
            ) from None


def _require_server(api_url: str) -> None:
    if not server_healthy(api_url):
        raise IsaError(
            f"no Prefect server answers at {api_url}: start it first (`prefect server start`), "
            "or set ISA_PREFECT_API_URL to its API"
        )


def _pool_exists(api_url: str, pool: str) -> bool:
    try:
        response = prefect_request("GET", f"{api_url}/work_pools/{pool}", check=False)
    except httpx.HTTPError as exc:
        raise IsaError(
            f"the Prefect server at {api_url} did not answer: {http_problem(exc)}"
        ) from None
    return response.status_code == 200


def _prefect(args: list[str], env: dict[str, str], what: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        lines = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        raise IsaError(f"{what} failed: {lines[-1].strip() if lines else done.returncode}")
    return done.stdout


def prefect_env(settings: Settings, pool: str) -> dict[str, str]:
    """What a `prefect` command started for a role needs: the server to talk to, the pool's
    name for prefect.yaml, and analytics off."""
    from isa.deployments import INSTALLATION_VARIABLE, installation_of

    return {
        **os.environ,
        "PREFECT_API_URL": settings.prefect_api_url,
        "ISA_WORK_POOL": pool,
        # prefect.yaml's triggers match this register's events only
        INSTALLATION_VARIABLE: installation_of(settings.database_url),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def deploy(settings: Settings, pool: str, take_over: bool, say: Callable[[str], None]) -> None:
    """Deploy every deployment in prefect.yaml to `pool` on the configured Prefect server."""
    api = settings.prefect_api_url
    check_pool_name(pool)
    _require_server(api)
    served = [d for d in deployments(api) if d.pool is None]
    if served and not take_over:
        raise IsaError(
            f"the Prefect server at {api} holds {describe(served)} that `isa up` serves: stop "
            "isa up, then run `isa deploy --take-over` to replace them (the deadline sweep it "
            "starts schedules again every checker run they had)"
        )
    env = prefect_env(settings, pool)
    if not _pool_exists(api, pool):
        _prefect(["work-pool", "create", pool, "--type", "process"], env, f"creating pool {pool}")
        say(f"created the process work pool {pool}")
    if served:
        delete_deployments(api, served)
        say(f"took over {describe(served)} from isa up")
    _prefect(["deploy", "--all"], env, "prefect deploy --all")
    ours = [d for d in deployments(api) if d.pool == pool]
    say(f"deployed {describe(ours)} to work pool {pool} at {api}")
    if served:
        _prefect(["deployment", "run", "deadline-sweep/deadline-sweep"], env, "starting the sweep")
        say("started the deadline sweep: it schedules again the checker runs of open matters")
    say(f"Next, on each machine that runs flows: isa worker --pool {pool}")


def check_pool_name(pool: str, option: str = "--pool") -> None:
    """A pool's (or a worker's) name: what Prefect's URLs and logs show as it is."""
    if not 0 < len(pool) <= 100 or not all(
        c.isascii() and (c.isalnum() or c in "-_") for c in pool
    ):
        raise IsaError(f"{option} must be 1 to 100 letters, digits, '-' and '_', not '{pool}'")


def preflight(settings: Settings, pool: str) -> list[str]:
    """What a worker's flow runs will need, checked now: each problem as one line, or what
    was found, so a worker never starts only to fail every run."""
    from core.db import check_connection, check_revision, make_engine
    from core.keys import audit_seal, link_issuer

    check_pool_name(pool)
    _require_server(settings.prefect_api_url)
    if not _pool_exists(settings.prefect_api_url, pool):
        raise IsaError(
            f"the Prefect server at {settings.prefect_api_url} has no work pool {pool}: "
            f"run `isa deploy --pool {pool}` first"
        )
    # the keys first: a register on PostgreSQL without ISA_AUDIT_KEY is refused here
    seal = audit_seal(settings, "prefect")
    links = link_issuer(settings)
    engine = make_engine(
        settings.database_url,
        audit=seal,
        links=links,
        mailbox=settings.mail_from,
        office=settings.office_mailbox(),
    )
    try:
        check_connection(engine)
        check_revision(engine)
    finally:
        engine.dispose()
    host, port = settings.smtp_relay()
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise IsaError(
            f"the SMTP relay at {host}:{port} does not answer ({exc.strerror or exc}): set "
            "ISA_SMTP_HOST and ISA_SMTP_PORT"
        ) from None
    return [
        f"register {engine.url.render_as_string(hide_password=True)}",
        f"mail via {host}:{port}",
        f"links to {settings.public_url}",
        f"Prefect at {settings.prefect_api_url}",
    ]


def worker_argv(pool: str, name: str | None, limit: int | None) -> list[str]:
    argv = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool]
    argv += ["--type", "process"]
    if name:
        argv += ["--name", name]
    if limit is not None:
        argv += ["--limit", str(limit)]
    return argv


def worker(
    settings: Settings,
    pool: str,
    name: str | None,
    limit: int | None,
    say: Callable[[str], None],
    execute: Callable[..., Any] = os.execve,
) -> None:
    """Check this machine, then replace this process by a Prefect process worker for `pool`,
    in the project folder, asking for runs every 2 s unless PREFECT_WORKER_QUERY_SECONDS says."""
    found = preflight(settings, pool)
    say(f"worker for pool {pool}: " + "; ".join(found))
    env = prefect_env(settings, pool)
    env.setdefault("PREFECT_WORKER_QUERY_SECONDS", WORKER_QUERY_SECONDS)
    os.chdir(PROJECT)
    sys.stdout.flush()
    argv = worker_argv(pool, name, limit)
    execute(argv[0], argv, env)
