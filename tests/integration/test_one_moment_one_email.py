"""One moment, one email per person: a withdrawal effective today is one "has withdrawn" email
that also gives the notice (not a notice and a completion in the same second), and a meeting that
resumes the agency is one "meeting held" email that lists what is active again (not a meeting
held and a suspension ended). A notice for a later date, or a meeting that continues, still sends
its own email, and the suspension ending on day 30 still says so."""

import email
from collections import Counter
from email.policy import default as default_policy

import pendulum
from sqlalchemy import text
from sqlmodel import Session

from models.enums import MeetingOutcome
from tasks.protocol.suspensions import (
    end_suspension,
    raise_suspension,
    record_meeting,
    schedule_meeting,
)
from tasks.protocol.withdrawals import withdraw_agency
from tests.conftest import Database
from tests.utils.factories import TRUST, People, active, parties


def _emails(db: Database) -> list[tuple[str, str, str]]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT o.recipient, o.event, m.message FROM outbox o "
                "JOIN outbox_message m ON m.outbox_id = o.id WHERE o.status = 'pending'"
            )
        ).all()
    return [(r, e, m) for r, e, m in rows]


def _between_the_council_and_the_trust(
    session: Session, people: People, now: pendulum.DateTime
) -> str:
    """An active arrangement the council discloses under and the trust receives under."""
    pair = parties(("Northshire County Council", "discloser"), (TRUST, "recipient"))
    return active(session, people, now, parties=pair)


def _forget_the_emails_so_far(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM outbox_message"))
        conn.execute(text("DELETE FROM outbox"))


def _text(message: str) -> str:
    parsed = email.message_from_string(message, policy=default_policy)
    body = parsed.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_a_withdrawal_effective_today_is_one_email_to_each_person(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    ref = _between_the_council_and_the_trust(session, people, now)
    _forget_the_emails_so_far(db)
    withdraw_agency(
        session,
        agency=TRUST,
        reason="Merging into a regional service",
        actor=people.signatory[TRUST],
        now=now,
    )

    sent = [row for row in _emails(db) if row[1].startswith("withdrawal.")]
    per_person = Counter(recipient for recipient, _, _ in sent)
    assert per_person and set(per_person.values()) == {1}
    assert {event for _, event, _ in sent} == {"withdrawal.completed"}
    to_chair = next(m for r, _, m in sent if r == people.chair)
    body = _text(to_chair)
    assert "gave notice today that it withdraws" in body
    assert "Merging into a regional service" in body
    assert "This email is the written notice to the chairs that §42 requires" in body
    # the arrangement it ended is listed with its title beside its reference
    assert (
        f"  - {ref} Early help referrals between Northshire Council and Northshire NHS Trust"
        in body
    )


def test_a_notice_for_a_later_date_is_still_its_own_email(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    withdraw_agency(
        session,
        agency=TRUST,
        reason="Merging",
        actor=people.signatory[TRUST],
        now=now,
        effective_on=pendulum.date(2026, 12, 31),
    )
    assert db.recipients("withdrawal.noticed") >= {people.chair, people.signatory[TRUST]}
    assert db.recipients("withdrawal.completed") == set()


def test_a_meeting_that_resumes_the_agency_is_one_email_listing_what_is_active_again(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    ref = _between_the_council_and_the_trust(session, people, now)
    [raised] = raise_suspension(
        session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now
    )
    suspension = raised.as_dict()["suspension"]
    at = now.add(hours=2)
    schedule_meeting(
        session,
        place="Room 2, County Hall",
        suspension=suspension,
        at=at,
        actor=people.chair,
        now=now,
    )
    _forget_the_emails_so_far(db)
    record_meeting(
        session,
        suspension=suspension,
        outcome=MeetingOutcome.RESUME,
        attendees=[people.chair, people.signatory[TRUST]],
        risk_assessment="Controls restored",
        actor=people.chair,
        now=at,
    )

    sent = [row for row in _emails(db) if row[1].startswith("suspension.")]
    per_person = Counter(recipient for recipient, _, _ in sent)
    assert per_person and set(per_person.values()) == {1}
    assert {event for _, event, _ in sent} == {"suspension.meeting_held"}
    body = _text(next(m for r, _, m in sent if r == people.signatory[TRUST]))
    assert "the suspension ends now" in body
    assert "These arrangements are active again:" in body and ref in body
    assert "you will receive word that the suspension has ended" not in body
    # people are named with their agency, not addressed
    attending = body.split("Attending: ")[1].splitlines()[0]
    assert attending == (
        "Chris Chair (chair of the Information Governance Monitoring Group) and "
        f"Signatory of {TRUST} ({TRUST})."
    )


def test_a_meeting_that_continues_and_day_30_are_still_two_emails(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    [raised] = raise_suspension(
        session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now
    )
    suspension = raised.as_dict()["suspension"]
    at = now.add(hours=2)
    schedule_meeting(
        session,
        place="Room 2, County Hall",
        suspension=suspension,
        at=at,
        actor=people.chair,
        now=now,
    )
    record_meeting(
        session,
        suspension=suspension,
        outcome=MeetingOutcome.CONTINUE,
        attendees=[people.chair],
        risk_assessment="Not yet",
        actor=people.chair,
        now=at,
    )
    end_suspension(session, suspension=suspension, actor="system:test", now=now.add(days=30))
    assert people.chair in db.recipients("suspension.meeting_held")
    assert people.chair in db.recipients("suspension.ended")
