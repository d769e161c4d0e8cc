"""A sample register and sample events, so every email can be rendered without a database: by
the template tests and the outbox helpers (test-only code, so it lives with the tests).

A sample event is built from its dataclass fields by name, so a new event that reuses the usual
field names (arrangement, agency, reason, ...) needs nothing here; a new field name needs a
value in `SAMPLE_FIELDS`.
"""

import dataclasses
from collections.abc import Mapping
from typing import Any

import pendulum

from models.events import DomainEvent
from notifications.catalog import Audience, notice_for
from notifications.context import (
    Recipient,
    event_fields,
    person_facts,
    recipients_of,
    shared_context,
    with_recipient,
)
from notifications.message import Sender

SAMPLE_NOW = pendulum.datetime(2026, 11, 25, 10, 0, tz="Europe/London").in_timezone("UTC")

SAMPLE_FIELDS: Mapping[str, Any] = {
    "agency": "Northshire Police",
    "email": "alex.morgan@police.example",
    "roles": ("signatory",),
    "arrangement": "ISA-2026-0001",
    "arrangements": ("ISA-2026-0001", "ISA-2026-0002"),
    "version": 2,
    "signatory": "sam.patel@council.example",
    "awaiting": ("Northshire NHS Trust", "Northshire Police"),
    "next_review_due": "2027-11-25",
    "reason": "A laptop holding shared case files was stolen; the encryption is in doubt.",
    "outcome": "continue",
    "due_on": "2027-11-25",
    "course": "Protocol e-learning",
    "expires_on": "2027-11-25",
    "grant": "GRT-2026-0001",
    "suspension": "SUS-2026-0001",
    "meeting_deadline": "2026-12-09T23:59:59.999999+00:00",
    "ends_at": "2026-12-25T10:00:00+00:00",
    "meeting_at": "2026-12-03T14:00:00+00:00",
    "meeting_place": "Room 2, County Hall, Northshire; or on Teams: https://teams.example/m/42",
    "rescheduled": True,
    "attendees": ("chair@group.example", "sam.patel@council.example"),
    "why": "30 days have passed",
    "withdrawal": "WDR-2026-0001",
    "effective_on": "2026-12-31",
    "terminated": ("ISA-2026-0002",),
    "left": ("ISA-2026-0001",),
    "redrafted": ("ISA-2026-0003",),
    "submitted_on": "2026-11-18",
    "escalates_on": "2026-12-02",
    "revoke_after": "2027-06-08",
    "task": "DSP-2026-0001",
    "certificate": "CERT-12345",
    "days_before": 30,
    "lapses_on": "2028-01-25",
    "period": "2026",
    "period_start": "2025-11-25",
    "period_end": "2026-11-24",
    "summary": {"active": 12, "under_review": 2, "suspended": 1},
    "markdown": "# Register summary\n\n| status | arrangements |\n|---|---|\n| active | 12 |\n",
    "checkpoint": "audit event #1234",
    "seq": 1234,
    "head": "9f2c" * 16,
    "at": "2026-11-25T07:30:00+00:00",
    "requested_at": "2026-11-25T10:00:00+00:00",
    "act": "approve or reject version 2 of ISA-2026-0001 for Northshire County Council",
    "code": "493027",
    "code_id": 7,
    "delegated_by": "sam.patel@council.example",
    "delegated_by_name": "Sam Patel",
    "handed_at": "2026-11-25T10:05:00+00:00",
    "expires_at": "2026-11-25T10:30:00+00:00",
    "consent": "CON-2026-0001",
    "notice": "CPN-2026-0001",
    "originator": "Northshire County Council",
    "data_subject_ref": "ASC/2026/00417",
    "partners": ("Northshire NHS Trust", "Northshire Police"),
    "working_days": 2,
    "by": "rep@police.example",
    "reporter": "Northshire NHS Trust",
    "owner": "Northshire County Council",
    "what": "Record EH-2291: the referral date is a year out (2025, not 2026).",
    "correction": "Record EH-2291: the referral date corrected to 3 March 2026.",
    "told": ("Northshire NHS Trust", "Northshire Police"),
    "request": "IRQ-2026-0001",
    "consultation": "IRC-2026-0001",
    "requester": "Northshire NHS Trust",
    "kind": "foi",
    "their_ref": "FOI/2026/0412",
    "received_on": "2026-11-20",
    "reply_by": "2026-12-02",
    "asked_for": "Numbers of joint referrals in 2025-26, by month",
    "consulted": ("Northshire County Council",),
    "objection": "objects",
    "comments": "Section 31 applies to the police figures; the rest may be disclosed.",
    "note": "Figures disclosed; the police figures withheld under section 31.",
    "within_due": True,
    "decision": "SDR-2026-0001",
    "discloser": "Northshire County Council",
    "data": "Case file references ASC/2026/00417 and ASC/2026/00418: dates of contact only",
    "purpose": "Safeguarding strategy meeting on 2 December 2026",
    "reasoning": "The contact notes hold third-party information that is not needed for it.",
    "third_party": "Northshire Advocacy Service (commissioned provider)",
    "consented": True,
    "incident": "INC-2026-0001",
    "aware_at": "2026-11-25T09:30:00+00:00",
    "deadline": "2026-11-28T09:30:00+00:00",
    "hours": 24,
    "notify_regulator": True,
    "in_time": True,
    "decided_at": "2026-11-26T15:00:00+00:00",
    "document": '{\n  "seq": 1234,\n  "head": "9f2c…",\n  "at": "2026-11-25T07:30:00+00:00",\n'
    '  "signature": "5b1e…"\n}\n',
}


def sample_event(cls: type[DomainEvent]) -> DomainEvent:
    """An instance of the event with a sample value for each field, chosen by the field's name."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in SAMPLE_FIELDS:
            raise LookupError(f"{cls.__name__}.{f.name}: add a sample value to SAMPLE_FIELDS")
        values[f.name] = SAMPLE_FIELDS[f.name]
    return cls(**values)


_ROLE_CAPACITY: Mapping[Audience, tuple[str, str]] = {
    Audience.PARTY_SIGNATORIES: ("signatory", "signatory for {agency}"),
    Audience.PARTY_POINTS_OF_CONTACT: ("point_of_contact", "point of contact for {agency}"),
    Audience.PARTNER_SIGNATORIES: ("signatory", "signatory for {agency}"),
    Audience.CHAIRS: ("chair", "chair of the Information Governance Monitoring Group"),
    Audience.MONITORING_GROUP: (
        "point_of_contact",
        "member of the Information Governance Monitoring Group (point of contact for {agency})",
    ),
    Audience.AGENCY_SIGNATORIES: ("signatory", "signatory for {agency}"),
    Audience.STAFF_MEMBER: ("staff_member", "staff member at {agency}"),
    Audience.STAFF_POINTS_OF_CONTACT: ("point_of_contact", "point of contact for {agency}"),
    Audience.AWAITING_SIGNATORIES: ("signatory", "signatory for {agency}"),
    Audience.AGENCY_REPRESENTATIVES: (
        "nominated_representative",
        "nominated representative for {agency}",
    ),
    Audience.AGENCY_POINTS_OF_CONTACT: ("point_of_contact", "point of contact for {agency}"),
    Audience.AGENCY_DPOS: ("dpo", "data protection officer for {agency}"),
    Audience.DATA_OWNER_REPRESENTATIVES: (
        "nominated_representative",
        "nominated representative for {agency}, which discloses the data",
    ),
    Audience.PERSON: ("contact", "a contact at {agency}"),
}


SAMPLE_OFFICE_NAME = "Northshire Information Governance Office"
SAMPLE_OFFICE_EMAIL = "ig-office@register.example"
SAMPLE_SENDER = Sender(
    installation="samplesampleabcd",
    mailbox="Information Sharing Register <isa-register@register.example>",
    office=f"{SAMPLE_OFFICE_NAME} <{SAMPLE_OFFICE_EMAIL}>",
)


class SampleRegisterView:
    """A `RegisterView` with one made-up record of each kind and one person per audience."""

    def sender(self) -> Sender:
        return SAMPLE_SENDER

    def person(self, email: str) -> dict[str, Any]:
        if email.startswith("chair"):
            return person_facts(email, "Chris Chair", None)
        return person_facts(email, "Sam Patel", "Northshire County Council")

    def arrangement(self, reference: str) -> dict[str, Any]:
        return {
            "reference": reference,
            "title": "Early help case information",
            "version": 2,
            "status": "active",
            "next_review_due": "2027-11-25",
            "retention_months": 24,
            "retention_rule": "two years after the case closes",
            "disposal_method": "secure deletion, certified",
            "parties": [
                {"agency": "Northshire County Council", "role": "discloser"},
                {"agency": "Northshire NHS Trust", "role": "recipient"},
                {"agency": "Northshire Police", "role": "both"},
            ],
        }

    def suspension(self, reference: str) -> dict[str, Any]:
        return {
            "reference": reference,
            "agency": "Northshire Police",
            "reason": SAMPLE_FIELDS["reason"],
            "status": "meeting_scheduled",
            "raised_at": SAMPLE_NOW.isoformat(),
            "meeting_deadline": SAMPLE_FIELDS["meeting_deadline"],
            "ends_at": SAMPLE_FIELDS["ends_at"],
            "meeting_at": SAMPLE_FIELDS["meeting_at"],
            "meeting_place": SAMPLE_FIELDS["meeting_place"],
            "meeting_held_at": None,
            "outcome": None,
        }

    def withdrawal(self, reference: str) -> dict[str, Any]:
        return {
            "reference": reference,
            "agency": "Northshire Police",
            "reason": "The force is merging into a regional service.",
            "noticed_at": SAMPLE_NOW.isoformat(),
            "effective_on": SAMPLE_FIELDS["effective_on"],
            "suspension": "SUS-2026-0001",
        }

    def grant(self, reference: str) -> dict[str, Any]:
        return {
            "reference": reference,
            "arrangement": "ISA-2026-0001",
            "arrangement_title": "Early help case information",
            "staff_name": "Alex Morgan",
            "staff_email": SAMPLE_FIELDS["email"],
            "agency": "Northshire Police",
            "justification": "Case worker on the early help team",
            "status": "active",
            "expires_on": "2027-11-25",
            "revoked_reason": None,
        }

    def agency(self, name: str) -> dict[str, Any]:
        return {"name": name, "status": "member"}

    def meeting_history(self, suspension: str) -> dict[str, Any]:
        return {"sequence": 1, "organizer": {"email": "chair@group.example", "name": "Chris Chair"}}

    def audience(self, audience: Audience, event: Mapping[str, Any]) -> list[Recipient]:
        role, capacity = _ROLE_CAPACITY[audience]
        agency = None if role == "chair" else "Northshire NHS Trust"
        return [
            Recipient(
                email=f"{audience.value.replace('_', '.')}@sample.example",
                name=f"Sample {role.replace('_', ' ')}",
                role=role,
                capacity=capacity.format(agency=agency),
                agency=agency,
            )
        ]


def sample_contexts(cls: type[DomainEvent]) -> list[dict[str, Any]]:
    """The context of each email a sample of the event sends, one per sample recipient."""
    event = sample_event(cls)
    notice = notice_for(event.name)
    view = SampleRegisterView()
    fields = event_fields(event)
    shared = shared_context(notice, fields, view, SAMPLE_NOW)
    return [with_recipient(shared, person) for person in recipients_of(notice, fields, view)]
