"""Read-only views of the register for people: what an arrangement says and who has signed."""

from typing import Any

from sqlmodel import Session, col, select

from models.tables import (
    Agency,
    Arrangement,
    ArrangementParty,
    Contact,
    DataItem,
    OverseasTransfer,
    SignOff,
)
from tasks.lookup import arrangement_by_ref


def sign_offs(
    session: Session, arrangement: Arrangement
) -> dict[int | None, tuple[SignOff, Contact]]:
    """The sign-offs of the arrangement's current version, by agency id, with who decided."""
    return {
        s.agency_id: (s, c)
        for s, c in session.exec(
            select(SignOff, Contact)
            .join(Contact, col(Contact.id) == SignOff.contact_id)
            .where(SignOff.arrangement_id == arrangement.id)
            .where(SignOff.version == arrangement.version)
        ).all()
    }


def arrangement_detail(session: Session, reference: str) -> dict[str, Any]:
    arrangement = arrangement_by_ref(session, reference)
    signoffs = sign_offs(session, arrangement)
    parties = []
    for party, agency in session.exec(
        select(ArrangementParty, Agency)
        .join(Agency, col(Agency.id) == ArrangementParty.agency_id)
        .where(ArrangementParty.arrangement_id == arrangement.id)
        .order_by(col(ArrangementParty.id))
    ).all():
        signed = signoffs.get(agency.id)
        parties.append(
            {
                "agency": agency.name,
                "role": party.role.value,
                "left_at": party.left_at.isoformat() if party.left_at else None,
                "sign_off": (
                    f"{signed[0].decision.value} by {signed[1].email} on "
                    f"{signed[0].decided_at.date().isoformat()}"
                    if signed
                    else None
                ),
            }
        )
    items = session.exec(
        select(DataItem).where(DataItem.arrangement_id == arrangement.id).order_by(col(DataItem.id))
    ).all()
    transfers = session.exec(
        select(OverseasTransfer).where(OverseasTransfer.arrangement_id == arrangement.id)
    ).all()
    return {
        "reference": arrangement.reference,
        "title": arrangement.title,
        "status": arrangement.status.value,
        "version": arrangement.version,
        "next_review_due": arrangement.next_review_due.isoformat()
        if arrangement.next_review_due
        else None,
        "purposes": arrangement.purposes,
        "lawful_basis": arrangement.lawful_basis,
        "consent_basis": arrangement.consent_basis,
        "parties": parties,
        "data_items": [
            {
                "name": i.name,
                "protective_marking": i.protective_marking.value,
                "statutory_restrictions": i.statutory_restrictions,
                "personal_data": i.personal_data,
                "special_category": i.special_category,
            }
            for i in items
        ],
        "transfers_outside_eea": [
            {"country": t.country, "adequacy": t.adequacy} for t in transfers
        ],
        "retention_months": arrangement.retention_months,
        "retention_rule": arrangement.retention_rule,
        "disposal_method": arrangement.disposal_method,
        "review_interval_months": arrangement.review_interval_months,
    }
