"""The register's agencies and the people at each, with their roles."""

from dataclasses import dataclass

from sqlalchemy import Connection, select

from models.errors import NotFound
from tasks.listings.tables import agency, contact, contact_role


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
