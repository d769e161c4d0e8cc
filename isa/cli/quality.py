"""`isa quality`: information found inaccurate or inadequate for the purpose, notified to the
agency that disclosed it (§32, §33), and the owner's correction."""

from typing import Annotated

from cyclopts import Parameter

from isa.cli.apps import As, Json
from isa.cli.common import act, events_of, report
from tasks.protocol.quality import correct_data, report_data_quality


def quality_report(
    arrangement: str,
    *,
    agency: Annotated[str, Parameter(name="--agency", help="Your agency, which received it.")],
    what: Annotated[
        str,
        Parameter(
            name="--what",
            help="What is inaccurate or missing, by record reference: it is emailed, so no "
            "personal detail.",
        ),
    ],
    owner: Annotated[
        str | None,
        Parameter(name="--owner", help="The agency that disclosed it, when several did."),
    ] = None,
    as_: As,
    json_: Json = False,
) -> None:
    """Notify the data's owner that information it shared is inaccurate or inadequate (a
    nominated representative or point of contact of the agency that received it)."""
    _ctx, events = act(
        report_data_quality,
        arrangement=arrangement,
        agency=agency,
        what=what,
        owner=owner,
        actor=as_,
    )
    told = events_of(events, "data_quality.reported")[0].as_dict()
    report(
        events,
        json_,
        [f"{told['notice']}: {told['agency']} asked to correct data shared under {arrangement}"],
    )


def quality_correct(notice: str, *, correction: str, as_: As, json_: Json = False) -> None:
    """Record the correction of data your agency shared (a nominated representative of the
    owner); every agency that received it is told."""
    _ctx, events = act(correct_data, notice=notice, correction=correction, actor=as_)
    done = events_of(events, "data_quality.corrected")[0].as_dict()
    told = ", ".join(done["told"]) or "no other recipient"
    report(events, json_, [f"{done['notice']} corrected; told: {told}"])
