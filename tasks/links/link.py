"""What a personal link is as its page and its act see it: the link (whose, for what, whether
it can still be acted on), what the person sent back from its page, and the shape of a row of
the table of link acts (tasks/links/acts.py): its page, its decisions and what each does."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pendulum
from sqlmodel import Session

from models.enums import ContactRole
from models.events import DomainEvent
from models.links import LinkAction, LinkState
from notifications.tables import ActionLink


@dataclass(frozen=True)
class Link:
    """One personal link as its page needs it."""

    id: int
    action: LinkAction
    subject: str
    version: int | None
    email: str
    name: str
    agency: str | None
    state: LinkState
    # for a link that is not live: why, in words ("used on Thursday 3 December 2026 at 09:14")
    why: str
    expires: str


@dataclass(frozen=True)
class Confirmation:
    """What the person sent: their typed name, the ticked confirmation, the hash of what they
    were shown, and the act's own inputs."""

    typed_name: str
    confirmed: bool
    # approve: "approve" or "reject" (with a reason); meeting: "schedule" or "record"
    decision: str = ""
    shown_hash: str = ""
    reason: str = ""
    method: str = ""
    certificate: str = ""
    meeting_at: str = ""
    # where the meeting is held, or how to join it
    place: str = ""
    outcome: str = ""
    attendees: tuple[str, ...] = ()
    risk_assessment: str = ""
    correction: str = ""
    # a consultation's reply: "none" or "objects", with its comments
    objection: str = ""
    comments: str = ""
    # a request's outcome is `outcome`, with this note
    note: str = ""
    # the one-time code emailed to the addressee, for an act that binds their agency
    code: str = ""


# what the page shows, from the link (some pages need the time: a clock or a day count)
View = Callable[[Session, Link, pendulum.DateTime], Any]
# why the record no longer needs the act ("" while it does): tasks/links/moved_on.py
MovedOn = Callable[[Session, ActionLink, str | None], str]
# the use case a decision runs, as the link's person: tasks/links/runs.py
Run = Callable[[Session, Link, Confirmation, pendulum.DateTime], list[DomainEvent]]


@dataclass(frozen=True)
class Decision:
    """One choice a link's page offers and what confirming it does."""

    # the form's `decision` value; "" for the one decision of a page that offers no choice
    name: str
    # the box the person ticks, with {subject}, {agency} and {version} filled in
    sentence: str
    # the audit action its use case writes (and a refusal of it, before the use case runs)
    audit: str
    run: Run
    # what the person did, once the link is used: {subject}, then " version N", " for Agency"
    did: str
    # where the matter stands afterwards: words, or words from the record as it is now
    then: str | Callable[[Session, str], str] = ""
    # the form fields it reads, besides the name typed, the tick and the code
    fields: tuple[str, ...] = ()
    # the version shown is compared again inside the act's own transaction
    recheck_shown: bool = False


@dataclass(frozen=True)
class Page:
    """The page behind a link: its template, the name its view has there, and the view."""

    template: str
    name: str
    view: View
    # constant facts the template is given besides the view
    extra: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class LinkAct:
    """Everything particular to one kind of personal link act."""

    action: LinkAction
    page: Page
    # the audit log's subject type for the record the link is about
    subject_type: str
    # the first is the page's default (what a forged form's refusal is recorded as)
    decisions: tuple[Decision, ...]
    moved_on: MovedOn
    # an act that binds an agency (models.links.BINDING): the role a colleague it is handed to
    # must hold, and the act in words for its code's email and the hand-over ({subject} ...)
    hand_to: ContactRole | None = None
    words: str = ""
    # for a page that shows a version to confirm: the hash of what is there now, by reference
    shown_hash: Callable[[Session, str], str] | None = None

    def decision(self, name: str) -> Decision:
        """The decision by its name; the page's default for any other."""
        return next((d for d in self.decisions if d.name == name), self.decisions[0])

    @property
    def offers_a_choice(self) -> bool:
        return len(self.decisions) > 1
