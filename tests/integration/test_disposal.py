"""Disposal of shared data when an arrangement ends (§9, §35-§37): a task per recipient due at
the end plus the retention period, confirmed by that agency's nominated representative, and the
arrangement closed when the last is confirmed."""

import pendulum
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from models.enums import ArrangementStatus, DisposalTaskStatus, ReviewOutcome
from models.errors import IllegalTransition, InvalidInput, Refused
from models.tables import Arrangement, DisposalTask
from tasks.protocol.disposal import confirm_disposal, schedule_disposal
from tasks.protocol.reviews import complete_review
from tests.conftest import Database
from tests.utils.factories import COUNCIL, POLICE, TRUST, People, active, parties, reviewable


def _terminated(session: Session, people: People, now: pendulum.DateTime, **changes) -> str:  # type: ignore[no-untyped-def]
    ref = reviewable(session, people, now, **changes)
    complete_review(
        session,
        reference=ref,
        outcome=ReviewOutcome.TERMINATE,
        actor=people.signatory[COUNCIL],
        now=now,
    )
    return ref


def _tasks(session: Session) -> list[DisposalTask]:
    session.expire_all()
    return list(session.exec(select(DisposalTask).order_by(DisposalTask.id)).all())  # type: ignore[arg-type]


def _status(session: Session, ref: str) -> ArrangementStatus:
    session.expire_all()
    return session.exec(select(Arrangement.status).where(Arrangement.reference == ref)).one()


def test_each_recipient_gets_a_task_due_at_the_end_plus_retention(
    db: Database, session, people, now
) -> None:
    three = parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "both"))
    ref = _terminated(session, people, now, parties=three)
    events = schedule_disposal(session, arrangement=ref, actor="system:test", now=now)
    assert [e.name for e in events] == ["disposal.scheduled", "disposal.scheduled"]
    tasks = _tasks(session)
    # the template keeps data 24 months: ended 25 Nov 2026, destroy by 25 Nov 2028
    assert [(t.reference, t.due_on, t.status) for t in tasks] == [
        ("DSP-2026-0001", pendulum.date(2028, 11, 25), DisposalTaskStatus.PENDING),
        ("DSP-2026-0002", pendulum.date(2028, 11, 25), DisposalTaskStatus.PENDING),
    ]
    assert _status(session, ref) == ArrangementStatus.DISPOSAL_PENDING
    with db.engine.connect() as conn:
        recipients = {
            r[0]
            for r in conn.execute(
                text("SELECT recipient FROM outbox WHERE event = 'disposal.scheduled'")
            )
        }
    assert recipients == {
        people.rep[TRUST],
        people.poc[TRUST],
        people.rep[POLICE],
        people.poc[POLICE],
    }
    # a second call (the trigger and the sweep both) does nothing
    assert schedule_disposal(session, arrangement=ref, actor="system:test", now=now) == []
    assert len(_tasks(session)) == 2


def test_an_active_arrangement_gets_no_disposal_tasks(session, people, now) -> None:
    ref = active(session, people, now)
    assert schedule_disposal(session, arrangement=ref, actor="system:test", now=now) == []
    assert _tasks(session) == []


def test_only_that_agencys_nominated_representative_confirms(
    db: Database, session, people, now
) -> None:
    ref = _terminated(session, people, now)
    schedule_disposal(session, arrangement=ref, actor="system:test", now=now)
    for wrong in (people.rep[COUNCIL], people.poc[TRUST], people.signatory[TRUST]):
        with pytest.raises(Refused, match=f"is not a nominated representative of {TRUST}"):
            confirm_disposal(
                session,
                task="DSP-2026-0001",
                method="Shredded",
                certificate="C1",
                actor=wrong,
                now=now,
            )
    with pytest.raises(InvalidInput, match="the certificate reference is required"):
        confirm_disposal(
            session,
            task="DSP-2026-0001",
            method="Shredded",
            certificate=" ",
            actor=people.rep[TRUST],
            now=now,
        )
    assert _tasks(session)[0].status == DisposalTaskStatus.PENDING


def test_the_last_confirmation_closes_the_arrangement_and_tells_every_party(
    db: Database, session, people, now
) -> None:
    three = parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "recipient"))
    ref = _terminated(session, people, now, parties=three)
    schedule_disposal(session, arrangement=ref, actor="system:test", now=now)
    later = now.add(months=3)
    first = confirm_disposal(
        session,
        task="DSP-2026-0001",
        method="Secure deletion",
        certificate="CERT-1",
        actor=people.rep[TRUST],
        now=later,
    )
    assert [e.name for e in first] == ["disposal.confirmed"]
    assert _status(session, ref) == ArrangementStatus.DISPOSAL_PENDING
    last = confirm_disposal(
        session,
        task="DSP-2026-0002",
        method="Secure deletion",
        certificate="CERT-2",
        actor=people.rep[POLICE],
        now=later,
    )
    assert [e.name for e in last] == ["disposal.confirmed", "arrangement.closed"]
    assert _status(session, ref) == ArrangementStatus.CLOSED
    task = _tasks(session)[1]
    assert (task.certificate, task.confirmed_by) == ("CERT-2", people.rep[POLICE])
    with pytest.raises(
        IllegalTransition, match="cannot confirm disposal task DSP-2026-0002: it is confirmed"
    ):
        confirm_disposal(
            session,
            task="DSP-2026-0002",
            method="x",
            certificate="y",
            actor=people.rep[POLICE],
            now=later,
        )
    with db.engine.connect() as conn:
        told = {
            r[0]
            for r in conn.execute(
                text("SELECT recipient FROM outbox WHERE event = 'arrangement.closed'")
            )
        }
    assert people.signatory[COUNCIL] in told and people.poc[POLICE] in told


def _sweep(session: Session, day: pendulum.Date) -> dict:  # type: ignore[type-arg]
    from models.policies import DisposalPolicy
    from tasks.protocol.disposal import sweep_disposals

    at = pendulum.datetime(day.year, day.month, day.day, 6, 45, tz="Europe/London").in_timezone(
        "UTC"
    )
    return {
        r.phase: r
        for r in sweep_disposals(
            session, as_of=day, policy=DisposalPolicy(), now=at, actor="system:test"
        )
    }


DUE = pendulum.date(2028, 11, 25)  # ended 25 Nov 2026, kept 24 months


def test_the_sweep_schedules_what_ended_then_reminds_and_escalates(
    db: Database, session, people, now
) -> None:
    ref = _terminated(session, people, now)
    scheduled = _sweep(session, pendulum.date(2026, 11, 26))["scheduled"]
    assert [r["reference"] for r in scheduled.acted] == [ref]
    assert _sweep(session, DUE.subtract(days=31))["reminders"].acted == []
    assert len(_sweep(session, DUE.subtract(days=30))["reminders"].acted) == 1
    assert _sweep(session, DUE.subtract(days=29))["reminders"].acted == []
    assert len(_sweep(session, DUE.subtract(days=7))["reminders"].acted) == 1
    assert db.recipients("disposal.reminder") == {people.rep[TRUST], people.poc[TRUST]}
    assert _sweep(session, DUE)["overdue"].acted == []
    overdue = _sweep(session, DUE.add(days=1))["overdue"]
    assert [r["action"] for r in overdue.acted] == ["overdue: DPO told"]
    assert people.dpo[TRUST] in db.recipients("disposal.overdue")
    assert _sweep(session, DUE.add(days=29))["overdue"].acted == []
    escalated = _sweep(session, DUE.add(days=30))["overdue"]
    assert [r["action"] for r in escalated.acted] == ["escalated to the chairs"]
    assert db.recipients("disposal.escalated") == {people.chair, people.dpo[TRUST]}
    outbox, audit = db.count("outbox"), db.count("audit_event")
    again = _sweep(session, DUE.add(days=30))
    assert all(phase.acted == [] for phase in again.values())
    assert (db.count("outbox"), db.count("audit_event")) == (outbox, audit)


def test_a_confirmed_task_is_no_longer_chased(session, people, now) -> None:
    ref = _terminated(session, people, now)
    schedule_disposal(session, arrangement=ref, actor="system:test", now=now)
    confirm_disposal(
        session,
        task="DSP-2026-0001",
        method="Shredded",
        certificate="C1",
        actor=people.rep[TRUST],
        now=now,
    )
    assert _status(session, ref) == ArrangementStatus.CLOSED
    report = _sweep(session, DUE.add(days=40))
    assert all(phase.acted == [] for phase in report.values())


def test_a_recipient_leaving_a_continuing_arrangement_gets_its_own_task(
    session, people, now
) -> None:
    from tasks.protocol.withdrawals import withdraw_agency

    three = parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "recipient"))
    ref = active(session, people, now, parties=three)
    events = withdraw_agency(
        session, agency=POLICE, reason="Merged", actor=people.signatory[POLICE], now=now
    )
    assert "disposal.scheduled" in [e.name for e in events]
    tasks = _tasks(session)
    assert [(t.due_on, t.status) for t in tasks] == [
        (pendulum.date(2028, 11, 25), DisposalTaskStatus.PENDING)
    ]
    assert _status(session, ref) == ArrangementStatus.UNDER_REVIEW
