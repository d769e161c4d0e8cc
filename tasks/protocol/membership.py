"""The membership moves a suspension (§41) and a withdrawal (§42) share: an agency's and a
suspension's status moves, the arrangements an agency is still party to and their grants, and an
agency leaving an arrangement, which the Protocol's rule (models/matters.py) turns into a
termination, a review by the rest, or a draft without it."""

from typing import Any

from sqlmodel import Session, col, select

from models.clocks import local_date
from models.enums import (
    AccessGrantStatus,
    AgencyStatus,
    AmendmentStatus,
    ArrangementStatus,
    PartyRole,
    SuspensionStatus,
)
from models.events import ArrangementPartyLeft
from models.lifecycles import AGENCY_MEMBERSHIP, REVIEW, SUSPENSION
from models.matters import Departure, departure
from models.tables import (
    AccessGrant,
    Agency,
    Arrangement,
    ArrangementParty,
    Review,
    Suspension,
)
from tasks.lookup import current_parties
from tasks.protocol.access import end_grant, revoke
from tasks.protocol.arrangements import move_amendment, resume, transition, version_record
from tasks.protocol.disposal import schedule_for_leaver
from tasks.protocol.reviews import current_review, terminate
from tasks.uow import UnitOfWork

LIVE = (
    ArrangementStatus.DRAFT,
    ArrangementStatus.AWAITING_APPROVAL,
    ArrangementStatus.ACTIVE,
    ArrangementStatus.UNDER_REVIEW,
    ArrangementStatus.SUSPENDED,
)


def move_agency(uow: UnitOfWork, agency: Agency, event: str, **detail: Any) -> None:
    uow.move(
        agency,
        AGENCY_MEMBERSHIP,
        event,
        action=f"agency.{event}",
        subject_type="agency",
        subject_ref=agency.name,
        **detail,
    )


def move_suspension(uow: UnitOfWork, suspension: Suspension, event: str, **detail: Any) -> None:
    uow.move(
        suspension,
        SUSPENSION,
        event,
        action=f"suspension.{event}",
        subject_type="suspension",
        subject_ref=suspension.reference,
        **detail,
    )


def open_suspension(session: Session, agency_id: int | None) -> Suspension | None:
    return session.exec(
        select(Suspension)
        .where(Suspension.agency_id == agency_id)
        .where(Suspension.status != SuspensionStatus.ENDED)
    ).first()


def live_arrangements(session: Session, agency_id: int | None) -> list[Arrangement]:
    """Arrangements the agency is still party to that have not ended, oldest first."""
    return list(
        session.exec(
            select(Arrangement)
            .join(ArrangementParty, col(ArrangementParty.arrangement_id) == Arrangement.id)
            .where(ArrangementParty.agency_id == agency_id)
            .where(col(ArrangementParty.left_at).is_(None))
            .where(col(Arrangement.status).in_(LIVE))
            .order_by(col(Arrangement.id))
            .with_for_update()
        ).all()
    )


def grants_of(
    session: Session, arrangement_id: int | None, status: AccessGrantStatus
) -> list[AccessGrant]:
    return list(
        session.exec(
            select(AccessGrant)
            .where(AccessGrant.arrangement_id == arrangement_id)
            .where(AccessGrant.status == status)
            .order_by(col(AccessGrant.id))
        ).all()
    )


def other_party_suspended(session: Session, arrangement: Arrangement, home: Agency) -> bool:
    assert arrangement.id is not None
    return any(
        agency.id != home.id and agency.status == AgencyStatus.SUSPENDED
        for _, agency in current_parties(session, arrangement.id)
    )


def leave(uow: UnitOfWork, arrangement: Arrangement, home: Agency) -> Departure:
    """The withdrawing agency leaves an arrangement (§42). One in force that is left without
    both a discloser and a recipient is terminated; the rest in force carry on and are reviewed
    without it. One not yet in force is a draft without it: one awaiting approval returns to
    draft at a new version, because sign-offs of the version that named it no longer count."""
    session = uow.session
    assert arrangement.id is not None
    remaining: list[PartyRole] = []
    for party, agency in current_parties(session, arrangement.id):
        if agency.id == home.id:
            party.left_at = uow.now
            session.add(party)
        else:
            remaining.append(party.role)
    uow.record(
        "arrangement.party_leave",
        subject_type="arrangement",
        subject_ref=arrangement.reference,
        after={"agency": home.name},
    )
    for status in (AccessGrantStatus.ACTIVE, AccessGrantStatus.PAUSED):
        for grant in grants_of(session, arrangement.id, status):
            if grant.agency_id == home.id:
                revoke(uow, grant, f"{home.name} withdrew from the Protocol")
    signing = (
        version_record(session, arrangement)
        if arrangement.amendment == AmendmentStatus.AWAITING_APPROVAL
        else None
    )
    if signing is not None and home.id in signing.agency_ids:
        # the amending version named it: its sign-offs no longer count; the version in force
        # carries on below as any other does
        named = arrangement.version
        arrangement.version += 1
        move_amendment(uow, arrangement, "party_left", agency=home.name)
        uow.emit(
            ArrangementPartyLeft(arrangement=arrangement.reference, version=named, agency=home.name)
        )
    fate = departure(arrangement.status, remaining)
    if fate == "redrafted":
        if arrangement.activated_at is not None:
            # a draft amending an arrangement once in force: it may hold what was shared then
            schedule_for_leaver(uow, arrangement, home)
        if arrangement.status == ArrangementStatus.AWAITING_APPROVAL:
            named = arrangement.version
            arrangement.version += 1
            transition(uow, arrangement, "party_left", agency=home.name)
            uow.emit(
                ArrangementPartyLeft(
                    arrangement=arrangement.reference, version=named, agency=home.name
                )
            )
        return fate
    if fate == "terminated":
        terminate(uow, arrangement, f"{home.name} withdrew from the Protocol")
        return "terminated"
    # the others carry on; what the leaving agency received must still be destroyed
    schedule_for_leaver(uow, arrangement, home)
    if arrangement.status == ArrangementStatus.SUSPENDED and not other_party_suspended(
        session, arrangement, home
    ):
        resume(uow, arrangement, reason=f"{home.name} withdrew")
        for grant in grants_of(session, arrangement.id, AccessGrantStatus.PAUSED):
            end_grant(uow, grant, "restore", f"{home.name} withdrew")
    if arrangement.status == ArrangementStatus.ACTIVE:
        # the remaining parties review the arrangement without the agency that left
        transition(uow, arrangement, "open_review", reason=f"{home.name} withdrew")
        review = current_review(session, arrangement)
        if review is None:
            review = Review(arrangement_id=arrangement.id, due_on=local_date(uow.now))
        review.status = REVIEW.fire(review.status, "open", arrangement.reference)
        review.opened_at = uow.now
        session.add(review)
    return "left"
