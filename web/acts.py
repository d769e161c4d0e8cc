"""The personal link's pages: `GET /a/{token}` checks the token, moves it into a short-lived
signed session cookie and redirects to `/act/{id}`, a URL without it. A `GET` only shows; the
act is a `POST` with the person's typed name, a ticked confirmation naming the act, and the
form's CSRF token, and it runs the command line's own use case (tasks/links/). An act that
binds an agency also needs the browser signed in as the link's addressee, or the one-time code
that `POST /act/{id}/code` emails to them; its addressee may hand it to a colleague
(`POST /act/{id}/hand-over`)."""

from collections.abc import Callable
from typing import Any

import pendulum
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from models.errors import InvalidInput, IsaError, NotFound
from models.links import (
    BINDING,
    CODE_MINUTES,
    SESSION_MINUTES,
    LinkAction,
    LinkState,
    looks_like_a_token,
    token_hash,
)
from notifications.publication import publish_pending
from tasks.links import (
    Confirmation,
    Link,
    act_on_link,
    act_words,
    action_page,
    code_sent,
    find_link,
    hand_over,
    link_by_id,
    send_code,
    what_was_done,
)
from tasks.portal import person
from tasks.portal_guard import over_limit, session_ended
from web.portal import (
    Portal,
    PortalDep,
    count_refusal,
    evidence,
    form_of,
    no_session,
    overlong,
    refusal_limits,
    refused,
    set_cookie,
    signed_in_as,
    too_many,
    unknown,
)
from web.security import COOKIE, PortalSession
from web.sign_in import signed_in

router = APIRouter()


@router.api_route("/a/{token}", methods=["GET", "HEAD"])
def open_link(request: Request, token: str, portal: PortalDep) -> Response:
    """Check the link and start its session; shows nothing, changes nothing."""
    if not looks_like_a_token(token):
        return unknown(portal, request)
    now = portal.now()
    with portal.session() as session:
        link = find_link(session, token_hash(token), now)
        if link is None:
            return unknown(portal, request)
        if link.state is not LinkState.LIVE:
            return _not_live(portal, request, link, did=what_was_done(session, link))
    response = RedirectResponse(f"/act/{link.id}", status_code=303)
    set_cookie(
        portal, response, COOKIE, portal.signer.session_cookie(link.id, now, SESSION_MINUTES)
    )
    return response


@router.api_route("/act/{link_id}", methods=["GET", "HEAD"])
def show(request: Request, link_id: int, portal: PortalDep) -> Response:
    now = portal.now()
    held = _session_for(portal, request, link_id, now)
    if held is None:
        return no_session(portal, request)
    with portal.session() as session:
        link = link_by_id(session, link_id, now)
        if link.state is LinkState.USED:
            return portal.page(request, "done.html", link=link, did=what_was_done(session, link))
        if link.state is not LinkState.LIVE:
            return _not_live(portal, request, link)
        if link.action is LinkAction.SIGN_IN:
            return portal.page(
                request, "sign_in_confirm.html", link=link, csrf=portal.signer.csrf(held)
            )
        return _page(portal, request, session, link, held, now)


@router.post("/act/{link_id}")
async def act(request: Request, link_id: int, portal: PortalDep) -> Response:
    now = portal.now()
    held = _session_for(portal, request, link_id, now)
    if held is None:
        return no_session(portal, request)
    form = await form_of(request)
    values = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    too_long = overlong(form.multi_items())
    with portal.session() as session:
        link = link_by_id(session, link_id, now)
        if too_long and link.state is LinkState.LIVE and link.action is not LinkAction.SIGN_IN:
            return _page(portal, request, session, link, held, now, error=too_long, status=422)
        if too_long:
            return portal.problem(request, 422, "That was not recorded", too_long)
        if link.action is LinkAction.SIGN_IN:
            return signed_in(portal, request, session, held, values, now)
        # refusals are limited per link and per client: a link is not guessed at, nor the
        # audit log filled, any faster than this
        limits = refusal_limits(portal, request, link=link_id)
        if any(over_limit(session, k, limit=n, now=now) for k, n in limits.items()):
            return too_many(portal, request)
    confirmation = Confirmation(
        typed_name=values.get("typed_name", ""),
        confirmed=values.get("confirm") == "yes",
        decision=values.get("decision", ""),
        shown_hash=values.get("shown_hash", ""),
        reason=values.get("reason", ""),
        method=values.get("method", ""),
        certificate=values.get("certificate", ""),
        meeting_at=values.get("meeting_at", ""),
        place=values.get("place", ""),
        outcome=values.get("outcome", ""),
        attendees=tuple(v for k, v in form.multi_items() if k == "attendee" and isinstance(v, str)),
        risk_assessment=values.get("risk_assessment", ""),
        correction=values.get("correction", ""),
        objection=values.get("objection", ""),
        comments=values.get("comments", ""),
        note=values.get("note", ""),
        code=values.get("code", ""),
    )
    with portal.session() as session:
        csrf_ok = portal.signer.csrf_ok(held, values.get("csrf", ""))
        # the change is committed: the Prefect events it owes go out now, as from the CLI
        return _done_or_refused(
            portal,
            request,
            session,
            held,
            now,
            act_on_link,
            limits=limits,
            csrf_ok=csrf_ok,
            say_done=True,
            confirmation=confirmation,
        )


@router.post("/act/{link_id}/code")
async def ask_code(request: Request, link_id: int, portal: PortalDep) -> Response:
    """Email the link's addressee a one-time code for an act that binds their agency."""
    now = portal.now()
    held = _session_for(portal, request, link_id, now)
    if held is None:
        return no_session(portal, request)
    form = await form_of(request)
    if not portal.signer.csrf_ok(held, str(form.get("csrf", ""))):
        return no_session(portal, request)
    with portal.session() as session:
        too_long = overlong(form.multi_items())
        if too_long:
            link = link_by_id(session, link_id, now)
            return _page(portal, request, session, link, held, now, error=too_long, status=422)
        try:
            send_code(
                session,
                link_id=link_id,
                evidence=evidence(portal, request, now, "personal link"),
                now=now,
            )
        except IsaError as refusal:
            link = link_by_id(session, link_id, now)
            status = _status_of(refusal, True, link)
            return _page(
                portal,
                request,
                session,
                link,
                held,
                now,
                error=str(refusal),
                status=status,
            )
        # the code's email leaves now: its delivery run starts at once, as for the act
        publish_pending(session, api_url=portal.settings.prefect_api_url, now=now)
    return RedirectResponse(f"/act/{link_id}", status_code=303)


@router.post("/act/{link_id}/hand-over")
async def hand_to_colleague(request: Request, link_id: int, portal: PortalDep) -> Response:
    """The addressee, proved, hands an act that binds their agency to a colleague in the
    same role at the same agency."""
    now = portal.now()
    held = _session_for(portal, request, link_id, now)
    if held is None:
        return no_session(portal, request)
    form = await form_of(request)
    values = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    too_long = overlong(form.multi_items())
    confirmation = Confirmation(
        typed_name=values.get("typed_name", ""),
        confirmed=values.get("confirm") == "yes",
        shown_hash=values.get("shown_hash", ""),
        code=values.get("code", ""),
    )
    with portal.session() as session:
        link = link_by_id(session, link_id, now)
        if too_long:
            return _page(portal, request, session, link, held, now, error=too_long, status=422)
        limits = refusal_limits(portal, request, link=link_id)
        if any(over_limit(session, k, limit=n, now=now) for k, n in limits.items()):
            return too_many(portal, request)
        csrf_ok = portal.signer.csrf_ok(held, values.get("csrf", ""))
        # the colleague's email leaves now
        return _done_or_refused(
            portal,
            request,
            session,
            held,
            now,
            hand_over,
            limits=limits,
            csrf_ok=csrf_ok,
            say_done=False,
            colleague=values.get("colleague", ""),
            confirmation=confirmation,
        )


def _done_or_refused(
    portal: Portal,
    request: Request,
    session: Session,
    held: PortalSession,
    now: pendulum.DateTime,
    use_case: Callable[..., object],
    *,
    limits: dict[str, int],
    csrf_ok: bool,
    say_done: bool,
    **given: Any,
) -> Response:
    """Run the link's use case (tasks/links/) with what the form gave, and publish the events
    it owes; back to the link's page. Refused: counted against its limits, then its page again
    with why, or, if the link can no longer be used, the page that says so (with what was done
    with it, if `say_done`)."""
    try:
        use_case(
            session,
            link_id=held.link,
            evidence=evidence(portal, request, now, "personal link"),
            now=now,
            forged=not csrf_ok,
            signed_in=signed_in_as(portal, request, now),
            **given,
        )
    except IsaError as refusal:
        count_refusal(portal, limits, now)
        link = link_by_id(session, held.link, now)
        status = _status_of(refusal, csrf_ok, link)
        did = what_was_done(session, link) if say_done and link.state is LinkState.USED else ""
        return _page(
            portal,
            request,
            session,
            link,
            held,
            now,
            error=refused(refusal),
            status=status,
            did=did,
            gone=status,
        )
    publish_pending(session, api_url=portal.settings.prefect_api_url, now=now)
    return RedirectResponse(f"/act/{held.link}", status_code=303)


def _status_of(refusal: IsaError, csrf_ok: bool, link: Link) -> int:
    if not csrf_ok:
        return 403
    if link.state is not LinkState.LIVE:
        return 410
    if isinstance(refusal, InvalidInput):
        return 422
    if isinstance(refusal, NotFound):
        return 404
    return 409


def _session_for(
    portal: Portal, request: Request, link_id: int, now: pendulum.DateTime
) -> PortalSession | None:
    held = portal.signer.session(request.cookies.get(COOKIE))
    if held is None or held.link != link_id or not held.live(now):
        return None
    with portal.session() as session:
        if session_ended(session, held.nonce):
            return None
    return held


def _not_live(
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


def _page(
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
    """The act's page (its template and what it shows: tasks/links/acts.py), with `error`
    (as `status`) when it was not done; or, if the link can no longer be used, the page that
    says so (as `gone`; with what was done, if `did` says)."""
    if link.state is not LinkState.LIVE:
        return _not_live(portal, request, link, status=gone, did=did)
    signed_in = signed_in_as(portal, request, now)
    someone = person(session, signed_in) if signed_in else None
    binding = link.action in BINDING
    template, shown = action_page(session, link, now)
    return portal.page(
        request,
        template,
        status,
        **shown,
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
