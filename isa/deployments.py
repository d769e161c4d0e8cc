"""Serve every deployment declared in `prefect.yaml`: the file stays the one source of truth for
schedules, triggers and parameters, whether `isa up` serves it or `prefect deploy` ships it."""

import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from models.errors import InvalidInput

PROJECT = Path(__file__).resolve().parent.parent
PREFECT_YAML = PROJECT / "prefect.yaml"
# every trigger in prefect.yaml matches events of one register only: `isa up` and `isa deploy`
# put the register's installation identifier in this variable (`prefect deploy` fills the
# placeholder from it; `serve_all` below does the same)
INSTALLATION_VARIABLE = "ISA_INSTALLATION"
INSTALLATION_LABEL = "isa.installation"


@dataclass(frozen=True)
class DeploymentSpec:
    """One deployment as declared: its flow's entrypoint, schedules, triggers and parameters."""

    name: str
    entrypoint: str
    description: str | None
    schedules: tuple[dict[str, Any], ...]
    triggers: tuple[dict[str, Any], ...]
    parameters: dict[str, Any]
    tags: tuple[str, ...]


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def schedule_in_words(cron: str, timezone: str) -> str:
    """A schedule of prefect.yaml as a person reads it, with its time zone: "daily at 07:00
    (Europe/London)", "yearly on 1 April at 08:00 (Europe/London)", "every 15 minutes
    (Europe/London)". Each deployment's description opens with it, so the deployments page says
    when it runs in words (tests/unit/test_prefect_yaml.py)."""
    fields = cron.split()
    if len(fields) != 5:
        raise ValueError(f"not a five-field cron: {cron!r}")
    minute, hour, day, month, weekday = fields
    zone = f"({timezone})"
    if minute.startswith("*/") and (hour, day, month, weekday) == ("*", "*", "*", "*"):
        return f"every {minute[2:]} minutes {zone}"
    if not (minute.isdigit() and hour.isdigit()) or weekday != "*":
        raise ValueError(f"no words for the cron {cron!r}")
    at = f"at {int(hour):02d}:{int(minute):02d} {zone}"
    if (day, month) == ("*", "*"):
        return f"daily {at}"
    if day.isdigit() and month.isdigit():
        return f"yearly on {int(day)} {MONTHS[int(month) - 1]} {at}"
    raise ValueError(f"no words for the cron {cron!r}")


def read_specs(path: Path = PREFECT_YAML) -> list[DeploymentSpec]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from None
    specs = []
    for entry in raw.get("deployments") or []:
        specs.append(
            DeploymentSpec(
                name=entry["name"],
                entrypoint=entry["entrypoint"],
                description=entry.get("description"),
                schedules=tuple(entry.get("schedules") or ()),
                triggers=tuple(entry.get("triggers") or ()),
                parameters=dict(entry.get("parameters") or {}),
                tags=tuple(entry.get("tags") or ()),
            )
        )
    if not specs:
        raise InvalidInput(f"{path} declares no deployments")
    return specs


def automation_name(spec: DeploymentSpec, number: int) -> str:
    """The name of the automation the `number`th (from 1) trigger of `spec` makes: the trigger's
    own (prefect.yaml names each for what it starts on which event), else Prefect's default."""
    return str(spec.triggers[number - 1].get("name") or f"{spec.name}__automation_{number}")


def automation_names(path: Path = PREFECT_YAML) -> set[str]:
    """The automations prefect.yaml's triggers make, by name."""
    return {
        automation_name(spec, i)
        for spec in read_specs(path)
        for i in range(1, len(spec.triggers) + 1)
    }


def for_installation(trigger: dict[str, Any], installation: str | None) -> dict[str, Any]:
    """`trigger` with its `isa.installation` match filled in with `installation`; with none
    (a test that registers deployments without a register) the match leaves it out."""
    match = dict(trigger.get("match") or {})
    if INSTALLATION_LABEL in match:
        if installation:
            match[INSTALLATION_LABEL] = installation
        else:
            del match[INSTALLATION_LABEL]
    return {**trigger, "match": match}


def installation_of(database_url: str) -> str:
    """The installation identifier of the register at `database_url` (made by its migration)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT identifier FROM installation")).scalar()
    finally:
        engine.dispose()
    if not found:
        raise InvalidInput("the register has no installation identifier: run `isa db upgrade`")
    return str(found)


def runner_deployments(path: Path = PREFECT_YAML, installation: str | None = None) -> list[Any]:
    """The specs as Prefect `RunnerDeployment`s, ready for `prefect.serve`, their triggers
    matching only the events of the register `installation` names."""
    from prefect.events import DeploymentTriggerTypes
    from prefect.flows import load_flow_from_entrypoint
    from prefect.schedules import Cron
    from pydantic import TypeAdapter

    as_trigger: TypeAdapter[Any] = TypeAdapter(DeploymentTriggerTypes)

    deployments = []
    for spec in read_specs(path):
        flow: Any = load_flow_from_entrypoint(str(PROJECT / spec.entrypoint))
        schedules = [
            Cron(
                s["cron"],
                timezone=s.get("timezone", "Europe/London"),
                slug=s.get("slug"),
                active=s.get("active", True),
                parameters=s.get("parameters") or {},
            )
            for s in spec.schedules
        ]
        # named as `prefect deploy` names them, so either way of running makes the same automation
        triggers = [
            as_trigger.validate_python(
                {**for_installation(t, installation), "name": automation_name(spec, i)}
            )
            for i, t in enumerate(spec.triggers, start=1)
        ]
        deployments.append(
            flow.to_deployment(
                name=spec.name,
                description=spec.description,
                schedules=schedules or None,
                triggers=triggers or None,
                parameters=spec.parameters or None,
                tags=list(spec.tags) or None,
            )
        )
    return deployments


# how often the serving process names the runs the server's scheduler made since (its scheduler
# service tops the schedules up about once a minute)
NAMING_SECONDS = 30.0


def name_upcoming_forever(stop: threading.Event, every: float = NAMING_SECONDS) -> None:
    """Name each scheduled run for what it will do (flows.naming) every `every` seconds until
    `stop` is set, so a run the scheduler adds is named within a minute, not at the next
    delivery run. A pass that fails (a busy or restarting server) is logged; the next retries."""
    from flows.naming import name_upcoming_runs

    log = logging.getLogger("isa.deployments")
    while not stop.wait(every):
        try:
            name_upcoming_runs()
        except Exception as exc:
            log.warning("naming the upcoming runs failed, trying again in %.0f s: %s", every, exc)


def serve_all(path: Path = PREFECT_YAML, only: frozenset[str] = frozenset()) -> None:
    """Serve every declared deployment (or only those named) in this process until interrupted,
    naming the upcoming runs as the scheduler adds them."""
    from prefect import serve

    installation = os.environ.get(INSTALLATION_VARIABLE)
    if not installation:
        from core.settings import Settings

        installation = installation_of(Settings().database_url)
    deployments = [d for d in runner_deployments(path, installation) if not only or d.name in only]
    unknown = only - {d.name for d in deployments}
    if unknown:
        raise InvalidInput(f"{path} declares no deployment {', '.join(sorted(unknown))}")
    stop = threading.Event()
    threading.Thread(target=name_upcoming_forever, args=(stop,), daemon=True).start()
    try:
        serve(*deployments, print_starting_message=False)
    finally:
        stop.set()


if __name__ == "__main__":
    import sys

    serve_all(only=frozenset(sys.argv[1:]))
