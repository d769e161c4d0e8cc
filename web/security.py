"""What keeps the portal's sessions and forms honest: a short-lived session signed with a key
derived from the register's secret, a CSRF token bound to that session, the headers every
response carries, the bound on every request's body, and the client's address (from
X-Forwarded-For only behind a trusted proxy)."""

import hashlib
import hmac
import json
import secrets
from base64 import urlsafe_b64decode, urlsafe_b64encode
from collections.abc import Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address

import pendulum
from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# a link opened in this browser (its id), and a person signed in (their address)
COOKIE = "isa_session"
PERSON_COOKIE = "isa_person"

HEADERS = {
    # a link's token must never leave in a Referer, to this site or any other
    "Referrer-Policy": "no-referrer",
    # no script at all, inline or not; styles only from this site; forms post only here
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # a page shows a person's matter: no cache keeps it, shared or private
    "Cache-Control": "no-store",
}


def _b64(data: bytes) -> str:
    return urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class PortalSession:
    """Whose browser this is: the link it was opened from ("link", its id) or the person
    signed in ("person", their address), until `expires`."""

    kind: str
    value: str
    expires: int  # epoch seconds
    nonce: str

    def live(self, now: pendulum.DateTime) -> bool:
        return now.int_timestamp < self.expires

    @property
    def link(self) -> int:
        return int(self.value) if self.kind == "link" else -1


class Signer:
    """Signs and checks the session cookie and the CSRF tokens under one derived key."""

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, b"isa portal session", hashlib.sha256).digest()

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode(), hashlib.sha256).digest())

    def session_cookie(self, link: int, now: pendulum.DateTime, minutes: int) -> str:
        """The session of a link opened in this browser."""
        return self.cookie("link", str(link), now, minutes)

    def cookie(self, kind: str, value: str, now: pendulum.DateTime, minutes: int) -> str:
        body = _b64(
            json.dumps(
                {
                    "k": kind,
                    "v": value,
                    "e": now.add(minutes=minutes).int_timestamp,
                    "n": secrets.token_hex(8),
                }
            ).encode()
        )
        return f"{body}.{self._mac(body)}"

    def session(self, cookie: str | None, kind: str = "link") -> PortalSession | None:
        """The session of `kind` the cookie carries, if its signature holds (expiry is the
        caller's to check)."""
        if not cookie or cookie.count(".") != 1:
            return None
        body, mac = cookie.split(".")
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            data = json.loads(_unb64(body))
            held = PortalSession(
                kind=str(data["k"]),
                value=str(data["v"]),
                expires=int(data["e"]),
                nonce=str(data["n"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        return held if held.kind == kind else None

    def csrf(self, session: PortalSession) -> str:
        """The form token of this session: a page's form is good for its own session only."""
        return self._mac(f"csrf:{session.kind}:{session.value}:{session.nonce}")

    def csrf_ok(self, session: PortalSession, token: str) -> bool:
        return bool(token) and hmac.compare_digest(token, self.csrf(session))


class SecurityHeaders:
    """Every response carries HEADERS (whatever a route set of its own is replaced)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def headed(message: Message) -> None:
            if message["type"] == "http.response.start":
                ours = {name.lower().encode() for name in HEADERS}
                message["headers"] = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in ours
                ] + [(name.lower().encode(), value.encode()) for name, value in HEADERS.items()]
            await send(message)

        await self.app(scope, receive, headed)


class BodyTooLarge(HTTPException):
    """A request body over the portal's bound, found while it streamed in."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"A request to this site carries at most {limit // 1024} KiB.")


class BodyLimit:
    """Refuse (413) a request body over `limit` bytes before it is read: at once when its
    Content-Length says so, else as soon as the bytes streamed in pass the bound; the app never
    holds more than `limit` bytes of any body."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded, watched)
        except BodyTooLarge:
            # the app's own handler answers it as a page; this is for a body read elsewhere
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = PlainTextResponse(
            f"Request too large: a request to this site carries at most {self.limit // 1024} KiB.",
            status_code=413,
            headers={**HEADERS, "Connection": "close"},
        )
        await response(scope, receive, send)


def client_address(
    peer: str | None, forwarded: str | None, trusted: Sequence[IPv4Network | IPv6Network]
) -> str | None:
    """Who sent the request: the connection's peer; behind a trusted proxy, the right-most
    X-Forwarded-For address that no trusted proxy added (what the client wrote to the left of
    it is not believed)."""

    def is_trusted(address: str | None) -> bool:
        try:
            found = ip_address((address or "").strip())
        except ValueError:
            return False
        return any(found in network for network in trusted)

    if not trusted or not is_trusted(peer) or not forwarded:
        return peer
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()][-32:]
    for hop in reversed(hops):
        if not is_trusted(hop):
            try:
                return str(ip_address(hop))
            except ValueError:
                return peer  # a hop that is no address: the chain is not to be believed
    return hops[0] if hops else peer
