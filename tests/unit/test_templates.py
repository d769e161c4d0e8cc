"""The catalog and its templates, with no database: every event has an entry, every entry's
three files exist and render for a sample, dates read as people write them, the HTML part is
escaped and the subject stays one line; and the pieces a message is built from."""

import dataclasses
import email
import random
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy

import aiosmtplib
import pytest
from icalendar import Calendar
from jinja2 import UndefinedError

from core.settings import Settings
from models.events import DomainEvent
from notifications.catalog import AUDIENCE_NEEDS, CATALOG, Notice, notice_for, templates
from notifications.context import (
    event_fields,
    json_round_trip,
    lookup,
    recipients_of,
    shared_context,
)
from notifications.delivery import backoff, classify
from notifications.invitation import meeting_invitation, meeting_uid
from notifications.message import Sender, compose, from_header, message_id, serialise
from notifications.outbox import draft
from notifications.render import long_date, long_datetime, render_email, templates_on_disk
from tests.utils.samples import (
    SAMPLE_NOW,
    SAMPLE_SENDER,
    SampleRegisterView,
    sample_contexts,
    sample_event,
)


def every_event_class() -> list[type[DomainEvent]]:
    found: list[type[DomainEvent]] = []
    pending = list(DomainEvent.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: c.name)


EVENTS = every_event_class()
SENDING = [cls for cls in EVENTS if cls.name in CATALOG and CATALOG[cls.name].template]


def field_names(cls: type[DomainEvent]) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


# --- the catalog ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", EVENTS, ids=lambda c: c.name)
def test_every_domain_event_has_a_catalog_entry(cls: type[DomainEvent]) -> None:
    assert cls.name in CATALOG, f"add a Notice for {cls.name!r} to notifications/catalog.py"


def test_the_catalog_names_no_event_that_does_not_exist() -> None:
    names = {cls.name for cls in EVENTS}
    assert set(CATALOG) <= names
    for notice in CATALOG.values():
        assert set(notice.cancels) <= names, notice.event


@pytest.mark.parametrize("cls", EVENTS, ids=lambda c: c.name)
def test_each_entry_reads_only_fields_its_event_has(cls: type[DomainEvent]) -> None:
    if cls.name not in CATALOG:
        pytest.skip("no entry yet: test_every_domain_event_has_a_catalog_entry fails for it")
    notice = CATALOG[cls.name]
    fields = field_names(cls)
    assert notice.subject in fields
    for audience in notice.audiences:
        assert set(AUDIENCE_NEEDS[audience]) <= fields, (cls.name, audience)
    # a Prefect event the change publishes is about a record the event names
    for publish in notice.publishes:
        assert publish.field in fields, (cls.name, publish.event)


def test_an_entry_with_audiences_needs_a_template_and_one_without_none() -> None:
    with pytest.raises(ValueError, match="a template needs audiences"):
        Notice("x.happened", subject="x", template="x_happened")


def test_the_template_files_on_disk_are_exactly_the_catalogs() -> None:
    on_disk = templates_on_disk()
    assert set(on_disk) == templates()
    for key, parts in on_disk.items():
        assert parts == {"subject.txt", "txt", "html"}, key


# --- every email renders -----------------------------------------------------------------------


@pytest.mark.parametrize("cls", SENDING, ids=lambda c: c.name)
def test_every_email_renders_for_a_sample_with_both_parts(cls: type[DomainEvent]) -> None:
    notice = notice_for(cls.name)
    assert notice.template is not None
    contexts = sample_contexts(cls)
    assert len(contexts) == len(notice.audiences)
    for context in contexts:
        email = render_email(notice.template, context)
        assert email.subject and "\n" not in email.subject
        assert email.text.strip() and email.html.strip()
        # what happened, to whom it is addressed, and the reference, in both parts
        for body in (email.text, email.html):
            assert context["reference"] in body
            assert context["recipient"]["name"] in body
            assert "What you need to do" in body
        assert email.html.lstrip().startswith("<!DOCTYPE html>")
        assert "{{" not in email.text + email.html + email.subject
        # every occurrence path names something the context has
        for path in notice.occurrence:
            lookup(context, path)


@pytest.mark.parametrize("cls", SENDING, ids=lambda c: c.name)
def test_the_context_survives_a_json_round_trip(cls: type[DomainEvent]) -> None:
    notice = notice_for(cls.name)
    assert notice.template is not None
    for context in sample_contexts(cls):
        stored = json_round_trip(context)
        assert stored == context
        assert render_email(notice.template, stored) == render_email(notice.template, context)


@pytest.mark.parametrize("cls", SENDING, ids=lambda c: c.name)
def test_a_missing_variable_fails_the_render(cls: type[DomainEvent]) -> None:
    notice = notice_for(cls.name)
    assert notice.template is not None
    context = sample_contexts(cls)[0]
    # the person, the reference and the facts about the record the email is about (a record
    # the register holds no facts for, like a monitoring report, is described by its event)
    facts = notice.subject if notice.subject in context else "event"
    for key in ("recipient", "reference", facts):
        incomplete = {k: v for k, v in context.items() if k != key}
        with pytest.raises(UndefinedError):
            render_email(notice.template, incomplete)


def test_a_missing_nested_value_fails_too() -> None:
    [cls] = [c for c in EVENTS if c.name == "suspension.raised"]
    context = sample_contexts(cls)[0]
    context["suspension"] = {k: v for k, v in context["suspension"].items() if k != "ends_at"}
    with pytest.raises(UndefinedError, match="ends_at"):
        render_email("suspension_raised", context)


# --- what the templates do with values --------------------------------------------------------


def test_dates_are_written_out_as_london_sees_them() -> None:
    assert long_date("2026-12-08") == "Tuesday 8 December 2026"
    # 23:30 UTC on 30 June is already 1 July in London (BST)
    assert long_date("2026-06-30T23:30:00+00:00") == "Wednesday 1 July 2026"
    assert long_datetime("2026-06-30T23:30:00+00:00") == "Wednesday 1 July 2026 at 00:30"
    assert long_datetime("2026-12-03T14:00:00+00:00") == "Thursday 3 December 2026 at 14:00"


def _suspension_context() -> dict:
    [cls] = [c for c in EVENTS if c.name == "suspension.raised"]
    return sample_contexts(cls)[0]


def test_the_html_part_escapes_what_people_typed_and_the_text_part_does_not() -> None:
    context = _suspension_context()
    context["suspension"]["reason"] = "<script>alert('x')</script> & more"
    email = render_email("suspension_raised", context)
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in email.html
    assert "<script>alert('x')</script> & more" in email.text


def test_a_line_break_in_a_value_cannot_break_the_subject() -> None:
    context = _suspension_context()
    context["suspension"]["agency"] = "Evil\r\nBcc: thief@evil.example\n\nAgency"
    email = render_email("suspension_raised", context)
    assert email.subject.startswith("Evil Bcc: thief@evil.example Agency has suspended")
    assert "\r" not in email.subject and "\n" not in email.subject


# --- the message ---------------------------------------------------------------------------------


def _message(**changes: object) -> EmailMessage:
    context = _suspension_context()
    email = render_email("suspension_raised", context)
    parts = {
        "recipient": context["recipient"]["email"],
        "recipient_name": context["recipient"]["name"],
        "subject": email.subject,
        "text": email.text,
        "html": email.html,
        "message_id": message_id("ab" * 32, SAMPLE_SENDER),
        "reference": context["reference"],
        "at": SAMPLE_NOW,
    }
    parts.update(changes)
    return compose(**parts)  # type: ignore[arg-type]


def test_the_message_id_is_the_row_s_key_this_installation_and_the_mail_domain() -> None:
    assert (
        message_id("ab" * 32, SAMPLE_SENDER)
        == "<vov2xk5lvov2xk5l.samplesampleabcd@register.example>"
    )
    assert _message()["Message-ID"] == message_id("ab" * 32, SAMPLE_SENDER)
    # another register (another installation, another domain) never emits the same one
    other = Sender(installation="otherotherotherx", mailbox="Register <isa@county.example>")
    assert message_id("ab" * 32, other) == "<vov2xk5lvov2xk5l.otherotherotherx@county.example>"
    assert message_id("cd" * 32, SAMPLE_SENDER) != message_id("ab" * 32, SAMPLE_SENDER)


def test_a_subject_with_a_line_break_is_refused_not_sent_as_a_header() -> None:
    with pytest.raises(ValueError):
        _message(subject="Hello\r\nBcc: thief@evil.example")


def test_a_display_name_with_a_line_break_stays_inside_the_to_header() -> None:
    message = _message(recipient_name="Eve\r\nBcc: thief@evil.example")
    head = message.as_bytes().split(b"\r\n\r\n")[0]
    assert b"\r\nBcc:" not in head
    assert "thief@evil.example" in str(message["To"])  # as words of the name, not an address
    assert [a.addr_spec for a in message["To"].addresses] == [message["To"].addresses[0].addr_spec]
    assert len(message["To"].addresses) == 1


def test_the_from_header_is_one_header_line_put_before_the_stored_message() -> None:
    head = from_header("Information Sharing Register <isa@example.org>")
    assert head == b"From: Information Sharing Register <isa@example.org>\r\n"
    whole = email.message_from_bytes(head + serialise(_message()).encode(), policy=default_policy)
    assert whole["From"].addresses[0].addr_spec == "isa@example.org"
    assert whole.get_content_type() == "multipart/alternative"


def test_the_meeting_invitation_keeps_its_uid_and_counts_its_moves() -> None:
    calendar = {
        "uid": meeting_uid("SUS-2026-0001", SAMPLE_SENDER),
        "suspension": "SUS-2026-0001",
        "sequence": 3,
        "starts_at": "2026-12-03T14:00:00+00:00",
        "ends_at": "2026-12-03T15:00:00+00:00",
        "stamp": "2026-11-25T10:00:00+00:00",
        "summary": "Risk assessment and\nresolution meeting",
    }
    calendar["organizer"] = {
        "email": "isa-register@register.example",
        "name": "Information Sharing Register for Chris Chair",
    }
    ics = meeting_invitation(calendar, recipient={"email": "a@b.example", "name": 'A "B"\nC'})
    cal = Calendar.from_ical(ics)
    [event] = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "REQUEST" and str(event["STATUS"]) == "CONFIRMED"
    # unique to this register (its installation and mail domain), stable for the suspension
    assert str(event["UID"]) == "sus-2026-0001.meeting.samplesampleabcd@register.example"
    assert int(event["SEQUENCE"]) == 3
    assert str(event["SUMMARY"]) == "Risk assessment and resolution meeting"
    assert event["ATTENDEE"].params["CN"] == "A 'B' C"
    assert str(event["ORGANIZER"]) == "mailto:isa-register@register.example"
    cancel = Calendar.from_ical(
        meeting_invitation(
            {**calendar, "method": "CANCEL"}, recipient={"email": "a@b.example", "name": "A"}
        )
    )
    assert str(cancel["METHOD"]) == "CANCEL"
    assert str(cancel.walk("VEVENT")[0]["STATUS"]) == "CANCELLED"


# --- delivery decisions ------------------------------------------------------------------------


def test_backoff_doubles_with_each_attempt_with_jitter_and_a_ceiling() -> None:
    settings = Settings(outbox_backoff_base_seconds=60, outbox_backoff_max_seconds=3600)
    rng = random.Random(1)
    for attempts, ceiling in [(1, 60), (2, 120), (3, 240), (7, 3600), (20, 3600)]:
        for _ in range(50):
            wait = backoff(attempts, settings, rng)
            assert timedelta(seconds=ceiling / 2) <= wait <= timedelta(seconds=ceiling)


def test_a_5xx_is_permanent_and_a_4xx_or_a_dropped_connection_temporary() -> None:
    refused = aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(550, "5.1.1 No such mailbox", "x@y.example")]
    )
    assert classify(refused).verdict == "failed"
    assert classify(refused).text == "550 5.1.1 No such mailbox"
    greylisted = aiosmtplib.SMTPRecipientsRefused(
        [aiosmtplib.SMTPRecipientRefused(451, "4.7.1 Try later", "x@y.example")]
    )
    assert classify(greylisted).verdict == "retry"
    assert classify(aiosmtplib.SMTPDataError(554, "5.6.0 Rejected")).verdict == "failed"
    closing = classify(aiosmtplib.SMTPResponseException(421, "4.3.2 Going down"))
    assert (closing.verdict, closing.dropped) == ("retry", True)
    gone = classify(aiosmtplib.SMTPServerDisconnected("Connection lost"))
    assert (gone.verdict, gone.replied, gone.dropped) == ("retry", False, True)
    assert classify(aiosmtplib.SMTPReadTimeoutError("Timed out")).verdict == "retry"


@pytest.mark.parametrize("cls", SENDING, ids=lambda c: c.name)
def test_every_line_of_every_message_is_at_most_76_characters(cls: type[DomainEvent]) -> None:
    # RFC 2045 §6.7: quoted-printable lines are at most 76 characters (CPython's SMTP policy
    # encodes at 78, which spam filters score)
    notice = notice_for(cls.name)
    event = sample_event(cls)
    fields = event_fields(event)
    view = SampleRegisterView()
    shared = shared_context(notice, fields, view, SAMPLE_NOW)
    for person in recipients_of(notice, fields, view):
        stored = draft(notice, shared, person, SAMPLE_NOW)["message"]
        parsed = email.message_from_string(stored, policy=default_policy)
        for part in parsed.walk():
            if not part.is_multipart():
                lines = str(part.get_payload()).split("\n")
                assert max(len(line.rstrip("\r")) for line in lines) <= 76, max(lines, key=len)
        # header lines within RFC 5322's 78
        head = stored.split("\r\n\r\n", 1)[0].split("\r\n")
        assert max(len(line) for line in head) <= 78, max(head, key=len)
        encodings = {
            part.get_content_type(): str(part["Content-Transfer-Encoding"])
            for part in parsed.walk()
            if not part.is_multipart()
        }
        # every text part quoted-printable, an invite.ics attachment base64 (76 a line too)
        assert {t: e for t, e in encodings.items() if t.startswith("text/")} == {
            t: "quoted-printable" for t in encodings if t.startswith("text/")
        }
        assert set(encodings) - {"text/plain", "text/html", "text/calendar"} <= {"application/ics"}
