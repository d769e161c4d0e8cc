"""Delivery against a real SMTP server (aiosmtpd): what arrives, what an outage, a refusal or a
crashed deliverer does to the outbox, and that concurrent deliverers send each email once."""

import asyncio
import email.utils
import json
import signal
import subprocess
import sys
import threading
from collections import Counter
from email.policy import default as default_policy
from pathlib import Path

import pendulum
import pytest
from icalendar import Calendar
from sqlalchemy import text
from sqlmodel import Session, col, select

from core.settings import Settings
from isa.cli import main
from models.enums import ContactRole, MeetingOutcome
from models.errors import InvalidInput
from models.inputs import name_key
from models.tables import Suspension
from notifications.delivery import claim_due, deliver_outbox_sync
from notifications.invitation import meeting_uid
from notifications.message import Sender
from notifications.tables import OutboxEmail, OutboxStatus
from tasks.protocol.register import add_chair, add_contact, register_agency
from tasks.protocol.suspensions import (
    end_suspension,
    raise_suspension,
    record_meeting,
    schedule_meeting,
)
from tasks.protocol.withdrawals import withdraw_agency
from tests.conftest import TEST_MAIL_FROM, Database
from tests.utils import smtp
from tests.utils.factories import ADMIN, COUNCIL, POLICE, TRUST, People, active
from tests.utils.outbox import queue_many
from tests.utils.ports import free_port
from tests.utils.smtp import SMTPServer

smtp_server = smtp.smtp_server  # the fixture: a real aiosmtpd server on a free port

DAY = pendulum.duration(days=1)


def settings_for(server: SMTPServer, **overrides: object) -> Settings:
    return Settings(**server.settings(**overrides))


def emails(session: Session, **where: object) -> list[OutboxEmail]:
    # end any earlier read and forget loaded rows, so what was written since is seen
    session.rollback()
    session.expire_all()
    stmt = select(OutboxEmail).order_by(col(OutboxEmail.id))
    for key, value in where.items():
        stmt = stmt.where(getattr(OutboxEmail, key) == value)
    return list(session.exec(stmt).all())


def sender_of(db: Database) -> Sender:
    with db.engine.connect() as conn:
        identifier = conn.execute(text("SELECT identifier FROM installation")).scalar_one()
    return Sender(installation=identifier, mailbox=TEST_MAIL_FROM)


def calendar_of(message: email.message.EmailMessage, method: str) -> Calendar:
    """The calendar of an email as Outlook and Gmail expect it: a `text/calendar; method=...`
    alternative beside the text and the HTML, and the same attached as invite.ics."""
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.iter_parts()
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    *_, ics = alternative.iter_parts()
    assert ics.get_param("method") == method
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content() == ics.get_content().encode()
    calendar = Calendar.from_ical(ics.get_content())
    assert str(calendar["METHOD"]) == method
    return calendar


def parts(message: email.message.EmailMessage) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if not part.is_multipart()
    }


# --- a state change, through the outbox, to the inbox --------------------------------------------


def test_a_raised_suspension_arrives_for_each_recipient_with_a_text_and_an_html_part(
    db: Database, session, people, now, smtp_server: SMTPServer
) -> None:
    active(session, people, now)
    raise_suspension(
        session,
        agency=TRUST,
        reason="Server breach; see <script>alert('x')</script> & logs",
        actor=people.signatory[TRUST],
        now=now,
    )
    queued = {row.recipient: row for row in emails(session, event="suspension.raised")}
    due = len(emails(session, status=OutboxStatus.PENDING))

    report = deliver_outbox_sync(db.engine, settings_for(smtp_server), now)

    expected = {people.signatory[a] for a in (COUNCIL, TRUST, POLICE)} | {people.chair}
    assert set(queued) == expected
    assert report.sent == due == len(smtp_server.received)
    assert (report.failed, report.retrying, report.relay_error) == (0, 0, None)
    for address, row in queued.items():
        [got] = [
            r
            for r in smtp_server.recorder.to(address)
            if r.message["X-ISA-Reference"] == row.subject_ref
            and r.message["Subject"] == row.subject
        ]
        assert got.rcpt_tos == [address]
        assert got.mail_from == "isa-register@register.example"
        message = got.message
        assert email.utils.parseaddr(str(message["To"]))[1] == address
        assert message.get_content_type() == "multipart/alternative"
        body = parts(message)
        assert set(body) == {"text/plain", "text/html"}
        assert "Server breach; see <script>alert('x')</script> & logs" in body["text/plain"]
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; logs" in body["text/html"]
        assert "<script>" not in body["text/html"]
        assert "must take place by Wednesday 9 December 2026" in body["text/plain"]
        stored = emails(session, id=row.id)[0]
        assert stored.status == OutboxStatus.SENT
        assert stored.message_id == message["Message-ID"] == row.message_id
        assert stored.smtp_reply is not None and stored.smtp_reply.startswith("250 2.0.0 Ok")
        assert stored.sent_at is not None and stored.sent_at >= now
        assert stored.attempts == 1


def test_a_meeting_invitation_carries_an_ics_that_a_move_updates_in_place(
    db: Database, session, people, now, smtp_server: SMTPServer
) -> None:
    [raised] = raise_suspension(
        session, agency=TRUST, reason="Server breach", actor=people.signatory[TRUST], now=now
    )
    ref = raised.as_dict()["suspension"]
    settings = settings_for(smtp_server)
    deliver_outbox_sync(db.engine, settings, now)
    smtp_server.received.clear()

    first = pendulum.datetime(2026, 12, 1, 14, 0, tz="Europe/London")
    schedule_meeting(
        session, place="Room 2, County Hall", suspension=ref, at=first, actor=people.chair, now=now
    )
    deliver_outbox_sync(db.engine, settings, now)
    moved = pendulum.datetime(2026, 12, 3, 9, 30, tz="Europe/London")
    schedule_meeting(
        session,
        place="Room 2, County Hall",
        suspension=ref,
        at=moved,
        actor=people.chair,
        now=now.add(hours=1),
    )
    deliver_outbox_sync(db.engine, settings, now.add(hours=1))

    to_chair = smtp_server.recorder.to(people.chair)
    assert [r.message["Subject"] for r in to_chair] == [
        f"Resolution meeting on {TRUST}'s suspension ({ref}), Tuesday 1 December 2026 at 14:00",
        f"Moved: Resolution meeting on {TRUST}'s suspension ({ref}), "
        "Thursday 3 December 2026 at 09:30",
    ]
    invitations = [calendar_of(received.message, "REQUEST") for received in to_chair]
    events = [cal.walk("VEVENT")[0] for cal in invitations]
    assert [str(e["UID"]) for e in events] == [meeting_uid(ref, sender_of(db))] * 2
    assert [int(e["SEQUENCE"]) for e in events] == [0, 1]
    assert [e.decoded("DTSTART") for e in events] == [first, moved]
    # the register's mailbox organises, as From says, for the chair; the chair attends, with
    # everyone else invited
    assert f"mailto:{people.chair}" in [str(a) for a in events[0]["ATTENDEE"]]
    assert str(events[0]["ORGANIZER"]) == "mailto:isa-register@register.example"
    assert events[0]["ORGANIZER"].params["CN"] == "Information Sharing Register for Chris Chair"
    assert to_chair[0].message["From"] == TEST_MAIL_FROM
    # every signatory got the same calendar entry
    assert len(smtp_server.received) == 8


PLACE = "Room 2, County Hall, Northshire; or join on Teams: https://teams.example/meet/42"


def test_a_meeting_invitation_says_where_or_how_to_join_and_invites_everyone_in_the_ics(
    db: Database, session, people, now, smtp_server: SMTPServer
) -> None:
    [raised] = raise_suspension(
        session, agency=TRUST, reason="Server breach", actor=people.signatory[TRUST], now=now
    )
    ref = raised.as_dict()["suspension"]
    settings = settings_for(smtp_server)
    deliver_outbox_sync(db.engine, settings, now)
    smtp_server.received.clear()
    at = pendulum.datetime(2026, 12, 1, 14, 0, tz="Europe/London")
    schedule_meeting(
        session, suspension=ref, at=at, place=f"  {PLACE} ", actor=people.chair, now=now
    )
    deliver_outbox_sync(db.engine, settings, now)

    invited = {address for r in smtp_server.received for address in r.rcpt_tos}
    assert people.chair in invited and len(invited) == len(smtp_server.received) == 4
    for received in smtp_server.received:
        body = parts(received.message)
        assert PLACE in body["text/plain"]
        assert PLACE in body["text/html"]
        [event] = calendar_of(received.message, "REQUEST").walk("VEVENT")
        assert str(event["LOCATION"]) == PLACE
        assert PLACE in str(event["DESCRIPTION"]) and ref in str(event["DESCRIPTION"])
        # every invitee is an attendee, so each sees who else is invited
        attendees = event["ATTENDEE"]
        assert {str(a).removeprefix("mailto:") for a in attendees} == invited
        assert str(event["ORGANIZER"]) == "mailto:isa-register@register.example"
    with db.session() as s:
        stored = s.exec(select(Suspension).where(Suspension.reference == ref)).one()
    assert stored.meeting_place == PLACE


@pytest.mark.parametrize(
    ("place", "why"),
    [("   ", "is required"), ("x" * 1001, "is longer than 1000 characters")],
    ids=["blank", "too-long"],
)
def test_a_meeting_without_a_place_or_with_an_endless_one_is_refused_and_writes_nothing(
    db: Database, session, people, now, place: str, why: str
) -> None:
    [raised] = raise_suspension(
        session, agency=TRUST, reason="Server breach", actor=people.signatory[TRUST], now=now
    )
    ref = raised.as_dict()["suspension"]
    before = db.snapshot()
    with pytest.raises(InvalidInput, match=why):
        schedule_meeting(
            session,
            suspension=ref,
            at=now.add(days=3),
            place=place,
            actor=people.chair,
            now=now,
        )
    assert db.snapshot() == before


def _invited_for_8_december(
    db: Database, session: Session, people: People, now: pendulum.DateTime, smtp: SMTPServer
) -> tuple[str, pendulum.DateTime, Settings]:
    """A suspension of the trust whose meeting everyone has been invited to for 8 December."""
    [raised] = raise_suspension(
        session, agency=TRUST, reason="Server breach", actor=people.signatory[TRUST], now=now
    )
    ref = raised.as_dict()["suspension"]
    invited = pendulum.datetime(2026, 12, 8, 10, 0, tz="Europe/London")
    schedule_meeting(
        session,
        place="Room 2, County Hall",
        suspension=ref,
        at=invited,
        actor=people.chair,
        now=now,
    )
    settings = settings_for(smtp)
    deliver_outbox_sync(db.engine, settings, now)
    smtp.received.clear()
    return ref, invited, settings


def _chair_records_it_held(
    session: Session, people: People, ref: str, at: pendulum.DateTime
) -> None:
    """The chair records the meeting as held at `at`, the suspension to continue."""
    record_meeting(
        session,
        suspension=ref,
        outcome=MeetingOutcome.CONTINUE,
        attendees=[people.chair],
        risk_assessment="Contained",
        actor=people.chair,
        now=at,
    )


def test_a_meeting_recorded_before_the_time_invited_is_cancelled_in_every_calendar(
    db: Database, session, people, now, smtp_server: SMTPServer
) -> None:
    ref, invited, settings = _invited_for_8_december(db, session, people, now, smtp_server)

    # held (and recorded) on 30 November, a week before the 8 December it was invited for
    held = pendulum.datetime(2026, 11, 30, 15, 0, tz="Europe/London")
    _chair_records_it_held(session, people, ref, held)
    deliver_outbox_sync(db.engine, settings, held)

    to_chair = smtp_server.recorder.to(people.chair)
    assert [r.message["Subject"] for r in to_chair] == [
        f"Resolution meeting held on {TRUST}'s suspension ({ref}): suspension continues"
    ]
    cancel = calendar_of(to_chair[0].message, "CANCEL")
    [event] = cancel.walk("VEVENT")
    assert str(event["UID"]) == meeting_uid(ref, sender_of(db))
    assert int(event["SEQUENCE"]) == 1 and str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("DTSTART") == invited
    text_part = parts(to_chair[0].message)["text/plain"]
    assert (
        "The meeting invited for Tuesday 8 December 2026 at 10:00 will not take place" in text_part
    )


def test_a_suspension_settled_before_its_meeting_cancels_the_invitation(
    db: Database, session, people, now, smtp_server: SMTPServer
) -> None:
    ref, _, settings = _invited_for_8_december(db, session, people, now, smtp_server)

    later = now.add(days=2)
    withdraw_agency(
        session, agency=TRUST, reason="Leaving", actor=people.signatory[TRUST], now=later
    )
    deliver_outbox_sync(db.engine, settings, later)

    cancels = [
        r for r in smtp_server.recorder.to(people.chair) if "text/calendar" in parts(r.message)
    ]
    assert len(cancels) == 1
    [event] = calendar_of(cancels[0].message, "CANCEL").walk("VEVENT")
    assert str(event["UID"]) == meeting_uid(ref, sender_of(db))
    assert int(event["SEQUENCE"]) == 1


def test_a_suspension_that_reaches_day_30_without_its_meeting_held_cancels_the_invitation(
    db: Database, session, people, now, smtp_server: SMTPServer
) -> None:
    ref, invited, settings = _invited_for_8_december(db, session, people, now, smtp_server)
    day_30 = now.add(days=30)
    end_suspension(session, suspension=ref, actor="system:test", now=day_30)
    deliver_outbox_sync(db.engine, settings, day_30)

    [ended] = smtp_server.recorder.to(people.chair)
    [event] = calendar_of(ended.message, "CANCEL").walk("VEVENT")
    assert (str(event["UID"]), int(event["SEQUENCE"])) == (meeting_uid(ref, sender_of(db)), 1)
    assert event.decoded("DTSTART") == invited
    assert "will not take place as invited" in parts(ended.message)["text/plain"]


def test_a_meeting_held_as_invited_leaves_the_calendar_entry_alone(
    db: Database, session, people, now, smtp_server: SMTPServer
) -> None:
    ref, invited, settings = _invited_for_8_december(db, session, people, now, smtp_server)
    _chair_records_it_held(session, people, ref, invited.add(hours=1))
    day_30 = now.add(days=30)
    end_suspension(session, suspension=ref, actor="system:test", now=day_30)
    deliver_outbox_sync(db.engine, settings, day_30)
    received = smtp_server.recorder.to(people.chair)
    assert len(received) == 2
    assert all("text/calendar" not in parts(r.message) for r in received)


# --- outages and refusals ------------------------------------------------------------------------


def test_an_smtp_outage_during_delivery_loses_nothing_and_sends_nothing_twice(
    db: Database, session, now, smtp_server: SMTPServer
) -> None:
    queue_many(db, 10, now)
    settings = settings_for(smtp_server)
    smtp_server.recorder.go_down_after = 4

    report = deliver_outbox_sync(db.engine, settings, now)

    assert (report.sent, report.retrying, report.released, report.failed) == (4, 1, 5, 0)
    assert report.relay_error is not None and "cannot reach the SMTP relay" in report.relay_error
    statuses = Counter(row.status for row in emails(session))
    assert statuses == {OutboxStatus.SENT: 4, OutboxStatus.PENDING: 6}
    interrupted = [r for r in emails(session) if r.attempts == 1 and r.status == "pending"]
    assert len(interrupted) == 1 and interrupted[0].next_attempt_at > now
    assert "SMTPServerDisconnected" in (interrupted[0].last_error or "")

    smtp_server.come_back()
    again = deliver_outbox_sync(db.engine, settings, now + DAY)

    assert (again.sent, again.relay_error) == (6, None)
    assert {row.status for row in emails(session)} == {OutboxStatus.SENT}
    received = smtp_server.recorder.message_ids()
    assert set(received) == {row.message_id for row in emails(session)}
    assert set(received.values()) == {1}


def test_an_unreachable_relay_costs_no_attempt_and_the_rows_stay_due(
    db: Database, session, now, smtp_server: SMTPServer
) -> None:
    queue_many(db, 3, now)
    smtp_server.go_down()

    report = deliver_outbox_sync(db.engine, settings_for(smtp_server), now)

    assert (report.claimed, report.sent, report.released) == (3, 0, 3)
    assert report.relay_error is not None
    rows = emails(session)
    assert {(r.status, r.attempts, r.claim) for r in rows} == {(OutboxStatus.PENDING, 0, None)}
    assert all(r.next_attempt_at <= now.add(minutes=1) for r in rows)

    smtp_server.come_back()
    assert deliver_outbox_sync(db.engine, settings_for(smtp_server), now).sent == 3


def test_a_550_for_one_recipient_fails_that_email_and_sends_the_others(
    db: Database, session, now, smtp_server: SMTPServer
) -> None:
    queue_many(db, 3, now)
    smtp_server.recorder.refuse["signatory1@agency1.example"] = "550 5.1.1 No such mailbox"

    report = deliver_outbox_sync(db.engine, settings_for(smtp_server), now)

    assert (report.sent, report.failed, report.retrying) == (2, 1, 0)
    [refused] = emails(session, recipient="signatory1@agency1.example")
    assert refused.status == OutboxStatus.FAILED
    assert refused.smtp_reply == "550 5.1.1 No such mailbox"
    assert refused.last_error == "550 5.1.1 No such mailbox"
    assert refused.sent_at is None
    assert {r.status for r in emails(session) if r.id != refused.id} == {OutboxStatus.SENT}
    assert len(smtp_server.received) == 2


def test_a_temporary_refusal_is_retried_with_backoff_until_the_limit(
    db: Database, session, now, smtp_server: SMTPServer
) -> None:
    queue_many(db, 1, now)
    smtp_server.recorder.refuse["signatory0@agency0.example"] = "451 4.7.1 Greylisted, try later"
    settings = settings_for(smtp_server, outbox_max_attempts=3, outbox_backoff_base_seconds=60)

    assert deliver_outbox_sync(db.engine, settings, now).retrying == 1
    [row] = emails(session)
    assert (row.status, row.attempts, row.smtp_reply) == (
        OutboxStatus.PENDING,
        1,
        "451 4.7.1 Greylisted, try later",
    )
    # between half and all of the first backoff (60 s)
    assert now.add(seconds=30) <= row.next_attempt_at <= now.add(seconds=61)
    assert deliver_outbox_sync(db.engine, settings, now).claimed == 0

    assert deliver_outbox_sync(db.engine, settings, now.add(hours=1)).retrying == 1
    [row] = emails(session)
    assert row.attempts == 2
    assert now.add(hours=1, seconds=60) <= row.next_attempt_at <= now.add(hours=1, seconds=121)

    assert deliver_outbox_sync(db.engine, settings, now.add(hours=2)).failed == 1
    [row] = emails(session)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 3)
    assert row.last_error == "gave up after 3 attempts; the last: 451 4.7.1 Greylisted, try later"
    assert smtp_server.received == []


def test_a_crashed_deliverers_claim_lapses_and_the_row_goes_out_with_the_same_message_id(
    db: Database, session, now, smtp_server: SMTPServer
) -> None:
    queue_many(db, 2, now)
    settings = settings_for(smtp_server, outbox_lease_seconds=300)
    # a deliverer claims the rows and dies before sending or recording anything
    claimed = claim_due(
        db.engine, now=now, lease=pendulum.duration(seconds=300), claim="dead", limit=10
    )
    assert len(claimed) == 2

    assert deliver_outbox_sync(db.engine, settings, now.add(seconds=299)).claimed == 0
    report = deliver_outbox_sync(db.engine, settings, now.add(seconds=301))

    assert report.sent == 2
    rows = emails(session)
    # the lapsed claim counts as an attempt: it may have reached the relay
    assert {(r.status, r.claim, r.attempts) for r in rows} == {(OutboxStatus.SENT, None, 2)}
    assert sorted(report.message_ids) == sorted(r.message_id for r in rows)
    assert sorted(smtp_server.recorder.message_ids()) == sorted(r.message_id for r in rows)


def test_a_row_whose_claims_keep_lapsing_is_given_up_rather_than_retried_for_ever(
    db: Database, session, now, smtp_server: SMTPServer
) -> None:
    queue_many(db, 1, now)
    lease = pendulum.duration(seconds=60)
    for crash in range(2):
        at = now.add(minutes=2 * crash)
        assert len(claim_due(db.engine, now=at, lease=lease, claim=f"dead{crash}", limit=1)) == 1

    settings = settings_for(smtp_server, outbox_max_attempts=2, outbox_lease_seconds=60)
    report = deliver_outbox_sync(db.engine, settings, now.add(minutes=5))

    assert (report.claimed, report.failed, report.sent) == (1, 1, 0)
    [row] = emails(session)
    assert (row.status, row.attempts) == (OutboxStatus.FAILED, 2)
    assert row.last_error == "gave up after 2 attempts whose outcome was not recorded"
    assert smtp_server.received == []


# --- header injection --------------------------------------------------------------------------


def test_line_breaks_in_names_cannot_add_headers_or_recipients(
    db: Database, session, now, smtp_server: SMTPServer
) -> None:
    # names with line breaks are refused at input now; a register written before that could
    # still hold them, so they are put in by hand, and a reason may have newlines
    evil = "Evil Agency\r\nBcc: thief@evil.example"
    register_agency(session, name="Evil Agency", actor=ADMIN, now=now)
    add_contact(
        session,
        agency="Evil Agency",
        email="signatory@evil.example",
        name="Eve",
        roles=[ContactRole.SIGNATORY],
        actor=ADMIN,
        now=now,
    )
    add_chair(session, email="chair@group.example", name="Chris", actor=ADMIN, now=now)
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE agency SET name = :n, name_key = :k"), {"n": evil, "k": name_key(evil)}
        )
        conn.execute(
            text("UPDATE contact SET name = :n"),
            {"n": "Eve\r\nBcc: thief@evil.example\r\nX-Injected: yes"},
        )
        conn.execute(text("UPDATE chair SET name = :n"), {"n": "Chris\nCc: thief@evil.example"})
    session.expire_all()
    raise_suspension(
        session,
        agency=evil,
        reason="Because\nBcc: thief@evil.example",
        actor="signatory@evil.example",
        now=now,
    )

    report = deliver_outbox_sync(db.engine, settings_for(smtp_server), now)

    assert report.sent == 2
    assert sorted(r.rcpt_tos[0] for r in smtp_server.received) == [
        "chair@group.example",
        "signatory@evil.example",
    ]
    for received in smtp_server.received:
        message = received.message
        assert message["Bcc"] is None and message["Cc"] is None and message["X-Injected"] is None
        assert b"\r\nBcc:" not in received.data.split(b"\r\n\r\n")[0]
        assert message["Subject"].startswith(
            "Evil Agency Bcc: thief@evil.example has suspended its obligations"
        )
        assert "\n" not in str(message["To"])


# --- several deliverers at once --------------------------------------------------------------


def test_concurrent_deliverers_send_each_email_exactly_once(
    db: Database, now, smtp_server: SMTPServer
) -> None:
    # four deliverers over 2,000 rows on PostgreSQL; SQLite serialises writers, so fewer there
    deliverers, count = (4, 2000) if db.backend == "postgres" else (2, 300)
    queue_many(db, count, now)
    settings = settings_for(smtp_server, outbox_batch_size=25)
    start = threading.Barrier(deliverers)
    reports = []
    problems: list[BaseException] = []

    def deliver() -> None:
        try:
            start.wait(10)
            reports.append(deliver_outbox_sync(db.engine, settings, now))
        except BaseException as exc:
            problems.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(deliverers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(240)

    assert problems == []
    received = smtp_server.recorder.message_ids()
    assert len(received) == count
    assert set(received.values()) == {1}
    assert sum(r.sent for r in reports) == count
    # the work was shared, not done by one deliverer while the others found nothing
    assert sum(1 for r in reports if r.sent) > 1
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT status, message_id FROM outbox")).all()
    assert Counter(status for status, _ in rows) == {"sent": count}
    assert {mid for _, mid in rows} == set(received)


# --- the operator's commands and the embedded mail sink ---------------------------------------


def _isa(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:
        main(list(argv))
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


def test_isa_outbox_deliver_and_list_show_what_was_sent_and_what_failed(
    db: Database,
    now,
    smtp_server: SMTPServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    queue_many(db, 3, now)
    smtp_server.recorder.refuse["signatory2@agency2.example"] = "550 5.1.1 No such mailbox"
    monkeypatch.setenv("ISA_DATABASE_URL", db.url)
    monkeypatch.setenv("ISA_NOW", "2026-11-25T10:00")
    monkeypatch.setenv("ISA_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("ISA_SMTP_PORT", str(smtp_server.port))

    code, out, err = _isa(capsys, "outbox", "deliver")
    assert (code, out, err) == (0, "sent 2, to retry 0, failed 1\n", "")

    code, out, _ = _isa(capsys, "outbox", "list", "--status", "failed", "--json")
    [failed] = json.loads(out)
    assert (code, failed["recipient"], failed["status"]) == (
        0,
        "signatory2@agency2.example",
        "failed",
    )
    assert failed["smtp_reply"] == "550 5.1.1 No such mailbox"
    code, out, _ = _isa(capsys, "outbox", "list")
    assert code == 0 and len(out.splitlines()) == 3
    assert "sent" in out and "(550 5.1.1 No such mailbox)" in out

    code, out, err = _isa(capsys, "outbox", "list", "--status", "lost")
    assert code == 1 and err.startswith("isa: error: ") and len(err.splitlines()) == 1


def test_isa_outbox_deliver_fails_in_one_line_when_the_relay_is_down(
    db: Database,
    now,
    smtp_server: SMTPServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    queue_many(db, 2, now)
    smtp_server.go_down()
    monkeypatch.setenv("ISA_DATABASE_URL", db.url)
    monkeypatch.setenv("ISA_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("ISA_SMTP_PORT", str(smtp_server.port))

    code, out, err = _isa(capsys, "outbox", "deliver")

    assert code == 1
    assert out == "sent 0, to retry 0, failed 0, not tried 2\n"
    assert err.startswith(f"isa: error: cannot reach the SMTP relay at {smtp_server.host}:")
    assert err.endswith("; the emails not sent stay queued\n") and len(err.splitlines()) == 1
    assert db.count("outbox", "status = 'pending' AND attempts = 0") == 2


# the console script users run, from the same environment as the tests
ISA = str(Path(sys.executable).parent / "isa")


def test_the_mail_sink_is_the_default_relay_and_stores_each_email_as_an_eml_file(
    db: Database, now, tmp_path: Path
) -> None:
    queue_many(db, 3, now)
    port, mail = free_port(), tmp_path / "mail"
    sink = subprocess.Popen(
        [ISA, "mailsink", "--dir", str(mail), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert sink.stdout is not None
        assert sink.stdout.readline() == (
            f"mail sink listening on 127.0.0.1:{port}, storing each message in {mail}/\n"
        )
        # no ISA_SMTP_HOST: delivery goes to the local mail sink
        report = deliver_outbox_sync(db.engine, Settings(smtp_port=port), now)
    finally:
        sink.send_signal(signal.SIGTERM)
        out, err = sink.communicate(timeout=10)

    assert (report.sent, sink.returncode, out, err) == (3, 0, "mail sink stopped\n", "")
    stored = sorted(mail.glob("*.eml"))
    assert len(stored) == 3
    with db.engine.connect() as conn:
        sent = dict(conn.execute(text("SELECT message_id, recipient FROM outbox")).all())
    for path in stored:
        message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
        assert sent[message["Message-ID"]] == message["Delivered-To"]
        assert message["Return-Path"] == "<isa-register@register.example>"
        assert message["From"] == TEST_MAIL_FROM
    assert not list(mail.glob(".*"))


def test_the_sync_wrapper_also_works_from_inside_a_running_event_loop(
    db: Database, now, smtp_server: SMTPServer
) -> None:
    queue_many(db, 2, now)

    async def caller() -> int:
        return deliver_outbox_sync(db.engine, settings_for(smtp_server), now).sent

    assert asyncio.run(caller()) == 2


@pytest.mark.parametrize(
    "security, expected",
    [
        ({"smtp_security": "starttls"}, "STARTTLS"),
        ({"smtp_username": "isa", "smtp_password": "secret"}, "AUTH"),
    ],
    ids=["starttls", "login"],
)
def test_a_relay_that_lacks_the_configured_security_is_refused_and_nothing_is_sent_in_clear(
    db: Database, session, now, smtp_server: SMTPServer, security: dict[str, str], expected: str
) -> None:
    queue_many(db, 1, now)

    report = deliver_outbox_sync(db.engine, settings_for(smtp_server, **security), now)

    assert report.relay_error is not None
    assert (
        f"the SMTP relay at {smtp_server.host}:{smtp_server.port} refused us" in report.relay_error
    )
    assert expected in report.relay_error
    assert smtp_server.received == []
    assert {(r.status, r.attempts) for r in emails(session)} == {(OutboxStatus.PENDING, 0)}


def test_rows_released_when_the_relay_is_down_are_counted_once_even_if_claimed_again(
    db: Database, now, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The next batch is claimed while this one is sent. When the relay is down, this batch is
    # released and recorded; a claim that runs after that record takes the same rows again and
    # releases them again. Seen under load as "not tried 4" for 2 emails; forced here by
    # holding back every claim after the first until the release has been recorded.
    import time as _time

    from notifications import delivery

    queue_many(db, 2, now)
    smtp_server.go_down()
    real_claim, calls = delivery.claim_due, []

    def late_claim(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) > 1:
            _time.sleep(0.5)
        return real_claim(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(delivery, "claim_due", late_claim)
    report = deliver_outbox_sync(db.engine, settings_for(smtp_server), now)
    assert report.relay_error is not None
    assert (report.sent, report.released) == (0, 2)
    assert db.count("outbox", "status = 'pending' AND attempts = 0") == 2
