"""`isa up` as a new user runs it: the server and UI come up, every deployment is served with its
schedule, the sample register's emails land in the mail folder, a review sweep publishes its
artifact, an event starts the approval flow, and Ctrl-C stops everything it started."""

import email
import functools
import json
import re
import subprocess
import time
from email.policy import default as default_policy
from pathlib import Path

import httpx
import pendulum
import pytest

from flows.naming import upcoming_name
from tests.utils.isa_up import ISA, Scratch, scratch, start_up, stop_up
from tests.utils.isa_up import wait_for as _wait


def _code_in(mail: Path, to: str) -> str:
    """The one-time code in a code email to `to` in the mail folder, or ""."""
    for path in mail.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
        if str(message["Subject"]).startswith("Your code") and to in str(message["To"]):
            body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
            found = re.search(r"^\s+(\d{6})\s*$", body.get_content(), re.M)
            if found:
                return found.group(1)
    return ""


def _approve_from_the_mail_folder(mail: Path, web: int) -> None:
    """As the README says: a sign-off email's link (the newest that still waits on its
    signatory), opened, approved with the name the email greets."""
    asking = sorted(
        (
            p
            for p in mail.glob("*.eml")
            if re.search(r"Approval needed|sign-off needed", p.read_text(errors="replace"))
        ),
        key=lambda p: p.stat().st_mtime_ns,
        reverse=True,
    )
    assert asking, "no sign-off email in the mail folder"
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        for path in asking:
            message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
            body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
            text = body.get_content()
            link = re.search(rf"http://127.0.0.1:{web}/a/[A-Za-z0-9_-]{{43}}", text)
            name = re.search(r"Dear (.+),", text)
            if link is None or name is None:
                continue
            page = browser.get(link.group(0))
            form = re.search(
                r'<form method="post" action="(/act/\d+)">\s*<h2>Approve</h2>(.*?)</form>',
                page.text,
                re.S,
            )
            if page.status_code != 200 or form is None:
                continue  # that party has decided, or a newer email carries its link
            hidden = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(2)))
            # the approval binds the agency: the page emails the signatory a code, which the
            # delivery run it starts at once leaves in the mail folder
            ask = re.search(r'action="(/act/\d+/code)">\s*<input[^>]*value="([^"]+)"', page.text)
            assert ask, page.text
            asked = browser.post(
                f"http://127.0.0.1:{web}{ask.group(1)}", data={"csrf": ask.group(2)}
            )
            assert asked.status_code == 200 and "A code was sent" in asked.text, asked.text
            to = str(message["To"])
            _wait("the code email", functools.partial(_code_in, mail, to))
            code = _code_in(mail, to)
            done = browser.post(
                f"http://127.0.0.1:{web}{form.group(1)}",
                data={**hidden, "typed_name": name.group(1), "confirm": "yes", "code": code},
            )
            assert done.status_code == 200 and "Recorded" in done.text, done.text
            return
    raise AssertionError("no sign-off email's link waits on its signatory")


def _suspend_from_the_portal(
    mail: Path, web: int, isa: Path, cwd: Path, env: dict[str, str]
) -> str:
    portal = f"http://127.0.0.1:{web}"
    who = "signatory@schools.sample.example"
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        form = browser.get(f"{portal}/sign-in")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf, form.text
        sent = browser.post(f"{portal}/sign-in", data={"csrf": csrf.group(1), "email": who})
        assert sent.status_code == 200 and "Check your email" in sent.text

        def sign_in_mail() -> list[Path]:
            # deliver now rather than wait for the next delivery run; the portal queues the
            # link just after its reply, so deliver until it has arrived
            delivered = subprocess.run(
                [isa, "outbox", "deliver"], cwd=cwd, env=env, capture_output=True, text=True
            )
            assert delivered.returncode == 0, delivered.stderr
            return [
                p
                for p in mail.glob("*.eml")
                if "sign-in link" in p.read_text(errors="replace")
                and who in p.read_text(errors="replace")
            ]

        _wait("the sign-in email", sign_in_mail, 60, every=0.5)
        [path] = sign_in_mail()
        message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
        text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[attr-defined]
        link = re.search(rf"{portal}/a/[A-Za-z0-9_-]{{43}}", text)
        name = re.search(r"Dear (.+),", text)
        assert link and name, text
        page = browser.get(link.group(0))
        action = re.search(r'action="(/act/\d+)"', page.text)
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert action and csrf, page.text
        me = browser.post(f"{portal}{action.group(1)}", data={"csrf": csrf.group(1)})
        assert me.status_code == 200 and "What you need to do" in me.text, me.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', me.text)
        assert csrf
        raised = browser.post(
            f"{portal}/me/raise",
            data={
                "csrf": csrf.group(1),
                "matter": "suspension",
                "reason": "Ransomware on the admissions server",
                "typed_name": name.group(1),
                "confirm": "yes",
            },
        )
        assert raised.status_code == 200 and "Its flow is starting" in raised.text, raised.text
        reference = re.search(r"(SUS-\d{4}-\d{4}) is raised", raised.text)
        assert reference, raised.text
        return reference.group(1)


@pytest.mark.timeout(400)
def test_isa_up_serves_everything_and_ctrl_c_stops_it(tmp_path: Path) -> None:
    where = scratch(tmp_path)
    port, web, api, env, isa = where.port, where.web, where.api, where.env, ISA
    up, lines = start_up(where)
    try:
        output = "".join(lines)
        assert f"Prefect UI:   http://127.0.0.1:{port}" in output
        assert f"Portal:       http://127.0.0.1:{web}" in output
        # the UI's address comes first, as soon as the server is healthy; then a line a stage
        assert lines[0].startswith("Prefect UI:"), lines
        stages = [line for line in lines if line.rstrip().endswith(" s)")]
        assert len(stages) >= 6, lines
        print(f"\nisa up: {lines[-1].strip()}")
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
            "consent": [],
            "data-quality": [],
            "onward": [],
            "information-request": [],
            "incident": [],
            "deadline-sweep": ["15 6 * * *"],
            "monitoring-review": ["0 8 1 4 *"],
            "deliver-outbox": ["*/15 * * * *"],
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

        # the register overview: the sample register's overdue review and next deadlines
        _wait("the register overview", lambda: "ISA-2025-0003" in artifact("register-overview"))
        overview = artifact("register-overview")
        assert "## Overdue" in overview and "review overdue by" in overview, overview
        assert "## Coming in the next 30 days" in overview, overview
        # the sample register's leaver loses their access, its ended arrangement's disposal is due
        _wait("the access sweep's revocation", lambda: '"revoked"' in artifact("access-sweep"))
        _wait(
            "the disposal sweep's task", lambda: "disposal scheduled" in artifact("disposal-sweep")
        )
        subjects = " ".join(p.read_text(errors="replace") for p in mail.glob("*.eml"))
        assert "Access revoked" in subjects and "Destroy shared data by" in subjects
        # the README's portal tour: an approval email's link, approved in the portal, is in
        # the audit log with the web channel and its evidence (the secret key was generated)
        assert (tmp_path / "var" / "secret.key").stat().st_mode & 0o777 == 0o600
        _approve_from_the_mail_folder(mail, web)
        log = subprocess.run(
            [isa, "audit", "log", "--json"], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        on_the_web = [
            e for e in json.loads(log.stdout) if e["channel"] == "web" and e["outcome"] == "done"
        ]
        # the code asked for, then the approval it proved
        assert [e["action"] for e in on_the_web][:2] == ["link.send_code", "arrangement.approve"]
        approval = on_the_web[1]
        assert {"link", "client", "user_agent", "typed_name", "content_hash", "proof"} <= set(
            approval["evidence"]
        )
        assert approval["evidence"]["proof"] == "emailed code"

        # the README's quickstart, verbatim, beside the sample register
        quickstart = _run_quickstart(where)
        # the draft took the next free reference after the sample register's
        drafted = re.search(r"^(ISA-2026-\d{4}) is active; next review due", quickstart, re.M)
        assert drafted and drafted.group(1) != "ISA-2026-0001", quickstart
        # its last approval, made on the command line, starts no flow: the emails it queued go
        # at once, by the delivery run their `isa.outbox.queued` event starts (the schedule is
        # only every 15 minutes)
        active = f"{drafted.group(1)} "
        _wait(
            "the quickstart's activation emails",
            lambda: any(
                str(_message(p)["subject"]).startswith(active)
                and "is active" in str(_message(p)["subject"])
                for p in mail.glob("*.eml")
            ),
            60,
        )
        deployment = httpx.get(f"{api}/deployments/name/deliver-outbox/deliver-outbox").json()
        delivered = httpx.post(
            f"{api}/flow_runs/filter",
            json={"deployments": {"id": {"any_": [deployment["id"]]}}, "limit": 200},
        ).json()
        triggered = [r for r in delivered if r["parameters"].get("settle_seconds") == 5]
        assert triggered, [(r["name"], r["parameters"]) for r in delivered]
        # a delivery run names the runs the scheduler made ahead ("olivine-woodlouse") for what
        # they do and when, as they will be named when they run
        _wait(
            "a completed triggered delivery run",
            lambda: any(
                r["state_type"] == "COMPLETED"
                for r in httpx.post(
                    f"{api}/flow_runs/filter",
                    json={"deployments": {"id": {"any_": [deployment["id"]]}}, "limit": 200},
                ).json()
                if r["parameters"].get("settle_seconds") == 5
            ),
            60,
        )
        for name in ("review-sweep", "deliver-outbox"):
            upcoming = _scheduled(api, name)
            assert upcoming, name
            named = [
                r["name"] == upcoming_name(name, pendulum.parse(r["expected_start_time"]))
                for r in upcoming
            ]
            # every run the scheduler made ahead of a daily sweep (three days of them); of the
            # 15-minute ones, those made before the run
            if name == "review-sweep":
                assert len(upcoming) >= 3 and all(named), upcoming
            else:
                assert any(named), upcoming[:3]
        # a run the scheduler adds later (here: one made through the API, with the generated
        # name the scheduler gives) is named by the serving process within a minute
        sweep = httpx.get(f"{api}/deployments/name/review-sweep/review-sweep").json()
        later = pendulum.now("UTC").add(days=5)
        added = httpx.post(
            f"{api}/deployments/{sweep['id']}/create_flow_run",
            json={"state": {"type": "SCHEDULED", "state_details": {"scheduled_time": str(later)}}},
        ).json()
        assert not added["name"].startswith("review-sweep-"), added["name"]
        _wait(
            "the added run named",
            lambda: (
                httpx.get(f"{api}/flow_runs/{added['id']}").json()["name"]
                == upcoming_name("review-sweep", later)
            ),
            75,
        )

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
        # the same from the portal: a signatory signs in by email and suspends their agency; its
        # flow runs exactly as the CLI's does
        reference = _suspend_from_the_portal(mail, web, isa, tmp_path, env)
        _wait(
            f"a completed suspension flow run for {reference}",
            lambda: any(
                run["parameters"].get("suspension") == reference
                for run in suspension_runs("COMPLETED")
            ),
            90,
        )
        sweeps = _sweep_runs(api)
        assert len(sweeps) == 4, (sweeps, lines)
    finally:
        stop_up(up)
    # everything it started is gone: nothing answers on the server's port any more
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{api}/health", timeout=2)
    # started again the same day: the day's sweeps have their run, so none is added
    up, lines = start_up(where)
    try:
        assert any("today's sweeps have run already" in line for line in lines), lines
        assert _sweep_runs(api) == sweeps
    finally:
        stop_up(up)


def _scheduled(api: str, deployment: str) -> list[dict]:  # type: ignore[type-arg]
    found = httpx.get(f"{api}/deployments/name/{deployment}/{deployment}").json()
    return httpx.post(
        f"{api}/flow_runs/filter",
        json={
            "deployments": {"id": {"any_": [found["id"]]}},
            "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
            "limit": 200,
        },
    ).json()


def _message(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=default_policy)  # type: ignore[return-value]


def _sweep_runs(api: str) -> list[tuple[str, str]]:
    """The runs of the daily sweeps `isa up` started (no schedule or trigger made them)."""
    found = []
    for name in ("deadline-sweep", "access-sweep", "review-sweep", "disposal-sweep"):
        deployment = httpx.get(f"{api}/deployments/name/{name}/{name}").json()
        runs = httpx.post(
            f"{api}/flow_runs/filter",
            json={"deployments": {"id": {"any_": [deployment["id"]]}}, "limit": 200},
        ).json()
        found += [
            (name, run["id"])
            for run in runs
            if (run["idempotency_key"] or "").startswith("isa-up-")
        ]
    return sorted(found)


def quickstart_script(readme: str, isa: Path) -> str:
    """The README quickstart's commands as one bash script, `.venv/bin/isa` being `isa`: it
    stops at the first command that fails, and at one marked `# refused` that does not."""
    section = readme.split("## Quickstart")[1].split("A refused or malformed command")[0]
    lines = ["set -eu"]
    for line in section.splitlines():
        if not line.startswith("    "):
            continue
        command = line.strip().replace(".venv/bin/isa", str(isa))
        if "# refused" in command:
            command = command.split("  #")[0]
            lines.append(f"if {command}; then echo 'not refused: {command}' >&2; exit 99; fi")
        else:
            lines.append(command.split("  #")[0])
    return "\n".join(lines) + "\n"


def _run_quickstart(where: Scratch) -> str:
    script = quickstart_script((Path(__file__).parents[2] / "README.md").read_text(), ISA)
    assert script.count(str(ISA)) >= 15, script
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=where.folder,
        env=where.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, f"{done.stderr}\n{done.stdout}"
    return done.stdout
