"""A submitted version's sign-offs (§2, §6): each party's signatory approves or rejects it,
bound to the hash of the version as it was submitted, whichever way in; the last approval puts
it in force (a first version activates; an amendment is adopted, its parties becoming the
arrangement's), a rejection returns it to drafting at the next version."""

import pendulum
from sqlmodel import Session, col, select

from models.appendix_j import ArrangementDraft
from models.clocks import first_review_due, local_date, next_review_due
from models.enums import (
    AccessGrantStatus,
    ContactRole,
    PartyRole,
    ReviewStatus,
    SignOffDecision,
)
from models.errors import Refused
from models.events import (
    ArrangementActivated,
    ArrangementApproved,
    ArrangementRejected,
    DomainEvent,
)
from models.inputs import required_text
from models.tables import (
    AccessGrant,
    Agency,
    Arrangement,
    ArrangementParty,
    ArrangementVersion,
    Review,
    SignOff,
)
from tasks.lookup import Actor, arrangement_by_ref, current_parties, resolve_actor
from tasks.protocol.access import revoke
from tasks.protocol.arrangements import (
    awaiting_signatures,
    fire_signing,
    move_amendment,
    transition,
    version_parties,
    version_record,
    write_content,
)
from tasks.protocol.disposal import schedule_for_leaver
from tasks.protocol.reviews import cancel_open_reviews, schedule_review
from tasks.uow import UnitOfWork, unit_of_work


def _signatory_acting(
    session: Session, reference: str, actor: str, verb: str
) -> tuple[Arrangement, Actor, Agency]:
    """The arrangement, locked for the decision, who decides (to `verb` it) and the party they
    sign for; refused unless they are the signatory of a party to the version."""
    arrangement = arrangement_by_ref(session, reference, lock=True)
    who = resolve_actor(session, actor)
    for agency in version_parties(session, arrangement):
        if who.has_role_at(agency.id, ContactRole.SIGNATORY):
            return arrangement, who, agency
    raise Refused(
        f"{who.email} is not a signatory of any party to {arrangement.reference}: "
        f"may not {verb} {arrangement.reference}"
    )


def _decide(
    uow: UnitOfWork,
    arrangement: Arrangement,
    agency: Agency,
    who: Actor,
    decision: SignOffDecision,
    reason: str | None,
) -> str:
    """Record the party's decision on the current version, bound to the hash of that version
    as it was submitted; returns the hash."""
    existing = uow.session.exec(
        select(SignOff)
        .where(SignOff.arrangement_id == arrangement.id)
        .where(SignOff.version == arrangement.version)
        .where(SignOff.agency_id == agency.id)
    ).first()
    if existing is not None:
        raise Refused(
            f"{agency.name} has already {existing.decision.value} version {arrangement.version} "
            f"of {arrangement.reference}"
        )
    record = version_record(uow.session, arrangement)
    if record is None:
        raise Refused(
            f"version {arrangement.version} of {arrangement.reference} was never submitted: "
            "there is nothing to decide on"
        )
    assert arrangement.id is not None and agency.id is not None and who.contact is not None
    assert who.contact.id is not None
    uow.session.add(
        SignOff(
            arrangement_id=arrangement.id,
            version=arrangement.version,
            agency_id=agency.id,
            contact_id=who.contact.id,
            decision=decision,
            reason=reason,
            decided_at=uow.now,
            content_hash=record.content_hash,
        )
    )
    uow.session.flush()
    return record.content_hash


def _sync_parties(uow: UnitOfWork, arrangement: Arrangement, record: ArrangementVersion) -> None:
    """The parties of an adopted version become the arrangement's: one it no longer names
    leaves (its staff's access ends, and a recipient destroys what it received)."""
    session = uow.session
    assert arrangement.id is not None
    roles = {
        agency_id: party["role"]
        for agency_id, party in zip(record.agency_ids, record.content["parties"], strict=True)
    }
    rows = {
        p.agency_id: p
        for p in session.exec(
            select(ArrangementParty).where(ArrangementParty.arrangement_id == arrangement.id)
        ).all()
    }
    for party, agency in current_parties(session, arrangement.id):
        if agency.id not in roles:
            schedule_for_leaver(uow, arrangement, agency)
            party.left_at = uow.now
            session.add(party)
            for grant in session.exec(
                select(AccessGrant)
                .where(AccessGrant.arrangement_id == arrangement.id)
                .where(AccessGrant.agency_id == agency.id)
                .where(col(AccessGrant.status) != AccessGrantStatus.REVOKED)
            ).all():
                reason = f"version {record.version} of {arrangement.reference} leaves it out"
                revoke(uow, grant, reason)
    for agency_id, role in roles.items():
        row = rows.get(agency_id) or ArrangementParty(
            arrangement_id=arrangement.id, agency_id=agency_id, role=PartyRole(role)
        )
        row.role = PartyRole(role)
        row.left_at = None
        session.add(row)


def _review_on(session: Session, arrangement: Arrangement, due: pendulum.Date) -> Review | None:
    return session.exec(
        select(Review).where(Review.arrangement_id == arrangement.id, Review.due_on == due)
    ).first()


def _adopt_amendment(uow: UnitOfWork, arrangement: Arrangement) -> pendulum.Date:
    """Every party approved the amending version: it is in force from now. Its content becomes
    the arrangement's, and its review cycle starts again from today at its interval."""
    session = uow.session
    record = version_record(session, arrangement)
    assert record is not None
    draft = ArrangementDraft.model_validate(record.content)
    _sync_parties(uow, arrangement, record)
    write_content(session, arrangement, draft)
    arrangement.amendment_draft = None
    arrangement.in_force_version = arrangement.version
    today = local_date(uow.now)
    due = first_review_due(today, arrangement.review_interval_months)
    held = _review_on(session, arrangement, due)
    if held is not None and held.status in (ReviewStatus.COMPLETED, ReviewStatus.CANCELLED):
        # a review of that date was already held (or called off): the cycle's next one
        due = next_review_due(due, arrangement.review_interval_months, today)
        held = _review_on(session, arrangement, due)
    cancel_open_reviews(uow, arrangement, keep=due)
    if held is None:
        schedule_review(session, arrangement, due)
    arrangement.next_review_due = due
    move_amendment(uow, arrangement, "adopt", next_review_due=due.isoformat())
    return due


def approve_arrangement(
    session: Session, *, reference: str, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """A party's signatory approves the current version; the last approval activates it (or,
    for an amendment, puts the amending version in force)."""
    with unit_of_work(session, actor=actor, now=now, action="arrangement.approve") as uow:
        uow.about("arrangement", reference)
        arrangement, who, agency = _signatory_acting(session, reference, actor, "approve")
        is_amendment = fire_signing(arrangement, "approve", reference)
        signed_hash = _decide(uow, arrangement, agency, who, SignOffDecision.APPROVED, None)
        awaiting = awaiting_signatures(session, arrangement)
        uow.record(
            "arrangement.approve",
            subject_type="arrangement",
            subject_ref=arrangement.reference,
            after={
                "agency": agency.name,
                "version": arrangement.version,
                "content_hash": signed_hash,
                "awaiting": awaiting,
            },
        )
        uow.emit(
            ArrangementApproved(
                arrangement=arrangement.reference,
                version=arrangement.version,
                agency=agency.name,
                signatory=who.email,
                awaiting=tuple(awaiting),
            )
        )
        if not awaiting:
            if is_amendment:
                due = _adopt_amendment(uow, arrangement)
            else:
                due = first_review_due(local_date(now), arrangement.review_interval_months)
                schedule_review(session, arrangement, due)
                arrangement.activated_at = now
                arrangement.in_force_version = arrangement.version
                transition(uow, arrangement, "activate")
            uow.emit(
                ArrangementActivated(
                    arrangement=arrangement.reference,
                    version=arrangement.version,
                    next_review_due=due.isoformat(),
                )
            )
        return uow.events


def reject_arrangement(
    session: Session, *, reference: str, reason: str, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """A party's signatory rejects the version: it returns to draft at the next version (an
    amendment to drafting; the version in force stays in force)."""
    reason = required_text(reason, "a reason for the rejection")
    with unit_of_work(session, actor=actor, now=now, action="arrangement.reject") as uow:
        uow.about("arrangement", reference)
        arrangement, who, agency = _signatory_acting(session, reference, actor, "reject")
        is_amendment = fire_signing(arrangement, "reject", reference)
        _decide(uow, arrangement, agency, who, SignOffDecision.REJECTED, reason)
        rejected_version = arrangement.version
        arrangement.version += 1
        if is_amendment:
            move_amendment(uow, arrangement, "reject", reason=reason, agency=agency.name)
        else:
            transition(uow, arrangement, "reject", reason=reason, agency=agency.name)
        uow.emit(
            ArrangementRejected(
                arrangement=arrangement.reference,
                version=rejected_version,
                agency=agency.name,
                signatory=who.email,
                reason=reason,
            )
        )
        return uow.events
