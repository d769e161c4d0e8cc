"""`isa up` in a scratch folder, as a new user runs it: free ports for the Prefect server, the
mail sink and the portal, an environment naming them (and nothing of the caller's Prefect or
ISA settings), the command started in its own session and read until it says it is ready, and
stopped with Ctrl-C."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.utils.ports import free_port

ISA = Path(sys.executable).with_name("isa")


def wait_for(
    what: str, ready: Callable[[], object], seconds: float = 120, *, every: float = 1.0
) -> None:
    """Poll `ready` every second (or `every`; an HTTP error counts as not yet) until it is
    true."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {seconds} s")


@dataclass(frozen=True)
class Scratch:
    """A scratch folder's ports and the environment every command run in it gets."""

    folder: Path
    port: int
    smtp: int
    web: int
    env: dict[str, str]

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def mail(self) -> Path:
        return self.folder / "var" / "mail"

    @property
    def database_url(self) -> str:
        return self.env["ISA_DATABASE_URL"]


def scratch(folder: Path, *, keep: tuple[str, ...] = ()) -> Scratch:
    """Free ports and the environment of `isa up` in `folder`: the caller's PREFECT_ and ISA_
    settings left out (but those named in `keep`), everything under `folder / var`."""
    port, smtp, web = free_port(), free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PREFECT_", "ISA_")) or key in keep
    }
    env.update(
        ISA_PREFECT_PORT=str(port),
        ISA_PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
        ISA_SMTP_PORT=str(smtp),
        ISA_DATABASE_URL=f"sqlite:///{folder / 'var' / 'isa.db'}",
        ISA_PREFECT_HOME=str(folder / "var" / "prefect"),
        ISA_MAIL_DIR=str(folder / "var" / "mail"),
        ISA_WEB_PORT=str(web),
        ISA_PUBLIC_URL=f"http://127.0.0.1:{web}",
    )
    return Scratch(folder, port, smtp, web, env)


def start_up(where: Scratch, *options: str) -> tuple["subprocess.Popen[str]", list[str]]:
    """Start `isa up` in the scratch folder and read its output until `Ready. Stop:`; returns
    the process (stop it with `stop_up`) and the lines it printed."""
    up = subprocess.Popen(
        [ISA, "up", *options],
        cwd=where.folder,
        env=where.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    try:
        assert up.stdout is not None
        while not any(line.startswith("Ready. Stop:") for line in lines):
            line = up.stdout.readline()
            assert line, "isa up ended early:\n" + "".join(lines)
            lines.append(line)
    except BaseException:
        stop_up(up)
        raise
    return up, lines


def stop_up(up: "subprocess.Popen[str]") -> None:
    """Ctrl-C, as the README says: `isa up` stops everything it started."""
    if up.poll() is None:
        os.killpg(up.pid, signal.SIGINT)
    up.wait(timeout=90)
