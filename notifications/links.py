"""Issuing personal action links as emails are queued: the catalog says which email asks whom
to act (`Notice.ask`); each such email carries a link for that person, that action and that
record, written in the same transaction as the email. A newer link for the same person, action
and record voids the older ones once its email has been sent, so the link in hand works until
its replacement has left, and only the latest email's link works after."""

from collections.abc import Mapping, Sequence
from typing import Any, cast

import pendulum
from sqlalchemy import CursorResult, bindparam, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from core.db import LINK_ISSUER
from models.links import LinkIssuer, link_expiry, link_token, token_hash
from models.types import UTCDateTime
from notifications.catalog import Notice
from notifications.context import Recipient, lookup
from notifications.render import long_datetime
from notifications.tables import ActionLink


def issuer_of(session: Session) -> LinkIssuer | None:
    """The link issuer of the engine this session writes through (make_engine's `links`)."""
    issuer = session.connection().get_execution_options().get(LINK_ISSUER)
    return issuer if isinstance(issuer, LinkIssuer) else None


def link_of(
    issuer: LinkIssuer | None,
    notice: Notice,
    context: Mapping[str, Any],
    recipient: Recipient,
    dedupe_key: str,
    now: pendulum.DateTime,
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The link row this email owes its recipient, and what its template is told of it (the
    URL, and when it expires); None when the email asks nothing of them."""
    ask = notice.ask
    if issuer is None or ask is None or not (recipient.role in ask.roles or "*" in ask.roles):
        return None
    event = context["event"]
    if ask.awaiting_only and recipient.agency not in (event.get("awaiting") or ()):
        return None
    deadline = lookup(context, ask.deadline) if ask.deadline else None
    expires = link_expiry(now, pendulum.parse(deadline) if deadline else None)  # type: ignore[arg-type]
    if expires <= now:
        return None
    token = link_token(issuer.key, dedupe_key)
    version = event.get(ask.version) if ask.version else None
    row = {
        "token_hash": token_hash(token),
        "action": ask.action.value,
        "subject_ref": str(event[ask.field]),
        "version": int(version) if version is not None else None,
        "email": recipient.email,
        "created_at": now,
        "expires_at": expires,
        "dedupe_key": dedupe_key,
    }
    told = {"url": issuer.url(token), "expires": long_datetime(expires)}
    return row, told


def redacted(context: Mapping[str, Any]) -> dict[str, Any]:
    """The context as the outbox row keeps it: the link's URL (its token) and a one-time code
    are not kept there."""
    kept = dict(context)
    event = kept.get("event")
    if isinstance(event, Mapping) and "code" in event:
        kept["event"] = {**event, "code": "(one-time code)"}
    link = kept.get("link")
    if link:
        kept["link"] = {**link, "url": "(personal link)"}
    return kept


def insert_links(session: Session, rows: Sequence[dict[str, Any]], now: pendulum.DateTime) -> int:
    """Add the links (a link already made for the same email is kept as it is); returns how
    many are new. The older links of the same person, act and record stay live until the email
    carrying the newer one is sent (`void_superseded`): until then the older is the link the
    person holds."""
    if not rows:
        return 0
    table = ActionLink.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(list(rows)).on_conflict_do_nothing()
    added = cast(CursorResult[Any], session.execute(stmt)).rowcount or 0
    return int(added)


# The delivery run's step after a batch is sent: every older live link of the same person, act
# and record as a link the sent emails carry is void. The newer link is found by its email's
# dedupe key (its index), the older ones through the index on (action, subject_ref, email).
VOID_SUPERSEDED = text(
    """
    UPDATE action_link SET voided_at = :at, void_reason = 'a newer link was sent'
    WHERE used_at IS NULL AND voided_at IS NULL
      AND (action, subject_ref, email) IN (
        SELECT newer.action, newer.subject_ref, newer.email FROM action_link AS newer
        JOIN outbox ON outbox.dedupe_key = newer.dedupe_key
        WHERE outbox.id IN :ids
      )
      AND EXISTS (
        SELECT 1 FROM action_link AS newer
        JOIN outbox ON outbox.dedupe_key = newer.dedupe_key
        WHERE outbox.id IN :ids
          AND newer.action = action_link.action
          AND newer.subject_ref = action_link.subject_ref
          AND newer.email = action_link.email
          AND newer.id > action_link.id
      )
    """
).bindparams(bindparam("ids", expanding=True), bindparam("at", type_=UTCDateTime()))


def spend_link(session: Session, link_id: int, now: pendulum.DateTime) -> bool:
    """Mark the link used, if it is still unused, not void and not expired: whether it was.
    Of two spending it at once (two POSTs), one does; the other finds it used."""
    marked = session.execute(
        update(ActionLink)
        .where(
            col(ActionLink.id) == link_id,
            col(ActionLink.used_at).is_(None),
            col(ActionLink.voided_at).is_(None),
            col(ActionLink.expires_at) > now,
        )
        .values(used_at=now)
    )
    return cast(CursorResult[Any], marked).rowcount == 1
