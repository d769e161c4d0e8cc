"""`isa request`: freedom of information and subject access requests that touch shared data
(§7), recorded by the agency that received them with their statutory due date, each originating
agency's reply to its consultation, and the outcome."""

from typing import Annotated

from cyclopts import Parameter

from isa.cli.apps import As, Json
from isa.cli.common import act, events_of, report
from tasks.protocol.requests import close_request, record_request, reply_to_consultation


def request_record(
    *,
    agency: Annotated[
        str, Parameter(name="--agency", help="Your agency, which received the request.")
    ],
    kind: Annotated[
        str,
        Parameter(
            name="--kind",
            help="foi (20 UK working days) or sar (one calendar month to the next working day).",
        ),
    ],
    received_on: Annotated[
        str, Parameter(name="--received-on", help="The date it was received (YYYY-MM-DD).")
    ],
    their_ref: Annotated[
        str,
        Parameter(
            name="--their-ref",
            help="Your agency's case reference for the request: never a name.",
        ),
    ],
    arrangement: Annotated[
        tuple[str, ...],
        Parameter(
            name="--arrangement",
            negative="",
            help="An arrangement the requested data was shared with your agency under (repeat).",
        ),
    ] = (),
    summary: Annotated[
        str,
        Parameter(
            name="--summary",
            help="What is asked for: it is emailed to the originators, so no personal detail.",
        ),
    ],
    as_: As,
    json_: Json = False,
) -> None:
    """Record an FOI or subject access request for data shared with your agency: its due date is
    the statutory one, and every agency the data came from is consulted at once (a nominated
    representative, point of contact or DPO of your agency)."""
    _ctx, events = act(
        record_request,
        agency=agency,
        kind=kind,
        received_on=received_on,
        their_ref=their_ref,
        arrangements=list(arrangement),
        summary=summary,
        actor=as_,
    )
    done = events_of(events, "request.recorded")[0].as_dict()
    consulted = [e.as_dict() for e in events_of(events, "request.consultation_sent")]
    report(
        events,
        json_,
        [
            f"{done['request']}: {done['agency']}'s {done['kind']} request {done['their_ref']}, "
            f"received {done['received_on']}, due {done['due_on']}; consulted: "
            + (
                ", ".join(
                    f"{c['agency']} ({c['consultation']}, reply by {c['reply_by']})"
                    for c in consulted
                )
                or "no other agency"
            )
        ],
    )


def request_reply(
    consultation: str,
    *,
    objection: Annotated[
        str,
        Parameter(name="--objection", help="none (no objection to disclosure) or objects."),
    ],
    comments: Annotated[
        str, Parameter(name="--comments", help="Your agency's comments, e.g. an exemption.")
    ],
    as_: As,
    json_: Json = False,
) -> None:
    """Reply to a consultation on a request for data your agency shared (a nominated
    representative or DPO of the originating agency); the agency answering it is told."""
    _ctx, events = act(
        reply_to_consultation,
        consultation=consultation,
        objection=objection,
        comments=comments,
        actor=as_,
    )
    done = events_of(events, "request.consultation_replied")[0].as_dict()
    said = "objects" if done["objection"] == "objects" else "no objection"
    report(
        events,
        json_,
        [f"{done['consultation']} replied ({said}); told: {done['agency']} ({done['request']})"],
    )


def request_close(
    request: str,
    *,
    outcome: Annotated[
        str,
        Parameter(name="--outcome", help="disclosed, partly_disclosed, withheld or not_held."),
    ],
    note: Annotated[
        str,
        Parameter(
            name="--note",
            help="How it was answered (emailed to the originators consulted: no personal detail).",
        ),
    ],
    as_: As,
    json_: Json = False,
) -> None:
    """Record the outcome of a request (a nominated representative or DPO of the agency that
    received it); each originator consulted is told."""
    _ctx, events = act(close_request, request=request, outcome=outcome, note=note, actor=as_)
    done = events_of(events, "request.closed")[0].as_dict()
    when = "within" if done["within_due"] else "after"
    told = ", ".join(done["told"]) or "no originator consulted"
    report(
        events,
        json_,
        [
            f"{done['request']} answered ({done['outcome'].replace('_', ' ')}), {when} its due "
            f"date {done['due_on']}; told: {told}"
        ],
    )
