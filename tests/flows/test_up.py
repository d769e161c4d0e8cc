"""`isa up` as a new user runs it: the server and UI come up, every deployment is served with its
schedule, the sample register's emails land in the mail folder, a review sweep publishes its
artifact, an event starts the approval flow, and Ctrl-C stops everything it started."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(what: str, ready, seconds: float = 120) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise AssertionError(f"{what} did not happen within {seconds} s")


@pytest.mark.timeout(400)
def test_isa_up_serves_everything_and_ctrl_c_stops_it(tmp_path: Path) -> None:
    port, smtp = _free_port(), _free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("PREFECT_", "ISA_"))
    }
    env.update(
        ISA_PREFECT_PORT=str(port),
        ISA_PREFECT_API_URL=api,
        ISA_SMTP_PORT=str(smtp),
        ISA_DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'isa.db'}",
        ISA_PREFECT_HOME=str(tmp_path / "var" / "prefect"),
        ISA_MAIL_DIR=str(tmp_path / "var" / "mail"),
    )
    isa = Path(sys.executable).with_name("isa")
    up = subprocess.Popen(
        [isa, "up"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        lines: list[str] = []
        assert up.stdout is not None
        while not any(line.startswith("Stop:") for line in lines):
            line = up.stdout.readline()
            assert line, "isa up ended early:\n" + "".join(lines)
            lines.append(line)
        output = "".join(lines)
        assert f"Prefect UI:   http://127.0.0.1:{port}" in output
        assert "loaded the sample register" in output

        deployments = httpx.post(f"{api}/deployments/filter", json={}).json()
        schedules = {
            d["name"]: [s["schedule"].get("cron") for s in d["schedules"]] for d in deployments
        }
        assert schedules == {
            "review-sweep": ["0 7 * * *"],
            "access-sweep": ["30 6 * * *"],
            "disposal-sweep": ["45 6 * * *"],
            "approval": [],
            "suspension": [],
            "withdrawal": [],
            "deadline-sweep": ["15 6 * * *"],
            "monitoring-review": ["0 8 1 4 *"],
            "deliver-outbox": ["* * * * *"],
            "audit-checkpoint": ["30 7 * * *"],
        }
        scheduled = httpx.post(
            f"{api}/flow_runs/filter",
            json={"flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}}, "limit": 5},
        ).json()
        assert scheduled, "no upcoming runs are listed"

        mail = tmp_path / "var" / "mail"
        _wait("the sample register's emails", lambda: len(list(mail.glob("*.eml"))) >= 10)

        def sweep_artifact() -> bool:
            artifacts = httpx.post(
                f"{api}/artifacts/filter", json={"artifacts": {"key": {"any_": ["review-sweep"]}}}
            ).json()
            return bool(artifacts)

        _wait("the review sweep's artifact", sweep_artifact)

        def artifact(key: str) -> str:
            found = httpx.post(
                f"{api}/artifacts/filter", json={"artifacts": {"key": {"any_": [key]}}}
            ).json()
            # every version under the key: the sweep started at start-up and the one the
            # published `isa.arrangement.ended` of the sample register's ended arrangement starts
            return " ".join(str(version["data"]) for version in found)

        # the sample register's leaver loses their access, its ended arrangement's disposal is due
        _wait("the access sweep's revocation", lambda: '"revoked"' in artifact("access-sweep"))
        _wait(
            "the disposal sweep's task", lambda: "disposal scheduled" in artifact("disposal-sweep")
        )
        subjects = " ".join(p.read_text(errors="replace") for p in mail.glob("*.eml"))
        assert "Access revoked" in subjects and "Destroy shared data by" in subjects

        # the "done when": `isa suspend` on a sample agency runs its flow at once, the
        # emails land in the mail folder, the day 7/14/25/30 checks are listed as upcoming
        police = "Sample: Northshire Police"
        said = subprocess.run(
            [
                isa,
                "suspend",
                police,
                "--reason",
                "Laptop stolen",
                "--as",
                "signatory@police.sample.example",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert said.returncode == 0, said.stderr
        assert "the suspension flow for SUS-" in said.stdout

        def suspension_runs(state: str) -> list[dict]:  # type: ignore[type-arg]
            return [
                run
                for run in httpx.post(
                    f"{api}/flow_runs/filter",
                    json={"flow_runs": {"state": {"type": {"any_": [state]}}}, "limit": 200},
                ).json()
                if run["name"].startswith("suspension-") or "suspension" in run["parameters"]
            ]

        started = time.monotonic()
        _wait("a completed suspension flow run", lambda: suspension_runs("COMPLETED"), 60)
        print(f"suspension flow completed {time.monotonic() - started:.1f} s after isa suspend")
        checks = sorted(run["parameters"]["as_of"] for run in suspension_runs("SCHEDULED"))
        assert len(checks) == 4, checks
        _wait(
            "the suspension emails",
            lambda: any(
                "has suspended its obligations" in p.read_text(errors="replace")
                for p in mail.glob("*.eml")
            ),
            90,
        )
    finally:
        os.killpg(up.pid, signal.SIGINT)
        up.wait(timeout=90)
    # everything it started is gone: nothing answers on the server's port any more
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{api}/health", timeout=2)
