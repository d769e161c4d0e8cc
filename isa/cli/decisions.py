"""`isa decision`: a nominated representative's decision on another partner's request for data
(§9, §13, §19); a decision not to disclose all or part is told to the requesting agency."""

from typing import Annotated

from cyclopts import Parameter

from isa.cli.apps import As, Json
from isa.cli.common import act, events_of, report
from tasks.protocol.decisions import record_decision


def decision_record(
    arrangement: str,
    *,
    agency: Annotated[
        str, Parameter(name="--agency", help="Your agency, which discloses under it.")
    ],
    requester: Annotated[
        str, Parameter(name="--requester", help="The partner agency that asked for the data.")
    ],
    outcome: Annotated[
        str, Parameter(name="--outcome", help="share, partial (part of it) or refuse.")
    ],
    data: Annotated[
        str,
        Parameter(
            name="--data",
            help="What data was asked for, by record reference: a refusal or partial decision "
            "is emailed, so no personal detail.",
        ),
    ],
    purpose: Annotated[str, Parameter(name="--purpose", help="What the requester wants it for.")],
    legal_basis: Annotated[
        str, Parameter(name="--legal-basis", help="The legal basis for disclosing (or not).")
    ],
    reasoning: Annotated[str, Parameter(name="--reasoning", help="Why you decided so.")],
    identity_check: Annotated[
        str | None,
        Parameter(
            name="--identity-check",
            help="How the requester's identity or authenticity was checked (§13): required "
            "to share all or part.",
        ),
    ] = None,
    as_: As,
    json_: Json = False,
) -> None:
    """Record a decision on a partner's request for data (a nominated representative of the
    disclosing agency); the requester is told at once of a partial or refused disclosure."""
    _ctx, events = act(
        record_decision,
        arrangement=arrangement,
        agency=agency,
        requester=requester,
        outcome=outcome,
        data=data,
        purpose=purpose,
        legal_basis=legal_basis,
        reasoning=reasoning,
        identity_check=identity_check,
        actor=as_,
    )
    done = events_of(events, "decision.recorded")[0].as_dict()
    told = events_of(events, "decision.declined")
    report(
        events,
        json_,
        [
            f"{done['decision']}: {done['agency']} decided {done['outcome']} on "
            f"{done['requester']}'s request under {arrangement}"
            + (f"; {done['requester']} told" if told else "")
        ],
    )
