"""Arrangement use cases on real SQLite and PostgreSQL: drafting, approval by every party's
signatory, version-bound sign-offs, review outcomes, and refusals that write nothing else."""

import pendulum
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models.enums import AmendmentStatus, ArrangementStatus, ReviewOutcome, ReviewStatus
from models.errors import IllegalTransition, NotFound, Refused
from models.tables import Arrangement, AuditEvent, Review, SignOff
from tasks.protocol.approvals import approve_arrangement, reject_arrangement
from tasks.protocol.arrangements import draft_arrangement, revise_draft, submit_arrangement
from tasks.protocol.reviews import complete_review
from tests.conftest import Database
from tests.utils.factories import (
    COUNCIL,
    POLICE,
    TRUST,
    active,
    drafted,
    form,
    parties,
    review_due_at,
)


def _arrangement(session: Session, ref: str) -> Arrangement:
    session.expire_all()
    found = session.exec(select(Arrangement).where(Arrangement.reference == ref)).one()
    return found


def test_references_are_human_readable_and_sequential_per_year(session, people, now) -> None:
    first = drafted(session, people, now)
    second = drafted(session, people, now)
    next_year = drafted(session, people, now.add(years=1))
    assert (first, second, next_year) == ("ISA-2026-0001", "ISA-2026-0002", "ISA-2027-0001")


def test_an_arrangement_approved_by_every_party_becomes_active_with_its_next_review(
    session, people, now
) -> None:
    ref = drafted(session, people, now)
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    events = approve_arrangement(session, reference=ref, actor=people.signatory[COUNCIL], now=now)
    assert [e.name for e in events] == ["arrangement.approved"]
    assert events[0].as_dict()["awaiting"] == (TRUST,)
    assert _arrangement(session, ref).status == ArrangementStatus.AWAITING_APPROVAL

    events = approve_arrangement(session, reference=ref, actor=people.signatory[TRUST], now=now)
    assert [e.name for e in events] == ["arrangement.approved", "arrangement.activated"]
    arrangement = _arrangement(session, ref)
    assert arrangement.status == ArrangementStatus.ACTIVE
    assert arrangement.next_review_due == pendulum.date(2027, 11, 25)
    review = session.exec(select(Review).where(Review.arrangement_id == arrangement.id)).one()
    assert (review.due_on, review.status) == (pendulum.date(2027, 11, 25), ReviewStatus.SCHEDULED)


def test_a_signatory_of_an_agency_that_is_not_a_party_may_not_approve(
    db: Database, session, people, now
) -> None:
    ref = drafted(session, people, now)
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    before = db.snapshot(exclude=("audit_event", "audit_head"))
    audit_before = db.count("audit_event")
    with pytest.raises(Refused, match=f"is not a signatory of any party to {ref}"):
        approve_arrangement(session, reference=ref, actor=people.signatory[POLICE], now=now)
    assert db.snapshot(exclude=("audit_event", "audit_head")) == before
    assert db.count("audit_event") == audit_before + 1
    refusal = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()  # type: ignore[attr-defined]
    assert refusal is not None
    assert (refusal.outcome.value, refusal.action, refusal.subject_ref) == (
        "refused",
        "arrangement.approve",
        ref,
    )
    assert refusal.actor == people.signatory[POLICE]


def test_a_point_of_contact_who_is_not_a_signatory_may_not_approve(session, people, now) -> None:
    ref = drafted(session, people, now)
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    with pytest.raises(Refused, match="is not a signatory"):
        approve_arrangement(session, reference=ref, actor=people.poc[TRUST], now=now)


def test_a_party_approves_a_version_once(session, people, now) -> None:
    ref = drafted(session, people, now)
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    approve_arrangement(session, reference=ref, actor=people.signatory[COUNCIL], now=now)
    with pytest.raises(Refused, match="has already approved version 1"):
        approve_arrangement(session, reference=ref, actor=people.signatory[COUNCIL], now=now)
    assert len(session.exec(select(SignOff)).all()) == 1


def test_approving_a_draft_that_was_never_submitted_is_an_illegal_move(
    session, people, now
) -> None:
    ref = drafted(session, people, now)
    with pytest.raises(IllegalTransition, match=f"cannot approve arrangement {ref}: it is draft"):
        approve_arrangement(session, reference=ref, actor=people.signatory[COUNCIL], now=now)


def test_an_arrangement_without_a_lawful_basis_cannot_be_submitted(session, people, now) -> None:
    ref = drafted(session, people, now, lawful_basis=None)
    with pytest.raises(Refused, match=r"no lawful basis is recorded \(§6\)"):
        submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    assert _arrangement(session, ref).status == ArrangementStatus.DRAFT
    revise_draft(session, reference=ref, draft=form(), actor=people.poc[COUNCIL], now=now)
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    assert _arrangement(session, ref).status == ArrangementStatus.AWAITING_APPROVAL


def test_the_database_itself_refuses_a_submitted_arrangement_without_lawful_basis(
    db: Database, session, people, now
) -> None:
    ref = drafted(session, people, now, lawful_basis=None)
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(
            text("UPDATE arrangement SET status = 'awaiting_approval' WHERE reference = :r"),
            {"r": ref},
        )


def test_the_database_refuses_a_transfer_outside_the_eea_without_adequacy(
    db: Database, session, people, now
) -> None:
    ref = drafted(session, people, now)
    arrangement_id = _arrangement(session, ref).id
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO overseas_transfer (arrangement_id, country, adequacy) "
                "VALUES (:a, 'United States', '')"
            ),
            {"a": arrangement_id},
        )


def test_a_rejection_returns_the_arrangement_to_draft_and_voids_earlier_sign_offs(
    session, people, now
) -> None:
    ref = drafted(session, people, now)
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    approve_arrangement(session, reference=ref, actor=people.signatory[COUNCIL], now=now)
    reject_arrangement(
        session, reference=ref, reason="Retention too long", actor=people.signatory[TRUST], now=now
    )
    arrangement = _arrangement(session, ref)
    assert (arrangement.status, arrangement.version) == (ArrangementStatus.DRAFT, 2)

    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    # the council's approval was of version 1: approving version 2 alone is not enough
    events = approve_arrangement(session, reference=ref, actor=people.signatory[TRUST], now=now)
    assert events[0].as_dict()["awaiting"] == (COUNCIL,)
    assert _arrangement(session, ref).status == ArrangementStatus.AWAITING_APPROVAL
    approve_arrangement(session, reference=ref, actor=people.signatory[COUNCIL], now=now)
    assert _arrangement(session, ref).status == ArrangementStatus.ACTIVE


def test_a_three_party_arrangement_needs_all_three_signatories(session, people, now) -> None:
    three = parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "both"))
    ref = drafted(session, people, now, parties=three)
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    for agency in (COUNCIL, TRUST):
        approve_arrangement(session, reference=ref, actor=people.signatory[agency], now=now)
    assert _arrangement(session, ref).status == ArrangementStatus.AWAITING_APPROVAL
    approve_arrangement(session, reference=ref, actor=people.signatory[POLICE], now=now)
    assert _arrangement(session, ref).status == ArrangementStatus.ACTIVE


def test_only_a_contact_of_a_party_may_draft(session, people, now) -> None:
    draft = form()
    with pytest.raises(Refused, match="is not a contact of any party"):
        draft_arrangement(session, draft=draft, actor=people.poc[POLICE], now=now)


def test_drafting_with_an_unregistered_agency_names_it_and_writes_nothing(
    db: Database, session, people, now
) -> None:
    before = db.snapshot()
    with pytest.raises(NotFound, match="no agency named 'Nowhere Council'"):
        draft_arrangement(
            session,
            draft=form(parties=parties((COUNCIL, "discloser"), ("Nowhere Council", "recipient"))),
            actor=people.poc[COUNCIL],
            now=now,
        )
    assert db.snapshot() == before


def test_a_renewed_review_rolls_the_next_date_from_the_intended_due_date(
    session, people, now
) -> None:
    ref = active(session, people, now)
    late = pendulum.datetime(2027, 12, 20, 11, tz="Europe/London").in_timezone("UTC")
    events = complete_review(
        session, reference=ref, outcome=ReviewOutcome.RENEW, actor=people.signatory[TRUST], now=late
    )
    assert "review.completed" in [e.name for e in events]
    arrangement = _arrangement(session, ref)
    assert arrangement.status == ArrangementStatus.ACTIVE
    # due 25 Nov 2027, completed 20 Dec 2027: the next is due 25 Nov 2028, not 20 Dec 2028
    assert arrangement.next_review_due == pendulum.date(2028, 11, 25)
    reviews = session.exec(
        select(Review).where(Review.arrangement_id == arrangement.id).order_by(Review.due_on)  # type: ignore[arg-type]
    ).all()
    assert [(r.due_on.isoformat(), r.status.value, r.outcome) for r in reviews] == [
        ("2027-11-25", "completed", ReviewOutcome.RENEW),
        ("2028-11-25", "scheduled", None),
    ]


def test_an_amending_review_keeps_the_arrangement_in_force_while_the_next_version_is_drafted(
    session, people, now
) -> None:
    ref = active(session, people, now)
    due = review_due_at(session, ref)
    complete_review(
        session,
        reference=ref,
        outcome=ReviewOutcome.AMEND,
        actor=people.signatory[COUNCIL],
        now=due,
    )
    arrangement = _arrangement(session, ref)
    assert (arrangement.status, arrangement.amendment, arrangement.version) == (
        ArrangementStatus.ACTIVE,
        AmendmentStatus.DRAFTING,
        2,
    )
    # the version-1 approvals do not carry over: both parties must approve version 2
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=due)
    events = approve_arrangement(session, reference=ref, actor=people.signatory[COUNCIL], now=due)
    assert events[0].as_dict()["awaiting"] == (TRUST,)


def test_a_terminating_review_ends_the_arrangement_and_cancels_its_reviews(
    session, people, now
) -> None:
    ref = active(session, people, now)
    events = complete_review(
        session,
        reference=ref,
        outcome=ReviewOutcome.TERMINATE,
        actor=people.signatory[COUNCIL],
        now=review_due_at(session, ref),
    )
    assert "arrangement.terminated" in [e.name for e in events]
    arrangement = _arrangement(session, ref)
    assert arrangement.status == ArrangementStatus.TERMINATED
    assert arrangement.ended_at is not None
    statuses = {
        r.status
        for r in session.exec(select(Review).where(Review.arrangement_id == arrangement.id))
    }
    assert statuses == {ReviewStatus.COMPLETED}


def test_a_review_of_a_terminated_arrangement_is_refused(session, people, now) -> None:
    ref = active(session, people, now)
    due = review_due_at(session, ref)
    complete_review(
        session,
        reference=ref,
        outcome=ReviewOutcome.TERMINATE,
        actor=people.signatory[COUNCIL],
        now=due,
    )
    with pytest.raises(Refused, match="it is terminated"):
        complete_review(
            session,
            reference=ref,
            outcome=ReviewOutcome.RENEW,
            actor=people.signatory[COUNCIL],
            now=due,
        )


@pytest.mark.parametrize("outcome", list(ReviewOutcome))
def test_a_review_completed_before_it_opens_is_refused_naming_when_it_opens_and_writes_nothing_else(
    db: Database, session, people, now, outcome: ReviewOutcome
) -> None:
    ref = active(session, people, now)  # activated 25 Nov 2026: first review due 25 Nov 2027
    day_after = now.add(days=1)
    before = db.snapshot(exclude=("audit_event", "audit_head"))
    audit_before = db.count("audit_event")
    with pytest.raises(Refused) as refused:
        complete_review(
            session, reference=ref, outcome=outcome, actor=people.signatory[COUNCIL], now=day_after
        )
    # the earliest reminder goes 90 days before the due date: the review opens then
    assert str(refused.value) == (
        f"no review of {ref} is open: it falls due on 25 November 2027 and opens for early "
        "completion on 27 August 2027"
    )
    assert db.snapshot(exclude=("audit_event", "audit_head")) == before
    assert db.count("audit_event") == audit_before + 1
    refusal = session.exec(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()  # type: ignore[attr-defined]
    assert refusal is not None
    assert (refusal.outcome.value, refusal.action, refusal.subject_ref, refusal.actor) == (
        "refused",
        "review.complete",
        ref,
        people.signatory[COUNCIL],
    )


def test_a_review_opens_for_early_completion_on_the_day_of_its_earliest_reminder(
    db: Database, session, people, now
) -> None:
    ref = active(session, people, now)
    eve = pendulum.datetime(2027, 8, 26, 23, 30, tz="Europe/London").in_timezone("UTC")
    with pytest.raises(Refused, match="opens for early completion on 27 August 2027"):
        complete_review(
            session,
            reference=ref,
            outcome=ReviewOutcome.RENEW,
            actor=people.signatory[COUNCIL],
            now=eve,
        )
    opening = pendulum.datetime(2027, 8, 27, 0, 30, tz="Europe/London").in_timezone("UTC")
    events = complete_review(
        session,
        reference=ref,
        outcome=ReviewOutcome.RENEW,
        actor=people.signatory[COUNCIL],
        now=opening,
    )
    assert "review.completed" in [e.name for e in events]
    # rolled from the date it was due, not from the day it was done
    assert _arrangement(session, ref).next_review_due == pendulum.date(2028, 11, 25)


def test_a_review_the_sweep_has_opened_may_be_completed(session, people, now) -> None:
    from models.policies import ReviewPolicy
    from tasks.sweeps import open_due_reviews

    ref = active(session, people, now)
    due = review_due_at(session, ref)
    open_due_reviews(session, as_of=due.date(), policy=ReviewPolicy(), now=due, actor="system:test")
    assert _arrangement(session, ref).status == ArrangementStatus.UNDER_REVIEW
    events = complete_review(
        session,
        reference=ref,
        outcome=ReviewOutcome.RENEW,
        actor=people.signatory[COUNCIL],
        now=due.add(days=3),
    )
    assert "review.completed" in [e.name for e in events]
    assert _arrangement(session, ref).status == ArrangementStatus.ACTIVE


def test_timestamps_come_back_timezone_aware_in_utc(session, people, now) -> None:
    ref = active(session, people, now)
    arrangement = _arrangement(session, ref)
    assert arrangement.activated_at == now
    assert arrangement.activated_at.utcoffset() == pendulum.duration(0)
