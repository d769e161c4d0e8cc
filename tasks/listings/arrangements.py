"""Arrangements: the register's list, what one says with its parties and sign-offs, every
version as it was signed, and the disposal tasks their ends led to."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from models.errors import NotFound
from models.versions import HASH_NOT_RECORDED
from tasks.listings import iso, records
from tasks.listings.tables import (
    agency,
    arrangement,
    arrangement_party,
    arrangement_version,
    contact,
    data_item,
    disposal_task,
    overseas_transfer,
    sign_off,
)


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
        ArrangementRow(row.reference, row.title, row.status, row.version, iso(row.next_review_due))
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
                "left_at": iso(party.left_at),
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
        "next_review_due": iso(found.next_review_due),
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
            t.reference.label("task"),
            r.reference.label("arrangement"),
            a.name.label("agency"),
            t.due_on,
            t.status,
            t.certificate,
        )
        .join_from(disposal_task, arrangement, r.id == t.arrangement_id)
        .join(agency, a.id == t.agency_id)
        .order_by(t.due_on, t.id)
    )
    if overdue_on is not None:
        stmt = stmt.where(t.status == "pending", t.due_on < overdue_on)
    return records(DisposalRow, conn.execute(stmt))
