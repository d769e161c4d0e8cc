"""`isa suspend`, `isa meeting`, `isa withdraw`: a partner's suspension and its resolution
meeting (§41), and withdrawal from the Protocol (§42)."""

from typing import Annotated

import pendulum
from cyclopts import Parameter

from isa.cli.apps import As, Json
from isa.cli.common import (
    Context,
    act,
    announce_ended,
    announce_raised,
    events_of,
    option_date,
    report,
    session_scope,
)
from models.clocks import local_date, parse_datetime
from models.enums import MeetingOutcome
from models.errors import InvalidInput
from notifications.render import long_datetime
from tasks.lookup import suspension_by_ref
from tasks.protocol.suspensions import raise_suspension, record_meeting, schedule_meeting
from tasks.protocol.withdrawals import withdraw_agency

# --- suspension and withdrawal ----------------------------------------------------------------


def suspend(agency: str, *, reason: str, as_: As, json_: Json = False) -> None:
    """Suspend your agency's obligations for 30 days (§41; a signatory of that agency)."""
    ctx, events = act(raise_suspension, agency=agency, reason=reason, actor=as_)
    raised = events_of(events, "suspension.raised")[0].as_dict()
    deadline = local_date(pendulum.parse(raised["meeting_deadline"]))  # type: ignore[arg-type]
    ends = local_date(pendulum.parse(raised["ends_at"]))  # type: ignore[arg-type]
    report(
        events,
        json_,
        [
            f"{raised['suspension']}: {raised['agency']} suspended; the resolution meeting must be "
            f"held by {deadline.to_date_string()}; the suspension ends {ends.to_date_string()}",
            *announce_raised(ctx, events),
        ],
    )


def meeting_schedule(suspension: str, *, at: str, place: str, as_: As, json_: Json = False) -> None:
    """Schedule (or move) the resolution meeting; it must fall on or before day 14. --place:
    where it is held, or how to join it (a room and address, a video call's link); the email
    and its calendar invitation say so."""
    try:
        when = parse_datetime(at)
    except ValueError as exc:
        raise InvalidInput(f"--at: {exc}") from None
    _ctx, events = act(schedule_meeting, suspension=suspension, at=when, place=place, actor=as_)
    report(
        events,
        json_,
        [
            f"meeting for {suspension.upper()} scheduled at "
            f"{when.in_timezone('Europe/London').to_datetime_string()} (London)"
        ],
    )


def meeting_record(
    suspension: str,
    *,
    outcome: MeetingOutcome,
    attendee: Annotated[list[str], Parameter(name="--attendee", consume_multiple=True)],
    risk_assessment: str,
    as_: As,
    json_: Json = False,
) -> None:
    """Record the meeting held: attendees, risk assessment, outcome (a chair)."""
    ctx = Context()
    with session_scope(ctx) as session:
        events = record_meeting(
            session,
            suspension=suspension,
            outcome=outcome,
            attendees=attendee,
            risk_assessment=risk_assessment,
            actor=as_,
            now=ctx.now,
        )
        invited = suspension_by_ref(session, suspension).meeting_at
    lines = [f"meeting for {suspension.upper()} recorded: {outcome.value}"]
    if invited is not None and ctx.now < invited:
        # recorded as held now, so not at the time invited: the invitation is withdrawn
        lines.append(
            f"recorded as held on {long_datetime(ctx.now)}, before the time invited "
            f"({long_datetime(invited)}): the invitation is cancelled in every calendar"
        )
    report(events, json_, lines + announce_raised(ctx, events) + announce_ended(ctx, events))


def withdraw(
    agency: str, *, reason: str, as_: As, effective: str | None = None, json_: Json = False
) -> None:
    """Withdraw your agency from the Protocol by notice to the chairs (§42; a signatory)."""
    effective_on = option_date(effective, "--effective")
    ctx = Context()
    with session_scope(ctx) as session:
        events = withdraw_agency(
            session, agency=agency, reason=reason, actor=as_, now=ctx.now, effective_on=effective_on
        )
    notice = events_of(events, "withdrawal.noticed")[0].as_dict()
    lines = [
        f"{notice['withdrawal']}: {notice['agency']} has withdrawn"
        if events_of(events, "withdrawal.completed")
        else f"{notice['withdrawal']}: {notice['agency']} has given notice of withdrawal, "
        f"effective {notice['effective_on']}"
    ]
    report(events, json_, lines + announce_raised(ctx, events) + announce_ended(ctx, events))
