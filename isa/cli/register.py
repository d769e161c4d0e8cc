"""`isa agency`, `isa contact`, `isa chair`: the partner agencies, their people and roles, and
the monitoring group's chairs."""

from typing import Annotated

from cyclopts import Parameter

from isa.cli.apps import Json, OptionalAs
from isa.cli.common import act, default_actor, report
from models.enums import ContactRole, Nation, SecurityStandard
from tasks.protocol.register import add_chair, add_contact, register_agency

# --- agencies, contacts, chairs ---------------------------------------------------------------


def agency_add(
    name: str,
    *,
    ico_registration: str | None = None,
    security_standard: SecurityStandard | None = None,
    nation: Annotated[
        Nation,
        Parameter(help="Whose public holidays its subject access deadlines skip."),
    ] = Nation.ENGLAND_AND_WALES,
    as_: OptionalAs = None,
    json_: Json = False,
) -> None:
    """Register a partner agency that has signed the Protocol."""
    _ctx, events = act(
        register_agency,
        name=name,
        ico_registration=ico_registration,
        security_standard=security_standard,
        nation=nation,
        actor=default_actor(as_),
    )
    report(events, json_, [f"registered agency {name.strip()}"])


def contact_add(
    agency: str,
    email: str,
    *,
    name: str,
    role: Annotated[list[ContactRole] | None, Parameter(name="--role")] = None,
    as_: OptionalAs = None,
    json_: Json = False,
) -> None:
    """Add a person at an agency with roles; with no --role, a staff member."""
    _ctx, events = act(
        add_contact,
        agency=agency,
        email=email,
        name=name,
        roles=list(role or []),
        actor=default_actor(as_),
    )
    roles = ", ".join(r.value for r in role or []) or "staff member"
    report(events, json_, [f"{email.strip().lower()} at {agency}: {roles}"])


def chair_add(email: str, *, name: str, as_: OptionalAs = None, json_: Json = False) -> None:
    """Add a chair of the Information Governance Monitoring Group."""
    _ctx, events = act(add_chair, email=email, name=name, actor=default_actor(as_))
    report(events, json_, [f"{email.strip().lower()} is a chair"])
