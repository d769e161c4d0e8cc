"""`isa onward`: a recipient asks the originating agency for consent to share its data with a
third party (§11, §15), and the originator's answer."""

from typing import Annotated

from cyclopts import Parameter

from isa.cli.apps import As, Json
from isa.cli.common import act, events_of, report
from tasks.protocol.onward import answer_onward_sharing, request_onward_sharing


def onward_request(
    arrangement: str,
    *,
    agency: Annotated[str, Parameter(name="--agency", help="Your agency, which received it.")],
    third_party: Annotated[
        str, Parameter(name="--third-party", help="Who you would share the data with.")
    ],
    data: Annotated[
        str,
        Parameter(
            name="--data",
            help="What data, by record reference: it is emailed, so no personal detail.",
        ),
    ],
    purpose: Annotated[str, Parameter(name="--purpose", help="What the third party needs it for.")],
    owner: Annotated[
        str | None,
        Parameter(name="--owner", help="The agency that disclosed it, when several did."),
    ] = None,
    as_: As,
    json_: Json = False,
) -> None:
    """Ask the originating agency for consent to share data with a third party (a nominated
    representative of the agency that received it)."""
    _ctx, events = act(
        request_onward_sharing,
        arrangement=arrangement,
        agency=agency,
        third_party=third_party,
        data=data,
        purpose=purpose,
        owner=owner,
        actor=as_,
    )
    asked = events_of(events, "onward.requested")[0].as_dict()
    report(
        events,
        json_,
        [f"{asked['request']}: {asked['agency']} asked to consent to sharing with {third_party}"],
    )


def onward_answer(
    request: str,
    *,
    consent: Annotated[str, Parameter(name="--consent", help="yes or no.")],
    reason: Annotated[str, Parameter(name="--reason", help="Why: the requester is told it.")],
    as_: As,
    json_: Json = False,
) -> None:
    """Consent to or refuse a request to share your agency's data onward (a nominated
    representative of the originating agency); the requesting agency is told."""
    _ctx, events = act(
        answer_onward_sharing, request=request, consent=consent, reason=reason, actor=as_
    )
    done = events_of(events, "onward.answered")[0].as_dict()
    said = "consented" if done["consented"] else "refused"
    report(events, json_, [f"{done['request']} {said}; {done['agency']} told"])
