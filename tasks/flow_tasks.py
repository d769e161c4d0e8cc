"""Thin Prefect tasks over the use cases: each takes primitives, opens its own session, and
returns plain data. Retries only where the step is idempotent."""

from dataclasses import asdict
from datetime import date
from typing import Any

from prefect import task

from tasks import runtime
from tasks.access_sweep import AccessPolicy, sweep_access
from tasks.disposal import DisposalPolicy, sweep_disposals
from tasks.sweeps import (
    PhaseReport,
    ReviewPolicy,
    chase_approvals,
    escalate_overdue_reviews,
    open_due_reviews,
    remind_upcoming_reviews,
)


def _report(phase: PhaseReport) -> dict[str, Any]:
    return asdict(phase)


@task(retries=2, retry_delay_seconds=10)
def deliver_emails(limit: int | None = None) -> dict[str, Any]:
    """Send what the outbox holds that is due; safe to retry (rows are claimed, sent once)."""
    from notifications.delivery import deliver_outbox_sync

    report = deliver_outbox_sync(runtime.engine(), runtime.settings(), runtime.now(), limit=limit)
    return report.as_dict()


@task(retries=2, retry_delay_seconds=10)
def chase_missing_sign_offs(
    as_of: date, batch_size: int, only: str | None = None
) -> dict[str, Any]:
    """Remind signatories at day 7 and tell the chairs at day 14 when sign-offs are missing."""
    with runtime.session() as session:
        return _report(
            chase_approvals(
                session,
                as_of=as_of,
                now=runtime.now(),
                actor=runtime.SYSTEM_ACTOR,
                batch_size=batch_size,
                only=only,
            )
        )


@task(retries=2, retry_delay_seconds=10)
def remind_reviews(as_of: date, policy: ReviewPolicy) -> dict[str, Any]:
    """Send each review's latest reminder rung that has come due."""
    with runtime.session() as session:
        return _report(
            remind_upcoming_reviews(
                session, as_of=as_of, policy=policy, now=runtime.now(), actor=runtime.SYSTEM_ACTOR
            )
        )


@task(retries=2, retry_delay_seconds=10)
def open_reviews(as_of: date, policy: ReviewPolicy) -> dict[str, Any]:
    """Open every review whose due date has come."""
    with runtime.session() as session:
        return _report(
            open_due_reviews(
                session, as_of=as_of, policy=policy, now=runtime.now(), actor=runtime.SYSTEM_ACTOR
            )
        )


@task(retries=2, retry_delay_seconds=10)
def escalate_reviews(as_of: date, policy: ReviewPolicy) -> dict[str, Any]:
    """Escalate overdue reviews and lapse those past the lapse period."""
    with runtime.session() as session:
        return _report(
            escalate_overdue_reviews(
                session, as_of=as_of, policy=policy, now=runtime.now(), actor=runtime.SYSTEM_ACTOR
            )
        )


@task(retries=2, retry_delay_seconds=10)
def sweep_access_grants(as_of: date, policy: AccessPolicy) -> list[dict[str, Any]]:
    """Revoke access whose need has ended; remind attestations and lapsing training."""
    with runtime.session() as session:
        return [
            _report(phase)
            for phase in sweep_access(
                session, as_of=as_of, policy=policy, now=runtime.now(), actor=runtime.SYSTEM_ACTOR
            )
        ]


@task(retries=2, retry_delay_seconds=10)
def sweep_disposal_tasks(as_of: date, policy: DisposalPolicy) -> list[dict[str, Any]]:
    """Schedule the disposal of what ended; remind and escalate the destruction owed."""
    with runtime.session() as session:
        return [
            _report(phase)
            for phase in sweep_disposals(
                session, as_of=as_of, policy=policy, now=runtime.now(), actor=runtime.SYSTEM_ACTOR
            )
        ]
