"""`isa arrangement` and `isa review`: an arrangement from its Appendix J draft to approval by
every party's signatory, and its periodic review's outcome (§6, §31)."""

from pathlib import Path
from typing import Annotated, Any

from cyclopts import Parameter

from isa.cli.apps import As, Json
from isa.cli.common import act, announce_ended, events_of, report
from models.appendix_j import MAX_FORM_BYTES, parse_arrangement_draft
from models.errors import InvalidInput
from tasks.protocol.approvals import approve_arrangement, reject_arrangement
from tasks.protocol.arrangements import draft_arrangement, revise_draft, submit_arrangement
from tasks.protocol.reviews import complete_review, parse_outcome

# --- arrangements -----------------------------------------------------------------------------


def _read_form(path: Path) -> Any:
    # one byte past the limit is enough to refuse it: /dev/zero is not read to the end
    try:
        with path.open("rb") as handle:
            content = handle.read(MAX_FORM_BYTES + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:  # a path with a NUL in it
        raise InvalidInput(f"cannot read {path}: {exc}") from None
    return parse_arrangement_draft(str(path), content)


def arrangement_draft(
    file: Path,
    *,
    as_: As,
    json_: Json = False,
    quiet: Annotated[
        bool, Parameter(name="--quiet", negative="", help="Print only the new reference.")
    ] = False,
) -> None:
    """Draft an arrangement from an Appendix J file."""
    form = _read_form(file)
    _ctx, events = act(draft_arrangement, draft=form, actor=as_)
    ref = events[0].as_dict()["arrangement"]
    if quiet and not json_:
        print(ref)  # for a script: REF=$(isa arrangement draft FILE --as EMAIL --quiet)
        return
    report(
        events,
        json_,
        [f"drafted {ref} (version 1): submit it with `isa arrangement submit {ref} --as EMAIL`"],
    )


def arrangement_revise(id: str, file: Path, *, as_: As, json_: Json = False) -> None:
    """Replace a draft's content from a revised Appendix J file."""
    form = _read_form(file)
    _ctx, events = act(revise_draft, reference=id, draft=form, actor=as_)
    report(events, json_, [f"revised draft {id.upper()}"])


def arrangement_submit(id: str, *, as_: As, json_: Json = False) -> None:
    """Submit a draft for approval by every party's signatory."""
    ctx, events = act(submit_arrangement, reference=id, actor=as_)
    ref = id.strip().upper()
    lines = [f"submitted {ref}: awaiting approval by every party's signatory"]
    # the register is already written; the event only starts the approval flow sooner
    if not ctx.published("isa.arrangement.submitted", ref):
        lines.append(
            "the Prefect server is not reachable: the approval requests wait in the outbox and "
            "the daily review sweep chases the sign-offs"
        )
    report(events, json_, lines)


def arrangement_approve(id: str, *, as_: As, json_: Json = False) -> None:
    """Approve the current version for your agency (a signatory of a party)."""
    _ctx, events = act(approve_arrangement, reference=id, actor=as_)
    lines = []
    for event in events:
        data = event.as_dict()
        if event.name == "arrangement.approved":
            waiting = ", ".join(data["awaiting"]) or "nobody"
            lines.append(
                f"{data['agency']} approved {data['arrangement']} version "
                f"{data['version']}; awaiting: {waiting}"
            )
        if event.name == "arrangement.activated":
            lines.append(
                f"{data['arrangement']} is active; next review due {data['next_review_due']}"
            )
    report(events, json_, lines)


def arrangement_reject(id: str, *, reason: str, as_: As, json_: Json = False) -> None:
    """Reject the current version; the arrangement returns to draft at a new version."""
    _ctx, events = act(reject_arrangement, reference=id, reason=reason, actor=as_)
    report(events, json_, [f"rejected {id.upper()}: it is a draft again"])


def review_complete(id: str, *, outcome: str, as_: As, json_: Json = False) -> None:
    """Record a review's outcome: renew, amend or terminate."""
    chosen = parse_outcome(outcome)
    ctx, events = act(complete_review, reference=id, outcome=chosen, actor=as_)
    done = events_of(events, "review.completed")[0].as_dict()
    tail = f"; next review due {done['next_review_due']}" if done["next_review_due"] else ""
    lines = [f"review of {id.upper()} completed: {chosen.value}{tail}"]
    report(events, json_, lines + announce_ended(ctx, events))
