"""`isa consent`: a data subject's withdrawal of consent (§9, §18), recorded by the agency that
received it, and each partner's acknowledgement that processing has ceased."""

from typing import Annotated

from cyclopts import Parameter

from isa.cli.apps import As, Json
from isa.cli.common import act, announce_raised, events_of, report
from tasks.protocol.consent import acknowledge_consent, withdraw_consent


def consent_withdrawn(
    *,
    agency: str,
    subject_ref: Annotated[
        str,
        Parameter(
            name="--subject-ref",
            help="Your agency's case or record number for the data subject: never a name.",
        ),
    ],
    arrangement: Annotated[
        tuple[str, ...],
        Parameter(
            name="--arrangement",
            negative="",
            help="An arrangement the data was shared under (repeat; default: every one your "
            "agency discloses under).",
        ),
    ] = (),
    as_: As,
    json_: Json = False,
) -> None:
    """Record that a data subject withdrew consent: every partner that received their data is
    told at once to cease processing (a nominated representative of your agency)."""
    ctx, events = act(
        withdraw_consent,
        agency=agency,
        data_subject_ref=subject_ref,
        arrangements=list(arrangement),
        actor=as_,
    )
    raised = events_of(events, "consent.withdrawn")[0].as_dict()
    notices = [e.as_dict() for e in events_of(events, "consent.notice_sent")]
    report(
        events,
        json_,
        [
            f"{raised['consent']}: consent withdrawn for {raised['agency']}'s data subject "
            f"{raised['data_subject_ref']}; told to cease processing: "
            + ", ".join(f"{n['agency']} ({n['notice']})" for n in notices),
            *announce_raised(ctx, events),
        ],
    )


def consent_acknowledge(notice: str, *, as_: As, json_: Json = False) -> None:
    """Record that your agency has ceased processing the data subject's data (a nominated
    representative of the agency told)."""
    _ctx, events = act(acknowledge_consent, notice=notice, actor=as_)
    lines = [f"{notice.upper()} acknowledged: processing has ceased"]
    lines += [
        f"{e.as_dict()['consent']} is closed: every partner has ceased processing"
        for e in events_of(events, "consent.closed")
    ]
    report(events, json_, lines)
