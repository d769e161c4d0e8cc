"""What a scheduled run is called before it runs: the name its flow gives it when it starts (a
sweep by its London date, a delivery by its London minute), from its expected start time."""

import pendulum

from flows.naming import AT_MINUTE, DATED, upcoming_name


def test_a_scheduled_sweep_is_named_by_its_london_date_and_a_delivery_by_its_minute() -> None:
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST): the sweep is the 1 July one
    late = pendulum.datetime(2026, 6, 30, 23, 30, tz="UTC")
    assert upcoming_name("review-sweep", late) == "review-sweep-2026-07-01"
    assert upcoming_name("deliver-outbox", late) == "deliver-outbox-2026-07-01T00:30"
    # in winter London is UTC
    winter = pendulum.datetime(2026, 12, 4, 6, 15, tz="UTC")
    assert upcoming_name("deadline-sweep", winter) == "deadline-sweep-2026-12-04"
    assert upcoming_name("monitoring-review", winter) == "monitoring-review-2026-12-04"


def test_only_the_scheduled_deployments_are_named_ahead() -> None:
    at = pendulum.datetime(2026, 12, 4, 9, 0, tz="UTC")
    for triggered in ("approval", "suspension", "withdrawal"):
        assert upcoming_name(triggered, at) is None
    assert set(DATED) | set(AT_MINUTE) == {
        "review-sweep",
        "access-sweep",
        "disposal-sweep",
        "deadline-sweep",
        "audit-checkpoint",
        "monitoring-review",
        "deliver-outbox",
    }


def test_every_scheduled_deployment_in_prefect_yaml_has_its_upcoming_name() -> None:
    from pathlib import Path

    import yaml

    spec = yaml.safe_load((Path(__file__).parents[2] / "prefect.yaml").read_text())
    scheduled = {d["name"] for d in spec["deployments"] if d.get("schedules")}
    at = pendulum.datetime(2026, 12, 4, 9, 0, tz="UTC")
    assert {name for name in scheduled if upcoming_name(name, at) is None} == set()


def test_the_serving_process_names_upcoming_runs_each_pass_and_outlives_a_failed_one(
    monkeypatch, caplog
) -> None:  # type: ignore[no-untyped-def]
    """`isa up`'s serving process names the runs the scheduler adds on every pass; a pass the
    server fails (busy, restarting) is logged and the next one runs."""
    import logging
    import threading

    import flows.naming
    from isa.deployments import name_upcoming_forever

    stop = threading.Event()
    passes: list[int] = []

    def one_pass() -> int:
        passes.append(len(passes))
        if len(passes) == 1:
            raise RuntimeError("503 Service Unavailable")
        if len(passes) == 3:
            stop.set()
        return 0

    monkeypatch.setattr(flows.naming, "name_upcoming_runs", one_pass)
    with caplog.at_level(logging.WARNING, logger="isa.deployments"):
        name_upcoming_forever(stop, every=0.01)
    assert len(passes) == 3
    assert "naming the upcoming runs failed" in caplog.text and "503" in caplog.text
