"""The annual register summary the Information Governance Monitoring Group meets on (§40):
arrangements by status, reviews done and overdue, access revoked, disposals, suspensions,
withdrawals, withdrawals of consent, data quality notices, sharing decisions by outcome, requests
to share data onward and information requests (§7) in the year, and each agency's trained and
untrained staff (those with access to shared data) with the training that has lapsed (§12,
§38-39). Publishing it queues one email to each member of the group (every agency's point of
contact, §40) and each chair, once per period; a preview (`summarise`) writes and sends nothing."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pendulum
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from models.clocks import LONDON
from models.enums import (
    AccessGrantStatus,
    AgencyStatus,
    ArrangementStatus,
    ConsentNoticeStatus,
    ConsultationStatus,
    DataQualityStatus,
    DisposalTaskStatus,
    IncidentStatus,
    InformationRequestStatus,
    OnwardRequestStatus,
    RequestKind,
    ReviewStatus,
    SharingOutcome,
)
from models.events import DomainEvent, MonitoringReportPublished
from models.markdown import markdown_text
from models.tables import (
    AccessGrant,
    Agency,
    Arrangement,
    ConsentNotice,
    ConsentWithdrawal,
    Contact,
    DataQualityNotice,
    DisposalTask,
    InformationRequest,
    OnwardRequest,
    RequestConsultation,
    Review,
    SecurityIncident,
    SharingDecision,
    Suspension,
    TrainingRecord,
    Withdrawal,
)
from tasks.uow import unit_of_work


@dataclass(frozen=True)
class MonitoringSummary:
    period: str
    start: date
    end: date
    arrangements_by_status: dict[str, int]
    figures: dict[str, int]
    # per agency still a member or suspended: its staff with access to shared data at the
    # period's end, with training in date then, and without (§12, §38-39)
    training: dict[str, dict[str, int]] = field(default_factory=dict)
    # whose training has lapsed and not been renewed: (name, agency, course, expired on)
    lapsed: tuple[tuple[str, str, str, str], ...] = ()

    def markdown(self) -> str:
        lines = [
            f"# Register summary for the monitoring group, {self.period}",
            "",
            f"Period: {self.start.isoformat()} to {self.end.isoformat()} (§40).",
            "",
            "## Arrangements by status",
            "",
            "| status | arrangements |",
            "|---|---|",
        ]
        lines += [
            f"| {markdown_text(status.replace('_', ' '))} | {count} |"
            for status, count in self.arrangements_by_status.items()
        ]
        lines += ["", "## In the period", "", "| measure | count |", "|---|---|"]
        lines += [
            f"| {markdown_text(name.replace('_', ' '))} | {count} |"
            for name, count in self.figures.items()
        ]
        lines += [
            "",
            "## Training (§12, §38-39)",
            "",
            "Staff with access to shared data at each agency on "
            f"{self.end.isoformat()}, with training in date then, and without.",
            "",
            "| agency | trained | untrained |",
            "|---|---|---|",
        ]
        lines += [
            f"| {markdown_text(agency)} | {n['trained']} | {n['untrained']} |"
            for agency, n in self.training.items()
        ]
        lines += ["", "### Training lapsed and not renewed", ""]
        if self.lapsed:
            lines += ["| staff member | agency | course | expired on |", "|---|---|---|---|"]
            lines += [
                f"| {' | '.join(markdown_text(cell) for cell in row)} |" for row in self.lapsed
            ]
        else:
            lines.append("None.")
        return "\n".join(lines) + "\n"

    def flat(self) -> dict[str, int]:
        return {
            **{f"arrangements_{k}": v for k, v in self.arrangements_by_status.items()},
            **self.figures,
            "staff_trained": sum(n["trained"] for n in self.training.values()),
            "staff_untrained": sum(n["untrained"] for n in self.training.values()),
            "staff_with_lapsed_training": len(self.lapsed),
        }


def _between(column: Any, start: pendulum.DateTime, end: pendulum.DateTime) -> Any:
    return (column >= start) & (column < end)


def summarise(session: Session, *, period_end: date) -> MonitoringSummary:
    """The year up to and including `period_end` (a London date)."""
    end_day = pendulum.Date(period_end.year, period_end.month, period_end.day)
    start_day = end_day.subtract(years=1).add(days=1)
    start = pendulum.datetime(start_day.year, start_day.month, start_day.day, tz=LONDON)
    end = pendulum.datetime(end_day.year, end_day.month, end_day.day, tz=LONDON).add(days=1)

    def count(stmt: Any) -> int:
        return int(session.exec(stmt).one())

    by_status = dict.fromkeys((s.value for s in ArrangementStatus), 0)
    for status, n in session.exec(
        select(Arrangement.status, func.count()).group_by(Arrangement.status)
    ).all():
        by_status[ArrangementStatus(status).value] = int(n)
    figures = {
        "reviews_completed": count(
            select(func.count())
            .select_from(Review)
            .where(Review.status == ReviewStatus.COMPLETED)
            .where(_between(col(Review.completed_at), start, end))
        ),
        "reviews_overdue_now": count(
            select(func.count())
            .select_from(Review)
            .where(col(Review.status).in_([ReviewStatus.SCHEDULED, ReviewStatus.OPEN]))
            .where(Review.due_on < end_day)
        ),
        "access_revoked": count(
            select(func.count())
            .select_from(AccessGrant)
            .where(AccessGrant.status == AccessGrantStatus.REVOKED)
            .where(_between(col(AccessGrant.revoked_at), start, end))
        ),
        "disposals_confirmed": count(
            select(func.count())
            .select_from(DisposalTask)
            .where(DisposalTask.status == DisposalTaskStatus.CONFIRMED)
            .where(_between(col(DisposalTask.confirmed_at), start, end))
        ),
        "disposals_overdue_now": count(
            select(func.count())
            .select_from(DisposalTask)
            .where(DisposalTask.status == DisposalTaskStatus.PENDING)
            .where(DisposalTask.due_on < end_day)
        ),
        "suspensions_raised": count(
            select(func.count())
            .select_from(Suspension)
            .where(_between(col(Suspension.raised_at), start, end))
        ),
        "withdrawals": count(
            select(func.count())
            .select_from(Withdrawal)
            .where(_between(col(Withdrawal.noticed_at), start, end))
        ),
        "consent_withdrawals": count(
            select(func.count())
            .select_from(ConsentWithdrawal)
            .where(_between(col(ConsentWithdrawal.raised_at), start, end))
        ),
        "consent_notices_acknowledged": count(
            select(func.count())
            .select_from(ConsentNotice)
            .where(ConsentNotice.status == ConsentNoticeStatus.ACKNOWLEDGED)
            .where(_between(col(ConsentNotice.acknowledged_at), start, end))
        ),
        "data_quality_notices": count(
            select(func.count())
            .select_from(DataQualityNotice)
            .where(_between(col(DataQualityNotice.reported_at), start, end))
        ),
        "data_quality_uncorrected_now": count(
            select(func.count())
            .select_from(DataQualityNotice)
            .where(DataQualityNotice.status == DataQualityStatus.OPEN)
            .where(col(DataQualityNotice.reported_at) < end)
        ),
        # information requests touching shared data (§7), by the date each was received
        **{
            f"{kind.value}_requests_received": count(
                select(func.count())
                .select_from(InformationRequest)
                .where(InformationRequest.kind == kind)
                .where(col(InformationRequest.received_on) >= start_day)
                .where(col(InformationRequest.received_on) <= end_day)
            )
            for kind in RequestKind
        },
        "requests_answered_within_due_date": count(
            select(func.count())
            .select_from(InformationRequest)
            .where(col(InformationRequest.within_due).is_(True))
            .where(_between(col(InformationRequest.closed_at), start, end))
        ),
        "requests_answered_after_due_date": count(
            select(func.count())
            .select_from(InformationRequest)
            .where(col(InformationRequest.within_due).is_(False))
            .where(_between(col(InformationRequest.closed_at), start, end))
        ),
        "requests_open_now": count(
            select(func.count())
            .select_from(InformationRequest)
            .where(InformationRequest.status == InformationRequestStatus.OPEN)
            .where(col(InformationRequest.recorded_at) < end)
        ),
        "request_consultations_unanswered_now": count(
            select(func.count())
            .select_from(RequestConsultation)
            .where(RequestConsultation.status == ConsultationStatus.AWAITING)
            .where(col(RequestConsultation.sent_at) < end)
        ),
        **{
            f"sharing_decisions_{outcome.value}": count(
                select(func.count())
                .select_from(SharingDecision)
                .where(SharingDecision.outcome == outcome)
                .where(_between(col(SharingDecision.decided_at), start, end))
            )
            for outcome in SharingOutcome
        },
        **{
            f"onward_requests_{status.value}": count(
                select(func.count())
                .select_from(OnwardRequest)
                .where(OnwardRequest.status == status)
                .where(_between(col(OnwardRequest.answered_at), start, end))
            )
            for status in (OnwardRequestStatus.CONSENTED, OnwardRequestStatus.REFUSED)
        },
        # open at the period's end: asked before it and not answered by then
        "onward_requests_open_now": count(
            select(func.count())
            .select_from(OnwardRequest)
            .where(col(OnwardRequest.requested_at) < end)
            .where(
                or_(
                    col(OnwardRequest.status) == OnwardRequestStatus.OPEN,
                    col(OnwardRequest.answered_at) >= end,
                )
            )
        ),
        "security_incidents": count(
            select(func.count())
            .select_from(SecurityIncident)
            .where(_between(col(SecurityIncident.reported_at), start, end))
        ),
        "security_incidents_reported_to_the_ico": count(
            select(func.count())
            .select_from(SecurityIncident)
            .where(col(SecurityIncident.notify_regulator).is_(True))
            .where(_between(col(SecurityIncident.decided_at), start, end))
        ),
        "security_incidents_not_reported_to_the_ico": count(
            select(func.count())
            .select_from(SecurityIncident)
            .where(col(SecurityIncident.notify_regulator).is_(False))
            .where(_between(col(SecurityIncident.decided_at), start, end))
        ),
        "security_incidents_decided_after_72_hours": count(
            select(func.count())
            .select_from(SecurityIncident)
            .where(col(SecurityIncident.decided_in_time).is_(False))
            .where(_between(col(SecurityIncident.decided_at), start, end))
        ),
        "security_incidents_undecided_now": count(
            select(func.count())
            .select_from(SecurityIncident)
            .where(SecurityIncident.status == IncidentStatus.REPORTED)
            .where(col(SecurityIncident.reported_at) < end)
        ),
        "security_incidents_unacknowledged_now": count(
            select(func.count())
            .select_from(SecurityIncident)
            .where(col(SecurityIncident.acknowledged_at).is_(None))
            .where(col(SecurityIncident.reported_at) < end)
        ),
        "consent_notices_unacknowledged_now": count(
            select(func.count())
            .select_from(ConsentNotice)
            .where(ConsentNotice.status == ConsentNoticeStatus.PENDING)
            .where(col(ConsentNotice.notified_at) < end)
        ),
    }
    training, lapsed = _training(session, end_day, end)
    return MonitoringSummary(
        period=f"{start_day.isoformat()}/{end_day.isoformat()}",
        start=start_day,
        end=end_day,
        arrangements_by_status=by_status,
        figures=figures,
        training=training,
        lapsed=lapsed,
    )


def _training(
    session: Session, on: pendulum.Date, end: pendulum.DateTime
) -> tuple[dict[str, dict[str, int]], tuple[tuple[str, str, str, str], ...]]:
    """Each agency's staff at `end`: its contacts still there who hold access to shared data
    then (a grant made before `end`, neither revoked nor expired by then), trained (a course
    completed by `on` that has not expired by then) or not; and those whose last training lapsed
    before `on`. Signatories, representatives, DPOs and points of contact are counted only if
    they hold access themselves: the Protocol's training duty is on the staff who see the data."""
    in_force = (
        select(AccessGrant.contact_id)
        .where(col(AccessGrant.granted_at) < end)
        .where(col(AccessGrant.revoked_at).is_(None) | (col(AccessGrant.revoked_at) >= end))
        .where(col(AccessGrant.expires_on).is_(None) | (col(AccessGrant.expires_on) >= on))
    )
    agencies = session.exec(
        select(Agency.name)
        .where(col(Agency.status) != AgencyStatus.WITHDRAWN)
        .where(col(Agency.created_at) < end)
        .order_by(col(Agency.name))
    ).all()
    staff = session.exec(
        select(Contact, Agency)
        .join(Agency, col(Agency.id) == Contact.agency_id)
        .where(col(Agency.status) != AgencyStatus.WITHDRAWN)
        .where(col(Contact.created_at) < end)
        .where(col(Contact.left_at).is_(None) | (col(Contact.left_at) >= end))
        .where(col(Contact.id).in_(in_force))
        .order_by(col(Agency.name), col(Contact.name))
    ).all()
    records: dict[int, list[TrainingRecord]] = {}
    for record in session.exec(
        select(TrainingRecord)
        .where(TrainingRecord.completed_on <= on)
        .order_by(col(TrainingRecord.completed_on))
    ).all():
        records.setdefault(record.contact_id, []).append(record)
    training: dict[str, dict[str, int]] = {
        name: {"trained": 0, "untrained": 0} for name in agencies
    }
    lapsed: list[tuple[str, str, str, str]] = []
    for contact, agency in staff:
        counts = training.setdefault(agency.name, {"trained": 0, "untrained": 0})
        held = records.get(contact.id or 0, [])
        if any(r.expires_on is None or r.expires_on >= on for r in held):
            counts["trained"] += 1
            continue
        counts["untrained"] += 1
        if held:
            last = max(held, key=lambda r: r.expires_on or on)
            assert last.expires_on is not None
            lapsed.append((contact.name, agency.name, last.course, last.expires_on.isoformat()))
    return training, tuple(lapsed)


def publish_monitoring_report(
    session: Session, *, period_end: date, actor: str, now: pendulum.DateTime
) -> tuple[MonitoringSummary, list[DomainEvent]]:
    """Summarise the year and send it to the monitoring group's members and chairs (once per
    period, however often it runs)."""
    with unit_of_work(session, actor=actor, now=now, action="monitoring.report") as uow:
        summary = summarise(session, period_end=period_end)
        uow.record(
            "monitoring.report",
            subject_type="monitoring_report",
            subject_ref=summary.period,
            after=summary.flat(),
        )
        uow.emit(
            MonitoringReportPublished(
                period=summary.period,
                period_start=summary.start.isoformat(),
                period_end=summary.end.isoformat(),
                summary=summary.flat(),
                markdown=summary.markdown(),
            )
        )
        return summary, uow.events
