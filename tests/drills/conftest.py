"""What the drills share: a real SMTP server, and for the crash drills of the flows one Prefect
server (`prefect server start`, its own SQLite, no UI, no services, analytics off) whose API the
children's flow runs report to. It starts in the background as soon as the run is collected,
so it comes up while the drills that need no Prefect run (in parallel runs, when the first drill
asks for it), and stops at the end of the run.
Nothing here is autouse: a drill asks for what it needs."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.utils.smtp import smtp_server as smtp_server  # the fixture

PREFECT_FIXTURE = "drill_prefect_api"


class _PrefectServer:
    """A `prefect server start` of our own, started once, stopped by its process group."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="drill-prefect-"))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/api"
        env = {
            **os.environ,
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.url,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_SERVER_UI_ENABLED": "false",
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": (
                f"sqlite+aiosqlite:///{self.home / 'prefect.db'}"
            ),
            "PREFECT_LOGGING_SERVER_LEVEL": "WARNING",
        }
        self.log = open(self.home / "server.log", "wb")  # noqa: SIM115  (closed in stop)
        prefect = Path(sys.executable).parent / "prefect"
        self.process = subprocess.Popen(
            [
                *(str(prefect), "server", "start", "--host", "127.0.0.1", "--port"),
                *(str(self.port), "--no-ui", "--no-services"),
            ],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait(self, timeout: float = 150.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer:
                    if answer.status == 200:
                        return self.url
            except OSError:
                pass
            time.sleep(0.3)
        log = (self.home / "server.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"the drills' Prefect server did not come up: {log}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.log.close()
        # its database and log: nothing reads them once the run is over
        shutil.rmtree(self.home, ignore_errors=True)


_server: _PrefectServer | None = None


def pytest_collection_modifyitems(session: pytest.Session, config: Any, items: list[Any]) -> None:
    global _server
    # run alone, the server starts while the drills that need no Prefect run; under xdist every
    # worker collects every test, and only the worker given the drills' group starts it, lazily
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if _server is None and any(PREFECT_FIXTURE in getattr(i, "fixturenames", ()) for i in items):
        _server = _PrefectServer()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _server is not None:
        _server.stop()


@pytest.fixture(scope="session")
def drill_prefect_api() -> str:
    """The API URL of the drills' Prefect server, once it answers its health check."""
    global _server
    if _server is None:
        _server = _PrefectServer()
    return _server.wait()


@pytest.fixture
def drill_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
