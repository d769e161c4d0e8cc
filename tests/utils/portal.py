"""Driving the portal in process as a person's browser does (FastAPI's TestClient): open a
link from an email, read the page's forms, act, sign in by email."""

import email as email_parser
import re
from email.policy import default as default_policy
from typing import Any

import pendulum
from fastapi.testclient import TestClient
from sqlmodel import select

from core.settings import Settings
from models.links import link_token
from models.tables import AuditEvent
from notifications.tables import OutboxEmail, OutboxMessage
from tests.conftest import TEST_PUBLIC_URL, TEST_SECRET_KEY, Database
from tests.utils.ports import NO_PREFECT
from web.app import create_app


def portal_at(db: Database, at: pendulum.DateTime) -> TestClient:
    settings = Settings(
        database_url=db.url,
        now=at.isoformat(),
        public_url=TEST_PUBLIC_URL,
        secret_key=TEST_SECRET_KEY,
        prefect_api_url=NO_PREFECT,
    )
    return TestClient(create_app(settings), follow_redirects=False)


def token_for(db: Database, recipient: str, event: str) -> str:
    """The token in the email `event` sent `recipient` (the newest), made as queueing made it."""
    with db.session() as session:
        row = session.exec(
            select(OutboxEmail)
            .where(OutboxEmail.recipient == recipient, OutboxEmail.event == event)
            .order_by(OutboxEmail.id.desc())  # type: ignore[union-attr]
        ).first()
        assert row is not None, f"no {event} email to {recipient}"
        return link_token(TEST_SECRET_KEY.encode(), row.dedupe_key)


def opened(portal: TestClient, token: str) -> tuple[int, str]:
    """Open the link as a browser does: the redirect, then the page."""
    first = portal.get(f"/a/{token}")
    if first.status_code != 303:
        return first.status_code, first.text
    page = portal.get(first.headers["location"])
    return page.status_code, page.text


def form_of(page: str, decision: str) -> dict[str, str]:
    """The hidden fields of the page's form for `decision` (csrf, shown hash)."""
    forms = re.findall(r"<form method=\"post\" action=\"(/act/\d+)\">(.*?)</form>", page, re.S)
    for action, body in forms:
        fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', body))
        if fields.get("decision", "") == decision:
            return {"_action": action, **fields}
    raise AssertionError(f"no {decision} form on the page")


def act(portal: TestClient, page: str, decision: str, **values: str) -> Any:
    fields = form_of(page, decision)
    return portal.post(fields.pop("_action"), data={**fields, **values})


def audit(db: Database, action: str) -> list[AuditEvent]:
    with db.session() as session:
        return list(
            session.exec(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)  # type: ignore[arg-type]
            ).all()
        )


def sign_in_token(db: Database, email: str) -> str:
    return token_for(db, email, "portal.sign_in_requested")


def ask_to_sign_in(portal: TestClient, email: str) -> Any:
    form = portal.get("/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    return portal.post("/sign-in", data={"csrf": csrf.group(1), "email": email})


def signed_in(db: Database, portal: TestClient, email: str) -> str:
    """Sign in by email as a person would; the /me page."""
    assert ask_to_sign_in(portal, email).status_code == 200
    status, page = opened(portal, sign_in_token(db, email))
    assert status == 200 and "Sign in as" in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf is not None
    done = portal.post(
        re.search(r'action="(/act/\d+)"', page).group(1), data={"csrf": csrf.group(1)}
    )  # type: ignore[union-attr]
    assert done.status_code == 303 and done.headers["location"] == "/me"
    me = portal.get("/me")
    assert me.status_code == 200
    return me.text


def code_for(db: Database, email: str) -> str:
    """The one-time code in the newest code email to `email`, read from the message as sent."""
    with db.session() as session:
        row = session.exec(
            select(OutboxEmail)
            .where(OutboxEmail.recipient == email, OutboxEmail.event == "portal.code_requested")
            .order_by(OutboxEmail.id.desc())  # type: ignore[union-attr]
        ).first()
        assert row is not None, f"no code email to {email}"
        stored = session.get(OutboxMessage, row.id)
        assert stored is not None
    message = email_parser.message_from_string(stored.message, policy=default_policy)
    body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    found = re.search(r"^\s+(\d{6})\s*$", body.get_content(), re.M)
    assert found, "the code email carries no code"
    return found.group(1)


def ask_for_code(portal: TestClient, page: str) -> Any:
    """Press the page's "Email me a code" button."""
    form = re.search(
        r'<form method="post" action="(/act/\d+/code)">\s*'
        r'<input type="hidden" name="csrf" value="([^"]+)">',
        page,
    )
    assert form is not None, "the page offers no code"
    return portal.post(form.group(1), data={"csrf": form.group(2)})


def proved(db: Database, portal: TestClient, page: str, email: str) -> str:
    """Ask for a code from the page as its addressee would, and read it from their email."""
    asked = ask_for_code(portal, page)
    assert asked.status_code == 303, asked.text
    return code_for(db, email)
