"""How a personal link's act is shown: which page shows which act (one table, `PAGES`: its
template, the matter it shows, the sentences the person ticks), with what every act's page
shares (the proof an act that binds an agency needs, the hand-over to a colleague), and the
page for a link that can no longer be used."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pendulum
from fastapi import Request
from fastapi.responses import Response
from sqlmodel import Session

from models.links import BINDING, CODE_MINUTES, LinkAction, LinkState
from tasks.links import (
    Link,
    act_words,
    code_sent,
    confirmation_sentence,
    consent_view,
    consultation_view,
    disposal_view,
    grant_view,
    incident_view,
    meeting_view,
    onward_view,
    quality_view,
    request_view,
    review_view,
    version_view,
)
from tasks.portal import person
from web.portal import Portal, signed_in_as
from web.security import PortalSession

View = Callable[[Session, Link, pendulum.DateTime], Any]


@dataclass(frozen=True)
class ActPage:
    """The page an act is done on: its template, what the template calls the matter shown and
    how it is read, and the sentence the person ticks (one per decision, each by the
    decision's name; with none, one called `sentence`)."""

    template: str
    called: str
    view: View
    decisions: tuple[str, ...] = ()
    # the sentences name the version shown (an approval)
    versioned: bool = False
    # anything else the template needs
    also: tuple[tuple[str, Any], ...] = ()


def _of_subject(view: Callable[[Session, str], Any]) -> View:
    """A view read by the link's subject alone."""
    return lambda session, link, now: view(session, link.subject)


def _of_subject_now(view: Callable[[Session, str, pendulum.DateTime], Any]) -> View:
    """A view read by the link's subject and the time (a deadline's hours, a meeting's days)."""
    return lambda session, link, now: view(session, link.subject, now)


MEETING = ActPage("meeting.html", "matter", _of_subject_now(meeting_view), ("schedule", "record"))
PAGES = {
    LinkAction.APPROVE: ActPage(
        "approve.html",
        "version",
        lambda session, link, now: version_view(session, link.subject, link.agency),
        ("approve", "reject"),
        versioned=True,
    ),
    LinkAction.REVIEW: ActPage("review.html", "arrangement", _of_subject(review_view)),
    LinkAction.ATTEST: ActPage("attest.html", "grant", _of_subject(grant_view), ("keep", "revoke")),
    LinkAction.ANSWER_ONWARD: ActPage(
        "onward.html", "asked", _of_subject(onward_view), ("consent", "refuse")
    ),
    LinkAction.DECIDE_INCIDENT: ActPage(
        "incident.html", "incident", _of_subject_now(incident_view), also=(("deciding", True),)
    ),
    LinkAction.ACKNOWLEDGE_INCIDENT: ActPage(
        "incident.html", "incident", _of_subject_now(incident_view), also=(("deciding", False),)
    ),
    LinkAction.CORRECT_DATA: ActPage("quality.html", "notice", _of_subject(quality_view)),
    LinkAction.CLOSE_REQUEST: ActPage("request.html", "asked", _of_subject(request_view)),
    LinkAction.REPLY_CONSULTATION: ActPage(
        "consultation.html", "consulted", _of_subject(consultation_view)
    ),
    LinkAction.ACKNOWLEDGE_CONSENT: ActPage("consent.html", "notice", _of_subject(consent_view)),
    LinkAction.CONFIRM_DISPOSAL: ActPage("disposal.html", "task", _of_subject(disposal_view)),
    LinkAction.MEETING: MEETING,
}


def not_live(
    portal: Portal, request: Request, link: Link, status: int = 410, did: str = ""
) -> Response:
    """A link that cannot be used: for a used one, what its person did with it; never the
    promise of a newer link, which only exists while something still waits on them."""
    title = {
        LinkState.USED: "This link has already been used",
        LinkState.EXPIRED: "This link has expired",
        LinkState.VOID: "This link no longer applies",
    }.get(link.state, "This link cannot be used")
    if did:
        return portal.page(request, "problem.html", status, title=title, detail=did, acted=True)
    detail = f"The link for {link.subject} cannot be used: {link.why}. Each link works once."
    return portal.problem(request, status, title, detail)


def action_page(
    portal: Portal,
    request: Request,
    session: Session,
    link: Link,
    held: PortalSession,
    now: pendulum.DateTime,
    *,
    error: str = "",
    status: int = 200,
    did: str = "",
    gone: int = 410,
) -> Response:
    """The act's page, with `error` (as `status`) when it was not done; or, if the link can no
    longer be used, the page that says so (as `gone`; with what was done, if `did` says)."""
    if link.state is not LinkState.LIVE:
        return not_live(portal, request, link, status=gone, did=did)
    signed_in = signed_in_as(portal, request, now)
    someone = person(session, signed_in) if signed_in else None
    binding = link.action in BINDING
    shown = PAGES.get(link.action, MEETING)
    view = shown.view(session, link, now)
    version = view.version if shown.versioned else None
    sentences = {
        decision: confirmation_sentence(link, version, decision) for decision in shown.decisions
    } or {"sentence": confirmation_sentence(link)}
    return portal.page(
        request,
        shown.template,
        status,
        **{shown.called: view},
        **sentences,
        **dict(shown.also),
        link=link,
        csrf=portal.signer.csrf(held),
        error=error,
        # an act that binds the agency: how the person proves they are the link's addressee
        binding=binding,
        signed_in=signed_in,
        signed_in_name=someone.name if someone is not None else signed_in,
        code_until=code_sent(session, link.id, now) if binding else "",
        code_minutes=CODE_MINUTES,
        hand_over=f"I ask the colleague named here to {act_words(link)} in my place"
        if binding
        else "",
    )
