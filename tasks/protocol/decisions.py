"""Use cases for sharing decisions (§9, §13, §19): a nominated representative of an agency that
discloses under an arrangement records its decision on another partner's request for data
(share, share part, refuse), with what data, for what purpose, on what legal basis, the
reasoning and how the requester's identity was checked. A decision not to disclose all or part
is told to the requesting agency at once; a decision to share is on the record only."""

import pendulum
from sqlmodel import Session

from models.enums import AgencyStatus, ContactRole, SharingOutcome
from models.errors import InvalidInput, Refused
from models.events import DisclosureDeclined, DomainEvent, SharingDecisionRecorded
from models.inputs import required_text
from models.tables import SharingDecision
from tasks.lookup import agency_by_name, arrangement_by_ref, require_role_at, resolve_actor
from tasks.protocol.consent import DISCLOSERS, SHARED_NOTHING, parties_of
from tasks.uow import unit_of_work

# what a decision that discloses less than was asked tells the requester (§19)
DECLINING = (SharingOutcome.PARTIAL, SharingOutcome.REFUSE)


def sharing_outcome(value: str) -> SharingOutcome:
    """The outcome typed (share, partial, refuse), or `InvalidInput` naming the choices."""
    try:
        return SharingOutcome(value.strip().lower())
    except ValueError:
        choices = ", ".join(o.value for o in SharingOutcome)
        raise InvalidInput(
            f"{{outcome}} must be one of {choices}, not {value!r}", inputs={"outcome": "outcome"}
        ) from None


def record_decision(
    session: Session,
    *,
    arrangement: str,
    agency: str,
    requester: str,
    outcome: str,
    data: str,
    purpose: str,
    legal_basis: str,
    reasoning: str,
    identity_check: str | None,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """A nominated representative of `agency`, which discloses under `arrangement`, records its
    decision on `requester`'s request. Disclosing anything needs the requester's identity or
    authenticity checked first (§13); disclosing less than asked tells the requester (§19)."""
    decided = sharing_outcome(outcome)
    data = required_text(data, "the data requested", field="data")
    purpose = required_text(purpose, "the purpose", field="purpose")
    legal_basis = required_text(legal_basis, "the legal basis", field="legal_basis")
    reasoning = required_text(reasoning, "the reasoning", field="reasoning")
    checked: str | None = None
    if decided is not SharingOutcome.REFUSE or (identity_check or "").strip():
        checked = required_text(
            identity_check,
            "how the requester's identity was checked",
            field="identity_check",
        )
    with unit_of_work(session, actor=actor, now=now, action="decision.record") as uow:
        uow.about("arrangement", arrangement)
        arrangement_row = arrangement_by_ref(session, arrangement)
        home = agency_by_name(session, agency)
        who = resolve_actor(session, actor)
        require_role_at(
            who,
            home,
            ContactRole.NOMINATED_REPRESENTATIVE,
            to=f"record a sharing decision for {home.name}",
        )
        if arrangement_row.status in SHARED_NOTHING:
            raise Refused(
                f"{arrangement_row.reference} is "
                f"{arrangement_row.status.value.replace('_', ' ')}: it was never in "
                "force, so nothing is disclosed under it"
            )
        if not any(
            a.id == home.id and role in DISCLOSERS
            for a, role in parties_of(session, arrangement_row)
        ):
            raise Refused(f"{home.name} discloses no data under {arrangement_row.reference}")
        asking = agency_by_name(session, requester)
        if asking.id == home.id:
            raise Refused(f"{home.name} cannot decide on its own request: name the requester")
        if asking.status == AgencyStatus.WITHDRAWN:
            raise Refused(f"{asking.name} has withdrawn from the Protocol: it is no partner")
        assert arrangement_row.id is not None and home.id is not None and asking.id is not None
        reference = uow.next_reference("SDR")
        session.add(
            SharingDecision(
                reference=reference,
                arrangement_id=arrangement_row.id,
                agency_id=home.id,
                requester_id=asking.id,
                outcome=decided,
                data=data,
                purpose=purpose,
                legal_basis=legal_basis,
                reasoning=reasoning,
                identity_check=checked,
                decided_by=who.email,
                decided_at=now,
            )
        )
        uow.record(
            "decision.record",
            subject_type="sharing_decision",
            subject_ref=reference,
            after={
                "arrangement": arrangement_row.reference,
                "agency": home.name,
                "requester": asking.name,
                "outcome": decided.value,
                "decided_by": who.email,
            },
        )
        uow.emit(
            SharingDecisionRecorded(
                decision=reference,
                arrangement=arrangement_row.reference,
                agency=home.name,
                requester=asking.name,
                outcome=decided.value,
                by=who.email,
            )
        )
        if decided in DECLINING:
            uow.emit(
                DisclosureDeclined(
                    decision=reference,
                    arrangement=arrangement_row.reference,
                    agency=asking.name,
                    discloser=home.name,
                    outcome=decided.value,
                    data=data,
                    purpose=purpose,
                    reasoning=reasoning,
                )
            )
        return uow.events
