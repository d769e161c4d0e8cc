"""The daily access sweep as plain functions: each reason access ends (§10), attestation
reminders and grace, training reminders, idempotency and replay by `as_of`."""

import pendulum
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from models.enums import AccessGrantStatus, ReviewOutcome
from models.errors import Refused
from models.policies import AccessPolicy
from models.tables import AccessGrant
from tasks.protocol.access import attest_access, grant_access, mark_leaver
from tasks.protocol.access_sweep import sweep_access
from tasks.protocol.reviews import complete_review
from tasks.protocol.suspensions import raise_suspension
from tests.conftest import Database
from tests.utils.factories import COUNCIL, TRUST, active, granted, reviewable, trained

TODAY = pendulum.date(2026, 11, 25)
LONG_ATTESTATION = AccessPolicy(attest_every_months=24)
DEFAULT = AccessPolicy()


def _sweep(session: Session, day: pendulum.Date, policy: AccessPolicy = DEFAULT) -> dict:  # type: ignore[type-arg]
    at = pendulum.datetime(day.year, day.month, day.day, 6, 30, tz="Europe/London")
    reports = sweep_access(
        session, as_of=day, policy=policy, now=at.in_timezone("UTC"), actor="system:test"
    )
    return {r.phase: r for r in reports}


def _grant(session: Session, ref: str) -> AccessGrant:
    session.expire_all()
    return session.exec(select(AccessGrant).where(AccessGrant.reference == ref)).one()


def _mail(db: Database, event: str) -> list[tuple[str, str]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT subject_ref, recipient FROM outbox WHERE event = :e ORDER BY id"),
            {"e": event},
        ).all()
    return [(r[0], r[1]) for r in rows]


def test_a_grant_is_revoked_on_its_expiry_date(db: Database, session, people, now) -> None:
    ref = active(session, people, now)
    staff = trained(session, people, TRUST, now)
    events = grant_access(
        session,
        arrangement=ref,
        email=staff,
        justification="Case work",
        expires_on=TODAY.add(days=3),
        actor=people.rep[TRUST],
        now=now,
    )
    grant = str(events[0].as_dict()["grant"])
    assert _sweep(session, TODAY.add(days=2))["revoked"].acted == []
    report = _sweep(session, TODAY.add(days=3))
    assert [(r["reference"], r["detail"]) for r in report["revoked"].acted] == [
        (grant, "access expired on 2026-11-28")
    ]
    held = _grant(session, grant)
    assert (held.status, held.revoked_reason) == (
        AccessGrantStatus.REVOKED,
        "access expired on 2026-11-28",
    )
    # the staff member's point of contact and the data owner's nominated representative hear
    recipients = {r for _, r in _mail(db, "access.revoked")}
    assert {people.poc[TRUST], people.rep[COUNCIL]} <= recipients


def test_access_on_a_terminated_arrangement_is_revoked(session, people, now) -> None:
    ref = reviewable(session, people, now)
    grant = granted(session, people, ref, TRUST, now)
    complete_review(
        session,
        reference=ref,
        outcome=ReviewOutcome.TERMINATE,
        actor=people.signatory[COUNCIL],
        now=now,
    )
    report = _sweep(session, TODAY)
    assert [r["detail"] for r in report["revoked"].acted] == [f"arrangement {ref} is terminated"]
    assert _grant(session, grant).status == AccessGrantStatus.REVOKED


def test_access_paused_by_a_suspension_is_not_revoked(session, people, now) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    assert _sweep(session, TODAY.add(days=1))["revoked"].acted == []
    assert _grant(session, grant).status == AccessGrantStatus.PAUSED


def test_a_leavers_access_is_revoked(session, people, now) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)
    with pytest.raises(Refused, match="may not record"):
        mark_leaver(session, email=people.staff[TRUST], actor=people.poc[COUNCIL], now=now)
    mark_leaver(session, email=people.staff[TRUST], actor=people.poc[TRUST], now=now)
    report = _sweep(session, TODAY)
    assert [r["detail"] for r in report["revoked"].acted] == [
        "the staff member has left the agency"
    ]
    assert _grant(session, grant).status == AccessGrantStatus.REVOKED


def test_access_goes_when_training_lapses_after_a_reminder(
    db: Database, session, people, now
) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)  # training expires 25 Nov 2027
    assert (
        _sweep(session, pendulum.date(2027, 10, 25), LONG_ATTESTATION)["training reminders"].acted
        == []
    )
    reminded = _sweep(session, pendulum.date(2027, 10, 26), LONG_ATTESTATION)["training reminders"]
    assert [r["reference"] for r in reminded.acted] == [people.staff[TRUST]]
    assert {r for _, r in _mail(db, "training.expiring")} == {
        people.staff[TRUST],
        people.poc[TRUST],
    }
    assert (
        _sweep(session, pendulum.date(2027, 10, 27), LONG_ATTESTATION)["training reminders"].acted
        == []
    )
    assert _sweep(session, pendulum.date(2027, 11, 24), LONG_ATTESTATION)["revoked"].acted == []
    report = _sweep(session, pendulum.date(2027, 11, 25), LONG_ATTESTATION)
    assert [r["detail"] for r in report["revoked"].acted] == [
        "the staff member's training has lapsed (§12)"
    ]
    assert _grant(session, grant).status == AccessGrantStatus.REVOKED


def test_attestation_is_reminded_before_it_falls_due_and_revoked_after_grace(
    db: Database, session, people, now
) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)  # due 25 May 2027, grace to 8 June
    assert _sweep(session, pendulum.date(2027, 5, 10))["attestation reminders"].acted == []
    reminded = _sweep(session, pendulum.date(2027, 5, 11))["attestation reminders"]
    assert [r["detail"] for r in reminded.acted] == ["due 2027-05-25"]
    assert [r for _, r in _mail(db, "access.attestation_due")] == [people.poc[TRUST]]
    assert _sweep(session, pendulum.date(2027, 5, 12))["attestation reminders"].acted == []
    assert _sweep(session, pendulum.date(2027, 6, 8))["revoked"].acted == []
    report = _sweep(session, pendulum.date(2027, 6, 9))
    assert [r["reference"] for r in report["revoked"].acted] == [grant]
    assert "not re-attested" in _grant(session, grant).revoked_reason  # type: ignore[operator]


def test_an_attested_grant_is_kept_and_reminded_again_next_cycle(session, people, now) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)
    _sweep(session, pendulum.date(2027, 5, 11))
    with pytest.raises(Refused, match="is not a point of contact"):
        attest_access(session, grant=grant, actor=people.rep[COUNCIL], now=now)
    attested_at = pendulum.datetime(2027, 5, 20, 10, tz="Europe/London")
    attest_access(session, grant=grant, actor=people.poc[TRUST], now=attested_at)
    assert _sweep(session, pendulum.date(2027, 6, 9))["revoked"].acted == []
    assert _grant(session, grant).status == AccessGrantStatus.ACTIVE
    # next due 20 Nov 2027: reminded again from 6 Nov
    assert _sweep(session, pendulum.date(2027, 11, 5))["attestation reminders"].acted == []
    assert len(_sweep(session, pendulum.date(2027, 11, 6))["attestation reminders"].acted) == 1


def test_a_second_sweep_the_same_day_does_nothing(db: Database, session, people, now) -> None:
    ref = active(session, people, now)
    granted(session, people, ref, TRUST, now)
    mark_leaver(session, email=people.staff[TRUST], actor=people.poc[TRUST], now=now)
    first = _sweep(session, TODAY.add(days=1))
    assert len(first["revoked"].acted) == 1
    outbox, audit = db.count("outbox"), db.count("audit_event")
    second = _sweep(session, TODAY.add(days=1))
    assert all(phase.acted == [] and phase.queued == 0 for phase in second.values())
    assert (db.count("outbox"), db.count("audit_event")) == (outbox, audit)


def test_a_bad_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        AccessPolicy(attest_every_months=0)
    with pytest.raises(ValueError, match="cannot be negative"):
        AccessPolicy(attestation_grace_days=-1)


def test_a_rehearsal_of_a_later_day_reminds_but_revokes_nothing_before_the_clock(
    db: Database, session, people, now
) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)  # re-attestation due 25 May 2027
    rehearsed = pendulum.date(2027, 6, 9)  # past its grace: a revocation is owed that day
    report = {
        r.phase: r
        for r in sweep_access(
            session, as_of=rehearsed, policy=DEFAULT, now=now, actor="system:test"
        )
    }
    assert report["revoked"].acted == []
    assert [(h["reference"], h["action"]) for h in report["revoked"].held] == [
        (grant, "revocation")
    ]
    assert "not re-attested" in report["revoked"].held[0]["detail"]
    assert _grant(session, grant).status == AccessGrantStatus.ACTIVE
    assert _mail(db, "access.revoked") == []
    # the day's notice still goes: the point of contact is asked to re-attest
    assert [r["reference"] for r in report["attestation reminders"].acted] == [grant]
