"""Use cases that set up the register: partner agencies, their contacts, the group's chairs."""

import pendulum
from sqlmodel import Session, select

from models.enums import ContactRole, Nation, SecurityStandard
from models.errors import InvalidInput
from models.events import AgencyRegistered, ChairAdded, ContactAdded, DomainEvent
from models.inputs import ico_registration as checked_ico_registration
from models.inputs import name_key, normalise_email, required_name
from models.tables import Agency, Chair, Contact, ContactRoleAssignment
from tasks.lookup import agency_by_name, find_agency, resolve_actor
from tasks.uow import is_operator, unit_of_work


def require_registered(session: Session, actor: str) -> None:
    """Setting up the register is the operator's, or a registered contact's or chair's: an
    address the register does not know is refused (and the refusal audited)."""
    if not is_operator(actor):
        resolve_actor(session, actor)


def register_agency(
    session: Session,
    *,
    name: str,
    ico_registration: str | None = None,
    security_standard: SecurityStandard | None = None,
    nation: Nation = Nation.ENGLAND_AND_WALES,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    name = required_name(name, "agency name")
    registration = checked_ico_registration(ico_registration)
    with unit_of_work(session, actor=actor, now=now, action="agency.register") as uow:
        uow.about("agency", name)
        require_registered(session, actor)
        exists = find_agency(session, name)
        if exists is not None:
            same = "" if exists.name == name else f" as {exists.name!r}"
            raise InvalidInput(f"agency {name!r} is already registered{same}")
        agency = Agency(
            name=name,
            name_key=name_key(name),
            nation=nation,
            ico_registration=registration,
            security_standard=security_standard,
            created_at=now,
        )
        session.add(agency)
        session.flush()
        uow.record(
            "agency.register",
            subject_type="agency",
            subject_ref=name,
            after={
                "status": agency.status,
                "ico_registration": agency.ico_registration,
                "security_standard": security_standard,
                "nation": nation,
            },
        )
        uow.emit(AgencyRegistered(agency=name))
        return uow.events


def add_contact(
    session: Session,
    *,
    agency: str,
    email: str,
    name: str,
    roles: list[ContactRole],
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """Add a person at an agency, or give an existing one more roles. No roles: a staff member."""
    address = normalise_email(email)
    name = required_name(name, "contact name")
    with unit_of_work(session, actor=actor, now=now, action="contact.add") as uow:
        uow.about("contact", address)
        require_registered(session, actor)
        home = agency_by_name(session, agency)
        contact = session.exec(select(Contact).where(Contact.email == address)).first()
        if contact is not None and contact.agency_id != home.id:
            raise InvalidInput(f"{address} is already a contact of another agency")
        if contact is None:
            assert home.id is not None
            contact = Contact(agency_id=home.id, email=address, name=name, created_at=now)
            session.add(contact)
            session.flush()
        held = set(
            session.exec(
                select(ContactRoleAssignment.role).where(
                    ContactRoleAssignment.contact_id == contact.id
                )
            ).all()
        )
        added = [r for r in dict.fromkeys(roles) if r not in held]
        for role in added:
            assert contact.id is not None
            session.add(ContactRoleAssignment(contact_id=contact.id, role=role))
        uow.record(
            "contact.add",
            subject_type="contact",
            subject_ref=address,
            before={"roles": sorted(held)} if held else None,
            after={"agency": home.name, "name": contact.name, "roles": sorted(held | set(added))},
        )
        uow.emit(ContactAdded(agency=home.name, email=address, roles=tuple(r.value for r in added)))
        return uow.events


def add_chair(
    session: Session, *, email: str, name: str, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    address = normalise_email(email)
    name = required_name(name, "chair name")
    with unit_of_work(session, actor=actor, now=now, action="chair.add") as uow:
        uow.about("chair", address)
        require_registered(session, actor)
        if session.exec(select(Chair).where(Chair.email == address)).first() is not None:
            raise InvalidInput(f"{address} is already a chair")
        session.add(Chair(email=address, name=name, created_at=now))
        uow.record("chair.add", subject_type="chair", subject_ref=address, after={"name": name})
        uow.emit(ChairAdded(email=address))
        return uow.events
