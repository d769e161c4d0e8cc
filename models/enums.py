"""The protocol's vocabulary as enums: states, roles and outcomes stored in the register.

Stored as their string values, so the database, the CLI and the audit log speak the same words.
"""

from enum import StrEnum


class SecurityStandard(StrEnum):
    """The information security standard an agency works to (§25)."""

    ISO27001 = "iso27001"
    DSPT = "dspt"
    OTHER = "other"


class Nation(StrEnum):
    """The UK jurisdiction whose public holidays an agency keeps: a subject access request's
    deadline moves past the controller's own holidays, not every nation's (ICO guidance)."""

    ENGLAND_AND_WALES = "england_and_wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern_ireland"


class ContactRole(StrEnum):
    """What a person may do for their agency under the protocol (§13, §25, §40, §42)."""

    SIGNATORY = "signatory"
    NOMINATED_REPRESENTATIVE = "nominated_representative"
    POINT_OF_CONTACT = "point_of_contact"
    DPO = "dpo"


class AgencyStatus(StrEnum):
    MEMBER = "member"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


class ArrangementStatus(StrEnum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    ACTIVE = "active"
    UNDER_REVIEW = "under_review"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    LAPSED = "lapsed"
    DISPOSAL_PENDING = "disposal_pending"
    CLOSED = "closed"


class AmendmentStatus(StrEnum):
    """An amendment of an arrangement in force: drafted, then signed by every party, then
    adopted (its version is in force from then); abandoned if the arrangement ends first."""

    DRAFTING = "drafting"
    AWAITING_APPROVAL = "awaiting_approval"
    ADOPTED = "adopted"
    ABANDONED = "abandoned"


class PartyRole(StrEnum):
    """Which way data flows for a party: it discloses, receives, or both."""

    DISCLOSER = "discloser"
    RECIPIENT = "recipient"
    BOTH = "both"


class ProtectiveMarking(StrEnum):
    """Government Security Classifications, as §30 recommends."""

    UNMARKED = "unmarked"
    OFFICIAL = "official"
    OFFICIAL_SENSITIVE = "official_sensitive"
    SECRET = "secret"
    TOP_SECRET = "top_secret"


class SignOffDecision(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"


class ReviewStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class ReviewOutcome(StrEnum):
    RENEW = "renew"
    AMEND = "amend"
    TERMINATE = "terminate"


class AccessGrantStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    REVOKED = "revoked"


class DisposalTaskStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"


class DataQualityStatus(StrEnum):
    """Data found inaccurate or inadequate, notified to its owner (§33): open until the owner's
    nominated representative records the correction."""

    OPEN = "open"
    CORRECTED = "corrected"


class RequestKind(StrEnum):
    """A request for information that touches shared data (§7): under the Freedom of Information
    Act (20 UK working days) or a data subject's access request (one calendar month)."""

    FOI = "foi"
    SAR = "sar"


class InformationRequestStatus(StrEnum):
    """An information request (§7): open until the agency that received it records its outcome."""

    OPEN = "open"
    CLOSED = "closed"


class RequestOutcome(StrEnum):
    """How the agency that received an information request answered it."""

    DISCLOSED = "disclosed"
    PARTLY_DISCLOSED = "partly_disclosed"
    WITHHELD = "withheld"
    NOT_HELD = "not_held"


class ConsultationStatus(StrEnum):
    """An originating agency consulted on a request for the data it shared (§7): awaiting until
    its nominated representative or DPO replies, or lapsed when the request is answered first."""

    AWAITING = "awaiting"
    REPLIED = "replied"
    LAPSED = "lapsed"


class Objection(StrEnum):
    """An originator's reply to a consultation: no objection to disclosure, or objects."""

    NONE = "none"
    OBJECTS = "objects"


class SharingOutcome(StrEnum):
    """A nominated representative's decision on a request for data (§9, §19): to disclose all
    that was asked, part of it, or none. Partial and refused decisions are told to the
    requesting agency at once."""

    SHARE = "share"
    PARTIAL = "partial"
    REFUSE = "refuse"


class OnwardRequestStatus(StrEnum):
    """A recipient's request to share data onward with a third party (§11, §15): open until the
    originating agency's nominated representative consents or refuses."""

    OPEN = "open"
    CONSENTED = "consented"
    REFUSED = "refused"


class IncidentStatus(StrEnum):
    """A security incident in which information received from a partner was compromised (§29):
    open until the reporting agency's DPO records whether it is reported to the ICO."""

    REPORTED = "reported"
    DECIDED = "decided"


class ConsentNoticeStatus(StrEnum):
    """A partner's notice that a data subject withdrew consent (§9, §18): pending until its
    nominated representative acknowledges that processing has ceased."""

    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"


class SuspensionStatus(StrEnum):
    RAISED = "raised"
    MEETING_SCHEDULED = "meeting_scheduled"
    MEETING_HELD = "meeting_held"
    ENDED = "ended"


class MeetingOutcome(StrEnum):
    RESUME = "resume"
    CONTINUE = "continue"
    WITHDRAW = "withdraw"


class WithdrawalStatus(StrEnum):
    NOTIFIED = "notified"
    COMPLETED = "completed"


class AuditOutcome(StrEnum):
    DONE = "done"
    REFUSED = "refused"


class OutboxStatus(StrEnum):
    """Where one email is: waiting, being sent, done, given up on, or no longer wanted."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
