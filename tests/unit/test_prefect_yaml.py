"""prefect.yaml declares one deployment per flow, each schedule in London time with a slug, and
every deployment builds into what `isa up` serves."""

from pathlib import Path

import pytest
import yaml

import isa
from isa import steps
from isa.deployments import read_specs, runner_deployments
from isa.steps import enter_project

FLOWS = sorted(
    p.stem
    for p in Path("flows").glob("*.py")
    if p.stem not in {"__init__", "artifacts", "checks", "naming", "reporting"}
)


def test_there_is_one_deployment_per_flow_file() -> None:
    """One per flow file, but the matter flow's: one deployment per kind of matter it runs
    (models.duties.MATTERS), each passing its kind."""
    from models.duties import MATTERS

    entrypoints = sorted(
        {
            spec.entrypoint.split(":")[0].removeprefix("flows/").removesuffix(".py")
            for spec in read_specs()
        }
    )
    assert entrypoints == FLOWS
    matters = {
        spec.name: spec.parameters["duty"]
        for spec in read_specs()
        if spec.entrypoint == "flows/matter.py:matter"
    }
    assert matters == {
        MATTERS[duty].deployment: duty for duty in ("consent", "quality", "onward", "request")
    }


def test_every_schedule_is_a_london_cron_with_a_slug() -> None:
    schedules = [s for spec in read_specs() for s in spec.schedules]
    assert schedules
    for schedule in schedules:
        assert schedule["timezone"] == "Europe/London"
        assert schedule["slug"]
        assert len(schedule["cron"].split()) == 5


def test_the_approval_deployment_is_triggered_by_the_submission_event() -> None:
    deployments = {d.name: d for d in runner_deployments()}
    assert set(deployments) == {
        "review-sweep",
        "access-sweep",
        "disposal-sweep",
        "approval",
        "suspension",
        "withdrawal",
        "consent",
        "data-quality",
        "onward",
        "information-request",
        "incident",
        "deadline-sweep",
        "monitoring-review",
        "deliver-outbox",
        "audit-checkpoint",
    }
    (trigger,) = deployments["approval"].triggers
    # and again once its approval is settled, to cancel the checks left
    assert trigger.expect == {"isa.arrangement.submitted", "isa.arrangement.approval_settled"}
    assert trigger.parameters == {"arrangement": "{{ event.resource['isa.reference'] }}"}
    assert deployments["review-sweep"].schedules[0].schedule.cron == "0 7 * * *"


def test_raising_a_suspension_or_withdrawal_triggers_its_flow_with_the_reference() -> None:
    deployments = {d.name: d for d in runner_deployments()}
    for kind in ("suspension", "withdrawal"):
        (trigger,) = deployments[kind].triggers
        # a suspension's flow is started again when its meeting changes (its artifact follows)
        # and once it is settled, to cancel its checks
        settled = (
            {"isa.suspension.changed", "isa.suspension.settled"} if kind == "suspension" else set()
        )
        assert trigger.expect == {f"isa.{kind}.raised", *settled}
        assert trigger.match.model_dump()["prefect.resource.id"] == f"isa.{kind}.*"
        assert trigger.parameters == {kind: "{{ event.resource['isa.reference'] }}"}
        assert not deployments[kind].schedules
    # the safety net runs daily, before the other sweeps act on what it changes
    daily = ("deadline-sweep", "access-sweep", "disposal-sweep", "review-sweep")
    crons = {name: deployments[name].schedules[0].schedule.cron.split() for name in daily}
    assert all(cron[2:] == ["*", "*", "*"] for cron in crons.values())
    first = min(daily, key=lambda name: (int(crons[name][1]), int(crons[name][0])))
    assert first == "deadline-sweep"


def test_the_ui_run_form_asks_for_the_matter_and_offers_a_replay_day() -> None:
    deployments = {d.name: d for d in runner_deployments()}
    for kind, switch in (("suspension", "schedule_checks"), ("withdrawal", "schedule_check")):
        schema = deployments[kind]._parameter_openapi_schema.model_dump()
        assert schema["required"] == [kind]
        assert list(schema["properties"]) == [kind, "as_of", switch]


def test_every_event_the_catalog_publishes_starts_a_deployment_and_no_trigger_waits_in_vain() -> (
    None
):
    """The catalog says which Prefect event each change publishes (the event outbox); each must
    be some deployment's trigger, and each trigger's event must be one the register publishes."""
    from notifications.catalog import published_events

    expected = {
        event
        for deployment in runner_deployments()
        for trigger in deployment.triggers
        for event in trigger.expect
    }
    assert published_events() == expected
    assert published_events() >= {
        "isa.arrangement.submitted",
        "isa.arrangement.ended",
        "isa.suspension.raised",
        "isa.suspension.settled",
        "isa.withdrawal.raised",
    }


def test_every_deployment_names_the_pool_from_isa_work_pool_and_enters_the_installed_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing about the deploying machine is baked in: the pool is whatever ISA_WORK_POOL says
    at deploy time, and the pull step moves a worker's run into its own installation."""
    spec = yaml.safe_load(Path("prefect.yaml").read_text())
    assert spec["pull"] == [{"isa.steps.enter_project": {}}]
    for deployment in spec["deployments"]:
        assert deployment["work_pool"]["name"] == "{{ $ISA_WORK_POOL }}", deployment["name"]
    monkeypatch.chdir(tmp_path)
    assert enter_project() == {"directory": str(Path(isa.__file__).resolve().parent.parent)}
    assert Path.cwd() == Path(isa.__file__).resolve().parent.parent


def test_the_pull_step_refuses_an_installation_that_is_not_a_project_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(steps, "PROJECT", tmp_path)
    with pytest.raises(RuntimeError, match="not in a project checkout with prefect"):
        steps.enter_project()


def test_each_scheduled_deployment_says_when_it_runs_in_words_with_its_time_zone() -> None:
    """The deployments page shows each description: it opens with the schedule in words and its
    time zone, whatever the page makes of the cron itself."""
    from isa.deployments import read_specs, schedule_in_words

    scheduled = [spec for spec in read_specs() if spec.schedules]
    assert len(scheduled) == 7
    for spec in scheduled:
        (schedule,) = spec.schedules
        assert schedule["timezone"] == "Europe/London", spec.name
        words = schedule_in_words(schedule["cron"], schedule["timezone"])
        assert (spec.description or "").lower().startswith(words.lower()), (spec.name, words)


def test_a_schedule_in_words() -> None:
    from isa.deployments import schedule_in_words

    assert schedule_in_words("0 7 * * *", "Europe/London") == "daily at 07:00 (Europe/London)"
    assert schedule_in_words("0 8 1 4 *", "Europe/London") == (
        "yearly on 1 April at 08:00 (Europe/London)"
    )
    assert schedule_in_words("*/15 * * * *", "UTC") == "every 15 minutes (UTC)"
    with pytest.raises(ValueError, match="no words for the cron '0 7 \\* \\* 1'"):
        schedule_in_words("0 7 * * 1", "Europe/London")


def test_each_automation_is_named_and_described_for_what_it_starts_on_which_event() -> None:
    """The Prefect UI's automations page lists them by name and description: not
    "approval__automation_1", "A custom trigger"."""
    built = {d.name: d for d in runner_deployments()}
    names: list[str] = []
    for spec in read_specs():
        for trigger in built[spec.name].triggers or []:
            names.append(trigger.name)
            assert trigger.name and "__automation_" not in trigger.name, spec.name
            described = " ".join(trigger.description.split())
            for event in trigger.expect:
                assert event in described, (spec.name, event)
            flow = spec.name.replace("-", " ").split()[0]
            assert flow in described.lower() or flow in trigger.name.lower(), spec.name
    assert names and len(set(names)) == len(names)


def test_every_trigger_matches_only_the_events_of_its_own_register() -> None:
    """A second register on the machine (a training copy beside the live one) publishing to
    the same Prefect server starts nothing here: each trigger in prefect.yaml matches the
    installation label its events carry, filled in with this register's identifier whether
    `isa up` serves the file or `prefect deploy` ships it (ISA_INSTALLATION)."""
    triggers = [t for spec in read_specs() for t in spec.triggers]
    assert len(triggers) >= 7
    for trigger in triggers:
        assert trigger["match"]["isa.installation"] == "{{ $ISA_INSTALLATION }}", trigger["name"]
    served = [t for d in runner_deployments(installation="K7QX2MZ4ABCD3EFG") for t in d.triggers]
    assert len(served) == len(triggers)
    for trigger in served:
        assert trigger.match.root["isa.installation"] == "K7QX2MZ4ABCD3EFG"
