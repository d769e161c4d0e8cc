"""Training, need-to-know access, suspension with its resolution meeting, and withdrawal,
through the use cases on real SQLite and PostgreSQL."""

import pendulum
import pytest
from sqlmodel import Session, select, text

from models.enums import (
    AccessGrantStatus,
    AgencyStatus,
    ArrangementStatus,
    MeetingOutcome,
    ReviewStatus,
    SuspensionStatus,
)
from models.errors import IllegalTransition, InvalidInput, Refused
from models.policies import ReviewPolicy
from models.tables import (
    AccessGrant,
    Agency,
    Arrangement,
    ArrangementParty,
    MeetingAttendance,
    Review,
    Suspension,
    Withdrawal,
)
from tasks.protocol.access import attest_access, grant_access, record_training, revoke_access
from tasks.protocol.approvals import approve_arrangement
from tasks.protocol.arrangements import submit_arrangement
from tasks.protocol.suspensions import (
    end_suspension,
    raise_suspension,
    record_meeting,
    schedule_meeting,
)
from tasks.protocol.withdrawals import withdraw_agency
from tasks.sweeps import open_due_reviews
from tests.conftest import Database
from tests.utils.factories import (
    COUNCIL,
    POLICE,
    TRUST,
    People,
    active,
    drafted,
    granted,
    parties,
    trained,
)


def _get(session: Session, model, **where):  # type: ignore[no-untyped-def]
    session.expire_all()
    stmt = select(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return session.exec(stmt).one()


def _grant(session: Session, ref: str) -> AccessGrant:
    return _get(session, AccessGrant, reference=ref)


# --- training and access -----------------------------------------------------------------------


def test_access_is_granted_to_trained_staff_of_a_receiving_party(session, people, now) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)
    assert grant == "GRT-2026-0001"
    held = _grant(session, grant)
    assert held.status == AccessGrantStatus.ACTIVE
    assert held.justification == "Case worker on the early help team"


def test_access_without_current_training_is_refused(session, people, now) -> None:
    ref = active(session, people, now)
    with pytest.raises(Refused, match=r"has no current training record \(§12\)"):
        grant_access(
            session,
            arrangement=ref,
            email=people.staff[TRUST],
            justification="Needs it",
            expires_on=None,
            actor=people.rep[TRUST],
            now=now,
        )


def test_access_with_lapsed_training_is_refused(session, people, now) -> None:
    ref = active(session, people, now)
    today = now.in_timezone("Europe/London").date()
    record_training(
        session,
        email=people.staff[TRUST],
        course="Protocol e-learning",
        completed_on=today.subtract(years=2),
        expires_on=today.subtract(days=1),
        actor="cli:admin",
        now=now,
    )
    with pytest.raises(Refused, match="no current training"):
        grant_access(
            session,
            arrangement=ref,
            email=people.staff[TRUST],
            justification="Needs it",
            expires_on=None,
            actor=people.rep[TRUST],
            now=now,
        )


def test_access_needs_a_justification(db: Database, session, people, now) -> None:
    ref = active(session, people, now)
    trained(session, people, TRUST, now)
    before = db.snapshot()
    with pytest.raises(InvalidInput, match="the justification is required"):
        grant_access(
            session,
            arrangement=ref,
            email=people.staff[TRUST],
            justification="  ",
            expires_on=None,
            actor=people.rep[TRUST],
            now=now,
        )
    assert db.snapshot() == before


def test_access_to_an_arrangement_that_is_not_active_is_refused(session, people, now) -> None:
    from tests.utils.factories import drafted

    ref = drafted(session, people, now)
    trained(session, people, TRUST, now)
    with pytest.raises(Refused, match="it is draft, not active"):
        grant_access(
            session,
            arrangement=ref,
            email=people.staff[TRUST],
            justification="Needs it",
            expires_on=None,
            actor=people.rep[TRUST],
            now=now,
        )


def test_only_the_staff_members_own_agency_grants_access(session, people, now) -> None:
    ref = active(session, people, now)
    trained(session, people, TRUST, now)
    with pytest.raises(
        Refused, match=f"is not a nominated representative or point of contact of {TRUST}"
    ):
        grant_access(
            session,
            arrangement=ref,
            email=people.staff[TRUST],
            justification="Needs it",
            expires_on=None,
            actor=people.rep[COUNCIL],
            now=now,
        )


def test_staff_of_a_party_that_only_discloses_receive_no_access(session, people, now) -> None:
    ref = active(session, people, now)
    trained(session, people, COUNCIL, now)
    with pytest.raises(Refused, match="only discloses"):
        grant_access(
            session,
            arrangement=ref,
            email=people.staff[COUNCIL],
            justification="Needs it",
            expires_on=None,
            actor=people.rep[COUNCIL],
            now=now,
        )


def test_access_is_revoked_with_its_reason_by_the_data_owner(session, people, now) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)
    events = revoke_access(
        session, grant=grant, reason="Moved team", actor=people.rep[COUNCIL], now=now
    )
    assert [e.name for e in events] == ["access.revoked"]
    held = _grant(session, grant)
    assert (held.status, held.revoked_reason, held.revoked_by) == (
        AccessGrantStatus.REVOKED,
        "Moved team",
        people.rep[COUNCIL],
    )
    with pytest.raises(
        IllegalTransition, match=f"cannot revoke access grant {grant}: it is revoked"
    ):
        revoke_access(session, grant=grant, reason="Again", actor=people.rep[COUNCIL], now=now)


def test_training_completed_in_the_future_is_bad_input(db: Database, session, people, now) -> None:
    before = db.snapshot()
    with pytest.raises(InvalidInput, match="is in the future"):
        record_training(
            session,
            email=people.staff[TRUST],
            course="Protocol e-learning",
            completed_on=pendulum.date(2027, 1, 1),
            expires_on=None,
            actor="cli:admin",
            now=now,
        )
    assert db.snapshot() == before


# --- suspension --------------------------------------------------------------------------------


def test_raising_a_suspension_suspends_the_agency_its_arrangements_and_their_access(
    session, people, now
) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)
    events = raise_suspension(
        session, agency=TRUST, reason="Serious breach", actor=people.signatory[TRUST], now=now
    )
    raised = events[0].as_dict()
    assert raised["suspension"] == "SUS-2026-0001"
    assert raised["arrangements"] == (ref,)
    suspension = _get(session, Suspension, reference="SUS-2026-0001")
    # raised Wed 25 Nov 2026: meeting by the end of Wed 9 Dec, ends Fri 25 Dec at 10:00
    assert suspension.meeting_deadline == pendulum.datetime(
        2026, 12, 9, 23, 59, 59, 999999, tz="Europe/London"
    )
    assert suspension.ends_at == pendulum.datetime(2026, 12, 25, 10, tz="Europe/London")
    assert _get(session, Agency, name=TRUST).status == AgencyStatus.SUSPENDED
    assert _get(session, Arrangement, reference=ref).status == ArrangementStatus.SUSPENDED
    assert _grant(session, grant).status == AccessGrantStatus.PAUSED


def test_a_second_suspension_of_a_suspended_agency_is_refused(session, people, now) -> None:
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    with pytest.raises(Refused, match=f"{TRUST} is already suspended under SUS-2026-0001"):
        raise_suspension(
            session,
            agency=TRUST,
            reason="Again",
            actor=people.signatory[TRUST],
            now=now.add(days=1),
        )


def test_only_a_signatory_of_that_agency_may_suspend_it(session, people, now) -> None:
    with pytest.raises(Refused, match=f"is not a signatory of {TRUST}"):
        raise_suspension(
            session, agency=TRUST, reason="x", actor=people.signatory[COUNCIL], now=now
        )
    with pytest.raises(Refused, match=f"is not a signatory of {TRUST}"):
        raise_suspension(session, agency=TRUST, reason="x", actor=people.poc[TRUST], now=now)


def test_the_suspension_meeting_after_day_14_is_refused(session, people, now) -> None:
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    day_14 = pendulum.datetime(2026, 12, 9, 16, tz="Europe/London")
    day_15 = pendulum.datetime(2026, 12, 10, 9, tz="Europe/London")
    with pytest.raises(Refused, match="must fall between 2026-11-25 and 2026-12-09"):
        schedule_meeting(
            session,
            place="Room 2, County Hall",
            suspension="SUS-2026-0001",
            at=day_15,
            actor=people.chair,
            now=now,
        )
    events = schedule_meeting(
        session,
        place="Room 2, County Hall",
        suspension="SUS-2026-0001",
        at=day_14,
        actor=people.chair,
        now=now,
    )
    assert events[0].as_dict()["rescheduled"] is False
    suspension = _get(session, Suspension, reference="SUS-2026-0001")
    assert (suspension.status, suspension.meeting_at) == (
        SuspensionStatus.MEETING_SCHEDULED,
        day_14,
    )


def test_only_a_chair_schedules_the_meeting(session, people, now) -> None:
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    with pytest.raises(Refused, match="is not a chair"):
        schedule_meeting(
            session,
            place="Room 2, County Hall",
            suspension="SUS-2026-0001",
            at=now.add(days=3),
            actor=people.signatory[COUNCIL],
            now=now,
        )


def _held_on_day_10(
    session: Session, people: People, now: pendulum.DateTime, outcome: MeetingOutcome
):  # type: ignore[no-untyped-def]
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    day_10 = now.add(days=10)
    schedule_meeting(
        session,
        place="Room 2, County Hall",
        suspension="SUS-2026-0001",
        at=day_10,
        actor=people.chair,
        now=now,
    )
    return record_meeting(
        session,
        suspension="SUS-2026-0001",
        outcome=outcome,
        attendees=[people.signatory[COUNCIL], people.signatory[TRUST], people.chair],
        risk_assessment="Breach contained; controls re-tested",
        actor=people.chair,
        now=day_10,
    )


def test_a_meeting_that_resumes_ends_the_suspension_early(session, people, now) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)
    events = _held_on_day_10(session, people, now, MeetingOutcome.RESUME)
    assert [e.name for e in events] == ["suspension.meeting_held", "suspension.ended"]
    suspension = _get(session, Suspension, reference="SUS-2026-0001")
    assert (suspension.status, suspension.outcome) == (
        SuspensionStatus.ENDED,
        MeetingOutcome.RESUME,
    )
    assert len(session.exec(select(MeetingAttendance)).all()) == 3
    assert _get(session, Agency, name=TRUST).status == AgencyStatus.MEMBER
    assert _get(session, Arrangement, reference=ref).status == ArrangementStatus.ACTIVE
    assert _grant(session, grant).status == AccessGrantStatus.ACTIVE


def test_a_meeting_that_continues_leaves_the_suspension_running_to_day_30(
    session, people, now
) -> None:
    ref = active(session, people, now)
    _held_on_day_10(session, people, now, MeetingOutcome.CONTINUE)
    assert (
        _get(session, Suspension, reference="SUS-2026-0001").status == SuspensionStatus.MEETING_HELD
    )
    assert _get(session, Arrangement, reference=ref).status == ArrangementStatus.SUSPENDED
    with pytest.raises(Refused, match="runs until 25 December 2026 10:00"):
        end_suspension(
            session, suspension="SUS-2026-0001", actor="system:test", now=now.add(days=29)
        )
    events = end_suspension(
        session, suspension="SUS-2026-0001", actor="system:test", now=now.add(days=30)
    )
    assert [e.name for e in events] == ["suspension.ended"]
    assert _get(session, Arrangement, reference=ref).status == ArrangementStatus.ACTIVE
    # ending an ended suspension does nothing: a checker and a sweep may both try
    assert (
        end_suspension(
            session, suspension="SUS-2026-0001", actor="system:test", now=now.add(days=31)
        )
        == []
    )


def test_a_meeting_that_decides_withdrawal_withdraws_the_agency(session, people, now) -> None:
    ref = active(session, people, now)
    events = _held_on_day_10(session, people, now, MeetingOutcome.WITHDRAW)
    assert "withdrawal.noticed" in [e.name for e in events]
    assert _get(session, Agency, name=TRUST).status == AgencyStatus.WITHDRAWN
    assert _get(session, Suspension, reference="SUS-2026-0001").status == SuspensionStatus.ENDED
    assert _get(session, Arrangement, reference=ref).status == ArrangementStatus.TERMINATED


def test_a_meeting_attendee_must_be_a_signatory_representative_or_chair(
    session, people, now
) -> None:
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    schedule_meeting(
        session,
        place="Room 2, County Hall",
        suspension="SUS-2026-0001",
        at=now.add(days=2),
        actor=people.chair,
        now=now,
    )
    with pytest.raises(Refused, match=f"attendee {people.poc[COUNCIL]} is not a signatory"):
        record_meeting(
            session,
            suspension="SUS-2026-0001",
            outcome=MeetingOutcome.RESUME,
            attendees=[people.poc[COUNCIL]],
            risk_assessment="x",
            actor=people.chair,
            now=now.add(days=2),
        )


# --- withdrawal --------------------------------------------------------------------------------


def test_withdrawal_needs_a_reason_and_a_signatory_of_that_agency(
    db: Database, session, people, now
) -> None:
    before = db.snapshot()
    with pytest.raises(InvalidInput, match="the reason is required"):
        withdraw_agency(session, agency=TRUST, reason="", actor=people.signatory[TRUST], now=now)
    assert db.snapshot() == before
    with pytest.raises(Refused, match=f"is not a signatory of {TRUST}"):
        withdraw_agency(
            session, agency=TRUST, reason="Leaving", actor=people.signatory[COUNCIL], now=now
        )


def test_withdrawing_from_a_two_party_arrangement_terminates_it(session, people, now) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)
    events = withdraw_agency(
        session,
        agency=TRUST,
        reason="Service decommissioned",
        actor=people.signatory[TRUST],
        now=now,
    )
    names = [e.name for e in events]
    assert {"access.revoked", "arrangement.terminated", "withdrawal.noticed"} <= set(names)
    assert _get(session, Agency, name=TRUST).status == AgencyStatus.WITHDRAWN
    assert _get(session, Arrangement, reference=ref).status == ArrangementStatus.TERMINATED
    assert _grant(session, grant).status == AccessGrantStatus.REVOKED
    notice = _get(session, Withdrawal, reference="WDR-2026-0001")
    assert (notice.reason, notice.effective_on) == (
        "Service decommissioned",
        pendulum.date(2026, 11, 25),
    )
    with pytest.raises(IllegalTransition, match=f"cannot withdraw agency {TRUST}: it is withdrawn"):
        withdraw_agency(
            session, agency=TRUST, reason="Again", actor=people.signatory[TRUST], now=now
        )


def test_withdrawing_from_a_three_party_arrangement_leaves_it_and_opens_a_review(
    session, people, now
) -> None:
    three = parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "recipient"))
    ref = active(session, people, now, parties=three)
    withdraw_agency(
        session, agency=POLICE, reason="Merged", actor=people.signatory[POLICE], now=now
    )
    arrangement = _get(session, Arrangement, reference=ref)
    assert arrangement.status == ArrangementStatus.UNDER_REVIEW
    left = session.exec(
        select(ArrangementParty).where(ArrangementParty.arrangement_id == arrangement.id)
    ).all()
    assert sorted((p.left_at is not None) for p in left) == [False, False, True]
    review = session.exec(select(Review).where(Review.arrangement_id == arrangement.id)).one()
    assert review.status == ReviewStatus.OPEN


def test_a_party_withdrawing_while_approval_is_awaited_sends_the_rest_back_to_a_new_draft(
    db: Database, session, people, now
) -> None:
    three = parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "both"))
    ref = drafted(session, people, now, parties=three)
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    approve_arrangement(session, reference=ref, actor=people.signatory[COUNCIL], now=now)
    withdraw_agency(
        session, agency=POLICE, reason="Merged", actor=people.signatory[POLICE], now=now
    )
    arrangement = _get(session, Arrangement, reference=ref)
    # version 1 named the police: it never comes into force, and its approvals no longer count
    assert (arrangement.status, arrangement.version) == (ArrangementStatus.DRAFT, 2)
    with pytest.raises(IllegalTransition, match="cannot approve arrangement"):
        approve_arrangement(session, reference=ref, actor=people.signatory[TRUST], now=now)
    # nothing was shared under it, so the police have nothing to destroy
    assert db.count("disposal_task") == 0
    # the remaining parties are told; the unsent requests to approve version 1 are withdrawn
    assert db.recipients("arrangement.party_left") == {
        people.signatory[COUNCIL],
        people.signatory[TRUST],
        people.poc[COUNCIL],
        people.poc[TRUST],
    }
    assert db.recipients("arrangement.submitted", "pending") == set()
    # the two who remain approve version 2, and it comes into force between them alone
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    for agency in (COUNCIL, TRUST):
        approve_arrangement(session, reference=ref, actor=people.signatory[agency], now=now)
    assert _get(session, Arrangement, reference=ref).status == ArrangementStatus.ACTIVE


def test_a_draft_left_by_a_withdrawing_party_stays_a_draft_and_never_activates_one_sided(
    session, people, now
) -> None:
    ref = drafted(session, people, now)  # the council discloses to the trust
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    events = withdraw_agency(
        session, agency=TRUST, reason="Leaving", actor=people.signatory[TRUST], now=now
    )
    (completed,) = [e for e in events if e.name == "withdrawal.completed"]
    assert completed.as_dict()["redrafted"] == (ref,)
    assert completed.as_dict()["terminated"] == completed.as_dict()["left"] == ()
    assert _get(session, Arrangement, reference=ref).status == ArrangementStatus.DRAFT
    # the council's signatory alone cannot bring a one-sided arrangement into force
    with pytest.raises(IllegalTransition):
        approve_arrangement(session, reference=ref, actor=people.signatory[COUNCIL], now=now)


def _under_review(session: Session, people: People, now: pendulum.DateTime) -> tuple[str, str]:
    """An arrangement in force whose review has opened, and a grant of access under it."""
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)
    due = _get(session, Arrangement, reference=ref).next_review_due
    assert due is not None
    open_due_reviews(session, as_of=due, policy=ReviewPolicy(), now=now, actor="system:test")
    assert _get(session, Arrangement, reference=ref).status == ArrangementStatus.UNDER_REVIEW
    return ref, grant


def test_a_suspension_suspends_an_arrangement_under_review_its_access_and_names_it(
    db: Database, session, people, now
) -> None:
    reviewed, grant = _under_review(session, people, now)
    events = raise_suspension(
        session, agency=TRUST, reason="Serious breach", actor=people.signatory[TRUST], now=now
    )
    assert events[0].as_dict()["arrangements"] == (reviewed,)
    assert _get(session, Arrangement, reference=reviewed).status == ArrangementStatus.SUSPENDED
    assert _grant(session, grant).status == AccessGrantStatus.PAUSED
    with db.engine.connect() as conn:
        bodies = [
            row[0]
            for row in conn.execute(
                text("SELECT context FROM outbox WHERE event = 'suspension.raised'")
            )
        ]
    assert bodies and all(reviewed in str(body) for body in bodies)


def test_an_arrangement_suspended_under_review_returns_under_review_on_resumption(
    session, people, now
) -> None:
    reviewed, grant = _under_review(session, people, now)
    running = active(session, people, now)
    events = _held_on_day_10(session, people, now, MeetingOutcome.RESUME)
    ended = next(e.as_dict() for e in events if e.name == "suspension.ended")
    assert set(ended["arrangements"]) == {reviewed, running}
    assert _get(session, Arrangement, reference=reviewed).status == ArrangementStatus.UNDER_REVIEW
    assert _get(session, Arrangement, reference=running).status == ArrangementStatus.ACTIVE
    assert _get(
        session,
        Review,
        arrangement_id=_get(session, Arrangement, reference=reviewed).id,
        status=ReviewStatus.OPEN,
    )
    assert _grant(session, grant).status == AccessGrantStatus.ACTIVE


def test_attesting_a_paused_grant_is_refused_and_audited_and_writes_nothing_else(
    db: Database, session, people, now
) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    assert _grant(session, grant).status == AccessGrantStatus.PAUSED
    before = db.snapshot(exclude=("audit_event", "audit_head"))
    audit_before = db.count("audit_event")
    with pytest.raises(Refused, match=f"{grant} is paused while its arrangement is suspended"):
        attest_access(session, grant=grant, actor=people.poc[TRUST], now=now.add(days=1))
    assert db.snapshot(exclude=("audit_event", "audit_head")) == before
    assert db.count("audit_event") == audit_before + 1
    assert db.count("audit_event", "outcome = 'refused' AND action = 'access.attest'") == 1
