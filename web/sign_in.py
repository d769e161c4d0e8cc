"""Signing in and out, and the public pages around them: the home page and the style sheet;
`/sign-in`, which emails a contact or a chair a sign-in link (tasks/portal.py) and says the
same whether or not the address is known; the sign-in link's own act, which signs the browser
in; and `/sign-out`, which ends the session on the server."""

from typing import Any

import pendulum
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.background import BackgroundTask

from core.db import EVIDENCE
from models.errors import InvalidInput
from models.inputs import normalise_email
from models.links import SESSION_MINUTES
from notifications.delivery import deliver_outbox_sync
from notifications.publication import publish_pending
from tasks.portal import request_sign_in, use_sign_in
from tasks.portal_guard import allow_attempt, attempt_key, end_session
from web.portal import (
    HERE,
    Portal,
    PortalDep,
    evidence,
    form_of,
    no_session,
    overlong,
    set_cookie,
)
from web.security import COOKIE, PERSON_COOKIE, PortalSession

router = APIRouter()

FORM_COOKIE = "isa_form"
# what the portal sends at once after a sign-in request: the person's due emails, the sign-in
# link among them (a handful at most; the rest wait for the delivery run)
SIGN_IN_SENDS = 10


@router.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
def home(request: Request, portal: PortalDep) -> Response:
    return portal.page(request, "home.html")


@router.get("/static/site.css")
def css() -> Response:
    return FileResponse(HERE / "static" / "site.css", media_type="text/css")


@router.api_route("/sign-in", methods=["GET", "HEAD"])
def sign_in_form(request: Request, portal: PortalDep) -> Response:
    now = portal.now()
    cookie = portal.signer.cookie("form", "sign-in", now, SESSION_MINUTES)
    held = portal.signer.session(cookie, "form")
    assert held is not None
    response = portal.page(request, "sign_in.html", csrf=portal.signer.csrf(held))
    set_cookie(portal, response, FORM_COOKIE, cookie)
    return response


@router.post("/sign-in")
async def sign_in(request: Request, portal: PortalDep) -> Response:
    """Email a sign-in link if the address is a contact's or a chair's. The reply is the
    same, and so is the work done before it, whether or not the address is known: the
    register is looked up, and the link queued, after the reply has gone."""
    now = portal.now()
    form = await form_of(request)
    held = portal.signer.session(request.cookies.get(FORM_COOKIE), "form")
    if (
        held is None
        or not held.live(now)
        or not portal.signer.csrf_ok(held, str(form.get("csrf", "")))
    ):
        return portal.problem(
            request, 403, "Open the sign-in page again", "The form had expired or was not ours."
        )
    given = str(form.get("email", ""))
    try:
        problem = overlong(form.multi_items())
        if problem:
            raise InvalidInput(problem)
        address = normalise_email(given)
    except InvalidInput:
        shown = problem or f"{given.strip()!r} is not an email address"
        return portal.page(request, "sign_in.html", 422, csrf=portal.signer.csrf(held), error=shown)
    with portal.session() as session:
        allowed = allow_attempt(
            session,
            {
                attempt_key("client", portal.client(request)): 20,
                attempt_key("address", address): 5,
            },
            now=now,
        )
    if not allowed:
        return portal.problem(
            request,
            429,
            "Too many attempts",
            "Too many sign-in links were asked for just now. Wait a quarter of an hour.",
        )
    response = portal.page(request, "sign_in_sent.html", email=address)
    response.background = BackgroundTask(
        _send_sign_in, portal, address, evidence(portal, request, now, "sign-in form"), now
    )
    return response


@router.post("/sign-out")
async def sign_out(request: Request, portal: PortalDep) -> Response:
    """End the session on the server (a copied cookie no longer opens anything), then
    forget the cookies; only from the page's own form (its CSRF token)."""
    now = portal.now()
    form = await form_of(request)
    held = portal.signer.session(request.cookies.get(PERSON_COOKIE), "person")
    token = form.get("csrf")
    if held is None or not isinstance(token, str) or not portal.signer.csrf_ok(held, token):
        return portal.problem(
            request,
            403,
            "That cannot be done here",
            "Sign out with the button on your page: this form had expired or was not ours.",
        )
    with portal.session() as session:
        end_session(session, nonce=held.nonce, expires_at=held.expires, now=now)
        link = portal.signer.session(request.cookies.get(COOKIE))
        if link is not None:
            end_session(session, nonce=link.nonce, expires_at=link.expires, now=now)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(PERSON_COOKIE, path="/")
    response.delete_cookie(COOKIE, path="/")
    return response


def signed_in(
    portal: Portal,
    request: Request,
    session: Session,
    held: PortalSession,
    values: dict[str, str],
    now: pendulum.DateTime,
) -> Response:
    """The sign-in link's POST (to /act/{id}): spend it once and sign the person in."""
    if not portal.signer.csrf_ok(held, values.get("csrf", "")):
        return no_session(portal, request)
    email = use_sign_in(session, link_id=held.link, now=now)
    if email is None:
        return portal.problem(
            request, 410, "This sign-in link cannot be used", "Ask for a new one at /sign-in."
        )
    response = RedirectResponse("/me", status_code=303)
    # the session lasts on the server exactly as long as the cookie the browser is given
    set_cookie(
        portal, response, PERSON_COOKIE, portal.signer.cookie("person", email, now, SESSION_MINUTES)
    )
    response.delete_cookie(COOKIE, path="/")
    return response


def _send_sign_in(
    portal: Portal, address: str, evidence: dict[str, Any], now: pendulum.DateTime
) -> None:
    """After the reply: email the sign-in link if the address is known (tasks/portal.py)."""
    with portal.session() as session:
        session.info[EVIDENCE] = evidence
        try:
            queued = request_sign_in(session, email=address, now=now)
        finally:
            session.info.pop(EVIDENCE, None)
        if queued:
            # the link lasts 30 minutes: its email leaves now, sent from here (only this
            # person's: a few rows at most), not at the next quarter-hourly delivery run; the
            # delivery run its event starts is the safety net should the relay not answer
            deliver_outbox_sync(
                portal.engine, portal.settings, portal.now(), limit=SIGN_IN_SENDS, recipient=address
            )
            publish_pending(session, api_url=portal.settings.prefect_api_url, now=now)
