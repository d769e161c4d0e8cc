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
from notifications.invitation import CANCEL, REQUEST, meeting_uid
from notifications.message import Sender

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

    def person(self, email: str) -> dict[str, Any]:
        """A contact or chair by address: `name`, `agency` (None for a chair) and `shown`, how an
        email names them ("Sam Patel (Northshire County Council)")."""
        ...

    def sender(self) -> Sender:
        """This register's installation identifier and mailbox (Message-IDs, calendar UIDs)."""
        ...


def event_fields(event: DomainEvent) -> dict[str, Any]:
    fields: dict[str, Any] = plain(event.as_dict())
    fields.pop("event")
    return fields


CHAIR_CAPACITY = "chair of the Information Governance Monitoring Group"


def person_facts(email: str, name: str, agency: str | None) -> dict[str, Any]:
    """How an email names a person: `shown` is "Sam Patel (Northshire County Council)", or for a
    chair (no agency) "Chris Chair (chair of the Information Governance Monitoring Group)"."""
    return {
        "email": email,
        "name": name,
        "agency": agency,
        "shown": f"{name} ({agency or CHAIR_CAPACITY})",
    }


def facts_about(event: Mapping[str, Any], view: RegisterView) -> dict[str, Any]:
    """The register's facts about every record the event names, by the field's name: an event
    with an `arrangement` field gets `arrangement` facts, and so on."""
    facts: dict[str, Any] = {}
    if "arrangement" in event:
        facts["arrangement"] = view.arrangement(event["arrangement"])
    if "arrangements" in event:
        facts["arrangements"] = [view.arrangement(ref) for ref in event["arrangements"]]
    # an arrangement is listed with its title beside its reference
    for listed in ("terminated", "left", "redrafted"):
        if listed in event:
            facts[listed] = [view.arrangement(ref) for ref in event[listed]]
    # people are named, with their agency, not addressed
    if "attendees" in event:
        facts["attendees"] = [view.person(address) for address in event["attendees"]]
    if event.get("suspension"):
        facts["suspension"] = view.suspension(event["suspension"])
    if "withdrawal" in event:
        facts["withdrawal"] = view.withdrawal(event["withdrawal"])
    if "grant" in event:
        facts["grant"] = view.grant(event["grant"])
    if "agency" in event:
        facts["agency"] = view.agency(event["agency"])
    return facts


def invitation(
    facts: Mapping[str, Any], view: RegisterView, queued_at: pendulum.DateTime
) -> dict[str, Any]:
    """What the .ics needs: one calendar entry per suspension, its SEQUENCE rising each time the
    meeting is set, so a moved meeting updates the entry people already have. `facts` is the
    email's context so far: the event and the suspension it names, already read."""
    event = facts["event"]
    place = event.get("meeting_place") or facts["suspension"].get("meeting_place") or ""
    return _calendar(facts["suspension"], event["meeting_at"], view, queued_at, place)


def cancellation(
    facts: Mapping[str, Any], view: RegisterView, queued_at: pendulum.DateTime
) -> dict[str, Any] | None:
    """The CANCEL of the meeting invited, when it did not or will not take place as invited:
    the matter settled without the meeting being held (withdrawn, day 30), or the meeting
    recorded as held before the time invited (a resume included). None when the entry in
    everyone's calendar stands."""
    suspension = facts.get("suspension")
    if suspension is None and "withdrawal" in facts and facts["withdrawal"]["suspension"]:
        # the suspension the withdrawal ended
        suspension = view.suspension(facts["withdrawal"]["suspension"])
    if suspension is None or not suspension["meeting_at"]:
        return None
    invited = pendulum.parse(suspension["meeting_at"])
    assert isinstance(invited, pendulum.DateTime)
    held = pendulum.parse(suspension["meeting_held_at"]) if suspension["meeting_held_at"] else None
    if isinstance(held, pendulum.DateTime) and held >= invited:
        return None  # held at (or after) the time invited: the entry stands
    calendar = _calendar(
        suspension,
        suspension["meeting_at"],
        view,
        queued_at,
        suspension.get("meeting_place") or "",
    )
    # RFC 5546 3.2.5: the CANCEL carries the entry's UID and a higher SEQUENCE
    calendar["sequence"] += 1
    calendar["method"] = CANCEL
    return calendar


def _calendar(
    suspension: Mapping[str, Any],
    meeting_at: str,
    view: RegisterView,
    queued_at: pendulum.DateTime,
    place: str,
) -> dict[str, Any]:
    starts = pendulum.parse(meeting_at)
    assert isinstance(starts, pendulum.DateTime)
    reference = str(suspension["reference"])
    history = view.meeting_history(reference)
    sender = view.sender()
    chair = history["organizer"]
    return {
        "method": REQUEST,
        "uid": meeting_uid(reference, sender),
        "suspension": reference,
        "sequence": history["sequence"],
        # the register's mailbox organises, as the email's From says, for the chair who set it
        "organizer": {"email": sender.address, "name": f"{sender.name} for {chair['name']}"},
        "chair": chair,
        "starts_at": starts.in_timezone("UTC").isoformat(),
        "ends_at": (starts + MEETING_LENGTH).in_timezone("UTC").isoformat(),
        "stamp": queued_at.in_timezone("UTC").isoformat(),
        "summary": (
            f"Risk assessment and resolution meeting: {suspension['agency']} suspension "
            f"{reference} (§41)"
        ),
        "location": place,
        "description": (
            f"The risk assessment and resolution meeting on {suspension['agency']}'s suspension "
            f"({reference}), to be held by day 14 (§41). Where, or how to join: "
            f"{place or 'to be told by the chair'}. Chaired by {chair['name']}; each member "
            "agency's signatory or nominated representative attends."
        ),
        # every invitee, set once the recipients are known (notifications.outbox)
        "attendees": [],
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
        "sender": view.sender().as_context(),
        "office": view.sender().office_context(),
        **facts_about(event, view),
    }
    if notice.invitation:
        context["calendar"] = invitation(context, view, queued_at)
    elif notice.cancels_meeting and (cancelled := cancellation(context, view, queued_at)):
        context["calendar"] = cancelled
    result: dict[str, Any] = plain(context)
    return result


def merged_facts(event: Mapping[str, Any], view: RegisterView) -> dict[str, Any]:
    """What an email that carries another event's news needs of it: its fields and the facts
    about the records it names (Notice.merged_into)."""
    result: dict[str, Any] = plain({"event": dict(event), **facts_about(event, view)})
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
