"""Soak: `isa up` left running with nothing raised, as an admin finds it after a while. Counts
the flow runs its runs list holds by deployment, and checks the admin's view: no more than a
handful of delivery runs (delivery is started by the changes that queue email; its schedule is
only the safety net) and every run named for what it does (no generated "olivine-woodlouse").

Starts `isa up` in a scratch folder on free ports (the sample register loaded, as `make up`
does), waits `--minutes` (30 by default), printing the count every 5 minutes, then prints each
deployment's runs and a RESULT line. Exit 1 if either check fails.

    .venv/bin/python bench/soak_up.py [--minutes 30]      (or: make soak)
"""

import argparse
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fresh_copy import result

from tests.utils.isa_up import scratch, start_up, stop_up

HANDFUL = 5  # delivery runs in the runs list after half an hour with nothing raised
GENERATED = re.compile(r"^[a-z]+-[a-z]+$")  # Prefect's generated names: "olivine-woodlouse"


def _all_runs(api: str) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    while True:
        page = httpx.post(
            f"{api}/flow_runs/filter", json={"limit": 200, "offset": len(runs)}, timeout=30
        ).json()
        runs.extend(page)
        if len(page) < 200:
            return runs


def _deployments(api: str) -> dict[str, str]:
    found = httpx.post(f"{api}/deployments/filter", json={}, timeout=30).json()
    return {d["id"]: d["name"] for d in found}


def _listed(api: str) -> list[tuple[str, dict[str, Any]]]:
    """The runs that have started or ended (the runs list a person reads; scheduled runs
    are counted apart), each with its deployment's name."""
    names = _deployments(api)
    return [(names.get(r["deployment_id"] or "", "(no deployment)"), r) for r in _all_runs(api)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        where = scratch(Path(folder))
        up, lines = start_up(where)
        print("".join(f"  {line}" for line in lines), end="")
        # keep reading what `isa up` prints, so its pipe never fills
        assert up.stdout is not None
        threading.Thread(target=up.stdout.read, daemon=True).start()
        started = time.monotonic()
        try:
            while (waited := time.monotonic() - started) < args.minutes * 60:
                time.sleep(min(300, args.minutes * 60 - waited))
                seen = Counter(d for d, r in _listed(where.api) if r["state_type"] != "SCHEDULED")
                print(f"  after {(time.monotonic() - started) / 60:.0f} min: {dict(seen)}")
            listed = _listed(where.api)
        finally:
            stop_up(up)
    ran = [(d, r) for d, r in listed if r["state_type"] != "SCHEDULED"]
    print(f"\nruns after {args.minutes:g} minutes (not counting runs still scheduled):")
    for deployment, count in sorted(Counter(d for d, _ in ran).items()):
        states = Counter(r["state_type"] for d, r in ran if d == deployment)
        names = sorted(r["name"] for d, r in ran if d == deployment)
        shown = ", ".join(names[:4]) + (f", ... ({len(names) - 4} more)" if len(names) > 4 else "")
        print(f"  {deployment:20} {count:3}  {dict(states)}  {shown}")
    delivery = sum(1 for d, _ in ran if d == "deliver-outbox")
    unnamed = sorted({r["name"] for _, r in listed if GENERATED.match(r["name"])})
    scheduled = sum(1 for _, r in listed if r["state_type"] == "SCHEDULED")
    print(f"delivery runs: {delivery} (a handful: <= {HANDFUL})")
    print(f"runs with a generated name, of {len(listed)} ({scheduled} scheduled): {unnamed}")
    met = delivery <= HANDFUL and not unnamed
    result(
        f"delivery runs in {args.minutes:g} min of isa up, nothing raised",
        str(delivery),
        f"{len(ran)} runs in all",
        delivery / max(len(ran), 1),
        f"<= {HANDFUL}, every run named",
        met,
    )
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
