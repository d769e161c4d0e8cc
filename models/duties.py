"""Each Protocol duty that waits on someone, declared once as data (issue 30): its table and the
column its clock starts from (the anchor), who owes it (the owning agency's column and the roles
there told), the act that settles it, its ladder of chasing (models.clocks.Ladder: calendar days,
working days where the owing agency is, or hours, before or after the anchor), and who each rung
tells with which event. Matters group the duties one flow and one sweep phase chase together.

Nothing here does I/O. One rung function serves every ladder: `rung_owed` (the furthest rung
owed, so a missed day sends only that one) and `rung_times` (the instant of each rung, for the
matter's checker runs, at models.clocks.CHECK_HOUR London for a day ladder).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models.clocks import (
    CONSULTATION_LADDER,
    INCIDENT_LADDER,
    NOTICE_LADDER,
    REQUEST_LADDER,
    SUSPENSION_LADDER,
    Ladder,
    Step,
    Unit,
    rung_dates,
    rung_owed,
    rung_times,
)
from models.enums import (
    ConsentNoticeStatus,
    ConsultationStatus,
    ContactRole,
    DataQualityStatus,
    IncidentStatus,
    InformationRequestStatus,
    OnwardRequestStatus,
)
from models.events import (
    ConsentNoticeChased,
    ConsentNoticeEscalated,
    ConsentNoticeOverdue,
    ConsultationChased,
    ConsultationOverdue,
    DataQualityChased,
    DataQualityEscalated,
    DataQualityOverdue,
    DomainEvent,
    IncidentAcknowledgementChased,
    IncidentAcknowledgementEscalated,
    IncidentAcknowledgementOverdue,
    IncidentOverdue,
    IncidentReminded,
    OnwardSharingChased,
    OnwardSharingEscalated,
    OnwardSharingOverdue,
    RequestDueSoon,
    RequestOverdue,
)
from models.policies import APPROVAL_ESCALATION_DAY, APPROVAL_REMINDER_DAY

__all__ = [
    "APPROVAL_LADDER",
    "DUTIES",
    "MATTERS",
    "SUSPENSION_LADDER",
    "Duty",
    "Ladder",
    "Matter",
    "Rung",
    "Step",
    "Unit",
    "rung_dates",
    "rung_owed",
    "rung_times",
]

# the sign-off reminder (day 7) and the chairs told (day 14) of an arrangement's approval
APPROVAL_LADDER = Ladder.of(Unit.DAYS, APPROVAL_REMINDER_DAY, APPROVAL_ESCALATION_DAY)

# who each rung's email goes to, by notifications.catalog.Audience value
REPRESENTATIVES = "agency_representatives"
POINTS_OF_CONTACT = "agency_points_of_contact"
DPOS = "agency_dpos"
SIGNATORIES = "agency_signatories"
CHAIRS = "chairs"


@dataclass(frozen=True)
class Rung:
    """One rung of a ladder: the event it emits, what the sweep's report says it did, who its
    email tells, and the event field carrying the rung's offset (its working days or hours) from
    the ladder, if the email says it. The catalog builds the rung's row from these
    (notifications.catalog.rung_notices)."""

    event: type[DomainEvent]
    words: str
    tells: tuple[str, ...]
    fact: str | None = "working_days"
    # its email's template, and whether it carries the personal link to settle the duty
    template: str = ""
    asks: bool = True


@dataclass(frozen=True)
class Duty:
    """A duty that waits on an agency, chased up its ladder until it is settled.

    `model` names its table (models.tables); `anchor` the column its clock starts from; `owner`
    the column of the agency that owes it and `owner_roles` who there is asked; `settled_by` the
    act (its audit action) that settles it; `open` the column and value while it waits (None:
    while the column is empty), `settled` the statuses that end it; `column` how far it has been
    chased.
    `matter_link` is the column naming its matter's row, when the duty is one of several under a
    matter (a withdrawal of consent's notices), and `matter_open` a further condition on that
    row; `label` what its checker runs are called after when its matter has other duties."""

    name: str
    model: str
    anchor: str
    owner: str
    owner_roles: tuple[ContactRole, ...]
    settled_by: str
    open: tuple[str, Any]
    settled: tuple[str, ...]
    ladder: Ladder
    rungs: tuple[Rung, ...]
    action: str
    subject_type: str
    column: str = "chased"
    matter_link: str = ""
    matter_open: tuple[str, Any] | None = None
    # what its checker runs are called after, when its matter has other duties too
    label: str = ""

    def __post_init__(self) -> None:
        if len(self.rungs) != self.ladder.top:
            raise ValueError(f"{self.name}: one rung declared per step of its ladder")

    @property
    def table(self) -> type[Any]:
        """Its table (models.tables, loaded only when asked: a declaration is read by commands
        that load no ORM)."""
        return _table(self.model)

    def rung(self, n: int) -> Rung:
        return self.rungs[n - 1]

    def facts(self, n: int) -> dict[str, int]:
        """The rung's own fact for its event: its working days or hours, from the ladder."""
        fact = self.rung(n).fact
        return {fact: self.ladder.amount(n)} if fact else {}


@dataclass(frozen=True)
class Matter:
    """What one flow and one phase of the deadline sweep chase together: the duties under one
    matter's row (`model` names its table, audited as `subject_type`), its deployment, the
    Prefect events (`isa.<event>.raised` / `.settled`) that start that flow, and the sweep's
    report name (`phase`) and unit of work (`action`)."""

    name: str
    model: str
    subject_type: str
    duties: tuple[Duty, ...]
    phase: str
    action: str
    deployment: str
    event: str

    @property
    def table(self) -> type[Any]:
        return _table(self.model)


def _table(name: str) -> type[Any]:
    from models import tables

    found: type[Any] = getattr(tables, name)
    return found


def _notice_rungs(
    events: tuple[type[DomainEvent], type[DomainEvent], type[DomainEvent]],
    templates: tuple[str, str, str],
) -> tuple[Rung, Rung, Rung]:
    """A notice to a partner's ladder: its representatives reminded, again with its DPO told,
    then the chairs (and its DPO) told, with no link to act on (they are not the ones to)."""
    chased, overdue, escalated = events
    return (
        Rung(chased, "reminded", (REPRESENTATIVES,), template=templates[0]),
        Rung(overdue, "reminded: DPO told", (REPRESENTATIVES, DPOS), template=templates[1]),
        Rung(
            escalated,
            "escalated to the chairs",
            (CHAIRS, DPOS),
            template=templates[2],
            asks=False,
        ),
    )


CONSENT_NOTICE = Duty(
    name="consent notice",
    model="ConsentNotice",
    anchor="notified_at",
    owner="agency_id",
    owner_roles=(ContactRole.NOMINATED_REPRESENTATIVE,),
    settled_by="consent.acknowledge",
    open=("status", ConsentNoticeStatus.PENDING),
    settled=(ConsentNoticeStatus.ACKNOWLEDGED,),
    ladder=NOTICE_LADDER,
    rungs=_notice_rungs(
        (ConsentNoticeChased, ConsentNoticeOverdue, ConsentNoticeEscalated),
        ("consent_reminder", "consent_overdue", "consent_escalated"),
    ),
    action="consent.chase",
    subject_type="consent_notice",
    matter_link="consent_id",
)
DATA_QUALITY = Duty(
    name="data quality notice",
    model="DataQualityNotice",
    anchor="reported_at",
    owner="owner_id",
    owner_roles=(ContactRole.NOMINATED_REPRESENTATIVE,),
    settled_by="data_quality.correct",
    open=("status", DataQualityStatus.OPEN),
    settled=(DataQualityStatus.CORRECTED,),
    ladder=NOTICE_LADDER,
    rungs=_notice_rungs(
        (DataQualityChased, DataQualityOverdue, DataQualityEscalated),
        ("data_quality_chased", "data_quality_chased", "data_quality_escalated"),
    ),
    action="data_quality.chase",
    subject_type="data_quality_notice",
)
ONWARD_REQUEST = Duty(
    name="onward sharing request",
    model="OnwardRequest",
    anchor="requested_at",
    owner="owner_id",
    owner_roles=(ContactRole.NOMINATED_REPRESENTATIVE,),
    settled_by="onward.answer",
    open=("status", OnwardRequestStatus.OPEN),
    settled=(OnwardRequestStatus.CONSENTED, OnwardRequestStatus.REFUSED),
    ladder=NOTICE_LADDER,
    rungs=_notice_rungs(
        (OnwardSharingChased, OnwardSharingOverdue, OnwardSharingEscalated),
        ("onward_chased", "onward_chased", "onward_escalated"),
    ),
    action="onward.chase",
    subject_type="onward_request",
)
INFORMATION_REQUEST = Duty(
    name="information request",
    model="InformationRequest",
    anchor="due_on",
    owner="agency_id",
    owner_roles=(
        ContactRole.NOMINATED_REPRESENTATIVE,
        ContactRole.POINT_OF_CONTACT,
        ContactRole.DPO,
    ),
    settled_by="request.close",
    open=("status", InformationRequestStatus.OPEN),
    settled=(InformationRequestStatus.CLOSED,),
    ladder=REQUEST_LADDER,
    rungs=(
        Rung(RequestDueSoon, "reminded", (REPRESENTATIVES, POINTS_OF_CONTACT)),
        Rung(RequestDueSoon, "reminded again", (REPRESENTATIVES, POINTS_OF_CONTACT)),
        Rung(RequestOverdue, "overdue: DPO and chairs told", (DPOS, CHAIRS), fact=None),
    ),
    action="request.remind",
    subject_type="information_request",
    column="reminded",
)
CONSULTATION = Duty(
    name="consultation",
    model="RequestConsultation",
    anchor="reply_by",
    owner="agency_id",
    owner_roles=(ContactRole.NOMINATED_REPRESENTATIVE, ContactRole.DPO),
    settled_by="request.reply",
    open=("status", ConsultationStatus.AWAITING),
    settled=(ConsultationStatus.REPLIED, ConsultationStatus.LAPSED),
    ladder=CONSULTATION_LADDER,
    rungs=(
        Rung(
            ConsultationChased,
            "consultation chased",
            (REPRESENTATIVES,),
            fact=None,
            template="request_consultation_chased",
        ),
        Rung(
            ConsultationOverdue,
            "consultation chased: DPO told",
            (REPRESENTATIVES, DPOS),
            fact=None,
            template="request_consultation_chased",
        ),
    ),
    action="request.consultation_chase",
    subject_type="request_consultation",
    matter_link="request_id",
    matter_open=("status", InformationRequestStatus.OPEN),
    label="consultation",
)
INCIDENT_DECISION = Duty(
    name="incident decision",
    model="SecurityIncident",
    anchor="aware_at",
    owner="agency_id",
    owner_roles=(ContactRole.DPO,),
    settled_by="incident.decide",
    open=("status", IncidentStatus.REPORTED),
    settled=(IncidentStatus.DECIDED,),
    ladder=INCIDENT_LADDER,
    rungs=(
        *(
            Rung(IncidentReminded, f"DPO reminded at {hours} h", (DPOS,), fact="hours")
            for hours in (step.amount for step in INCIDENT_LADDER.steps[:-1])
        ),
        Rung(
            IncidentOverdue,
            "overdue at 72 h: DPO, signatories and chairs told",
            (DPOS, SIGNATORIES, CHAIRS),
            fact="hours",
        ),
    ),
    action="incident.chase",
    subject_type="security_incident",
)
INCIDENT_ACKNOWLEDGEMENT = Duty(
    name="incident acknowledgement",
    model="SecurityIncident",
    anchor="reported_at",
    owner="originator_id",
    owner_roles=(ContactRole.NOMINATED_REPRESENTATIVE, ContactRole.DPO),
    settled_by="incident.acknowledge",
    open=("acknowledged_at", None),
    settled=(),
    ladder=NOTICE_LADDER,
    rungs=(
        Rung(
            IncidentAcknowledgementChased,
            "originator reminded to acknowledge",
            (REPRESENTATIVES, DPOS),
            template="incident_unacknowledged",
        ),
        Rung(
            IncidentAcknowledgementOverdue,
            "originator reminded: its signatories told",
            (REPRESENTATIVES, DPOS, SIGNATORIES),
            template="incident_unacknowledged",
        ),
        Rung(
            IncidentAcknowledgementEscalated,
            "unacknowledged: chairs told",
            (CHAIRS,),
            template="incident_unacknowledged",
            asks=False,
        ),
    ),
    action="incident.chase_acknowledgement",
    subject_type="security_incident",
    column="acknowledgement_chased",
)

DUTIES: Mapping[str, Duty] = {
    duty.name: duty
    for duty in (
        CONSENT_NOTICE,
        DATA_QUALITY,
        ONWARD_REQUEST,
        INFORMATION_REQUEST,
        CONSULTATION,
        INCIDENT_DECISION,
        INCIDENT_ACKNOWLEDGEMENT,
    )
}

# in the deadline sweep's order; the first four are run by the matter flow (flows/matter.py),
# the incident by its own flow (flows/incident.py)
MATTERS: Mapping[str, Matter] = {
    matter.name: matter
    for matter in (
        Matter(
            "consent",
            "ConsentWithdrawal",
            "consent_withdrawal",
            (CONSENT_NOTICE,),
            phase="consent notices",
            action="consent.chase",
            deployment="consent",
            event="consent",
        ),
        Matter(
            "quality",
            "DataQualityNotice",
            "data_quality_notice",
            (DATA_QUALITY,),
            phase="data quality",
            action="data_quality.chase",
            deployment="data-quality",
            event="quality",
        ),
        Matter(
            "onward",
            "OnwardRequest",
            "onward_request",
            (ONWARD_REQUEST,),
            phase="onward sharing",
            action="onward.chase",
            deployment="onward",
            event="onward",
        ),
        Matter(
            "request",
            "InformationRequest",
            "information_request",
            (INFORMATION_REQUEST, CONSULTATION),
            phase="information requests",
            action="request.chase",
            deployment="information-request",
            event="request",
        ),
        Matter(
            "incident",
            "SecurityIncident",
            "security_incident",
            (INCIDENT_DECISION, INCIDENT_ACKNOWLEDGEMENT),
            phase="incidents",
            action="incident.chase",
            deployment="incident",
            event="incident",
        ),
    )
}
