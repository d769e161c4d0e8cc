"""A PostgreSQL cluster of a test's own, for drills that stop, kill or restart the server: the
machine's shared server is never touched (other test runs use it). `initdb` into a scratch
directory, `pg_ctl start` on a free port of 127.0.0.1, trust authentication; run as the
`postgres` operating-system user when the test runs as root (the server refuses root). The
test is skipped, saying why, when the server's binaries or that user are missing."""

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.utils.ports import free_port

# where Debian's packages put them; else PATH
BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _binary(name: str) -> Path | None:
    for directory in BIN_DIRS:
        if (directory / name).is_file():
            return directory / name
    found = shutil.which(name)
    return Path(found) if found else None


@dataclass
class PrivateCluster:
    """A running cluster: its data directory and port, how to reach it, and how to restart it."""

    directory: Path
    port: int
    pg_ctl: Path
    run_as: str | None

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *argv: str | Path, timeout: float = 120) -> str:
        command = [str(a) for a in argv]
        if self.run_as is not None:
            command = ["runuser", "-u", self.run_as, "--", *command]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, cwd=self.directory
        )
        if done.returncode != 0:
            raise AssertionError(
                f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}"
            )
        return done.stdout

    def ctl(self, *argv: str, timeout: float = 120) -> str:
        """`pg_ctl ARGV` on this cluster's data directory, waiting for it to finish."""
        return self._run(
            self.pg_ctl,
            "-D",
            self.data,
            "-l",
            self.directory / "server.log",
            "-w",
            "-t",
            "90",
            *argv,
            timeout=timeout,
        )

    def restart(self, mode: str = "fast") -> None:
        """`pg_ctl restart -m MODE`: `fast` ends every session and checkpoints, `immediate`
        kills the server outright and has it recover from its WAL on the way back up."""
        self.ctl("restart", "-m", mode)

    def create_database(self, name: str) -> str:
        """A new, empty database; its URL."""
        admin = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return self.url(name)

    def log(self) -> str:
        path = self.directory / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _problem() -> str | None:
    """Why a private cluster cannot be started here, or None."""
    for name in ("initdb", "pg_ctl"):
        if _binary(name) is None:
            return f"{name} is not installed (PostgreSQL's server binaries)"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root without runuser, and the server refuses to run as root"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root with no postgres user to run the server as"
    return None


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A fresh cluster in a scratch directory on a free port, stopped and removed afterwards;
    skips the test, saying why, when one cannot be started here."""
    problem = _problem()
    if problem is not None:
        pytest.skip(f"no private PostgreSQL cluster: {problem}")
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    assert initdb is not None and pg_ctl is not None
    run_as = "postgres" if os.geteuid() == 0 else None
    # not under pytest's tmp_path: its parents are root's alone, and the server runs as postgres
    directory = Path(tempfile.mkdtemp(prefix="isa-private-pg-"))
    if run_as is not None:
        user = pwd.getpwnam(run_as)
        os.chown(directory, user.pw_uid, user.pw_gid)
    cluster = PrivateCluster(directory, free_port(), pg_ctl, run_as)
    try:
        cluster._run(
            initdb,
            "-D",
            cluster.data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = (
            f"-p {cluster.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={directory} -c max_connections=40"
        )
        cluster.ctl("start", "-o", options)
        yield cluster
    finally:
        try:
            if (cluster.data / "postmaster.pid").exists():
                cluster.ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(directory, ignore_errors=True)
