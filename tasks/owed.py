"""What an agency owes on a row of its own, declared once for the portal: a disposal, a consent
notice, a data-quality notice, a consultation, an information request, an onward request, an
incident's decision and its notice to the originator. Each row says which table holds the duty,
which column names the agency that owes it, when it is still open, when it is due, who answers
it and the words for it; one query (`open_rows`) serves them all, for what waits on a person
and for what has been chased to the chairs (tasks/waiting.py)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pendulum
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models.clocks import chase_dates, regulator_deadline, request_reminder_rung
from models.enums import (
    ConsentNoticeStatus,
    ConsultationStatus,
    ContactRole,
    DataQualityStatus,
    DisposalTaskStatus,
    IncidentStatus,
    InformationRequestStatus,
    Nation,
    OnwardRequestStatus,
)
from models.links import LinkAction
from models.tables import (
    Agency,
    Arrangement,
    ConsentNotice,
    ConsentWithdrawal,
    DataQualityNotice,
    DisposalTask,
    InformationRequest,
    OnwardRequest,
    RequestConsultation,
    SecurityIncident,
)
from notifications.render import long_date, long_datetime

REPRESENTATIVE = ContactRole.NOMINATED_REPRESENTATIVE
DPO = ContactRole.DPO

# how a duty's due date follows from the moment its clock starts (and the owing agency's nation)
Due = Callable[[Any, Nation], Any]


def _on(anchor: Any, nation: Nation) -> Any:
    """Due on the anchor itself (a due date, a reply-by date)."""
    return anchor


def _first_reminder(anchor: Any, nation: Nation) -> Any:
    """Late once unanswered on its first reminder's day (models.clocks.chase_dates)."""
    return chase_dates(pendulum.instance(anchor), nation)[0] if nation else None


def _ico_deadline(anchor: Any, nation: Nation) -> Any:
    """The 72 hours to report a breach to the ICO (models.clocks.regulator_deadline)."""
    return regulator_deadline(pendulum.instance(anchor))


def _when(moment: Any) -> str:
    """A day as a long date, an instant as a long date and time."""
    return long_datetime(moment) if isinstance(moment, datetime) else long_date(moment)


@dataclass(frozen=True)
class Owed:
    """A duty an agency owes on a row of its own, as the portal lists it. The words are format
    strings over the row (by `called`), its owner (`owner`), the rows in `named`, `at` (when
    its clock started) and `due`; a duty that names an arrangement (as `arrangement`) is
    listed under it."""

    action: LinkAction
    # who at the owing agency answers it (any of these roles)
    roles: tuple[ContactRole, ...]
    table: Any
    called: str
    # the table's column naming the agency that owes it, and when it is still owed
    owner: Any
    still_open: Any
    # the rows its words name: (name, entity, how it joins)
    named: tuple[tuple[str, Any, Any], ...]
    # the row's field its clock starts from (the person's list is in its order), and its due date
    anchor: str
    due: Due
    title: str
    what: str
    by: str
    # whether the person's list says how late it is
    late: bool = True
    # listed only once this holds (row, owner, today), as a request due soon
    shown: Callable[[Any, Any, pendulum.Date], bool] | None = None
    # when its chase has reached the chairs, and the words the chairs' list uses
    chased: Any = None
    chased_title: str = ""
    chased_what: str = ""
    with_whom: str = ""
    # late counted in hours while under two days (an incident's 72-hour deadline)
    in_hours: bool = False

    def due_of(self, row: Any, owner: Any) -> Any:
        return self.due(getattr(row, self.anchor), owner.nation)

    def say(self, words: str, row: Any, owner: Any, named: dict[str, Any], due: Any) -> str:
        at = _when(getattr(row, self.anchor))
        shown = _when(due) if due is not None else ""
        return words.format(**{self.called: row}, owner=owner, **named, at=at, due=shown)


# the agency that owes a duty, and another the words name (an originator, a requester)
OWNER = aliased(Agency, name="owner")
PARTNER = aliased(Agency, name="partner")

DISPOSAL = Owed(
    LinkAction.CONFIRM_DISPOSAL,
    (REPRESENTATIVE,),
    DisposalTask,
    "task",
    owner=DisposalTask.agency_id,
    still_open=DisposalTask.status == DisposalTaskStatus.PENDING,
    named=(("arrangement", Arrangement, col(Arrangement.id) == DisposalTask.arrangement_id),),
    anchor="due_on",
    due=_on,
    title="{arrangement.title}",
    what="confirm the destruction of the data shared under {arrangement.reference}",
    by="{due}",
)
CONSENT = Owed(
    LinkAction.ACKNOWLEDGE_CONSENT,
    (REPRESENTATIVE,),
    ConsentNotice,
    "notice",
    owner=ConsentNotice.agency_id,
    still_open=ConsentNotice.status == ConsentNoticeStatus.PENDING,
    named=(
        ("consent", ConsentWithdrawal, col(ConsentWithdrawal.id) == ConsentNotice.consent_id),
        ("originator", PARTNER, PARTNER.id == ConsentWithdrawal.agency_id),
    ),
    anchor="notified_at",
    due=_first_reminder,
    title="consent withdrawn: {originator.name}'s data subject {consent.subject_ref}",
    what="acknowledge that processing has ceased",
    by="told {at}",
    chased=ConsentNotice.chased >= 3,
    chased_title="consent withdrawn: data subject {consent.subject_ref}",
    with_whom="the nominated representative of {owner.name}",
)
QUALITY = Owed(
    LinkAction.CORRECT_DATA,
    (REPRESENTATIVE,),
    DataQualityNotice,
    "notice",
    owner=DataQualityNotice.owner_id,
    still_open=DataQualityNotice.status == DataQualityStatus.OPEN,
    named=(("arrangement", Arrangement, col(Arrangement.id) == DataQualityNotice.arrangement_id),),
    anchor="reported_at",
    due=_first_reminder,
    title="data found inaccurate under {arrangement.reference}: {arrangement.title}",
    what="record the correction",
    by="told {at}",
    chased=DataQualityNotice.chased >= 3,
    chased_title="data found inaccurate under {arrangement.reference}",
    with_whom="the nominated representative of {owner.name}",
)
# a consultation its agency has yet to reply to (§7)
CONSULTATION = Owed(
    LinkAction.REPLY_CONSULTATION,
    (REPRESENTATIVE, DPO),
    RequestConsultation,
    "consultation",
    owner=RequestConsultation.agency_id,
    still_open=RequestConsultation.status == ConsultationStatus.AWAITING,
    named=(
        (
            "request",
            InformationRequest,
            col(InformationRequest.id) == RequestConsultation.request_id,
        ),
        ("received_by", PARTNER, PARTNER.id == InformationRequest.agency_id),
    ),
    anchor="reply_by",
    due=_on,
    title="{received_by.name}'s {request.kind.value} request {request.their_ref}",
    what="reply to the consultation: no objection, or object",
    by="{due}",
)
# a request its agency received with no outcome, listed once due soon (inside the first
# reminder's working days, models.clocks.request_reminder_rung) or overdue
REQUEST = Owed(
    LinkAction.CLOSE_REQUEST,
    (REPRESENTATIVE, DPO),
    InformationRequest,
    "request",
    owner=InformationRequest.agency_id,
    still_open=InformationRequest.status == InformationRequestStatus.OPEN,
    named=(),
    anchor="due_on",
    due=_on,
    title="{request.kind.value} request {request.their_ref}",
    what="answer the request and record its outcome",
    by="{due}",
    shown=lambda request, owner, today: (
        request_reminder_rung(request.due_on, today, owner.nation) >= 1
    ),
    chased=InformationRequest.reminded >= 3,
    with_whom="{owner.name}'s nominated representative or DPO",
)
ONWARD = Owed(
    LinkAction.ANSWER_ONWARD,
    (REPRESENTATIVE,),
    OnwardRequest,
    "asked",
    owner=OnwardRequest.owner_id,
    still_open=OnwardRequest.status == OnwardRequestStatus.OPEN,
    named=(
        ("arrangement", Arrangement, col(Arrangement.id) == OnwardRequest.arrangement_id),
        ("requester", PARTNER, PARTNER.id == OnwardRequest.requester_id),
    ),
    anchor="requested_at",
    due=_first_reminder,
    title="{requester.name} asks to share data received under {arrangement.reference} with "
    "{asked.third_party}",
    what="consent or refuse",
    by="asked {at}",
    late=False,
    chased=OnwardRequest.chased >= 3,
    chased_title="onward sharing with {asked.third_party} under {arrangement.reference}",
    with_whom="the nominated representative of {owner.name}",
)
INCIDENT = Owed(
    LinkAction.DECIDE_INCIDENT,
    (DPO,),
    SecurityIncident,
    "incident",
    owner=SecurityIncident.agency_id,
    still_open=SecurityIncident.status == IncidentStatus.REPORTED,
    named=(("arrangement", Arrangement, col(Arrangement.id) == SecurityIncident.arrangement_id),),
    anchor="aware_at",
    due=_ico_deadline,
    title="security incident under {arrangement.reference}: {arrangement.title}",
    what="record whether it is reported to the ICO, and why",
    by="{due}",
    chased=SecurityIncident.chased >= 4,
    chased_title="security incident at {owner.name}",
    with_whom="the DPO of {owner.name}",
    in_hours=True,
)
# the recipient's notice of an incident to the agency whose data it compromised
INCIDENT_NOTICE = Owed(
    LinkAction.ACKNOWLEDGE_INCIDENT,
    (REPRESENTATIVE, DPO),
    SecurityIncident,
    "incident",
    owner=SecurityIncident.originator_id,
    still_open=col(SecurityIncident.acknowledged_at).is_(None),
    named=(("arrangement", Arrangement, col(Arrangement.id) == SecurityIncident.arrangement_id),),
    anchor="reported_at",
    due=_first_reminder,
    title="security incident compromising your data under {arrangement.reference}",
    what="acknowledge that your agency has been told",
    by="told {at}",
    late=False,
    chased=SecurityIncident.acknowledgement_chased >= 3,
    chased_title="security incident compromising its data",
    chased_what="acknowledge that the agency has been told",
    with_whom="the nominated representative or DPO of {owner.name}",
)
# in the order a person's list shows them, and the order the chairs' list takes them in
OWED = (DISPOSAL, CONSENT, QUALITY, CONSULTATION, REQUEST, ONWARD, INCIDENT, INCIDENT_NOTICE)
CHASED_TO_CHAIRS = (CONSENT, QUALITY, ONWARD, REQUEST, INCIDENT, INCIDENT_NOTICE)


def open_rows(
    session: Session, duty: Owed, *, agency: str | None
) -> list[tuple[Any, Any, dict[str, Any]]]:
    """The duty's rows still owed (row, owning agency, named rows): by one agency in the
    order of its clock, or else by any agency once its chase has reached the chairs."""
    stmt: Any = select(duty.table, OWNER).join(OWNER, OWNER.id == duty.owner)
    for _, entity, joined in duty.named:
        stmt = stmt.add_columns(entity).join(entity, joined)
    stmt = stmt.where(duty.still_open)
    if agency is not None:
        stmt = stmt.where(OWNER.name == agency).order_by(col(getattr(duty.table, duty.anchor)))
    else:
        stmt = stmt.where(duty.chased).order_by(col(duty.table.id))
    names = [name for name, _, _ in duty.named]
    return [
        (row, owner, dict(zip(names, rest, strict=True)))
        for row, owner, *rest in session.exec(stmt)
    ]
