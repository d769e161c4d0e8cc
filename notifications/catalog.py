"""Which email each domain event sends and to whom (DESIGN §6): one row per event, naming its
template and its audiences in the protocol's words, resolved against the register when queued.

Adding an email for a new event is a `Notice` row here plus `<template>.subject.txt`,
`<template>.txt` and `<template>.html` under `templates/`.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from models.duties import (
    CONSENT_NOTICE,
    CONSULTATION,
    DATA_QUALITY,
    INCIDENT_ACKNOWLEDGEMENT,
    ONWARD_REQUEST,
    Duty,
)
from models.links import LinkAction


class Audience(StrEnum):
    """A group of people an email goes to, as the protocol names them."""

    # the signatory of each agency still party to the arrangement (§2, §6)
    PARTY_SIGNATORIES = "party_signatories"
    # the Information Sharing Point of Contact of each agency still party to it (§40)
    PARTY_POINTS_OF_CONTACT = "party_points_of_contact"
    # every signatory of every partner agency that has not withdrawn (§41's meeting)
    PARTNER_SIGNATORIES = "partner_signatories"
    # the chairs of the Information Governance Monitoring Group (§40, §42)
    CHAIRS = "chairs"
    # the group's members: the point of contact of every partner agency that has not withdrawn
    # ("Membership will comprise the relevant Information Sharing Points of Contact", §40)
    MONITORING_GROUP = "monitoring_group"
    # the signatories of the agency the event is about
    AGENCY_SIGNATORIES = "agency_signatories"
    # the staff member an access grant is for (§10)
    STAFF_MEMBER = "staff_member"
    # the points of contact of the staff member's agency
    STAFF_POINTS_OF_CONTACT = "staff_points_of_contact"
    # the nominated representatives of the parties that disclose the data (the data owner)
    DATA_OWNER_REPRESENTATIVES = "data_owner_representatives"
    # the nominated representatives and points of contact of the agency the event is about
    AGENCY_REPRESENTATIVES = "agency_representatives"
    AGENCY_POINTS_OF_CONTACT = "agency_points_of_contact"
    AGENCY_DPOS = "agency_dpos"
    # the signatories of the parties whose sign-off of the current version is still missing
    AWAITING_SIGNATORIES = "awaiting_signatories"
    # the contact or chair the event names by address (a sign-in link asked for)
    PERSON = "person"


# The event field each audience is resolved from; the catalog test checks every event has them.
AUDIENCE_NEEDS: Mapping[Audience, tuple[str, ...]] = {
    Audience.PARTY_SIGNATORIES: ("arrangement",),
    Audience.PARTY_POINTS_OF_CONTACT: ("arrangement",),
    Audience.PARTNER_SIGNATORIES: (),
    Audience.CHAIRS: (),
    Audience.MONITORING_GROUP: (),
    Audience.AGENCY_SIGNATORIES: ("agency",),
    Audience.STAFF_MEMBER: ("email",),
    Audience.STAFF_POINTS_OF_CONTACT: ("email",),
    Audience.DATA_OWNER_REPRESENTATIVES: ("arrangement",),
    Audience.AWAITING_SIGNATORIES: ("arrangement", "awaiting"),
    Audience.AGENCY_REPRESENTATIVES: ("agency",),
    Audience.AGENCY_POINTS_OF_CONTACT: ("agency",),
    Audience.AGENCY_DPOS: ("agency",),
    Audience.PERSON: ("email",),
}

PARTIES = (Audience.PARTY_SIGNATORIES, Audience.PARTY_POINTS_OF_CONTACT)

# What chases an arrangement's sign-offs and its review: withdrawn, if still unsent, once the
# matter is settled (the sweeps that queue them are in tasks/sweeps.py).
SIGN_OFF_CHASERS = (
    "arrangement.submitted",
    "arrangement.approved",
    "arrangement.approval_reminder",
    "arrangement.approval_escalated",
)
REVIEW_CHASERS = ("review.reminder", "review.opened", "review.overdue", "review.escalated")
EVERY_SIGNATORY_AND_THE_CHAIRS = (Audience.PARTNER_SIGNATORIES, Audience.CHAIRS)
# What chases a suspension's meeting: withdrawn, if still unsent, once it is held or has ended.
SUSPENSION_CHASERS = (
    "suspension.meeting_scheduled",
    "suspension.meeting_reminder",
    "suspension.escalated",
)
# What chases an originator's reply to a consultation on an information request: withdrawn, if
# still unsent, once it replies or the request is answered.
CONSULTATION_CHASERS = (
    "request.consultation_sent",
    "request.consultation_chased",
    "request.consultation_overdue",
)
# The chairs get the written notice; the withdrawing agency's own signatories are no longer
# partner signatories once it has withdrawn, so they are named too.
WITHDRAWAL_AUDIENCES = (
    Audience.CHAIRS,
    Audience.AGENCY_SIGNATORIES,
    Audience.PARTNER_SIGNATORIES,
)


@dataclass(frozen=True)
class Publish:
    """A Prefect event a committed change publishes (through the event outbox), about the record
    its domain event names in `field`: a deployment's trigger in prefect.yaml starts a flow on
    it. An empty field (no such record this time) publishes nothing. `delivers`: the flow it
    starts sends the emails the change queued (every triggered flow delivers as it ends); one
    that does not (`delivers=False`) leaves the change to ask for a delivery run of its own, so
    its emails go at once, as a change that starts no flow does."""

    event: str
    field: str
    delivers: bool = True


@dataclass(frozen=True)
class Ask:
    """What an email asks of whoever receives it in one of `roles` ("*": anyone): a personal
    link (models/links.py) for `action` on the record in the event's `field` (at its `version`,
    if versioned), lasting at most 30 days and never past the context's `deadline`.
    `awaiting_only`: only for parties the event lists as still awaiting."""

    action: LinkAction
    roles: tuple[str, ...]
    field: str
    version: str = ""
    deadline: str = ""
    awaiting_only: bool = False


SIGN_OFF = Ask(LinkAction.APPROVE, ("signatory",), "arrangement", version="version")
SIGN_OFF_IF_AWAITING = Ask(
    LinkAction.APPROVE, ("signatory",), "arrangement", version="version", awaiting_only=True
)
CONFIRM_DISPOSAL = Ask(LinkAction.CONFIRM_DISPOSAL, ("nominated_representative",), "task")
# any officer of a party may record a review's outcome (§31)
RECORD_REVIEW = Ask(LinkAction.REVIEW, ("signatory", "point_of_contact"), "arrangement")
KEEP_OR_REVOKE = Ask(LinkAction.ATTEST, ("point_of_contact",), "grant")
# whoever asked, in whatever role: "*" matches every recipient
SIGN_IN = Ask(LinkAction.SIGN_IN, ("*",), "email", deadline="event.expires_at")
ACKNOWLEDGE_CEASED = Ask(LinkAction.ACKNOWLEDGE_CONSENT, ("nominated_representative",), "notice")
RECORD_CORRECTION = Ask(LinkAction.CORRECT_DATA, ("nominated_representative",), "notice")
# the originator of data asked for under FOI or subject access replies to its consultation (§7)
REPLY_TO_CONSULTATION = Ask(
    LinkAction.REPLY_CONSULTATION, ("nominated_representative", "dpo"), "consultation"
)
# the agency that received such a request records its outcome
RECORD_OUTCOME = Ask(LinkAction.CLOSE_REQUEST, ("nominated_representative", "dpo"), "request")
ANSWER_ONWARD = Ask(LinkAction.ANSWER_ONWARD, ("nominated_representative",), "request")
# the reporting agency's DPO decides on reporting to the ICO; the originator's officers
# acknowledge being told (§29)
DECIDE_ON_REPORTING = Ask(LinkAction.DECIDE_INCIDENT, ("dpo",), "incident")
ACKNOWLEDGE_INCIDENT = Ask(
    LinkAction.ACKNOWLEDGE_INCIDENT, ("nominated_representative", "dpo"), "incident"
)
CHAIR_THE_MEETING = Ask(LinkAction.MEETING, ("chair",), "suspension", deadline="suspension.ends_at")


@dataclass(frozen=True)
class Notice:
    """The catalog's row for one event.

    `subject` names the event field holding the record the email is about (its dedupe and
    cancel scope). `occurrence` lists context paths (`event.version`, `calendar.sequence`) that
    tell apart two emails of this event about the same record. `cancels` lists events whose
    still-pending emails about the same record are withdrawn when this one is queued. `when`,
    if given, decides from the event's fields whether it sends anything at all.
    """

    event: str
    subject: str
    template: str | None = None
    audiences: tuple[Audience, ...] = ()
    occurrence: tuple[str, ...] = ()
    cancels: tuple[str, ...] = ()
    invitation: bool = False
    # the email also withdraws the meeting invitation from every calendar (METHOD:CANCEL) when
    # the meeting invited will not take place as invited (notifications.context.cancellation)
    cancels_meeting: bool = False
    # one moment, one email: when the same unit of work also emits one of these events about the
    # same record, this one sends nothing to whoever that one emails, and that email, which is
    # given this event's fields as `merged[<this event>]`, tells both
    merged_into: tuple[str, ...] = ()
    when: Callable[[Mapping[str, Any]], bool] | None = None
    publishes: tuple[Publish, ...] = ()
    # the personal link the email carries for whoever it asks to act
    ask: Ask | None = None

    def __post_init__(self) -> None:
        if bool(self.template) != bool(self.audiences):
            raise ValueError(f"{self.event}: a template needs audiences and audiences a template")

    def sends_to(self, event: Mapping[str, Any]) -> bool:
        return bool(self.audiences) and (self.when is None or self.when(event))


# An arrangement ended: the disposal flow schedules the destruction of its data.
ENDED = Publish("isa.arrangement.ended", "arrangement")
# An incident's decision recorded: its flow cancels the checker runs still scheduled for it.
INCIDENT_DECIDED = Publish("isa.incident.decided", "incident")
# What chases an incident's decision on reporting to the ICO: withdrawn, if still unsent, once
# it is recorded.
INCIDENT_CHASERS = ("incident.decision_owed", "incident.reminder", "incident.overdue")
# A suspension settled (ended, resumed, or ended by its agency's withdrawal): its flow cancels
# the checker runs still scheduled for it.
SUSPENSION_SETTLED = Publish("isa.suspension.settled", "suspension")
# the suspension's resolution meeting set, moved or held: its flow runs again, so its artifact
# (and its checker runs) follow the change, whichever way in (the command line, the portal)
SUSPENSION_CHANGED = Publish("isa.suspension.changed", "suspension")
# A matter run by the matter flow (models.duties.MATTERS, flows/matter.py) raised: its flow
# schedules a checker run at each rung of its ladder; settled: the flow cancels those left.
QUALITY_RAISED = Publish("isa.quality.raised", "notice")
QUALITY_SETTLED = Publish("isa.quality.settled", "notice")
ONWARD_RAISED = Publish("isa.onward.raised", "request")
ONWARD_SETTLED = Publish("isa.onward.settled", "request")
REQUEST_RAISED = Publish("isa.request.raised", "request")
REQUEST_SETTLED = Publish("isa.request.settled", "request")
CONSENT_SETTLED = Publish("isa.consent.settled", "consent")
# an arrangement's wait for sign-offs is over (activated, rejected, or a party left): its
# approval flow runs again to cancel the day-7 and day-14 checks still scheduled; the act's own
# emails go at once, not with that run
APPROVAL_SETTLED = Publish("isa.arrangement.approval_settled", "arrangement", delivers=False)


def rung_notices(duty: Duty, subject: str, ask: Ask) -> tuple[Notice, ...]:
    """The rows of a duty's chasing emails, from its declaration (models.duties): each rung's
    event, template and audiences, asking whoever it tells to settle it unless it only tells
    (the chairs told)."""
    return tuple(
        Notice(
            rung.event.name,
            subject=subject,
            template=rung.template,
            audiences=tuple(Audience(told) for told in rung.tells),
            ask=ask if rung.asks else None,
        )
        for rung in duty.rungs
    )


def _still_awaiting(event: Mapping[str, Any]) -> bool:
    # The last approval also activates the arrangement, and the activation email says so.
    return bool(event["awaiting"])


_ENTRIES = (
    # --- setting up the register: recorded, no email ---
    Notice("agency.registered", subject="agency"),
    Notice("contact.added", subject="email"),
    Notice("chair.added", subject="email"),
    Notice("training.recorded", subject="email"),
    Notice("arrangement.drafted", subject="arrangement"),
    # --- the portal ---
    Notice(
        "portal.sign_in_requested",
        subject="email",
        template="sign_in",
        audiences=(Audience.PERSON,),
        occurrence=("event.requested_at",),
        ask=SIGN_IN,
    ),
    # a one-time code for the act a link's page is open on: the page, not a link, takes it
    Notice(
        "portal.code_requested",
        subject="email",
        template="act_code",
        audiences=(Audience.PERSON,),
        occurrence=("event.code_id",),
    ),
    # an act handed to a colleague: they sign in and act from what waits on them
    Notice(
        "link.handed_over",
        subject="email",
        template="act_handed_over",
        audiences=(Audience.PERSON,),
        occurrence=("event.act", "event.handed_at"),
    ),
    # --- an arrangement's approval (§2, §6) ---
    Notice(
        "arrangement.submitted",
        subject="arrangement",
        template="arrangement_submitted",
        audiences=(Audience.PARTY_SIGNATORIES,),
        occurrence=("event.version",),
        publishes=(Publish("isa.arrangement.submitted", "arrangement"),),
        ask=SIGN_OFF,
    ),
    Notice(
        "arrangement.approved",
        subject="arrangement",
        template="arrangement_approved",
        audiences=PARTIES,
        occurrence=("event.version", "event.agency"),
        # an earlier "still awaiting" note is out of date once a later one is written
        cancels=("arrangement.approved",),
        when=_still_awaiting,
        ask=SIGN_OFF_IF_AWAITING,
    ),
    Notice(
        "arrangement.activated",
        subject="arrangement",
        template="arrangement_activated",
        audiences=PARTIES,
        occurrence=("event.version",),
        cancels=SIGN_OFF_CHASERS,
        publishes=(APPROVAL_SETTLED,),
    ),
    Notice(
        "arrangement.rejected",
        subject="arrangement",
        template="arrangement_rejected",
        audiences=PARTIES,
        occurrence=("event.version",),
        cancels=SIGN_OFF_CHASERS,
        publishes=(APPROVAL_SETTLED,),
    ),
    Notice(
        "arrangement.party_left",
        subject="arrangement",
        template="arrangement_party_left",
        audiences=PARTIES,
        occurrence=("event.version",),
        cancels=SIGN_OFF_CHASERS,
        publishes=(APPROVAL_SETTLED,),
    ),
    # --- reviews (§31): the outcome's own event below carries the email ---
    Notice("review.completed", subject="arrangement", cancels=REVIEW_CHASERS),
    Notice(
        "arrangement.renewed",
        subject="arrangement",
        template="arrangement_renewed",
        audiences=PARTIES,
        occurrence=("event.next_review_due",),
    ),
    Notice(
        "arrangement.amendment_started",
        subject="arrangement",
        template="arrangement_amendment_started",
        audiences=PARTIES,
        occurrence=("event.version",),
    ),
    Notice(
        "arrangement.terminated",
        subject="arrangement",
        template="arrangement_terminated",
        audiences=PARTIES,
        cancels=SIGN_OFF_CHASERS + REVIEW_CHASERS,
        publishes=(ENDED,),
    ),
    # --- need-to-know access (§10, §25) ---
    Notice(
        "access.granted",
        subject="grant",
        template="access_granted",
        audiences=(Audience.STAFF_MEMBER, Audience.STAFF_POINTS_OF_CONTACT),
    ),
    Notice(
        "access.revoked",
        subject="grant",
        template="access_revoked",
        audiences=(
            Audience.STAFF_MEMBER,
            Audience.STAFF_POINTS_OF_CONTACT,
            Audience.DATA_OWNER_REPRESENTATIVES,
        ),
        cancels=("access.granted",),
    ),
    # --- suspension and its resolution meeting (§41) ---
    Notice(
        "suspension.raised",
        subject="suspension",
        template="suspension_raised",
        audiences=EVERY_SIGNATORY_AND_THE_CHAIRS,
        publishes=(Publish("isa.suspension.raised", "suspension"),),
        ask=CHAIR_THE_MEETING,
    ),
    Notice(
        "suspension.meeting_scheduled",
        subject="suspension",
        template="meeting_scheduled",
        audiences=EVERY_SIGNATORY_AND_THE_CHAIRS,
        # the n-th time it is set: moving it back to an earlier time is still a new invitation
        occurrence=("event.meeting_at", "calendar.sequence"),
        # an unsent invitation to the old time is replaced by this one, and so is a reminder
        # to set the meeting that has not gone yet
        cancels=("suspension.meeting_scheduled", "suspension.meeting_reminder"),
        invitation=True,
        ask=CHAIR_THE_MEETING,
        publishes=(SUSPENSION_CHANGED,),
    ),
    Notice(
        "suspension.meeting_held",
        subject="suspension",
        template="meeting_held",
        audiences=EVERY_SIGNATORY_AND_THE_CHAIRS,
        cancels=SUSPENSION_CHASERS,
        cancels_meeting=True,
        publishes=(SUSPENSION_CHANGED,),
    ),
    Notice(
        "suspension.ended",
        subject="suspension",
        template="suspension_ended",
        audiences=EVERY_SIGNATORY_AND_THE_CHAIRS,
        cancels=(*SUSPENSION_CHASERS, "suspension.ending_soon"),
        cancels_meeting=True,
        # a meeting that resumes the agency ends the suspension in the same moment
        merged_into=("suspension.meeting_held",),
        publishes=(SUSPENSION_SETTLED,),
    ),
    # --- the suspension's checkers and the deadline sweep: day 7, day 14, day 25 ---
    Notice(
        "suspension.meeting_reminder",
        subject="suspension",
        template="suspension_meeting_reminder",
        audiences=(Audience.CHAIRS,),
        ask=CHAIR_THE_MEETING,
    ),
    Notice(
        "suspension.escalated",
        subject="suspension",
        template="suspension_escalated",
        audiences=EVERY_SIGNATORY_AND_THE_CHAIRS,
        cancels=("suspension.meeting_reminder",),
        ask=CHAIR_THE_MEETING,
    ),
    Notice(
        "suspension.ending_soon",
        subject="suspension",
        template="suspension_ending_soon",
        audiences=EVERY_SIGNATORY_AND_THE_CHAIRS,
    ),
    # --- chasing sign-offs (§6) and reviews (§31): the daily sweep and the approval flow ---
    Notice(
        "arrangement.approval_reminder",
        subject="arrangement",
        template="approval_reminder",
        audiences=(Audience.AWAITING_SIGNATORIES,),
        occurrence=("event.version",),
        ask=SIGN_OFF,
    ),
    Notice(
        "arrangement.approval_escalated",
        subject="arrangement",
        template="approval_escalated",
        audiences=(Audience.CHAIRS, Audience.AWAITING_SIGNATORIES),
        occurrence=("event.version",),
        cancels=("arrangement.approval_reminder",),
        ask=SIGN_OFF,
    ),
    Notice(
        "review.reminder",
        subject="arrangement",
        template="review_reminder",
        audiences=PARTIES,
        occurrence=("event.due_on", "event.days_before"),
        # a reminder not yet sent is out of date once a nearer one is queued
        cancels=("review.reminder",),
        ask=RECORD_REVIEW,
    ),
    Notice(
        "review.opened",
        subject="arrangement",
        template="review_opened",
        audiences=PARTIES,
        occurrence=("event.due_on",),
        cancels=("review.reminder",),
        ask=RECORD_REVIEW,
    ),
    Notice(
        "review.overdue",
        subject="arrangement",
        template="review_overdue",
        audiences=(Audience.PARTY_SIGNATORIES,),
        occurrence=("event.due_on",),
        ask=RECORD_REVIEW,
    ),
    Notice(
        "review.escalated",
        subject="arrangement",
        template="review_escalated",
        audiences=(Audience.CHAIRS, Audience.PARTY_SIGNATORIES),
        occurrence=("event.due_on",),
        ask=RECORD_REVIEW,
    ),
    Notice(
        "arrangement.lapsed",
        subject="arrangement",
        template="arrangement_lapsed",
        audiences=(*PARTIES, Audience.CHAIRS),
        occurrence=("event.due_on",),
        cancels=("review.reminder", "review.opened", "review.overdue", "review.escalated"),
        publishes=(ENDED,),
    ),
    # --- need to know (§10) and training (§12): the daily access sweep ---
    Notice("staff.left", subject="email"),
    Notice("access.attested", subject="grant", cancels=("access.attestation_due",)),
    Notice(
        "access.attestation_due",
        subject="grant",
        template="access_attestation_due",
        audiences=(Audience.STAFF_POINTS_OF_CONTACT,),
        occurrence=("event.due_on",),
        ask=KEEP_OR_REVOKE,
    ),
    Notice(
        "training.expiring",
        subject="email",
        template="training_expiring",
        audiences=(Audience.STAFF_MEMBER, Audience.STAFF_POINTS_OF_CONTACT),
        occurrence=("event.course", "event.expires_on"),
    ),
    # --- disposal of shared data (§9, §35-§37) ---
    Notice(
        "disposal.scheduled",
        subject="task",
        template="disposal_scheduled",
        audiences=(Audience.AGENCY_REPRESENTATIVES, Audience.AGENCY_POINTS_OF_CONTACT),
        ask=CONFIRM_DISPOSAL,
    ),
    Notice(
        "disposal.reminder",
        subject="task",
        template="disposal_reminder",
        audiences=(Audience.AGENCY_REPRESENTATIVES, Audience.AGENCY_POINTS_OF_CONTACT),
        occurrence=("event.days_before",),
        cancels=("disposal.reminder",),
        ask=CONFIRM_DISPOSAL,
    ),
    Notice(
        "disposal.overdue",
        subject="task",
        template="disposal_overdue",
        audiences=(Audience.AGENCY_DPOS, Audience.AGENCY_REPRESENTATIVES),
        ask=CONFIRM_DISPOSAL,
    ),
    Notice(
        "disposal.escalated",
        subject="task",
        template="disposal_escalated",
        audiences=(Audience.CHAIRS, Audience.AGENCY_DPOS),
    ),
    Notice(
        "disposal.confirmed",
        subject="task",
        cancels=(
            "disposal.scheduled",
            "disposal.reminder",
            "disposal.overdue",
            "disposal.escalated",
        ),
    ),
    Notice(
        "arrangement.closed",
        subject="arrangement",
        template="arrangement_closed",
        audiences=PARTIES,
    ),
    # --- the monitoring group's annual review (§40) ---
    Notice(
        "monitoring.report",
        subject="period",
        template="monitoring_report",
        audiences=(Audience.CHAIRS, Audience.MONITORING_GROUP),
    ),
    # --- the audit log's daily checkpoint, kept by the chairs outside the register ---
    Notice(
        "audit.checkpoint",
        subject="checkpoint",
        template="audit_checkpoint",
        audiences=(Audience.CHAIRS,),
    ),
    # --- a data subject's withdrawal of consent (§9, §18): each partner told to cease ---
    Notice(
        "consent.withdrawn",
        subject="consent",
        publishes=(Publish("isa.consent.raised", "consent"),),
    ),
    Notice(
        "consent.notice_sent",
        subject="notice",
        template="consent_notice",
        audiences=(Audience.AGENCY_REPRESENTATIVES,),
        ask=ACKNOWLEDGE_CEASED,
    ),
    *rung_notices(CONSENT_NOTICE, "notice", ACKNOWLEDGE_CEASED),
    Notice(
        "consent.acknowledged",
        subject="notice",
        cancels=("consent.notice_sent", "consent.reminder", "consent.overdue", "consent.escalated"),
    ),
    Notice(
        "consent.closed",
        subject="consent",
        template="consent_closed",
        audiences=(Audience.AGENCY_REPRESENTATIVES,),
        publishes=(CONSENT_SETTLED,),
    ),
    # --- data found inaccurate or inadequate (§32, §33): its owner corrects, recipients told ---
    Notice(
        "data_quality.reported",
        subject="notice",
        template="data_quality_reported",
        audiences=(Audience.AGENCY_REPRESENTATIVES,),
        ask=RECORD_CORRECTION,
        publishes=(QUALITY_RAISED,),
    ),
    *rung_notices(DATA_QUALITY, "notice", RECORD_CORRECTION),
    Notice(
        "data_quality.corrected",
        subject="notice",
        cancels=(
            "data_quality.reported",
            "data_quality.chased",
            "data_quality.overdue",
            "data_quality.escalated",
        ),
        publishes=(QUALITY_SETTLED,),
    ),
    Notice(
        "data_quality.correction_told",
        subject="notice",
        template="data_correction_told",
        audiences=(Audience.AGENCY_REPRESENTATIVES, Audience.AGENCY_POINTS_OF_CONTACT),
    ),
    # --- information requests touching shared data (§7): originators consulted, due dates ---
    Notice("request.recorded", subject="request", publishes=(REQUEST_RAISED,)),
    Notice(
        "request.consultation_sent",
        subject="consultation",
        template="request_consultation",
        audiences=(Audience.AGENCY_REPRESENTATIVES,),
        ask=REPLY_TO_CONSULTATION,
    ),
    *rung_notices(CONSULTATION, "consultation", REPLY_TO_CONSULTATION),
    Notice(
        "request.consultation_replied",
        subject="consultation",
        template="request_consultation_replied",
        audiences=(Audience.AGENCY_REPRESENTATIVES, Audience.AGENCY_POINTS_OF_CONTACT),
        cancels=CONSULTATION_CHASERS,
    ),
    Notice(
        "request.due_soon",
        subject="request",
        template="request_due_soon",
        audiences=(Audience.AGENCY_REPRESENTATIVES, Audience.AGENCY_POINTS_OF_CONTACT),
        occurrence=("event.working_days",),
        ask=RECORD_OUTCOME,
    ),
    Notice(
        "request.overdue",
        subject="request",
        template="request_overdue",
        audiences=(Audience.AGENCY_DPOS, Audience.CHAIRS),
        ask=RECORD_OUTCOME,
    ),
    Notice(
        "request.closed",
        subject="request",
        cancels=("request.due_soon", "request.overdue"),
        publishes=(REQUEST_SETTLED,),
    ),
    Notice(
        "request.outcome_told",
        subject="consultation",
        template="request_outcome_told",
        audiences=(Audience.AGENCY_REPRESENTATIVES,),
        cancels=CONSULTATION_CHASERS,
    ),
    # --- sharing decisions (§9, §19): on the record; all or part not disclosed is told ---
    Notice("decision.recorded", subject="decision"),
    Notice(
        "decision.declined",
        subject="decision",
        template="decision_declined",
        audiences=(Audience.AGENCY_REPRESENTATIVES, Audience.AGENCY_POINTS_OF_CONTACT),
    ),
    # --- onward sharing with a third party (§11, §15): the originator consents or refuses ---
    Notice(
        "onward.requested",
        subject="request",
        template="onward_requested",
        audiences=(Audience.AGENCY_REPRESENTATIVES,),
        ask=ANSWER_ONWARD,
        publishes=(ONWARD_RAISED,),
    ),
    *rung_notices(ONWARD_REQUEST, "request", ANSWER_ONWARD),
    Notice(
        "onward.answered",
        subject="request",
        template="onward_answered",
        audiences=(Audience.AGENCY_REPRESENTATIVES,),
        cancels=("onward.requested", "onward.chased", "onward.overdue", "onward.escalated"),
        publishes=(ONWARD_SETTLED,),
    ),
    # --- a security incident compromising a partner's information (§29): the originator told at
    # once, the reporting agency's DPO asked to decide on reporting to the ICO within 72 hours ---
    Notice(
        "incident.reported",
        subject="incident",
        template="incident_reported",
        audiences=(Audience.AGENCY_REPRESENTATIVES, Audience.AGENCY_DPOS),
        publishes=(Publish("isa.incident.raised", "incident"),),
        ask=ACKNOWLEDGE_INCIDENT,
    ),
    Notice(
        "incident.decision_owed",
        subject="incident",
        template="incident_decision_owed",
        audiences=(Audience.AGENCY_DPOS,),
        ask=DECIDE_ON_REPORTING,
    ),
    Notice(
        "incident.reminder",
        subject="incident",
        template="incident_reminder",
        audiences=(Audience.AGENCY_DPOS,),
        occurrence=("event.hours",),
        ask=DECIDE_ON_REPORTING,
    ),
    Notice(
        "incident.overdue",
        subject="incident",
        template="incident_overdue",
        audiences=(Audience.AGENCY_DPOS, Audience.AGENCY_SIGNATORIES, Audience.CHAIRS),
        cancels=("incident.reminder",),
        ask=DECIDE_ON_REPORTING,
    ),
    Notice(
        "incident.decided",
        subject="incident",
        template="incident_decided",
        audiences=(Audience.AGENCY_REPRESENTATIVES, Audience.AGENCY_DPOS),
        cancels=INCIDENT_CHASERS,
        publishes=(INCIDENT_DECIDED,),
    ),
    Notice(
        "incident.decided_late",
        subject="incident",
        template="incident_decided_late",
        audiences=(Audience.CHAIRS,),
    ),
    Notice(
        "incident.acknowledged",
        subject="incident",
        cancels=(
            "incident.acknowledgement_reminder",
            "incident.acknowledgement_overdue",
        ),
    ),
    # --- the originator's acknowledgement chased in its working days (the deadline sweep) ---
    *rung_notices(INCIDENT_ACKNOWLEDGEMENT, "incident", ACKNOWLEDGE_INCIDENT),
    # --- withdrawal (§42): the written notice to the chairs, and word to every partner ---
    Notice(
        "withdrawal.noticed",
        subject="withdrawal",
        template="withdrawal_noticed",
        audiences=WITHDRAWAL_AUDIENCES,
        # notice effective today takes effect in the same moment
        merged_into=("withdrawal.completed",),
        publishes=(Publish("isa.withdrawal.raised", "withdrawal"),),
    ),
    Notice(
        "withdrawal.completed",
        subject="withdrawal",
        template="withdrawal_completed",
        audiences=WITHDRAWAL_AUDIENCES,
        # a withdrawal ends the agency's open suspension: its meeting will not take place
        cancels_meeting=True,
        publishes=(SUSPENSION_SETTLED,),
    ),
)

CATALOG: Mapping[str, Notice] = {notice.event: notice for notice in _ENTRIES}
if len(CATALOG) != len(_ENTRIES):
    raise ValueError("an event appears twice in the notification catalog")


def notice_for(event_name: str) -> Notice:
    """The catalog row for an event; an event with none is a programming error, not skippable."""
    try:
        return CATALOG[event_name]
    except KeyError:
        raise LookupError(
            f"event {event_name!r} has no entry in notifications/catalog.py: add one (with no "
            "audiences if it sends no email)"
        ) from None


# What a change committed outside a flow run publishes when it queued emails and starts no flow:
# the trigger of the `deliver-outbox` deployment, so they go out at once (a flow run, and the
# flow a change starts, send their own at their end).
OUTBOX_QUEUED = "isa.outbox.queued"


def published_events() -> frozenset[str]:
    """Every Prefect event the register publishes (each is some deployment's trigger): the
    catalog's, and the outbox's own."""
    return frozenset(p.event for n in CATALOG.values() for p in n.publishes) | {OUTBOX_QUEUED}


def templates() -> frozenset[str]:
    """Every template key the catalog uses."""
    return frozenset(n.template for n in CATALOG.values() if n.template is not None)
