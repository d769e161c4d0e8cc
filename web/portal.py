"""What every page of the portal shares: the `Portal` (settings, the clock, the register's
engine, the signer, the templates), reached by each route as a dependency; the bounds on a
form and its fields; the evidence an act's audit keeps of the request; the limits on refused
attempts; the cookies and who they say is here; and the plain pages for a link or a session
that does not open anything."""

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import pendulum
from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from core.db import check_connection, check_revision, make_engine
from core.keys import audit_seal, link_issuer
from core.settings import Settings
from models.errors import IsaError
from models.inputs import MAX_NAME, MAX_TEXT
from models.links import SESSION_MINUTES
from tasks.portal import Person, person
from tasks.portal_guard import attempt_key, record_attempts, session_ended
from web.security import PERSON_COOKIE, PortalSession, Signer, client_address

HERE = Path(__file__).parent
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
# the fields' names as an error beside them says them; any other: its name in words
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


async def portal_of(request: Request) -> Portal:
    """The app's Portal (create_app keeps it on the app's state)."""
    portal: Portal = request.app.state.portal
    return portal


PortalDep = Annotated[Portal, Depends(portal_of)]


async def form_of(request: Request) -> FormData:
    """The request's form: no files, a bounded number of fields (the body itself is bounded
    by BodyLimit before it is read)."""
    return await request.form(max_files=0, max_fields=200)


def label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " "))


def refused(refusal: IsaError) -> str:
    """A refusal as the page shows it, its fields named in words."""
    return refusal.shown(label)


def overlong(items: Iterable[tuple[str, Any]]) -> str:
    """The first field over its bound, as the error shown beside it; "" when none is."""
    for name, value in items:
        if isinstance(value, UploadFile):
            return "files are not taken here"
        limit = FIELD_LIMITS.get(name, MAX_TEXT)
        if len(value) > limit:
            return f"{label(name)} is longer than {limit} characters"
    return ""


def refusal_limits(
    portal: Portal, request: Request, *, link: int | None = None, person: str | None = None
) -> dict[str, int]:
    mine = (
        attempt_key("link", str(link)) if link is not None else attempt_key("person", person or "")
    )
    return {
        mine: REFUSALS_PER_LINK,
        attempt_key("refused", portal.client(request)): REFUSALS_PER_CLIENT,
    }


def count_refusal(portal: Portal, limits: dict[str, int], now: pendulum.DateTime) -> None:
    """Count a refused act against its limits, in a transaction of its own."""
    with portal.session() as session:
        record_attempts(session, list(limits), now=now)


def too_many(portal: Portal, request: Request) -> Response:
    return portal.problem(
        request,
        429,
        "Too many attempts",
        "Too many attempts were refused here just now. Wait a quarter of an hour, then try again.",
    )


def evidence(
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


def set_cookie(portal: Portal, response: Response, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=SESSION_MINUTES * 60,
        path="/",
        httponly=True,
        samesite="lax",
        secure=portal.secure,
    )


def signed_in_as(portal: Portal, request: Request, now: pendulum.DateTime) -> str | None:
    """The address this browser is signed in as (by an emailed sign-in link), if it is."""
    held = portal.signer.session(request.cookies.get(PERSON_COOKIE), "person")
    return held.value if held is not None and held.live(now) else None


def person_of(
    portal: Portal, request: Request, now: pendulum.DateTime
) -> tuple[PortalSession | None, Person | None]:
    held = portal.signer.session(request.cookies.get(PERSON_COOKIE), "person")
    if held is None or not held.live(now):
        return None, None
    with portal.session() as session:
        if session_ended(session, held.nonce):
            return None, None
        return held, person(session, held.value)


async def signed_in_form(
    portal: Portal, request: Request, now: pendulum.DateTime
) -> tuple[Person | None, Any]:
    """Who is signed in and what their form sent, if its CSRF token is their session's."""
    held, who = person_of(portal, request, now)
    form = await form_of(request)
    token = form.get("csrf")
    if held is None or not isinstance(token, str) or not portal.signer.csrf_ok(held, token):
        return None, form
    return who, form


def unknown(portal: Portal, request: Request) -> Response:
    return portal.problem(
        request,
        404,
        "This link is not one the register sent",
        "Check that the whole link from your email was opened: a link cut short or changed does "
        "not work. If it still fails, ask for the email to be sent again.",
    )


def no_session(portal: Portal, request: Request) -> Response:
    return portal.problem(
        request,
        403,
        "Open the link in your email again",
        f"This page needs the personal link from your email, opened in this browser in the last "
        f"{SESSION_MINUTES} minutes.",
    )
