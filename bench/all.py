"""`make bench`: run every benchmark and print one table (measure, ours, baseline, ratio,
target), from the RESULT line each benchmark prints after its own figures.

    .venv/bin/python bench/all.py [--quick]

`--quick` runs the sweeps at 10,000 only and fewer rounds."""

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def runs(quick: bool) -> list[list[str]]:
    return [
        ["outbox_delivery.py", "--rounds", "3" if quick else "5"],
        ["review_sweep.py", "--sizes", "10000", *([] if quick else ["100000"])],
        ["access_sweep.py", *(["--grants", "100000"] if quick else [])],
        ["cli_startup.py", "--rounds", "3" if quick else "7"],
        ["raised_to_completed.py", "--raises", "3" if quick else "5"],
        ["raised_on_workers.py", "--raises", "3" if quick else "5"],
        ["sign_in_mail.py", "--rounds", "3" if quick else "5"],
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rows: list[dict[str, object]] = []
    for script, *flags in runs(args.quick):
        started = time.monotonic()
        print(f"--- {script} {' '.join(flags)}", flush=True)
        done = subprocess.run(
            [sys.executable, str(HERE / script), *flags], capture_output=True, text=True
        )
        for line in done.stdout.splitlines():
            if line.startswith("RESULT "):
                rows.append(json.loads(line.removeprefix("RESULT ")))
            else:
                print(f"    {line}")
        if done.returncode != 0:
            print(f"    FAILED ({done.returncode}): {done.stderr.strip()[-500:]}")
        print(f"    ({time.monotonic() - started:.0f} s)", flush=True)
    header = ("measure", "ours", "baseline", "ratio", "target", "met")
    table = [header, *[tuple(str(r[h]) for h in header) for r in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    print()
    for i, row in enumerate(table):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


if __name__ == "__main__":
    main()
