"""An arrangement's state and its drafting: draft from an Appendix J form, revise, submit a
version for its parties' sign-offs (§6); and what the other use cases of its life share: moving
it (and an amendment) through its transition table, what it says, its stored versions, resuming
it after a suspension. Approving and rejecting a version are in tasks/protocol/approvals.py,
reviews and termination in tasks/protocol/reviews.py.

Every submitted version is kept as it was signed (ArrangementVersion, append-only). An
amendment is drafted and signed beside the version in force: the arrangement's columns, parties
and data items stay those of its last approved version, which every obligation follows, until
the amending version is adopted."""

from typing import Any

import pendulum
from pydantic import ValidationError
from sqlmodel import Session, col, delete, select

from models.appendix_j import ArrangementDraft
from models.enums import (
    AgencyStatus,
    AmendmentStatus,
    ArrangementStatus,
    ContactRole,
    ReviewStatus,
    SignOffDecision,
)
from models.errors import Refused
from models.events import ArrangementDrafted, ArrangementSubmitted, DomainEvent
from models.lifecycles import AMENDMENT, ARRANGEMENT
from models.tables import (
    Agency,
    Arrangement,
    ArrangementParty,
    ArrangementVersion,
    DataItem,
    OverseasTransfer,
    Review,
    SignOff,
)
from models.versions import TEMPLATE_VERSION, version_content, version_hash
from tasks.lookup import Actor, agency_by_name, arrangement_by_ref, current_parties, resolve_actor
from tasks.uow import UnitOfWork, unit_of_work

OFFICER_ROLES = (
    ContactRole.SIGNATORY,
    ContactRole.NOMINATED_REPRESENTATIVE,
    ContactRole.POINT_OF_CONTACT,
)


def arrangement_state(arrangement: Arrangement) -> dict[str, Any]:
    return {
        "status": arrangement.status,
        "version": arrangement.version,
        "next_review_due": arrangement.next_review_due,
    }


def amending(arrangement: Arrangement) -> bool:
    """Whether an amendment of the version in force is being drafted or signed."""
    return arrangement.amendment in (AmendmentStatus.DRAFTING, AmendmentStatus.AWAITING_APPROVAL)


def awaiting_sign_off(arrangement: Arrangement) -> bool:
    """Whether its current version waits for the parties' sign-offs (a first version or an
    amendment)."""
    return (
        arrangement.status == ArrangementStatus.AWAITING_APPROVAL
        or arrangement.amendment == AmendmentStatus.AWAITING_APPROVAL
    )


def move_amendment(uow: UnitOfWork, arrangement: Arrangement, event: str, **detail: Any) -> None:
    """Move an arrangement's amendment through its table and record it in the audit chain."""
    was = arrangement.amendment or AMENDMENT.initial
    arrangement.amendment = AMENDMENT.fire(was, event, arrangement.reference)
    arrangement.updated_at = uow.now
    uow.session.add(arrangement)
    uow.record(
        f"amendment.{event}",
        subject_type="arrangement",
        subject_ref=arrangement.reference,
        before={"amendment": was, "version": arrangement.version},
        after={"amendment": arrangement.amendment, "version": arrangement.version, **detail},
    )


def content_of(session: Session, arrangement: Arrangement) -> dict[str, Any]:
    """The content of the arrangement's columns and rows, in the Appendix J form's shape: the
    version in force once approved, a first version's draft before."""
    assert arrangement.id is not None
    items = session.exec(
        select(DataItem).where(DataItem.arrangement_id == arrangement.id).order_by(col(DataItem.id))
    ).all()
    transfers = session.exec(
        select(OverseasTransfer)
        .where(OverseasTransfer.arrangement_id == arrangement.id)
        .order_by(col(OverseasTransfer.id))
    ).all()
    return version_content(
        arrangement.model_dump(),
        [{"agency": a.name, "role": p.role} for p, a in current_parties(session, arrangement.id)],
        [i.model_dump() for i in items],
        [t.model_dump() for t in transfers],
    )


def working_content(session: Session, arrangement: Arrangement) -> dict[str, Any]:
    """What the next version says so far: an amendment's draft, else the columns."""
    if amending(arrangement) and arrangement.amendment_draft is not None:
        return dict(arrangement.amendment_draft)
    return content_of(session, arrangement)


def version_record(
    session: Session, arrangement: Arrangement, version: int | None = None
) -> ArrangementVersion | None:
    """The stored version (the current one unless `version` is given), if it was submitted."""
    return session.exec(
        select(ArrangementVersion)
        .where(ArrangementVersion.arrangement_id == arrangement.id)
        .where(ArrangementVersion.version == (version or arrangement.version))
    ).first()


def version_parties(session: Session, arrangement: Arrangement) -> list[Agency]:
    """The parties who sign the current version: those its stored record names, else (a draft)
    the arrangement's own."""
    assert arrangement.id is not None
    record = version_record(session, arrangement)
    if record is None:
        return [agency for _, agency in current_parties(session, arrangement.id)]
    found = {
        a.id: a for a in session.exec(select(Agency).where(col(Agency.id).in_(record.agency_ids)))
    }
    return [found[i] for i in record.agency_ids if i in found]


def awaiting_signatures(session: Session, arrangement: Arrangement) -> list[str]:
    """The parties whose signatory has not yet approved the current version."""
    assert arrangement.id is not None
    approved = set(
        session.exec(
            select(SignOff.agency_id)
            .where(SignOff.arrangement_id == arrangement.id)
            .where(SignOff.version == arrangement.version)
            .where(SignOff.decision == SignOffDecision.APPROVED)
        ).all()
    )
    return [a.name for a in version_parties(session, arrangement) if a.id not in approved]


def _draft_content(draft: ArrangementDraft, agencies: list[Agency]) -> dict[str, Any]:
    """An Appendix J form's content as a version keeps it, each party under its registered name."""
    content = draft.model_dump(mode="json")
    content["lawful_basis"] = (draft.lawful_basis or "").strip() or None
    content["parties"] = [
        {"agency": agency.name, "role": party.role.value}
        for party, agency in zip(draft.parties, agencies, strict=True)
    ]
    return content


def transition(uow: UnitOfWork, arrangement: Arrangement, event: str, **detail: Any) -> None:
    """Move an arrangement through its table and record the move in the audit chain."""
    arrangement.updated_at = uow.now
    uow.move(
        arrangement,
        ARRANGEMENT,
        event,
        action=f"arrangement.{event}",
        subject_type="arrangement",
        subject_ref=arrangement.reference,
        state=arrangement_state,
        **detail,
    )


# The states of an arrangement in force: what a party's suspension suspends (§41).
IN_FORCE = (ArrangementStatus.ACTIVE, ArrangementStatus.UNDER_REVIEW)


def resume(uow: UnitOfWork, arrangement: Arrangement, **detail: Any) -> None:
    """A suspended arrangement returns to the state it was suspended from: under review if its
    review is still open (a review is open exactly while the arrangement is under review, and a
    suspension leaves it open), else active."""
    open_review = uow.session.exec(
        select(Review.id)
        .where(Review.arrangement_id == arrangement.id)
        .where(col(Review.status) == ReviewStatus.OPEN)
    ).first()
    transition(uow, arrangement, "resume" if open_review is None else "resume_review", **detail)


def party_officer_acting(
    session: Session, reference: str, actor: str, verb: str
) -> tuple[Arrangement, Actor]:
    """The arrangement, locked for the change, and who is acting on it (to `verb` it): refused
    unless a signatory, nominated representative or point of contact of one of its parties."""
    arrangement = arrangement_by_ref(session, reference, lock=True)
    who = resolve_actor(session, actor)
    assert arrangement.id is not None
    party_ids = [agency.id for _, agency in current_parties(session, arrangement.id)]
    if not any(who.has_role_at(agency_id, *OFFICER_ROLES) for agency_id in party_ids):
        raise Refused(
            f"{who.email} is not a signatory, nominated representative or point of contact "
            f"of a party to {arrangement.reference}: may not {verb} {arrangement.reference}"
        )
    return arrangement, who


def fire_signing(arrangement: Arrangement, event: str, asked: str) -> bool:
    """Refuse `event` unless the version being signed allows it: the amendment's table while an
    amendment is drafted or signed (which names the arrangement as `asked` for), else the
    arrangement's. Whether it is an amendment."""
    if amending(arrangement):
        AMENDMENT.fire(arrangement.amendment or AMENDMENT.initial, event, asked)
        return True
    ARRANGEMENT.fire(arrangement.status, event, arrangement.reference)
    return False


def _resolve_parties(session: Session, draft: ArrangementDraft) -> list[Agency]:
    agencies = [agency_by_name(session, party.agency) for party in draft.parties]
    for agency in agencies:
        if agency.status != AgencyStatus.MEMBER:
            raise Refused(f"{agency.name} is {agency.status.value}: it cannot join an arrangement")
    return agencies


def write_content(session: Session, arrangement: Arrangement, draft: ArrangementDraft) -> None:
    """Write an Appendix J form's content onto an arrangement, replacing what a draft had."""
    arrangement.title = draft.title
    arrangement.purposes = list(draft.purposes)
    arrangement.lawful_basis = (draft.lawful_basis or "").strip() or None
    arrangement.special_category_condition = draft.special_category_condition
    arrangement.consent_basis = draft.consent_basis
    arrangement.transfer_method = draft.transfer_method
    arrangement.security_arrangements = draft.security_arrangements
    arrangement.storage_arrangements = draft.storage_arrangements
    arrangement.access_arrangements = draft.access_arrangements
    arrangement.retention_months = draft.retention.period_months
    arrangement.retention_rule = draft.retention.rule
    arrangement.disposal_method = draft.retention.disposal_method
    arrangement.review_interval_months = draft.review_interval_months
    session.add(arrangement)
    session.flush()
    assert arrangement.id is not None
    for table in (DataItem, OverseasTransfer):
        session.exec(delete(table).where(col(table.arrangement_id) == arrangement.id))
    for item in draft.data_items:
        session.add(DataItem(arrangement_id=arrangement.id, **item.model_dump()))
    for transfer in draft.transfers_outside_eea:
        session.add(OverseasTransfer(arrangement_id=arrangement.id, **transfer.model_dump()))


def draft_arrangement(
    session: Session, *, draft: ArrangementDraft, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """Record a new arrangement from an Appendix J form, as a draft at version 1."""
    with unit_of_work(session, actor=actor, now=now, action="arrangement.draft") as uow:
        uow.about("arrangement", draft.title)
        agencies = _resolve_parties(session, draft)
        who = resolve_actor(session, actor)
        if not who.belongs_to_any(a.id for a in agencies):
            raise Refused(
                f"{who.email} is not a contact of any party: may not draft this arrangement"
            )
        reference = uow.next_reference("ISA")
        arrangement = Arrangement(
            reference=reference,
            title=draft.title,
            retention_months=draft.retention.period_months,
            drafted_by=who.email,
            created_at=now,
            updated_at=now,
        )
        write_content(session, arrangement, draft)
        assert arrangement.id is not None
        for party, agency in zip(draft.parties, agencies, strict=True):
            assert agency.id is not None
            session.add(
                ArrangementParty(
                    arrangement_id=arrangement.id, agency_id=agency.id, role=party.role
                )
            )
        uow.record(
            "arrangement.draft",
            subject_type="arrangement",
            subject_ref=reference,
            after={
                **arrangement_state(arrangement),
                "title": draft.title,
                "parties": {a.name: p.role for p, a in zip(draft.parties, agencies, strict=True)},
            },
        )
        uow.emit(ArrangementDrafted(arrangement=reference, version=arrangement.version))
        return uow.events


def revise_draft(
    session: Session,
    *,
    reference: str,
    draft: ArrangementDraft,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """Replace a draft's content (and parties) from a revised Appendix J form."""
    with unit_of_work(session, actor=actor, now=now, action="arrangement.revise") as uow:
        uow.about("arrangement", reference)
        arrangement, _ = party_officer_acting(session, reference, actor, "revise")
        if arrangement.amendment == AmendmentStatus.DRAFTING:
            # the amending draft only: what is in force, and every obligation, stays as signed
            agencies = _resolve_parties(session, draft)
            arrangement.amendment_draft = _draft_content(draft, agencies)
            arrangement.updated_at = now
            session.add(arrangement)
            uow.record(
                "arrangement.revise",
                subject_type="arrangement",
                subject_ref=arrangement.reference,
                after={
                    **arrangement_state(arrangement),
                    "amendment": arrangement.amendment,
                    "title": draft.title,
                },
            )
            uow.emit(
                ArrangementDrafted(arrangement=arrangement.reference, version=arrangement.version)
            )
            return uow.events
        if arrangement.status != ArrangementStatus.DRAFT:
            raise Refused(
                f"cannot revise arrangement {arrangement.reference}: it is "
                f"{arrangement.status.value.replace('_', ' ')}, only a draft can be revised"
                + (
                    f" (version {arrangement.version} awaits its parties' approval)"
                    if arrangement.amendment == AmendmentStatus.AWAITING_APPROVAL
                    else ""
                )
            )
        agencies = _resolve_parties(session, draft)
        assert arrangement.id is not None
        session.exec(
            delete(ArrangementParty).where(col(ArrangementParty.arrangement_id) == arrangement.id)
        )
        for party, agency in zip(draft.parties, agencies, strict=True):
            assert agency.id is not None
            session.add(
                ArrangementParty(
                    arrangement_id=arrangement.id, agency_id=agency.id, role=party.role
                )
            )
        write_content(session, arrangement, draft)
        arrangement.updated_at = now
        uow.record(
            "arrangement.revise",
            subject_type="arrangement",
            subject_ref=arrangement.reference,
            after={**arrangement_state(arrangement), "title": draft.title},
        )
        uow.emit(ArrangementDrafted(arrangement=arrangement.reference, version=arrangement.version))
        return uow.events


def submit_arrangement(
    session: Session, *, reference: str, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """Ask every party's signatory to approve the current version."""
    with unit_of_work(session, actor=actor, now=now, action="arrangement.submit") as uow:
        uow.about("arrangement", reference)
        arrangement, who = party_officer_acting(session, reference, actor, "submit")
        is_amendment = fire_signing(arrangement, "submit", reference)
        content = working_content(session, arrangement)
        if not (content["lawful_basis"] or "").strip():
            raise Refused(
                f"cannot submit {arrangement.reference}: no lawful basis is recorded (§6); "
                "revise the draft with one"
            )
        assert arrangement.id is not None
        if is_amendment:
            try:
                # what is adopted when the last party signs must be a whole Appendix J form
                ArrangementDraft.model_validate(content)
            except ValidationError as exc:
                problem = exc.errors()[0]
                where = ".".join(str(part) for part in problem["loc"])
                raise Refused(
                    f"cannot submit {arrangement.reference}: the amending draft's {where} "
                    f"is not complete ({problem['msg']}); revise the draft"
                ) from None
            named = [agency_by_name(session, p["agency"]) for p in content["parties"]]
            for agency in named:
                if agency.status != AgencyStatus.MEMBER:
                    raise Refused(
                        f"cannot submit {arrangement.reference}: {agency.name} is "
                        f"{agency.status.value}; revise the draft without it"
                    )
            agency_ids = [a.id for a in named if a.id is not None]
        else:
            agency_ids = [a.id for _, a in current_parties(session, arrangement.id) if a.id]
        if len(agency_ids) < 2:
            raise Refused(f"cannot submit {arrangement.reference}: it has fewer than two parties")
        record = ArrangementVersion(
            arrangement_id=arrangement.id,
            version=arrangement.version,
            content=content,
            agency_ids=agency_ids,
            template_version=TEMPLATE_VERSION,
            content_hash=version_hash(
                arrangement.reference, arrangement.version, TEMPLATE_VERSION, content
            ),
            submitted_at=now,
            submitted_by=who.email,
        )
        session.add(record)
        arrangement.submitted_at = now
        arrangement.approval_chase = 0
        if is_amendment:
            move_amendment(uow, arrangement, "submit", content_hash=record.content_hash)
        else:
            transition(uow, arrangement, "submit", content_hash=record.content_hash)
        uow.emit(
            ArrangementSubmitted(arrangement=arrangement.reference, version=arrangement.version)
        )
        return uow.events
