"""What the page behind a link shows about an arrangement's own life: the version its
signatories approve, the review whose outcome is recorded, the access grant re-attested, the
disposal task confirmed and the suspension whose meeting a chair sets and records. The page
views of the matters raised between agencies are in tasks/links/matter_views.py."""

from dataclasses import dataclass, field
from typing import Any

import pendulum
from sqlmodel import Session, col, select

from models.clocks import suspension_day
from models.enums import ContactRole, SignOffDecision
from models.tables import (
    AccessGrant,
    Agency,
    Arrangement,
    ArrangementParty,
    ArrangementVersion,
    Chair,
    Contact,
    ContactRoleAssignment,
    DisposalTask,
    Review,
    SignOff,
)
from models.versions import TEMPLATE_VERSION, changes_between, version_hash
from notifications.render import long_date, long_datetime
from tasks.links.records import the_record
from tasks.lookup import arrangement_by_ref, suspension_by_ref
from tasks.protocol.arrangements import amending, version_record, working_content


@dataclass(frozen=True)
class VersionView:
    """One version of an arrangement as its signatories are asked to approve it: every
    Appendix J field as submitted, the parties and who has signed, the hash its sign-offs bind
    to, and (for a signatory) what changed since the version their agency last approved."""

    reference: str
    title: str
    version: int
    status: str
    fields: tuple[tuple[str, str], ...]
    data_items: tuple[dict[str, str], ...]
    transfers: tuple[dict[str, str], ...]
    parties: tuple[dict[str, str], ...]
    content_hash: str
    # the version in force while this one is signed (an amendment), if any
    in_force_version: int | None = None
    # the version the signatory's agency last approved, and each field that differs from it
    last_approved: int | None = None
    changes: tuple[tuple[str, str, str], ...] = ()


def _text(value: Any) -> str:
    if value is None or value == "":
        return "(not given)"
    if isinstance(value, list):
        return "\n".join(f"- {v}" for v in value)
    return str(value)


def _last_approved(
    session: Session, arrangement: Arrangement, agency: str
) -> ArrangementVersion | None:
    """The latest earlier version the agency approved, as it was stored."""
    version = session.exec(
        select(SignOff.version)
        .join(Agency, col(Agency.id) == SignOff.agency_id)
        .where(SignOff.arrangement_id == arrangement.id, Agency.name == agency)
        .where(SignOff.decision == SignOffDecision.APPROVED)
        .where(SignOff.version < arrangement.version)
        .order_by(col(SignOff.version).desc())
    ).first()
    return None if version is None else version_record(session, arrangement, version)


def version_view(session: Session, reference: str, agency: str | None = None) -> VersionView:
    """The arrangement's current version as submitted (its stored record), or as drafted so far
    if it was not submitted; with `agency`, what changed since that agency last approved one."""
    arrangement = arrangement_by_ref(session, reference)
    record = version_record(session, arrangement)
    content = record.content if record is not None else working_content(session, arrangement)
    shown_hash = (
        record.content_hash
        if record is not None
        else version_hash(arrangement.reference, arrangement.version, TEMPLATE_VERSION, content)
    )
    signed = {
        agency_row.name: (sign_off, contact)
        for sign_off, contact, agency_row in session.exec(
            select(SignOff, Contact, Agency)
            .join(Contact, col(Contact.id) == SignOff.contact_id)
            .join(Agency, col(Agency.id) == SignOff.agency_id)
            .where(SignOff.arrangement_id == arrangement.id)
            .where(SignOff.version == arrangement.version)
        ).all()
    }
    parties = []
    for party in content["parties"]:
        decision = signed.get(party["agency"])
        parties.append(
            {
                "agency": party["agency"],
                "role": str(party["role"]).replace("_", " "),
                "sign_off": (
                    f"{decision[0].decision.value} by {decision[1].name} on "
                    f"{long_date(decision[0].decided_at)}"
                    if decision
                    else "awaiting"
                ),
            }
        )
    retention = content["retention"]
    fields = (
        ("Title", content["title"]),
        ("Purposes", _text(content["purposes"])),
        ("Lawful basis", _text(content["lawful_basis"])),
        ("Special category condition", _text(content["special_category_condition"])),
        ("Consent basis", _text(content["consent_basis"])),
        ("Transfer method", _text(content["transfer_method"])),
        ("Security arrangements", _text(content["security_arrangements"])),
        ("Storage arrangements", _text(content["storage_arrangements"])),
        ("Access arrangements", _text(content["access_arrangements"])),
        ("Retention", f"{retention['period_months']} months"),
        ("Retention rule", _text(retention["rule"])),
        ("Disposal method", _text(retention["disposal_method"])),
        ("Review interval", f"{content['review_interval_months']} months"),
    )
    data_items = tuple(
        {
            "name": i["name"],
            "description": _text(i["description"]),
            "protective_marking": str(i["protective_marking"]).replace("_", " "),
            "statutory_restrictions": _text(i["statutory_restrictions"]),
            "personal_data": "yes" if i["personal_data"] else "no",
            "special_category": "yes" if i["special_category"] else "no",
        }
        for i in content["data_items"]
    )
    earlier = _last_approved(session, arrangement, agency) if agency else None
    return VersionView(
        reference=arrangement.reference,
        title=content["title"],
        version=arrangement.version,
        status=arrangement.status.value.replace("_", " "),
        fields=fields,
        data_items=data_items,
        transfers=tuple(
            {"country": t["country"], "adequacy": t["adequacy"]}
            for t in content["transfers_outside_eea"]
        ),
        parties=tuple(parties),
        content_hash=shown_hash,
        in_force_version=arrangement.in_force_version if amending(arrangement) else None,
        last_approved=earlier.version if earlier is not None else None,
        changes=tuple(changes_between(earlier.content, content)) if earlier is not None else (),
    )


@dataclass(frozen=True)
class ReviewView:
    """An arrangement whose review is due, as the officer recording its outcome sees it."""

    reference: str
    title: str
    status: str
    due: str
    parties: tuple[str, ...]
    purposes: str


def review_view(session: Session, reference: str) -> ReviewView:
    arrangement = arrangement_by_ref(session, reference)
    review = session.exec(
        select(Review)
        .where(Review.arrangement_id == arrangement.id, col(Review.completed_at).is_(None))
        .order_by(col(Review.due_on))
    ).first()
    parties = session.exec(
        select(Agency.name)
        .join(ArrangementParty, col(ArrangementParty.agency_id) == Agency.id)
        .where(ArrangementParty.arrangement_id == arrangement.id)
        .where(col(ArrangementParty.left_at).is_(None))
        .order_by(col(ArrangementParty.id))
    ).all()
    return ReviewView(
        reference=arrangement.reference,
        title=arrangement.title,
        status=arrangement.status.value.replace("_", " "),
        due=long_date(review.due_on) if review else "(none due)",
        parties=tuple(parties),
        purposes=_text(arrangement.purposes),
    )


@dataclass(frozen=True)
class GrantView:
    """One access grant as the point of contact re-attesting it sees it (§10)."""

    reference: str
    staff: str
    staff_email: str
    arrangement: str
    title: str
    justification: str
    granted: str
    attested: str
    expires: str


def grant_view(session: Session, reference: str) -> GrantView:
    grant = the_record(session, AccessGrant, reference, "access grant")
    staff = session.get(Contact, grant.contact_id)
    arrangement = session.get(Arrangement, grant.arrangement_id)
    assert staff is not None and arrangement is not None
    return GrantView(
        reference=grant.reference,
        staff=staff.name,
        staff_email=staff.email,
        arrangement=arrangement.reference,
        title=arrangement.title,
        justification=grant.justification,
        granted=long_date(grant.granted_at),
        attested=long_date(grant.attested_at) if grant.attested_at else "never",
        expires=long_date(grant.expires_on) if grant.expires_on else "no end date",
    )


@dataclass(frozen=True)
class DisposalView:
    task: str
    arrangement: str
    title: str
    agency: str
    due: str
    disposal_method: str


def disposal_view(session: Session, task: str) -> DisposalView:
    held = the_record(session, DisposalTask, task, "disposal task")
    arrangement = session.get(Arrangement, held.arrangement_id)
    agency = session.get(Agency, held.agency_id)
    assert arrangement is not None and agency is not None
    return DisposalView(
        task=held.reference,
        arrangement=arrangement.reference,
        title=arrangement.title,
        agency=agency.name,
        due=long_date(held.due_on),
        disposal_method=_text(arrangement.disposal_method),
    )


@dataclass(frozen=True)
class MeetingView:
    """A suspension as the chair who sets and records its meeting sees it."""

    reference: str
    agency: str
    reason: str
    status: str
    day: int
    raised: str
    meeting_by: str
    ends: str
    meeting_at: str
    meeting_place: str
    # who may attend (every partner's signatory and the chairs): (email, "name, capacity")
    attendees: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def meeting_view(session: Session, reference: str, now: pendulum.DateTime) -> MeetingView:
    matter = suspension_by_ref(session, reference)
    home = session.get(Agency, matter.agency_id)
    assert home is not None
    raised = pendulum.instance(matter.raised_at)
    people: list[tuple[str, str]] = []
    for contact, agency in session.exec(
        select(Contact, Agency)
        .join(Agency, col(Agency.id) == Contact.agency_id)
        .join(ContactRoleAssignment, col(ContactRoleAssignment.contact_id) == Contact.id)
        .where(col(Contact.left_at).is_(None))
        .where(ContactRoleAssignment.role == ContactRole.SIGNATORY)
        .order_by(col(Agency.name), col(Contact.name))
    ).all():
        people.append((contact.email, f"{contact.name}, signatory for {agency.name}"))
    for chair in session.exec(select(Chair).order_by(col(Chair.name))).all():
        people.append((chair.email, f"{chair.name}, chair"))
    return MeetingView(
        reference=matter.reference,
        agency=home.name,
        reason=matter.reason,
        status=matter.status.value.replace("_", " "),
        day=suspension_day(raised, now),
        raised=long_datetime(raised),
        meeting_by=long_datetime(matter.meeting_deadline),
        ends=long_datetime(matter.ends_at),
        meeting_at=long_datetime(matter.meeting_at) if matter.meeting_at else "",
        meeting_place=matter.meeting_place or "",
        attendees=tuple(people),
    )
