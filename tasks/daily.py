"""The daily sweeps as plain calls, for the command line: the same use cases the flows run as
tasks, with no Prefect server needed, so `isa sweep` works while the server it backs up is down."""

from collections.abc import Sequence
from dataclasses import asdict
from datetime import date
from typing import Any, Literal

import pendulum
from sqlmodel import Session

from models.policies import AccessPolicy, DisposalPolicy, ReviewPolicy
from models.types import MAX_ROWS
from tasks.deadlines import sweep_deadlines
from tasks.protocol.access_sweep import sweep_access
from tasks.protocol.disposal import sweep_disposals
from tasks.sweeps import PhaseReport, sweep_reviews

Sweep = Literal["reviews", "access", "disposal", "deadlines"]


def run_sweep(
    session: Session,
    which: Sweep,
    *,
    as_of: date,
    now: pendulum.DateTime,
    actor: str,
    batch_size: int | None = None,
) -> list[PhaseReport]:
    """Every phase of one sweep, with its deployment's default policy (and batch size)."""
    size = min(batch_size or 1000, MAX_ROWS)
    if which == "reviews":
        policy = ReviewPolicy(batch_size=size)
        return sweep_reviews(session, as_of=as_of, policy=policy, now=now, actor=actor)
    if which == "access":
        access = AccessPolicy(batch_size=size)
        return sweep_access(session, as_of=as_of, policy=access, now=now, actor=actor)
    if which == "disposal":
        disposal = DisposalPolicy(batch_size=size)
        return sweep_disposals(session, as_of=as_of, policy=disposal, now=now, actor=actor)
    return sweep_deadlines(session, as_of=as_of, actor=actor, now=now)


def phase_dicts(phases: Sequence[PhaseReport]) -> list[dict[str, Any]]:
    return [asdict(phase) for phase in phases]


def summarise(
    day: date, phases: Sequence[dict[str, Any]], delivery: dict[str, Any]
) -> dict[str, Any]:
    """What a sweep did, in the form the flows return and `isa sweep --json` prints: how many
    records each phase acted on, the emails queued and sent, and what it held back."""
    return {
        "as_of": day.isoformat(),
        "phases": {phase["phase"]: len(phase["acted"]) for phase in phases},
        "queued": sum(phase["queued"] for phase in phases),
        "held": [dict(row, phase=phase["phase"]) for phase in phases for row in phase["held"]],
        "delivery": delivery,
    }
