"""prefect.yaml declares one deployment per flow, each schedule in London time with a slug, and
every deployment builds into what `isa up` serves."""

from pathlib import Path

from isa.deployments import read_specs, runner_deployments

FLOWS = sorted(
    p.stem for p in Path("flows").glob("*.py") if p.stem not in {"__init__", "naming", "reporting"}
)


def test_there_is_one_deployment_per_flow_file() -> None:
    entrypoints = sorted(
        spec.entrypoint.split(":")[0].removeprefix("flows/").removesuffix(".py")
        for spec in read_specs()
    )
    assert entrypoints == FLOWS


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
        "monitoring-review",
        "deliver-outbox",
    }
    (trigger,) = deployments["approval"].triggers
    assert trigger.expect == {"isa.arrangement.submitted"}
    assert trigger.parameters == {"arrangement": "{{ event.resource['isa.reference'] }}"}
    assert deployments["review-sweep"].schedules[0].schedule.cron == "0 7 * * *"
