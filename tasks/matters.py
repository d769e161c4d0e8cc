"""What a suspension's or withdrawal's flow reports, read from the register in its own words:
the agency, the reason, where the matter stands, what it did to which arrangements, the disposal
tasks it led to and the emails it sent. Read-only; the flows turn these into artifacts."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pendulum
from sqlmodel import Session, col, select

from models.clocks import LONDON, local_date, suspension_check_times, withdrawal_takes_effect
from models.enums import AmendmentStatus, ArrangementStatus, SuspensionStatus, WithdrawalStatus
from models.tables import Agency, Arrangement, AuditEvent, DisposalTask, Suspension, Withdrawal
from notifications.tables import OutboxEmail
from tasks.lookup import arrangement_by_ref, suspension_by_ref, withdrawal_by_ref


@dataclass(frozen=True)
class MatterStory:
    """One suspension or withdrawal as its flow's artifact and summary line tell it."""

    kind: str
    reference: str
    agency: str
    reason: str
    status: str
    settled: bool
    # (when, what) in London time, oldest first: raised, deadlines, what happened
    timeline: tuple[tuple[str, str], ...]
    # what became of each arrangement: "suspended", "resumed", "terminated", "left", "redrafted"
    arrangements: dict[str, tuple[str, ...]] = field(default_factory=dict)
    disposal_tasks: tuple[str, ...] = ()
    # the matter's emails by where they are: sent, pending, failed, cancelled
    emails: dict[str, int] = field(default_factory=dict)
    # when its checker runs are due (still to come, or past), by label ("day 7")
    checks: dict[str, pendulum.DateTime] = field(default_factory=dict)
    # the run's clock when the story was read
    read_at: pendulum.DateTime | None = None

    def checks_to_come(self) -> dict[str, pendulum.DateTime]:
        """The checker runs still owed: none once settled, else those after the reading."""
        if self.settled:
            return {}
        return {
            label: at
            for label, at in self.checks.items()
            if self.read_at is None or at > self.read_at
        }

    def summary(self) -> str:
        """The one line a flow logs: the matter in the register's words."""
        what = "; ".join(
            f"{how} {', '.join(refs)}" for how, refs in self.arrangements.items() if refs
        )
        tasks = f"; disposal tasks {', '.join(self.disposal_tasks)}" if self.disposal_tasks else ""
        sent = ", ".join(f"{n} {status}" for status, n in sorted(self.emails.items()))
        return (
            f"{self.kind.capitalize()} {self.reference} of {self.agency} ({self.reason}): "
            f"{self.status}" + (f"; {what}" if what else "") + tasks + f"; emails: {sent or 'none'}"
        )

    def table(self) -> list[dict[str, str]]:
        """The artifact's rows: the timeline, then each arrangement's fate, tasks and emails."""
        rows = [{"when": when, "what": what} for when, what in self.timeline]
        rows += [
            {"when": "", "what": f"{how}: {', '.join(refs)}"}
            for how, refs in self.arrangements.items()
            if refs
        ]
        if self.disposal_tasks:
            rows.append({"when": "", "what": f"disposal tasks: {', '.join(self.disposal_tasks)}"})
        rows.append(
            {
                "when": "",
                "what": "emails: "
                + (", ".join(f"{n} {s}" for s, n in sorted(self.emails.items())) or "none"),
            }
        )
        return rows


def _london(at: Any) -> str:
    return pendulum.instance(at).in_timezone(LONDON).format("D MMMM YYYY HH:mm")


def _told(moments: list[tuple[Any, str]]) -> tuple[tuple[str, str], ...]:
    """The moments oldest first, each dated in London time."""
    ordered = sorted(moments, key=lambda moment: pendulum.instance(moment[0]))
    return tuple((_london(at), what) for at, what in ordered)


def _emails(session: Session, reference: str) -> dict[str, int]:
    statuses = session.exec(
        select(OutboxEmail.status).where(OutboxEmail.subject_ref == reference)
    ).all()
    return dict(Counter(str(status) for status in statuses))


def _moves(session: Session, since: Any, actions: tuple[str, ...], key: str, ref: str) -> list[str]:
    """The arrangements the audit log records moved by `actions` on behalf of matter `ref`."""
    rows = session.exec(
        select(AuditEvent.subject_ref, AuditEvent.after)
        .where(col(AuditEvent.action).in_(actions))
        .where(col(AuditEvent.occurred_at) >= since)
        .order_by(col(AuditEvent.seq))
    ).all()
    return [str(subject) for subject, after in rows if (after or {}).get(key) == ref]


def suspension_story(session: Session, reference: str, now: pendulum.DateTime) -> MatterStory:
    matter = suspension_by_ref(session, reference)
    home = session.get(Agency, matter.agency_id)
    assert home is not None
    raised = pendulum.instance(matter.raised_at)
    timeline: list[tuple[Any, str]] = [
        (raised, f"raised by {matter.raised_by}"),
        (matter.meeting_deadline, "resolution meeting due by (§41)"),
    ]
    if matter.meeting_at is not None:
        timeline.append((matter.meeting_at, "resolution meeting set for"))
    if matter.meeting_held_at is not None:
        outcome = matter.outcome.value if matter.outcome else ""
        timeline.append((matter.meeting_held_at, f"resolution meeting held: {outcome}"))
    for label, at in (
        ("chairs reminded (day 7, no meeting set)", matter.chairs_reminded_at),
        ("every signatory and the chairs told (day 14, no meeting held)", matter.escalated_at),
        ("notice that it ends in five days (day 25)", matter.end_noticed_at),
    ):
        if at is not None:
            timeline.append((at, label))
    ended = matter.status == SuspensionStatus.ENDED
    timeline.append(
        (matter.ended_at, "ended")
        if ended and matter.ended_at is not None
        else (matter.ends_at, "ends (30 days)")
    )
    suspended = _moves(session, raised, ("arrangement.suspend",), "suspension", matter.reference)
    resumed = _moves(session, raised, ("arrangement.resume",), "suspension", matter.reference)
    checks = suspension_check_times(raised, pendulum.instance(matter.ends_at))
    return MatterStory(
        kind="suspension",
        reference=matter.reference,
        agency=home.name,
        reason=matter.reason,
        status=matter.status.value,
        settled=ended,
        timeline=_told(timeline),
        arrangements={"suspended": tuple(suspended), "resumed": tuple(resumed)},
        emails=_emails(session, matter.reference),
        checks={f"day {day}": at for day, at in checks.items()},
        read_at=now,
    )


def withdrawal_story(session: Session, reference: str, now: pendulum.DateTime) -> MatterStory:
    notice = withdrawal_by_ref(session, reference)
    home = session.get(Agency, notice.agency_id)
    assert home is not None
    effective = withdrawal_takes_effect(notice.effective_on)
    timeline: list[tuple[Any, str]] = [(notice.noticed_at, f"notice given by {notice.raised_by}")]
    fates: dict[str, tuple[str, ...]] = {}
    tasks: tuple[str, ...] = ()
    completed = notice.status == WithdrawalStatus.COMPLETED
    if completed:
        record = session.exec(
            select(AuditEvent.after)
            .where(AuditEvent.action == "withdrawal.complete")
            .where(AuditEvent.subject_ref == notice.reference)
        ).first()
        after = record or {}
        fates = {
            "terminated": tuple(after.get("terminated", ())),
            "left, reviewed by the rest": tuple(after.get("left", ())),
            "left before it came into force, a draft again": tuple(after.get("redrafted", ())),
        }
        timeline.append((notice.completed_at or effective, "took effect"))
        tasks = tuple(
            session.exec(
                select(DisposalTask.reference)
                .join(Arrangement, col(Arrangement.id) == DisposalTask.arrangement_id)
                .where(col(Arrangement.reference).in_(fates["terminated"]))
                .order_by(col(DisposalTask.id))
            ).all()
        )
    return MatterStory(
        kind="withdrawal",
        reference=notice.reference,
        agency=home.name,
        reason=notice.reason,
        status=notice.status.value,
        settled=completed,
        timeline=_told(timeline),
        arrangements=fates,
        disposal_tasks=tasks,
        emails=_emails(session, notice.reference),
        checks={"effective date": effective},
        read_at=now,
    )


def open_matters(session: Session, now: pendulum.DateTime) -> list[MatterStory]:
    """Every suspension not yet ended and every withdrawal not yet in effect, as their flows
    tell them: what the deadline sweep re-schedules checker runs for."""
    suspensions = session.exec(
        select(Suspension.reference)
        .where(Suspension.status != SuspensionStatus.ENDED)
        .order_by(col(Suspension.id))
    ).all()
    withdrawals = session.exec(
        select(Withdrawal.reference)
        .where(Withdrawal.status == WithdrawalStatus.NOTIFIED)
        .order_by(col(Withdrawal.id))
    ).all()
    return [suspension_story(session, ref, now) for ref in suspensions] + [
        withdrawal_story(session, ref, now) for ref in withdrawals
    ]


@dataclass(frozen=True)
class SignOffWait:
    """An arrangement awaiting its parties' sign-offs: which version, submitted which day."""

    reference: str
    version: int
    submitted_on: pendulum.Date


def sign_off_wait(session: Session, reference: str) -> SignOffWait | None:
    """The arrangement's wait for sign-offs, or None when it is not awaiting approval."""
    arrangement = arrangement_by_ref(session, reference)
    awaiting = (
        arrangement.status == ArrangementStatus.AWAITING_APPROVAL
        or arrangement.amendment == AmendmentStatus.AWAITING_APPROVAL
    )
    if not awaiting or not arrangement.submitted_at:
        return None
    return SignOffWait(
        reference=arrangement.reference,
        version=arrangement.version,
        submitted_on=local_date(pendulum.instance(arrangement.submitted_at)),
    )
