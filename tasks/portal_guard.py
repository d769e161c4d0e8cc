"""The portal's limits and sign-out, kept in the register so that every portal process sees
the same counts and a restart forgets none: attempts counted against a limit within a window
(sign-in asks per client and per address, refused acts per link, per person and per client),
and the sessions ended by signing out. Old rows are pruned as new ones are written."""

import hashlib

import pendulum
from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from models.tables import PortalAttempt, PortalSessionEnd

# attempts count for this long
WINDOW_MINUTES = 15


def attempt_key(kind: str, value: str) -> str:
    """The key attempts are counted under: an address's or a person's as a hash (the limiter
    keeps no personal detail), a client's or a link's as it is."""
    if kind in ("address", "person"):
        value = hashlib.sha256(value.strip().lower().encode()).hexdigest()
    return f"{kind}:{value}"[:200]


def over_limit(session: Session, key: str, *, limit: int, now: pendulum.DateTime) -> bool:
    """Whether `key` has had `limit` attempts or more within the window before `now`."""
    since = now.subtract(minutes=WINDOW_MINUTES)
    seen = session.exec(
        select(func.count())
        .select_from(PortalAttempt)
        .where(PortalAttempt.key == key, col(PortalAttempt.at) > since)
    ).one()
    session.rollback()
    return seen >= limit


def record_attempts(session: Session, keys: list[str], *, now: pendulum.DateTime) -> None:
    """Count one attempt under each key, and prune what has left the window."""
    session.exec(
        delete(PortalAttempt).where(col(PortalAttempt.at) <= now.subtract(minutes=WINDOW_MINUTES))
    )
    for key in keys:
        session.add(PortalAttempt(key=key, at=now))
    session.commit()


def allow_attempt(session: Session, limits: dict[str, int], *, now: pendulum.DateTime) -> bool:
    """Count an attempt under every key of `limits` unless one of them is already at its limit
    (then nothing is counted and the answer is no)."""
    if any(over_limit(session, key, limit=limit, now=now) for key, limit in limits.items()):
        return False
    record_attempts(session, list(limits), now=now)
    return True


def end_session(session: Session, *, nonce: str, expires_at: int, now: pendulum.DateTime) -> None:
    """Sign a session out: its cookie, wherever it was copied to, no longer opens anything."""
    session.exec(delete(PortalSessionEnd).where(col(PortalSessionEnd.expires_at) <= now))
    if session.get(PortalSessionEnd, nonce) is None:
        session.add(
            PortalSessionEnd(
                nonce=nonce,
                ended_at=now,
                expires_at=pendulum.from_timestamp(max(expires_at, now.int_timestamp)),
            )
        )
    session.commit()


def session_ended(session: Session, nonce: str) -> bool:
    ended = session.get(PortalSessionEnd, nonce) is not None
    session.rollback()
    return ended
