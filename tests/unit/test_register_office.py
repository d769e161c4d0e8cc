"""The register has a named office (ISA_OFFICE_NAME, ISA_OFFICE_EMAIL): every email that asks
someone to send the register something names it with its address, every email's Reply-To is
its mailbox, and no email sends anyone to an unnamed "operator" or tells them not to reply."""

import email
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from pydantic import ValidationError

from core.settings import Settings, setting_problem
from models.events import DomainEvent
from notifications.catalog import CATALOG, notice_for
from notifications.context import event_fields, recipients_of, shared_context
from notifications.outbox import draft
from notifications.render import render_email
from tests.utils.samples import (
    SAMPLE_NOW,
    SAMPLE_OFFICE_EMAIL,
    SAMPLE_OFFICE_NAME,
    SampleRegisterView,
    sample_contexts,
    sample_event,
)


def _sending() -> list[type[DomainEvent]]:
    found: list[type[DomainEvent]] = []
    pending = list(DomainEvent.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(
        (c for c in found if c.name in CATALOG and CATALOG[c.name].template), key=lambda c: c.name
    )


SENDING = _sending()
# the emails that ask their reader to send, tell or give the register something
ASK_TO_SEND = (
    "access_granted",
    "arrangement_activated",
    "arrangement_amendment_started",
    "arrangement_party_left",
    "arrangement_rejected",
    "review_reminder",
    "review_opened",
    "review_overdue",
    "review_escalated",
    "training_expiring",
    "audit_checkpoint",
)


@pytest.mark.parametrize("cls", SENDING, ids=lambda c: c.name)
def test_no_email_sends_anyone_to_an_unnamed_operator_or_says_do_not_reply(
    cls: type[DomainEvent],
) -> None:
    template = CATALOG[cls.name].template
    assert template is not None
    for context in sample_contexts(cls):
        rendered = render_email(template, context)
        for part in (rendered.text, rendered.html):
            assert "operator" not in part, (cls.name, part)
            assert "do not reply" not in part, cls.name
            # replies go to the office, and the footer says where
            assert SAMPLE_OFFICE_EMAIL in part, cls.name


def test_every_email_that_asks_someone_to_send_something_names_the_office_and_its_address() -> None:
    by_template = {CATALOG[c.name].template: c for c in SENDING}
    assert set(ASK_TO_SEND) <= set(by_template)
    for template in ASK_TO_SEND:
        # the recipients asked to send something (a staff member told of their access is not)
        asked = 0
        for context in sample_contexts(by_template[template]):
            rendered = render_email(template, context)
            actions = [
                part.split("What you need to do", 1)[1].split("Reference:", 1)[0]
                for part in (rendered.text, rendered.html)
            ]
            named = [SAMPLE_OFFICE_NAME in a and SAMPLE_OFFICE_EMAIL in a for a in actions]
            assert named[0] == named[1], template
            asked += named[0]
        assert asked, template


@pytest.mark.parametrize("cls", SENDING[:5], ids=lambda c: c.name)
def test_every_email_replies_to_the_register_office(cls: type[DomainEvent]) -> None:
    event = sample_event(cls)
    notice = notice_for(event.name)
    view = SampleRegisterView()
    fields = event_fields(event)
    shared = shared_context(notice, fields, view, SAMPLE_NOW)
    [first, *_] = recipients_of(notice, fields, view)
    row = draft(notice, shared, first, SAMPLE_NOW)
    message = email.message_from_string(row["message"], policy=default_policy)
    assert isinstance(message, EmailMessage)
    assert message["Reply-To"] == f"{SAMPLE_OFFICE_NAME} <{SAMPLE_OFFICE_EMAIL}>"


def test_the_office_defaults_to_the_from_mailbox_and_is_set_by_its_two_settings() -> None:
    default = Settings(mail_from="Register <isa@county.example>")
    assert default.office_mailbox() == "Information Sharing Register Office <isa@county.example>"
    named = Settings(
        mail_from="Register <isa@county.example>",
        office_name="Northshire Information Governance Office",
        office_email="IG-Office@county.example",
    )
    assert named.office_mailbox() == (
        "Northshire Information Governance Office <IG-Office@county.example>"
    )


@pytest.mark.parametrize(
    ("settings", "line"),
    [
        (
            {"office_email": "nobody"},
            "ISA_OFFICE_EMAIL: not an email address: 'nobody' (e.g. ig-office@example.org)",
        ),
        ({"office_name": "  "}, "ISA_OFFICE_NAME: must not be blank"),
        ({"office_name": "IG\nBcc: x@y.example"}, "ISA_OFFICE_NAME: must be one line"),
        ({"office_name": "x" * 121}, "ISA_OFFICE_NAME: must be at most 120 characters"),
        (
            {"office_email": "a" * 250 + "@b.example"},
            "ISA_OFFICE_EMAIL: must be at most 254 characters",
        ),
        (
            {
                "smtp_host": "smtp.county.example",
                "mail_from": "isa@county.example",
                "office_email": "office@isa.local",
            },
            "ISA_OFFICE_EMAIL: office@isa.local cannot receive mail, and a relay is set "
            "(ISA_SMTP_HOST): set ISA_OFFICE_EMAIL to the register office's real mailbox",
        ),
    ],
    ids=["not-an-address", "blank-name", "two-lines", "long-name", "long-address", "no-mailbox"],
)
def test_a_bad_office_setting_is_named_in_one_line(settings: dict[str, str], line: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(**settings)  # type: ignore[arg-type]
    [error] = raised.value.errors()
    assert setting_problem(error) == line
