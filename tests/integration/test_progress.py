"""Long commands draw their progress with rich on a terminal (a pseudo-terminal here) and stay
plain when piped: the same summary line, no escape sequence, nothing drawn."""

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pendulum
from sqlmodel import Session

from tasks.sample import load_sample_register
from tests.conftest import Database

ISA = Path(sys.executable).with_name("isa")
ELAPSED = re.compile(r"\d:\d\d:\d\d")


def _on_a_terminal(argv: list[str]) -> tuple[int, str]:
    """Run `isa ARGV` with stdout and stderr a pseudo-terminal; its exit code and all it drew."""
    leader, follower = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120"}
    proc = subprocess.Popen(
        [str(ISA), *argv], stdin=follower, stdout=follower, stderr=follower, env=env
    )
    os.close(follower)
    drawn = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        drawn += chunk
    os.close(leader)
    return proc.wait(timeout=120), drawn.decode(errors="replace")


def test_a_sweep_and_a_delivery_show_progress_on_a_terminal_and_none_when_piped(
    db: Database, isa, session: Session, now: pendulum.DateTime
) -> None:  # type: ignore[no-untyped-def]
    load_sample_register(session, now=now)
    code, drawn = _on_a_terminal(["sweep", "reviews", "--batch-size", "1"])
    assert code == 0, drawn
    # each batched phase's line: its action, the records done so far, the time taken
    assert "approval.chase" in drawn and " done" in drawn, drawn
    assert ELAPSED.search(drawn), drawn
    assert "\x1b[" in drawn
    assert "reviews sweep 2026-11-25: " in drawn

    piped = subprocess.run(
        [str(ISA), "sweep", "access", "--batch-size", "1"],
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    assert "\x1b[" not in piped.stdout and not ELAPSED.search(piped.stdout)
    assert piped.stdout.startswith("access sweep 2026-11-25: "), piped.stdout
    # --json on a terminal: JSON only, nothing drawn
    code, drawn = _on_a_terminal(["outbox", "deliver", "--json"])
    assert "\x1b[" not in drawn and not ELAPSED.search(drawn), drawn
    code, drawn = _on_a_terminal(["db", "upgrade", "--json"])
    assert code == 0 and drawn.strip().startswith("{"), drawn
