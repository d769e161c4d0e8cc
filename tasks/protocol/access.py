"""Use cases for staff training (§12, §38) and need-to-know access to shared data (§10, §25)."""

from datetime import date

import pendulum
from sqlmodel import Session, col, select

from models.clocks import local_date
from models.enums import AccessGrantStatus, ArrangementStatus, ContactRole, PartyRole
from models.errors import InvalidInput, Refused
from models.events import (
    AccessAttested,
    AccessGranted,
    AccessRevoked,
    DomainEvent,
    StaffLeft,
    TrainingRecorded,
)
from models.inputs import required_name, required_text
from models.lifecycles import ACCESS_GRANT
from models.tables import AccessGrant, Agency, Arrangement, Contact, TrainingRecord
from tasks.lookup import (
    arrangement_by_ref,
    contact_by_email,
    current_parties,
    grant_by_ref,
    require_role_at,
    resolve_actor,
)
from tasks.protocol.register import require_registered
from tasks.uow import UnitOfWork, unit_of_work

ACCESS_MANAGERS = (ContactRole.NOMINATED_REPRESENTATIVE, ContactRole.POINT_OF_CONTACT)


def record_training(
    session: Session,
    *,
    email: str,
    course: str,
    completed_on: date,
    expires_on: date | None,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    course = required_name(course, "the course", field="course")
    if completed_on > local_date(now):
        raise InvalidInput(
            f"{{completed}} {completed_on} is in the future",
            inputs={"completed": "the completion date"},
        )
    if expires_on is not None and expires_on <= completed_on:
        raise InvalidInput(
            f"{{expires}} {expires_on} is not after {{completed}} {completed_on}",
            inputs={"expires": "the expiry date", "completed": "the completion date"},
        )
    with unit_of_work(session, actor=actor, now=now, action="training.record") as uow:
        uow.about("contact", email)
        require_registered(session, actor)
        contact = contact_by_email(session, email)
        assert contact.id is not None
        session.add(
            TrainingRecord(
                contact_id=contact.id,
                course=course,
                completed_on=completed_on,
                expires_on=expires_on,
                recorded_at=now,
            )
        )
        uow.record(
            "training.record",
            subject_type="contact",
            subject_ref=contact.email,
            after={"course": course, "completed_on": completed_on, "expires_on": expires_on},
        )
        uow.emit(
            TrainingRecorded(
                email=contact.email,
                course=course,
                expires_on=expires_on.isoformat() if expires_on else None,
            )
        )
        return uow.events


def training_current(session: Session, contact: Contact, on: date) -> bool:
    """Whether a staff member holds training completed by `on` that has not expired by then."""
    return (
        session.exec(
            select(TrainingRecord.id)
            .where(TrainingRecord.contact_id == contact.id)
            .where(TrainingRecord.completed_on <= on)
            .where(
                (col(TrainingRecord.expires_on).is_(None)) | (col(TrainingRecord.expires_on) > on)
            )
        ).first()
        is not None
    )


def grant_access(
    session: Session,
    *,
    arrangement: str,
    email: str,
    justification: str,
    expires_on: date | None,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """Give a trained staff member of a receiving party access, for a stated need (§10)."""
    justification = required_text(justification, "the justification", field="justification")
    today = local_date(now)
    if expires_on is not None and expires_on <= today:
        raise InvalidInput(
            f"{{expires}} {expires_on} is not in the future",
            inputs={"expires": "the expiry date"},
        )
    with unit_of_work(session, actor=actor, now=now, action="access.grant") as uow:
        uow.about("arrangement", arrangement)
        arrangement_row = arrangement_by_ref(session, arrangement, lock=True)
        staff = contact_by_email(session, email)
        assert arrangement_row.id is not None
        parties = {
            agency.id: (party, agency)
            for party, agency in current_parties(session, arrangement_row.id)
        }
        if staff.agency_id not in parties:
            raise Refused(f"{staff.email}'s agency is not a party to {arrangement_row.reference}")
        party, agency = parties[staff.agency_id]
        who = resolve_actor(session, actor)
        require_role_at(
            who, agency, *ACCESS_MANAGERS, to=f"grant access to {arrangement_row.reference}"
        )
        if party.role == PartyRole.DISCLOSER:
            raise Refused(
                f"{agency.name} only discloses under {arrangement_row.reference}: "
                "its staff receive no access"
            )
        if arrangement_row.status != ArrangementStatus.ACTIVE:
            raise Refused(
                f"cannot grant access to {arrangement_row.reference}: it is "
                f"{arrangement_row.status.value.replace('_', ' ')}, not active"
            )
        if staff.left_at is not None:
            raise Refused(f"{staff.email} has left {agency.name}")
        if not training_current(session, staff, today):
            raise Refused(
                f"{staff.email} has no current training record (§12): record training first"
            )
        reference = uow.next_reference("GRT")
        assert staff.id is not None and agency.id is not None
        grant = AccessGrant(
            reference=reference,
            arrangement_id=arrangement_row.id,
            contact_id=staff.id,
            agency_id=agency.id,
            justification=justification,
            granted_at=now,
            granted_by=who.email,
            attested_at=now,
            expires_on=expires_on,
        )
        session.add(grant)
        uow.record(
            "access.grant",
            subject_type="access_grant",
            subject_ref=reference,
            after={
                "status": grant.status,
                "arrangement": arrangement_row.reference,
                "staff": staff.email,
                "justification": justification,
                "expires_on": expires_on,
            },
        )
        uow.emit(
            AccessGranted(grant=reference, arrangement=arrangement_row.reference, email=staff.email)
        )
        return uow.events


def end_grant(uow: UnitOfWork, grant: AccessGrant, event: str, reason: str | None = None) -> None:
    """Move a grant through its table (pause, restore, revoke) and record it."""
    if event == "revoke":
        grant.revoked_at = uow.now
        grant.revoked_by = uow.actor
        grant.revoked_reason = reason
    uow.move(
        grant,
        ACCESS_GRANT,
        event,
        action=f"access.{event}",
        subject_type="access_grant",
        subject_ref=grant.reference,
        reason=reason,
    )


def revoke(uow: UnitOfWork, grant: AccessGrant, reason: str) -> None:
    end_grant(uow, grant, "revoke", reason)
    staff = uow.session.get(Contact, grant.contact_id)
    arrangement = uow.session.get(Arrangement, grant.arrangement_id)
    assert staff is not None and arrangement is not None
    uow.emit(
        AccessRevoked(
            grant=grant.reference,
            arrangement=arrangement.reference,
            email=staff.email,
            reason=reason,
        )
    )


def revoke_access(
    session: Session, *, grant: str, reason: str, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """Remove access that is no longer necessary (§10), with the reason recorded."""
    reason = required_text(reason, "the reason", field="reason")
    with unit_of_work(session, actor=actor, now=now, action="access.revoke") as uow:
        uow.about("access_grant", grant)
        held = grant_by_ref(session, grant, lock=True)
        who = resolve_actor(session, actor)
        home = session.get(Agency, held.agency_id)
        assert home is not None
        owners = [
            agency
            for party, agency in current_parties(session, held.arrangement_id)
            if party.role in (PartyRole.DISCLOSER, PartyRole.BOTH)
        ]
        may = who.has_role_at(home.id, *ACCESS_MANAGERS) or any(
            who.has_role_at(owner.id, ContactRole.NOMINATED_REPRESENTATIVE) for owner in owners
        )
        if not may:
            raise Refused(
                f"{who.email} is neither a nominated representative or point of contact of "
                f"{home.name} nor a nominated representative of the data owner: may not revoke "
                f"{held.reference}"
            )
        revoke(uow, held, reason)
        return uow.events


def attest_access(
    session: Session, *, grant: str, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """The agency's point of contact confirms the staff member still needs the access (§10)."""
    with unit_of_work(session, actor=actor, now=now, action="access.attest") as uow:
        uow.about("access_grant", grant)
        held = grant_by_ref(session, grant, lock=True)
        home = session.get(Agency, held.agency_id)
        assert home is not None
        who = resolve_actor(session, actor)
        require_role_at(who, home, ContactRole.POINT_OF_CONTACT, to=f"attest {held.reference}")
        if held.status == AccessGrantStatus.REVOKED:
            raise Refused(f"{held.reference} is revoked: there is nothing to attest")
        if held.status == AccessGrantStatus.PAUSED:
            # no access is held while paused: attesting now would vouch for a need unseen
            raise Refused(
                f"{held.reference} is paused while its arrangement is suspended: attest it once "
                "it is restored"
            )
        before = {"attested_at": held.attested_at}
        held.attested_at = now
        session.add(held)
        uow.record(
            "access.attest",
            subject_type="access_grant",
            subject_ref=held.reference,
            before=before,
            after={"attested_at": now},
        )
        uow.emit(AccessAttested(grant=held.reference))
        return uow.events


def mark_leaver(
    session: Session, *, email: str, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """Record that a staff member has left; the access sweep then revokes their access."""
    with unit_of_work(session, actor=actor, now=now, action="staff.leaver") as uow:
        uow.about("contact", email)
        staff = contact_by_email(session, email)
        home = session.get(Agency, staff.agency_id)
        assert home is not None
        who = resolve_actor(session, actor)
        require_role_at(who, home, *ACCESS_MANAGERS, to=f"record {staff.email} as a leaver")
        if staff.left_at is not None:
            raise Refused(f"{staff.email} is already recorded as having left {home.name}")
        staff.left_at = now
        session.add(staff)
        uow.record(
            "staff.leaver",
            subject_type="contact",
            subject_ref=staff.email,
            after={"left_at": now, "agency": home.name},
        )
        uow.emit(StaffLeft(email=staff.email, agency=home.name))
        return uow.events
