"""Finding things in the register by the names people use, and checking who may act.

Loaders used before a change lock the row (`FOR UPDATE` on PostgreSQL; SQLite's write lock is
taken at BEGIN), so two people approving at once cannot both miss the last sign-off.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypeVar

from sqlmodel import Session, col, select

from models.enums import ContactRole
from models.errors import NotFound, Refused
from models.inputs import name_key, normalise_email
from models.tables import (
    AccessGrant,
    Agency,
    Arrangement,
    ArrangementParty,
    Chair,
    Contact,
    ContactRoleAssignment,
    Suspension,
    Withdrawal,
)


def find_agency(session: Session, name: str, *, lock: bool = False) -> Agency | None:
    """The agency of that name as the register compares names (models.inputs.name_key)."""
    stmt = select(Agency).where(Agency.name_key == name_key(name))
    if lock:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def agency_by_name(session: Session, name: str, *, lock: bool = False) -> Agency:
    agency = find_agency(session, name, lock=lock)
    if agency is None:
        raise NotFound(f"no agency named {name!r} is registered", command="isa agency list")
    return agency


Referenced = TypeVar("Referenced", Arrangement, Suspension, Withdrawal, AccessGrant)


def _by_reference(
    session: Session,
    model: type[Referenced],
    reference: str,
    lock: bool,
    missing: str,
    command: str = "",
) -> Referenced:
    stmt = select(model).where(model.reference == reference.strip().upper())
    if lock:
        stmt = stmt.with_for_update()
    found = session.exec(stmt).first()
    if found is None:
        raise NotFound(missing.format(reference=repr(reference)), command=command)
    return found


def arrangement_by_ref(session: Session, reference: str, *, lock: bool = False) -> Arrangement:
    return _by_reference(
        session,
        Arrangement,
        reference,
        lock,
        "no arrangement {reference}",
        "isa arrangement list",
    )


def suspension_by_ref(session: Session, reference: str, *, lock: bool = False) -> Suspension:
    return _by_reference(session, Suspension, reference, lock, "no suspension {reference}")


def withdrawal_by_ref(session: Session, reference: str, *, lock: bool = False) -> Withdrawal:
    return _by_reference(session, Withdrawal, reference, lock, "no withdrawal {reference}")


def grant_by_ref(session: Session, reference: str, *, lock: bool = False) -> AccessGrant:
    return _by_reference(session, AccessGrant, reference, lock, "no access grant {reference}")


def contact_by_email(session: Session, email: str) -> Contact:
    address = normalise_email(email)
    contact = session.exec(select(Contact).where(Contact.email == address)).first()
    if contact is None:
        raise NotFound(f"no contact with email {address}", command="isa contact add")
    return contact


def current_parties(session: Session, arrangement_id: int) -> list[tuple[ArrangementParty, Agency]]:
    """The agencies still party to an arrangement (those that withdrew have left)."""
    rows = session.exec(
        select(ArrangementParty, Agency)
        .join(Agency, col(Agency.id) == ArrangementParty.agency_id)
        .where(ArrangementParty.arrangement_id == arrangement_id)
        .where(col(ArrangementParty.left_at).is_(None))
        .order_by(col(ArrangementParty.id))
    ).all()
    return [(party, agency) for party, agency in rows]


@dataclass(frozen=True)
class Actor:
    """Who is acting, as the register knows them: their agency and roles, or their chair seat."""

    email: str
    contact: Contact | None
    roles: frozenset[ContactRole]
    is_chair: bool

    def has_role_at(self, agency_id: int | None, *roles: ContactRole) -> bool:
        return (
            self.contact is not None
            and self.contact.left_at is None
            and self.contact.agency_id == agency_id
            and bool(self.roles.intersection(roles))
        )

    def belongs_to_any(self, agency_ids: Iterable[int | None]) -> bool:
        return (
            self.contact is not None
            and self.contact.left_at is None
            and self.contact.agency_id in set(agency_ids)
        )


def resolve_actor(session: Session, email: str) -> Actor:
    """The acting person; an unknown email is refused (and so audited), not merely not found."""
    try:
        address = normalise_email(email)
    except Exception:
        raise Refused(
            f"{{as}} {email!r} is not a valid email address",
            inputs={"as": "the person acting"},
        ) from None
    contact = session.exec(select(Contact).where(Contact.email == address)).first()
    chair = session.exec(select(Chair).where(Chair.email == address)).first()
    if contact is None and chair is None:
        raise Refused(f"{address} is not a contact of any agency nor a chair")
    roles: frozenset[ContactRole] = frozenset()
    if contact is not None:
        roles = frozenset(
            ContactRole(role)
            for role in session.exec(
                select(ContactRoleAssignment.role).where(
                    ContactRoleAssignment.contact_id == contact.id
                )
            ).all()
        )
    return Actor(email=address, contact=contact, roles=roles, is_chair=chair is not None)


def role_words(*roles: ContactRole) -> str:
    words = [r.value.replace("_", " ") for r in roles]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def require_role_at(actor: Actor, agency: Agency, *roles: ContactRole, to: str) -> None:
    if not actor.has_role_at(agency.id, *roles):
        raise Refused(f"{actor.email} is not a {role_words(*roles)} of {agency.name}: may not {to}")


def require_chair(actor: Actor, *, to: str) -> None:
    if not actor.is_chair:
        raise Refused(f"{actor.email} is not a chair of the monitoring group: may not {to}")
