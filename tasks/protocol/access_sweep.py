"""The daily access sweep: access ends when the need ends (§10). It revokes, with the reason,
every grant past its expiry, on an arrangement no longer in force, held by someone whose
training has lapsed or who has left, or whose need to know was not re-attested in time; it
reminds points of contact before attestation falls due and staff before their training lapses.

Like the review sweep it works set-wise in batches, and what it did is stored on the records
(the grant revoked, the reminder sent), so a second run the same day finds nothing.
"""

from datetime import date
from typing import Any

import pendulum
from sqlalchemy import bindparam, exists, or_, union, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from models.clocks import LONDON, local_date
from models.enums import AccessGrantStatus, ArrangementStatus
from models.events import AccessAttestationDue, AccessRevoked, DomainEvent, TrainingExpiring
from models.lifecycles import ACCESS_GRANT
from models.policies import AccessPolicy
from models.tables import AccessGrant, Arrangement, Contact, TrainingRecord
from tasks.sweeps import Claim, PhaseReport, in_batches, record_batch
from tasks.uow import UnitOfWork

GRANT = AccessGrant.__table__  # type: ignore[attr-defined]
TRAINING = TrainingRecord.__table__  # type: ignore[attr-defined]
CURRENT = TRAINING.alias("current_training")
ENDED = (
    ArrangementStatus.TERMINATED,
    ArrangementStatus.LAPSED,
    ArrangementStatus.DISPOSAL_PENDING,
    ArrangementStatus.CLOSED,
)
HELD = (AccessGrantStatus.ACTIVE, AccessGrantStatus.PAUSED)


def _midnight(day: date) -> pendulum.DateTime:
    return pendulum.datetime(day.year, day.month, day.day, tz=LONDON).in_timezone("UTC")


def _day(value: date) -> pendulum.Date:
    return pendulum.Date(value.year, value.month, value.day)


def _ending(day: pendulum.Date, policy: AccessPolicy) -> Any:
    """Held grants whose need has ended by `day`, with what tells why."""
    # attested on or before this London day and not since: due plus grace has passed
    unattested_before = _midnight(
        day.subtract(days=policy.attestation_grace_days + 1)
        .subtract(months=policy.attest_every_months)
        .add(days=1)
    )
    trained = exists().where(
        TRAINING.c.contact_id == GRANT.c.contact_id,
        TRAINING.c.completed_on <= day,
        or_(TRAINING.c.expires_on.is_(None), TRAINING.c.expires_on > day),
    )
    held = GRANT.c.status.in_([s.value for s in HELD])
    lapsed_training = (
        sa_select(TRAINING.c.contact_id)
        .where(TRAINING.c.expires_on <= day)
        .where(
            ~exists().where(
                CURRENT.c.contact_id == TRAINING.c.contact_id,
                CURRENT.c.completed_on <= day,
                or_(CURRENT.c.expires_on.is_(None), CURRENT.c.expires_on > day),
            )
        )
    )
    # One indexed look-up per reason, rather than one condition per reason tested on every
    # grant: the sweep reads what ends today, not the whole register.
    ending = union(
        sa_select(GRANT.c.id).where(held, GRANT.c.expires_on <= day),
        sa_select(GRANT.c.id).where(held, GRANT.c.attested_at < unattested_before),
        sa_select(GRANT.c.id)
        .join(Arrangement, col(Arrangement.id) == GRANT.c.arrangement_id)
        .where(held, col(Arrangement.status).in_([s.value for s in ENDED])),
        sa_select(GRANT.c.id)
        .join(Contact, col(Contact.id) == GRANT.c.contact_id)
        .where(held, col(Contact.left_at).is_not(None)),
        sa_select(GRANT.c.id).where(held, GRANT.c.contact_id.in_(lapsed_training)),
    ).subquery()
    return (
        sa_select(
            GRANT.c.id,
            GRANT.c.reference,
            GRANT.c.expires_on,
            col(Arrangement.reference),
            col(Arrangement.status),
            col(Contact.email),
            col(Contact.left_at),
            trained.label("trained"),
        )
        .join(Arrangement, col(Arrangement.id) == GRANT.c.arrangement_id)
        .join(Contact, col(Contact.id) == GRANT.c.contact_id)
        # repeated on the grant itself, so a grant another sweep has just revoked is passed over
        .where(held, GRANT.c.id.in_(sa_select(ending.c.id)))
        .order_by(GRANT.c.id)
    )


def _why(day: date, policy: AccessPolicy, row: Any) -> str:
    _grant_id, _ref, expires_on, arrangement, status, _email, left_at, is_trained = row
    if expires_on is not None and expires_on <= day:
        return f"access expired on {expires_on.isoformat()}"
    if ArrangementStatus(status) in ENDED:
        return f"arrangement {arrangement} is {ArrangementStatus(status).value.replace('_', ' ')}"
    if left_at is not None:
        return "the staff member has left the agency"
    if not is_trained:
        return "the staff member's training has lapsed (§12)"
    return (
        f"need to know not re-attested within {policy.attest_every_months} months "
        f"and {policy.attestation_grace_days} days of grace (§10)"
    )


def revoke_unneeded_access(
    session: Session, *, as_of: date, policy: AccessPolicy, now: pendulum.DateTime, actor: str
) -> PhaseReport:
    """Revoke every grant whose need has ended, recording why. A revocation cannot be undone,
    so it waits for the clock as well as `as_of`: a rehearsal of a later day sends that day's
    reminders and reports the revocations it held back."""
    report = PhaseReport("revoked")
    rehearsed = _day(as_of)
    day = min(rehearsed, local_date(now))
    revoked = ACCESS_GRANT.fire(AccessGrantStatus.ACTIVE, "revoke")

    def act(uow: UnitOfWork, claim: Claim) -> int:
        batch = uow.session.execute(
            claim(_ending(day, policy).limit(policy.batch_size), GRANT)
        ).all()
        if not batch:
            return 0
        updates, events, touched = [], [], {}
        for row in batch:
            grant_id, ref, _expires, arrangement, _status, email, _left, _trained = row
            reason = _why(day, policy, row)
            updates.append({"grant_id": grant_id, "reason": reason})
            events.append(
                AccessRevoked(grant=ref, arrangement=arrangement, email=email, reason=reason)
            )
            touched[ref] = reason
            report.add(ref, "revoked", reason)
        uow.session.execute(
            update(GRANT)
            .where(GRANT.c.id == bindparam("grant_id"))
            .values(
                status=revoked.value,
                revoked_at=uow.now,
                revoked_by=uow.actor,
                revoked_reason=bindparam("reason"),
            ),
            updates,
        )
        record_batch(uow, "access.revoke", "access-sweep", as_of, {"revoked": touched}, events)
        return len(batch)

    in_batches(session, actor=actor, now=now, action="access.revoke", report=report, act=act)
    if rehearsed > day:
        for row in session.execute(_ending(rehearsed, policy)).all():
            report.hold(row[1], "revocation", _why(rehearsed, policy, row))
        session.rollback()
    return report


def remind_attestations(
    session: Session, *, as_of: date, policy: AccessPolicy, now: pendulum.DateTime, actor: str
) -> PhaseReport:
    """Tell the point of contact that a grant's need to know is due to be re-attested."""
    report = PhaseReport("attestation reminders")
    day = _day(as_of)
    due_by = _midnight(
        day.add(days=policy.attestation_reminder_days)
        .subtract(months=policy.attest_every_months)
        .add(days=1)
    )

    def act(uow: UnitOfWork, claim: Claim) -> int:
        batch = uow.session.execute(
            claim(
                sa_select(GRANT.c.id, GRANT.c.reference, GRANT.c.attested_at, col(Contact.email))
                .join(Contact, col(Contact.id) == GRANT.c.contact_id)
                .where(GRANT.c.status.in_([s.value for s in HELD]))
                .where(GRANT.c.attested_at < due_by)
                .where(
                    or_(
                        GRANT.c.attestation_reminded_at.is_(None),
                        GRANT.c.attestation_reminded_at < GRANT.c.attested_at,
                    )
                )
                .order_by(GRANT.c.id)
                .limit(policy.batch_size),
                GRANT,
            )
        ).all()
        if not batch:
            return 0
        events: list[DomainEvent] = []
        for _grant_id, ref, attested_at, email in batch:
            due = local_date(pendulum.instance(attested_at)).add(months=policy.attest_every_months)
            revoke_after = due.add(days=policy.attestation_grace_days)
            events.append(
                AccessAttestationDue(
                    grant=ref,
                    email=email,
                    due_on=due.isoformat(),
                    revoke_after=revoke_after.isoformat(),
                )
            )
            report.add(ref, "attestation reminder", f"due {due.isoformat()}")
        uow.session.execute(
            update(GRANT)
            .where(GRANT.c.id.in_([row[0] for row in batch]))
            .values(attestation_reminded_at=uow.now)
        )
        record_batch(
            uow,
            "access.attestation_reminder",
            "access-sweep",
            as_of,
            {"reminded": [row[1] for row in batch]},
            events,
        )
        return len(batch)

    return in_batches(
        session, actor=actor, now=now, action="access.attestation_reminder", report=report, act=act
    )


def remind_expiring_training(
    session: Session, *, as_of: date, policy: AccessPolicy, now: pendulum.DateTime, actor: str
) -> PhaseReport:
    """Tell staff with access (and their point of contact) that their training lapses soon."""
    report = PhaseReport("training reminders")
    day = _day(as_of)
    horizon = day.add(days=policy.training_reminder_days)
    newer = TRAINING.alias("newer")
    has_access = exists().where(
        GRANT.c.contact_id == TRAINING.c.contact_id,
        GRANT.c.status.in_([s.value for s in HELD]),
    )
    renewed = exists().where(
        newer.c.contact_id == TRAINING.c.contact_id,
        or_(newer.c.expires_on.is_(None), newer.c.expires_on > TRAINING.c.expires_on),
    )

    def act(uow: UnitOfWork, claim: Claim) -> int:
        batch = uow.session.execute(
            claim(
                sa_select(
                    TRAINING.c.id, TRAINING.c.course, TRAINING.c.expires_on, col(Contact.email)
                )
                .join(Contact, col(Contact.id) == TRAINING.c.contact_id)
                .where(TRAINING.c.expiry_reminded.is_(False))
                .where(TRAINING.c.expires_on > day, TRAINING.c.expires_on <= horizon)
                .where(has_access, ~renewed)
                .order_by(TRAINING.c.id)
                .limit(policy.batch_size),
                TRAINING,
            )
        ).all()
        if not batch:
            return 0
        uow.session.execute(
            update(TRAINING)
            .where(TRAINING.c.id.in_([row[0] for row in batch]))
            .values(expiry_reminded=True)
        )
        events = [
            TrainingExpiring(email=email, course=course, expires_on=expires.isoformat())
            for _, course, expires, email in batch
        ]
        for _, course, expires, email in batch:
            report.add(email, "training reminder", f"{course} lapses {expires.isoformat()}")
        record_batch(
            uow,
            "training.expiry_reminder",
            "access-sweep",
            as_of,
            {"reminded": [row[3] for row in batch]},
            events,
        )
        return len(batch)

    return in_batches(
        session, actor=actor, now=now, action="training.expiry_reminder", report=report, act=act
    )


def sweep_access(
    session: Session, *, as_of: date, policy: AccessPolicy, now: pendulum.DateTime, actor: str
) -> list[PhaseReport]:
    """Every phase of the daily access sweep: revoke first, then remind what remains."""
    return [
        revoke_unneeded_access(session, as_of=as_of, policy=policy, now=now, actor=actor),
        remind_attestations(session, as_of=as_of, policy=policy, now=now, actor=actor),
        remind_expiring_training(session, as_of=as_of, policy=policy, now=now, actor=actor),
    ]
