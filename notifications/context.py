"""What a template sees: the event's fields, the register's facts about the records it names,
and the recipient, gathered when the email is queued and kept as plain JSON in the outbox."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import pendulum

from models.events import DomainEvent
from models.plain import plain
from notifications.catalog import Audience, Notice

# The protocol sets no length for the §41 meeting; an hour is what the invitation blocks out.
MEETING_LENGTH = timedelta(hours=1)


@dataclass(frozen=True)
class Recipient:
    """One person an email goes to, and in what capacity they receive it."""

    email: str
    name: str
    # what they are, for the template to choose what to ask of them: signatory,
    # point_of_contact, nominated_representative, chair or staff_member
    role: str
    # and in words, with their agency: "signatory for Northshire Police"
    capacity: str
    agency: str | None = None

    def as_context(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "name": self.name,
            "role": self.role,
            "capacity": self.capacity,
            "agency": self.agency,
        }


class RegisterView(Protocol):
    """The register as the notifications see it: facts about records by reference, and who is
    in an audience. The outbox reads the database through one; the template tests a sample."""

    def arrangement(self, reference: str) -> dict[str, Any]: ...

    def suspension(self, reference: str) -> dict[str, Any]: ...

    def withdrawal(self, reference: str) -> dict[str, Any]: ...

    def grant(self, reference: str) -> dict[str, Any]: ...

    def agency(self, name: str) -> dict[str, Any]: ...

    def meeting_history(self, suspension: str) -> dict[str, Any]:
        """How many times the meeting was set before (`sequence`) and who set it last
        (`organizer`: email and name)."""
        ...

    def audience(self, audience: Audience, event: Mapping[str, Any]) -> list[Recipient]: ...


def event_fields(event: DomainEvent) -> dict[str, Any]:
    fields: dict[str, Any] = plain(event.as_dict())
    fields.pop("event")
    return fields


def facts_about(event: Mapping[str, Any], view: RegisterView) -> dict[str, Any]:
    """The register's facts about every record the event names, by the field's name: an event
    with an `arrangement` field gets `arrangement` facts, and so on."""
    facts: dict[str, Any] = {}
    if "arrangement" in event:
        facts["arrangement"] = view.arrangement(event["arrangement"])
    if "arrangements" in event:
        facts["arrangements"] = [view.arrangement(ref) for ref in event["arrangements"]]
    if "suspension" in event:
        facts["suspension"] = view.suspension(event["suspension"])
    if "withdrawal" in event:
        facts["withdrawal"] = view.withdrawal(event["withdrawal"])
    if "grant" in event:
        facts["grant"] = view.grant(event["grant"])
    if "agency" in event:
        facts["agency"] = view.agency(event["agency"])
    return facts


def invitation(
    event: Mapping[str, Any], view: RegisterView, queued_at: pendulum.DateTime
) -> dict[str, Any]:
    """What the .ics needs: one calendar entry per suspension, its SEQUENCE rising each time the
    meeting is set, so a moved meeting updates the entry people already have."""
    starts = pendulum.parse(event["meeting_at"])
    assert isinstance(starts, pendulum.DateTime)
    suspension = view.suspension(event["suspension"])
    history = view.meeting_history(event["suspension"])
    return {
        "suspension": event["suspension"],
        "sequence": history["sequence"],
        "organizer": history["organizer"],
        "starts_at": starts.in_timezone("UTC").isoformat(),
        "ends_at": (starts + MEETING_LENGTH).in_timezone("UTC").isoformat(),
        "stamp": queued_at.in_timezone("UTC").isoformat(),
        "summary": (
            f"Risk assessment and resolution meeting: {suspension['agency']} suspension "
            f"{event['suspension']} (§41)"
        ),
    }


def shared_context(
    notice: Notice, event: Mapping[str, Any], view: RegisterView, queued_at: pendulum.DateTime
) -> dict[str, Any]:
    """Everything but the recipient: the same for each person the event's email goes to."""
    context: dict[str, Any] = {
        "event_name": notice.event,
        "event": dict(event),
        "reference": str(event[notice.subject]),
        "queued_at": queued_at.in_timezone("UTC").isoformat(),
        **facts_about(event, view),
    }
    if notice.invitation:
        context["calendar"] = invitation(event, view, queued_at)
    result: dict[str, Any] = plain(context)
    return result


def with_recipient(shared: Mapping[str, Any], recipient: Recipient) -> dict[str, Any]:
    return {**shared, "recipient": recipient.as_context()}


def recipients_of(notice: Notice, event: Mapping[str, Any], view: RegisterView) -> list[Recipient]:
    """Everyone the notice's audiences name, once each (the first audience names their
    capacity), in catalog order."""
    seen: dict[str, Recipient] = {}
    for audience in notice.audiences:
        for person in view.audience(audience, event):
            seen.setdefault(person.email, person)
    return list(seen.values())


def lookup(context: Mapping[str, Any], path: str) -> Any:
    """A dotted path into a context: `event.version`, `calendar.sequence`."""
    value: Any = context
    for part in path.split("."):
        value = value[part]
    return value


def occurrence_of(notice: Notice, context: Mapping[str, Any]) -> str:
    return "/".join(str(lookup(context, path)) for path in notice.occurrence)


def json_round_trip(context: Mapping[str, Any]) -> dict[str, Any]:
    """The context as it comes back out of the outbox's JSON column."""
    result: dict[str, Any] = json.loads(json.dumps(context))
    return result
