"""The register's tables (DESIGN §2), with the protocol's rules as database constraints where a
constraint can hold them, so no code path and no hand-edit can store what the protocol forbids."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, MetaData, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel, col, or_

from models.enums import (
    AccessGrantStatus,
    AgencyStatus,
    AmendmentStatus,
    ArrangementStatus,
    AuditOutcome,
    ConsentNoticeStatus,
    ConsultationStatus,
    ContactRole,
    DataQualityStatus,
    DisposalTaskStatus,
    IncidentStatus,
    InformationRequestStatus,
    MeetingOutcome,
    Nation,
    Objection,
    OnwardRequestStatus,
    PartyRole,
    ProtectiveMarking,
    RequestKind,
    RequestOutcome,
    ReviewOutcome,
    ReviewStatus,
    SecurityStandard,
    SharingOutcome,
    SignOffDecision,
    SuspensionStatus,
    WithdrawalStatus,
)
from models.types import enum_column, utc_column

# Named constraints, so migrations can refer to them on both SQLite and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata


def _nonblank(column: str) -> CheckConstraint:
    return CheckConstraint(f"length(trim({column})) > 0", name=f"{column}_not_blank")


class Agency(SQLModel, table=True):
    """A partner agency that has signed the Protocol (§2)."""

    __tablename__ = "agency"
    __table_args__ = (_nonblank("name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    # the name as it is compared (models.inputs.name_key): unique, so names differing only in
    # case, spacing or character width are one agency, on either backend
    name_key: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    nation: Nation = Field(default=Nation.ENGLAND_AND_WALES, sa_column=enum_column(Nation))
    ico_registration: str | None = None
    security_standard: SecurityStandard | None = Field(
        default=None, sa_column=enum_column(SecurityStandard, nullable=True)
    )
    status: AgencyStatus = Field(default=AgencyStatus.MEMBER, sa_column=enum_column(AgencyStatus))
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class Installation(SQLModel, table=True):
    """This register's own identifier, made once when it is created: Message-IDs and calendar
    UIDs carry it, so two registers never emit the same identifier for different things."""

    __tablename__ = "installation"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: int = Field(default=1, primary_key=True)
    identifier: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class Contact(SQLModel, table=True):
    """A person at an agency: a staff member, and with roles a signatory, representative, etc."""

    __tablename__ = "contact"
    __table_args__ = (
        Index("ix_contact_left_at", "left_at"),
        _nonblank("name"),
        CheckConstraint("email = lower(email)", name="email_lower"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", nullable=False, index=True)
    email: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    name: str = Field(sa_column=Column(Text, nullable=False))
    left_at: datetime | None = Field(default=None, sa_column=utc_column())
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class ContactRoleAssignment(SQLModel, table=True):
    __tablename__ = "contact_role"
    __table_args__ = (UniqueConstraint("contact_id", "role"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", nullable=False, index=True)
    role: ContactRole = Field(sa_column=enum_column(ContactRole))


class Chair(SQLModel, table=True):
    """A chair of the Information Governance Monitoring Group (§40, §42)."""

    __tablename__ = "chair"
    __table_args__ = (
        _nonblank("name"),
        CheckConstraint("email = lower(email)", name="email_lower"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    name: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class Arrangement(SQLModel, table=True):
    """A Partner Agency Information Sharing Arrangement (Appendix J)."""

    __tablename__ = "arrangement"
    __table_args__ = (
        _nonblank("title"),
        # §6: a lawful basis must be identified and recorded before anyone is asked to approve
        CheckConstraint(
            "status = 'draft' OR (lawful_basis IS NOT NULL AND length(trim(lawful_basis)) > 0)",
            name="lawful_basis_required",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("review_interval_months BETWEEN 1 AND 60", name="review_interval_range"),
        CheckConstraint("retention_months >= 0", name="retention_nonnegative"),
        CheckConstraint(
            "status IN ('draft', 'awaiting_approval') OR next_review_due IS NOT NULL",
            name="approved_has_review_date",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    title: str = Field(sa_column=Column(Text, nullable=False))
    purposes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    lawful_basis: str | None = Field(default=None, sa_column=Column(Text))
    special_category_condition: str | None = Field(default=None, sa_column=Column(Text))
    consent_basis: str | None = Field(default=None, sa_column=Column(Text))
    transfer_method: str | None = Field(default=None, sa_column=Column(Text))
    security_arrangements: str | None = Field(default=None, sa_column=Column(Text))
    storage_arrangements: str | None = Field(default=None, sa_column=Column(Text))
    access_arrangements: str | None = Field(default=None, sa_column=Column(Text))
    retention_months: int = Field(nullable=False)
    retention_rule: str | None = Field(default=None, sa_column=Column(Text))
    disposal_method: str | None = Field(default=None, sa_column=Column(Text))
    review_interval_months: int = Field(default=12, nullable=False)
    version: int = Field(default=1, nullable=False)
    status: ArrangementStatus = Field(
        default=ArrangementStatus.DRAFT, sa_column=enum_column(ArrangementStatus)
    )
    next_review_due: date | None = None
    drafted_by: str = Field(nullable=False)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=utc_column(nullable=False))
    submitted_at: datetime | None = Field(default=None, sa_column=utc_column())
    # how far the chase for missing sign-offs has gone: 1 reminded (day 7), 2 escalated (day 14)
    approval_chase: int = Field(default=0, nullable=False)
    activated_at: datetime | None = Field(default=None, sa_column=utc_column())
    ended_at: datetime | None = Field(default=None, sa_column=utc_column())
    # the last version every party approved: what is in force, and what every obligation
    # (retention, access, review, parties) follows while an amendment is drafted and signed
    in_force_version: int | None = None
    # an amendment of the version in force (models.lifecycles.AMENDMENT), and its draft's
    # Appendix J content until it is submitted: never the columns above, which stay in force
    amendment: AmendmentStatus | None = Field(
        default=None, sa_column=enum_column(AmendmentStatus, nullable=True)
    )
    amendment_draft: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


def awaiting_sign_off() -> Any:
    """Where an arrangement's current version waits for its parties' sign-offs: a first version
    awaiting approval, or an amendment of one in force
    (tasks.protocol.arrangements.awaiting_sign_off)."""
    return or_(
        col(Arrangement.status) == ArrangementStatus.AWAITING_APPROVAL,
        col(Arrangement.amendment) == AmendmentStatus.AWAITING_APPROVAL,
    )


class ArrangementParty(SQLModel, table=True):
    """An agency's part in an arrangement; `left_at` is set when it withdraws (§42)."""

    __tablename__ = "arrangement_party"
    __table_args__ = (UniqueConstraint("arrangement_id", "agency_id"),)

    id: int | None = Field(default=None, primary_key=True)
    arrangement_id: int = Field(foreign_key="arrangement.id", nullable=False, index=True)
    agency_id: int = Field(foreign_key="agency.id", nullable=False, index=True)
    role: PartyRole = Field(sa_column=enum_column(PartyRole))
    left_at: datetime | None = Field(default=None, sa_column=utc_column())


class DataItem(SQLModel, table=True):
    """What is shared, with its protective marking (§30) and statutory restrictions (§16)."""

    __tablename__ = "data_item"
    __table_args__ = (_nonblank("name"),)

    id: int | None = Field(default=None, primary_key=True)
    arrangement_id: int = Field(foreign_key="arrangement.id", nullable=False, index=True)
    name: str = Field(sa_column=Column(Text, nullable=False))
    description: str | None = Field(default=None, sa_column=Column(Text))
    protective_marking: ProtectiveMarking = Field(sa_column=enum_column(ProtectiveMarking))
    statutory_restrictions: str | None = Field(default=None, sa_column=Column(Text))
    personal_data: bool = Field(default=True, nullable=False)
    special_category: bool = Field(default=False, nullable=False)


class OverseasTransfer(SQLModel, table=True):
    """A transfer outside the EEA; §10 refuses one without an adequate level of protection."""

    __tablename__ = "overseas_transfer"
    __table_args__ = (_nonblank("country"), _nonblank("adequacy"))

    id: int | None = Field(default=None, primary_key=True)
    arrangement_id: int = Field(foreign_key="arrangement.id", nullable=False, index=True)
    country: str = Field(sa_column=Column(Text, nullable=False))
    adequacy: str = Field(sa_column=Column(Text, nullable=False))


class ArrangementVersion(SQLModel, table=True):
    """A submitted version of an arrangement exactly as it was put to its signatories: its full
    Appendix J content, the template version and the content hash its sign-offs bind to
    (models.versions). Append-only: the database refuses to update or delete it (migration 0019).
    """

    __tablename__ = "arrangement_version"
    __table_args__ = (
        UniqueConstraint("arrangement_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    arrangement_id: int = Field(foreign_key="arrangement.id", nullable=False, index=True)
    version: int = Field(nullable=False)
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # the parties' agency ids in the order of content["parties"]: who signs this version
    agency_ids: list[int] = Field(sa_column=Column(JSON, nullable=False))
    template_version: str = Field(sa_column=Column(Text, nullable=False))
    content_hash: str = Field(sa_column=Column(Text, nullable=False))
    submitted_at: datetime = Field(sa_column=utc_column(nullable=False))
    submitted_by: str = Field(nullable=False)


class SignOff(SQLModel, table=True):
    """One party's decision on one version of an arrangement; a new version needs new ones."""

    __tablename__ = "sign_off"
    __table_args__ = (UniqueConstraint("arrangement_id", "version", "agency_id"),)

    id: int | None = Field(default=None, primary_key=True)
    arrangement_id: int = Field(foreign_key="arrangement.id", nullable=False, index=True)
    version: int = Field(nullable=False)
    agency_id: int = Field(foreign_key="agency.id", nullable=False)
    contact_id: int = Field(foreign_key="contact.id", nullable=False)
    decision: SignOffDecision = Field(sa_column=enum_column(SignOffDecision))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    decided_at: datetime = Field(sa_column=utc_column(nullable=False))
    # the hash of the version decided (ArrangementVersion.content_hash); None only for a
    # sign-off made before migration 0019, whose hash was not recorded
    content_hash: str | None = Field(default=None, sa_column=Column(Text))


class Review(SQLModel, table=True):
    """A periodic review of an arrangement (§31), due on a date, completed with an outcome."""

    __tablename__ = "review"
    __table_args__ = (
        UniqueConstraint("arrangement_id", "due_on"),
        Index("ix_review_status_due_on", "status", "due_on"),
        CheckConstraint(
            "(status = 'completed') = (outcome IS NOT NULL)", name="outcome_iff_completed"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    arrangement_id: int = Field(foreign_key="arrangement.id", nullable=False, index=True)
    due_on: date = Field(nullable=False)
    status: ReviewStatus = Field(
        default=ReviewStatus.SCHEDULED, sa_column=enum_column(ReviewStatus)
    )
    opened_at: datetime | None = Field(default=None, sa_column=utc_column())
    completed_at: datetime | None = Field(default=None, sa_column=utc_column())
    completed_by: str | None = None
    # the most urgent reminder rung sent so far (days before due), so a sweep sends each once
    reminded_rung: int | None = None
    # how far an overdue review has been escalated: 1 the party signatories, 2 the chairs
    escalation: int = Field(default=0, nullable=False)
    outcome: ReviewOutcome | None = Field(
        default=None, sa_column=enum_column(ReviewOutcome, nullable=True)
    )


class TrainingRecord(SQLModel, table=True):
    """Training a staff member completed (§12, §38–39)."""

    __tablename__ = "training_record"
    __table_args__ = (
        Index("ix_training_record_expires_on", "expires_on"),
        _nonblank("course"),
        CheckConstraint("expires_on IS NULL OR expires_on > completed_on", name="expiry_after"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", nullable=False, index=True)
    course: str = Field(sa_column=Column(Text, nullable=False))
    completed_on: date = Field(nullable=False)
    expires_on: date | None = None
    recorded_at: datetime = Field(sa_column=utc_column(nullable=False))
    # the holder has been told this training is about to lapse
    expiry_reminded: bool = Field(default=False, nullable=False)


class AccessGrant(SQLModel, table=True):
    """A staff member's need-to-know access to an arrangement's data (§10, §25)."""

    __tablename__ = "access_grant"
    __table_args__ = (
        Index("ix_access_grant_status_expires_on", "status", "expires_on"),
        Index("ix_access_grant_status_attested_at", "status", "attested_at"),
        _nonblank("justification"),
        CheckConstraint(
            "(status = 'revoked') = (revoked_at IS NOT NULL AND revoked_reason IS NOT NULL)",
            name="revocation_recorded",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    arrangement_id: int = Field(foreign_key="arrangement.id", nullable=False, index=True)
    contact_id: int = Field(foreign_key="contact.id", nullable=False, index=True)
    agency_id: int = Field(foreign_key="agency.id", nullable=False)
    justification: str = Field(sa_column=Column(Text, nullable=False))
    status: AccessGrantStatus = Field(
        default=AccessGrantStatus.ACTIVE, sa_column=enum_column(AccessGrantStatus)
    )
    granted_at: datetime = Field(sa_column=utc_column(nullable=False))
    granted_by: str = Field(nullable=False)
    expires_on: date | None = None
    # need to know is re-attested by the agency's point of contact at an interval (§10)
    attested_at: datetime | None = Field(default=None, sa_column=utc_column())
    attestation_reminded_at: datetime | None = Field(default=None, sa_column=utc_column())
    revoked_at: datetime | None = Field(default=None, sa_column=utc_column())
    revoked_by: str | None = None
    revoked_reason: str | None = Field(default=None, sa_column=Column(Text))


class DisposalTask(SQLModel, table=True):
    """A recipient agency's duty to destroy the data it received (§9, §35–37)."""

    __tablename__ = "disposal_task"
    __table_args__ = (
        Index("ix_disposal_task_status_due_on", "status", "due_on"),
        UniqueConstraint("arrangement_id", "agency_id"),
        CheckConstraint(
            "status = 'pending' OR (confirmed_at IS NOT NULL AND certificate IS NOT NULL)",
            name="confirmation_recorded",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    arrangement_id: int = Field(foreign_key="arrangement.id", nullable=False, index=True)
    agency_id: int = Field(foreign_key="agency.id", nullable=False)
    due_on: date = Field(nullable=False)
    method: str | None = Field(default=None, sa_column=Column(Text))
    status: DisposalTaskStatus = Field(
        default=DisposalTaskStatus.PENDING, sa_column=enum_column(DisposalTaskStatus)
    )
    confirmed_at: datetime | None = Field(default=None, sa_column=utc_column())
    confirmed_by: str | None = None
    certificate: str | None = None
    # the nearest reminder rung sent (days before due), and how far an overdue task has been
    # escalated: 1 the agency's DPO, 2 the chairs
    reminded_rung: int | None = None
    escalation: int = Field(default=0, nullable=False)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class Suspension(SQLModel, table=True):
    """A partner agency's 30-day suspension of its obligations (§41)."""

    __tablename__ = "suspension"
    __table_args__ = (
        _nonblank("reason"),
        CheckConstraint("meeting_deadline > raised_at", name="deadline_after_raise"),
        CheckConstraint("ends_at > meeting_deadline", name="end_after_deadline"),
        # one live suspension per agency: a second is refused while the first runs
        Index(
            "uq_suspension_one_open_per_agency",
            "agency_id",
            unique=True,
            sqlite_where=text("status <> 'ended'"),
            postgresql_where=text("status <> 'ended'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    agency_id: int = Field(foreign_key="agency.id", nullable=False, index=True)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    raised_by: str = Field(nullable=False)
    raised_at: datetime = Field(sa_column=utc_column(nullable=False))
    meeting_deadline: datetime = Field(sa_column=utc_column(nullable=False))
    ends_at: datetime = Field(sa_column=utc_column(nullable=False))
    status: SuspensionStatus = Field(
        default=SuspensionStatus.RAISED, sa_column=enum_column(SuspensionStatus)
    )
    meeting_at: datetime | None = Field(default=None, sa_column=utc_column())
    # how many times the meeting was moved after it was first set (its invitation's SEQUENCE,
    # RFC 5545: 0 for the first), and the chair who set it last (the invitation's organizer)
    meeting_sequence: int | None = None
    meeting_set_by: str | None = None
    # where the meeting is held, or how to join it (the invitation's LOCATION)
    meeting_place: str | None = Field(default=None, sa_column=Column(Text))
    meeting_held_at: datetime | None = Field(default=None, sa_column=utc_column())
    risk_assessment: str | None = Field(default=None, sa_column=Column(Text))
    outcome: MeetingOutcome | None = Field(
        default=None, sa_column=enum_column(MeetingOutcome, nullable=True)
    )
    ended_at: datetime | None = Field(default=None, sa_column=utc_column())
    # what the suspension's checkers and the deadline sweep have done, each once
    chairs_reminded_at: datetime | None = Field(default=None, sa_column=utc_column())
    escalated_at: datetime | None = Field(default=None, sa_column=utc_column())
    end_noticed_at: datetime | None = Field(default=None, sa_column=utc_column())


class MeetingAttendance(SQLModel, table=True):
    """Who attended a suspension's risk assessment and resolution meeting (§41)."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (UniqueConstraint("suspension_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    suspension_id: int = Field(foreign_key="suspension.id", nullable=False, index=True)
    email: str = Field(nullable=False)
    name: str = Field(nullable=False)
    capacity: str = Field(nullable=False)


class Withdrawal(SQLModel, table=True):
    """A partner agency's written notice of withdrawal to the chairs, with its reason (§42)."""

    __tablename__ = "withdrawal"
    __table_args__ = (_nonblank("reason"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    agency_id: int = Field(foreign_key="agency.id", nullable=False, unique=True)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    raised_by: str = Field(nullable=False)
    noticed_at: datetime = Field(sa_column=utc_column(nullable=False))
    effective_on: date = Field(nullable=False)
    status: WithdrawalStatus = Field(
        default=WithdrawalStatus.NOTIFIED, sa_column=enum_column(WithdrawalStatus)
    )
    suspension_id: int | None = Field(default=None, foreign_key="suspension.id")
    completed_at: datetime | None = Field(default=None, sa_column=utc_column())


class ConsentWithdrawal(SQLModel, table=True):
    """A data subject withdrew consent (§9, §18): the agency that received the notice tells every
    partner it shared their data with to cease processing it. The register keeps the agency's
    own reference for the data subject only, never a name or other personal detail."""

    __tablename__ = "consent_withdrawal"
    __table_args__ = (_nonblank("subject_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    agency_id: int = Field(foreign_key="agency.id", nullable=False, index=True)
    subject_ref: str = Field(sa_column=Column(Text, nullable=False))
    # the references of the arrangements the data was shared under
    arrangements: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    raised_by: str = Field(nullable=False)
    raised_at: datetime = Field(sa_column=utc_column(nullable=False))
    # when the last partner acknowledged: the matter is closed
    closed_at: datetime | None = Field(default=None, sa_column=utc_column())


class ConsentNotice(SQLModel, table=True):
    """One partner's duty to cease processing a data subject's data (§9, §18), acknowledged by
    its nominated representative."""

    __tablename__ = "consent_notice"
    __table_args__ = (
        UniqueConstraint("consent_id", "agency_id"),
        CheckConstraint(
            "status = 'pending' OR (acknowledged_at IS NOT NULL AND acknowledged_by IS NOT NULL)",
            name="acknowledgement_recorded",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    consent_id: int = Field(foreign_key="consent_withdrawal.id", nullable=False, index=True)
    agency_id: int = Field(foreign_key="agency.id", nullable=False)
    status: ConsentNoticeStatus = Field(
        default=ConsentNoticeStatus.PENDING, sa_column=enum_column(ConsentNoticeStatus)
    )
    notified_at: datetime = Field(sa_column=utc_column(nullable=False))
    acknowledged_at: datetime | None = Field(default=None, sa_column=utc_column())
    acknowledged_by: str | None = None
    # how far an unacknowledged notice has been chased (models.clocks.chase_rung):
    # 1 reminded, 2 reminded with the agency's DPO told, 3 the chairs told
    chased: int = Field(default=0, nullable=False)


class DataQualityNotice(SQLModel, table=True):
    """Information a recipient found inaccurate or inadequate for the purpose, notified to the
    agency that disclosed it, its owner (§32, §33); the owner's nominated representative records
    the correction, and the arrangement's other recipients are told of it."""

    __tablename__ = "data_quality_notice"
    __table_args__ = (
        _nonblank("what"),
        CheckConstraint("owner_id <> reporter_id", name="owner_is_another_agency"),
        CheckConstraint(
            "status = 'open' OR (corrected_at IS NOT NULL AND correction IS NOT NULL)",
            name="correction_recorded",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    arrangement_id: int = Field(foreign_key="arrangement.id", nullable=False, index=True)
    reporter_id: int = Field(foreign_key="agency.id", nullable=False)
    owner_id: int = Field(foreign_key="agency.id", nullable=False)
    what: str = Field(sa_column=Column(Text, nullable=False))
    reported_by: str = Field(nullable=False)
    reported_at: datetime = Field(sa_column=utc_column(nullable=False))
    status: DataQualityStatus = Field(
        default=DataQualityStatus.OPEN, sa_column=enum_column(DataQualityStatus)
    )
    correction: str | None = Field(default=None, sa_column=Column(Text))
    corrected_by: str | None = None
    corrected_at: datetime | None = Field(default=None, sa_column=utc_column())
    # how far an uncorrected notice has been chased (models.clocks.chase_rung)
    chased: int = Field(default=0, nullable=False)


class InformationRequest(SQLModel, table=True):
    """A freedom of information or subject access request an agency received that touches data
    shared with it under arrangements (§7): its statutory due date (models.clocks), the agency's
    own case reference and a summary without personal detail, and the outcome it recorded."""

    __tablename__ = "information_request"
    __table_args__ = (
        _nonblank("their_ref"),
        _nonblank("summary"),
        UniqueConstraint("agency_id", "kind", "their_ref"),
        CheckConstraint("due_on >= received_on", name="due_after_receipt"),
        CheckConstraint(
            "status = 'open' OR (outcome IS NOT NULL AND closed_at IS NOT NULL "
            "AND within_due IS NOT NULL)",
            name="outcome_recorded",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    # the agency that received the request and answers it
    agency_id: int = Field(foreign_key="agency.id", nullable=False, index=True)
    kind: RequestKind = Field(sa_column=enum_column(RequestKind))
    their_ref: str = Field(sa_column=Column(Text, nullable=False))
    received_on: date = Field(nullable=False)
    due_on: date = Field(nullable=False)
    # the references of the arrangements the requested data was shared under
    arrangements: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    summary: str = Field(sa_column=Column(Text, nullable=False))
    recorded_by: str = Field(nullable=False)
    recorded_at: datetime = Field(sa_column=utc_column(nullable=False))
    status: InformationRequestStatus = Field(
        default=InformationRequestStatus.OPEN, sa_column=enum_column(InformationRequestStatus)
    )
    outcome: RequestOutcome | None = Field(
        default=None, sa_column=enum_column(RequestOutcome, nullable=True)
    )
    outcome_note: str | None = Field(default=None, sa_column=Column(Text))
    closed_by: str | None = None
    closed_at: datetime | None = Field(default=None, sa_column=utc_column())
    # answered on or before the due date (the London date it was closed)
    within_due: bool | None = None
    # how far the due date has been chased (models.clocks.request_reminder_rung): 1 and 2 the
    # reminders before it, 3 the DPO and the chairs told it passed
    reminded: int = Field(default=0, nullable=False)


class RequestConsultation(SQLModel, table=True):
    """One originating agency consulted on an information request for data it shared (§7): its
    reply-by date (models.clocks.consultation_reply_by) and its reply."""

    __tablename__ = "request_consultation"
    __table_args__ = (
        UniqueConstraint("request_id", "agency_id"),
        CheckConstraint(
            "status <> 'replied' OR (objection IS NOT NULL AND replied_at IS NOT NULL "
            "AND replied_by IS NOT NULL)",
            name="reply_recorded",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    request_id: int = Field(foreign_key="information_request.id", nullable=False, index=True)
    # the originator: an agency that disclosed the data under the request's arrangements
    agency_id: int = Field(foreign_key="agency.id", nullable=False)
    sent_at: datetime = Field(sa_column=utc_column(nullable=False))
    reply_by: date = Field(nullable=False)
    status: ConsultationStatus = Field(
        default=ConsultationStatus.AWAITING, sa_column=enum_column(ConsultationStatus)
    )
    objection: Objection | None = Field(
        default=None, sa_column=enum_column(Objection, nullable=True)
    )
    comments: str | None = Field(default=None, sa_column=Column(Text))
    replied_by: str | None = None
    replied_at: datetime | None = Field(default=None, sa_column=utc_column())
    # how far an unanswered consultation has been chased (models.clocks.consultation_chase_rung):
    # 1 reminded, 2 reminded with the originator's DPO told
    chased: int = Field(default=0, nullable=False)


class SharingDecision(SQLModel, table=True):
    """A nominated representative's decision on another partner's request for data (§9, §19):
    share, share part, or refuse; what data, for what purpose, on what legal basis, with the
    reasoning and how the requester's identity or authenticity was checked (§13). A decision not
    to disclose all of it is told to the requesting agency."""

    __tablename__ = "sharing_decision"
    __table_args__ = (
        _nonblank("data"),
        _nonblank("purpose"),
        _nonblank("legal_basis"),
        _nonblank("reasoning"),
        CheckConstraint("requester_id <> agency_id", name="requester_is_another_agency"),
        # §13: nothing is disclosed before the requester's identity is checked
        CheckConstraint(
            "outcome = 'refuse' OR length(trim(coalesce(identity_check, ''))) > 0",
            name="identity_checked_before_disclosure",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    arrangement_id: int = Field(foreign_key="arrangement.id", nullable=False, index=True)
    # the agency that decided, which discloses under the arrangement
    agency_id: int = Field(foreign_key="agency.id", nullable=False)
    requester_id: int = Field(foreign_key="agency.id", nullable=False)
    outcome: SharingOutcome = Field(sa_column=enum_column(SharingOutcome))
    data: str = Field(sa_column=Column(Text, nullable=False))
    purpose: str = Field(sa_column=Column(Text, nullable=False))
    legal_basis: str = Field(sa_column=Column(Text, nullable=False))
    reasoning: str = Field(sa_column=Column(Text, nullable=False))
    identity_check: str | None = Field(default=None, sa_column=Column(Text))
    decided_by: str = Field(nullable=False)
    decided_at: datetime = Field(sa_column=utc_column(nullable=False))


class OnwardRequest(SQLModel, table=True):
    """A recipient's request to share data it received onward with a third party, which needs
    the consent of the originating agency (§11, §15); the originator's nominated representative
    consents or refuses, with a reason, and the requesting agency is told."""

    __tablename__ = "onward_request"
    __table_args__ = (
        _nonblank("third_party"),
        _nonblank("data"),
        _nonblank("purpose"),
        CheckConstraint("owner_id <> requester_id", name="owner_is_another_agency"),
        CheckConstraint(
            "status = 'open' OR (answered_at IS NOT NULL AND answer_reason IS NOT NULL)",
            name="answer_recorded",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    arrangement_id: int = Field(foreign_key="arrangement.id", nullable=False, index=True)
    requester_id: int = Field(foreign_key="agency.id", nullable=False)
    owner_id: int = Field(foreign_key="agency.id", nullable=False)
    third_party: str = Field(sa_column=Column(Text, nullable=False))
    data: str = Field(sa_column=Column(Text, nullable=False))
    purpose: str = Field(sa_column=Column(Text, nullable=False))
    requested_by: str = Field(nullable=False)
    requested_at: datetime = Field(sa_column=utc_column(nullable=False))
    status: OnwardRequestStatus = Field(
        default=OnwardRequestStatus.OPEN, sa_column=enum_column(OnwardRequestStatus)
    )
    answer_reason: str | None = Field(default=None, sa_column=Column(Text))
    answered_by: str | None = None
    answered_at: datetime | None = Field(default=None, sa_column=utc_column())
    # how far an unanswered request has been chased (models.clocks.chase_rung)
    chased: int = Field(default=0, nullable=False)


class SecurityIncident(SQLModel, table=True):
    """A security breach in which information an agency received from a partner was compromised
    (§29): the originator is told at once and acknowledges; the reporting agency's DPO records,
    against the 72 hours from awareness, whether it is reported to the ICO and why. `what` is
    emailed, so it holds references, never personal detail."""

    __tablename__ = "security_incident"
    __table_args__ = (
        _nonblank("what"),
        CheckConstraint("originator_id <> agency_id", name="originator_is_another_agency"),
        CheckConstraint("aware_at <= reported_at", name="aware_before_reported"),
        CheckConstraint(
            "status = 'reported' OR (decided_at IS NOT NULL AND decided_by IS NOT NULL "
            "AND notify_regulator IS NOT NULL AND decision_reason IS NOT NULL "
            "AND decided_in_time IS NOT NULL)",
            name="decision_recorded",
        ),
        CheckConstraint(
            "(acknowledged_at IS NULL) = (acknowledged_by IS NULL)",
            name="acknowledgement_recorded",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    arrangement_id: int = Field(foreign_key="arrangement.id", nullable=False, index=True)
    # the agency where the information was compromised, which reports it
    agency_id: int = Field(foreign_key="agency.id", nullable=False)
    # the agency that disclosed the information: the originator (§29)
    originator_id: int = Field(foreign_key="agency.id", nullable=False)
    what: str = Field(sa_column=Column(Text, nullable=False))
    aware_at: datetime = Field(sa_column=utc_column(nullable=False))
    reported_by: str = Field(nullable=False)
    reported_at: datetime = Field(sa_column=utc_column(nullable=False))
    status: IncidentStatus = Field(
        default=IncidentStatus.REPORTED, sa_column=enum_column(IncidentStatus)
    )
    notify_regulator: bool | None = None
    decision_reason: str | None = Field(default=None, sa_column=Column(Text))
    decided_by: str | None = None
    decided_at: datetime | None = Field(default=None, sa_column=utc_column())
    # whether the decision came within the 72 hours (models.clocks.decided_in_time)
    decided_in_time: bool | None = None
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = Field(default=None, sa_column=utc_column())
    # the suspension of the reporting agency raised with it, if any (its reason names the
    # incident: the two point at each other)
    suspension_id: int | None = Field(default=None, foreign_key="suspension.id")
    # how far an undecided incident has been chased (models.clocks.incident_rung):
    # 1-3 the DPO reminded at 24, 48, 66 hours, 4 overdue with its signatories and the chairs told
    chased: int = Field(default=0, nullable=False)
    # how far an unacknowledged notice to the originator has been chased, in its working days
    # (models.clocks.chase_rung): 1 reminded, 2 reminded with its signatories told, 3 the chairs
    acknowledgement_chased: int = Field(default=0, nullable=False)


class ReferenceCounter(SQLModel, table=True):
    """The last number issued per reference prefix and year (ISA-2026-0001)."""

    __tablename__ = "reference_counter"
    __table_args__ = (UniqueConstraint("prefix", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(nullable=False)
    year: int = Field(nullable=False)
    last: int = Field(default=0, nullable=False)


class AuditEvent(SQLModel, table=True):
    """An append-only record of every state change and every refusal, chained by a keyed hash;
    the database refuses to update or delete it (migration 0008)."""

    __tablename__ = "audit_event"

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    occurred_at: datetime = Field(sa_column=utc_column(nullable=False))
    # on whose behalf: a contact's or chair's address, or the operator ("cli:<user>") or a flow
    actor: str = Field(nullable=False)
    # the way in (cli, prefect, web) and the operating-system user of the process that wrote it
    channel: str = Field(nullable=False)
    os_user: str | None = None
    action: str = Field(nullable=False)
    outcome: AuditOutcome = Field(sa_column=enum_column(AuditOutcome))
    subject_type: str | None = None
    subject_ref: str | None = None
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    detail: str | None = Field(default=None, sa_column=Column(Text))
    # how the person was known, where the way in has more to say than its channel: the web
    # portal's link id, client address, user agent, typed name and the content hash shown
    evidence: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    prev_hash: str = Field(nullable=False)
    hash: str = Field(nullable=False, unique=True)


class AuditHead(SQLModel, table=True):
    """The chain's head, one row; updating it first serialises appends on every backend."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(default=0, nullable=False)
    hash: str = Field(nullable=False)


class PortalAttempt(SQLModel, table=True):
    """One attempt the portal counts against a limit (a sign-in asked for, an act refused), by
    its key ("client:<address>", "link:<id>", ...): kept in the register so that every portal
    process sees the same counts and a restart forgets none; rows older than the window are
    pruned."""

    __tablename__ = "portal_attempt"
    __table_args__ = (Index("ix_portal_attempt_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Field(sa_column=utc_column(nullable=False, index=True))


class PortalSessionEnd(SQLModel, table=True):
    """A portal session ended by signing out (its cookie's nonce): the cookie, even copied, no
    longer opens anything. Kept until the cookie would have expired anyway, then pruned."""

    __tablename__ = "portal_session_end"

    nonce: str = Field(sa_column=Column(Text, primary_key=True))
    ended_at: datetime = Field(sa_column=utc_column(nullable=False))
    expires_at: datetime = Field(sa_column=utc_column(nullable=False, index=True))
