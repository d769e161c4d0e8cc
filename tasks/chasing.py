"""Chasing every declared duty (models/duties.py) one way: the open rows whose rung is below
their ladder's top, the furthest rung each owes (models.duties.rung_owed, in the owing agency's
working days or in real hours), that rung recorded on the row with its audit event, the rung's
event emitted with the facts the duty's own module gives, and the sweep's report told. The
deadline sweep runs a matter's phase over every row; a matter's checker run over its one."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pendulum
from sqlmodel import Session, col, select

from models.clocks import LONDON, chase_instant
from models.duties import MATTERS, Duty, Matter, Unit, rung_owed, rung_times
from models.errors import NotFound
from models.tables import Agency
from tasks.protocol import consent, incidents, onward, quality, requests
from tasks.sweeps import PhaseReport
from tasks.uow import UnitOfWork, unit_of_work

# what each duty's rung event says besides its rung's offset: the duty's own module knows
Facts = Callable[[Session, Any, Agency], dict[str, Any]]
FACTS: Mapping[str, Facts] = {
    "consent notice": consent.notice_facts,
    "data quality notice": quality.notice_facts,
    "onward sharing request": onward.request_facts,
    "information request": requests.request_facts,
    "consultation": requests.consultation_facts,
    "incident decision": incidents.decision_facts,
    "incident acknowledgement": incidents.acknowledgement_facts,
}


def chase_matter(
    session: Session,
    matter: str,
    *,
    as_of: date,
    actor: str,
    now: pendulum.DateTime,
    only: str | None = None,
) -> PhaseReport:
    """Every open duty of `matter` (of the one matter `only` names, if given) chased as far as
    `as_of` owes, each rung once: a missed day sends the furthest rung owed, not every one. A
    matter's rows are few, so they are chased in one unit of work."""
    declared = MATTERS[matter]
    report = PhaseReport(declared.phase)
    with unit_of_work(session, actor=actor, now=now, action=declared.action) as uow:
        uow.about(declared.subject_type, only)
        for duty in declared.duties:
            chase_duty(uow, declared, duty, as_of=as_of, only=only, report=report)
    report.queued += uow.queued
    return report


def open_rows(
    session: Session, matter: Matter, duty: Duty, only: str | None = None
) -> list[tuple[Any, Agency]]:
    """The duty's rows still waiting and not yet chased to the top of its ladder (of matter
    `only`, if given), each with the agency that owes it, locked, oldest first."""
    model = duty.table
    column, value = duty.open
    stmt = (
        select(model, Agency)
        .join(Agency, col(Agency.id) == getattr(model, duty.owner))
        .where(
            col(getattr(model, column)).is_(None)
            if value is None
            else getattr(model, column) == value
        )
        .where(getattr(model, duty.column) < duty.ladder.top)
    )
    if duty.matter_link:
        parent = matter.table
        stmt = stmt.join(parent, col(parent.id) == getattr(model, duty.matter_link))
        if duty.matter_open is not None:
            stmt = stmt.where(getattr(parent, duty.matter_open[0]) == duty.matter_open[1])
        if only is not None:
            stmt = stmt.where(parent.reference == only.strip().upper())
    elif only is not None:
        stmt = stmt.where(model.reference == only.strip().upper())
    stmt = stmt.order_by(col(model.id)).with_for_update(of=model)
    return [(held, owner) for held, owner in session.exec(stmt).all()]


def chase_duty(
    uow: UnitOfWork,
    matter: Matter,
    duty: Duty,
    *,
    as_of: date,
    only: str | None,
    report: PhaseReport,
) -> None:
    """Each open row of `duty` moved up to the rung it owes, audited, its event emitted."""
    session = uow.session
    # an hour ladder is owed at the run's instant (for a day already past, its last instant)
    at: Any = chase_instant(as_of, uow.now) if duty.ladder.hourly else as_of
    when = {"at": at} if duty.ladder.hourly else {"as_of": as_of}
    for held, owner in open_rows(session, matter, duty, only):
        rung = rung_owed(duty.ladder, _anchor(held, duty), at, owner.nation)
        if rung <= getattr(held, duty.column):
            continue
        record_rung(
            uow,
            held,
            rung,
            action=duty.action,
            subject_type=duty.subject_type,
            column=duty.column,
            **when,
        )
        facts = FACTS[duty.name](session, held, owner)
        uow.emit(duty.rung(rung).event(**facts, **duty.facts(rung)))
        report.add(held.reference, duty.rung(rung).words, owner.name)


def record_rung(
    uow: UnitOfWork,
    held: Any,
    rung: int,
    *,
    action: str,
    subject_type: str,
    column: str = "chased",
    **when: Any,
) -> None:
    """Move `held`'s rung `column` up to `rung` and audit it as `action`, with `when` (the day
    or the instant the chase was for) beside the new rung: every chase records its rung so."""
    before = getattr(held, column)
    setattr(held, column, rung)
    uow.session.add(held)
    uow.record(
        action,
        subject_type=subject_type,
        subject_ref=held.reference,
        before={column: before},
        after={column: rung, **when},
    )


# --- a matter's story: what its flow's artifact says, and its checker runs still to come ----


@dataclass(frozen=True)
class DutyStory:
    """A matter as its flow tells it: each of its duties' rows with who owes it and how far it
    has been chased, whether it is settled, and the rung times still to come (its checker runs).
    """

    matter: str
    reference: str
    settled: bool
    summary_text: str
    # (reference, the agency that owes it, its state)
    rows: tuple[tuple[str, str, str], ...]
    # label ("day 5") -> the instant the rung is owed, for rungs not yet sent and not yet due
    to_come: tuple[tuple[str, pendulum.DateTime], ...]

    def summary(self) -> str:
        return self.summary_text

    def checks_to_come(self) -> dict[str, pendulum.DateTime]:
        return dict(self.to_come)

    def table(self) -> list[dict[str, str]]:
        return [
            {"reference": ref, "owed by": owner, "state": state} for ref, owner, state in self.rows
        ]


def _label(duty: Duty, rung: int) -> str:
    """What a rung's checker run is called: `day 5`, `5 days before`, `24 h`, after the duty's
    own word when its matter has several (`consultation day 1`)."""
    step = duty.ladder.steps[rung - 1]
    if step.unit == Unit.HOURS:
        said = f"{step.amount} h"
    elif step.before:
        said = f"{step.amount} {'day' if step.amount == 1 else 'days'} before"
    else:
        said = f"day {step.amount}"
    return f"{duty.label} {said}" if duty.label else said


def _is_open(held: Any, duty: Duty) -> bool:
    column, value = duty.open
    return getattr(held, column) == value


def _anchor(held: Any, duty: Duty) -> Any:
    anchor = getattr(held, duty.anchor)
    return pendulum.instance(anchor) if isinstance(anchor, datetime) else anchor


def matter_story(
    session: Session, matter: str, reference: str, now: pendulum.DateTime
) -> DutyStory:
    """The story of matter `reference` (an unknown one is NotFound), from its declaration."""
    declared = MATTERS[matter]
    reference = reference.strip().upper()
    found = session.exec(
        select(declared.table).where(declared.table.reference == reference)
    ).first()
    if found is None:
        raise NotFound(
            f"no {declared.subject_type.replace('_', ' ')} {reference!r}",
            command=f"isa {declared.name} list",
        )
    rows: list[tuple[str, str, str]] = []
    times: dict[pendulum.DateTime, str] = {}
    open_rows_left = False
    settled_self: bool | None = None
    for duty in declared.duties:
        model = duty.table
        stmt = select(model, Agency).join(Agency, col(Agency.id) == getattr(model, duty.owner))
        if duty.matter_link:
            stmt = stmt.where(getattr(model, duty.matter_link) == found.id)
        else:
            stmt = stmt.where(model.id == found.id)
        for held, owner in session.exec(stmt.order_by(col(model.id))).all():
            waiting = _is_open(held, duty)
            if not duty.matter_link:
                settled_self = not waiting if settled_self is None else settled_self
            open_rows_left = open_rows_left or waiting
            chased = getattr(held, duty.column)
            state = "settled" if not waiting else (duty.rung(chased).words if chased else "waiting")
            rows.append((held.reference, owner.name, f"{duty.name}: {state}"))
            if not waiting:
                continue
            due = rung_times(duty.ladder, _anchor(held, duty), owner.nation)
            for rung, at in due.items():
                if rung > chased and at > now and at not in times:
                    label = _label(duty, rung)
                    if label in times.values():
                        label = f"{label} {at.in_timezone(LONDON):%Y-%m-%d}"
                    times[at] = label
    settled = settled_self if settled_self is not None else not open_rows_left
    left = sum(1 for _, _, state in rows if not state.endswith("settled"))
    summary = f"{declared.subject_type.replace('_', ' ').capitalize()} {reference}: " + (
        "settled" if settled else f"{left} of {len(rows)} still waiting"
    )
    return DutyStory(
        matter=matter,
        reference=reference,
        settled=settled,
        summary_text=SUMMARIES[matter](session, reference) if matter in SUMMARIES else summary,
        rows=tuple(rows),
        to_come=tuple(sorted(((label, at) for at, label in times.items()), key=lambda t: t[1]))
        if not settled
        else (),
    )


# a matter whose module tells its own story in a sentence
SUMMARIES: Mapping[str, Callable[[Session, str], str]] = {
    "consent": lambda session, reference: consent.consent_story(session, reference).summary(),
}
