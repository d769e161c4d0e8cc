"""The Protocol's matters between partners, each chased until settled: withdrawals of consent
with each partner's notice, data quality notices, requests to share data onward, and security
incidents against their 72 hours."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from tasks.listings import iso, records
from tasks.listings.tables import (
    agency,
    arrangement,
    consent_notice,
    consent_withdrawal,
    data_quality_notice,
    onward_request,
    security_incident,
    suspension,
)


@dataclass(frozen=True)
class ConsentNoticeRow:
    notice: str
    agency: str
    status: str
    acknowledged_at: str | None
    acknowledged_by: str | None
    # 0 not chased yet, 1 reminded, 2 reminded with the DPO told, 3 the chairs told
    chased: int


@dataclass(frozen=True)
class ConsentRow:
    consent: str
    agency: str
    data_subject_ref: str
    raised_by: str
    raised_at: str
    status: str
    closed_at: str | None
    notices: tuple[ConsentNoticeRow, ...]


def consents(conn: Connection, *, open_only: bool = False) -> list[ConsentRow]:
    """Every withdrawal of consent, oldest first, with each partner's notice; `open_only`:
    those some partner has still to acknowledge."""
    w, n, a = consent_withdrawal.c, consent_notice.c, agency.c
    stmt = (
        select(w.id, w.reference, a.name, w.subject_ref, w.raised_by, w.raised_at, w.closed_at)
        .join_from(consent_withdrawal, agency, a.id == w.agency_id)
        .order_by(w.raised_at, w.id)
    )
    if open_only:
        stmt = stmt.where(w.closed_at.is_(None))
    found = conn.execute(stmt).all()
    notices: dict[int, list[ConsentNoticeRow]] = {}
    if found:
        for row in conn.execute(
            select(
                n.consent_id,
                n.reference,
                a.name,
                n.status,
                n.acknowledged_at,
                n.acknowledged_by,
                n.chased,
            )
            .join_from(consent_notice, agency, a.id == n.agency_id)
            .where(n.consent_id.in_([row.id for row in found]))
            .order_by(a.name)
        ):
            notices.setdefault(row.consent_id, []).append(
                ConsentNoticeRow(
                    notice=row.reference,
                    agency=row.name,
                    status=row.status,
                    acknowledged_at=iso(row.acknowledged_at),
                    acknowledged_by=row.acknowledged_by,
                    chased=row.chased,
                )
            )
    return [
        ConsentRow(
            consent=row.reference,
            agency=row.name,
            data_subject_ref=row.subject_ref,
            raised_by=row.raised_by,
            raised_at=row.raised_at.isoformat(),
            status="closed" if row.closed_at else "open",
            closed_at=iso(row.closed_at),
            notices=tuple(notices.get(row.id, ())),
        )
        for row in found
    ]


@dataclass(frozen=True)
class QualityRow:
    notice: str
    arrangement: str
    reporter: str
    owner: str
    what: str
    reported_by: str
    reported_at: str
    status: str
    correction: str | None
    corrected_by: str | None
    corrected_at: str | None
    # 0 not chased yet, 1 reminded, 2 reminded with the DPO told, 3 the chairs told
    chased: int


def quality_notices(conn: Connection, *, open_only: bool = False) -> list[QualityRow]:
    """Every data quality notice, oldest first; `open_only`: those not yet corrected."""
    q, r = data_quality_notice.c, arrangement.c
    reporter, owner = agency.alias("reporter"), agency.alias("owner")
    stmt = (
        select(
            q.reference.label("notice"),
            r.reference.label("arrangement"),
            reporter.c.name.label("reporter"),
            owner.c.name.label("owner"),
            q.what,
            q.reported_by,
            q.reported_at,
            q.status,
            q.correction,
            q.corrected_by,
            q.corrected_at,
            q.chased,
        )
        .join_from(data_quality_notice, arrangement, r.id == q.arrangement_id)
        .join(reporter, reporter.c.id == q.reporter_id)
        .join(owner, owner.c.id == q.owner_id)
        .order_by(q.reported_at, q.id)
    )
    if open_only:
        stmt = stmt.where(q.status == "open")
    return records(QualityRow, conn.execute(stmt))


@dataclass(frozen=True)
class OnwardRow:
    request: str
    arrangement: str
    requester: str
    owner: str
    third_party: str
    data: str
    purpose: str
    requested_by: str
    requested_at: str
    status: str
    reason: str | None
    answered_by: str | None
    answered_at: str | None
    # 0 not chased yet, 1 reminded, 2 reminded with the DPO told, 3 the chairs told
    chased: int


def onward_requests(conn: Connection, *, open_only: bool = False) -> list[OnwardRow]:
    """Every request to share data onward, oldest first; `open_only`: those not yet answered."""
    o, r = onward_request.c, arrangement.c
    asking, owner = agency.alias("requester"), agency.alias("owner")
    stmt = (
        select(
            o.reference.label("request"),
            r.reference.label("arrangement"),
            asking.c.name.label("requester"),
            owner.c.name.label("owner"),
            o.third_party,
            o.data,
            o.purpose,
            o.requested_by,
            o.requested_at,
            o.status,
            o.answer_reason.label("reason"),
            o.answered_by,
            o.answered_at,
            o.chased,
        )
        .join_from(onward_request, arrangement, r.id == o.arrangement_id)
        .join(asking, asking.c.id == o.requester_id)
        .join(owner, owner.c.id == o.owner_id)
        .order_by(o.requested_at, o.id)
    )
    if open_only:
        stmt = stmt.where(o.status == "open")
    return records(OnwardRow, conn.execute(stmt))


@dataclass(frozen=True)
class IncidentRow:
    incident: str
    arrangement: str
    agency: str
    originator: str
    what: str
    reported_by: str
    aware_at: str
    regulator_deadline: str
    # whole hours since awareness at the listing's `now`, against the 72
    hours_since_aware: int
    status: str
    notify_regulator: bool | None
    decision_reason: str | None
    decided_by: str | None
    decided_at: str | None
    decided_in_time: bool | None
    acknowledged_by: str | None
    acknowledged_at: str | None
    # the reporting agency's suspension raised with it, if any
    suspension: str | None
    chased: int


def incidents(conn: Connection, *, now: Any, open_only: bool = False) -> list[IncidentRow]:
    """Every security incident, oldest awareness first, with its hours since awareness at `now`
    (ISA_NOW replays it); `open_only`: those whose decision on reporting is not yet recorded."""
    # the 72-hour clock is the one the use cases keep; loaded only by this listing
    from models.clocks import hours_since, regulator_deadline

    i, r = security_incident.c, arrangement.c
    reporter, source = agency.alias("reporter"), agency.alias("originator")
    stmt = (
        select(
            i.reference,
            r.reference.label("arrangement"),
            reporter.c.name.label("agency"),
            source.c.name.label("originator"),
            i.what,
            i.reported_by,
            i.aware_at,
            i.status,
            i.notify_regulator,
            i.decision_reason,
            i.decided_by,
            i.decided_at,
            i.decided_in_time,
            i.acknowledged_by,
            i.acknowledged_at,
            suspension.c.reference.label("suspension"),
            i.chased,
        )
        .join_from(security_incident, arrangement, r.id == i.arrangement_id)
        .join(reporter, reporter.c.id == i.agency_id)
        .join(source, source.c.id == i.originator_id)
        .outerjoin(suspension, suspension.c.id == i.suspension_id)
        .order_by(i.aware_at, i.id)
    )
    if open_only:
        stmt = stmt.where(i.status == "reported")
    return [
        IncidentRow(
            incident=row.reference,
            arrangement=row.arrangement,
            agency=row.agency,
            originator=row.originator,
            what=row.what,
            reported_by=row.reported_by,
            aware_at=row.aware_at.isoformat(),
            regulator_deadline=regulator_deadline(row.aware_at).isoformat(),
            hours_since_aware=hours_since(row.aware_at, row.decided_at or now),
            status=row.status,
            notify_regulator=row.notify_regulator,
            decision_reason=row.decision_reason,
            decided_by=row.decided_by,
            decided_at=iso(row.decided_at),
            decided_in_time=row.decided_in_time,
            acknowledged_by=row.acknowledged_by,
            acknowledged_at=iso(row.acknowledged_at),
            suspension=row.suspension,
            chased=row.chased,
        )
        for row in conn.execute(stmt)
    ]
