"""Property tests: random sequences of use-case calls by random people never leave an arrangement
in a state its table does not allow, and a call that raises changes nothing but the audit log."""

import shutil
from pathlib import Path

import pendulum
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from models.clocks import local_date, review_opens_on
from models.enums import ArrangementStatus, ReviewOutcome, ReviewStatus
from models.errors import IsaError, Refused
from models.lifecycles import ARRANGEMENT
from models.tables import Arrangement, ArrangementParty, Review, SignOff
from tasks.audit import verify_audit
from tasks.protocol.approvals import approve_arrangement, reject_arrangement
from tasks.protocol.arrangements import submit_arrangement
from tasks.protocol.reviews import complete_review
from tasks.protocol.suspensions import end_suspension, raise_suspension
from tasks.protocol.withdrawals import withdraw_agency
from tests.conftest import (
    POSTGRES_URL,
    Database,
    _postgres_reachable,
    _reset_postgres,
    sealed_engine,
)
from tests.utils.factories import COUNCIL, POLICE, TRUST, active, drafted, parties, seed_agencies

START = pendulum.datetime(2026, 11, 25, 10, tz="UTC")
AGENCIES = (COUNCIL, TRUST, POLICE)

# weighted towards the moves that make progress, so sequences reach active and beyond
ACTIONS = st.sampled_from(
    [
        "submit",
        "submit",
        "approve",
        "approve",
        "approve",
        "approve",
        "reject",
        "renew",
        "amend",
        "terminate",
        "suspend",
        "end",
        "withdraw",
    ]
)
# "right" is whoever the protocol lets do the action; the others are refused (or not)
WHO = st.sampled_from(
    ["right"] * 7 + ["signatory", "point_of_contact", "rep", "dpo", "staff", "chair"]
)
# reviewed every two months, a review falls due inside its 90-day reminder window and is open
# from the start (until a renewal moves the next one out); every twelve, none opens in the
# sequences' first three weeks
INTERVALS = st.sampled_from([2, 12])
STEPS = st.lists(
    st.tuples(ACTIONS, WHO, st.integers(0, 2), st.integers(0, 20)),
    min_size=1,
    max_size=16,
)


def _one_step_away(before: ArrangementStatus) -> set[ArrangementStatus]:
    """States a single use case may lead to: up to two moves of the table (a review completed
    once open but before the sweep opened it opens and then renews; an amendment opens and
    stays in force)."""
    one = {dst for (src, _), dst in ARRANGEMENT.transitions.items() if src == before}
    two = {dst for (src, _), dst in ARRANGEMENT.transitions.items() if src in one}
    return {before} | one | two


def _call(session: Session, people, step, ref: str) -> None:  # type: ignore[no-untyped-def]
    action, who, agency_idx, days = step
    if who == "right":
        who = "point_of_contact" if action == "submit" else "signatory"
    agency = AGENCIES[agency_idx]
    actor = {
        "signatory": people.signatory[agency],
        "point_of_contact": people.poc[agency],
        "rep": people.rep[agency],
        "dpo": people.dpo[agency],
        "staff": people.staff[agency],
        "chair": people.chair,
    }[who]
    now = START.add(days=days)
    match action:
        case "submit":
            submit_arrangement(session, reference=ref, actor=actor, now=now)
        case "approve":
            approve_arrangement(session, reference=ref, actor=actor, now=now)
        case "reject":
            reject_arrangement(session, reference=ref, reason="Not yet", actor=actor, now=now)
        case "renew" | "amend" | "terminate":
            complete_review(
                session, reference=ref, outcome=ReviewOutcome(action), actor=actor, now=now
            )
        case "suspend":
            raise_suspension(session, agency=agency, reason="Concern", actor=actor, now=now)
        case "end":
            end_suspension(session, suspension="SUS-2026-0001", actor=actor, now=now.add(days=30))
        case "withdraw":
            withdraw_agency(session, agency=agency, reason="Leaving", actor=actor, now=now)


def _review_not_open(session: Session, ref: str, status: ArrangementStatus, step) -> bool:  # type: ignore[no-untyped-def]
    """Whether the step completes a review of an active arrangement before that review opens
    (its earliest reminder day): refused, whoever asks."""
    if step[0] not in ("renew", "amend", "terminate") or status != ArrangementStatus.ACTIVE:
        return False
    due = session.exec(
        select(Review.due_on)
        .join(Arrangement, col(Arrangement.id) == Review.arrangement_id)
        .where(Arrangement.reference == ref)
        .where(col(Review.status).in_([ReviewStatus.SCHEDULED, ReviewStatus.OPEN]))
        .order_by(col(Review.due_on))
    ).first()
    if due is None:
        return False
    today = local_date(START.add(days=step[3]))
    return today < review_opens_on(pendulum.Date(due.year, due.month, due.day))


def _check_sequence(db: Database, steps, start_active: bool, interval: int) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        people = seed_agencies(session, START)
        three = parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "both"))
        start = active if start_active else drafted
        ref = start(session, people, START, parties=three, review_interval_months=interval)
        for step in steps:
            session.expire_all()
            status_before, version_before = session.exec(
                select(Arrangement.status, Arrangement.version).where(Arrangement.reference == ref)
            ).one()
            not_open = _review_not_open(session, ref, status_before, step)
            register_before = db.snapshot(exclude=("audit_event", "audit_head"))
            audit_before = db.count("audit_event")
            try:
                _call(session, people, step, ref)
            except IsaError as exc:
                event(f"{step[0]}: {type(exc).__name__}")
                assert db.snapshot(exclude=("audit_event", "audit_head")) == register_before, step
                grew = db.count("audit_event") - audit_before
                assert grew == (1 if isinstance(exc, Refused) else 0), (step, exc)
                continue
            event(f"{step[0]}: done")
            # a review is completed only once it is open
            assert not not_open, (step, "a review was completed before it opened")
            session.expire_all()
            arrangement = session.exec(
                select(Arrangement).where(Arrangement.reference == ref)
            ).one()
            assert arrangement.status in _one_step_away(status_before), (step, status_before)
            if step[0] == "withdraw" and status_before == ArrangementStatus.AWAITING_APPROVAL:
                # the version awaiting approval named the party that left: never in force
                assert (arrangement.status, arrangement.version) == (
                    ArrangementStatus.DRAFT,
                    version_before + 1,
                ), step
            if arrangement.status == ArrangementStatus.ACTIVE:
                assert arrangement.next_review_due is not None
                approved = {
                    s.agency_id
                    for s in session.exec(
                        select(SignOff)
                        .where(SignOff.arrangement_id == arrangement.id)
                        .where(SignOff.version == arrangement.in_force_version)
                        .where(SignOff.decision == "approved")
                    )
                }
                current = set(
                    session.exec(
                        select(ArrangementParty.agency_id)
                        .where(ArrangementParty.arrangement_id == arrangement.id)
                        .where(col(ArrangementParty.left_at).is_(None))
                    )
                )
                # an active arrangement was approved, for the version in force (an amendment
                # being drafted or signed beside it changes nothing), by every party it has
                # now, and has two sides (one renewed after a party left keeps that party's
                # sign-off of the version they all agreed)
                assert current <= approved and len(current) >= 2, (step, approved, current)
        # the chain holds, and replaying it gives the register as it stands
        verified = verify_audit(session)
        assert verified.broken is None and verified.events > 0, verified.broken


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS, start_active=st.booleans(), interval=INTERVALS)
# found by this test: a party withdrew between two approvals, and the last one brought into
# force a version that still named the party that had gone
@example(
    steps=[
        ("submit", "right", 0, 0),
        ("approve", "right", 1, 0),
        ("withdraw", "right", 2, 0),
        ("approve", "right", 0, 0),
    ],
    start_active=False,
    interval=12,
)
# a review completed the day after activation, with a year until it falls due: refused
@example(steps=[("renew", "right", 0, 1)], start_active=True, interval=12)
def test_random_sequences_on_sqlite_keep_the_table_and_refusals_write_nothing(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, steps, start_active, interval
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("prop") / "isa.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = sealed_engine(url)
    try:
        _check_sequence(Database("sqlite", url, engine), steps, start_active, interval)
    finally:
        engine.dispose()


@pytest.mark.postgres
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=STEPS, start_active=st.booleans(), interval=INTERVALS)
def test_random_sequences_on_postgres_keep_the_table_and_refusals_write_nothing(
    postgres_schema: str, steps, start_active, interval
) -> None:  # type: ignore[no-untyped-def]
    assert _postgres_reachable() is None, POSTGRES_URL
    engine = sealed_engine(postgres_schema)
    try:
        _reset_postgres(engine)
        _check_sequence(
            Database("postgres", postgres_schema, engine), steps, start_active, interval
        )
    finally:
        engine.dispose()
