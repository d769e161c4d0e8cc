"""Proof that the person at a link may act: the link is live, the name typed is theirs, the box
is ticked, what they saw is what is there, and, for an act that binds an agency
(models/links.py BINDING), that they are its addressee: a browser signed in as them, or the
one-time code emailed to their own address from the page. A refusal is recorded in the audit
log with the web's evidence."""

import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

import pendulum
from sqlalchemy import CursorResult, func, update
from sqlmodel import Session, col, select

from core.db import EVIDENCE
from models.errors import InvalidInput, Refused
from models.events import ActCodeRequested
from models.links import (
    BINDING,
    CODE_DIGITS,
    CODE_MINUTES,
    CODE_TRIES,
    CODES_PER_HOUR,
    LinkState,
    Proof,
    code_hash,
    same_name,
    typed_code,
)
from notifications.links import issuer_of
from notifications.render import long_datetime
from notifications.tables import LinkCode
from tasks.links.acts import act_words, link_act
from tasks.links.link import Confirmation, Link
from tasks.links.state import link_by_id
from tasks.uow import append_refusal, unit_of_work

FORGED = (
    "the form's security token is missing or wrong: open the link in your email again and "
    "confirm from the page it shows"
)


@contextmanager
def refusal_recorded(
    session: Session, link: Link, action: str, about: tuple[str, str], now: pendulum.DateTime
) -> Iterator[None]:
    """A refusal raised inside is written to the audit log as the link's person's, about
    (subject type, reference), and committed before it goes on up."""
    try:
        yield
    except Refused as refusal:
        append_refusal(
            session,
            actor=link.email,
            action=action,
            subject_type=about[0],
            subject_ref=about[1],
            detail=str(refusal),
            now=now,
        )
        session.commit()
        raise


def evidence_of(
    link: Link, confirmation: Confirmation, evidence: dict[str, Any], signed_in: str | None
) -> dict[str, Any]:
    """The web's evidence, with the link, the name typed and the browser's signed-in address."""
    return {
        **evidence,
        "link": link.id,
        "typed_name": confirmation.typed_name,
        **({"signed_in_as": signed_in} if signed_in else {}),
    }


def check(
    session: Session,
    link: Link,
    confirmation: Confirmation,
    now: pendulum.DateTime,
    signed_in: str | None = None,
) -> None:
    """Refused unless the link is live, the name typed is its person's, the box is ticked and
    (for a page that shows a version) what was shown is what is there now."""
    if link.state is not LinkState.LIVE:
        raise Refused(f"this link cannot be used: {link.why}")
    if link.action in BINDING and signed_in and signed_in != link.email:
        raise Refused(
            f"you are signed in as {signed_in}, and this link is for {link.email}: only "
            f"{link.name} can do this for {link.agency}. Sign out, or ask them to act"
        )
    if not same_name(confirmation.typed_name, link.name):
        raise Refused(
            f"the name typed, {confirmation.typed_name.strip()!r}, is not the name the register "
            f"holds for {link.email}: type your full name as it appears in the email"
        )
    if not confirmation.confirmed:
        raise Refused("the confirmation was not ticked: tick it to confirm the act")
    shown_hash = link_act(link).shown_hash
    if shown_hash is not None and confirmation.shown_hash != shown_hash(session, link.subject):
        raise Refused(
            f"{link.subject} changed after it was shown to you: read it again before you decide"
        )
    session.rollback()


def _newest_code(session: Session, link_id: int) -> LinkCode | None:
    return session.exec(
        select(LinkCode).where(LinkCode.link_id == link_id).order_by(col(LinkCode.id).desc())
    ).first()


def proved(
    session: Session,
    link: Link,
    confirmation: Confirmation,
    now: pendulum.DateTime,
    signed_in: str | None,
) -> tuple[dict[str, Any], int | None]:
    """The evidence that the person acting is the link's addressee, and the code it spends (to
    mark used in the act's transaction); refused when an act that binds an agency has none. A
    code typed spends one of its tries before it is compared (committed at once, so no number
    of guesses at the same time gets more than CODE_TRIES)."""
    if link.action not in BINDING:
        return {}, None
    if signed_in == link.email:
        return {"proof": Proof.SESSION.value}, None
    typed = typed_code(confirmation.code)
    if not typed:
        raise Refused(
            f"this act binds {link.agency}: type the {CODE_DIGITS}-digit code emailed to "
            f"{link.email} (ask for it on this page), or sign in as {link.name} first"
        )
    code = _newest_code(session, link.id)
    if code is None:
        raise Refused(f"no code has been sent for this link: ask for one to {link.email} here")
    assert code.id is not None
    if code.used_at is not None or pendulum.instance(code.expires_at) <= now:
        raise Refused(f"the code sent to {link.email} has expired: ask for a new one")
    tried = session.execute(
        update(LinkCode)
        .where(
            col(LinkCode.id) == code.id,
            col(LinkCode.attempts) < CODE_TRIES,
            col(LinkCode.used_at).is_(None),
        )
        .values(attempts=col(LinkCode.attempts) + 1)
    )
    session.commit()
    if cast(CursorResult[Any], tried).rowcount != 1:
        raise Refused(
            f"the code sent to {link.email} has had its {CODE_TRIES} tries: ask for a new one"
        )
    if not hmac.compare_digest(code.code_hash, code_hash(_code_key(session), link.id, typed)):
        left = CODE_TRIES - code.attempts - 1
        then = f"{left} {'try' if left == 1 else 'tries'} left" if left else "ask for a new one"
        raise Refused(f"the code typed is not the code sent to {link.email}: {then}")
    session.rollback()
    return {"proof": Proof.CODE.value, "code": code.id}, code.id


def _code_key(session: Session) -> bytes:
    issuer = issuer_of(session)
    if issuer is None:
        raise RuntimeError("this engine has no link issuer (core.db.make_engine's `links`)")
    return issuer.key


def spend_code(session: Session, link: Link, code: int, now: pendulum.DateTime) -> None:
    consumed = session.execute(
        update(LinkCode)
        .where(
            col(LinkCode.id) == code,
            col(LinkCode.used_at).is_(None),
            col(LinkCode.expires_at) > now,
        )
        .values(used_at=now)
    )
    if cast(CursorResult[Any], consumed).rowcount != 1:
        raise Refused(f"the code sent to {link.email} has just been used or expired")


def code_sent(session: Session, link_id: int, now: pendulum.DateTime) -> str:
    """Until when the newest code of the link works, in words, or "" if none does."""
    code = _newest_code(session, link_id)
    session.rollback()
    if (
        code is None
        or code.used_at is not None
        or code.attempts >= CODE_TRIES
        or pendulum.instance(code.expires_at) <= now
    ):
        return ""
    return long_datetime(code.expires_at)


def send_code(
    session: Session, *, link_id: int, evidence: dict[str, Any], now: pendulum.DateTime
) -> pendulum.DateTime:
    """Email a one-time code to the link's addressee, for an act that binds their agency; it
    replaces any code sent before and works until the time returned. At most CODES_PER_HOUR
    codes go out for one link in an hour; a refusal is recorded with the web's evidence."""
    link = link_by_id(session, link_id, now)
    if link.action not in BINDING:
        session.rollback()
        raise InvalidInput("this act needs no code: confirm it with your name")
    session.info[EVIDENCE] = {**evidence, "link": link.id}
    try:
        with refusal_recorded(session, link, "link.send_code", ("action_link", str(link.id)), now):
            if link.state is not LinkState.LIVE:
                raise Refused(f"this link cannot be used: {link.why}")
            recent = session.exec(
                select(func.count())
                .select_from(LinkCode)
                .where(LinkCode.link_id == link.id)
                .where(col(LinkCode.created_at) > now.subtract(hours=1))
            ).one()
            if recent >= CODES_PER_HOUR:
                raise Refused(
                    f"{CODES_PER_HOUR} codes were sent for this link in the last hour: use the "
                    "newest, or wait"
                )
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        expires = now.add(minutes=CODE_MINUTES)
        with unit_of_work(session, actor=link.email, now=now, action="link.send_code") as uow:
            uow.about("action_link", str(link.id))
            row = LinkCode(
                link_id=link.id,
                code_hash=code_hash(_code_key(session), link.id, code),
                created_at=now,
                expires_at=expires,
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            uow.record(
                "link.send_code",
                subject_type="action_link",
                subject_ref=str(link.id),
                after={"code": row.id, "to": link.email, "expires_at": expires.isoformat()},
            )
            uow.emit(
                ActCodeRequested(
                    email=link.email,
                    act=act_words(link),
                    code=code,
                    code_id=row.id,
                    requested_at=now.isoformat(),
                    expires_at=expires.isoformat(),
                )
            )
        return expires
    finally:
        session.info.pop(EVIDENCE, None)
