"""`isa up` and `isa sweep`: bring the system up, or run a sweep at once for any day."""

import json
from datetime import date
from typing import Annotated, Any, Literal

from cyclopts import App, Parameter

from isa.cli import Context, Json, _date, app, session_scope
from models.errors import IsaError

sweep_app = App(name="sweep", help="Run a sweep at once, for today or any day (--as-of).")
app.command(sweep_app)


@app.command(name="up")
def up_command() -> None:
    """Start the Prefect server and UI, the mail sink, and serve every deployment (Ctrl-C stops)."""
    from isa.up import up

    ctx = Context()
    up(ctx.settings, print)


def _run_sweep(
    which: Literal["reviews", "access", "disposal", "deadlines", "monitoring"],
    as_of: str | None,
    json_: bool,
) -> None:
    day = _date(as_of, "--as-of")
    ctx = Context()
    from isa.prefect_events import server_healthy

    with session_scope(ctx):
        pass  # the register must be migrated before a flow touches it
    try:
        if server_healthy(ctx.settings.prefect_api_url):
            # the run shows in the UI of the server `isa up` started
            from prefect.settings import PREFECT_API_URL, temporary_settings

            with temporary_settings({PREFECT_API_URL: ctx.settings.prefect_api_url}):
                result = _call(which, day)
        else:
            result = _call(which, day)
    except Exception as exc:
        raise IsaError(f"the {which} sweep failed: {' '.join(str(exc).split())[:300]}") from None
    if json_:
        print(json.dumps(result, default=str))
    elif which in ("reviews", "access", "disposal", "deadlines"):
        phases = ", ".join(f"{k} {v}" for k, v in result["phases"].items())
        print(
            f"{which} sweep {result['as_of']}: {phases}; emails queued {result['queued']}, "
            f"sent {result['delivery']['sent']}"
        )
    else:
        print(result["markdown"], end="")


def _call(which: str, day: date | None) -> dict[str, Any]:
    if which == "reviews":
        from flows.review_sweep import review_sweep

        return review_sweep(as_of=day)
    if which == "access":
        from flows.access_sweep import access_sweep

        return access_sweep(as_of=day)
    if which == "disposal":
        from flows.disposal_sweep import disposal_sweep

        return disposal_sweep(as_of=day)
    if which == "deadlines":
        from flows.deadline_sweep import deadline_sweep

        return deadline_sweep(as_of=day)
    from flows.monitoring_review import monitoring_review

    return monitoring_review(as_of=day)


@sweep_app.command(name="reviews")
def sweep_reviews(
    *, as_of: Annotated[str | None, Parameter(name="--as-of")] = None, json_: Json = False
) -> None:
    """Run the review sweep (sign-offs, reminders, openings, escalations, lapses) now."""
    _run_sweep("reviews", as_of, json_)


@sweep_app.command(name="access")
def sweep_access(
    *, as_of: Annotated[str | None, Parameter(name="--as-of")] = None, json_: Json = False
) -> None:
    """Run the access sweep (expiry, ended arrangements, leavers, training, attestation) now."""
    _run_sweep("access", as_of, json_)


@sweep_app.command(name="disposal")
def sweep_disposal(
    *, as_of: Annotated[str | None, Parameter(name="--as-of")] = None, json_: Json = False
) -> None:
    """Run the disposal sweep (schedule what ended, remind, escalate the overdue) now."""
    _run_sweep("disposal", as_of, json_)


@sweep_app.command(name="deadlines")
def sweep_deadlines(
    *, as_of: Annotated[str | None, Parameter(name="--as-of")] = None, json_: Json = False
) -> None:
    """Run the deadline sweep (suspension reminders, escalations and ends; withdrawals that
    take effect; flows of matters raised while the server was down) now."""
    _run_sweep("deadlines", as_of, json_)


@sweep_app.command(name="monitoring")
def sweep_monitoring(
    *, as_of: Annotated[str | None, Parameter(name="--as-of")] = None, json_: Json = False
) -> None:
    """Publish the monitoring group's summary of the year to --as-of (default today)."""
    _run_sweep("monitoring", as_of, json_)


@sweep_app.command(name="all")
def sweep_all(
    *, as_of: Annotated[str | None, Parameter(name="--as-of")] = None, json_: Json = False
) -> None:
    """Run every daily sweep now: deadlines, access, reviews, then disposal."""
    _run_sweep("deadlines", as_of, json_)
    _run_sweep("access", as_of, json_)
    _run_sweep("reviews", as_of, json_)
    _run_sweep("disposal", as_of, json_)
