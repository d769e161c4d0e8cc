"""Use cases for sharing data onward with a third party (§11, §15): a recipient's nominated
representative asks the originating agency, the one that disclosed the data under the
arrangement, for its consent; the originator's nominated representative consents or refuses,
with a reason, and the requesting agency is told. An unanswered request is chased in the
originator's working days (models.duties.ONWARD_REQUEST, chased by tasks.chasing), as a data
quality notice is."""

from typing import Any

import pendulum
from sqlmodel import Session, select

from models.enums import ContactRole
from models.errors import InvalidInput, NotFound
from models.events import (
    DomainEvent,
    OnwardSharingAnswered,
    OnwardSharingRequested,
)
from models.inputs import required_text
from models.lifecycles import ONWARD_REQUEST
from models.tables import Agency, Arrangement, OnwardRequest
from tasks.lookup import agency_by_name, arrangement_by_ref, require_role_at, resolve_actor
from tasks.protocol.consent import disclosing_to
from tasks.uow import unit_of_work


def request_onward_sharing(
    session: Session,
    *,
    arrangement: str,
    agency: str,
    third_party: str,
    data: str,
    purpose: str,
    owner: str | None,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """A nominated representative of `agency`, which receives under `arrangement`, asks the
    originating agency (`owner` names it when several disclose) for consent to share data with
    `third_party`."""
    third_party = required_text(third_party, "the third party", field="third_party")
    data = required_text(data, "the data to be shared", field="data")
    purpose = required_text(purpose, "the purpose", field="purpose")
    with unit_of_work(session, actor=actor, now=now, action="onward.request") as uow:
        uow.about("arrangement", arrangement)
        arrangement_row = arrangement_by_ref(session, arrangement)
        asking = agency_by_name(session, agency)
        who = resolve_actor(session, actor)
        require_role_at(
            who,
            asking,
            ContactRole.NOMINATED_REPRESENTATIVE,
            to=f"ask to share data onward for {asking.name}",
        )
        held_by = disclosing_to(
            session,
            arrangement_row,
            asking,
            owner,
            whose="the data's originator",
            option="--owner",
        )
        assert arrangement_row.id is not None and asking.id is not None and held_by.id is not None
        reference = uow.next_reference("OSR")
        session.add(
            OnwardRequest(
                reference=reference,
                arrangement_id=arrangement_row.id,
                requester_id=asking.id,
                owner_id=held_by.id,
                third_party=third_party,
                data=data,
                purpose=purpose,
                requested_by=who.email,
                requested_at=now,
            )
        )
        uow.record(
            "onward.request",
            subject_type="onward_request",
            subject_ref=reference,
            after={
                "arrangement": arrangement_row.reference,
                "requester": asking.name,
                "owner": held_by.name,
                "third_party": third_party,
            },
        )
        uow.emit(
            OnwardSharingRequested(
                request=reference,
                arrangement=arrangement_row.reference,
                agency=held_by.name,
                requester=asking.name,
                third_party=third_party,
                data=data,
                purpose=purpose,
            )
        )
        return uow.events


def consent_answer(value: str | bool) -> bool:
    """--consent yes|no (or the web form's consent/refuse) as a bool, or `InvalidInput`."""
    if isinstance(value, bool):
        return value
    word = value.strip().lower()
    if word in ("yes", "consent"):
        return True
    if word in ("no", "refuse"):
        return False
    raise InvalidInput(
        f"{{consent}} must be yes or no, not {value!r}", inputs={"consent": "consent"}
    )


def _request(session: Session, reference: str, *, lock: bool = False) -> OnwardRequest:
    stmt = select(OnwardRequest).where(OnwardRequest.reference == reference.strip().upper())
    held = session.exec(stmt.with_for_update() if lock else stmt).first()
    if held is None:
        raise NotFound(f"no onward sharing request {reference!r}", command="isa onward list")
    return held


def answer_onward_sharing(
    session: Session,
    *,
    request: str,
    consent: str | bool,
    reason: str,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """The originator's nominated representative consents to or refuses the onward sharing,
    with the reason; the requesting agency's nominated representatives are told."""
    consented = consent_answer(consent)
    reason = required_text(reason, "the reason", field="reason")
    with unit_of_work(session, actor=actor, now=now, action="onward.answer") as uow:
        uow.about("onward_request", request)
        held = _request(session, request, lock=True)
        arrangement = session.get(Arrangement, held.arrangement_id)
        owner, asking = session.get(Agency, held.owner_id), session.get(Agency, held.requester_id)
        assert arrangement is not None and owner is not None and asking is not None
        who = resolve_actor(session, actor)
        require_role_at(
            who, owner, ContactRole.NOMINATED_REPRESENTATIVE, to=f"answer {held.reference}"
        )
        held.answer_reason, held.answered_by, held.answered_at = reason, who.email, now
        uow.move(
            held,
            ONWARD_REQUEST,
            "consent" if consented else "refuse",
            action="onward.answer",
            subject_type="onward_request",
            subject_ref=held.reference,
        )
        uow.emit(
            OnwardSharingAnswered(
                request=held.reference,
                arrangement=arrangement.reference,
                agency=asking.name,
                owner=owner.name,
                third_party=held.third_party,
                consented=consented,
                reason=reason,
                by=who.email,
            )
        )
        return uow.events


def request_facts(session: Session, held: OnwardRequest, owner: Agency) -> dict[str, Any]:
    """What a chase of request `held` to the originator tells (tasks.chasing)."""
    arrangement = session.get(Arrangement, held.arrangement_id)
    asking = session.get(Agency, held.requester_id)
    assert arrangement is not None and asking is not None
    return {
        "request": held.reference,
        "arrangement": arrangement.reference,
        "agency": owner.name,
        "requester": asking.name,
        "third_party": held.third_party,
    }
