"""The flows run at scale, as the README's "Running at scale" says, on this one machine: the
Prefect server on a PostgreSQL database of its own (`prefect server start`), every deployment
in prefect.yaml deployed to a process work pool (`isa deploy`), and workers (`isa worker`),
each its own process group, its output kept in a log. For the PostgreSQL tier's scale-out test
and the raised-to-completed benchmark."""

import os
import re
import signal
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.utils.isa_up import ISA, free_port, wait_for

__all__ = ["ISA", "Cluster", "free_port", "prefect_database", "scaled_out", "wait_until"]

# what `prefect worker start` logs as it takes a run
SUBMITTING = re.compile(r"Worker '([^']+)' submitting flow run '([0-9a-f-]{36})'")
ABORTED = re.compile(r"Aborted submission of flow run '([0-9a-f-]{36})'")


SERVER_OPTIONS = ("--no-ui", "--host", "127.0.0.1", "--port")


def wait_until(what: str, ready: Callable[[], object], seconds: float = 120) -> None:
    """`wait_for`, polling five times a second."""
    wait_for(what, ready, seconds, every=0.2)


@dataclass
class Cluster:
    """A running Prefect server, pool and workers; `env` is what every command gets."""

    api: str
    pool: str
    env: dict[str, str]
    folder: Path
    deployed: str = ""  # what `isa deploy` said
    processes: list[tuple[str, "subprocess.Popen[bytes]", IO[bytes]]] = field(default_factory=list)

    def start(self, name: str, argv: list[str]) -> None:
        log = (self.folder / f"{name}.log").open("wb")
        # in the cluster's folder: what a worker writes beside it (keys, logs) stays there
        process = subprocess.Popen(
            argv,
            env=self.env,
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append((name, process, log))

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def isa(self, *argv: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [str(ISA), *argv],
            env=self.env,
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, f"isa {' '.join(argv)}: {done.stderr}{done.stdout}"
        return done.stdout

    def refused(self, *argv: str, env: dict[str, str] | None = None) -> str:
        """What `isa` printed refusing: one line on stderr, exit 1, nothing on stdout."""
        done = subprocess.run(
            [str(ISA), *argv],
            env={**self.env, **(env or {})},
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 1 and not done.stdout, (done.returncode, done.stdout)
        (line,) = done.stderr.splitlines()
        return line

    def runs(self, **flow_runs: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.post(
            f"{self.api}/flow_runs/filter", json={"flow_runs": flow_runs, "limit": 200}, timeout=10
        ).json()
        return found

    def taken(self) -> dict[str, str]:
        """Each flow run a worker submitted, by run id: the worker's name (from its log). Two
        workers may both try one run: the server lets one move it to PENDING and the other
        logs that it aborted, so that one did not take it."""
        out: dict[str, str] = {}
        for name, _process, _log in self.processes:
            if name.startswith("worker"):
                log = self.log(name)
                aborted = set(ABORTED.findall(log))
                for worker, run in SUBMITTING.findall(log):
                    if run in aborted:
                        continue
                    assert run not in out, f"run {run} taken by {out[run]} and {worker}"
                    out[run] = worker
        return out

    def start_workers(self, count: int, *, limit: int | None = 1) -> list[str]:
        names = [f"worker-{chr(ord('a') + n)}" for n in range(count)]
        for name in names:
            options = ["--pool", self.pool, "--name", name]
            options += ["--limit", str(limit)] if limit is not None else []
            self.start(name, [str(ISA), "worker", *options])
        for name in names:
            wait_until(
                f"{name} to start",
                lambda name=name: "started!" in self.log(name) or self._ended(name),
                90,
            )
            assert not self._ended(name), self.log(name)
        return names

    def _ended(self, name: str) -> bool:
        return any(n == name and p.poll() is not None for n, p, _ in self.processes)

    def stop(self) -> None:
        for _name, process, log in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(10)
            log.close()


@contextmanager
def prefect_database(postgres_url: str) -> Iterator[str]:
    """A new PostgreSQL database for the Prefect server (asyncpg's URL), dropped afterwards."""
    name = f"isa_prefect_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        url = make_url(postgres_url).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@contextmanager
def scaled_out(
    folder: Path, *, prefect_db: str, env: dict[str, str], pool: str = "drill-pool"
) -> Iterator[Cluster]:
    """The Prefect server on `prefect_db`, every deployment deployed to `pool`: start workers
    with `Cluster.start_workers`. `env` holds the register's ISA_* settings."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    full = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ISA_"))},
        **env,
        "ISA_PREFECT_API_URL": api,
        "PREFECT_HOME": str(folder / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": prefect_db,
        "PREFECT_LOGGING_SERVER_LEVEL": "WARNING",
    }
    cluster = Cluster(api=api, pool=pool, env=full, folder=folder)
    try:
        cluster.start(
            "prefect-server",
            [str(ISA.with_name("prefect")), "server", "start", *SERVER_OPTIONS, str(port)],
        )
        wait_until(
            "the Prefect server on PostgreSQL to answer",
            lambda: httpx.get(f"{api}/health", timeout=2).json() is True,
            180,
        )
        cluster.env["PREFECT_API_URL"] = api
        cluster.deployed = cluster.isa("deploy", "--pool", pool)
        yield cluster
    finally:
        cluster.stop()
