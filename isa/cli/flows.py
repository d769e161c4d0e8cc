"""`isa sweep`: run a sweep at once, for today or any day, with no Prefect server needed."""

import json
from datetime import date
from typing import Annotated, Any, Literal

from cyclopts import Parameter
from sqlalchemy import Engine

from core.db import PROGRESS
from isa.cli.apps import Json, at_least
from isa.cli.common import (
    Context,
    announce_arrangements_ended,
    default_actor,
    option_date,
    session_scope,
)
from isa.cli.progress import counting, on_terminal
from models.clocks import local_date
from models.errors import IsaError
from notifications.delivery import deliver_outbox_sync
from tasks.daily import phase_dicts, run_sweep, summarise
from tasks.protocol.monitoring import publish_monitoring_report
from tasks.protocol.monitoring import summarise as summarise_the_year


def _run_sweep(
    which: Literal["reviews", "access", "disposal", "deadlines", "monitoring"],
    as_of: str | None,
    json_: bool,
    batch_size: int | None = None,
) -> None:
    """Run a sweep's use cases here and send their emails: no Prefect server is needed (the
    scheduled deployments run the same use cases as flows, which the UI shows)."""
    day = option_date(as_of, "--as-of")
    at_least("--batch-size", batch_size)
    ctx = Context()
    today = day or local_date(ctx.now)
    actor = default_actor(None)
    with session_scope(ctx, delivers=True) as session:
        try:
            if which == "monitoring":
                _monitoring(ctx, session, today, json_)
                return
            with counting(on_terminal(json_), "done") as tick:
                if tick is not None:
                    session.info[PROGRESS] = tick
                phases = phase_dicts(
                    run_sweep(
                        session, which, as_of=today, now=ctx.now, actor=actor, batch_size=batch_size
                    )
                )
                delivery = deliver_outbox_sync(
                    _engine(session),
                    ctx.settings,
                    ctx.now,
                    progress=(lambda done: tick("emails sent", done.sent)) if tick else None,
                ).as_dict()
                session.info.pop(PROGRESS, None)
        except IsaError:
            raise
        except Exception as exc:
            why = " ".join(str(exc).split())[:300]
            raise IsaError(f"the {which} sweep failed: {why}") from None
    result = summarise(today, phases, delivery)
    notes = _announce_lapses(ctx, phases) if which == "reviews" else []
    if json_:
        print(json.dumps(result, default=str))
        return
    counts = ", ".join(f"{k} {v}" for k, v in result["phases"].items())
    sent = f"sent {delivery['sent']}"
    if delivery["relay_error"]:
        sent += " (the SMTP relay is unreachable: the emails wait in the outbox)"
    print(f"{which} sweep {result['as_of']}: {counts}; emails queued {result['queued']}, {sent}")
    for row in result["held"]:
        print(
            f"  held back until the clock reaches it: {row['action']} of {row['reference']} "
            f"({row['detail']})"
        )
    for line in notes:
        print(line)


def _engine(session: Any) -> Engine:
    bind = session.get_bind()
    assert isinstance(bind, Engine)
    return bind


def _monitoring(ctx: Context, session: Any, day: date, json_: bool) -> None:
    summary, _ = publish_monitoring_report(
        session, period_end=day, actor=default_actor(None), now=ctx.now
    )
    delivery = deliver_outbox_sync(_engine(session), ctx.settings, ctx.now).as_dict()
    if json_:
        print(
            json.dumps(
                {
                    "period": summary.period,
                    "markdown": summary.markdown(),
                    "figures": summary.flat(),
                    "delivery": delivery,
                },
                default=str,
            )
        )
    else:
        print(summary.markdown(), end="")


def _announce_lapses(ctx: Context, phases: list[dict[str, Any]]) -> list[str]:
    """A lapsed arrangement's data is to be destroyed, as a terminated one's is."""
    lapsed = [
        row["reference"] for phase in phases for row in phase["acted"] if row["action"] == "lapsed"
    ]
    return announce_arrangements_ended(ctx, lapsed)


BatchSize = Annotated[
    int | None, Parameter(name="--batch-size", help="Records per batch (default 1000).")
]


def sweep_reviews(
    *,
    as_of: Annotated[str | None, Parameter(name="--as-of")] = None,
    batch_size: BatchSize = None,
    json_: Json = False,
) -> None:
    """Run the review sweep (sign-offs, reminders, openings, escalations, lapses) now."""
    _run_sweep("reviews", as_of, json_, batch_size)


def sweep_access(
    *,
    as_of: Annotated[str | None, Parameter(name="--as-of")] = None,
    batch_size: BatchSize = None,
    json_: Json = False,
) -> None:
    """Run the access sweep (expiry, ended arrangements, leavers, training, attestation) now."""
    _run_sweep("access", as_of, json_, batch_size)


def sweep_disposal(
    *,
    as_of: Annotated[str | None, Parameter(name="--as-of")] = None,
    batch_size: BatchSize = None,
    json_: Json = False,
) -> None:
    """Run the disposal sweep (schedule what ended, remind, escalate the overdue) now."""
    _run_sweep("disposal", as_of, json_, batch_size)


def sweep_deadlines(
    *, as_of: Annotated[str | None, Parameter(name="--as-of")] = None, json_: Json = False
) -> None:
    """Run the deadline sweep (suspension reminders, escalations and ends; withdrawals that
    take effect; flows of matters raised while the server was down) now."""
    _run_sweep("deadlines", as_of, json_)


def sweep_monitoring(
    *,
    as_of: Annotated[str | None, Parameter(name="--as-of")] = None,
    preview: Annotated[
        bool, Parameter(name="--preview", negative=(), help="Show it; record and send nothing.")
    ] = False,
    json_: Json = False,
) -> None:
    """Publish the monitoring group's summary of the year to --as-of (default today) to the
    group's members (every agency's point of contact, §40) and its chairs; --preview shows it
    without recording or emailing it."""
    if preview:
        _preview_monitoring(as_of, json_)
        return
    _run_sweep("monitoring", as_of, json_)


def _preview_monitoring(as_of: str | None, json_: bool) -> None:
    """The summary as it would be published, read in a transaction that is rolled back."""
    day = option_date(as_of, "--as-of")
    ctx = Context()
    with session_scope(ctx) as session:
        summary = summarise_the_year(session, period_end=day or local_date(ctx.now))
        session.rollback()
    if json_:
        print(
            json.dumps(
                {
                    "period": summary.period,
                    "preview": True,
                    "markdown": summary.markdown(),
                    "figures": summary.flat(),
                },
                default=str,
            )
        )
        return
    print(summary.markdown(), end="")
    # the last line of the output, not stderr: stderr is for what went wrong
    print(
        f"\n(a preview: nothing was recorded or sent; publish it with isa sweep monitoring "
        f"--as-of {summary.end.isoformat()})"
    )


def sweep_all(
    *, as_of: Annotated[str | None, Parameter(name="--as-of")] = None, json_: Json = False
) -> None:
    """Run every daily sweep now: deadlines, access, reviews, then disposal."""
    _run_sweep("deadlines", as_of, json_)
    _run_sweep("access", as_of, json_)
    _run_sweep("reviews", as_of, json_)
    _run_sweep("disposal", as_of, json_)
