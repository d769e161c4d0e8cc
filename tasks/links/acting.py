"""Acting on a personal link: the act the table of link acts (tasks/links/acts.py) declares
for the link and the decision sent runs the command line's own use case, as the link's person,
in one transaction with its audit event (carrying the web's evidence and how the person was
proved), its emails, the code it spends and the link marked used. A refusal is recorded under
the act's own audit action before any use case runs."""

from collections.abc import Callable
from typing import Any

import pendulum
from sqlmodel import Session

from core.db import BEFORE_COMMIT, EVIDENCE
from models.errors import Refused
from models.events import DomainEvent
from notifications.links import spend_link
from tasks.links.acts import Decision, chosen, link_act
from tasks.links.hand_over import handed_by
from tasks.links.link import Confirmation, Link
from tasks.links.proof import FORGED, check, evidence_of, proved, refusal_recorded, spend_code
from tasks.links.state import link_by_id


def act_on_link(
    session: Session,
    *,
    link_id: int,
    confirmation: Confirmation,
    evidence: dict[str, Any],
    now: pendulum.DateTime,
    forged: bool = False,
    signed_in: str | None = None,
) -> list[DomainEvent]:
    """Run the act the link is for, as its person, with the web's evidence in every audit
    event it writes (and in its refusal), and mark the link used in the same transaction.
    `forged`: the form's CSRF token was missing or wrong, so the POST is refused as such.
    `signed_in`: the address this browser is signed in as, if it is; the evidence names it, and
    for an act that binds an agency it is the proof, or, if it is not the link's, the refusal."""
    link = link_by_id(session, link_id, now)
    # a forged form's choice is not trusted: its refusal is recorded as the page's default
    decision = link_act(link).decisions[0] if forged else chosen(link, confirmation)
    act = link_act(link)
    session.info[EVIDENCE] = {
        **evidence_of(link, confirmation, evidence, signed_in),
        **({"content_hash": confirmation.shown_hash} if confirmation.shown_hash else {}),
    }
    try:
        spent: int | None = None
        about = (act.subject_type, link.subject)
        with refusal_recorded(session, link, decision.audit, about, now):
            if forged:
                raise Refused(FORGED)
            check(session, link, confirmation, now, signed_in)
            proof, spent = proved(session, link, confirmation, now, signed_in)
        session.info[EVIDENCE].update(proof)
        handed = handed_by(session, link)
        if handed:
            session.info[EVIDENCE]["delegated_by"] = handed
        session.info[BEFORE_COMMIT] = [_use_link(link, decision, confirmation, now, spent)]
        return decision.run(session, link, confirmation, now)
    finally:
        session.info.pop(EVIDENCE, None)
        session.info.pop(BEFORE_COMMIT, None)


def _use_link(
    link: Link,
    decision: Decision,
    confirmation: Confirmation,
    now: pendulum.DateTime,
    code: int | None = None,
) -> Callable[..., None]:
    """Inside the act's own transaction, once its use case is done: the version decided is the
    version shown, the code that proved the person is spent, and the link is still unused (of
    two POSTs at once, one marks it)."""
    shown_hash = link_act(link).shown_hash

    def use(uow: Any) -> None:
        session: Session = uow.session
        changed = (
            decision.recheck_shown
            and shown_hash is not None
            and shown_hash(session, link.subject) != confirmation.shown_hash
        )
        if changed:
            raise Refused(f"{link.subject} changed after it was shown to you")
        if code is not None:
            spend_code(session, link, code, now)
        if not spend_link(session, link.id, now):
            raise Refused("this link cannot be used: it has just been used")

    return use
