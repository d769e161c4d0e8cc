"""What keeps the portal's sessions and forms honest: a short-lived session signed with a key
derived from the register's secret, a CSRF token bound to that session, and the headers every
response carries."""

import hashlib
import hmac
import json
import secrets
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass

import pendulum

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
