"""Handing an act that binds an agency to a colleague in the same role at the same agency: the
addressee, proved as for the act itself, names the colleague; the hand-over is recorded, the
colleague emailed, the link void, and the colleague's own act names whose it was."""

from typing import Any, cast

import pendulum
from sqlalchemy import CursorResult, update
from sqlmodel import Session, col, select

from core.db import EVIDENCE
from models.errors import InvalidInput, Refused
from models.events import ActHandedOver, DomainEvent
from models.links import BINDING
from notifications.tables import ActionLink, LinkDelegation
from tasks.links.acts import act_words, link_act
from tasks.links.link import Confirmation, Link
from tasks.links.proof import (
    FORGED,
    check,
    evidence_of,
    proved,
    refusal_recorded,
    spend_code,
)
from tasks.links.state import link_by_id
from tasks.portal import person
from tasks.uow import unit_of_work


def handed_by(session: Session, link: Link) -> str:
    """Whose act this link's person does, if it was handed to them; else ""."""
    found = session.exec(
        select(LinkDelegation.delegated_by)
        .where(LinkDelegation.action == link.action.value)
        .where(LinkDelegation.subject_ref == link.subject)
        .where(LinkDelegation.delegate == link.email)
        .order_by(col(LinkDelegation.id).desc())
    ).first()
    session.rollback()
    return found or ""


def hand_over(
    session: Session,
    *,
    link_id: int,
    colleague: str,
    confirmation: Confirmation,
    evidence: dict[str, Any],
    now: pendulum.DateTime,
    forged: bool = False,
    signed_in: str | None = None,
) -> list[DomainEvent]:
    """The link's addressee, proved as for the act itself, hands an act that binds their agency
    to a colleague in the same role at the same agency: recorded, the colleague emailed (they
    sign in to act, and their act's evidence names whose it was), and this link void."""
    link = link_by_id(session, link_id, now)
    if link.action not in BINDING:
        session.rollback()
        raise InvalidInput("only an act that binds an agency is handed to a colleague")
    role = link_act(link).hand_to
    assert role is not None, f"{link.action} binds an agency: its row names whom it is handed to"
    address = colleague.strip().lower()
    if not address:
        raise InvalidInput("colleague: give the email address of the colleague")
    other = person(session, address)
    session.rollback()
    same_role = other is not None and other.agency == link.agency and other.has(role)
    if other is None or not same_role or other.email == link.email:
        raise InvalidInput(
            f"colleague: {address!r} is not another {role.value.replace('_', ' ')} of "
            f"{link.agency} in the register"
        )
    session.info[EVIDENCE] = evidence_of(link, confirmation, evidence, signed_in)
    try:
        with refusal_recorded(session, link, "link.hand_over", ("action_link", str(link.id)), now):
            if forged:
                raise Refused(FORGED)
            check(session, link, confirmation, now, signed_in)
            proof, spent = proved(session, link, confirmation, now, signed_in)
        session.info[EVIDENCE].update(proof)
        with unit_of_work(session, actor=link.email, now=now, action="link.hand_over") as uow:
            uow.about("action_link", str(link.id))
            session.add(
                LinkDelegation(
                    link_id=link.id,
                    action=link.action.value,
                    subject_ref=link.subject,
                    delegated_by=link.email,
                    delegate=other.email,
                    created_at=now,
                )
            )
            uow.record(
                "link.hand_over",
                subject_type="action_link",
                subject_ref=str(link.id),
                after={"act": act_words(link), "to": other.email, "subject": link.subject},
            )
            uow.emit(
                ActHandedOver(
                    email=other.email,
                    delegated_by=link.email,
                    delegated_by_name=link.name,
                    act=act_words(link),
                    handed_at=now.isoformat(),
                )
            )
            _void_link(session, link, f"it was handed to {other.name} ({other.email})", now)
            if spent is not None:
                spend_code(session, link, spent, now)
        return uow.events
    finally:
        session.info.pop(EVIDENCE, None)


def _void_link(session: Session, link: Link, reason: str, now: pendulum.DateTime) -> None:
    voided = session.execute(
        update(ActionLink)
        .where(
            col(ActionLink.id) == link.id,
            col(ActionLink.used_at).is_(None),
            col(ActionLink.voided_at).is_(None),
        )
        .values(voided_at=now, void_reason=reason)
    )
    if cast(CursorResult[Any], voided).rowcount != 1:
        raise Refused("this link cannot be used: it has just been used")
