"""The portal from outside, on both backends: bodies and fields are bounded before they are
parsed, refusals and sign-in asks are limited where every portal process sees the counts,
signing in answers the same way for a known and an unknown address, signing out ends the
session on the server, a redirect never names the request's Host, and the client address is
taken from X-Forwarded-For only behind a trusted proxy."""

import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import anyio
import pendulum
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import event
from sqlmodel import Session

from core.settings import Settings, setting_problem
from tasks.protocol.arrangements import submit_arrangement
from tests.conftest import TEST_PUBLIC_URL, TEST_SECRET_KEY, Database
from tests.utils.factories import COUNCIL, POLICE, TRUST, People, drafted
from tests.utils.portal import (
    act,
    ask_to_sign_in,
    audit,
    opened,
    portal_at,
    proved,
    sign_in_token,
    signed_in,
    token_for,
)
from tests.utils.ports import NO_PREFECT
from web.app import create_app
from web.portal import MAX_BODY_BYTES, REFUSALS_PER_CLIENT, REFUSALS_PER_LINK
from web.security import PERSON_COOKIE

TRUST_NAME = "Signatory of Northshire NHS Trust"


@pytest.fixture
def portal(db: Database, now: pendulum.DateTime) -> Iterator[TestClient]:
    with portal_at(db, now.add(minutes=5)) as client:
        yield client


def _settings(db: Database, at: pendulum.DateTime, **more: Any) -> Settings:
    return Settings(
        database_url=db.url,
        now=at.isoformat(),
        public_url=TEST_PUBLIC_URL,
        secret_key=TEST_SECRET_KEY,
        prefect_api_url=NO_PREFECT,
        **more,
    )


def submitted(session: Session, people: People, now: pendulum.DateTime) -> str:
    ref = drafted(session, people, now)
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    return ref


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


# --- redirects use the configured base address ---------------------------------------------


@pytest.mark.parametrize("path", ["/sign-in/", "/me/", "/a/" + "A" * 43 + "/"])
def test_a_trailing_slash_redirects_to_the_configured_base_never_the_requests_host(
    portal: TestClient, path: str
) -> None:
    moved = portal.get(path + "?x=1", headers={"host": "evil.example"})
    assert moved.status_code in (301, 307, 308)
    location = moved.headers["location"]
    assert location == f"{TEST_PUBLIC_URL}{path.rstrip('/')}?x=1"
    assert "evil.example" not in location


def test_a_trailing_slash_on_no_page_is_a_plain_404(portal: TestClient) -> None:
    missing = portal.get("/nowhere/", headers={"host": "evil.example"})
    assert missing.status_code == 404 and "location" not in missing.headers


# --- signing out ends the session ------------------------------------------------------------


def test_signing_out_ends_the_session_on_the_server_so_a_copied_cookie_no_longer_opens_me(
    db: Database, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    me = signed_in(db, portal, people.signatory[TRUST])
    copied = portal.cookies.get(PERSON_COOKIE)
    assert copied
    out = portal.post("/sign-out", data={"csrf": _csrf(me)})
    assert out.status_code == 303
    with portal_at(db, now.add(minutes=6)) as other:
        other.cookies.set(PERSON_COOKIE, copied)
        again = other.get("/me")
        assert again.status_code == 303 and again.headers["location"].endswith("/sign-in")
        raised = other.post(
            "/me/raise",
            data={"csrf": _csrf(me), "matter": "suspension", "reason": "x"},
        )
        assert raised.status_code == 403


def test_sign_out_without_its_csrf_token_is_refused_and_the_session_stays(
    db: Database, people: People, portal: TestClient
) -> None:
    signed_in(db, portal, people.signatory[TRUST])
    before = db.snapshot()
    for data in ({}, {"csrf": "forged"}):
        refused = portal.post("/sign-out", data=data)
        assert refused.status_code == 403
        assert PERSON_COOKIE not in refused.headers.get("set-cookie", "")
    assert db.snapshot() == before
    assert portal.get("/me").status_code == 200


def test_a_signed_in_session_lasts_on_the_server_exactly_as_long_as_its_cookie(
    db: Database, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    signed_at = now.add(minutes=5)  # the portal fixture's clock
    assert ask_to_sign_in(portal, people.signatory[TRUST]).status_code == 200
    status, page = opened(portal, sign_in_token(db, people.signatory[TRUST]))
    assert status == 200
    action = re.search(r'action="(/act/\d+)"', page)
    assert action is not None
    done = portal.post(action.group(1), data={"csrf": _csrf(page)})
    assert done.status_code == 303
    told = re.search(r"isa_person=([^;]+);.*?Max-Age=(\d+)", done.headers["set-cookie"], re.I)
    assert told is not None
    cookie, lifetime = told.group(1), int(told.group(2))
    # the server agrees with what the browser was told, to the second
    for seconds, status in ((lifetime - 1, 200), (lifetime, 303)):
        with portal_at(db, signed_at.add(seconds=seconds)) as later:
            later.cookies.set(PERSON_COOKIE, cookie)
            assert later.get("/me").status_code == status, seconds


# --- fields and bodies are bounded -----------------------------------------------------------


def test_a_typed_name_over_its_bound_is_a_field_error_that_writes_nothing(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    submitted(session, people, now)
    _, page = opened(portal, token_for(db, people.signatory[TRUST], "arrangement.submitted"))
    before = db.snapshot()
    refused = act(portal, page, "approve", typed_name="x" * 201, confirm="yes")
    assert refused.status_code == 422
    assert "your full name is longer than 200 characters" in refused.text
    assert db.snapshot() == before
    code = proved(db, portal, page, people.signatory[TRUST])
    again = act(portal, page, "approve", typed_name=TRUST_NAME, confirm="yes", code=code)
    assert again.status_code == 303


def test_every_field_of_a_signed_in_form_is_bounded_and_an_overlong_one_writes_nothing(
    db: Database, people: People, portal: TestClient
) -> None:
    me = signed_in(db, portal, people.signatory[POLICE])
    before = db.snapshot()
    for field, size in (("typed_name", 201), ("reason", 4001), ("anything", 4001)):
        data = {
            "csrf": _csrf(me),
            "matter": "suspension",
            "reason": "Laptop stolen",
            "typed_name": "Signatory of Northshire Police",
            "confirm": "yes",
            field: "y" * size,
        }
        refused = portal.post("/me/raise", data=data)
        assert refused.status_code == 422, (field, refused.status_code)
        assert "is longer than" in refused.text
    assert db.snapshot() == before


def test_a_sign_in_address_over_its_bound_is_refused_and_writes_nothing(
    db: Database, people: People, portal: TestClient
) -> None:
    before = db.snapshot()
    refused = ask_to_sign_in(portal, "a" * 300 + "@example.org")
    assert refused.status_code == 422 and "is longer than" in refused.text
    assert db.snapshot() == before


def test_a_body_over_the_bound_is_refused_with_413_and_writes_nothing(
    db: Database, people: People, portal: TestClient
) -> None:
    before = db.snapshot()
    for path in ("/sign-in", "/me/raise", "/me/open", "/sign-out", "/act/1"):
        refused = portal.post(path, content=b"a=" + b"x" * MAX_BODY_BYTES)
        assert refused.status_code == 413, path
    assert db.snapshot() == before


class Served:
    """The portal served by uvicorn on a port the system gave it, in a thread."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start within 30 s"
            time.sleep(0.02)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()
        self.app.state.portal.engine.dispose()


def _reply_while_sending(port: int, head: bytes, chunk: bytes, most: int) -> tuple[bytes, int]:
    """Send `head` then `chunk` after chunk (up to `most` bytes) until the server answers; its
    answer's first bytes and how many body bytes had been sent by then."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head)
        conn.setblocking(False)
        sent = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                answer = conn.recv(4096)
                if answer:
                    return answer, sent
            except BlockingIOError:
                pass
            if sent < most:
                try:
                    conn.send(chunk)
                    sent += len(chunk)
                except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                    time.sleep(0.01)
            else:
                time.sleep(0.01)
        raise AssertionError(f"no answer within 30 s after sending {sent} bytes")


@pytest.mark.parametrize("path", ["/sign-in", "/me/raise", "/act/1"])
def test_a_huge_body_is_refused_before_it_is_read_whether_or_not_its_length_is_declared(
    db: Database, now: pendulum.DateTime, path: str
) -> None:
    served = Served(create_app(_settings(db, now)))
    try:
        declared = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
            "\r\nContent-Length: 400000000\r\n\r\n"
        ).encode()
        # form fields of 64 KiB each, none over any parser's own bound on one field
        fields = b"&f=" + b"x" * 65533
        answer, sent = _reply_while_sending(served.port, declared, fields, 400_000_000)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:80]
        assert sent < 8 * MAX_BODY_BYTES + 4 * 1024 * 1024
        # the same, streamed with no length declared
        chunk = fields
        chunked = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
            "\r\nTransfer-Encoding: chunked\r\n\r\n"
        ).encode()
        answer, sent = _reply_while_sending(
            served.port, chunked, b"%x\r\n" % len(chunk) + chunk + b"\r\n", 400_000_000
        )
        # a page that needs no body (a link's act without its session) answers before reading it
        assert answer.startswith(b"HTTP/1.1 413" if path != "/act/1" else b"HTTP/1.1 403"), answer[
            :80
        ]
        assert sent < 8 * MAX_BODY_BYTES + 4 * 1024 * 1024
    finally:
        served.close()


# --- refusals and sign-in asks are limited, in the register -----------------------------------


def test_refusals_on_a_link_are_limited_and_a_restarted_portal_keeps_the_count(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    submitted(session, people, now)
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    _, page = opened(portal, token)
    for _ in range(REFUSALS_PER_LINK):
        assert act(portal, page, "approve", typed_name="Eve", confirm="yes").status_code == 409
    refusals = len(audit(db, "arrangement.approve"))
    assert refusals == REFUSALS_PER_LINK
    before = db.snapshot(exclude=("portal_attempt",))
    limited = act(portal, page, "approve", typed_name="Eve", confirm="yes")
    assert limited.status_code == 429 and "Too many" in limited.text
    # a restarted portal (another process) sees the same count
    with portal_at(db, now.add(minutes=6)) as restarted:
        _, again = opened(restarted, token)
        assert act(restarted, again, "approve", typed_name="Eve", confirm="yes").status_code == 429
        # even the right name waits out the window: the link is not guessed at any faster
        assert (
            act(restarted, again, "approve", typed_name=TRUST_NAME, confirm="yes").status_code
            == 429
        )
    assert db.snapshot(exclude=("portal_attempt",)) == before
    # a quarter of an hour later the person can act
    with portal_at(db, now.add(minutes=25)) as later:
        _, fresh = opened(later, token)
        code = proved(db, later, fresh, people.signatory[TRUST])
        approved = act(later, fresh, "approve", typed_name=TRUST_NAME, confirm="yes", code=code)
        assert approved.status_code == 303


def test_refusals_from_one_client_are_limited_across_links(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    assert REFUSALS_PER_CLIENT < 2 * REFUSALS_PER_LINK  # two links reach the client's first
    submitted(session, people, now)
    tokens = [
        token_for(db, signatory, "arrangement.submitted")
        for signatory in (people.signatory[TRUST], people.signatory[COUNCIL])
    ]
    app = create_app(_settings(db, now.add(minutes=5)))

    def refused(client: TestClient, attempt: int) -> int:
        # the links take turns, so neither reaches its own limit
        _, page = opened(client, tokens[attempt % 2])
        return int(act(client, page, "approve", typed_name="Eve", confirm="yes").status_code)

    with TestClient(app, follow_redirects=False, client=("198.51.100.1", 4000)) as one:
        statuses = [refused(one, attempt) for attempt in range(REFUSALS_PER_CLIENT + 1)]
    assert statuses == [409] * REFUSALS_PER_CLIENT + [429]
    # another client is still heard on the same links
    with TestClient(app, follow_redirects=False, client=("198.51.100.2", 4000)) as other:
        assert refused(other, 0) == 409


def test_sign_in_limits_are_kept_in_the_register_across_a_restart(
    db: Database, people: People, now: pendulum.DateTime
) -> None:
    with portal_at(db, now) as first:
        statuses = [ask_to_sign_in(first, people.signatory[TRUST]).status_code for _ in range(5)]
    assert statuses == [200] * 5
    with portal_at(db, now.add(minutes=1)) as restarted:
        assert ask_to_sign_in(restarted, people.signatory[TRUST]).status_code == 429


def test_old_attempts_are_pruned(db: Database, people: People, now: pendulum.DateTime) -> None:
    with portal_at(db, now) as first:
        for _ in range(3):
            ask_to_sign_in(first, people.signatory[TRUST])
    assert db.count("portal_attempt") > 0
    with portal_at(db, now.add(hours=1)) as later:
        ask_to_sign_in(later, "someone@else.example")
    # only the last ask's own attempts remain
    assert db.count("portal_attempt") == 2  # its client's and its address's


# --- sign-in tells nothing by its work --------------------------------------------------------


def _work_before_reply(app: FastAPI, cookie: str, body: bytes) -> tuple[int, list[str]]:
    """The reply's status and the SQL the portal ran before its reply was complete."""
    engine = app.state.portal.engine
    statements: list[str] = []
    replied: list[int] = []
    before_reply: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        statements.append(" ".join(statement.split()))

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            replied.append(message["status"])
        if message["type"] == "http.response.body" and not message.get("more_body"):
            before_reply.extend(statements)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/sign-in",
        "raw_path": b"/sign-in",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
            (b"cookie", f"isa_form={cookie}".encode()),
        ],
        "client": ("198.51.100.7", 5000),
        "server": ("127.0.0.1", 8000),
    }
    event.listen(engine, "before_cursor_execute", seen)
    try:
        anyio.run(app, scope, receive, send)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return replied[0], before_reply


def test_asking_to_sign_in_does_the_same_work_before_replying_for_a_known_and_an_unknown_address(
    db: Database, people: People, now: pendulum.DateTime
) -> None:
    from urllib.parse import urlencode

    app = create_app(_settings(db, now))
    with TestClient(app) as client:
        form = client.get("/sign-in")
        cookie = form.cookies["isa_form"]
        csrf = _csrf(form.text)
    known, unknown = people.signatory[TRUST], "nobody@nowhere.example"
    status_known, work_known = _work_before_reply(
        app, cookie, urlencode({"csrf": csrf, "email": known}).encode()
    )
    status_unknown, work_unknown = _work_before_reply(
        app, cookie, urlencode({"csrf": csrf, "email": unknown}).encode()
    )
    app.state.portal.engine.dispose()
    assert status_known == status_unknown == 200
    assert work_known == work_unknown
    # and the known address was sent its link all the same, after the reply
    assert db.count("action_link", f"email = '{known}' AND action = 'sign_in'") == 1


# --- the client address and trusted proxies ---------------------------------------------------


@pytest.mark.parametrize(
    ("trusted", "forwarded", "client"),
    [
        # no proxy trusted (the default): the header is anyone's to write, and is ignored
        ("", "203.0.113.9", "10.0.0.1"),
        # behind a trusted proxy: the right-most address it did not add itself
        ("10.0.0.0/8", "203.0.113.9, 10.0.0.7", "203.0.113.9"),
        # what the client wrote before the proxy's own entry is not believed
        ("10.0.0.0/8", "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        ("10.0.0.1", "", "10.0.0.1"),
    ],
)
def test_the_client_address_comes_from_x_forwarded_for_only_behind_a_trusted_proxy(
    db: Database,
    session: Session,
    people: People,
    now: pendulum.DateTime,
    trusted: str,
    forwarded: str,
    client: str,
) -> None:
    submitted(session, people, now)
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    app = create_app(_settings(db, now.add(minutes=5), trusted_proxies=trusted))
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    with TestClient(
        app, follow_redirects=False, client=("10.0.0.1", 4000), headers=headers
    ) as portal:
        _, page = opened(portal, token)
        assert act(portal, page, "approve", typed_name="Eve", confirm="yes").status_code == 409
    evidence = audit(db, "arrangement.approve")[-1].evidence
    assert evidence is not None and evidence["client"] == client


def test_a_trusted_proxy_that_is_not_an_address_is_named_in_one_line() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(trusted_proxies="10.0.0.0/8, not-an-address")
    [error] = refused.value.errors()
    assert setting_problem(error).startswith(
        "ISA_TRUSTED_PROXIES: not an IP address or network: 'not-an-address'"
    )
    assert Settings(trusted_proxies=" 10.0.0.0/8 ,::1 ").trusted_proxies == "10.0.0.0/8, ::1"
