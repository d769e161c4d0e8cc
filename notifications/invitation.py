"""The .ics a §41 resolution meeting email carries: one calendar entry per suspension (a UID
unique to this register and stable across resends and moves), whose SEQUENCE rises each time the
meeting is set, so a move updates it (METHOD:REQUEST), and one more when it will not take place
as invited (METHOD:CANCEL), so it leaves every calendar (RFC 5545, RFC 5546).

The register's mailbox organises, as the From of the email says, acting for the chair who set
the meeting; everyone invited is an attendee of every copy, so no one is asked as organiser and
sole attendee, and each sees who else is invited. LOCATION says where it is held or how to join
it, as the email does."""

from collections.abc import Mapping
from typing import Any

import pendulum
from icalendar import Calendar, Event, vCalAddress, vText

from notifications.message import Sender

PRODUCT_ID = "-//Information Sharing Register//ISA notifications//EN"
REQUEST, CANCEL = "REQUEST", "CANCEL"


def meeting_uid(suspension: str, sender: Sender) -> str:
    return f"{suspension.lower()}.meeting.{sender.installation}@{sender.domain}"


def _instant(text: str) -> pendulum.DateTime:
    parsed = pendulum.parse(text)
    assert isinstance(parsed, pendulum.DateTime)
    return parsed.in_timezone("UTC")


def _name(value: str) -> str:
    # a parameter value may hold neither a line break nor a double quote (RFC 5545 §3.1)
    return " ".join(value.replace('"', "'").split())


def meeting_invitation(calendar: Mapping[str, Any], *, recipient: Mapping[str, Any]) -> bytes:
    """The calendar for one recipient, from an email's `calendar` context: a REQUEST, or the
    CANCEL of the entry the last request made."""
    method = str(calendar.get("method", REQUEST))
    cal = Calendar()
    cal.add("prodid", PRODUCT_ID)
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", str(calendar["uid"]))
    event.add("sequence", int(calendar["sequence"]))
    event.add("dtstamp", _instant(calendar["stamp"]))
    event.add("dtstart", _instant(calendar["starts_at"]))
    event.add("dtend", _instant(calendar["ends_at"]))
    event.add("summary", vText(" ".join(str(calendar["summary"]).split())))
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    if calendar.get("location"):
        event.add("location", vText(" ".join(str(calendar["location"]).split())))
    if calendar.get("description"):
        event.add("description", vText(str(calendar["description"])))
    organizer = vCalAddress(f"mailto:{calendar['organizer']['email']}")
    organizer.params["cn"] = _name(calendar["organizer"]["name"])
    event.add("organizer", organizer)
    invitees = list(calendar.get("attendees") or ())
    if all(person["email"] != recipient["email"] for person in invitees):
        invitees.append({"email": recipient["email"], "name": recipient["name"]})
    for person in invitees:
        attendee = vCalAddress(f"mailto:{person['email']}")
        attendee.params["cn"] = _name(person["name"])
        attendee.params["role"] = "REQ-PARTICIPANT"
        # attendance is recorded by the chair after the meeting (§41), not collected by replies
        attendee.params["rsvp"] = "FALSE"
        event.add("attendee", attendee)
    cal.add_component(event)
    return bytes(cal.to_ical())
