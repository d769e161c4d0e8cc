"""Benchmark: how long the command line takes for the commands that start no flow, against the
floor of a Python process that only imports SQLAlchemy, pendulum and Jinja2.

The register is the sample register `isa up` loads, in a SQLite file. Each command runs as a new
process (as a person types it), `--rounds` times, each time right after a floor process: the
figure is the median of those rounds' ratios. Target: 1.5x the floor or less.

    .venv/bin/python bench/cli_startup.py [--rounds 7]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fresh_copy import BENCH_SEAL, result
from sqlmodel import Session

from core.db import make_engine, upgrade
from core.keys import link_issuer
from core.settings import Settings
from tasks.sample import load_sample_register

ISA = Path(sys.executable).with_name("isa")
FLOOR = [sys.executable, "-c", "import sqlalchemy, pendulum, jinja2"]
COMMANDS = [
    ["agency", "list"],
    ["contact", "list"],
    ["arrangement", "list"],
    ["arrangement", "show", "ISA-2026-0001"],
    ["disposal", "list"],
    ["outbox", "list", "--limit", "5"],
    ["audit", "log", "--limit", "5"],
    ["arrangement", "template"],
    ["--help"],
]
TARGET = 1.5


def seconds(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()}")
    return took


def paired(argv: list[str], env: dict[str, str], rounds: int) -> tuple[float, float, float]:
    """Each round runs the floor, then the command: the median command time, the median floor
    time, and the median of the rounds' ratios (a load that drifts over the run moves both
    halves of a round alike)."""
    commands, floors, ratios = [], [], []
    for _ in range(rounds):
        floor = seconds(FLOOR, env)
        took = seconds(argv, env)
        commands.append(took)
        floors.append(floor)
        ratios.append(took / floor)
    return statistics.median(commands), statistics.median(floors), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'isa.db'}"
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ISA_")},
            "ISA_DATABASE_URL": url,
            "ISA_AUDIT_KEY": BENCH_SEAL.key.decode(),
            "ISA_SECRET_KEY": "bench-secret-key-" * 4,
        }
        upgrade(url)
        settings = Settings(database_url=url, secret_key=env["ISA_SECRET_KEY"])
        engine = make_engine(url, audit=BENCH_SEAL, links=link_issuer(settings))
        with Session(engine, expire_on_commit=False) as session:
            load_sample_register(session, now=settings.current_time())
        engine.dispose()
        seconds(FLOOR, env)  # the first process warms the file cache for the rest
        print("floor: import sqlalchemy, pendulum, jinja2; each round runs it, then the command")
        worst = 0.0
        for command in COMMANDS:
            took, floor, ratio = paired([str(ISA), *command], env, args.rounds)
            worst = max(worst, ratio)
            print(
                f"isa {' '.join(command):<34} {took:.3f} s  floor {floor:.3f} s  "
                f"{ratio:.2f}x (target <= {TARGET}x)"
            )
            result(
                f"isa {' '.join(command)}",
                f"{took:.2f} s",
                f"{floor:.2f} s",
                ratio,
                f"<= {TARGET}x",
                ratio <= TARGET,
            )
        print(f"worst: {worst:.2f}x the floor (target <= {TARGET}x)")


if __name__ == "__main__":
    main()
