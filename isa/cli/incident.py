"""`isa incident`: a security incident compromising information received from a partner (§29),
recorded by the agency where it happened; the originator's acknowledgement, and the reporting
agency's DPO's decision on reporting it to the ICO within 72 hours of awareness."""

from typing import Annotated

from cyclopts import Parameter

from isa.cli.apps import As, Json
from isa.cli.common import act, announce_raised, events_of, report
from tasks.protocol.incidents import acknowledge_incident, decide_incident, report_incident


def incident_report(
    *,
    agency: Annotated[
        str, Parameter(name="--agency", help="Your agency, where the information was compromised.")
    ],
    arrangement: Annotated[
        str, Parameter(name="--arrangement", help="The arrangement it was received under.")
    ],
    what: Annotated[
        str,
        Parameter(
            name="--what",
            help="What was compromised and how, by record reference: it is emailed, so no "
            "personal detail.",
        ),
    ],
    aware_at: Annotated[
        str,
        Parameter(
            name="--aware-at",
            help="When your agency became aware of it (ISO 8601; without an offset, UK time).",
        ),
    ],
    originator: Annotated[
        str | None,
        Parameter(name="--originator", help="The agency that disclosed it, when several did."),
    ] = None,
    suspend: Annotated[
        bool,
        Parameter(
            name="--suspend",
            negative="",
            help="Also suspend your agency's obligations for 30 days (§41): its signatory only.",
        ),
    ] = False,
    as_: As,
    json_: Json = False,
) -> None:
    """Record a security breach that compromised information your agency received: the
    originator is told at once, and your DPO is asked to decide on reporting it to the ICO
    within 72 hours (a nominated representative, DPO or point of contact of your agency)."""
    ctx, events = act(
        report_incident,
        agency=agency,
        arrangement=arrangement,
        what=what,
        aware_at=aware_at,
        originator=originator,
        suspend=suspend,
        actor=as_,
    )
    told = events_of(events, "incident.reported")[0].as_dict()
    suspended = (
        [f"{told['reporter']} suspended under {told['suspension']}"] if told["suspension"] else []
    )
    report(
        events,
        json_,
        [
            f"{told['incident']}: {told['agency']} told of the incident at {told['reporter']} "
            f"under {told['arrangement']}; the ICO decision is due by {told['deadline'][:16]} UTC",
            *suspended,
            *announce_raised(ctx, events),
        ],
    )


def incident_decide(
    incident: str,
    *,
    notify_regulator: Annotated[
        str,
        Parameter(name="--notify-regulator", help="yes or no: whether it is reported to the ICO."),
    ],
    reason: Annotated[str, Parameter(name="--reason", help="Why, as the decision's record.")],
    as_: As,
    json_: Json = False,
) -> None:
    """Record whether the incident is reported to the ICO, and why (a DPO of the reporting
    agency); the originator is told."""
    _ctx, events = act(
        decide_incident,
        incident=incident,
        notify_regulator=notify_regulator,
        reason=reason,
        actor=as_,
    )
    done = events_of(events, "incident.decided")[0].as_dict()
    told = "reported to the ICO" if done["notify_regulator"] else "not reported to the ICO"
    late = "" if done["in_time"] else " (after the 72 hours: the chairs are told)"
    report(events, json_, [f"{done['incident']} {told}{late}; {done['agency']} told"])


def incident_acknowledge(incident: str, *, as_: As, json_: Json = False) -> None:
    """Acknowledge that your agency, the originator, has been told of the incident (its
    nominated representative or DPO)."""
    _ctx, events = act(acknowledge_incident, incident=incident, actor=as_)
    done = events_of(events, "incident.acknowledged")[0].as_dict()
    report(events, json_, [f"{done['incident']} acknowledged for {done['agency']}"])
