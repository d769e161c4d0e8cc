"""Test factories: a small register built through the real use cases, never by raw inserts."""

from dataclasses import dataclass, field
from typing import Any

import pendulum
from sqlmodel import Session, select

from models.appendix_j import ArrangementDraft, template_with
from models.enums import ContactRole
from models.events import DomainEvent
from models.tables import Arrangement
from tasks.protocol.access import grant_access, record_training
from tasks.protocol.approvals import approve_arrangement
from tasks.protocol.arrangements import draft_arrangement, submit_arrangement
from tasks.protocol.register import add_chair, add_contact, register_agency

ADMIN = "cli:admin"
COUNCIL = "Northshire County Council"
TRUST = "Northshire NHS Trust"
POLICE = "Northshire Police"


@dataclass
class People:
    """Who is who in the factory's register, by role."""

    signatory: dict[str, str] = field(default_factory=dict)
    rep: dict[str, str] = field(default_factory=dict)
    poc: dict[str, str] = field(default_factory=dict)
    dpo: dict[str, str] = field(default_factory=dict)
    staff: dict[str, str] = field(default_factory=dict)
    chair: str = "chair@group.example"


def _slug(agency: str) -> str:
    return agency.split()[1].lower()


ROLES = (
    ContactRole.SIGNATORY,
    ContactRole.NOMINATED_REPRESENTATIVE,
    ContactRole.POINT_OF_CONTACT,
    ContactRole.DPO,
)


def _role_email(role: ContactRole, agency: str) -> str:
    return f"{role.value.replace('_', '.')}@{_slug(agency)}.example"


def seeded_people(agencies: tuple[str, ...] = (COUNCIL, TRUST, POLICE)) -> People:
    """Who is who in the register `seed_agencies` makes, without making it (the `people`
    fixture's register is built once per worker and copied)."""
    people = People()
    for agency in agencies:
        for role, bucket in zip(
            ROLES, (people.signatory, people.rep, people.poc, people.dpo), strict=True
        ):
            bucket[agency] = _role_email(role, agency)
        people.staff[agency] = f"staff@{_slug(agency)}.example"
    return people


def seed_agencies(
    session: Session, now: pendulum.DateTime, agencies: tuple[str, ...] = (COUNCIL, TRUST, POLICE)
) -> People:
    for agency in agencies:
        register_agency(session, name=agency, actor=ADMIN, now=now)
        for role in ROLES:
            add_contact(
                session,
                agency=agency,
                email=_role_email(role, agency),
                name=f"{role.value.title()} of {agency}",
                roles=[role],
                actor=ADMIN,
                now=now,
            )
        add_contact(
            session,
            agency=agency,
            email=f"staff@{_slug(agency)}.example",
            name=f"Staff of {agency}",
            roles=[],
            actor=ADMIN,
            now=now,
        )
    people = seeded_people(agencies)
    add_chair(session, email=people.chair, name="Chris Chair", actor=ADMIN, now=now)
    return people


def form(**changes: Any) -> ArrangementDraft:
    """The template's Appendix J form with fields replaced (None removes a field)."""
    return template_with("test", **changes)


def parties(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"agency": agency, "role": role} for agency, role in pairs]


def reference_of(events: list[DomainEvent]) -> str:
    return str(events[0].as_dict()["arrangement"])


def drafted(session: Session, people: People, now: pendulum.DateTime, **changes: Any) -> str:
    draft = form(**changes)
    first = draft.parties[0].agency
    return reference_of(draft_arrangement(session, draft=draft, actor=people.poc[first], now=now))


def active(session: Session, people: People, now: pendulum.DateTime, **changes: Any) -> str:
    """An arrangement drafted, submitted and approved by every party: active."""
    draft = form(**changes)
    ref = drafted(session, people, now, **changes)
    submit_arrangement(session, reference=ref, actor=people.poc[draft.parties[0].agency], now=now)
    for party in draft.parties:
        approve_arrangement(session, reference=ref, actor=people.signatory[party.agency], now=now)
    return ref


def reviewable(session: Session, people: People, now: pendulum.DateTime, **changes: Any) -> str:
    """An active arrangement whose review is open at `now` already: reviewed every two months,
    it falls due inside its 90-day reminder window, so a test may complete the review (to end
    the arrangement, say) without moving the clock."""
    return active(session, people, now, **{"review_interval_months": 2, **changes})


def review_due_at(session: Session, reference: str) -> pendulum.DateTime:
    """10:00 in London on the day the arrangement's next review falls due, in UTC: a moment a
    review is open (one may not be completed before its reminders have begun)."""
    session.expire_all()
    arrangement = session.exec(select(Arrangement).where(Arrangement.reference == reference)).one()
    due = arrangement.next_review_due
    assert due is not None, f"{reference} has no review scheduled"
    return pendulum.datetime(due.year, due.month, due.day, 10, tz="Europe/London").in_timezone(
        "UTC"
    )


def trained(session: Session, people: People, agency: str, now: pendulum.DateTime) -> str:
    staff = people.staff[agency]
    today = now.in_timezone("Europe/London").date()
    record_training(
        session,
        email=staff,
        course="Protocol e-learning",
        completed_on=today.subtract(days=30),
        expires_on=today.add(years=1),
        actor=ADMIN,
        now=now,
    )
    return staff


def granted(session: Session, people: People, ref: str, agency: str, now: pendulum.DateTime) -> str:
    staff = trained(session, people, agency, now)
    events = grant_access(
        session,
        arrangement=ref,
        email=staff,
        justification="Case worker on the early help team",
        expires_on=None,
        actor=people.rep[agency],
        now=now,
    )
    return str(events[0].as_dict()["grant"])
