"""The annual register summary the Information Governance Monitoring Group meets on (§40):
arrangements by status, reviews done and overdue, access revoked, disposals, suspensions and
withdrawals in the year. Publishing it queues one email to each chair, once per period."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import pendulum
from sqlalchemy import func
from sqlmodel import Session, col, select

from models.clocks import LONDON
from models.enums import AccessGrantStatus, ArrangementStatus, DisposalTaskStatus, ReviewStatus
from models.events import DomainEvent, MonitoringReportPublished
from models.tables import AccessGrant, Arrangement, DisposalTask, Review, Suspension, Withdrawal
from tasks.uow import unit_of_work


@dataclass(frozen=True)
class MonitoringSummary:
    period: str
    start: date
    end: date
    arrangements_by_status: dict[str, int]
    figures: dict[str, int]

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
            f"| {status.replace('_', ' ')} | {count} |"
            for status, count in self.arrangements_by_status.items()
        ]
        lines += ["", "## In the period", "", "| measure | count |", "|---|---|"]
        lines += [f"| {name.replace('_', ' ')} | {count} |" for name, count in self.figures.items()]
        return "\n".join(lines) + "\n"

    def flat(self) -> dict[str, int]:
        return {
            **{f"arrangements_{k}": v for k, v in self.arrangements_by_status.items()},
            **self.figures,
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
    }
    return MonitoringSummary(
        period=f"{start_day.isoformat()}/{end_day.isoformat()}",
        start=start_day,
        end=end_day,
        arrangements_by_status=by_status,
        figures=figures,
    )


def publish_monitoring_report(
    session: Session, *, period_end: date, actor: str, now: pendulum.DateTime
) -> tuple[MonitoringSummary, list[DomainEvent]]:
    """Summarise the year and send it to the chairs (once per period, however often it runs)."""
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
