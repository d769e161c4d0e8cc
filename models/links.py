"""Personal action links: what a link lets one person do to one record, how its token is made
and kept (only a hash), when it expires, and the sentence a person ticks to confirm the act.

A token is the HMAC of the email it was sent in (its dedupe key) under the register's secret
key: the email queued again carries the same link, and the register keeps only its SHA-256."""

import hashlib
import hmac
from base64 import urlsafe_b64encode
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import pendulum

from models.audit import canonical_json

# a link lasts this long at most, and never past the matter's own deadline
LINK_DAYS = 30
# a link opened in a browser becomes a session this long; the act must be confirmed within it
SESSION_MINUTES = 20
# a sign-in link by email (§ the portal's sign-in) lasts this long
SIGN_IN_MINUTES = 30
# a one-time code emailed to a link's addressee, to prove that whoever holds the link is them,
# lasts this long, takes this many wrong tries, and this many are sent for one link in an hour
CODE_MINUTES = 10
CODE_TRIES = 5
CODES_PER_HOUR = 5
CODE_DIGITS = 6


class LinkAction(StrEnum):
    """What a personal link lets its holder do, and whose it can be."""

    # a party's signatory approves or rejects a version of an arrangement (§6)
    APPROVE = "approve"
    # the agency's nominated representative confirms a disposal task (§35-§37)
    CONFIRM_DISPOSAL = "confirm_disposal"
    # a chair schedules, then records, a suspension's resolution meeting (§41)
    MEETING = "meeting"
    # a party's officer records the outcome of an arrangement's review (§31)
    REVIEW = "review"
    # the staff member's point of contact keeps or revokes one access grant (§10)
    ATTEST = "attest"
    # a partner's nominated representative acknowledges that processing of a data subject's
    # data has ceased after consent was withdrawn (§9, §18)
    ACKNOWLEDGE_CONSENT = "acknowledge_consent"
    # the data owner's nominated representative records the correction of data a recipient
    # found inaccurate or inadequate (§33)
    CORRECT_DATA = "correct_data"
    # an originating agency's nominated representative or DPO replies to a consultation on a
    # freedom of information or subject access request for data it shared (§7)
    REPLY_CONSULTATION = "reply_consultation"
    # the receiving agency's nominated representative or DPO records the outcome of such a request
    CLOSE_REQUEST = "close_request"
    # the originating agency's nominated representative consents to, or refuses, a recipient's
    # sharing of its data onward with a third party (§11, §15)
    ANSWER_ONWARD = "answer_onward"
    # the reporting agency's DPO records whether a security incident is reported to the ICO,
    # and why (§29)
    DECIDE_INCIDENT = "decide_incident"
    # the originating agency's nominated representative or DPO acknowledges being told of a
    # security incident that compromised its data (§29)
    ACKNOWLEDGE_INCIDENT = "acknowledge_incident"
    # a contact or chair signs in to see what waits on them (the link emailed on request)
    SIGN_IN = "sign_in"


# The acts that bind an agency: whoever holds the link must prove they are its addressee (a
# forwarded email must not let a colleague approve, confirm a destruction or decide on reporting
# an incident in the addressee's name). Other acts (acknowledgements, replies) need the link only.
BINDING = frozenset({LinkAction.APPROVE, LinkAction.CONFIRM_DISPOSAL, LinkAction.DECIDE_INCIDENT})


class Proof(StrEnum):
    """How the register knows the person acting is the person the link was sent to, as the
    audit evidence names it."""

    # the browser holds a session signed in (by an emailed sign-in link) as the addressee
    SESSION = "signed-in session"
    # the addressee typed the one-time code sent to their own address from the page
    CODE = "emailed code"


def code_hash(key: bytes, link_id: int, code: str) -> str:
    """What the register keeps of a one-time code: a keyed hash bound to its link, so that even
    a reader of the database cannot try the million codes offline."""
    message = f"isa act code\x00{link_id}\x00{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def typed_code(typed: str) -> str:
    """The code as typed, without the spaces people add; "" if it is not six digits."""
    code = "".join(typed.split())
    return code if len(code) == CODE_DIGITS and code.isascii() and code.isdigit() else ""


@dataclass(frozen=True)
class LinkIssuer:
    """What a process needs to put links in emails: the secret they are made with and the
    public address they point at (`ISA_PUBLIC_URL`, never a request's Host header)."""

    key: bytes
    public_url: str

    def url(self, token: str) -> str:
        return f"{self.public_url.rstrip('/')}/a/{token}"


class LinkState(StrEnum):
    """Why a link can or cannot be acted on, as the page behind it says."""

    LIVE = "live"
    USED = "used"
    EXPIRED = "expired"
    # the record moved on: a new version, the task confirmed, the meeting recorded, settled
    VOID = "void"


def link_token(key: bytes, dedupe_key: str) -> str:
    """The token of the link in the email with this dedupe key: 256 bits, URL-safe."""
    digest = hmac.new(key, b"isa action link\x00" + dedupe_key.encode(), hashlib.sha256).digest()
    return urlsafe_b64encode(digest).decode().rstrip("=")


def token_hash(token: str) -> str:
    """What the register stores of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def looks_like_a_token(token: str) -> bool:
    """A token is 43 URL-safe base64 characters; anything else is not looked up at all."""
    return len(token) == 43 and all(c.isalnum() or c in "-_" for c in token)


def link_expiry(now: pendulum.DateTime, deadline: datetime | None = None) -> pendulum.DateTime:
    """Thirty days from now, or the matter's own deadline if that comes first."""
    latest = now.add(days=LINK_DAYS)
    if deadline is None:
        return latest
    return min(latest, pendulum.instance(deadline).in_timezone("UTC"))


def link_state(
    *,
    used_at: datetime | None,
    voided_at: datetime | None,
    expires_at: datetime,
    now: pendulum.DateTime,
) -> LinkState:
    """A used link stays used; then void; then expired; else live."""
    if used_at is not None:
        return LinkState.USED
    if voided_at is not None:
        return LinkState.VOID
    if pendulum.instance(expires_at) <= now:
        return LinkState.EXPIRED
    return LinkState.LIVE


def content_hash(fields: Mapping[str, Any]) -> str:
    """The SHA-256 of a version's content (its Appendix J fields and parties) as shown: what a
    signatory confirms is what they saw, or the act is refused."""
    return hashlib.sha256(canonical_json(dict(fields))).hexdigest()


def same_name(typed: str, name: str) -> bool:
    """Whether the typed full name is the person's, ignoring case and spacing."""
    return " ".join(typed.split()).casefold() == " ".join(name.split()).casefold() != ""
