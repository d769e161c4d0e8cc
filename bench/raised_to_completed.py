"""Benchmark: a suspension raised at the command line to its flow run completed, served by
`isa up`, against a baseline in the same run: a run of the served `deliver-outbox` deployment
created through the API to completed (the runner's own pick-up, process start and imports,
with no trigger and no register work).

Starts `isa up` in a scratch folder on free ports, then 5 times: `isa suspend` a sample agency,
time until its suspension flow run is COMPLETED, and resume the agency (`isa meeting schedule`,
`isa meeting record --outcome resume`) so it can be suspended again. Prints the median of the
raises and of the baseline runs. Target: median 5 s or less served.

    .venv/bin/python bench/raised_to_completed.py [--raises 5]
"""

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pendulum
from fresh_copy import completed_run, result, wait_until_quiet, where_the_time_went

ISA = Path(sys.executable).with_name("isa")
AGENCY = "Sample: Northshire Police"
SIGNATORY = "signatory@police.sample.example"
CHAIR = "chair@monitoring-group.sample.example"
TARGET = 5.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _runs(api: str, **flow_runs: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = httpx.post(
        f"{api}/flow_runs/filter", json={"flow_runs": flow_runs, "limit": 200}, timeout=10
    ).json()
    return found


def _completed(api: str, pick: Any, since: float) -> tuple[float, dict[str, Any]]:
    return completed_run(lambda: _runs(api, state={"type": {"any_": ["COMPLETED"]}}), pick, since)


def _isa(env: dict[str, str], cwd: Path, *argv: str) -> str:
    done = subprocess.run([ISA, *argv], cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"isa {' '.join(argv)}: {done.stderr.strip()}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raises", type=int, default=5)
    args = parser.parse_args()
    port, smtp, web = _free_port(), _free_port(), _free_port()
    api = f"http://127.0.0.1:{port}/api"
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "ISA_"))}
        env.update(
            ISA_PREFECT_PORT=str(port),
            ISA_PREFECT_API_URL=api,
            ISA_SMTP_PORT=str(smtp),
            ISA_WEB_PORT=str(web),
            ISA_PUBLIC_URL=f"http://127.0.0.1:{web}",
        )
        up = subprocess.Popen(
            [ISA, "up"],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            assert up.stdout is not None
            while True:
                line = up.stdout.readline()
                if not line:
                    raise SystemExit("isa up ended early")
                print(f"  {line.rstrip()}")
                if line.startswith("Ready."):
                    break
            # let the start-up sweeps and the sample register's runs finish: a quiet machine
            print(f"  quiet after {wait_until_quiet(api):.0f} s")
            raised: list[float] = []
            for n in range(args.raises):
                said = _isa(
                    env,
                    root,
                    "suspend",
                    AGENCY,
                    "--reason",
                    f"Drill {n}",
                    "--as",
                    SIGNATORY,
                    "--json",
                )
                returned = time.time()
                reference = said.split('"suspension": "')[1].split('"')[0]
                took, run = _completed(
                    api,
                    lambda run, ref=reference: run["parameters"].get("suspension") == ref,
                    returned,
                )
                raised.append(took)
                print(
                    f"  {reference}: flow run completed {took:.1f} s after isa suspend "
                    f"({where_the_time_went(run, returned)})"
                )
                at = pendulum.now("UTC").add(hours=1).isoformat()
                _isa(
                    env,
                    root,
                    "meeting",
                    "schedule",
                    reference,
                    "--at",
                    at,
                    "--place",
                    "Room 2",
                    "--as",
                    CHAIR,
                )
                _isa(
                    env,
                    root,
                    "meeting",
                    "record",
                    reference,
                    "--outcome",
                    "resume",
                    "--attendee",
                    SIGNATORY,
                    "--risk-assessment",
                    "Drill",
                    "--as",
                    CHAIR,
                )
                time.sleep(3)
            baseline: list[float] = []
            deployment = httpx.get(
                f"{api}/deployments/name/deliver-outbox/deliver-outbox", timeout=10
            ).json()
            for _ in range(args.raises):
                asked = time.time()
                run = httpx.post(
                    f"{api}/deployments/{deployment['id']}/create_flow_run", json={}, timeout=10
                ).json()
                took, done = _completed(api, lambda r, i=run["id"]: r["id"] == i, asked)
                baseline.append(took)
                print(f"  baseline run completed {took:.1f} s ({where_the_time_went(done, asked)})")
                time.sleep(1)
        finally:
            os.killpg(up.pid, signal.SIGINT)
            up.wait(timeout=90)
    ours, base = statistics.median(raised), statistics.median(baseline)
    print(f"raised to completed (median of {len(raised)}): {ours:.1f} s (target <= {TARGET} s)")
    print(f"a served run created through the API (median): {base:.1f} s")
    result(
        "suspension raised to flow completed, served",
        f"{ours:.1f} s",
        f"{base:.1f} s",
        ours / base,
        f"<= {TARGET:.0f} s",
        ours <= TARGET,
    )


if __name__ == "__main__":
    main()
