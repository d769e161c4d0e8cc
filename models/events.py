"""Past-tense domain events that use cases return: what happened, in the protocol's words.

Notifications hang off these (DESIGN §6); each carries references and primitives only, so it
can be stored, queued or sent to Prefect as it is.
"""

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class DomainEvent:
    name: ClassVar[str]

    def as_dict(self) -> dict[str, Any]:
        return {"event": self.name, **asdict(self)}


@dataclass(frozen=True)
class AgencyRegistered(DomainEvent):
    name = "agency.registered"
    agency: str


@dataclass(frozen=True)
class ContactAdded(DomainEvent):
    name = "contact.added"
    agency: str
    email: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class ChairAdded(DomainEvent):
    name = "chair.added"
    email: str


@dataclass(frozen=True)
class ArrangementDrafted(DomainEvent):
    name = "arrangement.drafted"
    arrangement: str
    version: int


@dataclass(frozen=True)
class ArrangementSubmitted(DomainEvent):
    name = "arrangement.submitted"
    arrangement: str
    version: int


@dataclass(frozen=True)
class ArrangementApproved(DomainEvent):
    """One party's signatory approved the current version."""

    name = "arrangement.approved"
    arrangement: str
    version: int
    agency: str
    signatory: str
    awaiting: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class ArrangementActivated(DomainEvent):
    name = "arrangement.activated"
    arrangement: str
    version: int
    next_review_due: str


@dataclass(frozen=True)
class ArrangementRejected(DomainEvent):
    name = "arrangement.rejected"
    arrangement: str
    version: int
    agency: str
    signatory: str
    reason: str


@dataclass(frozen=True)
class ArrangementPartyLeft(DomainEvent):
    """A party withdrew from the Protocol while the arrangement awaited approval: it is a draft
    again without that party, at the next version; approvals of `version` no longer count."""

    name = "arrangement.party_left"
    arrangement: str
    version: int
    agency: str


@dataclass(frozen=True)
class ReviewCompleted(DomainEvent):
    name = "review.completed"
    arrangement: str
    outcome: str
    due_on: str
    next_review_due: str | None


@dataclass(frozen=True)
class ArrangementRenewed(DomainEvent):
    name = "arrangement.renewed"
    arrangement: str
    next_review_due: str


@dataclass(frozen=True)
class ArrangementAmendmentStarted(DomainEvent):
    """A review decided to amend: the arrangement is a draft again at a new version."""

    name = "arrangement.amendment_started"
    arrangement: str
    version: int


@dataclass(frozen=True)
class ArrangementTerminated(DomainEvent):
    name = "arrangement.terminated"
    arrangement: str
    reason: str


@dataclass(frozen=True)
class TrainingRecorded(DomainEvent):
    name = "training.recorded"
    email: str
    course: str
    expires_on: str | None


@dataclass(frozen=True)
class AccessGranted(DomainEvent):
    name = "access.granted"
    grant: str
    arrangement: str
    email: str


@dataclass(frozen=True)
class AccessRevoked(DomainEvent):
    name = "access.revoked"
    grant: str
    arrangement: str
    email: str
    reason: str


@dataclass(frozen=True)
class SuspensionRaised(DomainEvent):
    name = "suspension.raised"
    suspension: str
    agency: str
    reason: str
    meeting_deadline: str
    ends_at: str
    arrangements: tuple[str, ...]


@dataclass(frozen=True)
class MeetingScheduled(DomainEvent):
    name = "suspension.meeting_scheduled"
    suspension: str
    agency: str
    meeting_at: str
    rescheduled: bool
    # where it is held, or how to join it
    meeting_place: str = ""


@dataclass(frozen=True)
class MeetingHeld(DomainEvent):
    name = "suspension.meeting_held"
    suspension: str
    agency: str
    outcome: str
    attendees: tuple[str, ...]


@dataclass(frozen=True)
class SuspensionEnded(DomainEvent):
    name = "suspension.ended"
    suspension: str
    agency: str
    why: str
    arrangements: tuple[str, ...]


@dataclass(frozen=True)
class SuspensionMeetingReminder(DomainEvent):
    """Day 7 of a suspension and no resolution meeting set yet: the chairs are reminded."""

    name = "suspension.meeting_reminder"
    suspension: str
    agency: str
    meeting_deadline: str


@dataclass(frozen=True)
class SuspensionEscalated(DomainEvent):
    """Day 14, the last day for the resolution meeting (§41), and it has not been held."""

    name = "suspension.escalated"
    suspension: str
    agency: str
    meeting_deadline: str


@dataclass(frozen=True)
class SuspensionEndingSoon(DomainEvent):
    """Day 25: the suspension ends in five days."""

    name = "suspension.ending_soon"
    suspension: str
    agency: str
    ends_at: str


@dataclass(frozen=True)
class WithdrawalNoticed(DomainEvent):
    """The written notice of §42 reached the chairs; it takes effect on `effective_on`."""

    name = "withdrawal.noticed"
    withdrawal: str
    agency: str
    reason: str
    effective_on: str


@dataclass(frozen=True)
class WithdrawalCompleted(DomainEvent):
    """The withdrawal took effect: the agency left its arrangements, those in force left without
    both a discloser and a recipient were terminated, the other ones in force are reviewed by the
    rest, those not yet in force are drafts without it; its staff's access was revoked."""

    name = "withdrawal.completed"
    withdrawal: str
    agency: str
    effective_on: str
    terminated: tuple[str, ...]
    left: tuple[str, ...]
    # not yet in force: drafts without it (one awaiting approval returns to draft)
    redrafted: tuple[str, ...]
    # the agency's open suspension, which its withdrawal ended ("" when it had none)
    suspension: str = ""


# --- what the sweeps find: chasing sign-offs and reviews (§6, §31) -----------------------------


@dataclass(frozen=True)
class ApprovalReminderDue(DomainEvent):
    """Day 7 after submission and sign-offs are still missing: the signatories are reminded."""

    name = "arrangement.approval_reminder"
    arrangement: str
    version: int
    submitted_on: str
    awaiting: tuple[str, ...]
    escalates_on: str


@dataclass(frozen=True)
class ApprovalEscalated(DomainEvent):
    """Day 14 after submission and sign-offs are still missing: the chairs are told."""

    name = "arrangement.approval_escalated"
    arrangement: str
    version: int
    submitted_on: str
    awaiting: tuple[str, ...]


@dataclass(frozen=True)
class ReviewReminderDue(DomainEvent):
    """A rung of the reminder ladder: the review falls due in `days_before` days."""

    name = "review.reminder"
    arrangement: str
    due_on: str
    days_before: int


@dataclass(frozen=True)
class ReviewOpened(DomainEvent):
    """The review's due date came: the arrangement is under review until an outcome is recorded."""

    name = "review.opened"
    arrangement: str
    due_on: str
    lapses_on: str


@dataclass(frozen=True)
class ReviewOverdue(DomainEvent):
    """The review is past due with no outcome: the parties' signatories are told."""

    name = "review.overdue"
    arrangement: str
    due_on: str
    lapses_on: str


@dataclass(frozen=True)
class ReviewEscalated(DomainEvent):
    """The review is still overdue after the escalation period: the chairs are told."""

    name = "review.escalated"
    arrangement: str
    due_on: str
    lapses_on: str


@dataclass(frozen=True)
class ArrangementLapsed(DomainEvent):
    """No review outcome within the lapse period: sharing under the arrangement must stop."""

    name = "arrangement.lapsed"
    arrangement: str
    due_on: str


@dataclass(frozen=True)
class MonitoringReportPublished(DomainEvent):
    """The annual register summary the Information Governance Monitoring Group meets on (§40)."""

    name = "monitoring.report"
    period: str
    period_start: str
    period_end: str
    summary: dict[str, int]
    markdown: str


@dataclass(frozen=True)
class AuditCheckpointed(DomainEvent):
    """The audit log's head was signed and published, for the chairs to keep (DESIGN §8)."""

    name = "audit.checkpoint"
    checkpoint: str  # "audit event #123"
    seq: int
    head: str
    at: str
    document: str  # the checkpoint as published, to be saved and checked against


# --- need-to-know access (§10) and training (§12) ----------------------------------------------


@dataclass(frozen=True)
class StaffLeft(DomainEvent):
    """A staff member left their agency: their access is revoked by the next access sweep."""

    name = "staff.left"
    email: str
    agency: str


@dataclass(frozen=True)
class AccessAttested(DomainEvent):
    """The agency's point of contact confirmed the grant is still needed."""

    name = "access.attested"
    grant: str


@dataclass(frozen=True)
class AccessAttestationDue(DomainEvent):
    """A grant's need to know must be re-attested by `due_on`, or it is revoked after grace."""

    name = "access.attestation_due"
    grant: str
    email: str
    due_on: str
    revoke_after: str


@dataclass(frozen=True)
class TrainingExpiring(DomainEvent):
    """A staff member with access has training that lapses soon; access goes with it."""

    name = "training.expiring"
    email: str
    course: str
    expires_on: str


# --- disposal of shared data (§9, §35-§37) ------------------------------------------------------


@dataclass(frozen=True)
class DisposalScheduled(DomainEvent):
    """A recipient agency must destroy the data it received under the arrangement by `due_on`."""

    name = "disposal.scheduled"
    task: str
    arrangement: str
    agency: str
    due_on: str


@dataclass(frozen=True)
class DisposalConfirmed(DomainEvent):
    name = "disposal.confirmed"
    task: str
    arrangement: str
    agency: str
    certificate: str


@dataclass(frozen=True)
class ArrangementClosed(DomainEvent):
    """Every recipient has confirmed the destruction of the shared data: nothing is left."""

    name = "arrangement.closed"
    arrangement: str


@dataclass(frozen=True)
class DisposalReminderDue(DomainEvent):
    name = "disposal.reminder"
    task: str
    arrangement: str
    agency: str
    due_on: str
    days_before: int


@dataclass(frozen=True)
class DisposalOverdue(DomainEvent):
    """The destruction was due and is not confirmed: the agency's DPO is told."""

    name = "disposal.overdue"
    task: str
    arrangement: str
    agency: str
    due_on: str


@dataclass(frozen=True)
class DisposalEscalated(DomainEvent):
    """Still not confirmed after the escalation period: the chairs are told."""

    name = "disposal.escalated"
    task: str
    arrangement: str
    agency: str
    due_on: str


@dataclass(frozen=True)
class SignInRequested(DomainEvent):
    """A contact or chair asked the portal for a sign-in link; it lasts until `expires_at`."""

    name = "portal.sign_in_requested"
    email: str
    requested_at: str
    expires_at: str


@dataclass(frozen=True)
class ActCodeRequested(DomainEvent):
    """The page of a personal link asked for a one-time code for an act that binds the
    addressee's agency; it goes to the addressee's own address and lasts until `expires_at`.
    `code` is in the email alone: the outbox keeps its context without it."""

    name = "portal.code_requested"
    email: str
    act: str
    code: str
    code_id: int
    requested_at: str
    expires_at: str


@dataclass(frozen=True)
class ActHandedOver(DomainEvent):
    """The addressee of a link for an act that binds their agency, proved, asked a colleague in
    the same role at the same agency to do it in their place; the colleague acts signed in."""

    name = "link.handed_over"
    email: str
    delegated_by: str
    delegated_by_name: str
    act: str
    handed_at: str


# --- a data subject's withdrawal of consent (§9, §18) -------------------------------------------


@dataclass(frozen=True)
class ConsentWithdrawn(DomainEvent):
    """A data subject withdrew consent at `agency`, which told every partner in `partners` it
    had shared their data with under `arrangements` (one `ConsentNoticeSent` each). The data
    subject is named by the agency's own reference only."""

    name = "consent.withdrawn"
    consent: str
    agency: str
    data_subject_ref: str
    arrangements: tuple[str, ...]
    partners: tuple[str, ...]


@dataclass(frozen=True)
class ConsentNoticeSent(DomainEvent):
    """Partner `agency` must cease processing the data subject's data (notice `notice`) and its
    nominated representative acknowledge it."""

    name = "consent.notice_sent"
    notice: str
    consent: str
    agency: str
    originator: str
    data_subject_ref: str
    arrangements: tuple[str, ...]


@dataclass(frozen=True)
class ConsentNoticeChased(DomainEvent):
    """Notice `notice` is unacknowledged after `working_days` working days: the partner's
    nominated representatives are reminded."""

    name = "consent.reminder"
    notice: str
    consent: str
    agency: str
    originator: str
    data_subject_ref: str
    arrangements: tuple[str, ...]
    working_days: int


@dataclass(frozen=True)
class ConsentNoticeOverdue(DomainEvent):
    """The second reminder: the partner's DPO is told as well."""

    name = "consent.overdue"
    notice: str
    consent: str
    agency: str
    originator: str
    data_subject_ref: str
    arrangements: tuple[str, ...]
    working_days: int


@dataclass(frozen=True)
class ConsentNoticeEscalated(DomainEvent):
    """Still unacknowledged: the monitoring group's chairs are told."""

    name = "consent.escalated"
    notice: str
    consent: str
    agency: str
    originator: str
    data_subject_ref: str
    arrangements: tuple[str, ...]
    working_days: int


@dataclass(frozen=True)
class ConsentNoticeAcknowledged(DomainEvent):
    """The partner's nominated representative recorded that processing has ceased."""

    name = "consent.acknowledged"
    notice: str
    consent: str
    agency: str
    by: str


@dataclass(frozen=True)
class ConsentWithdrawalClosed(DomainEvent):
    """Every partner told has acknowledged: the agency that raised it is told."""

    name = "consent.closed"
    consent: str
    agency: str
    data_subject_ref: str
    partners: tuple[str, ...]


# --- data found inaccurate or inadequate, notified to its owner (§32, §33) ----------------------


@dataclass(frozen=True)
class DataQualityReported(DomainEvent):
    """`reporter` found information `agency` disclosed under `arrangement` inaccurate or
    inadequate (`what`); `agency`'s nominated representatives are asked to correct it."""

    name = "data_quality.reported"
    notice: str
    arrangement: str
    agency: str
    reporter: str
    what: str


@dataclass(frozen=True)
class DataQualityChased(DomainEvent):
    """Notice `notice` is uncorrected after `working_days` working days: the owner's nominated
    representatives are reminded."""

    name = "data_quality.chased"
    notice: str
    arrangement: str
    agency: str
    reporter: str
    what: str
    working_days: int


@dataclass(frozen=True)
class DataQualityOverdue(DomainEvent):
    """Uncorrected after the second rung's working days: reminded again, the owner's DPO told."""

    name = "data_quality.overdue"
    notice: str
    arrangement: str
    agency: str
    reporter: str
    what: str
    working_days: int


@dataclass(frozen=True)
class DataQualityEscalated(DomainEvent):
    """Still uncorrected after the chase's last rung: the chairs are told."""

    name = "data_quality.escalated"
    notice: str
    arrangement: str
    agency: str
    reporter: str
    what: str
    working_days: int


@dataclass(frozen=True)
class DataCorrected(DomainEvent):
    """The owner recorded the correction; `told` are the arrangement's recipients told of it
    (a `DataCorrectionTold` each)."""

    name = "data_quality.corrected"
    notice: str
    arrangement: str
    agency: str
    by: str
    told: tuple[str, ...]


@dataclass(frozen=True)
class DataCorrectionTold(DomainEvent):
    """Recipient `agency` holds data `owner` has corrected under `arrangement`."""

    name = "data_quality.correction_told"
    notice: str
    arrangement: str
    agency: str
    owner: str
    what: str
    correction: str


# --- information requests touching shared data (§7): FOI and subject access -------------------


@dataclass(frozen=True)
class InformationRequestRecorded(DomainEvent):
    """`agency` received a `kind` request (its own case `their_ref`) for data shared under
    `arrangements`, due `due_on`; `consulted` are the originating agencies asked for their view
    (a `ConsultationSent` each)."""

    name = "request.recorded"
    request: str
    agency: str
    kind: str
    their_ref: str
    received_on: str
    due_on: str
    arrangements: tuple[str, ...]
    asked_for: str
    consulted: tuple[str, ...]


@dataclass(frozen=True)
class ConsultationSent(DomainEvent):
    """Originator `agency` is consulted on `requester`'s request for data it shared, and asked
    to reply by `reply_by`."""

    name = "request.consultation_sent"
    consultation: str
    request: str
    agency: str
    requester: str
    kind: str
    their_ref: str
    arrangements: tuple[str, ...]
    asked_for: str
    due_on: str
    reply_by: str


@dataclass(frozen=True)
class ConsultationChased(DomainEvent):
    """Consultation `consultation` is unanswered past its reply-by date: the originator's
    nominated representatives are reminded."""

    name = "request.consultation_chased"
    consultation: str
    request: str
    agency: str
    requester: str
    kind: str
    their_ref: str
    arrangements: tuple[str, ...]
    due_on: str
    reply_by: str


@dataclass(frozen=True)
class ConsultationOverdue(DomainEvent):
    """Still unanswered further past its reply-by date: reminded again, the originator's DPO
    told."""

    name = "request.consultation_overdue"
    consultation: str
    request: str
    agency: str
    requester: str
    kind: str
    their_ref: str
    arrangements: tuple[str, ...]
    due_on: str
    reply_by: str


@dataclass(frozen=True)
class ConsultationReplied(DomainEvent):
    """`originator` replied to consultation `consultation` (`objection`: none or objects, with
    its comments); `agency`, which received the request, is told."""

    name = "request.consultation_replied"
    consultation: str
    request: str
    agency: str
    originator: str
    their_ref: str
    objection: str
    comments: str
    by: str


@dataclass(frozen=True)
class RequestDueSoon(DomainEvent):
    """Request `request` has no outcome `working_days` working days before its due date:
    `agency`'s handlers are reminded."""

    name = "request.due_soon"
    request: str
    agency: str
    kind: str
    their_ref: str
    received_on: str
    due_on: str
    working_days: int


@dataclass(frozen=True)
class RequestOverdue(DomainEvent):
    """Request `request` passed its statutory due date with no outcome: `agency`'s DPO and the
    chairs are told."""

    name = "request.overdue"
    request: str
    agency: str
    kind: str
    their_ref: str
    received_on: str
    due_on: str


@dataclass(frozen=True)
class RequestClosed(DomainEvent):
    """`agency` recorded the outcome of request `request` (`within_due`: on or before its due
    date); each consulted originator is told (a `RequestOutcomeTold` each)."""

    name = "request.closed"
    request: str
    agency: str
    kind: str
    their_ref: str
    outcome: str
    due_on: str
    within_due: bool
    by: str
    told: tuple[str, ...]


@dataclass(frozen=True)
class RequestOutcomeTold(DomainEvent):
    """Originator `agency`, consulted on `requester`'s request, is told its outcome."""

    name = "request.outcome_told"
    consultation: str
    request: str
    agency: str
    requester: str
    kind: str
    their_ref: str
    outcome: str
    note: str
    due_on: str
    within_due: bool


# --- sharing decisions (§9, §13, §19) and onward sharing with a third party (§11, §15) ---------


@dataclass(frozen=True)
class SharingDecisionRecorded(DomainEvent):
    """`agency`'s nominated representative `by` decided `outcome` (share, partial, refuse) on
    `requester`'s request for data under `arrangement`: on the record, no email of its own."""

    name = "decision.recorded"
    decision: str
    arrangement: str
    agency: str
    requester: str
    outcome: str
    by: str


@dataclass(frozen=True)
class DisclosureDeclined(DomainEvent):
    """`discloser` decided not to disclose all (`outcome` partial) or any (refuse) of the data
    requesting agency `agency` asked for: it is told at once, with the reasoning (§19)."""

    name = "decision.declined"
    decision: str
    arrangement: str
    agency: str
    discloser: str
    outcome: str
    data: str
    purpose: str
    reasoning: str


@dataclass(frozen=True)
class OnwardSharingRequested(DomainEvent):
    """Recipient `requester` asks `agency`, the data's originator under `arrangement`, for
    consent to share it with `third_party` (§11, §15); `agency`'s nominated representatives are
    asked to answer."""

    name = "onward.requested"
    request: str
    arrangement: str
    agency: str
    requester: str
    third_party: str
    data: str
    purpose: str


@dataclass(frozen=True)
class OnwardSharingChased(DomainEvent):
    """Request `request` is unanswered after `working_days` working days: the originator's
    nominated representatives are reminded."""

    name = "onward.chased"
    request: str
    arrangement: str
    agency: str
    requester: str
    third_party: str
    working_days: int


@dataclass(frozen=True)
class OnwardSharingOverdue(DomainEvent):
    """Unanswered after the second rung's working days: reminded again, the originator's DPO
    told."""

    name = "onward.overdue"
    request: str
    arrangement: str
    agency: str
    requester: str
    third_party: str
    working_days: int


@dataclass(frozen=True)
class OnwardSharingEscalated(DomainEvent):
    """Still unanswered after the chase's last rung: the chairs are told."""

    name = "onward.escalated"
    request: str
    arrangement: str
    agency: str
    requester: str
    third_party: str
    working_days: int


@dataclass(frozen=True)
class OnwardSharingAnswered(DomainEvent):
    """`owner`'s nominated representative `by` consented (or not) to requesting agency `agency`
    sharing the data with `third_party`, for `reason`; `agency`'s representatives are told."""

    name = "onward.answered"
    request: str
    arrangement: str
    agency: str
    owner: str
    third_party: str
    consented: bool
    reason: str
    by: str


# --- a security incident that compromised a partner's information (§29) -----------------------


@dataclass(frozen=True)
class IncidentReported(DomainEvent):
    """`reporter` became aware at `aware_at` (ISO, UTC) of a security breach compromising
    information `agency`, the originator, disclosed to it under `arrangement` (`what`, in
    references): the originator's nominated representatives and DPO are told and asked to
    acknowledge; the 72 hours to report it to the ICO end at `deadline`."""

    name = "incident.reported"
    incident: str
    arrangement: str
    agency: str
    reporter: str
    what: str
    aware_at: str
    deadline: str
    # the reporter's suspension raised with it (§41), or ""
    suspension: str = ""


@dataclass(frozen=True)
class IncidentDecisionOwed(DomainEvent):
    """The reporting agency (`agency`)'s DPO is asked to record whether incident `incident` is
    reported to the ICO, by `deadline`."""

    name = "incident.decision_owed"
    incident: str
    arrangement: str
    agency: str
    originator: str
    what: str
    aware_at: str
    deadline: str


@dataclass(frozen=True)
class IncidentReminded(DomainEvent):
    """`hours` after awareness the decision on reporting to the ICO is not recorded: the
    reporting agency's DPO is reminded."""

    name = "incident.reminder"
    incident: str
    arrangement: str
    agency: str
    originator: str
    aware_at: str
    deadline: str
    hours: int


@dataclass(frozen=True)
class IncidentOverdue(DomainEvent):
    """The 72 hours are up with no decision recorded: the reporting agency's DPO and
    signatories and the monitoring group's chairs are told."""

    name = "incident.overdue"
    incident: str
    arrangement: str
    agency: str
    originator: str
    aware_at: str
    deadline: str
    hours: int


@dataclass(frozen=True)
class IncidentDecided(DomainEvent):
    """The reporting agency's DPO `by` recorded whether the breach is reported to the ICO
    (`notify_regulator`) and why; the originator (`agency`) is told."""

    name = "incident.decided"
    incident: str
    arrangement: str
    agency: str
    reporter: str
    notify_regulator: bool
    reason: str
    by: str
    decided_at: str
    in_time: bool


@dataclass(frozen=True)
class IncidentDecidedLate(DomainEvent):
    """The decision came after the 72 hours: the monitoring group's chairs, told it was
    overdue, are told it is now recorded."""

    name = "incident.decided_late"
    incident: str
    arrangement: str
    agency: str
    originator: str
    notify_regulator: bool
    reason: str
    decided_at: str
    hours: int


@dataclass(frozen=True)
class IncidentAcknowledged(DomainEvent):
    """The originator (`agency`)'s nominated representative or DPO `by` acknowledged being
    told of the incident."""

    name = "incident.acknowledged"
    incident: str
    agency: str
    by: str


@dataclass(frozen=True)
class IncidentAcknowledgementChased(DomainEvent):
    """The originator (`agency`) has not acknowledged incident `incident` after `working_days`
    of its working days: its nominated representatives and DPO are reminded."""

    name = "incident.acknowledgement_reminder"
    incident: str
    arrangement: str
    agency: str
    reporter: str
    working_days: int


@dataclass(frozen=True)
class IncidentAcknowledgementOverdue(DomainEvent):
    """Still unacknowledged at the second rung: reminded again, the originator's signatories
    told."""

    name = "incident.acknowledgement_overdue"
    incident: str
    arrangement: str
    agency: str
    reporter: str
    working_days: int


@dataclass(frozen=True)
class IncidentAcknowledgementEscalated(DomainEvent):
    """Still unacknowledged after the chase's last rung: the chairs are told."""

    name = "incident.acknowledgement_escalated"
    incident: str
    arrangement: str
    agency: str
    reporter: str
    working_days: int
