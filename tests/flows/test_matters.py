"""The suspension, withdrawal and deadline-sweep flows under the Prefect test harness: the checker
runs a suspension schedules for days 7, 14, 25 and 30 (listed as upcoming runs, once) and cancels
once it is settled, a withdrawal carried out on its effective date and told in the register's
words, `isa suspend` and `isa withdraw` publishing the events whose triggers start their flows,
and a suspension raised while the server was down starting its flow when it is back."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pendulum
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterDeploymentId,
)
from prefect.client.schemas.objects import FlowRun, StateType
from sqlmodel import Session

from flows.approval import approval
from flows.deadline_sweep import deadline_sweep
from flows.suspension import suspension_flow
from flows.withdrawal import withdrawal_flow
from isa.deployments import automation_name, read_specs, runner_deployments
from models.clocks import LONDON
from models.enums import MeetingOutcome
from tasks import runtime
from tasks.protocol.approvals import approve_arrangement
from tasks.protocol.arrangements import submit_arrangement
from tasks.protocol.suspensions import raise_suspension, record_meeting, schedule_meeting
from tasks.protocol.withdrawals import withdraw_agency
from tests.conftest import Database
from tests.utils.factories import (
    COUNCIL,
    POLICE,
    TRUST,
    People,
    active,
    drafted,
    granted,
    seed_agencies,
)
from tests.utils.ports import NO_PREFECT
from tests.utils.prefect_runs import artifacts_of, run_flow, wait_for_triggers
from tests.utils.smtp import SMTPServer

NOW = pendulum.datetime(2026, 11, 25, 10, tz="Europe/London").in_timezone("UTC")
SUS = "SUS-2026-0001"
WDR = "WDR-2026-0001"
# the matter flow's deployments (flows/matter.py), one per kind of matter
MATTER_DEPLOYMENTS = ("consent", "data-quality", "onward", "information-request")
CHECKED = ("approval", "suspension", "withdrawal", "incident", *MATTER_DEPLOYMENTS)


def _clock(monkeypatch: pytest.MonkeyPatch, at: pendulum.DateTime) -> None:
    monkeypatch.setenv("ISA_NOW", at.isoformat())
    runtime.settings.cache_clear()


@pytest.fixture
def register(
    flow_db: Database, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch
) -> tuple[Database, People, str]:
    monkeypatch.setenv("ISA_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("ISA_SMTP_PORT", str(smtp_server.port))
    _clock(monkeypatch, NOW)
    with Session(flow_db.engine, expire_on_commit=False) as session:
        people = seed_agencies(session, NOW)
        ref = active(session, people, NOW)
        granted(session, people, ref, TRUST, NOW)
    return flow_db, people, ref


def _runs(deployment: str) -> list[FlowRun]:
    with get_client(sync_client=True) as client:
        (found,) = client.read_deployments(
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[deployment]))
        )
        return client.read_flow_runs(
            flow_run_filter=FlowRunFilter(deployment_id=FlowRunFilterDeploymentId(any_=[found.id]))
        )


@pytest.fixture
def deployed() -> Iterator[None]:
    """The approval, suspension, withdrawal and incident deployments registered as prefect.yaml declares
    them, with no runner (their checker runs stay scheduled), no trigger (a flow run here
    publishes its events, which must not start others) and no runs left from a test before."""
    for deployment in runner_deployments():
        if deployment.name in CHECKED:
            deployment.triggers = []
            deployment.apply()
    for name in CHECKED:
        with get_client(sync_client=True) as client:
            for run in _runs(name):
                client.delete_flow_run(run.id)
    yield


def test_a_suspension_flow_schedules_its_checks_for_days_7_14_25_and_30_once(
    register, deployed, smtp_server: SMTPServer
) -> None:
    db, people, _ = register
    with Session(db.engine) as session:
        raise_suspension(
            session, agency=TRUST, reason="Laptop stolen", actor=people.signatory[TRUST], now=NOW
        )
    result, name, run_id = run_flow(suspension_flow, suspension=SUS)
    assert name == f"suspension-{SUS}-2026-11-25"
    assert result["status"] == "raised" and result["done"] == []
    # every signatory and the chairs are told the reason, the day-14 deadline and the end
    (to_chair,) = smtp_server.recorder.to(people.chair)
    text = to_chair.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Laptop stolen" in text and "9 December 2026" in text and "25 December 2026" in text
    assert smtp_server.recorder.to(people.signatory[COUNCIL])

    def upcoming() -> list[tuple[str, Any, str]]:
        return sorted(
            (
                run.expected_start_time.astimezone(LONDON).isoformat(),
                run.state_type.value if run.state_type else None,
                run.parameters["as_of"],
            )
            for run in _runs("suspension")
        )

    expected = [
        ("2026-12-02T09:00:00+00:00", "SCHEDULED", "2026-12-02"),
        ("2026-12-09T09:00:00+00:00", "SCHEDULED", "2026-12-09"),
        ("2026-12-20T09:00:00+00:00", "SCHEDULED", "2026-12-20"),
        ("2026-12-25T10:00:00+00:00", "SCHEDULED", "2026-12-25"),
    ]
    assert upcoming() == expected
    assert len(result["checks"]) == 4
    # named in the UI for what they check until they run
    assert sorted(
        run.name for run in _runs("suspension") if run.state_type.value == "SCHEDULED"
    ) == [  # type: ignore[union-attr]
        f"suspension-{SUS}-day-14-check",
        f"suspension-{SUS}-day-25-check",
        f"suspension-{SUS}-day-30-check",
        f"suspension-{SUS}-day-7-check",
    ]
    # run again (a retried trigger, a hand-started run): the same four checks, no new mail
    sent = len(smtp_server.received)
    again, _, _ = run_flow(suspension_flow, suspension=SUS)
    assert again["done"] == [] and upcoming() == expected
    assert len(smtp_server.received) == sent
    (artifact,) = artifacts_of(run_id)
    assert artifact.key == "suspension-sus-2026-0001"


def test_the_approval_flow_schedules_its_day_7_and_day_14_checks_once(
    flow_db: Database, smtp_server: SMTPServer, deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISA_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("ISA_SMTP_PORT", str(smtp_server.port))
    _clock(monkeypatch, NOW)
    with Session(flow_db.engine, expire_on_commit=False) as session:
        people = seed_agencies(session, NOW)
        ref = drafted(session, people, NOW)
        submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=NOW)
    for _ in range(2):
        result, _, _ = run_flow(approval, arrangement=ref)
        assert len(result["checks"]) == 2
    runs = sorted(
        (run.expected_start_time.astimezone(LONDON).isoformat(), run.parameters["as_of"])
        for run in _runs("approval")
    )
    assert runs == [
        ("2026-12-02T09:00:00+00:00", "2026-12-02"),
        ("2026-12-09T09:00:00+00:00", "2026-12-09"),
    ]


def test_an_arrangement_activated_leaves_no_approval_check_scheduled_and_says_why(
    flow_db: Database, smtp_server: SMTPServer, deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISA_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("ISA_SMTP_PORT", str(smtp_server.port))
    _clock(monkeypatch, NOW)
    with Session(flow_db.engine, expire_on_commit=False) as session:
        people = seed_agencies(session, NOW)
        ref = drafted(session, people, NOW)
        submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=NOW)
    first, _, _ = run_flow(approval, arrangement=ref)
    assert len(first["checks"]) == 2
    with Session(flow_db.engine, expire_on_commit=False) as session:
        for agency in (COUNCIL, TRUST):
            approve_arrangement(session, reference=ref, actor=people.signatory[agency], now=NOW)
    # the activation publishes the event whose trigger starts this flow again, and asks for its
    # own emails' delivery at once, as before (the flow run does not carry them)
    assert (
        flow_db.count(
            "event_outbox", f"event = 'isa.arrangement.approval_settled' AND reference = '{ref}'"
        )
        == 1
    )
    assert flow_db.count("event_outbox", f"event = 'isa.outbox.queued' AND reference = '{ref}'")
    settled, _, _ = run_flow(approval, arrangement=ref)
    assert settled["checks"] == []
    assert settled["cancelled"] == [f"approval-{ref}-day-14-check", f"approval-{ref}-day-7-check"]
    states = [(r.state_type.value, r.state.message) for r in _runs("approval")]  # type: ignore[union-attr]
    assert (
        states
        == [("CANCELLED", f"{ref} is no longer awaiting approval: nothing left to check")] * 2
    )


def test_a_checker_run_on_day_14_escalates_and_the_day_30_run_ends_it(
    register, deployed, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, people, ref = register
    with Session(db.engine) as session:
        raise_suspension(
            session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=NOW
        )
    _clock(monkeypatch, NOW.add(days=14).subtract(hours=1))
    day14, _, _ = run_flow(
        suspension_flow, suspension=SUS, as_of="2026-12-09", schedule_checks=False
    )
    assert day14["done"] == ["day 14: no meeting held, every signatory and the chairs told"]
    subjects = [m.message["Subject"] for m in smtp_server.recorder.to(people.signatory[COUNCIL])]
    assert any(s.startswith("Resolution meeting not held") for s in subjects)
    _clock(monkeypatch, NOW.add(days=30))
    day30, _, _ = run_flow(
        suspension_flow, suspension=SUS, as_of="2026-12-25", schedule_checks=False
    )
    # the day-25 notice had not gone (its run never happened): it is skipped, the end is not
    assert day30["done"] == [
        "day 30: ended, the agency's obligations, arrangements and access resumed"
    ]
    assert db.count("agency", f"name = '{TRUST}' AND status = 'member'") == 1
    assert db.count("arrangement", f"reference = '{ref}' AND status = 'active'") == 1
    again, _, _ = run_flow(
        suspension_flow, suspension=SUS, as_of="2026-12-25", schedule_checks=False
    )
    assert again["done"] == []


def test_a_withdrawal_flow_schedules_its_effective_date_and_then_carries_it_out(
    register, deployed, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, people, ref = register
    with Session(db.engine) as session:
        withdraw_agency(
            session,
            agency=TRUST,
            reason="Moving to a regional body",
            actor=people.signatory[TRUST],
            now=NOW,
            effective_on=pendulum.date(2026, 12, 31),
        )
    first, _, _ = run_flow(withdrawal_flow, withdrawal=WDR)
    assert first["status"] == "notified"
    (check,) = _runs("withdrawal")
    assert check.parameters == {
        "withdrawal": WDR,
        "as_of": "2026-12-31",
        "schedule_check": False,
    }
    assert pendulum.instance(check.expected_start_time) == pendulum.datetime(
        2026, 12, 31, tz="Europe/London"
    )
    # the chairs have the written notice with its reason
    (notice,) = smtp_server.recorder.to(people.chair)
    assert "Moving to a regional body" in notice.message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    _clock(monkeypatch, pendulum.datetime(2026, 12, 31, 0, 1, tz="Europe/London"))
    done, _, run_id = run_flow(
        withdrawal_flow, withdrawal=WDR, as_of="2026-12-31", schedule_check=False
    )
    assert done["status"] == "completed"
    assert {"what": "terminated", "detail": ref} in done["did"]
    assert any(row["what"] == "disposal scheduled" for row in done["did"])
    assert db.count("agency", f"name = '{TRUST}' AND status = 'withdrawn'") == 1
    assert db.count("disposal_task") == 1
    subjects = [m.message["Subject"] for m in smtp_server.recorder.to(people.signatory[COUNCIL])]
    assert f"{TRUST} has withdrawn from the Protocol ({WDR})" in subjects
    (artifact,) = artifacts_of(run_id)
    assert artifact.key == "withdrawal-wdr-2026-0001"
    again, _, _ = run_flow(
        withdrawal_flow, withdrawal=WDR, as_of="2026-12-31", schedule_check=False
    )
    assert again["did"] == []


def test_a_resumed_suspension_leaves_no_checker_run_scheduled_and_says_why(
    register, deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, people, ref = register
    with Session(db.engine) as session:
        raise_suspension(
            session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=NOW
        )
    first, _, _ = run_flow(suspension_flow, suspension=SUS)
    assert len(first["checks"]) == 4
    later = NOW.add(days=3)
    with Session(db.engine) as session:
        schedule_meeting(
            session,
            place="Room 2, County Hall",
            suspension=SUS,
            at=later,
            actor=people.chair,
            now=NOW.add(days=1),
        )
        record_meeting(
            session,
            suspension=SUS,
            outcome=MeetingOutcome.RESUME,
            attendees=[people.signatory[COUNCIL], people.chair],
            risk_assessment="Controls re-tested",
            actor=people.chair,
            now=later,
        )
    # the settled event's run (its trigger's parameters: the reference alone)
    _clock(monkeypatch, later)
    settled, _, run_id = run_flow(suspension_flow, suspension=SUS)
    assert settled["status"] == "ended" and settled["checks"] == []
    assert settled["cancelled"] == [
        f"suspension-{SUS}-day-14-check",
        f"suspension-{SUS}-day-25-check",
        f"suspension-{SUS}-day-30-check",
        f"suspension-{SUS}-day-7-check",
    ]
    states = [(r.state_type.value, r.state.message) for r in _runs("suspension")]  # type: ignore[union-attr]
    assert states == [("CANCELLED", f"{SUS} is settled (ended): nothing left to check")] * 4
    # the artifact tells it in the register's words
    (artifact,) = artifacts_of(run_id)
    told = str(artifact.data)
    assert "resolution meeting held: resume" in told and f"resumed: {ref}" in told
    assert f"suspended: {ref}" in told and "emails: " in told
    assert f"of {TRUST} (Breach): ended" in str(artifact.description)


def test_a_withdrawal_that_took_effect_at_once_is_told_in_the_register_s_words(
    register, deployed
) -> None:
    db, people, ref = register
    with Session(db.engine) as session:
        withdraw_agency(
            session, agency=TRUST, reason="Merged", actor=people.signatory[TRUST], now=NOW
        )
    done, _, run_id = run_flow(withdrawal_flow, withdrawal=WDR)
    assert done["status"] == "completed"
    (artifact,) = artifacts_of(run_id)
    told = str(artifact.data)
    assert "nothing due yet" not in told
    assert f"terminated: {ref}" in told and "disposal tasks: DSP-2026-0001" in told
    assert "took effect" in told
    assert f"Withdrawal {WDR} of {TRUST} (Merged): completed" in str(artifact.description)


def test_the_deadline_sweep_and_the_checkers_never_repeat_each_other(
    register, deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, people, _ = register
    with Session(db.engine) as session:
        raise_suspension(
            session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=NOW
        )
    _clock(monkeypatch, NOW.add(days=7))
    swept, _, _ = run_flow(deadline_sweep, as_of="2026-12-02")
    assert swept["phases"]["suspensions"] == 1
    checked, _, _ = run_flow(
        suspension_flow, suspension=SUS, as_of="2026-12-02", schedule_checks=False
    )
    assert checked["done"] == []
    assert db.count("outbox", "event = 'suspension.meeting_reminder'") == 1


def test_the_deadline_sweep_schedules_again_the_checker_runs_a_redeployment_dropped(
    register, deployed
) -> None:
    """Deleting a deployment (moving between `isa up` and workers) deletes its scheduled runs:
    the next deadline sweep schedules again every check an open suspension or withdrawal is
    missing, and a sweep after it adds none."""
    db, people, _ = register
    with Session(db.engine) as session:
        raise_suspension(
            session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=NOW
        )
        withdraw_agency(
            session,
            agency=POLICE,
            reason="Merging with another force",
            actor=people.signatory[POLICE],
            now=NOW,
            effective_on=pendulum.date(2026, 12, 31),
        )
    run_flow(suspension_flow, suspension=SUS)
    run_flow(withdrawal_flow, withdrawal=WDR)

    def scheduled() -> list[tuple[str, str, str]]:
        return sorted(
            (name, run.name, run.expected_start_time.isoformat())
            for name in ("suspension", "withdrawal")
            for run in _runs(name)
            if run.state_type == StateType.SCHEDULED
        )

    before = scheduled()
    assert len(before) == 5  # days 7, 14, 25 and 30, and the withdrawal's effective date
    with get_client(sync_client=True) as client:
        for name in ("suspension", "withdrawal"):
            (found,) = client.read_deployments(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[name]))
            )
            client.delete_deployment(found.id)
    for deployment in runner_deployments():
        if deployment.name in ("suspension", "withdrawal"):
            deployment.triggers = []
            deployment.apply()
    assert scheduled() == []

    swept, _, _ = run_flow(deadline_sweep, as_of="2026-11-25")
    assert scheduled() == before
    assert len(swept["checks"]) == 5
    assert db.count("outbox", "event = 'suspension.meeting_reminder'") == 0
    run_flow(deadline_sweep, as_of="2026-11-25")
    assert scheduled() == before


@pytest.mark.timeout(240)
def test_isa_suspend_and_isa_withdraw_emit_the_events_whose_triggers_run_their_flows(
    register, smtp_server: SMTPServer
) -> None:
    """The real path: `isa suspend` (or `isa withdraw`) writes the register, emits
    `isa.suspension.raised` (`isa.withdrawal.raised`), the deployment's trigger (from
    prefect.yaml, served as `isa up` serves it) starts the flow."""

    db, people, _ = register
    for name in ("suspension", "withdrawal"):
        if _deployment_exists(name):
            with get_client(sync_client=True) as client:
                for run in _runs(name):
                    client.delete_flow_run(run.id)
    runner, env = _serve("suspension", "withdrawal")
    try:
        isa = [sys.executable, "-c", "from isa.cli import main; main()"]

        def raise_and_wait(kind: str, reference: str, *argv: str) -> None:
            """Run the command, then wait for the flow run its event's trigger starts."""
            said = subprocess.run(
                [*isa, *argv], env=env, capture_output=True, text=True, check=False
            )
            assert said.returncode == 0, said.stderr
            assert f"the {kind} flow for {reference} is starting" in said.stdout
            _wait(
                f"a completed {kind} flow run",
                lambda: any(
                    r.state_type and r.state_type.value == "COMPLETED" for r in _runs(kind)
                ),
                120,
            )
            assert (
                db.count(
                    "event_outbox", f"event = 'isa.{kind}.raised' AND published_at IS NOT NULL"
                )
                == 1
            )

        raise_and_wait(
            "suspension",
            SUS,
            "suspend",
            TRUST,
            "--reason",
            "Laptop stolen",
            "--as",
            people.signatory[TRUST],
        )
        assert len([r for r in _runs("suspension") if r.state_type.value == "SCHEDULED"]) == 4  # type: ignore[union-attr]
        assert smtp_server.recorder.to(people.chair)
        raise_and_wait(
            "withdrawal",
            WDR,
            "withdraw",
            POLICE,
            "--reason",
            "Merged",
            "--as",
            people.signatory[POLICE],
        )
    finally:
        _stop(runner)


@pytest.mark.timeout(240)
def test_an_event_from_another_register_on_the_same_prefect_server_starts_nothing_here(
    register, smtp_server: SMTPServer
) -> None:
    """A training copy beside the live register, sharing its Prefect server, raises a
    suspension: its event carries the other register's installation identifier, so this
    register's trigger (served as `isa up` serves it) ignores it; this register's own event,
    published after it, starts exactly one run, for its own suspension."""

    from isa.prefect_events import prefect_request

    _, people, _ = register
    if _deployment_exists("suspension"):
        with get_client(sync_client=True) as client:
            for run in _runs("suspension"):
                client.delete_flow_run(run.id)
    runner, env = _serve("suspension")
    api = env["PREFECT_API_URL"]
    try:
        foreign = "SUS-2026-0042"
        prefect_request(
            "POST",
            f"{api}/events",
            json=[
                {
                    "id": "5b0c8f52-3c1e-4c55-9d3e-2f1f6d8a0042",
                    "occurred": NOW.isoformat(),
                    "event": "isa.suspension.raised",
                    "resource": {
                        "prefect.resource.id": f"isa.suspension.{foreign}",
                        "prefect.resource.name": foreign,
                        "isa.reference": foreign,
                        "isa.installation": "TRAININGCOPY0000",
                    },
                    "related": [],
                    "payload": {"reference": foreign, "because": "suspension.raised"},
                }
            ],
        )
        said = subprocess.run(
            [
                sys.executable,
                "-c",
                "from isa.cli import main; main()",
                "suspend",
                TRUST,
                "--reason",
                "Laptop stolen",
                "--as",
                people.signatory[TRUST],
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert said.returncode == 0, said.stderr
        _wait(
            "a completed suspension flow run",
            lambda: any(r.state_type == StateType.COMPLETED for r in _runs("suspension")),
            120,
        )
        started = {
            r.parameters["suspension"]
            for r in _runs("suspension")
            if r.state_type != StateType.SCHEDULED
        }
        # (a run an earlier test's event started late may be here too: it is this register's)
        assert foreign not in started and SUS in started
    finally:
        _stop(runner)


@pytest.mark.timeout(240)
def test_a_suspension_raised_while_the_server_was_down_starts_its_flow_once_it_is_back(
    register, smtp_server: SMTPServer
) -> None:
    """`isa suspend` with the server down keeps the record and its event; when the server and
    a runner are back, the next delivery run publishes the event and its trigger starts the
    flow, which schedules the day 7/14/25/30 checks, within a minute."""

    from flows.deliver_outbox import deliver_outbox

    db, people, _ = register
    if _deployment_exists("suspension"):
        with get_client(sync_client=True) as client:
            for run in _runs("suspension"):
                client.delete_flow_run(run.id)
    down = dict(os.environ, ISA_PREFECT_API_URL=NO_PREFECT)
    said = subprocess.run(
        [
            sys.executable,
            "-c",
            "from isa.cli import main; main()",
            "suspend",
            TRUST,
            "--reason",
            "Breach",
            "--as",
            people.signatory[TRUST],
        ],
        env=down,
        capture_output=True,
        text=True,
        check=False,
    )
    assert said.returncode == 0, said.stderr
    assert (
        f"the Prefect server is not reachable: {SUS} is recorded, and its flow starts when the "
        "server is back (at `isa up`, or the next delivery run)" in said.stdout
    )
    raised = "event = 'isa.suspension.raised'"
    assert db.count("event_outbox", f"{raised} AND published_at IS NULL AND attempts = 1") == 1
    # (the register's arrangement was submitted by the factories, which publish nothing)
    owed = db.count("event_outbox", "published_at IS NULL")
    # the server and a runner come back
    runner, _ = _serve("suspension")
    try:
        delivered, _, _ = run_flow(deliver_outbox)
        assert delivered["events"] == {"published": owed, "left": 0, "error": None}
        back = time.monotonic()
        _wait(
            "the suspension flow run its event starts",
            lambda: any(
                r.state_type and r.state_type.value == "COMPLETED" for r in _runs("suspension")
            ),
            60,
        )
        assert time.monotonic() - back < 60
        # its four checker runs are made (the day-7 one, already due by the real clock, may
        # have started by now: counted by name, whatever their state)
        checks = sorted(r.name for r in _runs("suspension") if r.name.endswith("-check"))
        assert checks == sorted(f"suspension-{SUS}-day-{day}-check" for day in (7, 14, 25, 30))
        assert db.count("event_outbox", f"{raised} AND published_at IS NOT NULL") == 1
        # published once: a second delivery run posts nothing again
        again, _, _ = run_flow(deliver_outbox)
        assert again["events"] == {"published": 0, "left": 0, "error": None}
    finally:
        _stop(runner)


def _serve(*deployments: str) -> tuple["subprocess.Popen[bytes]", dict[str, str]]:
    """Serve `deployments` from prefect.yaml as `isa up` does, in a process of its own against
    the harness's server, once their triggers are loaded; returns it (stop it with `_stop`) and
    the environment a command run against that server gets."""
    from prefect.settings import PREFECT_API_URL

    api = str(PREFECT_API_URL.value())
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_API_URL=api, ISA_PREFECT_API_URL=api)
    runner = subprocess.Popen(
        [sys.executable, "-m", "isa.deployments", *deployments],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait(
            f"the triggers of {', '.join(deployments)}",
            lambda: all(_automation_exists(name) for name in deployments),
            90,
        )
        wait_for_triggers()  # the triggers service loads new automations on its own clock
    except BaseException:
        _stop(runner)
        raise
    return runner, env


def _stop(runner: "subprocess.Popen[bytes]") -> None:
    os.killpg(runner.pid, 15)
    runner.wait(timeout=30)


def _deployment_exists(name: str) -> bool:
    with get_client(sync_client=True) as client:
        return bool(
            client.read_deployments(
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[name]))
            )
        )


def _automation_exists(deployment: str) -> bool:
    (spec,) = (s for s in read_specs() if s.name == deployment)
    with get_client(sync_client=True) as client:
        return bool(client.read_automations_by_name(automation_name(spec, 1)))


def _wait(what: str, ready: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(1)
    raise AssertionError(f"{what} did not happen within {seconds} s")


def test_a_run_for_an_unknown_suspension_fails_at_once_saying_so(register) -> None:
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId

    state = suspension_flow(suspension="SUS-2099-0001", return_state=True)
    assert state.is_failed()
    with pytest.raises(Exception, match="no suspension 'SUS-2099-0001'"):
        state.result()
    with get_client(sync_client=True) as client:
        (marking,) = client.read_task_runs(
            task_run_filter=TaskRunFilter(
                flow_run_id=TaskRunFilterFlowRunId(any_=[state.state_details.flow_run_id])
            )
        )
    # a lookup that cannot succeed is not retried (a lost connection would be)
    assert marking.run_count == 1


# --- a data subject's withdrawal of consent (§9, §18) -------------------------------------------


def test_the_consent_flow_sends_each_partner_its_notice_and_tells_the_story(
    register, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.matter import matter
    from tasks.protocol.consent import withdraw_consent

    db, people, ref = register
    with Session(db.engine, expire_on_commit=False) as session:
        events = withdraw_consent(
            session,
            agency=COUNCIL,
            data_subject_ref="ASC/2026/00417",
            arrangements=[ref],
            actor=people.rep[COUNCIL],
            now=NOW,
        )
    consent = str(events[-1].as_dict()["consent"])
    done, name, run_id = run_flow(matter, duty="consent", reference=consent)
    assert name == f"consent-{consent}-2026-11-25"
    assert done["settled"] is False and done["chased"] == []
    # the trust received the data: its nominated representative has the notice, with a link
    [notice] = smtp_server.recorder.to(people.rep[TRUST])
    assert "cease processing ASC/2026/00417" in notice.message["Subject"]
    assert "/a/" in notice.message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    (artifact,) = artifacts_of(run_id)
    assert f"Consent withdrawn {consent} at {COUNCIL}" in str(artifact.description)
    assert "0 of 1 partners have ceased processing" in str(artifact.description)
    # two working days on, a run of the flow chases the trust, once
    _clock(monkeypatch, NOW.add(days=2))
    again, _, _ = run_flow(
        matter, duty="consent", reference=consent, as_of=pendulum.date(2026, 11, 27)
    )
    assert [c["action"] for c in again["chased"]] == ["reminded"]
    third, _, _ = run_flow(
        matter, duty="consent", reference=consent, as_of=pendulum.date(2026, 11, 27)
    )
    assert third["chased"] == []
    reminders = [
        m for m in smtp_server.recorder.to(people.rep[TRUST]) if "Reminder" in m.message["Subject"]
    ]
    assert len(reminders) == 1


def test_a_consent_run_for_an_unknown_withdrawal_fails_at_once_saying_so(register) -> None:
    from flows.matter import matter

    state = matter(duty="consent", reference="CON-2026-0999", return_state=True)
    assert state.is_failed()
    with pytest.raises(Exception, match="no consent withdrawal 'CON-2026-0999'"):
        state.result()


# --- a security incident (§29) -------------------------------------------------------------------


def test_the_incident_flow_tells_at_once_checks_at_24_48_66_and_72_hours_and_cancels_once_decided(
    register, deployed, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.incident import incident_flow
    from tasks.protocol.incidents import decide_incident, report_incident

    db, people, ref = register
    aware = NOW.subtract(hours=1)
    with Session(db.engine, expire_on_commit=False) as session:
        events = report_incident(
            session,
            agency=TRUST,
            arrangement=ref,
            what="Case files on a stolen laptop",
            aware_at=aware.isoformat(),
            originator=None,
            actor=people.rep[TRUST],
            now=NOW,
        )
    incident = str(events[0].as_dict()["incident"])
    done, name, run_id = run_flow(incident_flow, incident=incident)
    assert name == f"incident-{incident}-2026-11-25"
    assert done["decided"] is False and done["chased"] == []
    (story,) = artifacts_of(run_id)
    assert "undecided, 1 h of 72 since awareness" in str(story.description)
    # the originator's representative is asked to acknowledge, the trust's DPO to decide
    [told] = smtp_server.recorder.to(people.rep[COUNCIL])
    assert "Security incident" in told.message["Subject"]
    [owed] = smtp_server.recorder.to(people.dpo[TRUST])
    assert "/a/" in owed.message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]

    def upcoming() -> list[tuple[str, str, str]]:
        return sorted(
            (
                run.expected_start_time.astimezone(LONDON).isoformat(),
                run.state_type.value if run.state_type else "",
                run.name,
            )
            for run in _runs("incident")
        )

    # 09:00 GMT on Wednesday 25 November plus 24, 48, 66 and 72 hours
    assert upcoming() == [
        ("2026-11-26T09:00:00+00:00", "SCHEDULED", f"incident-{incident}-24-h-check"),
        ("2026-11-27T09:00:00+00:00", "SCHEDULED", f"incident-{incident}-48-h-check"),
        ("2026-11-28T03:00:00+00:00", "SCHEDULED", f"incident-{incident}-66-h-check"),
        ("2026-11-28T09:00:00+00:00", "SCHEDULED", f"incident-{incident}-72-h-check"),
    ]
    # the 24-hour checker run reminds the DPO, once
    _clock(monkeypatch, aware.add(hours=24))
    day = pendulum.date(2026, 11, 26)
    checked, _, _ = run_flow(incident_flow, incident=incident, as_of=day, schedule_checks=False)
    assert [c["action"] for c in checked["chased"]] == ["DPO reminded at 24 h"]
    again, _, _ = run_flow(incident_flow, incident=incident, as_of=day, schedule_checks=False)
    assert again["chased"] == []
    reminders = [
        m for m in smtp_server.recorder.to(people.dpo[TRUST]) if "24 hours" in m.message["Subject"]
    ]
    assert len(reminders) == 1
    # decided: the run its event starts cancels the checks still scheduled, saying why
    with Session(db.engine, expire_on_commit=False) as session:
        decide_incident(
            session,
            incident=incident,
            notify_regulator="yes",
            reason="Health records; risk of harm",
            actor=people.dpo[TRUST],
            now=aware.add(hours=30),
        )
    _clock(monkeypatch, aware.add(hours=30))
    settled, _, settled_id = run_flow(incident_flow, incident=incident)
    assert settled["decided"] is True and settled["checks"] == []
    assert len(settled["cancelled"]) == 4
    states = {
        (r.state_type.value, r.state.message)
        for r in _runs("incident")
        if r.parameters.get("schedule_checks") is False and r.state_type.value != "COMPLETED"
    }  # type: ignore[union-attr]
    assert states == {("CANCELLED", f"{incident} is decided: nothing left to check")}
    (artifact,) = artifacts_of(settled_id)
    assert "reported to the ICO, decided by" in str(artifact.description)


# --- every matter's clock schedules its own checker runs (flows/matter.py) -----------------------


def _upcoming(deployment: str) -> list[tuple[str, str]]:
    """(London start, name) of the deployment's checker runs still scheduled, soonest first."""
    return sorted(
        (run.expected_start_time.astimezone(LONDON).isoformat(), run.name)  # type: ignore[union-attr]
        for run in _runs(deployment)
        if run.state_type == StateType.SCHEDULED
    )


def _cancelled(deployment: str) -> set[tuple[str, str | None]]:
    return {
        (run.state_type.value, run.state.message)  # type: ignore[union-attr]
        for run in _runs(deployment)
        if run.parameters.get("schedule_checks") is False
    }


def _raise_and_settle(
    register: tuple[Database, People, str], duty: str, deployment: str
) -> tuple[str, list[tuple[str, str]], dict[str, Any]]:
    """Raise a matter of kind `duty`, run its flow (which schedules its checker runs), settle
    it and run its flow again (which cancels them): the reference, the runs scheduled, and
    what the second run did."""
    from flows.matter import matter
    from tasks.protocol.consent import acknowledge_consent, withdraw_consent
    from tasks.protocol.onward import answer_onward_sharing, request_onward_sharing
    from tasks.protocol.quality import correct_data, report_data_quality
    from tasks.protocol.requests import close_request, record_request

    db, people, ref = register
    with Session(db.engine, expire_on_commit=False) as session:
        if duty == "consent":
            events = withdraw_consent(
                session,
                agency=COUNCIL,
                data_subject_ref="ASC/2026/00417",
                arrangements=[ref],
                actor=people.rep[COUNCIL],
                now=NOW,
            )
            reference = str(events[-1].as_dict()["consent"])
            notice = str(events[0].as_dict()["notice"])
        elif duty == "quality":
            events = report_data_quality(
                session,
                arrangement=ref,
                agency=TRUST,
                what="Date of birth wrong on referral",
                owner=None,
                actor=people.poc[TRUST],
                now=NOW,
            )
            reference = str(events[0].as_dict()["notice"])
        elif duty == "onward":
            events = request_onward_sharing(
                session,
                arrangement=ref,
                agency=TRUST,
                third_party="Northshire Advocacy Service",
                data="Referral dates for case ASC/2026/00417",
                purpose="Advocacy at the review meeting",
                owner=None,
                actor=people.rep[TRUST],
                now=NOW,
            )
            reference = str(events[0].as_dict()["request"])
        else:
            events = record_request(
                session,
                agency=TRUST,
                kind="foi",
                received_on="2026-11-25",
                their_ref="FOI/2026/0412",
                arrangements=[ref],
                summary="Referral volumes for 2025",
                actor=people.rep[TRUST],
                now=NOW,
            )
            reference = str(events[0].as_dict()["request"])
    done, name, _ = run_flow(matter, duty=duty, reference=reference)
    assert name == f"{duty}-{reference}-2026-11-25"
    assert done["settled"] is False and done["chased"] == []
    scheduled = _upcoming(deployment)
    assert len(done["checks"]) == len(scheduled)
    # raised again (a trigger delivered twice): the same runs, none added
    run_flow(matter, duty=duty, reference=reference)
    assert _upcoming(deployment) == scheduled
    later = NOW.add(hours=2)
    with Session(db.engine, expire_on_commit=False) as session:
        if duty == "consent":
            acknowledge_consent(session, notice=notice, actor=people.rep[TRUST], now=later)
        elif duty == "quality":
            correct_data(
                session, notice=reference, correction="Fixed", actor=people.rep[COUNCIL], now=later
            )
        elif duty == "onward":
            answer_onward_sharing(
                session,
                request=reference,
                consent="yes",
                reason="Fine",
                actor=people.rep[COUNCIL],
                now=later,
            )
        else:
            close_request(
                session,
                request=reference,
                outcome="disclosed",
                note="Sent",
                actor=people.rep[TRUST],
                now=later,
            )
    # settling publishes the event whose trigger runs the flow again
    settled_event = f"event = 'isa.{duty}.settled' AND reference = '{reference}'"
    assert db.count("event_outbox", settled_event) == 1
    settled, _, _ = run_flow(matter, duty=duty, reference=reference)
    assert settled["settled"] is True and settled["checks"] == []
    assert _upcoming(deployment) == []
    assert _cancelled(deployment) == {
        ("CANCELLED", f"{reference} is settled: nothing left to check")
    }
    return reference, scheduled, settled


# Wednesday 25 November 2026, 10:00 London: 2, 5 and 10 working days on (in England)
NOTICE_RUNGS = (("2026-11-27", "day-2"), ("2026-12-02", "day-5"), ("2026-12-09", "day-10"))


@pytest.mark.parametrize(
    ("duty", "deployment"),
    [("consent", "consent"), ("quality", "data-quality"), ("onward", "onward")],
)
def test_a_notice_s_flow_schedules_its_checks_at_2_5_and_10_working_days_and_cancels_them(
    register, deployed, duty: str, deployment: str
) -> None:
    reference, scheduled, settled = _raise_and_settle(register, duty, deployment)
    assert scheduled == [
        (f"{day}T09:00:00+00:00", f"{duty}-{reference}-{label}-check")
        for day, label in NOTICE_RUNGS
    ]
    assert settled["cancelled"] == sorted(name for _, name in scheduled)


def test_an_information_request_s_flow_schedules_its_reminders_and_its_consultations_chases(
    register, deployed
) -> None:
    reference, scheduled, settled = _raise_and_settle(register, "request", "information-request")
    # due Thursday 24 December (20 UK working days after 25 November: St Andrew's Day, a
    # Scottish bank holiday, does not count); the consultation's reply is asked for by Wednesday
    # 2 December
    assert scheduled == [
        ("2026-12-03T09:00:00+00:00", f"request-{reference}-consultation-day-1-check"),
        ("2026-12-07T09:00:00+00:00", f"request-{reference}-consultation-day-3-check"),
        ("2026-12-17T09:00:00+00:00", f"request-{reference}-5-days-before-check"),
        ("2026-12-23T09:00:00+00:00", f"request-{reference}-1-day-before-check"),
        ("2026-12-25T09:00:00+00:00", f"request-{reference}-day-1-check"),
    ]
    assert len(settled["cancelled"]) == 5


def test_a_matter_s_checker_run_chases_it_as_the_sweep_would_once(
    register, deployed, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.matter import matter
    from tasks.protocol.quality import report_data_quality

    db, people, ref = register
    with Session(db.engine, expire_on_commit=False) as session:
        events = report_data_quality(
            session,
            arrangement=ref,
            agency=TRUST,
            what="Date of birth wrong on referral",
            owner=None,
            actor=people.poc[TRUST],
            now=NOW,
        )
    notice = str(events[0].as_dict()["notice"])
    # the day-5 run, two days late: only the furthest rung owed is sent
    _clock(monkeypatch, pendulum.datetime(2026, 12, 4, 9, tz="Europe/London"))
    day = pendulum.date(2026, 12, 4)
    checked, name, _ = run_flow(
        matter, duty="quality", reference=notice, as_of=day, schedule_checks=False
    )
    assert name == f"quality-{notice}-2026-12-04"
    assert [c["action"] for c in checked["chased"]] == ["reminded: DPO told"]
    again, _, _ = run_flow(
        matter, duty="quality", reference=notice, as_of=day, schedule_checks=False
    )
    assert again["chased"] == [] and again["checks"] == []
