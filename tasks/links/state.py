"""A personal link's state: found by its token's hash or its id, whether it can still be acted
on and, if not, why (used, expired, withdrawn, or its record moved on, as the table of link acts
says), and for a used link what its person did with it."""

import pendulum
from sqlmodel import Session, col, select

from models.enums import AuditOutcome
from models.errors import NotFound
from models.links import LinkAction, LinkState, link_state
from models.tables import AuditEvent
from notifications.register_view import SqlRegisterView
from notifications.render import long_datetime
from notifications.tables import ActionLink
from tasks.links.acts import ACTS, BY_AUDIT_ACTION
from tasks.links.link import Link
from tasks.links.moved_on import sign_in_moved_on


def _moved_on(session: Session, row: ActionLink, agency: str | None) -> str:
    """Why the record no longer needs this link's act, or "" if it still does."""
    action = LinkAction(row.action)
    # a sign-in link acts on no record: it moves on when its person leaves the register
    check = sign_in_moved_on if action is LinkAction.SIGN_IN else ACTS[action].moved_on
    return check(session, row, agency)


def _link(session: Session, row: ActionLink, now: pendulum.DateTime) -> Link:
    assert row.id is not None
    # a contact or chair by address, as the emails name them
    facts = SqlRegisterView(session).person(row.email)
    name, agency = facts["name"], facts["agency"]
    state = link_state(
        used_at=row.used_at, voided_at=row.voided_at, expires_at=row.expires_at, now=now
    )
    why = ""
    if state is LinkState.USED:
        assert row.used_at is not None
        why = f"it was used on {long_datetime(row.used_at)}"
    elif state is LinkState.VOID:
        why = row.void_reason or "it was withdrawn"
    elif state is LinkState.EXPIRED:
        why = f"it expired on {long_datetime(row.expires_at)}"
    else:
        moved = _moved_on(session, row, agency)
        if moved:
            state, why = LinkState.VOID, moved
    return Link(
        id=row.id,
        action=LinkAction(row.action),
        subject=row.subject_ref,
        version=row.version,
        email=row.email,
        name=name,
        agency=agency,
        state=state,
        why=why,
        expires=long_datetime(row.expires_at),
    )


def find_link(session: Session, token_digest: str, now: pendulum.DateTime) -> Link | None:
    """The link whose token hashes to this, or None: an unknown or tampered token."""
    row = session.exec(select(ActionLink).where(ActionLink.token_hash == token_digest)).first()
    return _link(session, row, now) if row is not None else None


def link_by_id(session: Session, link_id: int, now: pendulum.DateTime) -> Link:
    row = session.get(ActionLink, link_id)
    if row is None:
        raise NotFound(f"no link {link_id}")
    return _link(session, row, now)


def what_was_done(session: Session, link: Link) -> str:
    """For a used link: what its person did with it, when, and where the matter stands now,
    from the audit event the act wrote; "" if none is found."""
    found = None
    for event in session.exec(
        select(AuditEvent)
        .where(AuditEvent.actor == link.email, AuditEvent.subject_ref == link.subject)
        .where(AuditEvent.outcome == AuditOutcome.DONE)
        .order_by(col(AuditEvent.seq).desc())
    ).all():
        if (event.evidence or {}).get("link") == link.id and event.action in BY_AUDIT_ACTION:
            found = event
            break
    if found is None:
        return ""
    decision = BY_AUDIT_ACTION[found.action]
    did = decision.did.format(
        subject=link.subject,
        version=f" version {link.version}" if link.version else "",
        agency=f" for {link.agency}" if link.agency else "",
    )
    said = f"{did} on {long_datetime(found.occurred_at)}."
    then = decision.then(session, link.subject) if callable(decision.then) else decision.then
    return f"{said} {then}".strip()
