"""The use cases behind a personal link: what a link is and whether it can still be acted on,
the page's view of the matter it is about, and the act itself, which runs the same use case as
the command line in one transaction with its audit event (carrying the web's evidence), its
emails, and the link marked used.

A link is refused, with its refusal in the audit log, when it was used, has expired or is void
(the record moved on), when the typed name is not the person's, when the confirmation is not
ticked, or when the version shown is not the version there now. An act that binds an agency
(models/links.py BINDING) also needs proof that the person at the link is its addressee: a
browser signed in as them, or the one-time code emailed to their own address from the page;
a browser signed in as someone else is refused, and the refusal names both."""

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import pendulum
from sqlalchemy import CursorResult, func, update
from sqlmodel import Session, col, select

from core.db import BEFORE_COMMIT, EVIDENCE
from models.clocks import hours_since, parse_datetime, regulator_deadline, suspension_day
from models.enums import (
    AccessGrantStatus,
    ArrangementStatus,
    ConsentNoticeStatus,
    ConsultationStatus,
    ContactRole,
    DataQualityStatus,
    DisposalTaskStatus,
    IncidentStatus,
    InformationRequestStatus,
    MeetingOutcome,
    OnwardRequestStatus,
    ReviewOutcome,
    SignOffDecision,
    SuspensionStatus,
)
from models.errors import InvalidInput, NotFound, Refused
from models.events import ActCodeRequested, ActHandedOver, DomainEvent
from models.links import (
    BINDING,
    CODE_DIGITS,
    CODE_MINUTES,
    CODE_TRIES,
    CODES_PER_HOUR,
    LinkAction,
    LinkState,
    Proof,
    code_hash,
    link_state,
    same_name,
    typed_code,
)
from models.tables import (
    AccessGrant,
    Agency,
    Arrangement,
    ArrangementParty,
    ArrangementVersion,
    Chair,
    ConsentNotice,
    ConsentWithdrawal,
    Contact,
    ContactRoleAssignment,
    DataQualityNotice,
    DisposalTask,
    InformationRequest,
    OnwardRequest,
    RequestConsultation,
    Review,
    SecurityIncident,
    SignOff,
    Suspension,
)
from models.versions import TEMPLATE_VERSION, changes_between, version_hash
from notifications.links import issuer_of, spend_link
from notifications.register_view import SqlRegisterView
from notifications.render import long_date, long_datetime
from notifications.tables import ActionLink, LinkCode, LinkDelegation
from tasks.access import attest_access, revoke_access
from tasks.arrangements import (
    amending,
    approve_arrangement,
    awaiting_sign_off,
    complete_review,
    reject_arrangement,
    version_record,
    working_content,
)
from tasks.consent import acknowledge_consent
from tasks.disposal import confirm_disposal
from tasks.incidents import acknowledge_incident, decide_incident
from tasks.lookup import arrangement_by_ref, suspension_by_ref
from tasks.onward import answer_onward_sharing
from tasks.portal import person
from tasks.quality import correct_data
from tasks.requests import close_request, reply_to_consultation
from tasks.suspensions import record_meeting, schedule_meeting
from tasks.uow import append_refusal, unit_of_work


@dataclass(frozen=True)
class Link:
    """One personal link as its page needs it."""

    id: int
    action: LinkAction
    subject: str
    version: int | None
    email: str
    name: str
    agency: str | None
    state: LinkState
    # for a link that is not live: why, in words ("used on Thursday 3 December 2026 at 09:14")
    why: str
    expires: str


def _is_chair(session: Session, email: str) -> bool:
    return session.exec(select(Chair.id).where(Chair.email == email)).first() is not None


def _moved_on(session: Session, row: ActionLink, agency: str | None) -> str:
    """Why the record no longer needs this link's act, or "" if it still does."""
    action = LinkAction(row.action)
    if action is LinkAction.SIGN_IN:
        return (
            ""
            if agency is not None or _is_chair(session, row.email)
            else "you are no longer a contact here"
        )
    if action is LinkAction.APPROVE:
        arrangement = session.exec(
            select(Arrangement).where(Arrangement.reference == row.subject_ref)
        ).first()
        if arrangement is None:
            return f"{row.subject_ref} is not in the register"
        if arrangement.version != row.version:
            return (
                f"version {row.version} of {row.subject_ref} was superseded by version "
                f"{arrangement.version}"
            )
        if not awaiting_sign_off(arrangement):
            return f"{row.subject_ref} is {arrangement.status.value.replace('_', ' ')}"
        decided = session.exec(
            select(SignOff, Agency)
            .join(Agency, col(Agency.id) == SignOff.agency_id)
            .where(SignOff.arrangement_id == arrangement.id)
            .where(SignOff.version == arrangement.version)
            .where(Agency.name == agency)
        ).first()
        if decided is not None:
            return f"{agency}'s decision on version {row.version} is already recorded"
        return ""
    if action is LinkAction.REVIEW:
        arrangement = session.exec(
            select(Arrangement).where(Arrangement.reference == row.subject_ref)
        ).first()
        if arrangement is None:
            return f"{row.subject_ref} is not in the register"
        if arrangement.status not in (ArrangementStatus.ACTIVE, ArrangementStatus.UNDER_REVIEW):
            return f"{row.subject_ref} is {arrangement.status.value.replace('_', ' ')}"
        done = session.exec(
            select(Review.completed_at)
            .where(Review.arrangement_id == arrangement.id)
            .where(col(Review.completed_at) >= row.created_at)
        ).first()
        if done is not None:
            return f"the review of {row.subject_ref} was recorded on {long_datetime(done)}"
        return ""
    if action is LinkAction.ATTEST:
        grant = session.exec(
            select(AccessGrant).where(AccessGrant.reference == row.subject_ref)
        ).first()
        if grant is None:
            return f"{row.subject_ref} is not in the register"
        if grant.status == AccessGrantStatus.REVOKED:
            return f"{row.subject_ref} is revoked"
        if grant.attested_at is not None and pendulum.instance(
            grant.attested_at
        ) >= pendulum.instance(row.created_at):
            return f"{row.subject_ref} was re-attested on {long_datetime(grant.attested_at)}"
        return ""
    if action in (LinkAction.DECIDE_INCIDENT, LinkAction.ACKNOWLEDGE_INCIDENT):
        incident = session.exec(
            select(SecurityIncident).where(SecurityIncident.reference == row.subject_ref)
        ).first()
        if incident is None:
            return f"{row.subject_ref} is not in the register"
        if action is LinkAction.DECIDE_INCIDENT and incident.status != IncidentStatus.REPORTED:
            assert incident.decided_at is not None
            return (
                f"the decision on {row.subject_ref} was recorded by {incident.decided_by} on "
                f"{long_datetime(incident.decided_at)}"
            )
        if action is LinkAction.ACKNOWLEDGE_INCIDENT and incident.acknowledged_at is not None:
            return (
                f"{row.subject_ref} was acknowledged by {incident.acknowledged_by} on "
                f"{long_datetime(incident.acknowledged_at)}"
            )
        return ""
    if action is LinkAction.CORRECT_DATA:
        found = session.exec(
            select(DataQualityNotice).where(DataQualityNotice.reference == row.subject_ref)
        ).first()
        if found is None:
            return f"{row.subject_ref} is not in the register"
        if found.status != DataQualityStatus.OPEN:
            assert found.corrected_at is not None
            return (
                f"{row.subject_ref} was corrected by {found.corrected_by} on "
                f"{long_datetime(found.corrected_at)}"
            )
        return ""
    if action is LinkAction.CLOSE_REQUEST:
        asked_for = session.exec(
            select(InformationRequest).where(InformationRequest.reference == row.subject_ref)
        ).first()
        if asked_for is None:
            return f"{row.subject_ref} is not in the register"
        if asked_for.status != InformationRequestStatus.OPEN:
            assert asked_for.closed_at is not None
            return (
                f"the outcome of {row.subject_ref} was recorded by {asked_for.closed_by} on "
                f"{long_datetime(asked_for.closed_at)}"
            )
        return ""
    if action is LinkAction.REPLY_CONSULTATION:
        asked = session.exec(
            select(RequestConsultation).where(RequestConsultation.reference == row.subject_ref)
        ).first()
        if asked is None:
            return f"{row.subject_ref} is not in the register"
        if asked.status == ConsultationStatus.REPLIED:
            assert asked.replied_at is not None
            return (
                f"{row.subject_ref} was replied to by {asked.replied_by} on "
                f"{long_datetime(asked.replied_at)}"
            )
        if asked.status == ConsultationStatus.LAPSED:
            return f"{row.subject_ref} lapsed: the request was answered before a reply came"
        return ""
    if action is LinkAction.ANSWER_ONWARD:
        onward = session.exec(
            select(OnwardRequest).where(OnwardRequest.reference == row.subject_ref)
        ).first()
        if onward is None:
            return f"{row.subject_ref} is not in the register"
        if onward.status != OnwardRequestStatus.OPEN:
            assert onward.answered_at is not None
            return (
                f"{row.subject_ref} was {onward.status.value} by {onward.answered_by} on "
                f"{long_datetime(onward.answered_at)}"
            )
        return ""
    if action is LinkAction.ACKNOWLEDGE_CONSENT:
        notice = session.exec(
            select(ConsentNotice).where(ConsentNotice.reference == row.subject_ref)
        ).first()
        if notice is None:
            return f"{row.subject_ref} is not in the register"
        if notice.status != ConsentNoticeStatus.PENDING:
            assert notice.acknowledged_at is not None
            return (
                f"{row.subject_ref} was acknowledged by {notice.acknowledged_by} on "
                f"{long_datetime(notice.acknowledged_at)}"
            )
        return ""
    if action is LinkAction.CONFIRM_DISPOSAL:
        task = session.exec(
            select(DisposalTask).where(DisposalTask.reference == row.subject_ref)
        ).first()
        if task is None:
            return f"{row.subject_ref} is not in the register"
        if task.status != DisposalTaskStatus.PENDING:
            return f"{row.subject_ref} is {task.status.value}"
        return ""
    matter = session.exec(select(Suspension).where(Suspension.reference == row.subject_ref)).first()
    if matter is None:
        return f"{row.subject_ref} is not in the register"
    if matter.status not in (SuspensionStatus.RAISED, SuspensionStatus.MEETING_SCHEDULED):
        return f"{row.subject_ref} is {matter.status.value.replace('_', ' ')}"
    return ""


def _link(session: Session, row: ActionLink, now: pendulum.DateTime) -> Link:
    assert row.id is not None
    # a contact or chair by address, as the emails name them
    facts = SqlRegisterView(session).person(row.email)
    name, agency = facts["name"], facts["agency"]
    state = link_state(
        used_at=row.used_at, voided_at=row.voided_at, expires_at=row.expires_at, now=now
    )
    why = ""
    if state is LinkState.USED:
        assert row.used_at is not None
        why = f"it was used on {long_datetime(row.used_at)}"
    elif state is LinkState.VOID:
        why = row.void_reason or "it was withdrawn"
    elif state is LinkState.EXPIRED:
        why = f"it expired on {long_datetime(row.expires_at)}"
    else:
        moved = _moved_on(session, row, agency)
        if moved:
            state, why = LinkState.VOID, moved
    return Link(
        id=row.id,
        action=LinkAction(row.action),
        subject=row.subject_ref,
        version=row.version,
        email=row.email,
        name=name,
        agency=agency,
        state=state,
        why=why,
        expires=long_datetime(row.expires_at),
    )


def find_link(session: Session, token_digest: str, now: pendulum.DateTime) -> Link | None:
    """The link whose token hashes to this, or None: an unknown or tampered token."""
    row = session.exec(select(ActionLink).where(ActionLink.token_hash == token_digest)).first()
    return _link(session, row, now) if row is not None else None


def link_by_id(session: Session, link_id: int, now: pendulum.DateTime) -> Link:
    row = session.get(ActionLink, link_id)
    if row is None:
        raise NotFound(f"no link {link_id}")
    return _link(session, row, now)


# --- what the page shows ----------------------------------------------------------------------


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
    grant = session.exec(select(AccessGrant).where(AccessGrant.reference == reference)).first()
    if grant is None:
        raise NotFound(f"no access grant {reference!r}")
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
    held = session.exec(select(DisposalTask).where(DisposalTask.reference == task)).first()
    if held is None:
        raise NotFound(f"no disposal task {task!r}")
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
class ConsentView:
    """A partner's notice to cease processing, as its nominated representative sees it: the
    data subject by the originating agency's reference alone."""

    notice: str
    consent: str
    agency: str
    originator: str
    data_subject_ref: str
    notified: str
    # the arrangements the partner received the data under: (reference, title)
    arrangements: tuple[tuple[str, str], ...]


def _party_to(session: Session, references: list[str], agency_id: int) -> list[tuple[str, str]]:
    """Of the arrangements `references` names, those agency `agency_id` is party to: (reference,
    title), in reference order."""
    return [
        (reference, title)
        for reference, title in session.exec(
            select(Arrangement.reference, Arrangement.title)
            .join(ArrangementParty, col(ArrangementParty.arrangement_id) == Arrangement.id)
            .where(col(Arrangement.reference).in_(references))
            .where(ArrangementParty.agency_id == agency_id)
            .order_by(col(Arrangement.reference))
        ).all()
    ]


def consent_view(session: Session, notice: str) -> ConsentView:
    held = session.exec(select(ConsentNotice).where(ConsentNotice.reference == notice)).first()
    if held is None:
        raise NotFound(f"no consent notice {notice!r}")
    matter = session.get(ConsentWithdrawal, held.consent_id)
    partner = session.get(Agency, held.agency_id)
    assert matter is not None and partner is not None
    home = session.get(Agency, matter.agency_id)
    assert home is not None
    assert partner.id is not None
    received = _party_to(session, matter.arrangements, partner.id)
    return ConsentView(
        notice=held.reference,
        consent=matter.reference,
        agency=partner.name,
        originator=home.name,
        data_subject_ref=matter.subject_ref,
        notified=long_datetime(held.notified_at),
        arrangements=tuple((ref, title) for ref, title in received),
    )


@dataclass(frozen=True)
class ConsultationView:
    """A consultation on an information request (§7), as the originator's nominated
    representative or DPO sees it: the request by the receiving agency's reference alone."""

    consultation: str
    request: str
    agency: str
    requester: str
    kind: str
    their_ref: str
    received: str
    due: str
    reply_by: str
    summary: str
    # the arrangements the originator shared the data under: (reference, title)
    arrangements: tuple[tuple[str, str], ...]


def consultation_view(session: Session, consultation: str) -> ConsultationView:
    held = session.exec(
        select(RequestConsultation).where(RequestConsultation.reference == consultation)
    ).first()
    if held is None:
        raise NotFound(f"no consultation {consultation!r}")
    matter = session.get(InformationRequest, held.request_id)
    partner = session.get(Agency, held.agency_id)
    assert matter is not None and partner is not None
    home = session.get(Agency, matter.agency_id)
    assert home is not None
    assert partner.id is not None
    shared = _party_to(session, matter.arrangements, partner.id)
    return ConsultationView(
        consultation=held.reference,
        request=matter.reference,
        agency=partner.name,
        requester=home.name,
        kind="subject access request"
        if matter.kind.value == "sar"
        else "freedom of information request",
        their_ref=matter.their_ref,
        received=long_date(matter.received_on),
        due=long_date(matter.due_on),
        reply_by=long_date(held.reply_by),
        summary=matter.summary,
        arrangements=tuple((ref, title) for ref, title in shared),
    )


@dataclass(frozen=True)
class RequestView:
    """An information request as a handler of the agency that received it sees it, with each
    originator's reply to its consultation."""

    request: str
    agency: str
    kind: str
    their_ref: str
    received: str
    due: str
    summary: str
    arrangements: tuple[str, ...]
    # (originator, consultation, what it said)
    replies: tuple[tuple[str, str, str], ...]


def request_view(session: Session, request: str) -> RequestView:
    matter = session.exec(
        select(InformationRequest).where(InformationRequest.reference == request)
    ).first()
    if matter is None:
        raise NotFound(f"no information request {request!r}")
    home = session.get(Agency, matter.agency_id)
    assert home is not None
    replies = []
    for consulted, partner in session.exec(
        select(RequestConsultation, Agency)
        .join(Agency, col(Agency.id) == RequestConsultation.agency_id)
        .where(RequestConsultation.request_id == matter.id)
        .order_by(col(Agency.name))
    ).all():
        if consulted.status == ConsultationStatus.REPLIED:
            said = "objects" if consulted.objection == "objects" else "no objection"
            replies.append((partner.name, consulted.reference, f"{said}: {consulted.comments}"))
        else:
            replies.append(
                (
                    partner.name,
                    consulted.reference,
                    f"no reply yet (asked by {long_date(consulted.reply_by)})",
                )
            )
    return RequestView(
        request=matter.reference,
        agency=home.name,
        kind="subject access request"
        if matter.kind.value == "sar"
        else "freedom of information request",
        their_ref=matter.their_ref,
        received=long_date(matter.received_on),
        due=long_date(matter.due_on),
        summary=matter.summary,
        arrangements=tuple(matter.arrangements),
        replies=tuple(replies),
    )


@dataclass(frozen=True)
class QualityView:
    """A data quality notice as the owner's nominated representative sees it."""

    notice: str
    arrangement: str
    title: str
    owner: str
    reporter: str
    reported: str
    what: str


def quality_view(session: Session, notice: str) -> QualityView:
    held = session.exec(
        select(DataQualityNotice).where(DataQualityNotice.reference == notice)
    ).first()
    if held is None:
        raise NotFound(f"no data quality notice {notice!r}")
    isa = session.get(Arrangement, held.arrangement_id)
    owner, reporter = session.get(Agency, held.owner_id), session.get(Agency, held.reporter_id)
    assert isa is not None and owner is not None and reporter is not None
    return QualityView(
        notice=held.reference,
        arrangement=isa.reference,
        title=isa.title,
        owner=owner.name,
        reporter=reporter.name,
        reported=long_datetime(held.reported_at),
        what=held.what,
    )


@dataclass(frozen=True)
class OnwardView:
    """A request to share data onward as the originator's nominated representative sees it."""

    request: str
    arrangement: str
    title: str
    owner: str
    requester: str
    requested: str
    third_party: str
    data: str
    purpose: str


def onward_view(session: Session, request: str) -> OnwardView:
    asked = session.exec(select(OnwardRequest).where(OnwardRequest.reference == request)).first()
    if asked is None:
        raise NotFound(f"no onward sharing request {request!r}")
    isa = session.get(Arrangement, asked.arrangement_id)
    owner, requester = session.get(Agency, asked.owner_id), session.get(Agency, asked.requester_id)
    assert isa is not None and owner is not None and requester is not None
    return OnwardView(
        request=asked.reference,
        arrangement=isa.reference,
        title=isa.title,
        owner=owner.name,
        requester=requester.name,
        requested=long_datetime(asked.requested_at),
        third_party=asked.third_party,
        data=asked.data,
        purpose=asked.purpose,
    )


@dataclass(frozen=True)
class IncidentView:
    """A security incident as the reporting agency's DPO deciding on reporting it, or the
    originator acknowledging it, sees it: the 72-hour clock in London time."""

    incident: str
    arrangement: str
    title: str
    agency: str
    originator: str
    what: str
    aware: str
    deadline: str
    hours: int
    reported: str


def incident_view(session: Session, incident: str, now: pendulum.DateTime) -> IncidentView:
    held = session.exec(
        select(SecurityIncident).where(SecurityIncident.reference == incident)
    ).first()
    if held is None:
        raise NotFound(f"no security incident {incident!r}")
    isa = session.get(Arrangement, held.arrangement_id)
    reporter, source = session.get(Agency, held.agency_id), session.get(Agency, held.originator_id)
    assert isa is not None and reporter is not None and source is not None
    aware = pendulum.instance(held.aware_at)
    return IncidentView(
        incident=held.reference,
        arrangement=isa.reference,
        title=isa.title,
        agency=reporter.name,
        originator=source.name,
        what=held.what,
        aware=long_datetime(aware),
        deadline=long_datetime(regulator_deadline(aware)),
        hours=hours_since(aware, now),
        reported=long_datetime(held.reported_at),
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


# --- the act ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Confirmation:
    """What the person sent: their typed name, the ticked confirmation, the hash of what they
    were shown, and the act's own inputs."""

    typed_name: str
    confirmed: bool
    # approve: "approve" or "reject" (with a reason); meeting: "schedule" or "record"
    decision: str = ""
    shown_hash: str = ""
    reason: str = ""
    method: str = ""
    certificate: str = ""
    meeting_at: str = ""
    # where the meeting is held, or how to join it
    place: str = ""
    outcome: str = ""
    attendees: tuple[str, ...] = ()
    risk_assessment: str = ""
    correction: str = ""
    # a consultation's reply: "none" or "objects", with its comments
    objection: str = ""
    comments: str = ""
    # a request's outcome is `outcome`, with this note
    note: str = ""
    # the one-time code emailed to the addressee, for an act that binds their agency
    code: str = ""


def confirmation_sentence(link: Link, version: int | None = None, decision: str = "") -> str:
    """The act in words, as the box the person ticks names it."""
    if link.action is LinkAction.APPROVE:
        verb = "reject" if decision == "reject" else "approve"
        return f"I {verb} version {version or link.version} of {link.subject} for {link.agency}"
    if link.action is LinkAction.CONFIRM_DISPOSAL:
        return (
            f"I confirm that {link.agency} has destroyed the data shared under {link.subject}, "
            "as recorded here"
        )
    if link.action is LinkAction.REVIEW:
        return f"I record the outcome of the review of {link.subject} chosen here"
    if link.action is LinkAction.ACKNOWLEDGE_CONSENT:
        return (
            f"I confirm that {link.agency} has ceased processing this data subject's data "
            f"({link.subject})"
        )
    if link.action is LinkAction.DECIDE_INCIDENT:
        return (
            f"I record, as data protection officer for {link.agency}, the decision on reporting "
            f"{link.subject} to the ICO and its reason, as set out here"
        )
    if link.action is LinkAction.ACKNOWLEDGE_INCIDENT:
        return f"I acknowledge that {link.agency} has been told of security incident {link.subject}"
    if link.action is LinkAction.CORRECT_DATA:
        return (
            f"I record that {link.agency} has corrected the data ({link.subject}), as set out here"
        )
    if link.action is LinkAction.CLOSE_REQUEST:
        return f"I record for {link.agency} the outcome of request {link.subject} chosen here"
    if link.action is LinkAction.REPLY_CONSULTATION:
        return f"I reply for {link.agency} to consultation {link.subject}, as set out here"
    if link.action is LinkAction.ANSWER_ONWARD:
        if decision == "refuse":
            return f"I refuse, for {link.agency}, the onward sharing asked for in {link.subject}"
        return f"I consent, for {link.agency}, to the onward sharing asked for in {link.subject}"
    if link.action is LinkAction.ATTEST:
        if decision == "revoke":
            return f"I revoke access {link.subject}: it is no longer needed"
        return f"I confirm that access {link.subject} is still needed"
    if decision == "record":
        return f"I record the resolution meeting of {link.subject} as held, as set out here"
    return f"I set the resolution meeting of {link.subject} for the time given here"


# what each act is called in the audit log, for a refusal recorded before its use case runs
_AUDIT_ACTION = {
    (LinkAction.APPROVE, "approve"): ("arrangement.approve", "arrangement"),
    (LinkAction.APPROVE, "reject"): ("arrangement.reject", "arrangement"),
    (LinkAction.CONFIRM_DISPOSAL, ""): ("disposal.confirm", "disposal_task"),
    (LinkAction.ACKNOWLEDGE_CONSENT, ""): ("consent.acknowledge", "consent_notice"),
    (LinkAction.CORRECT_DATA, ""): ("data_quality.correct", "data_quality_notice"),
    (LinkAction.REPLY_CONSULTATION, ""): ("request.reply", "request_consultation"),
    (LinkAction.CLOSE_REQUEST, ""): ("request.close", "information_request"),
    (LinkAction.ANSWER_ONWARD, "consent"): ("onward.answer", "onward_request"),
    (LinkAction.ANSWER_ONWARD, "refuse"): ("onward.answer", "onward_request"),
    (LinkAction.DECIDE_INCIDENT, ""): ("incident.decide", "security_incident"),
    (LinkAction.ACKNOWLEDGE_INCIDENT, ""): ("incident.acknowledge", "security_incident"),
    (LinkAction.MEETING, "schedule"): ("meeting.schedule", "suspension"),
    (LinkAction.MEETING, "record"): ("meeting.record", "suspension"),
    (LinkAction.REVIEW, ""): ("review.complete", "arrangement"),
    (LinkAction.ATTEST, "keep"): ("access.attest", "access_grant"),
    (LinkAction.ATTEST, "revoke"): ("access.revoke", "access_grant"),
}


def _any_decision(link: Link) -> str:
    return {
        LinkAction.APPROVE: "approve",
        LinkAction.MEETING: "schedule",
        LinkAction.ATTEST: "keep",
        LinkAction.ANSWER_ONWARD: "consent",
    }.get(link.action, "")


def _decision(link: Link, confirmation: Confirmation) -> str:
    allowed = {
        LinkAction.APPROVE: ("approve", "reject"),
        LinkAction.CONFIRM_DISPOSAL: ("",),
        LinkAction.ACKNOWLEDGE_CONSENT: ("",),
        LinkAction.CORRECT_DATA: ("",),
        LinkAction.REPLY_CONSULTATION: ("",),
        LinkAction.CLOSE_REQUEST: ("",),
        LinkAction.DECIDE_INCIDENT: ("",),
        LinkAction.ACKNOWLEDGE_INCIDENT: ("",),
        LinkAction.MEETING: ("schedule", "record"),
        LinkAction.REVIEW: ("",),
        LinkAction.ATTEST: ("keep", "revoke"),
        LinkAction.ANSWER_ONWARD: ("consent", "refuse"),
    }.get(link.action, ())
    single = link.action in (
        LinkAction.CONFIRM_DISPOSAL,
        LinkAction.REVIEW,
        LinkAction.ACKNOWLEDGE_CONSENT,
        LinkAction.CORRECT_DATA,
        LinkAction.REPLY_CONSULTATION,
        LinkAction.CLOSE_REQUEST,
        LinkAction.DECIDE_INCIDENT,
        LinkAction.ACKNOWLEDGE_INCIDENT,
    )
    decision = "" if single else confirmation.decision
    if decision not in allowed:
        raise InvalidInput(f"this link cannot {confirmation.decision or 'do that'}")
    return decision


def act_on_link(
    session: Session,
    *,
    link_id: int,
    confirmation: Confirmation,
    evidence: dict[str, Any],
    now: pendulum.DateTime,
    forged: bool = False,
    signed_in: str | None = None,
) -> list[DomainEvent]:
    """Run the act the link is for, as its person, with the web's evidence in every audit
    event it writes (and in its refusal), and mark the link used in the same transaction.
    `forged`: the form's CSRF token was missing or wrong, so the POST is refused as such.
    `signed_in`: the address this browser is signed in as, if it is; the evidence names it, and
    for an act that binds an agency it is the proof, or, if it is not the link's, the refusal."""
    link = link_by_id(session, link_id, now)
    decision = _decision(link, confirmation) if not forged else _any_decision(link)
    action, subject_type = _AUDIT_ACTION[(link.action, decision)]
    session.info[EVIDENCE] = {
        **evidence,
        "link": link.id,
        "typed_name": confirmation.typed_name,
        **({"signed_in_as": signed_in} if signed_in else {}),
        **({"content_hash": confirmation.shown_hash} if confirmation.shown_hash else {}),
    }
    try:
        spent: int | None = None
        try:
            if forged:
                raise Refused(
                    "the form's security token is missing or wrong: open the link in your "
                    "email again and confirm from the page it shows"
                )
            _check(session, link, confirmation, now, signed_in)
            proof, spent = _proved(session, link, confirmation, now, signed_in)
        except Refused as refusal:
            append_refusal(
                session,
                actor=link.email,
                action=action,
                subject_type=subject_type,
                subject_ref=link.subject,
                detail=str(refusal),
                now=now,
            )
            session.commit()
            raise
        session.info[EVIDENCE].update(proof)
        handed = _handed_by(session, link)
        if handed:
            session.info[EVIDENCE]["delegated_by"] = handed
        session.info[BEFORE_COMMIT] = [_use_link(link, confirmation, now, spent)]
        return _run(session, link, decision, confirmation, now)
    finally:
        session.info.pop(EVIDENCE, None)
        session.info.pop(BEFORE_COMMIT, None)


def _check(
    session: Session,
    link: Link,
    confirmation: Confirmation,
    now: pendulum.DateTime,
    signed_in: str | None = None,
) -> None:
    if link.state is not LinkState.LIVE:
        raise Refused(f"this link cannot be used: {link.why}")
    if link.action in BINDING and signed_in and signed_in != link.email:
        raise Refused(
            f"you are signed in as {signed_in}, and this link is for {link.email}: only "
            f"{link.name} can do this for {link.agency}. Sign out, or ask them to act"
        )
    if not same_name(confirmation.typed_name, link.name):
        raise Refused(
            f"the name typed, {confirmation.typed_name.strip()!r}, is not the name the register "
            f"holds for {link.email}: type your full name as it appears in the email"
        )
    if not confirmation.confirmed:
        raise Refused("the confirmation was not ticked: tick it to confirm the act")
    if link.action is LinkAction.APPROVE:
        shown = version_view(session, link.subject).content_hash
        if confirmation.shown_hash != shown:
            raise Refused(
                f"{link.subject} changed after it was shown to you: read it again before you decide"
            )
    session.rollback()


def _newest_code(session: Session, link_id: int) -> LinkCode | None:
    return session.exec(
        select(LinkCode).where(LinkCode.link_id == link_id).order_by(col(LinkCode.id).desc())
    ).first()


def _proved(
    session: Session,
    link: Link,
    confirmation: Confirmation,
    now: pendulum.DateTime,
    signed_in: str | None,
) -> tuple[dict[str, Any], int | None]:
    """The evidence that the person acting is the link's addressee, and the code it spends (to
    mark used in the act's transaction); refused when an act that binds an agency has none. A
    code typed spends one of its tries before it is compared (committed at once, so no number
    of guesses at the same time gets more than CODE_TRIES)."""
    if link.action not in BINDING:
        return {}, None
    if signed_in == link.email:
        return {"proof": Proof.SESSION.value}, None
    typed = typed_code(confirmation.code)
    if not typed:
        raise Refused(
            f"this act binds {link.agency}: type the {CODE_DIGITS}-digit code emailed to "
            f"{link.email} (ask for it on this page), or sign in as {link.name} first"
        )
    code = _newest_code(session, link.id)
    if code is None:
        raise Refused(f"no code has been sent for this link: ask for one to {link.email} here")
    assert code.id is not None
    if code.used_at is not None or pendulum.instance(code.expires_at) <= now:
        raise Refused(f"the code sent to {link.email} has expired: ask for a new one")
    tried = session.execute(
        update(LinkCode)
        .where(
            col(LinkCode.id) == code.id,
            col(LinkCode.attempts) < CODE_TRIES,
            col(LinkCode.used_at).is_(None),
        )
        .values(attempts=col(LinkCode.attempts) + 1)
    )
    session.commit()
    if cast(CursorResult[Any], tried).rowcount != 1:
        raise Refused(
            f"the code sent to {link.email} has had its {CODE_TRIES} tries: ask for a new one"
        )
    if not hmac.compare_digest(code.code_hash, code_hash(_code_key(session), link.id, typed)):
        left = CODE_TRIES - code.attempts - 1
        then = f"{left} {'try' if left == 1 else 'tries'} left" if left else "ask for a new one"
        raise Refused(f"the code typed is not the code sent to {link.email}: {then}")
    session.rollback()
    return {"proof": Proof.CODE.value, "code": code.id}, code.id


def _code_key(session: Session) -> bytes:
    issuer = issuer_of(session)
    if issuer is None:
        raise RuntimeError("this engine has no link issuer (core.db.make_engine's `links`)")
    return issuer.key


def _use_link(
    link: Link, confirmation: Confirmation, now: pendulum.DateTime, code: int | None = None
) -> Callable[..., None]:
    """Inside the act's own transaction, once its use case is done: the version decided is the
    version shown, the code that proved the person is spent, and the link is still unused (of
    two POSTs at once, one marks it)."""

    def use(uow: Any) -> None:
        session: Session = uow.session
        if link.action is LinkAction.APPROVE:
            shown = version_view(session, link.subject).content_hash
            # a reject moves the arrangement on to its next version: compare before the act
            if confirmation.decision == "approve" and shown != confirmation.shown_hash:
                raise Refused(f"{link.subject} changed after it was shown to you")
        if code is not None:
            _spend_code(session, link, code, now)
        if not spend_link(session, link.id, now):
            raise Refused("this link cannot be used: it has just been used")

    return use


# --- handing an act to a colleague -----------------------------------------------------------

# who may be handed an act that binds an agency: a colleague in the role the act needs (§6: a
# signatory approves for its own agency; §35-§37 its nominated representative confirms the
# destruction; §29 its data protection officer decides on reporting to the ICO)
HANDED_TO = {
    LinkAction.APPROVE: ContactRole.SIGNATORY,
    LinkAction.CONFIRM_DISPOSAL: ContactRole.NOMINATED_REPRESENTATIVE,
    LinkAction.DECIDE_INCIDENT: ContactRole.DPO,
}


def _handed_by(session: Session, link: Link) -> str:
    """Whose act this link's person does, if it was handed to them; else ""."""
    found = session.exec(
        select(LinkDelegation.delegated_by)
        .where(LinkDelegation.action == link.action.value)
        .where(LinkDelegation.subject_ref == link.subject)
        .where(LinkDelegation.delegate == link.email)
        .order_by(col(LinkDelegation.id).desc())
    ).first()
    session.rollback()
    return found or ""


def hand_over(
    session: Session,
    *,
    link_id: int,
    colleague: str,
    confirmation: Confirmation,
    evidence: dict[str, Any],
    now: pendulum.DateTime,
    forged: bool = False,
    signed_in: str | None = None,
) -> list[DomainEvent]:
    """The link's addressee, proved as for the act itself, hands an act that binds their agency
    to a colleague in the same role at the same agency: recorded, the colleague emailed (they
    sign in to act, and their act's evidence names whose it was), and this link void."""
    link = link_by_id(session, link_id, now)
    if link.action not in BINDING:
        session.rollback()
        raise InvalidInput("only an act that binds an agency is handed to a colleague")
    role = HANDED_TO[link.action]
    address = colleague.strip().lower()
    if not address:
        raise InvalidInput("colleague: give the email address of the colleague")
    other = person(session, address)
    session.rollback()
    same_role = other is not None and other.agency == link.agency and other.has(role)
    if other is None or not same_role or other.email == link.email:
        raise InvalidInput(
            f"colleague: {address!r} is not another {role.value.replace('_', ' ')} of "
            f"{link.agency} in the register"
        )
    session.info[EVIDENCE] = {
        **evidence,
        "link": link.id,
        "typed_name": confirmation.typed_name,
        **({"signed_in_as": signed_in} if signed_in else {}),
    }
    try:
        try:
            if forged:
                raise Refused(
                    "the form's security token is missing or wrong: open the link in your "
                    "email again and confirm from the page it shows"
                )
            _check(session, link, confirmation, now, signed_in)
            proof, spent = _proved(session, link, confirmation, now, signed_in)
        except Refused as refusal:
            append_refusal(
                session,
                actor=link.email,
                action="link.hand_over",
                subject_type="action_link",
                subject_ref=str(link.id),
                detail=str(refusal),
                now=now,
            )
            session.commit()
            raise
        session.info[EVIDENCE].update(proof)
        with unit_of_work(session, actor=link.email, now=now, action="link.hand_over") as uow:
            uow.about("action_link", str(link.id))
            session.add(
                LinkDelegation(
                    link_id=link.id,
                    action=link.action.value,
                    subject_ref=link.subject,
                    delegated_by=link.email,
                    delegate=other.email,
                    created_at=now,
                )
            )
            uow.record(
                "link.hand_over",
                subject_type="action_link",
                subject_ref=str(link.id),
                after={"act": act_words(link), "to": other.email, "subject": link.subject},
            )
            uow.emit(
                ActHandedOver(
                    email=other.email,
                    delegated_by=link.email,
                    delegated_by_name=link.name,
                    act=act_words(link),
                    handed_at=now.isoformat(),
                )
            )
            _void_link(session, link, f"it was handed to {other.name} ({other.email})", now)
            if spent is not None:
                _spend_code(session, link, spent, now)
        return uow.events
    finally:
        session.info.pop(EVIDENCE, None)


def _void_link(session: Session, link: Link, reason: str, now: pendulum.DateTime) -> None:
    voided = session.execute(
        update(ActionLink)
        .where(
            col(ActionLink.id) == link.id,
            col(ActionLink.used_at).is_(None),
            col(ActionLink.voided_at).is_(None),
        )
        .values(voided_at=now, void_reason=reason)
    )
    if cast(CursorResult[Any], voided).rowcount != 1:
        raise Refused("this link cannot be used: it has just been used")


def _spend_code(session: Session, link: Link, code: int, now: pendulum.DateTime) -> None:
    consumed = session.execute(
        update(LinkCode)
        .where(
            col(LinkCode.id) == code,
            col(LinkCode.used_at).is_(None),
            col(LinkCode.expires_at) > now,
        )
        .values(used_at=now)
    )
    if cast(CursorResult[Any], consumed).rowcount != 1:
        raise Refused(f"the code sent to {link.email} has just been used or expired")


# --- the one-time code ------------------------------------------------------------------------


def act_words(link: Link) -> str:
    """The act a code is asked for, as its email names it."""
    if link.action is LinkAction.APPROVE:
        return f"approve or reject version {link.version} of {link.subject} for {link.agency}"
    if link.action is LinkAction.CONFIRM_DISPOSAL:
        return f"confirm that {link.agency} has destroyed the data of disposal task {link.subject}"
    return f"record {link.agency}'s decision on reporting {link.subject} to the ICO"


def code_sent(session: Session, link_id: int, now: pendulum.DateTime) -> str:
    """Until when the newest code of the link works, in words, or "" if none does."""
    code = _newest_code(session, link_id)
    session.rollback()
    if (
        code is None
        or code.used_at is not None
        or code.attempts >= CODE_TRIES
        or pendulum.instance(code.expires_at) <= now
    ):
        return ""
    return long_datetime(code.expires_at)


def send_code(
    session: Session, *, link_id: int, evidence: dict[str, Any], now: pendulum.DateTime
) -> pendulum.DateTime:
    """Email a one-time code to the link's addressee, for an act that binds their agency; it
    replaces any code sent before and works until the time returned. At most CODES_PER_HOUR
    codes go out for one link in an hour; a refusal is recorded with the web's evidence."""
    link = link_by_id(session, link_id, now)
    if link.action not in BINDING:
        session.rollback()
        raise InvalidInput("this act needs no code: confirm it with your name")
    session.info[EVIDENCE] = {**evidence, "link": link.id}
    try:
        try:
            if link.state is not LinkState.LIVE:
                raise Refused(f"this link cannot be used: {link.why}")
            recent = session.exec(
                select(func.count())
                .select_from(LinkCode)
                .where(LinkCode.link_id == link.id)
                .where(col(LinkCode.created_at) > now.subtract(hours=1))
            ).one()
            if recent >= CODES_PER_HOUR:
                raise Refused(
                    f"{CODES_PER_HOUR} codes were sent for this link in the last hour: use the "
                    "newest, or wait"
                )
        except Refused as refusal:
            append_refusal(
                session,
                actor=link.email,
                action="link.send_code",
                subject_type="action_link",
                subject_ref=str(link.id),
                detail=str(refusal),
                now=now,
            )
            session.commit()
            raise
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        expires = now.add(minutes=CODE_MINUTES)
        with unit_of_work(session, actor=link.email, now=now, action="link.send_code") as uow:
            uow.about("action_link", str(link.id))
            row = LinkCode(
                link_id=link.id,
                code_hash=code_hash(_code_key(session), link.id, code),
                created_at=now,
                expires_at=expires,
            )
            session.add(row)
            session.flush()
            assert row.id is not None
            uow.record(
                "link.send_code",
                subject_type="action_link",
                subject_ref=str(link.id),
                after={"code": row.id, "to": link.email, "expires_at": expires.isoformat()},
            )
            uow.emit(
                ActCodeRequested(
                    email=link.email,
                    act=act_words(link),
                    code=code,
                    code_id=row.id,
                    requested_at=now.isoformat(),
                    expires_at=expires.isoformat(),
                )
            )
        return expires
    finally:
        session.info.pop(EVIDENCE, None)


def _run(
    session: Session,
    link: Link,
    decision: str,
    confirmation: Confirmation,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    actor = link.email
    if link.action is LinkAction.APPROVE:
        if decision == "reject":
            return reject_arrangement(
                session, reference=link.subject, reason=confirmation.reason, actor=actor, now=now
            )
        return approve_arrangement(session, reference=link.subject, actor=actor, now=now)
    if link.action is LinkAction.CONFIRM_DISPOSAL:
        return confirm_disposal(
            session,
            task=link.subject,
            method=confirmation.method,
            certificate=confirmation.certificate,
            actor=actor,
            now=now,
        )
    if link.action is LinkAction.ACKNOWLEDGE_CONSENT:
        return acknowledge_consent(session, notice=link.subject, actor=actor, now=now)
    if link.action is LinkAction.CORRECT_DATA:
        return correct_data(
            session, notice=link.subject, correction=confirmation.correction, actor=actor, now=now
        )
    if link.action is LinkAction.CLOSE_REQUEST:
        return close_request(
            session,
            request=link.subject,
            outcome=confirmation.outcome,
            note=confirmation.note,
            actor=actor,
            now=now,
        )
    if link.action is LinkAction.REPLY_CONSULTATION:
        return reply_to_consultation(
            session,
            consultation=link.subject,
            objection=confirmation.objection,
            comments=confirmation.comments,
            actor=actor,
            now=now,
        )
    if link.action is LinkAction.ANSWER_ONWARD:
        return answer_onward_sharing(
            session,
            request=link.subject,
            consent=decision == "consent",
            reason=confirmation.reason,
            actor=actor,
            now=now,
        )
    if link.action is LinkAction.DECIDE_INCIDENT:
        # the form's yes/no choice comes as its outcome
        return decide_incident(
            session,
            incident=link.subject,
            notify_regulator=confirmation.outcome,
            reason=confirmation.reason,
            actor=actor,
            now=now,
        )
    if link.action is LinkAction.ACKNOWLEDGE_INCIDENT:
        return acknowledge_incident(session, incident=link.subject, actor=actor, now=now)
    if link.action is LinkAction.REVIEW:
        try:
            reviewed = ReviewOutcome(confirmation.outcome)
        except ValueError:
            raise InvalidInput(
                f"the outcome {confirmation.outcome!r} is not one of "
                + ", ".join(o.value for o in ReviewOutcome)
            ) from None
        return complete_review(
            session, reference=link.subject, outcome=reviewed, actor=actor, now=now
        )
    if link.action is LinkAction.ATTEST:
        if decision == "revoke":
            return revoke_access(
                session, grant=link.subject, reason=confirmation.reason, actor=actor, now=now
            )
        return attest_access(session, grant=link.subject, actor=actor, now=now)
    if decision == "schedule":
        try:
            at = parse_datetime(confirmation.meeting_at)
        except ValueError as exc:
            raise InvalidInput(f"the meeting time: {exc}") from None
        return schedule_meeting(
            session,
            suspension=link.subject,
            at=at,
            place=confirmation.place,
            actor=actor,
            now=now,
        )
    try:
        outcome = MeetingOutcome(confirmation.outcome)
    except ValueError:
        raise InvalidInput(
            f"the outcome {confirmation.outcome!r} is not one of "
            + ", ".join(o.value for o in MeetingOutcome)
        ) from None
    return record_meeting(
        session,
        suspension=link.subject,
        outcome=outcome,
        attendees=list(confirmation.attendees),
        risk_assessment=confirmation.risk_assessment,
        actor=actor,
        now=now,
    )
