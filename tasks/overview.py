"""The register overview: one place to see what is coming and what is late, in the register's
words. The deadlines of the next `days` days (reviews, approvals waiting on sign-offs, disposal
tasks, a suspension's meeting to set or hold and its end, with its day count, withdrawals taking
effect), what is overdue and with whom, and what changed in the last day. `isa overview` prints
it; the daily deadline sweep publishes it as the `register-overview` artifact. Read-only."""

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import pendulum
from sqlmodel import Session, col, select

from models.clocks import local_date, suspension_day
from models.enums import (
    AuditOutcome,
    DisposalTaskStatus,
    ReviewStatus,
    SignOffDecision,
    SuspensionStatus,
    WithdrawalStatus,
)
from models.markdown import markdown_text
from models.policies import APPROVAL_ESCALATION_DAY, APPROVAL_REMINDER_DAY
from models.tables import (
    Agency,
    Arrangement,
    ArrangementParty,
    AuditEvent,
    DisposalTask,
    Review,
    SignOff,
    Suspension,
    Withdrawal,
    awaiting_sign_off,
)

# the most changes of one kind the overview names by reference (the count says the rest)
NAMED = 10


@dataclass(frozen=True)
class Deadline:
    """One date something is due on: what, about which record, and with whom it lies."""

    on: str
    what: str
    reference: str
    title: str
    with_whom: str

    def line(self) -> str:
        about = f"{self.reference} {self.title}".strip()
        return f"{self.on}  {about}: {self.what} ({self.with_whom})"


@dataclass
class Overview:
    as_of: str
    days: int
    until: str
    overdue: list[Deadline] = field(default_factory=list)
    coming: list[Deadline] = field(default_factory=list)
    # the last day's changes: action -> how many, and the references of the first few
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def _changes(self) -> list[str]:
        """The last day's changes, a line an action: how many, and the first references."""
        return [
            f"{action}: {done['count']}"
            + (f" ({', '.join(done['references'])})" if done["references"] else "")
            for action, done in self.changed.items()
        ]

    def lines(self) -> list[str]:
        out = [f"Register overview for {self.as_of}: overdue, and due by {self.until}"]
        out.append(f"Overdue ({len(self.overdue)}):")
        out += [f"  {d.line()}" for d in self.overdue] or ["  nothing"]
        out.append(f"Coming in the next {self.days} days ({len(self.coming)}):")
        out += [f"  {d.line()}" for d in self.coming] or ["  nothing"]
        out.append("Changed in the last day:")
        out += [f"  {line}" for line in self._changes()] or ["  nothing"]
        return out

    def markdown(self) -> str:
        def table(rows: list[Deadline]) -> list[str]:
            if not rows:
                return ["Nothing."]
            head = ["| on | what | reference | title | with |", "|---|---|---|---|---|"]
            return head + [
                "| "
                + " | ".join(
                    markdown_text(cell)
                    for cell in (d.on, d.what, d.reference, d.title, d.with_whom)
                )
                + " |"
                for d in rows
            ]

        out = [f"# Register overview, {self.as_of}", "", f"## Overdue ({len(self.overdue)})", ""]
        out += table(self.overdue)
        out += ["", f"## Coming in the next {self.days} days ({len(self.coming)})", ""]
        out += table(self.coming)
        out += ["", "## Changed in the last day", ""]
        out += [
            f"- {markdown_text(action)}: {done['count']}"
            + (
                f" ({', '.join(markdown_text(r) for r in done['references'])})"
                if done["references"]
                else ""
            )
            for action, done in self.changed.items()
        ] or ["Nothing."]
        return "\n".join(out) + "\n"


def _date(value: Any) -> pendulum.Date:
    return pendulum.Date(value.year, value.month, value.day)


def register_overview(session: Session, *, now: pendulum.DateTime, days: int = 30) -> Overview:
    """What is overdue at `now`, what falls due in the next `days` days, and what changed in
    the 24 hours before `now`."""
    today = local_date(now)
    until = today.add(days=days)
    found: list[tuple[pendulum.Date, Deadline]] = []
    names = {a.id: a.name for a in session.exec(select(Agency)).all()}

    def add(on: Any, what: str, reference: str, title: str, with_whom: str) -> None:
        day = _date(on)
        if day <= until:
            found.append((day, Deadline(day.isoformat(), what, reference, title, with_whom)))

    # periodic reviews (§31): open or scheduled, by their due date
    for review, arrangement in session.exec(
        select(Review, Arrangement)
        .join(Arrangement, col(Arrangement.id) == Review.arrangement_id)
        .where(col(Review.status).in_([ReviewStatus.SCHEDULED, ReviewStatus.OPEN]))
    ).all():
        late = (today - _date(review.due_on)).days
        what = f"review overdue by {late} days" if late > 0 else "review due"
        add(
            review.due_on,
            what,
            arrangement.reference,
            arrangement.title,
            "the parties' signatories",
        )

    # approvals waiting (§6): which parties have not signed the current version, and the next
    # step of the chase (the signatories reminded at day 7, the chairs told at day 14)
    waiting = session.exec(select(Arrangement).where(awaiting_sign_off())).all()
    for arrangement in waiting:
        signed = {
            s.agency_id
            for s in session.exec(
                select(SignOff).where(
                    SignOff.arrangement_id == arrangement.id,
                    SignOff.version == arrangement.version,
                    SignOff.decision == SignOffDecision.APPROVED,
                )
            ).all()
        }
        parties = session.exec(
            select(ArrangementParty).where(
                ArrangementParty.arrangement_id == arrangement.id,
                col(ArrangementParty.left_at).is_(None),
            )
        ).all()
        missing = sorted(names[p.agency_id] for p in parties if p.agency_id not in signed)
        if not missing or arrangement.submitted_at is None:
            continue
        submitted = local_date(pendulum.instance(arrangement.submitted_at))
        day = (today - submitted).days
        whose = "signatories of " + ", ".join(missing)
        if day < APPROVAL_REMINDER_DAY:
            step, on = "sign-off reminder", submitted.add(days=APPROVAL_REMINDER_DAY)
        elif day < APPROVAL_ESCALATION_DAY:
            step, on = (
                "sign-offs missing go to the chairs",
                submitted.add(days=APPROVAL_ESCALATION_DAY),
            )
        else:
            step, on = (
                f"sign-offs missing for {day} days (the chairs are told)",
                submitted.add(days=APPROVAL_ESCALATION_DAY),
            )
        add(
            on,
            f"day {day} awaiting approval: {step}",
            arrangement.reference,
            arrangement.title,
            whose,
        )

    # disposal of shared data (§35-§37), by its due date
    for task, arrangement in session.exec(
        select(DisposalTask, Arrangement)
        .join(Arrangement, col(Arrangement.id) == DisposalTask.arrangement_id)
        .where(DisposalTask.status == DisposalTaskStatus.PENDING)
    ).all():
        late = (today - _date(task.due_on)).days
        what = (
            f"disposal {task.reference} overdue by {late} days"
            if late > 0
            else (f"disposal {task.reference} due")
        )
        add(task.due_on, what, arrangement.reference, arrangement.title, names[task.agency_id])

    # suspensions (§41): the meeting to set and hold by day 14, the end on day 30
    for suspension in session.exec(
        select(Suspension).where(Suspension.status != SuspensionStatus.ENDED)
    ).all():
        raised = pendulum.instance(suspension.raised_at)
        day = suspension_day(raised, now)
        agency = names[suspension.agency_id]
        meet_by = local_date(pendulum.instance(suspension.meeting_deadline))
        if suspension.status == SuspensionStatus.RAISED:
            missed = "; not held by day 14" if meet_by < today else ""
            add(
                meet_by,
                f"day {day} of 30: meeting to set and hold{missed}",
                suspension.reference,
                agency,
                "the chairs",
            )
        elif suspension.status == SuspensionStatus.MEETING_SCHEDULED and suspension.meeting_at:
            at = pendulum.instance(suspension.meeting_at).in_timezone("Europe/London")
            add(
                at.date(),
                f"day {day} of 30: meeting at {at:%H:%M}",
                suspension.reference,
                agency,
                "the chairs",
            )
        add(
            local_date(pendulum.instance(suspension.ends_at)),
            f"day {day} of 30: suspension ends",
            suspension.reference,
            agency,
            "every signatory",
        )

    # withdrawals (§42) taking effect
    for withdrawal in session.exec(
        select(Withdrawal).where(Withdrawal.status == WithdrawalStatus.NOTIFIED)
    ).all():
        add(
            withdrawal.effective_on,
            "withdrawal takes effect",
            withdrawal.reference,
            names[withdrawal.agency_id],
            "the chairs",
        )

    found.sort(key=lambda item: (item[0], item[1].reference, item[1].what))
    overview = Overview(as_of=today.isoformat(), days=days, until=until.isoformat())
    for on, due in found:
        (overview.overdue if on < today else overview.coming).append(due)

    # what changed in the last day, by action, from the audit log
    since = now.subtract(days=1)
    changed: dict[str, list[str]] = defaultdict(list)
    for action, subject in session.exec(
        select(AuditEvent.action, AuditEvent.subject_ref)
        .where(AuditEvent.outcome == AuditOutcome.DONE, col(AuditEvent.occurred_at) > since)
        .where(col(AuditEvent.occurred_at) <= now)
        .order_by(col(AuditEvent.seq))
    ).all():
        changed[action].append(subject or "")
    overview.changed = {
        action.replace(".", " ").replace("_", " "): {
            "count": len(subjects),
            "references": list(dict.fromkeys(s for s in subjects if s))[:NAMED],
        }
        for action, subjects in sorted(changed.items())
    }
    return overview
