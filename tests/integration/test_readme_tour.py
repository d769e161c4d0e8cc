"""The README's tour of a suspension and a withdrawal, its commands run as written (through
bash, the installed `isa`) against the sample register `make up` loads: each succeeds."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pendulum
from sqlmodel import Session

from tasks.sample import load_sample_register
from tests.conftest import Database

README = Path(__file__).resolve().parents[2] / "README.md"
ISA = Path(sys.executable).with_name("isa")


def tour_commands(readme: str) -> list[str]:
    """The `.venv/bin/isa` commands of the README's "Suspension and withdrawal" section, each
    with its continuation lines joined, as bash runs them."""
    section = readme.split("## Suspension and withdrawal")[1].split("\n## ")[0]
    block = "\n".join(line[4:] for line in section.splitlines() if line.startswith("    "))
    joined = re.sub(r"\\\n\s*", "", block)
    return [line for line in joined.splitlines() if line.startswith(".venv/bin/isa ")]


def test_the_tours_suspension_and_withdrawal_work_on_the_sample_register(
    db: Database, isa, session: Session, now: pendulum.DateTime
) -> None:  # type: ignore[no-untyped-def]
    load_sample_register(session, now=now)
    commands = tour_commands(README.read_text())
    assert [c.split()[1] for c in commands] == ["suspend", "withdraw"], commands
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command.replace(".venv/bin/isa", str(ISA))],
            env=os.environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (command, done.stderr)
        assert done.stderr == ""
    assert db.count("suspension", "status = 'raised'") == 1
    assert db.count("withdrawal", "status = 'notified'") == 1
