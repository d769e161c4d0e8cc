"""The long waits of §41 and §42 replayed day by day on real SQLite and PostgreSQL: a suspension's
day 7, 14, 25 and 30 checks and the deadline sweep, each action taken once however many times
either runs; the resolution meeting's three outcomes on day 10; a withdrawal given notice of now
and carried out on its effective date; and the mark that a matter's flow has started."""

from collections import Counter

import pendulum
import pytest
from sqlmodel import Session, select

from models.enums import (
    AccessGrantStatus,
    AgencyStatus,
    ArrangementStatus,
    MeetingOutcome,
    SuspensionStatus,
    WithdrawalStatus,
)
from models.errors import NotFound, Refused
from models.tables import AccessGrant, Agency, Arrangement, Suspension, Withdrawal
from tasks.deadlines import sweep_deadlines
from tasks.protocol.suspensions import (
    check_suspension,
    raise_suspension,
    record_meeting,
    schedule_meeting,
)
from tasks.protocol.withdrawals import complete_withdrawal, withdraw_agency
from tests.conftest import Database
from tests.utils.factories import (
    COUNCIL,
    POLICE,
    TRUST,
    People,
    active,
    granted,
    parties,
)

SUS = "SUS-2026-0001"
SYSTEM = "system:prefect"
CHASERS = (
    "suspension.meeting_reminder",
    "suspension.escalated",
    "suspension.ending_soon",
    "suspension.ended",
)


def _status(session: Session, model, **where):  # type: ignore[no-untyped-def]
    session.expire_all()
    stmt = select(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return session.exec(stmt).one().status


def _every_signatory_and_the_chair(people: People) -> set[str]:
    return set(people.signatory.values()) | {people.chair}


def _replay(
    db: Database, session: Session, now: pendulum.DateTime, days: range
) -> dict[int, Counter[str]]:
    """Each day at 10:00 London: the checker run and the deadline sweep, each twice; what each
    day queued, by event."""
    seen: dict[int, Counter[str]] = {}
    for day in days:
        at = now.add(days=day)
        before = {event: db.count("outbox", f"event = '{event}'") for event in CHASERS}
        for _ in range(2):
            check_suspension(session, suspension=SUS, as_of=at.date(), actor=SYSTEM, now=at)
            sweep_deadlines(session, as_of=at.date(), actor=SYSTEM, now=at)
        seen[day] = Counter(
            {
                event: db.count("outbox", f"event = '{event}'") - count
                for event, count in before.items()
                if db.count("outbox", f"event = '{event}'") > count
            }
        )
    return seen


def _days_with(seen: dict[int, Counter[str]], event: str) -> list[int]:
    return [day for day, events in seen.items() if events[event]]


def test_a_30_day_suspension_replayed_day_by_day_acts_once_on_days_7_14_25_and_30(
    db: Database, session, people, now
) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)
    raise_suspension(
        session, agency=TRUST, reason="Laptop stolen", actor=people.signatory[TRUST], now=now
    )
    seen = _replay(db, session, now, range(0, 32))
    assert _days_with(seen, "suspension.meeting_reminder") == [7]
    assert _days_with(seen, "suspension.escalated") == [14]
    assert _days_with(seen, "suspension.ending_soon") == [25]
    assert _days_with(seen, "suspension.ended") == [30]
    # day 7 goes to the chairs; the rest to every signatory of every partner and the chairs
    assert db.recipients("suspension.meeting_reminder") == {people.chair}
    for event in CHASERS[1:]:
        assert db.recipients(event) == _every_signatory_and_the_chair(people), event
    # each action is one audit event, however often the checker and the sweep ran
    for action in (
        "suspension.remind_chairs",
        "suspension.escalate",
        "suspension.notice_end",
        "suspension.end",
    ):
        assert db.count("audit_event", f"action = '{action}' AND outcome = 'done'") == 1, action
    assert _status(session, Suspension, reference=SUS) == SuspensionStatus.ENDED
    assert _status(session, Agency, name=TRUST) == AgencyStatus.MEMBER
    assert _status(session, Arrangement, reference=ref) == ArrangementStatus.ACTIVE
    assert _status(session, AccessGrant, reference=grant) == AccessGrantStatus.ACTIVE


def test_the_suspension_holds_until_the_end_time_on_day_30_not_the_start_of_the_day(
    session, people, now
) -> None:
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    morning = now.add(days=30).subtract(hours=1)
    # a rehearsal with as_of day 30 but the clock before the end: not ended
    check_suspension(session, suspension=SUS, as_of=morning.date(), actor=SYSTEM, now=morning)
    assert _status(session, Suspension, reference=SUS) != SuspensionStatus.ENDED
    done = check_suspension(
        session, suspension=SUS, as_of=now.add(days=30).date(), actor=SYSTEM, now=now.add(days=30)
    )
    assert done == ["day 30: ended, the agency's obligations, arrangements and access resumed"]


def test_a_checker_that_runs_late_sends_only_what_is_still_useful(
    db: Database, session, people, now
) -> None:
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    # nothing ran until day 26: no day-7 reminder (the deadline has passed), one escalation,
    # one notice of the end
    late = now.add(days=26)
    reports = sweep_deadlines(session, as_of=late.date(), actor=SYSTEM, now=late)
    assert [a["action"] for a in reports[0].acted] == [
        "no meeting held, every signatory and the chairs told",
        "notice that it ends 2026-12-25",
    ]
    assert db.count("outbox", "event = 'suspension.meeting_reminder'") == 0


@pytest.mark.parametrize("outcome", list(MeetingOutcome))
def test_a_meeting_held_on_day_10_settles_what_the_checkers_then_do(
    db: Database, session, people, now, outcome: MeetingOutcome
) -> None:
    ref = active(session, people, now)
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    schedule_meeting(
        session,
        place="Room 2, County Hall",
        suspension=SUS,
        at=now.add(days=10),
        actor=people.chair,
        now=now.add(days=2),
    )
    seen = _replay(db, session, now, range(0, 10))
    record_meeting(
        session,
        suspension=SUS,
        outcome=outcome,
        attendees=[people.signatory[COUNCIL], people.signatory[TRUST], people.chair],
        risk_assessment="Breach contained; controls re-tested",
        actor=people.chair,
        now=now.add(days=10),
    )
    seen |= _replay(db, session, now, range(10, 32))
    # a meeting was set by day 7 and held by day 14: no reminder, no escalation, whatever it
    # decided
    assert _days_with(seen, "suspension.meeting_reminder") == []
    assert _days_with(seen, "suspension.escalated") == []
    if outcome == MeetingOutcome.CONTINUE:
        assert _days_with(seen, "suspension.ending_soon") == [25]
        assert _days_with(seen, "suspension.ended") == [30]
        assert _status(session, Arrangement, reference=ref) == ArrangementStatus.ACTIVE
    else:
        # resume ended it at the meeting; withdraw ended it with the withdrawal
        assert _days_with(seen, "suspension.ending_soon") == []
        assert _days_with(seen, "suspension.ended") == []
        assert _status(session, Suspension, reference=SUS) == SuspensionStatus.ENDED
    expected = {
        MeetingOutcome.RESUME: (AgencyStatus.MEMBER, ArrangementStatus.ACTIVE),
        MeetingOutcome.CONTINUE: (AgencyStatus.MEMBER, ArrangementStatus.ACTIVE),
        MeetingOutcome.WITHDRAW: (AgencyStatus.WITHDRAWN, ArrangementStatus.TERMINATED),
    }[outcome]
    assert (
        _status(session, Agency, name=TRUST),
        _status(session, Arrangement, reference=ref),
    ) == expected


def test_a_meeting_set_but_not_held_by_day_14_is_escalated_with_its_time(
    db: Database, session, people, now
) -> None:
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    schedule_meeting(
        session,
        place="Room 2, County Hall",
        suspension=SUS,
        at=now.add(days=14),
        actor=people.chair,
        now=now.add(days=1),
    )
    seen = _replay(db, session, now, range(0, 15))
    assert _days_with(seen, "suspension.meeting_reminder") == []
    assert _days_with(seen, "suspension.escalated") == [14]
    with db.engine.connect() as conn:
        from sqlalchemy import text

        body = conn.execute(
            text(
                "SELECT m.message FROM outbox o JOIN outbox_message m ON m.outbox_id = o.id "
                "WHERE o.event = 'suspension.escalated' AND o.recipient = :r"
            ),
            {"r": people.chair},
        ).scalar_one()
    assert "A meeting is set for" in body
    # the chair records it by the personal link in the email, not a command
    assert "Open your personal link to record the meeting once it is held" in body
    assert "isa meeting" not in body


def test_a_meeting_never_set_cannot_be_recorded_and_the_refusal_says_what_to_do(
    db: Database, session, people, now
) -> None:
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    before = db.snapshot(exclude=("audit_event", "audit_head"))
    with pytest.raises(Refused, match=f"no meeting has been set for {SUS}: set it first$"):
        record_meeting(
            session,
            suspension=SUS,
            outcome=MeetingOutcome.RESUME,
            attendees=[people.chair],
            risk_assessment="x",
            actor=people.chair,
            now=now.add(days=1),
        )
    assert db.snapshot(exclude=("audit_event", "audit_head")) == before


def test_a_check_of_an_unknown_suspension_says_so(session, people, now) -> None:
    with pytest.raises(NotFound, match="no suspension 'SUS-2099-0001'"):
        check_suspension(
            session, suspension="SUS-2099-0001", as_of=now.date(), actor=SYSTEM, now=now
        )


# --- withdrawal on its effective date -------------------------------------------------------------


def test_a_withdrawal_with_a_later_effective_date_takes_effect_on_that_date_once(
    db: Database, session, people, now
) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)
    effective = now.add(days=31).date()
    events = withdraw_agency(
        session,
        agency=TRUST,
        reason="Service moving to a regional body",
        actor=people.signatory[TRUST],
        now=now,
        effective_on=effective,
    )
    assert [e.name for e in events] == ["withdrawal.noticed"]
    # the chairs have the written notice, every partner is told, nothing has changed yet
    assert db.recipients("withdrawal.noticed") == _every_signatory_and_the_chair(people)
    assert _status(session, Agency, name=TRUST) == AgencyStatus.MEMBER
    assert _status(session, Arrangement, reference=ref) == ArrangementStatus.ACTIVE
    day_before = now.add(days=30)
    assert (
        complete_withdrawal(
            session, withdrawal="WDR-2026-0001", as_of=day_before.date(), actor=SYSTEM, now=now
        )
        == []
    )
    # a second notice while the first is pending is refused, and writes nothing
    snapshot = db.snapshot(exclude=("audit_event", "audit_head"))
    with pytest.raises(Refused, match="already given notice of withdrawal under WDR-2026-0001"):
        withdraw_agency(
            session, agency=TRUST, reason="Again", actor=people.signatory[TRUST], now=now
        )
    assert db.snapshot(exclude=("audit_event", "audit_head")) == snapshot
    on_the_day = pendulum.datetime(2026, 12, 26, 0, 5, tz="Europe/London")
    for _ in range(2):
        reports = sweep_deadlines(session, as_of=effective, actor=SYSTEM, now=on_the_day)
    assert db.count("audit_event", "action = 'withdrawal.complete' AND outcome = 'done'") == 1
    assert reports[1].acted == []  # the second sweep found nothing left to do
    assert _status(session, Withdrawal, reference="WDR-2026-0001") == WithdrawalStatus.COMPLETED
    assert _status(session, Agency, name=TRUST) == AgencyStatus.WITHDRAWN
    assert _status(session, Arrangement, reference=ref) == ArrangementStatus.TERMINATED
    assert _status(session, AccessGrant, reference=grant) == AccessGrantStatus.REVOKED
    assert db.recipients("withdrawal.completed") == _every_signatory_and_the_chair(people)


def test_withdrawal_from_two_and_three_party_arrangements_says_what_ended_and_what_continues(
    session, people, now
) -> None:
    two = active(
        session, people, now, parties=parties((COUNCIL, "discloser"), (POLICE, "recipient"))
    )
    three = active(
        session,
        people,
        now,
        parties=parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "recipient")),
    )
    events = withdraw_agency(
        session, agency=POLICE, reason="Merged", actor=people.signatory[POLICE], now=now
    )
    (completed,) = [e.as_dict() for e in events if e.name == "withdrawal.completed"]
    assert (completed["terminated"], completed["left"]) == ((two,), (three,))
    assert _status(session, Arrangement, reference=two) == ArrangementStatus.TERMINATED
    assert _status(session, Arrangement, reference=three) == ArrangementStatus.UNDER_REVIEW
