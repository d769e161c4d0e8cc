"""The review and approval sweeps as plain functions, without the Prefect engine: every rung of
the ladder, opening, escalation, lapse, sign-off chasing, idempotency and replay by `as_of`."""

from typing import Any

import pendulum
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from models.enums import ArrangementStatus, ReviewStatus
from models.policies import ReviewPolicy
from models.tables import Arrangement, Review
from tasks.protocol.approvals import approve_arrangement
from tasks.protocol.arrangements import submit_arrangement
from tasks.sweeps import chase_approvals, sweep_reviews
from tests.conftest import Database
from tests.utils.factories import COUNCIL, TRUST, active, drafted

POLICY = ReviewPolicy()
SYSTEM = "system:test"


def _sweep(session: Session, day: pendulum.Date, policy: ReviewPolicy = POLICY) -> dict[str, Any]:
    at = pendulum.datetime(day.year, day.month, day.day, 7, tz="Europe/London")
    reports = sweep_reviews(
        session, as_of=day, policy=policy, now=at.in_timezone("UTC"), actor=SYSTEM
    )
    return {r.phase: r for r in reports}


def _outbox(db: Database, event: str) -> list[tuple[str, str, str]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT subject_ref, recipient, occurrence FROM outbox WHERE event = :e ORDER BY id"
            ),
            {"e": event},
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _arrangement(session: Session, ref: str) -> Arrangement:
    session.expire_all()
    return session.exec(select(Arrangement).where(Arrangement.reference == ref)).one()


DUE = pendulum.date(2027, 11, 25)  # the factory activates on 25 Nov 2026 with a 12-month interval


def test_each_rung_of_the_ladder_reminds_the_parties_once(
    db: Database, session, people, now
) -> None:
    ref = active(session, people, now)
    for days_before in (90, 30, 7):
        _sweep(session, DUE.subtract(days=days_before))
    reminders = _outbox(db, "review.reminder")
    rungs = [occurrence for _, _, occurrence in reminders]
    # each rung reaches each party's signatory and point of contact: 4 people
    assert len(reminders) == 3 * 4
    assert sorted(set(rungs)) == sorted({f"{DUE.isoformat()}/{r}" for r in (90, 30, 7)})
    recipients = {recipient for _, recipient, _ in reminders}
    assert recipients == {
        people.signatory[COUNCIL],
        people.signatory[TRUST],
        people.poc[COUNCIL],
        people.poc[TRUST],
    }
    assert {ref} == {subject for subject, _, _ in reminders}


def test_a_day_between_rungs_sends_nothing_new(db: Database, session, people, now) -> None:
    active(session, people, now)
    _sweep(session, DUE.subtract(days=90))
    report = _sweep(session, DUE.subtract(days=60))
    assert report["reminders"].acted == []
    assert len(_outbox(db, "review.reminder")) == 4


def test_a_missed_rung_is_not_sent_late_only_the_latest_one(
    db: Database, session, people, now
) -> None:
    active(session, people, now)
    _sweep(session, DUE.subtract(days=20))  # first run after the 90- and 30-day rungs
    assert {occ for _, _, occ in _outbox(db, "review.reminder")} == {f"{DUE.isoformat()}/30"}


def test_the_review_opens_on_its_due_date(db: Database, session, people, now) -> None:
    ref = active(session, people, now)
    report = _sweep(session, DUE.subtract(days=1))
    assert report["opened"].acted == []
    report = _sweep(session, DUE)
    assert [row["reference"] for row in report["opened"].acted] == [ref]
    assert _arrangement(session, ref).status == ArrangementStatus.UNDER_REVIEW
    review = session.exec(select(Review)).one()
    assert review.status == ReviewStatus.OPEN
    assert len(_outbox(db, "review.opened")) == 4


def test_an_overdue_review_escalates_to_signatories_then_chairs_then_lapses(
    db: Database, session, people, now
) -> None:
    ref = active(session, people, now)
    _sweep(session, DUE)
    _sweep(session, DUE.add(days=1))
    overdue = _outbox(db, "review.overdue")
    assert {r for _, r, _ in overdue} == {people.signatory[COUNCIL], people.signatory[TRUST]}
    assert _outbox(db, "review.escalated") == []

    _sweep(session, DUE.add(days=29))
    assert _outbox(db, "review.escalated") == []
    _sweep(session, DUE.add(days=30))
    escalated = {r for _, r, _ in _outbox(db, "review.escalated")}
    assert people.chair in escalated

    _sweep(session, DUE.add(days=89))
    assert _arrangement(session, ref).status == ArrangementStatus.UNDER_REVIEW
    report = _sweep(session, DUE.add(days=90))
    assert [row["action"] for row in report["overdue"].acted] == ["lapsed"]
    assert _arrangement(session, ref).status == ArrangementStatus.LAPSED
    assert {r for _, r, _ in _outbox(db, "arrangement.lapsed")} >= {
        people.chair,
        people.signatory[TRUST],
    }


def test_the_policy_is_configurable(db: Database, session, people, now) -> None:
    active(session, people, now)
    policy = ReviewPolicy(ladder=(14, 0), escalate_to_chairs_after_days=5, lapse_after_days=10)
    _sweep(session, DUE.subtract(days=30), policy)
    assert _outbox(db, "review.reminder") == []
    _sweep(session, DUE.subtract(days=14), policy)
    assert {o for _, _, o in _outbox(db, "review.reminder")} == {f"{DUE.isoformat()}/14"}
    _sweep(session, DUE, policy)
    _sweep(session, DUE.add(days=10), policy)
    assert _outbox(db, "arrangement.lapsed") != []


@pytest.mark.parametrize("bad", [(), (30, 30), (-1,)])
def test_a_bad_ladder_is_refused(bad: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="reminder ladder"):
        ReviewPolicy(ladder=bad)


def test_a_second_sweep_the_same_day_queues_and_records_nothing(
    db: Database, session, people, now
) -> None:
    active(session, people, now)
    _sweep(session, DUE.add(days=31))  # opens and escalates in one go
    outbox_before = db.count("outbox")
    audit_before = db.count("audit_event")
    report = _sweep(session, DUE.add(days=31))
    assert all(phase.acted == [] and phase.queued == 0 for phase in report.values())
    assert db.count("outbox") == outbox_before
    assert db.count("audit_event") == audit_before


def test_a_renewed_review_is_chased_again_from_its_next_due_date(
    db: Database, session, people, now
) -> None:
    from models.enums import ReviewOutcome
    from tasks.protocol.reviews import complete_review

    ref = active(session, people, now)
    _sweep(session, DUE.subtract(days=7))
    complete_review(
        session,
        reference=ref,
        outcome=ReviewOutcome.RENEW,
        actor=people.signatory[COUNCIL],
        now=now.add(days=360),
    )
    next_due = DUE.add(years=1)
    _sweep(session, next_due.subtract(days=7))
    occurrences = {o for _, _, o in _outbox(db, "review.reminder")}
    assert occurrences == {f"{DUE.isoformat()}/7", f"{next_due.isoformat()}/7"}


def test_missing_sign_offs_are_reminded_at_day_7_and_escalated_at_day_14(
    db: Database, session, people, now
) -> None:
    ref = drafted(session, people, now)
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    approve_arrangement(session, reference=ref, actor=people.signatory[COUNCIL], now=now)
    today = pendulum.date(2026, 11, 25)

    def chase(day: pendulum.Date) -> list[dict[str, Any]]:
        return chase_approvals(session, as_of=day, now=now, actor=SYSTEM).acted

    assert chase(today.add(days=6)) == []
    assert [row["action"] for row in chase(today.add(days=7))] == ["signatories reminded"]
    assert chase(today.add(days=7)) == []
    reminders = _outbox(db, "arrangement.approval_reminder")
    # only the signatory whose sign-off is missing is reminded
    assert [r for _, r, _ in reminders] == [people.signatory[TRUST]]
    assert [row["action"] for row in chase(today.add(days=14))] == ["escalated to the chairs"]
    escalated = {r for _, r, _ in _outbox(db, "arrangement.approval_escalated")}
    assert escalated == {people.chair, people.signatory[TRUST]}
    assert chase(today.add(days=20)) == []


def test_an_approved_arrangement_is_not_chased(db: Database, session, people, now) -> None:
    active(session, people, now)
    assert (
        chase_approvals(session, as_of=pendulum.date(2026, 12, 31), now=now, actor=SYSTEM).acted
        == []
    )


def test_replaying_a_past_day_with_as_of_acts_as_that_day_would_have(
    db: Database, session, people, now
) -> None:
    active(session, people, now)
    # the sweep did not run for months; replaying the missed day 30 before due sends that rung
    _sweep(session, DUE.subtract(days=30))
    assert {o for _, _, o in _outbox(db, "review.reminder")} == {f"{DUE.isoformat()}/30"}


def test_a_rehearsal_past_the_lapse_period_sends_the_notices_but_does_not_lapse(
    db: Database, session, people, now
) -> None:
    ref = active(session, people, now)
    _sweep(session, DUE)  # opened on its due date
    rehearsed = DUE.add(days=100)
    reports = {
        r.phase: r
        for r in sweep_reviews(session, as_of=rehearsed, policy=POLICY, now=now, actor=SYSTEM)
    }
    # the overdue notices of that day go; the lapse, which cannot be undone, waits
    assert [a["action"] for a in reports["overdue"].acted] == ["escalated to the chairs"]
    assert reports["overdue"].held == [
        {"reference": ref, "action": "lapse", "detail": "lapses 2028-02-23"}
    ]
    assert _arrangement(session, ref).status == ArrangementStatus.UNDER_REVIEW
    assert _outbox(db, "arrangement.lapsed") == []
    # a second rehearsal does not loop on what it held back, nor send the notice again
    again = {
        r.phase: r
        for r in sweep_reviews(session, as_of=rehearsed, policy=POLICY, now=now, actor=SYSTEM)
    }
    assert again["overdue"].acted == []
    assert len(again["overdue"].held) == 1
