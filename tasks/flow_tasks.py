"""Thin Prefect tasks over the use cases: each takes primitives, opens its own session, and
returns plain data or a read model; a sweep's task has its use case's name. Retries only lost
connections, never a refusal, and only where the step is idempotent."""

import time
from dataclasses import asdict
from datetime import date
from typing import Any

from prefect import task

from models.errors import IsaError
from models.policies import AccessPolicy, DisposalPolicy, ReviewPolicy
from notifications.delivery import deliver_outbox_sync
from notifications.publication import Publication, publish_pending
from tasks import daily, deadlines, runtime
from tasks.audit import save_checkpoint, take_checkpoint
from tasks.chasing import DutyStory as DutyStory
from tasks.chasing import chase_matter, matter_story
from tasks.matters import MatterStory as MatterStory
from tasks.matters import SignOffWait as SignOffWait
from tasks.matters import (
    open_matters,
    sign_off_wait,
    suspension_story,
    withdrawal_story,
)
from tasks.overview import register_overview
from tasks.protocol import access_sweep, disposal
from tasks.protocol.disposal import schedule_ended_arrangements
from tasks.protocol.incidents import IncidentStory as IncidentStory
from tasks.protocol.incidents import incident_story
from tasks.protocol.monitoring import publish_monitoring_report
from tasks.protocol.suspensions import check_suspension
from tasks.protocol.withdrawals import complete_withdrawal
from tasks.sweeps import (
    PhaseReport,
    chase_approvals,
    escalate_overdue_reviews,
    open_due_reviews,
    remind_upcoming_reviews,
)

# the run's clock, for flows: the day a run is for, and now (both honour `ISA_NOW`)
resolve_as_of = runtime.resolve_as_of
now = runtime.now
# what a sweep did, in the words `isa sweep --json` prints too; with the read models the tasks
# below return (MatterStory, SignOffWait, IncidentStory), all a flow needs of tasks/ but its tasks
summarise = daily.summarise


def _report(phase: PhaseReport) -> dict[str, Any]:
    return asdict(phase)


def _worth_retrying(task: Any, run: Any, state: Any) -> bool:
    """A refusal or an unknown reference fails at once; a lost connection is retried."""
    try:
        state.result()
    except IsaError:
        return False
    except Exception:
        return True
    return False


# what every task below retries: lost connections, a locked database; never a refusal
RETRYING: dict[str, Any] = dict(
    retries=2, retry_delay_seconds=10, retry_condition_fn=_worth_retrying
)


@task(**RETRYING)
def deliver_emails(limit: int | None = None, settle_seconds: float = 0.0) -> dict[str, Any]:
    """Publish the Prefect events still owed (this run's and any left over from a time the
    server was down), then send what the outbox holds that is due; safe to retry (rows are
    claimed, sent once; an event published twice carries one id).

    With `settle_seconds` (and no `limit`), keep looking for `settle_seconds` from the start,
    a pass a second: a run started by `isa.outbox.queued` sends what else is queued while its
    trigger waits out its window, so a burst of changes is one run, and none of their emails
    waits for the next scheduled one."""
    started = time.monotonic()
    total: dict[str, Any] = {}
    while True:
        events = publish_events()
        report = deliver_outbox_sync(
            runtime.engine(), runtime.settings(), runtime.now(), limit=limit
        ).as_dict()
        for key, value in report.items():
            total[key] = value if not isinstance(value, int) else total.get(key, 0) + value
        published = events.as_dict()
        seen = total.get("events", {"published": 0})
        total["events"] = {**published, "published": seen["published"] + published["published"]}
        settled = time.monotonic() - started >= settle_seconds
        if report["relay_error"] or settled or limit is not None:
            return total
        time.sleep(min(1.0, max(0.0, settle_seconds - (time.monotonic() - started))))


def publish_events() -> Publication:
    """Post the event outbox's unpublished rows to the server this run reports to."""
    with runtime.session() as session:
        return publish_pending(session, api_url=runtime.prefect_api_url(), now=runtime.now())


@task(**RETRYING)
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


@task(**RETRYING)
def remind_reviews(as_of: date, policy: ReviewPolicy) -> dict[str, Any]:
    """Send each review's latest reminder rung that has come due."""
    with runtime.session() as session:
        return _report(
            remind_upcoming_reviews(
                session, as_of=as_of, policy=policy, now=runtime.now(), actor=runtime.SYSTEM_ACTOR
            )
        )


@task(**RETRYING)
def open_reviews(as_of: date, policy: ReviewPolicy) -> dict[str, Any]:
    """Open every review whose due date has come."""
    with runtime.session() as session:
        return _report(
            open_due_reviews(
                session, as_of=as_of, policy=policy, now=runtime.now(), actor=runtime.SYSTEM_ACTOR
            )
        )


@task(**RETRYING)
def escalate_reviews(as_of: date, policy: ReviewPolicy) -> dict[str, Any]:
    """Escalate overdue reviews and lapse those past the lapse period."""
    with runtime.session() as session:
        return _report(
            escalate_overdue_reviews(
                session, as_of=as_of, policy=policy, now=runtime.now(), actor=runtime.SYSTEM_ACTOR
            )
        )


@task(**RETRYING)
def sweep_access(as_of: date, policy: AccessPolicy) -> list[dict[str, Any]]:
    """Revoke access whose need has ended; remind attestations and lapsing training."""
    with runtime.session() as session:
        return [
            _report(phase)
            for phase in access_sweep.sweep_access(
                session, as_of=as_of, policy=policy, now=runtime.now(), actor=runtime.SYSTEM_ACTOR
            )
        ]


@task(**RETRYING)
def sweep_disposals(as_of: date, policy: DisposalPolicy) -> list[dict[str, Any]]:
    """Schedule the disposal of what ended; remind and escalate the destruction owed."""
    with runtime.session() as session:
        return [
            _report(phase)
            for phase in disposal.sweep_disposals(
                session, as_of=as_of, policy=policy, now=runtime.now(), actor=runtime.SYSTEM_ACTOR
            )
        ]


@task(**RETRYING)
def check_suspension_deadlines(suspension: str, as_of: date) -> list[str]:
    """Whatever the day owes the suspension (reminder, escalation, notice, end), each once."""
    with runtime.session() as session:
        return check_suspension(
            session,
            suspension=suspension,
            as_of=as_of,
            actor=runtime.SYSTEM_ACTOR,
            now=runtime.now(),
        )


@task(**RETRYING)
def chase_one_matter(matter: str, reference: str, as_of: date) -> list[dict[str, Any]]:
    """Whatever `as_of` owes the duties of one matter (models.duties.MATTERS), each rung once,
    as the deadline sweep would chase it."""
    with runtime.session() as session:
        report = chase_matter(
            session,
            matter,
            as_of=as_of,
            actor=runtime.SYSTEM_ACTOR,
            now=runtime.now(),
            only=reference,
        )
    return report.acted


@task(**RETRYING)
def read_matter(matter: str, reference: str) -> DutyStory:
    """The matter as its flow reports it (an unknown reference fails at once)."""
    with runtime.session() as session:
        return matter_story(session, matter, reference, runtime.now())


@task(**RETRYING)
def chase_incident(incident: str, as_of: date) -> list[dict[str, Any]]:
    """Whatever the hours since awareness owe the undecided incident, each rung once."""
    with runtime.session() as session:
        report = chase_matter(
            session,
            "incident",
            as_of=as_of,
            actor=runtime.SYSTEM_ACTOR,
            now=runtime.now(),
            only=incident,
        )
    return report.acted


@task(**RETRYING)
def read_incident(incident: str) -> IncidentStory:
    """The security incident as its flow reports it (an unknown reference fails at once)."""
    with runtime.session() as session:
        return incident_story(session, incident, runtime.now())


@task(**RETRYING)
def carry_out_withdrawal(withdrawal: str, as_of: date) -> list[dict[str, Any]]:
    """Make the withdrawal take effect if its date has come; nothing if not yet or done."""
    with runtime.session() as session:
        events = complete_withdrawal(
            session,
            withdrawal=withdrawal,
            as_of=as_of,
            actor=runtime.SYSTEM_ACTOR,
            now=runtime.now(),
        )
    return [event.as_dict() for event in events]


@task(**RETRYING)
def schedule_ended_disposals(as_of: date) -> dict[str, Any]:
    """Disposal tasks for every arrangement that has ended and has none yet."""
    with runtime.session() as session:
        return _report(
            schedule_ended_arrangements(
                session, as_of=as_of, now=runtime.now(), actor=runtime.SYSTEM_ACTOR
            )
        )


@task(**RETRYING)
def sweep_deadlines(as_of: date) -> list[dict[str, Any]]:
    """Every open suspension checked, every withdrawal due carried out."""
    with runtime.session() as session:
        return [
            _report(phase)
            for phase in deadlines.sweep_deadlines(
                session, as_of=as_of, actor=runtime.SYSTEM_ACTOR, now=runtime.now()
            )
        ]


@task(**RETRYING)
def read_suspension(suspension: str) -> MatterStory:
    """The suspension as its flow reports it (an unknown reference fails at once, saying so)."""
    with runtime.session() as session:
        return suspension_story(session, suspension, runtime.now())


@task(**RETRYING)
def read_withdrawal(withdrawal: str) -> MatterStory:
    """The withdrawal as its flow reports it."""
    with runtime.session() as session:
        return withdrawal_story(session, withdrawal, runtime.now())


@task(**RETRYING)
def read_open_matters() -> list[MatterStory]:
    """Every open suspension and withdrawal still to take effect."""
    with runtime.session() as session:
        return open_matters(session, runtime.now())


@task(**RETRYING)
def read_sign_off_wait(arrangement: str) -> SignOffWait | None:
    """The arrangement's wait for sign-offs, if it is awaiting approval."""
    with runtime.session() as session:
        return sign_off_wait(session, arrangement)


@task
def sign_the_audit_head() -> dict[str, Any]:
    """Sign the chain's head, record it, keep its file and queue it to the chairs. Not retried:
    a retry after the commit would only publish a second checkpoint."""

    with runtime.session() as session:
        checkpoint = take_checkpoint(session, actor=runtime.SYSTEM_ACTOR, now=runtime.now())
    path = save_checkpoint(checkpoint, runtime.settings().checkpoint_dir)
    return {**checkpoint.as_dict(), "file": str(path), "document": checkpoint.to_json()}


@task(**RETRYING)
def summarise_the_year(period_end: date) -> dict[str, Any]:
    """Count the year's register activity and queue the summary to the chairs."""
    with runtime.session() as session:
        summary, _ = publish_monitoring_report(
            session, period_end=period_end, actor=runtime.SYSTEM_ACTOR, now=runtime.now()
        )
    return {"period": summary.period, "markdown": summary.markdown(), "figures": summary.flat()}


@task(**RETRYING)
def read_register_overview(days: int = 30) -> dict[str, Any]:
    """The register overview at the run's clock (tasks/overview.py), with its markdown."""
    with runtime.session() as session:
        found = register_overview(session, now=runtime.now(), days=days)
    return {
        "markdown": found.markdown(),
        "overdue": len(found.overdue),
        "coming": len(found.coming),
        "as_of": found.as_of,
    }
