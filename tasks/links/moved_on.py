"""Why a link's record no longer needs its act: the record moved on (a new version, the review
recorded, the task confirmed, the matter settled), so a link still live by its dates is void.
One function per act, named by the table of link acts (tasks/links/acts.py); each returns the
reason in words, or "" while the record still waits on the act."""

from datetime import datetime

import pendulum
from sqlmodel import Session, col, select

from models.enums import (
    AccessGrantStatus,
    ArrangementStatus,
    ConsentNoticeStatus,
    ConsultationStatus,
    DataQualityStatus,
    DisposalTaskStatus,
    IncidentStatus,
    InformationRequestStatus,
    OnwardRequestStatus,
    SuspensionStatus,
)
from models.tables import (
    AccessGrant,
    Agency,
    Arrangement,
    Chair,
    ConsentNotice,
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
from notifications.render import long_datetime
from notifications.tables import ActionLink
from tasks.links.records import find_record
from tasks.protocol.arrangements import awaiting_sign_off


def _by_on(done: str, by: str | None, at: datetime | None) -> str:
    """Who settled a record, and when: "<done> by <whom> on <when>"."""
    assert at is not None
    return f"{done} by {by} on {long_datetime(at)}"


def _missing(row: ActionLink) -> str:
    return f"{row.subject_ref} is not in the register"


def sign_in_moved_on(session: Session, row: ActionLink, agency: str | None) -> str:
    """A sign-in link: its person is no longer a contact or a chair."""
    if agency is not None:
        return ""
    chair = session.exec(select(Chair.id).where(Chair.email == row.email)).first()
    return "" if chair is not None else "you are no longer a contact here"


def approval_moved_on(session: Session, row: ActionLink, agency: str | None) -> str:
    arrangement = find_record(session, Arrangement, row.subject_ref)
    if arrangement is None:
        return _missing(row)
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


def review_moved_on(session: Session, row: ActionLink, agency: str | None) -> str:
    arrangement = find_record(session, Arrangement, row.subject_ref)
    if arrangement is None:
        return _missing(row)
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


def attestation_moved_on(session: Session, row: ActionLink, agency: str | None) -> str:
    grant = find_record(session, AccessGrant, row.subject_ref)
    if grant is None:
        return _missing(row)
    if grant.status == AccessGrantStatus.REVOKED:
        return f"{row.subject_ref} is revoked"
    if grant.attested_at is not None and pendulum.instance(grant.attested_at) >= pendulum.instance(
        row.created_at
    ):
        return f"{row.subject_ref} was re-attested on {long_datetime(grant.attested_at)}"
    return ""


def incident_decision_moved_on(session: Session, row: ActionLink, agency: str | None) -> str:
    incident = find_record(session, SecurityIncident, row.subject_ref)
    if incident is None:
        return _missing(row)
    if incident.status == IncidentStatus.REPORTED:
        return ""
    done = f"the decision on {row.subject_ref} was recorded"
    return _by_on(done, incident.decided_by, incident.decided_at)


def incident_acknowledgement_moved_on(session: Session, row: ActionLink, agency: str | None) -> str:
    incident = find_record(session, SecurityIncident, row.subject_ref)
    if incident is None:
        return _missing(row)
    if incident.acknowledged_at is None:
        return ""
    done = f"{row.subject_ref} was acknowledged"
    return _by_on(done, incident.acknowledged_by, incident.acknowledged_at)


def correction_moved_on(session: Session, row: ActionLink, agency: str | None) -> str:
    found = find_record(session, DataQualityNotice, row.subject_ref)
    if found is None:
        return _missing(row)
    if found.status == DataQualityStatus.OPEN:
        return ""
    return _by_on(f"{row.subject_ref} was corrected", found.corrected_by, found.corrected_at)


def request_moved_on(session: Session, row: ActionLink, agency: str | None) -> str:
    asked_for = find_record(session, InformationRequest, row.subject_ref)
    if asked_for is None:
        return _missing(row)
    if asked_for.status == InformationRequestStatus.OPEN:
        return ""
    done = f"the outcome of {row.subject_ref} was recorded"
    return _by_on(done, asked_for.closed_by, asked_for.closed_at)


def consultation_moved_on(session: Session, row: ActionLink, agency: str | None) -> str:
    asked = find_record(session, RequestConsultation, row.subject_ref)
    if asked is None:
        return _missing(row)
    if asked.status == ConsultationStatus.REPLIED:
        return _by_on(f"{row.subject_ref} was replied to", asked.replied_by, asked.replied_at)
    if asked.status == ConsultationStatus.LAPSED:
        return f"{row.subject_ref} lapsed: the request was answered before a reply came"
    return ""


def onward_moved_on(session: Session, row: ActionLink, agency: str | None) -> str:
    onward = find_record(session, OnwardRequest, row.subject_ref)
    if onward is None:
        return _missing(row)
    if onward.status == OnwardRequestStatus.OPEN:
        return ""
    done = f"{row.subject_ref} was {onward.status.value}"
    return _by_on(done, onward.answered_by, onward.answered_at)


def consent_moved_on(session: Session, row: ActionLink, agency: str | None) -> str:
    notice = find_record(session, ConsentNotice, row.subject_ref)
    if notice is None:
        return _missing(row)
    if notice.status == ConsentNoticeStatus.PENDING:
        return ""
    done = f"{row.subject_ref} was acknowledged"
    return _by_on(done, notice.acknowledged_by, notice.acknowledged_at)


def disposal_moved_on(session: Session, row: ActionLink, agency: str | None) -> str:
    task = find_record(session, DisposalTask, row.subject_ref)
    if task is None:
        return _missing(row)
    if task.status != DisposalTaskStatus.PENDING:
        return f"{row.subject_ref} is {task.status.value}"
    return ""


def meeting_moved_on(session: Session, row: ActionLink, agency: str | None) -> str:
    matter = find_record(session, Suspension, row.subject_ref)
    if matter is None:
        return _missing(row)
    if matter.status not in (SuspensionStatus.RAISED, SuspensionStatus.MEETING_SCHEDULED):
        return f"{row.subject_ref} is {matter.status.value.replace('_', ' ')}"
    return ""
