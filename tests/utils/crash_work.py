"""The work a crash drill's child process does, killed or not: the register's own entry points,
configured from the environment as `isa sweep`, `isa outbox deliver` and a flow run are.

The drill's parent forks every child from one process that has imported this module (and so
Prefect, the flows and the use cases) once: a child starts in milliseconds rather than seconds,
and is still a process of its own, which SIGKILL ends with no clean-up at all.

Every piece of work can be run again from its start: each step is one the register makes
idempotent (a sweep's batches and a flow's checks record what they did; an email is queued
once by its dedupe key), and the steps a person takes (raising a suspension, giving notice) are
taken again only if the register does not show them done, as that person would check. Each
ends with one more delivery run a few minutes later, standing for the next
`deliver-outbox` run, which sends whatever a killed deliverer left claimed once its lease has
lapsed.
"""

import contextlib
import importlib
import os
import traceback
from collections.abc import Callable
from datetime import date
from typing import Any

import pendulum
from jinja2 import Environment
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import configure_mappers
from sqlmodel import Session

# imported here, in the process children are forked from, so that no child imports them
import flows.suspension
import flows.withdrawal
from core.db import make_engine
from core.keys import audit_seal, link_issuer
from core.settings import Settings
from models.tables import AuditEvent
from notifications import render
from notifications.delivery import deliver_outbox_sync
from tasks import runtime
from tasks.daily import Sweep, run_sweep
from tasks.protocol.suspensions import raise_suspension
from tasks.protocol.withdrawals import withdraw_agency
from tests.utils import crash_checks, kill_points

# the next delivery run after the work, past any lease a killed deliverer held
LATER = pendulum.duration(minutes=3)

# what a process's first flow run imports (Prefect's engines, FastAPI's encoder for the
# parameters, ...), found by comparing sys.modules before and after one: imported here once,
# not in every child (a fifth of a short child's time)
FIRST_FLOW_RUN_IMPORTS = (
    "prefect.flow_engine",
    "prefect.task_engine",
    "prefect.engine",
    "prefect.utilities.visualization",
    "prefect.concurrency.sync",
    "prefect.concurrency.v1.context",
    "fastapi.encoders",
    "anyio._backends._asyncio",
    "opentelemetry.metrics",
    "pendulum.locales.en.locale",
    "pydantic.color",
)


def _warm() -> None:
    """Do once, in the process the children are forked from, what every child would otherwise
    do first: no thread is started and no connection opened (a fork keeps neither)."""
    for name in FIRST_FLOW_RUN_IMPORTS:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    configure_mappers()
    # the email templates, compiled in each environment that renders them
    for env in vars(render).values():
        if isinstance(env, Environment):
            for template in env.list_templates():
                env.get_template(template)


_warm()


def _engine(settings: Settings, channel: str) -> Engine:
    return make_engine(
        settings.database_url,
        audit=audit_seal(settings, channel),
        mailbox=settings.mail_from,
        office=settings.office_mailbox(),
        links=link_issuer(settings),
    )


def _deliver_later(engine: Engine, settings: Settings, after: pendulum.DateTime) -> None:
    deliver_outbox_sync(engine, settings, after + LATER)


def sweep(params: dict[str, Any]) -> None:
    """`isa sweep <which> --batch-size N` for the day: the sweep's phases, then delivery."""
    settings = Settings()
    engine = _engine(settings, "cli")
    now = pendulum.parse(params["now"])
    assert isinstance(now, pendulum.DateTime)
    which: Sweep = params["which"]
    with Session(engine, expire_on_commit=False) as session:
        run_sweep(
            session,
            which,
            as_of=date.fromisoformat(params["as_of"]),
            now=now,
            actor="cli:drill",
            batch_size=params["batch_size"],
        )
    deliver_outbox_sync(engine, settings, now)
    _deliver_later(engine, settings, now)


def delivery(params: dict[str, Any]) -> None:
    """`isa outbox deliver`, then the next run."""
    settings = Settings()
    engine = _engine(settings, "cli")
    now = settings.current_time()
    deliver_outbox_sync(engine, settings, now)
    _deliver_later(engine, settings, now)


def _clock(at: str) -> pendulum.DateTime:
    """Set the run's clock (ISA_NOW) for what follows, as each flow run reads it: `at`, unless
    the register has already recorded a later moment. A rerun comes after the crash, and its
    clock never goes back before what the killed process did: the runs the killed process had
    made are made again at the time it was killed, not at their own earlier times (a run at
    the notice's time that finds a withdrawal already carried out would schedule its disposal
    weeks before the clean pass did). In a clean pass every run is at its own time."""
    moment = pendulum.parse(at)
    assert isinstance(moment, pendulum.DateTime)
    with runtime.engine().connect() as conn:
        last = conn.execute(select(func.max(AuditEvent.occurred_at))).scalar_one()
    if last is not None and pendulum.instance(last) > moment:
        moment = pendulum.instance(last)
    os.environ["ISA_NOW"] = moment.isoformat()
    runtime.settings.cache_clear()
    return runtime.now()


def _flow_runs(run: Callable[[], None]) -> None:
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_LOGGING_TO_API_ENABLED,
        PREFECT_RUNNER_HEARTBEAT_FREQUENCY,
        temporary_settings,
    )

    with temporary_settings(
        {
            PREFECT_API_URL: os.environ["PREFECT_API_URL"],
            PREFECT_LOGGING_TO_API_ENABLED: False,
            PREFECT_RUNNER_HEARTBEAT_FREQUENCY: None,
        }
    ):
        run()


def _has(engine: Engine, sql: str, **values: Any) -> bool:
    with engine.connect() as conn:
        return conn.execute(text(sql), values).first() is not None


def suspension(params: dict[str, Any]) -> None:
    """A suspension from raised to ended: the signatory raises it (unless the register shows it
    raised), its flow runs when the raised event starts it, then its checker runs on days 7,
    14, 25 and 30, each at its own time."""

    def run() -> None:
        now = _clock(params["raised_at"])
        engine = runtime.engine()
        if not _has(
            engine,
            "SELECT 1 FROM suspension JOIN agency ON agency.id = suspension.agency_id "
            "WHERE agency.name = :name",
            name=params["agency"],
        ):
            with Session(engine) as session:
                raise_suspension(
                    session,
                    agency=params["agency"],
                    reason=params["reason"],
                    actor=params["actor"],
                    now=now,
                )
        for at, as_of, schedule in params["runs"]:
            now = _clock(at)
            flows.suspension.suspension_flow(
                suspension=params["reference"], as_of=as_of, schedule_checks=schedule
            )
        _deliver_later(engine, runtime.settings(), now)

    _flow_runs(run)


def withdrawal(params: dict[str, Any]) -> None:
    """A withdrawal with notice: the signatory gives it (unless the register shows it given),
    the flow runs when the event starts it, then its checker run on the effective date."""

    def run() -> None:
        now = _clock(params["noticed_at"])
        engine = runtime.engine()
        if not _has(
            engine,
            "SELECT 1 FROM withdrawal JOIN agency ON agency.id = withdrawal.agency_id "
            "WHERE agency.name = :name",
            name=params["agency"],
        ):
            with Session(engine) as session:
                withdraw_agency(
                    session,
                    agency=params["agency"],
                    reason=params["reason"],
                    actor=params["actor"],
                    now=now,
                    effective_on=date.fromisoformat(params["effective_on"]),
                )
        for at, as_of, schedule in params["runs"]:
            now = _clock(at)
            flows.withdrawal.withdrawal_flow(
                withdrawal=params["reference"], as_of=as_of, schedule_check=schedule
            )
        _deliver_later(engine, runtime.settings(), now)

    _flow_runs(run)


def _own_output(path: str | None) -> None:
    """The child's output to its own file (the process it was forked from writes anywhere)."""
    if not path:
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


WORKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "sweep": sweep,
    "delivery": delivery,
    "suspension": suspension,
    "withdrawal": withdrawal,
}


def child(
    arming: kill_points.Arming, work: str, params: dict[str, Any], env: dict[str, str]
) -> None:
    """A child's whole life: its environment, its kill point, its work; its last words say it
    finished (or how it failed), unless the kill point ended it first."""
    os.environ.update(env)
    _own_output(env.get("DRILL_LOG"))
    runtime.settings.cache_clear()
    runtime.engine.cache_clear()
    snapshot: Callable[[], dict[str, Any]] | None = None
    if arming.trace is not None:
        watcher = make_engine(arming.url)
        kill_points.ignore(watcher)
        snapshot = lambda: crash_checks.snapshot(watcher)  # noqa: E731
    kill_points.arm(arming, snapshot)
    try:
        WORKS[work](params)
    except BaseException:
        kill_points.say(arming.words, {"failed": traceback.format_exc()})
        raise
    kill_points.say(arming.words, {"done": True, **kill_points.counts()})
