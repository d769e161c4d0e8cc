"""Read models for what the command line lists and shows: each a list of small frozen records (or
one plain dict) in the register's words, read in one or two queries. Read-only.

Written on SQLAlchemy Core over the few columns each reads, not on the ORM classes of
models/tables.py: a command that only reads then starts without building the register's ORM
(half a second of the command's start-up; bench/cli_startup.py). The columns named here are
checked against models/tables.py by tests/unit/test_listings_columns.py."""

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import JSON, Boolean, Connection, Date, TableClause, column, func, select, table

from models.errors import NotFound
from models.types import MAX_ROWS, UTCDateTime
from models.versions import HASH_NOT_RECORDED

agency = table(
    "agency",
    column("id"),
    column("name"),
    column("name_key"),
    column("status"),
    column("ico_registration"),
    column("security_standard"),
    column("nation"),
)
contact = table(
    "contact",
    column("id"),
    column("agency_id"),
    column("email"),
    column("name"),
    column("left_at", UTCDateTime()),
)
contact_role = table("contact_role", column("contact_id"), column("role"))
arrangement = table(
    "arrangement",
    column("id"),
    column("reference"),
    column("title"),
    column("status"),
    column("version"),
    column("next_review_due", Date()),
    column("purposes", JSON()),
    column("lawful_basis"),
    column("consent_basis"),
    column("retention_months"),
    column("retention_rule"),
    column("disposal_method"),
    column("review_interval_months"),
    column("in_force_version"),
    column("amendment"),
)
arrangement_version = table(
    "arrangement_version",
    column("id"),
    column("arrangement_id"),
    column("version"),
    column("content", JSON()),
    column("template_version"),
    column("content_hash"),
    column("submitted_at", UTCDateTime()),
    column("submitted_by"),
)
arrangement_party = table(
    "arrangement_party",
    column("id"),
    column("arrangement_id"),
    column("agency_id"),
    column("role"),
    column("left_at", UTCDateTime()),
)
sign_off = table(
    "sign_off",
    column("arrangement_id"),
    column("version"),
    column("agency_id"),
    column("contact_id"),
    column("decision"),
    column("decided_at", UTCDateTime()),
    column("content_hash"),
)
data_item = table(
    "data_item",
    column("id"),
    column("arrangement_id"),
    column("name"),
    column("protective_marking"),
    column("statutory_restrictions"),
    column("personal_data", Boolean()),
    column("special_category", Boolean()),
)
overseas_transfer = table(
    "overseas_transfer",
    column("id"),
    column("arrangement_id"),
    column("country"),
    column("adequacy"),
)
disposal_task = table(
    "disposal_task",
    column("id"),
    column("reference"),
    column("arrangement_id"),
    column("agency_id"),
    column("due_on", Date()),
    column("status"),
    column("certificate"),
)
consent_withdrawal = table(
    "consent_withdrawal",
    column("id"),
    column("reference"),
    column("agency_id"),
    column("subject_ref"),
    column("raised_by"),
    column("raised_at", UTCDateTime()),
    column("closed_at", UTCDateTime()),
)
consent_notice = table(
    "consent_notice",
    column("id"),
    column("reference"),
    column("consent_id"),
    column("agency_id"),
    column("status"),
    column("acknowledged_at", UTCDateTime()),
    column("acknowledged_by"),
    column("chased"),
)
data_quality_notice = table(
    "data_quality_notice",
    column("id"),
    column("reference"),
    column("arrangement_id"),
    column("reporter_id"),
    column("owner_id"),
    column("what"),
    column("reported_by"),
    column("reported_at", UTCDateTime()),
    column("status"),
    column("correction"),
    column("corrected_by"),
    column("corrected_at", UTCDateTime()),
    column("chased"),
)
information_request = table(
    "information_request",
    column("id"),
    column("reference"),
    column("agency_id"),
    column("kind"),
    column("their_ref"),
    column("received_on", Date()),
    column("due_on", Date()),
    column("arrangements", JSON()),
    column("summary"),
    column("recorded_by"),
    column("recorded_at", UTCDateTime()),
    column("status"),
    column("outcome"),
    column("outcome_note"),
    column("closed_by"),
    column("closed_at", UTCDateTime()),
    column("within_due", Boolean()),
    column("reminded"),
)
request_consultation = table(
    "request_consultation",
    column("id"),
    column("reference"),
    column("request_id"),
    column("agency_id"),
    column("sent_at", UTCDateTime()),
    column("reply_by", Date()),
    column("status"),
    column("objection"),
    column("comments"),
    column("replied_by"),
    column("replied_at", UTCDateTime()),
    column("chased"),
)
sharing_decision = table(
    "sharing_decision",
    column("id"),
    column("reference"),
    column("arrangement_id"),
    column("agency_id"),
    column("requester_id"),
    column("outcome"),
    column("data"),
    column("purpose"),
    column("legal_basis"),
    column("reasoning"),
    column("identity_check"),
    column("decided_by"),
    column("decided_at", UTCDateTime()),
)
onward_request = table(
    "onward_request",
    column("id"),
    column("reference"),
    column("arrangement_id"),
    column("requester_id"),
    column("owner_id"),
    column("third_party"),
    column("data"),
    column("purpose"),
    column("requested_by"),
    column("requested_at", UTCDateTime()),
    column("status"),
    column("answer_reason"),
    column("answered_by"),
    column("answered_at", UTCDateTime()),
    column("chased"),
)
security_incident = table(
    "security_incident",
    column("id"),
    column("reference"),
    column("arrangement_id"),
    column("agency_id"),
    column("originator_id"),
    column("what"),
    column("aware_at", UTCDateTime()),
    column("reported_by"),
    column("reported_at", UTCDateTime()),
    column("status"),
    column("notify_regulator", Boolean()),
    column("decision_reason"),
    column("decided_by"),
    column("decided_at", UTCDateTime()),
    column("decided_in_time", Boolean()),
    column("acknowledged_by"),
    column("acknowledged_at", UTCDateTime()),
    column("suspension_id"),
    column("chased"),
)
information_request = table(
    "information_request",
    column("id"),
    column("reference"),
    column("agency_id"),
    column("kind"),
    column("their_ref"),
    column("received_on", Date()),
    column("due_on", Date()),
    column("arrangements", JSON()),
    column("summary"),
    column("recorded_by"),
    column("recorded_at", UTCDateTime()),
    column("status"),
    column("outcome"),
    column("outcome_note"),
    column("closed_by"),
    column("closed_at", UTCDateTime()),
    column("within_due", Boolean()),
    column("reminded"),
)
request_consultation = table(
    "request_consultation",
    column("id"),
    column("reference"),
    column("request_id"),
    column("agency_id"),
    column("sent_at", UTCDateTime()),
    column("reply_by", Date()),
    column("status"),
    column("objection"),
    column("comments"),
    column("replied_by"),
    column("replied_at", UTCDateTime()),
    column("chased"),
)
suspension = table("suspension", column("id"), column("reference"))
outbox = table(
    "outbox",
    column("id"),
    column("status"),
    column("event"),
    column("subject_ref"),
    column("recipient"),
    column("subject"),
    column("attempts"),
    column("next_attempt_at", UTCDateTime()),
    column("sent_at", UTCDateTime()),
    column("message_id"),
    column("smtp_reply"),
    column("last_error"),
)
audit_event = table(
    "audit_event",
    column("seq"),
    column("occurred_at", UTCDateTime()),
    column("actor"),
    column("channel"),
    column("os_user"),
    column("action"),
    column("outcome"),
    column("subject_ref"),
    column("before", JSON()),
    column("after", JSON()),
    column("detail"),
    column("evidence", JSON()),
    column("hash"),
)
# every table read here, for the test that holds them to models/tables.py
TABLES: tuple[TableClause, ...] = (
    agency,
    contact,
    contact_role,
    arrangement,
    arrangement_party,
    sign_off,
    data_item,
    overseas_transfer,
    disposal_task,
    consent_withdrawal,
    consent_notice,
    data_quality_notice,
    information_request,
    request_consultation,
    sharing_decision,
    onward_request,
    outbox,
    audit_event,
)


def as_dicts(rows: list[Any]) -> list[dict[str, Any]]:
    """A listing as plain data (JSON output)."""
    return [asdict(row) for row in rows]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class AgencyRow:
    name: str
    status: str
    ico_registration: str | None
    security_standard: str | None
    nation: str


def agencies(conn: Connection) -> list[AgencyRow]:
    """Every partner agency by name, with its membership status."""
    c = agency.c
    stmt = select(c.name, c.status, c.ico_registration, c.security_standard, c.nation)
    return [AgencyRow(*row) for row in conn.execute(stmt.order_by(c.name))]


def agency_id(conn: Connection, name: str) -> int:
    """The id of the agency of that name as the register compares names (tasks.lookup does the
    same over the ORM for the use cases), or NotFound."""
    from models.inputs import name_key  # only to look a name up (it loads email validation)

    found = conn.execute(select(agency.c.id).where(agency.c.name_key == name_key(name))).scalar()
    if found is None:
        raise NotFound(f"no agency named {name!r} is registered", command="isa agency list")
    return int(found)


@dataclass(frozen=True)
class ContactRow:
    agency: str
    email: str
    name: str
    roles: list[str]
    left: bool


def contacts(conn: Connection, agency_name: str | None = None) -> list[ContactRow]:
    """The people at every agency (or at `agency_name`), with their roles, by agency and name."""
    p, a = contact.c, agency.c
    stmt = (
        select(p.id, a.name.label("agency"), p.email, p.name, p.left_at)
        .join_from(contact, agency, a.id == p.agency_id)
        .order_by(a.name, p.name, p.email)
    )
    if agency_name is not None:
        stmt = stmt.where(p.agency_id == agency_id(conn, agency_name))
    people = conn.execute(stmt).all()
    roles: dict[int, list[str]] = {}
    for contact_id, role in conn.execute(select(contact_role.c.contact_id, contact_role.c.role)):
        roles.setdefault(contact_id, []).append(str(role))
    return [
        ContactRow(
            agency=row.agency,
            email=row.email,
            name=row.name,
            roles=sorted(roles.get(row.id, [])),
            left=row.left_at is not None,
        )
        for row in people
    ]


@dataclass(frozen=True)
class ArrangementRow:
    reference: str
    title: str
    status: str
    version: int
    next_review_due: str | None


def arrangements(conn: Connection, status: str | None = None) -> list[ArrangementRow]:
    """Every arrangement by reference, or those in one status."""
    c = arrangement.c
    stmt = select(c.reference, c.title, c.status, c.version, c.next_review_due)
    if status is not None:
        stmt = stmt.where(c.status == status)
    return [
        ArrangementRow(row.reference, row.title, row.status, row.version, _iso(row.next_review_due))
        for row in conn.execute(stmt.order_by(c.reference))
    ]


def arrangement_detail(conn: Connection, reference: str) -> dict[str, Any]:
    """What an arrangement says, with its parties and who signed off its current version."""
    wanted = reference.strip().upper()
    found = conn.execute(select(arrangement).where(arrangement.c.reference == wanted)).first()
    if found is None:
        raise NotFound(f"no arrangement {reference!r}", command="isa arrangement list")
    s, who = sign_off.c, contact.c
    signed = {
        row.agency_id: row
        for row in conn.execute(
            select(s.agency_id, s.decision, s.decided_at, who.email)
            .join_from(sign_off, contact, who.id == s.contact_id)
            .where(s.arrangement_id == found.id, s.version == found.version)
        )
    }
    p, a = arrangement_party.c, agency.c
    parties = []
    for party in conn.execute(
        select(a.id, a.name, p.role, p.left_at)
        .join_from(arrangement_party, agency, a.id == p.agency_id)
        .where(p.arrangement_id == found.id)
        .order_by(p.id)
    ):
        decided = signed.get(party.id)
        parties.append(
            {
                "agency": party.name,
                "role": party.role,
                "left_at": party.left_at.isoformat() if party.left_at else None,
                "sign_off": (
                    f"{decided.decision} by {decided.email} on "
                    f"{decided.decided_at.date().isoformat()}"
                    if decided
                    else None
                ),
            }
        )
    d, t = data_item.c, overseas_transfer.c
    items = conn.execute(
        select(
            d.name,
            d.protective_marking,
            d.statutory_restrictions,
            d.personal_data,
            d.special_category,
        )
        .where(d.arrangement_id == found.id)
        .order_by(d.id)
    )
    transfers = conn.execute(
        select(t.country, t.adequacy).where(t.arrangement_id == found.id).order_by(t.id)
    )
    return {
        "reference": found.reference,
        "title": found.title,
        "status": found.status,
        "version": found.version,
        "next_review_due": _iso(found.next_review_due),
        "purposes": found.purposes,
        "lawful_basis": found.lawful_basis,
        "consent_basis": found.consent_basis,
        "parties": parties,
        "data_items": [
            {
                "name": item.name,
                "protective_marking": item.protective_marking,
                "statutory_restrictions": item.statutory_restrictions,
                "personal_data": item.personal_data,
                "special_category": item.special_category,
            }
            for item in items
        ],
        "transfers_outside_eea": [
            {"country": row.country, "adequacy": row.adequacy} for row in transfers
        ],
        "retention_months": found.retention_months,
        "retention_rule": found.retention_rule,
        "disposal_method": found.disposal_method,
        "review_interval_months": found.review_interval_months,
        # the last version every party approved, which is in force; an amendment of it, if any
        "in_force_version": found.in_force_version,
        "amendment": found.amendment,
    }


def _arrangement_row(conn: Connection, reference: str) -> Any:
    wanted = reference.strip().upper()
    found = conn.execute(select(arrangement).where(arrangement.c.reference == wanted)).first()
    if found is None:
        raise NotFound(f"no arrangement {reference!r}", command="isa arrangement list")
    return found


def _version_sign_offs(conn: Connection, arrangement_id: int) -> dict[int, list[dict[str, Any]]]:
    """Every sign-off of the arrangement, by version, in the order they were made."""
    s, who, a = sign_off.c, contact.c, agency.c
    out: dict[int, list[dict[str, Any]]] = {}
    for row in conn.execute(
        select(s.version, s.decision, s.decided_at, s.content_hash, who.email, a.name)
        .join_from(sign_off, contact, who.id == s.contact_id)
        .join(agency, a.id == s.agency_id)
        .where(s.arrangement_id == arrangement_id)
        .order_by(s.decided_at, s.agency_id)
    ):
        out.setdefault(row.version, []).append(
            {
                "agency": row.name,
                "decision": row.decision,
                "signatory": row.email,
                "decided_at": row.decided_at.isoformat(),
                # a sign-off made before migration 0019 did not record what it decided
                "content_hash": row.content_hash or HASH_NOT_RECORDED,
            }
        )
    return out


def _version_dict(found: Any, row: Any, signed: dict[int, list[dict[str, Any]]]) -> dict[str, Any]:
    return {
        "reference": found.reference,
        "version": row.version,
        "in_force": row.version == found.in_force_version,
        "template_version": row.template_version,
        "content_hash": row.content_hash,
        "submitted_at": row.submitted_at.isoformat(),
        "submitted_by": row.submitted_by,
        "sign_offs": signed.get(row.version, []),
        "content": row.content,
    }


def arrangement_version_list(conn: Connection, reference: str) -> list[dict[str, Any]]:
    """Every submitted version of an arrangement, oldest first, with its hash and sign-offs."""
    found = _arrangement_row(conn, reference)
    signed = _version_sign_offs(conn, found.id)
    v = arrangement_version.c
    return [
        _version_dict(found, row, signed)
        for row in conn.execute(
            select(arrangement_version).where(v.arrangement_id == found.id).order_by(v.version)
        )
    ]


def arrangement_version_detail(conn: Connection, reference: str, version: int) -> dict[str, Any]:
    """One submitted version exactly as it was signed: its content, hash and sign-offs."""
    found = _arrangement_row(conn, reference)
    v = arrangement_version.c
    row = conn.execute(
        select(arrangement_version).where(v.arrangement_id == found.id, v.version == version)
    ).first()
    if row is None:
        raise NotFound(
            f"{found.reference} has no submitted version {version}",
            command=f"isa arrangement versions {found.reference}",
        )
    return _version_dict(found, row, _version_sign_offs(conn, found.id))


@dataclass(frozen=True)
class DisposalRow:
    task: str
    arrangement: str
    agency: str
    due_on: str
    status: str
    certificate: str | None


def disposal_tasks(conn: Connection, *, overdue_on: date | None = None) -> list[DisposalRow]:
    """Every disposal task by due date, or only those still pending past `overdue_on`."""
    t, r, a = disposal_task.c, arrangement.c, agency.c
    stmt = (
        select(
            t.reference, r.reference.label("arrangement"), a.name, t.due_on, t.status, t.certificate
        )
        .join_from(disposal_task, arrangement, r.id == t.arrangement_id)
        .join(agency, a.id == t.agency_id)
        .order_by(t.due_on, t.id)
    )
    if overdue_on is not None:
        stmt = stmt.where(t.status == "pending", t.due_on < overdue_on)
    return [
        DisposalRow(
            task=row.reference,
            arrangement=row.arrangement,
            agency=row.name,
            due_on=row.due_on.isoformat(),
            status=row.status,
            certificate=row.certificate,
        )
        for row in conn.execute(stmt)
    ]


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
                    acknowledged_at=row.acknowledged_at.isoformat()
                    if row.acknowledged_at
                    else None,
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
            closed_at=row.closed_at.isoformat() if row.closed_at else None,
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
            q.reference,
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
    return [
        QualityRow(
            notice=row.reference,
            arrangement=row.arrangement,
            reporter=row.reporter,
            owner=row.owner,
            what=row.what,
            reported_by=row.reported_by,
            reported_at=row.reported_at.isoformat(),
            status=row.status,
            correction=row.correction,
            corrected_by=row.corrected_by,
            corrected_at=row.corrected_at.isoformat() if row.corrected_at else None,
            chased=row.chased,
        )
        for row in conn.execute(stmt)
    ]


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
            closed_at=row.closed_at.isoformat() if row.closed_at else None,
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
            d.reference,
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
    return [
        DecisionRow(
            decision=row.reference,
            arrangement=row.arrangement,
            agency=row.agency,
            requester=row.requester,
            outcome=row.outcome,
            data=row.data,
            purpose=row.purpose,
            legal_basis=row.legal_basis,
            reasoning=row.reasoning,
            identity_check=row.identity_check,
            decided_by=row.decided_by,
            decided_at=row.decided_at.isoformat(),
        )
        for row in conn.execute(stmt)
    ]


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
            o.reference,
            r.reference.label("arrangement"),
            asking.c.name.label("requester"),
            owner.c.name.label("owner"),
            o.third_party,
            o.data,
            o.purpose,
            o.requested_by,
            o.requested_at,
            o.status,
            o.answer_reason,
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
    return [
        OnwardRow(
            request=row.reference,
            arrangement=row.arrangement,
            requester=row.requester,
            owner=row.owner,
            third_party=row.third_party,
            data=row.data,
            purpose=row.purpose,
            requested_by=row.requested_by,
            requested_at=row.requested_at.isoformat(),
            status=row.status,
            reason=row.answer_reason,
            answered_by=row.answered_by,
            answered_at=row.answered_at.isoformat() if row.answered_at else None,
            chased=row.chased,
        )
        for row in conn.execute(stmt)
    ]


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
            decided_at=row.decided_at.isoformat() if row.decided_at else None,
            decided_in_time=row.decided_in_time,
            acknowledged_by=row.acknowledged_by,
            acknowledged_at=row.acknowledged_at.isoformat() if row.acknowledged_at else None,
            suspension=row.suspension,
            chased=row.chased,
        )
        for row in conn.execute(stmt)
    ]


@dataclass(frozen=True)
class EmailRow:
    id: int | None
    status: str
    event: str
    about: str
    recipient: str
    subject: str
    attempts: int
    next_attempt_at: str
    sent_at: str | None
    message_id: str
    smtp_reply: str | None
    last_error: str | None


def emails(
    conn: Connection, *, status: str | None = None, limit: int = 50
) -> tuple[list[EmailRow], int]:
    """The newest `limit` queued emails (or those in one status), and how many there are."""
    o = outbox.c
    stmt = select(outbox).order_by(o.id.desc()).limit(min(limit, MAX_ROWS))
    counting = select(func.count()).select_from(outbox)
    if status is not None:
        stmt = stmt.where(o.status == status)
        counting = counting.where(o.status == status)
    total = conn.execute(counting).scalar_one()
    rows = [
        EmailRow(
            id=row.id,
            status=row.status,
            event=row.event,
            about=row.subject_ref,
            recipient=row.recipient,
            subject=row.subject,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at.isoformat(),
            sent_at=_iso(row.sent_at),
            message_id=row.message_id,
            smtp_reply=row.smtp_reply,
            last_error=row.last_error,
        )
        for row in conn.execute(stmt)
    ]
    return rows, total


def audit_rows(conn: Connection, *, limit: int | None = None) -> list[dict[str, Any]]:
    """The newest `limit` audit events (all when None), oldest first, as plain data."""
    e = audit_event.c
    stmt = select(audit_event).order_by(e.seq.desc())
    if limit is not None:
        stmt = stmt.limit(min(limit, MAX_ROWS))
    return [
        {
            "seq": row.seq,
            "occurred_at": row.occurred_at.isoformat(),
            "actor": row.actor,
            "channel": row.channel,
            "os_user": row.os_user,
            "action": row.action,
            "outcome": row.outcome,
            "subject": row.subject_ref,
            "before": row.before,
            "after": row.after,
            "detail": row.detail,
            "evidence": row.evidence,
            "hash": row.hash,
        }
        for row in reversed(conn.execute(stmt).all())
    ]
