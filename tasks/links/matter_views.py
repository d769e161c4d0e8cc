"""What the page behind a link shows about a matter raised between agencies: a partner's
notice to cease processing, a consultation on an information request and the request itself,
a data quality notice, a request to share data onward, and a security incident. The pages of
an arrangement's own life are in tasks/links/views.py."""

from dataclasses import dataclass

import pendulum
from sqlmodel import Session, col, select

from models.clocks import hours_since, regulator_deadline
from models.enums import ConsultationStatus
from models.tables import (
    Agency,
    Arrangement,
    ArrangementParty,
    ConsentNotice,
    ConsentWithdrawal,
    DataQualityNotice,
    InformationRequest,
    OnwardRequest,
    RequestConsultation,
    SecurityIncident,
)
from notifications.render import long_date, long_datetime
from tasks.links.records import the_record


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
    held = the_record(session, ConsentNotice, notice, "consent notice")
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


def _kind_in_words(matter: InformationRequest) -> str:
    return (
        "subject access request" if matter.kind.value == "sar" else "freedom of information request"
    )


def consultation_view(session: Session, consultation: str) -> ConsultationView:
    held = the_record(session, RequestConsultation, consultation, "consultation")
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
        kind=_kind_in_words(matter),
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
    matter = the_record(session, InformationRequest, request, "information request")
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
        kind=_kind_in_words(matter),
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
    held = the_record(session, DataQualityNotice, notice, "data quality notice")
    arrangement = session.get(Arrangement, held.arrangement_id)
    owner, reporter = session.get(Agency, held.owner_id), session.get(Agency, held.reporter_id)
    assert arrangement is not None and owner is not None and reporter is not None
    return QualityView(
        notice=held.reference,
        arrangement=arrangement.reference,
        title=arrangement.title,
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
    asked = the_record(session, OnwardRequest, request, "onward sharing request")
    arrangement = session.get(Arrangement, asked.arrangement_id)
    owner, requester = session.get(Agency, asked.owner_id), session.get(Agency, asked.requester_id)
    assert arrangement is not None and owner is not None and requester is not None
    return OnwardView(
        request=asked.reference,
        arrangement=arrangement.reference,
        title=arrangement.title,
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
    held = the_record(session, SecurityIncident, incident, "security incident")
    arrangement = session.get(Arrangement, held.arrangement_id)
    reporter, source = session.get(Agency, held.agency_id), session.get(Agency, held.originator_id)
    assert arrangement is not None and reporter is not None and source is not None
    aware = pendulum.instance(held.aware_at)
    return IncidentView(
        incident=held.reference,
        arrangement=arrangement.reference,
        title=arrangement.title,
        agency=reporter.name,
        originator=source.name,
        what=held.what,
        aware=long_datetime(aware),
        deadline=long_datetime(regulator_deadline(aware)),
        hours=hours_since(aware, now),
        reported=long_datetime(held.reported_at),
    )
