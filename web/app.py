"""The portal: where a partner acts from the personal link in their email.

`GET /a/{token}` checks the token, moves it into a short-lived signed session cookie and
redirects to `/act/{id}`, a URL without it. A `GET` only shows; the act is a `POST` with the
person's typed name, a ticked confirmation naming the act, and the form's CSRF token, and it
runs the command line's own use case (tasks/links/). An act that binds an agency also needs
the browser signed in as the link's addressee, or the one-time code that `POST
/act/{id}/code` emails to them. Every response carries the headers in web/security.py."""

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pendulum
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.background import BackgroundTask
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from core.db import EVIDENCE, check_connection, check_revision, make_engine
from core.keys import audit_seal, link_issuer
from core.settings import Settings
from models.enums import ContactRole
from models.errors import InvalidInput, IsaError, NotFound, Refused
from models.inputs import MAX_NAME, MAX_TEXT, normalise_email
from models.links import (
    BINDING,
    CODE_MINUTES,
    SESSION_MINUTES,
    LinkAction,
    LinkState,
    Proof,
    looks_like_a_token,
    same_name,
    token_hash,
)
from notifications.publication import publish_pending
from tasks.consent import withdraw_consent
from tasks.decisions import record_decision
from tasks.incidents import REPORTERS as INCIDENT_REPORTERS
from tasks.incidents import report_incident
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
    version_view,
    what_was_done,
)
from tasks.onward import request_onward_sharing
from tasks.portal import (
    Person,
    arrangements_of,
    link_to_act,
    may_see_arrangement,
    open_suspensions,
    overdue_for,
    person,
    request_sign_in,
    use_sign_in,
    waiting_on,
)
from tasks.portal_guard import (
    allow_attempt,
    attempt_key,
    end_session,
    over_limit,
    record_attempts,
    session_ended,
)
from tasks.quality import report_data_quality
from tasks.requests import RECORDERS as REQUEST_RECORDERS
from tasks.requests import record_request
from tasks.suspensions import raise_suspension
from tasks.uow import append_refusal
from tasks.withdrawals import withdraw_agency
from web.security import (
    COOKIE,
    PERSON_COOKIE,
    BodyLimit,
    PortalSession,
    SecurityHeaders,
    Signer,
    client_address,
)

HERE = Path(__file__).parent
LABELS = {
    "typed_name": "your full name",
    "reason": "the reason",
    "method": "the method",
    "certificate": "the certificate reference",
    "meeting_at": "the meeting time",
    "place": "where the meeting is held, or how to join it",
    "outcome": "the outcome",
    "attendee": "an attendee",
    "risk_assessment": "the risk assessment",
    "subject_ref": "the data subject reference",
    "correction": "what was corrected",
    "objection": "your reply (no objection, or objects)",
    "comments": "your comments",
    "note": "how it was answered",
    "summary": "what is asked for",
    "their_ref": "your reference for the request",
    "received_on": "the date it was received",
    "kind": "the kind of request",
    "arrangement": "an arrangement",
    "what": "what was found",
    "data": "the data",
    "purpose": "the purpose",
    "legal_basis": "the legal basis",
    "reasoning": "the reasoning",
    "identity_check": "how the requester's identity was checked",
    "third_party": "the third party",
    "aware_at": "when your agency became aware",
    "notify_regulator": "whether it is reported to the ICO",
    "colleague": "the colleague's email address",
}


class Portal:
    """The app's state: settings, the clock, the register's engine, the signer, the pages."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        issuer = link_issuer(settings)
        self.signer = Signer(issuer.key)
        self.secure = settings.public_url.startswith("https://")
        self.engine: Engine = make_engine(
            settings.database_url,
            audit=audit_seal(settings, "web", process_acts=False),
            mailbox=settings.mail_from,
            office=settings.office_mailbox(),
            links=issuer,
        )
        check_connection(self.engine)
        check_revision(self.engine)
        self.pages = Jinja2Templates(directory=HERE / "templates")
        self.trusted = settings.trusted_networks()

    def now(self) -> pendulum.DateTime:
        return self.settings.current_time()

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def client(self, request: Request) -> str:
        """The client's address: the peer's, or behind a trusted proxy the forwarded one."""
        peer = request.client.host if request.client else None
        found = client_address(peer, request.headers.get("x-forwarded-for"), self.trusted)
        return found or "unknown"

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        return self.pages.TemplateResponse(request, name, context, status_code=status)

    def problem(self, request: Request, status: int, title: str, detail: str) -> Response:
        return self.page(request, "problem.html", status, title=title, detail=detail)


def create_app(settings: Settings | None = None) -> FastAPI:
    portal = Portal(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        # a stopped portal holds no connection to the register
        portal.engine.dispose()

    # a trailing slash is redirected by the 404 handler, to the configured base address
    app = FastAPI(
        docs_url=None, redoc_url=None, openapi_url=None, redirect_slashes=False, lifespan=lifespan
    )
    app.state.portal = portal

    @app.exception_handler(StarletteHTTPException)
    async def plain(request: Request, exc: StarletteHTTPException) -> Response:
        # any other address, or a method a page does not take: a plain page, never JSON
        if exc.status_code == 404:
            moved = _without_slash(app, portal, request)
            return moved if moved is not None else _unknown(portal, request)
        return portal.problem(request, exc.status_code, "That cannot be done here", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def malformed(request: Request, exc: RequestValidationError) -> Response:
        return _unknown(portal, request)

    # every response carries the headers; outermost, every route's body is bounded before any
    # of it is parsed
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)

    @app.api_route("/", methods=["GET", "HEAD"], response_class=HTMLResponse)
    def home(request: Request) -> Response:
        return portal.page(request, "home.html")

    @app.get("/static/site.css")
    def css() -> Response:
        return FileResponse(HERE / "static" / "site.css", media_type="text/css")

    @app.api_route("/a/{token}", methods=["GET", "HEAD"])
    def open_link(request: Request, token: str) -> Response:
        """Check the link and start its session; shows nothing, changes nothing."""
        if not looks_like_a_token(token):
            return _unknown(portal, request)
        now = portal.now()
        with portal.session() as session:
            link = find_link(session, token_hash(token), now)
            if link is None:
                return _unknown(portal, request)
            if link.state is not LinkState.LIVE:
                return _not_live(portal, request, link, did=what_was_done(session, link))
        response = RedirectResponse(f"/act/{link.id}", status_code=303)
        _set(portal, response, COOKIE, portal.signer.session_cookie(link.id, now, SESSION_MINUTES))
        return response

    @app.api_route("/act/{link_id}", methods=["GET", "HEAD"])
    def show(request: Request, link_id: int) -> Response:
        now = portal.now()
        held = _session_for(portal, request, link_id, now)
        if held is None:
            return _no_session(portal, request)
        with portal.session() as session:
            link = link_by_id(session, link_id, now)
            if link.state is LinkState.USED:
                return portal.page(
                    request, "done.html", link=link, did=what_was_done(session, link)
                )
            if link.state is not LinkState.LIVE:
                return _not_live(portal, request, link)
            if link.action is LinkAction.SIGN_IN:
                return portal.page(
                    request, "sign_in_confirm.html", link=link, csrf=portal.signer.csrf(held)
                )
            return _action_page(portal, request, session, link, held, now)

    @app.post("/act/{link_id}")
    async def act(request: Request, link_id: int) -> Response:
        now = portal.now()
        held = _session_for(portal, request, link_id, now)
        if held is None:
            return _no_session(portal, request)
        form = await _form(request)
        values = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        overlong = _overlong(form.multi_items())
        with portal.session() as session:
            link = link_by_id(session, link_id, now)
            if overlong and link.state is LinkState.LIVE and link.action is not LinkAction.SIGN_IN:
                return _action_page(
                    portal, request, session, link, held, now, error=overlong, status=422
                )
            if overlong:
                return portal.problem(request, 422, "That was not recorded", overlong)
            if link.action is LinkAction.SIGN_IN:
                return _signed_in(portal, request, session, held, values, now)
            # refusals are limited per link and per client: a link is not guessed at, nor the
            # audit log filled, any faster than this
            limits = _refusal_limits(portal, request, link=link_id)
            if any(over_limit(session, k, limit=n, now=now) for k, n in limits.items()):
                return _too_many(portal, request)
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
            attendees=tuple(
                v for k, v in form.multi_items() if k == "attendee" and isinstance(v, str)
            ),
            risk_assessment=values.get("risk_assessment", ""),
            correction=values.get("correction", ""),
            objection=values.get("objection", ""),
            comments=values.get("comments", ""),
            note=values.get("note", ""),
            code=values.get("code", ""),
        )
        evidence = _evidence(portal, request, now, "personal link")
        with portal.session() as session:
            csrf_ok = portal.signer.csrf_ok(held, values.get("csrf", ""))
            try:
                act_on_link(
                    session,
                    link_id=link_id,
                    confirmation=confirmation,
                    evidence=evidence,
                    now=now,
                    forged=not csrf_ok,
                    signed_in=_signed_in_as(portal, request, now),
                )
            except IsaError as refusal:
                _count_refusal(portal, limits, now)
                link = link_by_id(session, link_id, now)
                status = _status_of(refusal, csrf_ok, link)
                message = refusal.shown(lambda name: LABELS.get(name, name.replace("_", " ")))
                if link.state is not LinkState.LIVE:
                    did = what_was_done(session, link) if link.state is LinkState.USED else ""
                    return _not_live(portal, request, link, status=status, did=did)
                return _action_page(
                    portal, request, session, link, held, now, error=message, status=status
                )
            # the change is committed: the Prefect events it owes go out now, as from the CLI
            publish_pending(session, api_url=portal.settings.prefect_api_url, now=now)
        return RedirectResponse(f"/act/{link_id}", status_code=303)

    @app.post("/act/{link_id}/code")
    async def ask_code(request: Request, link_id: int) -> Response:
        """Email the link's addressee a one-time code for an act that binds their agency."""
        now = portal.now()
        held = _session_for(portal, request, link_id, now)
        if held is None:
            return _no_session(portal, request)
        form = await _form(request)
        if not portal.signer.csrf_ok(held, str(form.get("csrf", ""))):
            return _no_session(portal, request)
        with portal.session() as session:
            overlong = _overlong(form.multi_items())
            if overlong:
                link = link_by_id(session, link_id, now)
                if link.state is not LinkState.LIVE:
                    return _not_live(portal, request, link)
                return _action_page(
                    portal, request, session, link, held, now, error=overlong, status=422
                )
            try:
                send_code(
                    session,
                    link_id=link_id,
                    evidence=_evidence(portal, request, now, "personal link"),
                    now=now,
                )
            except IsaError as refusal:
                link = link_by_id(session, link_id, now)
                if link.state is not LinkState.LIVE:
                    return _not_live(portal, request, link)
                return _action_page(
                    portal,
                    request,
                    session,
                    link,
                    held,
                    now,
                    error=str(refusal),
                    status=_status_of(refusal, True, link),
                )
            # the code's email leaves now: its delivery run starts at once, as for the act
            publish_pending(session, api_url=portal.settings.prefect_api_url, now=now)
        return RedirectResponse(f"/act/{link_id}", status_code=303)

    @app.post("/act/{link_id}/hand-over")
    async def hand_to_colleague(request: Request, link_id: int) -> Response:
        """The addressee, proved, hands an act that binds their agency to a colleague in the
        same role at the same agency."""
        now = portal.now()
        held = _session_for(portal, request, link_id, now)
        if held is None:
            return _no_session(portal, request)
        form = await _form(request)
        values = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        overlong = _overlong(form.multi_items())
        confirmation = Confirmation(
            typed_name=values.get("typed_name", ""),
            confirmed=values.get("confirm") == "yes",
            shown_hash=values.get("shown_hash", ""),
            code=values.get("code", ""),
        )
        with portal.session() as session:
            link = link_by_id(session, link_id, now)
            if overlong:
                if link.state is not LinkState.LIVE:
                    return _not_live(portal, request, link)
                return _action_page(
                    portal, request, session, link, held, now, error=overlong, status=422
                )
            limits = _refusal_limits(portal, request, link=link_id)
            if any(over_limit(session, k, limit=n, now=now) for k, n in limits.items()):
                return _too_many(portal, request)
            csrf_ok = portal.signer.csrf_ok(held, values.get("csrf", ""))
            try:
                hand_over(
                    session,
                    link_id=link_id,
                    colleague=values.get("colleague", ""),
                    confirmation=confirmation,
                    evidence=_evidence(portal, request, now, "personal link"),
                    now=now,
                    forged=not csrf_ok,
                    signed_in=_signed_in_as(portal, request, now),
                )
            except IsaError as refusal:
                _count_refusal(portal, limits, now)
                link = link_by_id(session, link_id, now)
                status = _status_of(refusal, csrf_ok, link)
                message = refusal.shown(lambda name: LABELS.get(name, name.replace("_", " ")))
                if link.state is not LinkState.LIVE:
                    return _not_live(portal, request, link, status=status)
                return _action_page(
                    portal, request, session, link, held, now, error=message, status=status
                )
            # the colleague's email leaves now
            publish_pending(session, api_url=portal.settings.prefect_api_url, now=now)
        return RedirectResponse(f"/act/{link_id}", status_code=303)

    @app.api_route("/sign-in", methods=["GET", "HEAD"])
    def sign_in_form(request: Request) -> Response:
        now = portal.now()
        cookie = portal.signer.cookie("form", "sign-in", now, SESSION_MINUTES)
        held = portal.signer.session(cookie, "form")
        assert held is not None
        response = portal.page(request, "sign_in.html", csrf=portal.signer.csrf(held))
        _set(portal, response, FORM_COOKIE, cookie)
        return response

    @app.post("/sign-in")
    async def sign_in(request: Request) -> Response:
        """Email a sign-in link if the address is a contact's or a chair's. The reply is the
        same, and so is the work done before it, whether or not the address is known: the
        register is looked up, and the link queued, after the reply has gone."""
        now = portal.now()
        form = await _form(request)
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
            problem = _overlong(form.multi_items())
            if problem:
                raise InvalidInput(problem)
            address = normalise_email(given)
        except InvalidInput:
            shown = problem or f"{given.strip()!r} is not an email address"
            return portal.page(
                request, "sign_in.html", 422, csrf=portal.signer.csrf(held), error=shown
            )
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
            _send_sign_in, portal, address, _evidence(portal, request, now, "sign-in form"), now
        )
        return response

    @app.api_route("/me", methods=["GET", "HEAD"])
    def me(request: Request) -> Response:
        now = portal.now()
        held, who = _person_of(portal, request, now)
        if held is None or who is None:
            return RedirectResponse("/sign-in", status_code=303)
        with portal.session() as session:
            arrangements = arrangements_of(session, who, now)
            return portal.page(
                request,
                "me.html",
                who=who,
                csrf=portal.signer.csrf(held),
                overdue=overdue_for(session, who, now),
                waiting=waiting_on(session, who, now),
                arrangements=arrangements,
                suspensions=open_suspensions(session, now) if who.chair else [],
                may_raise=_may_raise(who, bool(arrangements)),
            )

    @app.api_route("/me/arrangements/{reference}", methods=["GET", "HEAD"])
    def arrangement_page(request: Request, reference: str) -> Response:
        """One arrangement, read-only, for a chair or a contact of one of its parties."""
        now = portal.now()
        held, who = _person_of(portal, request, now)
        if held is None or who is None:
            return RedirectResponse("/sign-in", status_code=303)
        with portal.session() as session:
            if len(reference) > 40 or not may_see_arrangement(session, who, reference):
                return portal.problem(
                    request,
                    404,
                    "No arrangement of yours has that reference",
                    "Only the arrangements your agency is a party to are shown here.",
                )
            row = next(a for a in arrangements_of(session, who, now) if a.reference == reference)
            return portal.page(
                request,
                "arrangement.html",
                who=who,
                csrf=portal.signer.csrf(held),
                version=version_view(session, reference),
                row=row,
            )

    @app.api_route("/me/raise/{matter}", methods=["GET", "HEAD"])
    def raise_page(request: Request, matter: str) -> Response:
        """The form to raise one matter, on a page of its own (the POST is /me/raise)."""
        now = portal.now()
        held, who = _person_of(portal, request, now)
        if held is None or who is None:
            return RedirectResponse("/sign-in", status_code=303)
        with portal.session() as session:
            arrangements = arrangements_of(session, who, now)
        if not _may_raise(who, bool(arrangements)).get(matter):
            return portal.problem(
                request, 404, "That cannot be raised here", "It is not one you may raise."
            )
        return portal.page(
            request,
            "raise.html",
            who=who,
            csrf=portal.signer.csrf(held),
            matter=matter,
            arrangements=arrangements,
        )

    @app.post("/sign-out")
    async def sign_out(request: Request) -> Response:
        """End the session on the server (a copied cookie no longer opens anything), then
        forget the cookies; only from the page's own form (its CSRF token)."""
        now = portal.now()
        form = await _form(request)
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

    @app.post("/me/open")
    async def open_waiting(request: Request) -> Response:
        now = portal.now()
        who, form = await _signed_in_form(portal, request, now)
        if who is None:
            return _no_session(portal, request)
        overlong = _overlong(form.multi_items())
        if overlong:
            return portal.problem(request, 422, "That cannot be done here", overlong)
        try:
            action = LinkAction(str(form.get("action", "")))
        except ValueError:
            return portal.problem(request, 422, "That cannot be done here", "Unknown action.")
        with portal.session() as session:
            link_id = link_to_act(
                session, who=who, action=action, subject=str(form.get("subject", "")), now=now
            )
        if link_id is None:
            return portal.problem(
                request, 409, "Nothing waits on you there", "It may have been done already."
            )
        response = RedirectResponse(f"/act/{link_id}", status_code=303)
        _set(portal, response, COOKIE, portal.signer.session_cookie(link_id, now, SESSION_MINUTES))
        return response

    @app.post("/me/raise")
    async def raise_matter(request: Request) -> Response:
        """A signatory suspends (§41) or gives notice of withdrawal (§42) for their own agency;
        a nominated representative records a data subject's withdrawal of consent (§9, §18);
        a recipient's representative or point of contact notifies data found inaccurate (§33);
        its representative, point of contact or DPO records an information request (§7); a
        discloser's representative records a sharing decision (§9, §13, §19); a recipient's
        representative asks the originator's consent to share data onward (§11, §15); a
        recipient's representative, point of contact or DPO records a security incident (§29)."""
        now = portal.now()
        who, form = await _signed_in_form(portal, request, now)
        if who is None:
            return _no_session(portal, request)
        overlong = _overlong(form.multi_items())
        if overlong:
            return portal.problem(request, 422, "That was not recorded", overlong)
        what = str(form.get("matter", ""))
        reason = str(form.get("reason", ""))
        limits = _refusal_limits(portal, request, person=who.email)
        with portal.session() as session:
            if any(over_limit(session, k, limit=n, now=now) for k, n in limits.items()):
                return _too_many(portal, request)
            session.info[EVIDENCE] = {
                **_evidence(portal, request, now, "signed-in session"),
                "typed_name": str(form.get("typed_name", "")),
                # raised from a browser signed in by the link emailed to this person
                "proof": Proof.SESSION.value,
            }
            try:
                if what not in RAISING:
                    raise InvalidInput(f"{what!r} cannot be raised here")
                unconfirmed = _unconfirmed(who, form)
                if unconfirmed:
                    # refused as the use case would refuse it: recorded, nothing else written
                    append_refusal(
                        session,
                        actor=who.email,
                        action=RAISING[what],
                        subject_type="agency",
                        subject_ref=who.agency,
                        detail=unconfirmed,
                        now=now,
                    )
                    session.commit()
                    raise Refused(unconfirmed)
                if what == "suspension":
                    events = raise_suspension(
                        session, agency=who.agency or "", reason=reason, actor=who.email, now=now
                    )
                elif what == "quality":
                    events = report_data_quality(
                        session,
                        arrangement=str(form.get("arrangement", "")),
                        agency=who.agency or "",
                        what=str(form.get("what", "")),
                        owner=str(form.get("owner", "")) or None,
                        actor=who.email,
                        now=now,
                    )
                elif what == "request":
                    events = record_request(
                        session,
                        agency=who.agency or "",
                        kind=str(form.get("kind", "")),
                        received_on=str(form.get("received_on", "")),
                        their_ref=str(form.get("their_ref", "")),
                        arrangements=[str(a) for a in form.getlist("arrangement") if a],
                        summary=str(form.get("summary", "")),
                        actor=who.email,
                        now=now,
                    )
                elif what == "decision":
                    events = record_decision(
                        session,
                        arrangement=str(form.get("arrangement", "")),
                        agency=who.agency or "",
                        requester=str(form.get("requester", "")),
                        outcome=str(form.get("outcome", "")),
                        data=str(form.get("data", "")),
                        purpose=str(form.get("purpose", "")),
                        legal_basis=str(form.get("legal_basis", "")),
                        reasoning=str(form.get("reasoning", "")),
                        identity_check=str(form.get("identity_check", "")) or None,
                        actor=who.email,
                        now=now,
                    )
                elif what == "onward":
                    events = request_onward_sharing(
                        session,
                        arrangement=str(form.get("arrangement", "")),
                        agency=who.agency or "",
                        third_party=str(form.get("third_party", "")),
                        data=str(form.get("data", "")),
                        purpose=str(form.get("purpose", "")),
                        owner=str(form.get("owner", "")) or None,
                        actor=who.email,
                        now=now,
                    )
                elif what == "incident":
                    events = report_incident(
                        session,
                        agency=who.agency or "",
                        arrangement=str(form.get("arrangement", "")),
                        what=str(form.get("what", "")),
                        aware_at=str(form.get("aware_at", "")),
                        originator=str(form.get("originator", "")) or None,
                        actor=who.email,
                        now=now,
                    )
                elif what == "consent":
                    events = withdraw_consent(
                        session,
                        agency=who.agency or "",
                        data_subject_ref=str(form.get("subject_ref", "")),
                        arrangements=[str(a) for a in form.getlist("arrangement") if a],
                        actor=who.email,
                        now=now,
                    )
                else:
                    events = withdraw_agency(
                        session, agency=who.agency or "", reason=reason, actor=who.email, now=now
                    )
            except IsaError as refusal:
                _count_refusal(portal, limits, now)
                message = refusal.shown(lambda name: LABELS.get(name, name.replace("_", " ")))
                return portal.problem(
                    request,
                    422 if isinstance(refusal, InvalidInput) else 409,
                    "That was not recorded",
                    message,
                )
            finally:
                session.info.pop(EVIDENCE, None)
            # the change is committed: its flow starts as one raised from the CLI does
            published = publish_pending(session, api_url=portal.settings.prefect_api_url, now=now)
        field = {"quality": "notice", "onward": "request"}.get(what, what)
        raised = [str(e.as_dict()[field]) for e in events if e.as_dict().get(field)]
        return portal.page(
            request,
            "raised.html",
            what=what,
            reference=raised[0] if raised else "",
            started=published.error is None,
        )

    return app


# the most any request may carry: every form's fields at their bounds, several times over
MAX_BODY_BYTES = 256 * 1024
# refused acts within a quarter of an hour (tasks/portal_guard.py), beyond which the portal
# answers 429 and writes nothing: per link (or signed-in person), and per client
REFUSALS_PER_LINK = 10
REFUSALS_PER_CLIENT = 15
# each field's bound (the domain's own: models/inputs.py); any other field: MAX_TEXT
FIELD_LIMITS = {
    "typed_name": MAX_NAME,
    "email": 254,
    "colleague": 254,
    "csrf": 128,
    "shown_hash": 128,
    "code": 12,
}
FORM_COOKIE = "isa_form"
# what a signatory may raise from the web, and its use case's name in the audit log
RAISING = {
    "suspension": "suspension.raise",
    "withdrawal": "withdrawal.notify",
    "consent": "consent.withdraw",
    "quality": "data_quality.report",
    "request": "request.record",
    "decision": "decision.record",
    "onward": "onward.request",
    "incident": "incident.report",
}


def _may_raise(who: Person, has_arrangements: bool) -> dict[str, bool]:
    """Which matters the person may raise from the web, by role (the use cases check again)."""
    representative = who.has(ContactRole.NOMINATED_REPRESENTATIVE)
    return {
        "suspension": who.has(ContactRole.SIGNATORY),
        "withdrawal": who.has(ContactRole.SIGNATORY),
        "consent": representative,
        "quality": has_arrangements and (representative or who.has(ContactRole.POINT_OF_CONTACT)),
        "request": has_arrangements and any(who.has(role) for role in REQUEST_RECORDERS),
        "decision": has_arrangements and representative,
        "onward": has_arrangements and representative,
        "incident": has_arrangements and any(who.has(role) for role in INCIDENT_REPORTERS),
    }


async def _form(request: Request) -> FormData:
    """The request's form: no files, a bounded number of fields (the body itself is bounded
    by BodyLimit before it is read)."""
    return await request.form(max_files=0, max_fields=200)


def _overlong(items: Iterable[tuple[str, Any]]) -> str:
    """The first field over its bound, as the error shown beside it; "" when none is."""
    for name, value in items:
        if isinstance(value, UploadFile):
            return "files are not taken here"
        limit = FIELD_LIMITS.get(name, MAX_TEXT)
        if len(value) > limit:
            label = LABELS.get(name, name.replace("_", " "))
            return f"{label} is longer than {limit} characters"
    return ""


def _refusal_limits(
    portal: Portal, request: Request, *, link: int | None = None, person: str | None = None
) -> dict[str, int]:
    mine = (
        attempt_key("link", str(link)) if link is not None else attempt_key("person", person or "")
    )
    return {
        mine: REFUSALS_PER_LINK,
        attempt_key("refused", portal.client(request)): REFUSALS_PER_CLIENT,
    }


def _count_refusal(portal: Portal, limits: dict[str, int], now: pendulum.DateTime) -> None:
    """Count a refused act against its limits, in a transaction of its own."""
    with portal.session() as session:
        record_attempts(session, list(limits), now=now)


def _too_many(portal: Portal, request: Request) -> Response:
    return portal.problem(
        request,
        429,
        "Too many attempts",
        "Too many attempts were refused here just now. Wait a quarter of an hour, then try again.",
    )


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
            # the link lasts 30 minutes: its email's delivery starts now, as an act's does,
            # not at the next quarter-hourly delivery run
            publish_pending(session, api_url=portal.settings.prefect_api_url, now=now)


def _without_slash(app: FastAPI, portal: Portal, request: Request) -> Response | None:
    """A page's address with a trailing slash: a redirect to the page at the configured public
    address (never the request's Host); None when no page is there either."""
    path = request.url.path
    if path == "/" or not path.endswith("/"):
        return None
    bare = path.rstrip("/") or "/"
    scope = {**request.scope, "path": bare}
    if not any(route.matches(scope)[0] is not Match.NONE for route in app.router.routes):
        return None
    query = request.url.query
    return RedirectResponse(
        f"{portal.settings.public_url}{bare}" + (f"?{query}" if query else ""), status_code=307
    )


def _unconfirmed(who: Person, form: Any) -> str:
    """Why the form does not confirm the act deliberately, or ""."""
    typed = form.get("typed_name")
    if not isinstance(typed, str) or not same_name(typed, who.name):
        return (
            "the name typed is not the name the register holds for you: type your full name "
            "as it appears in the register's emails"
        )
    if form.get("confirm") != "yes":
        return "the confirmation was not ticked: tick it to confirm the act"
    return ""


async def _signed_in_form(
    portal: Portal, request: Request, now: pendulum.DateTime
) -> tuple[Person | None, Any]:
    """Who is signed in and what their form sent, if its CSRF token is their session's."""
    held, who = _person_of(portal, request, now)
    form = await _form(request)
    token = form.get("csrf")
    if held is None or not isinstance(token, str) or not portal.signer.csrf_ok(held, token):
        return None, form
    return who, form


def _evidence(
    portal: Portal, request: Request, now: pendulum.DateTime, way_in: str
) -> dict[str, Any]:
    """What the audit keeps of a web request: the way in (a personal link, a signed-in
    session, the sign-in form), the client (behind a trusted proxy, the forwarded one), and
    when."""
    return {
        "channel": "web",
        "way_in": way_in,
        "client": portal.client(request),
        "user_agent": request.headers.get("user-agent", "")[:300],
        "at": now.isoformat(),
    }


def _set(portal: Portal, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=SESSION_MINUTES * 60,
        path="/",
        httponly=True,
        samesite="lax",
        secure=portal.secure,
    )


def _signed_in_as(portal: Portal, request: Request, now: pendulum.DateTime) -> str | None:
    """The address this browser is signed in as (by an emailed sign-in link), if it is."""
    held = portal.signer.session(request.cookies.get(PERSON_COOKIE), "person")
    return held.value if held is not None and held.live(now) else None


def _person_of(
    portal: Portal, request: Request, now: pendulum.DateTime
) -> tuple[PortalSession | None, Person | None]:
    held = portal.signer.session(request.cookies.get(PERSON_COOKIE), "person")
    if held is None or not held.live(now):
        return None, None
    with portal.session() as session:
        if session_ended(session, held.nonce):
            return None, None
        return held, person(session, held.value)


def _signed_in(
    portal: Portal,
    request: Request,
    session: Session,
    held: PortalSession,
    values: dict[str, str],
    now: pendulum.DateTime,
) -> Response:
    """The sign-in link's POST: spend it once and sign the person in."""
    if not portal.signer.csrf_ok(held, values.get("csrf", "")):
        return _no_session(portal, request)
    email = use_sign_in(session, link_id=held.link, now=now)
    if email is None:
        return portal.problem(
            request, 410, "This sign-in link cannot be used", "Ask for a new one at /sign-in."
        )
    response = RedirectResponse("/me", status_code=303)
    # the session lasts on the server exactly as long as the cookie the browser is given
    _set(
        portal, response, PERSON_COOKIE, portal.signer.cookie("person", email, now, SESSION_MINUTES)
    )
    response.delete_cookie(COOKIE, path="/")
    return response


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


def _unknown(portal: Portal, request: Request) -> Response:
    return portal.problem(
        request,
        404,
        "This link is not one the register sent",
        "Check that the whole link from your email was opened: a link cut short or changed does "
        "not work. If it still fails, ask for the email to be sent again.",
    )


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


def _no_session(portal: Portal, request: Request) -> Response:
    return portal.problem(
        request,
        403,
        "Open the link in your email again",
        f"This page needs the personal link from your email, opened in this browser in the last "
        f"{SESSION_MINUTES} minutes.",
    )


def _action_page(
    portal: Portal,
    request: Request,
    session: Session,
    link: Link,
    held: PortalSession,
    now: pendulum.DateTime,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    signed_in = _signed_in_as(portal, request, now)
    someone = person(session, signed_in) if signed_in else None
    common = {
        "link": link,
        "csrf": portal.signer.csrf(held),
        "error": error,
        # an act that binds the agency: how the person proves they are the link's addressee
        "binding": link.action in BINDING,
        "signed_in": signed_in,
        "signed_in_name": someone.name if someone is not None else signed_in,
        "code_until": code_sent(session, link.id, now) if link.action in BINDING else "",
        "code_minutes": CODE_MINUTES,
        "hand_over": f"I ask the colleague named here to {act_words(link)} in my place"
        if link.action in BINDING
        else "",
    }
    template, shown = action_page(session, link, now)
    return portal.page(request, template, status, **shown, **common)
