"""What agencies are asked from outside the arrangements' own chasing: the sharing decisions
they record on requests for data, and information requests (FOI, EIR, subject access) with each
originator's consultation."""

from dataclasses import dataclass

from sqlalchemy import Connection, select

from tasks.listings import iso, records
from tasks.listings.tables import (
    agency,
    arrangement,
    information_request,
    request_consultation,
    sharing_decision,
)


@dataclass(frozen=True)
class ConsultationRow:
    consultation: str
    agency: str
    reply_by: str
    status: str
    objection: str | None
    comments: str | None
    replied_by: str | None
    # 0 not chased yet, 1 reminded, 2 reminded with the DPO told
    chased: int


@dataclass(frozen=True)
class RequestRow:
    request: str
    agency: str
    # the agency's nation, whose working days count down to the due date
    nation: str
    kind: str
    their_ref: str
    received_on: str
    due_on: str
    arrangements: tuple[str, ...]
    summary: str
    recorded_by: str
    status: str
    outcome: str | None
    outcome_note: str | None
    closed_at: str | None
    within_due: bool | None
    # 0 none yet, 1 and 2 the reminders before the due date, 3 the DPO and chairs told
    reminded: int
    consultations: tuple[ConsultationRow, ...]


def information_requests(conn: Connection, *, open_only: bool = False) -> list[RequestRow]:
    """Every information request, oldest received first, with each originator's consultation;
    `open_only`: those with no outcome yet."""
    r, c, a = information_request.c, request_consultation.c, agency.c
    stmt = (
        select(
            r.id,
            r.reference,
            a.name,
            a.nation,
            r.kind,
            r.their_ref,
            r.received_on,
            r.due_on,
            r.arrangements,
            r.summary,
            r.recorded_by,
            r.status,
            r.outcome,
            r.outcome_note,
            r.closed_at,
            r.within_due,
            r.reminded,
        )
        .join_from(information_request, agency, a.id == r.agency_id)
        .order_by(r.received_on, r.id)
    )
    if open_only:
        stmt = stmt.where(r.status == "open")
    found = conn.execute(stmt).all()
    consulted: dict[int, list[ConsultationRow]] = {}
    if found:
        for row in conn.execute(
            select(
                c.request_id,
                c.reference,
                a.name,
                c.reply_by,
                c.status,
                c.objection,
                c.comments,
                c.replied_by,
                c.chased,
            )
            .join_from(request_consultation, agency, a.id == c.agency_id)
            .where(c.request_id.in_([row.id for row in found]))
            .order_by(a.name)
        ):
            consulted.setdefault(row.request_id, []).append(
                ConsultationRow(
                    consultation=row.reference,
                    agency=row.name,
                    reply_by=row.reply_by.isoformat(),
                    status=row.status,
                    objection=row.objection,
                    comments=row.comments,
                    replied_by=row.replied_by,
                    chased=row.chased,
                )
            )
    return [
        RequestRow(
            request=row.reference,
            agency=row.name,
            nation=row.nation,
            kind=row.kind,
            their_ref=row.their_ref,
            received_on=row.received_on.isoformat(),
            due_on=row.due_on.isoformat(),
            arrangements=tuple(row.arrangements),
            summary=row.summary,
            recorded_by=row.recorded_by,
            status=row.status,
            outcome=row.outcome,
            outcome_note=row.outcome_note,
            closed_at=iso(row.closed_at),
            within_due=row.within_due,
            reminded=row.reminded,
            consultations=tuple(consulted.get(row.id, ())),
        )
        for row in found
    ]


@dataclass(frozen=True)
class DecisionRow:
    decision: str
    arrangement: str
    agency: str
    requester: str
    outcome: str
    data: str
    purpose: str
    legal_basis: str
    reasoning: str
    identity_check: str | None
    decided_by: str
    decided_at: str


def sharing_decisions(conn: Connection, *, outcome: str | None = None) -> list[DecisionRow]:
    """Every sharing decision, oldest first; `outcome`: only those with that outcome."""
    d, r = sharing_decision.c, arrangement.c
    decider, asking = agency.alias("decider"), agency.alias("requester")
    stmt = (
        select(
            d.reference.label("decision"),
            r.reference.label("arrangement"),
            decider.c.name.label("agency"),
            asking.c.name.label("requester"),
            d.outcome,
            d.data,
            d.purpose,
            d.legal_basis,
            d.reasoning,
            d.identity_check,
            d.decided_by,
            d.decided_at,
        )
        .join_from(sharing_decision, arrangement, r.id == d.arrangement_id)
        .join(decider, decider.c.id == d.agency_id)
        .join(asking, asking.c.id == d.requester_id)
        .order_by(d.decided_at, d.id)
    )
    if outcome is not None:
        stmt = stmt.where(d.outcome == outcome)
    return records(DecisionRow, conn.execute(stmt))
