"""The .ics invitation a §41 resolution meeting email carries: one calendar entry per suspension
(a stable UID), whose SEQUENCE rises each time the meeting is set, so a move updates it."""

from collections.abc import Mapping
from typing import Any

import pendulum
from icalendar import Calendar, Event, vCalAddress, vText

from notifications.message import ID_DOMAIN

PRODUCT_ID = "-//Information Sharing Register//ISA notifications//EN"


def meeting_uid(suspension: str) -> str:
    return f"{suspension.lower()}.resolution-meeting@{ID_DOMAIN}"


def _instant(text: str) -> pendulum.DateTime:
    parsed = pendulum.parse(text)
    assert isinstance(parsed, pendulum.DateTime)
    return parsed.in_timezone("UTC")


def _name(value: str) -> str:
    # a parameter value may hold neither a line break nor a double quote (RFC 5545 §3.1)
    return " ".join(value.replace('"', "'").split())


def meeting_invitation(calendar: Mapping[str, Any], *, recipient: Mapping[str, Any]) -> bytes:
    """A METHOD:REQUEST calendar for one recipient, from an email's `calendar` context; the
    organizer is the chair who set the meeting."""
    cal = Calendar()
    cal.add("prodid", PRODUCT_ID)
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = Event()
    event.add("uid", meeting_uid(calendar["suspension"]))
    event.add("sequence", int(calendar["sequence"]))
    event.add("dtstamp", _instant(calendar["stamp"]))
    event.add("dtstart", _instant(calendar["starts_at"]))
    event.add("dtend", _instant(calendar["ends_at"]))
    event.add("summary", vText(" ".join(str(calendar["summary"]).split())))
    event.add("status", "CONFIRMED")
    organizer = vCalAddress(f"mailto:{calendar['organizer']['email']}")
    organizer.params["cn"] = _name(calendar["organizer"]["name"])
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{recipient['email']}")
    attendee.params["cn"] = _name(recipient["name"])
    attendee.params["role"] = "REQ-PARTICIPANT"
    # attendance is recorded by the chair after the meeting (§41), not collected by replies
    attendee.params["rsvp"] = "FALSE"
    event.add("attendee", attendee)
    cal.add_component(event)
    return bytes(cal.to_ical())
