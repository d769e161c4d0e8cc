"""Benchmark: the daily review sweep as the flow runs it, against a hand-written baseline.

Registers of 10,000 and 100,000 active two-party arrangements, their review dates spread evenly
over the coming year, each reminded as a daily sweep would have left it yesterday. Today's sweep
then owes the 90-, 30- and 7-day reminders of the reviews that reach those rungs today and opens
those due today: about 1.1 % of the register, four emails each.

- ours: `sweep_reviews`, the function the flow's tasks call (chase sign-offs, remind, open,
  escalate), in batches, with its state updates, audit events and outbox rows.
- baseline: one SQL query for what is due today with its recipients, the same templates
  rendered, one bulk insert of the outbox rows; no state, no audit.

Each is run on a fresh copy of the same register. Prints both times, their ratio (target 2x
or less) and how each grows from 10k to 100k (linear would be 10x).

    .venv/bin/python bench/review_sweep.py [--sizes 10000 100000] [--rounds 3]
"""

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

import pendulum
from fresh_copy import BENCH_LINKS, insert_drafts, result, sender_context, timed
from sqlalchemy import Engine, insert, literal, select, union_all
from sqlmodel import Session, col

from core.db import make_engine, upgrade
from models.enums import ArrangementStatus, ContactRole, PartyRole, ReviewStatus
from models.policies import ReviewPolicy
from models.tables import (
    Agency,
    Arrangement,
    ArrangementParty,
    Contact,
    ContactRoleAssignment,
    Review,
)
from notifications.catalog import notice_for
from notifications.context import Recipient
from notifications.outbox import draft
from tasks.sweeps import sweep_reviews

AS_OF = pendulum.date(2026, 12, 1)
NOW = pendulum.datetime(2026, 12, 1, 7, tz="Europe/London").in_timezone("UTC")
AGENCIES = 50
POLICY = ReviewPolicy()


def build_register(path: Path, size: int) -> None:
    """A register of `size` active arrangements, written in bulk (no use cases: this is setup)."""
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    rungs = POLICY.reminder_rungs
    with engine.begin() as conn:
        conn.execute(
            insert(Agency.__table__),  # type: ignore[attr-defined]
            [
                {
                    "id": i,
                    "name": f"Agency {i}",
                    "name_key": f"agency {i}",
                    "status": "member",
                    "created_at": NOW,
                }
                for i in range(1, AGENCIES + 1)
            ],
        )
        contacts, roles = [], []
        for agency in range(1, AGENCIES + 1):
            for offset, role in ((0, ContactRole.SIGNATORY), (1, ContactRole.POINT_OF_CONTACT)):
                contact_id = agency * 2 - 1 + offset
                contacts.append(
                    {
                        "id": contact_id,
                        "agency_id": agency,
                        "created_at": NOW,
                        "email": f"{role.value}@agency{agency}.example",
                        "name": f"{role.value} {agency}",
                    }
                )
                roles.append({"contact_id": contact_id, "role": role.value})
        conn.execute(insert(Contact.__table__), contacts)  # type: ignore[attr-defined]
        conn.execute(insert(ContactRoleAssignment.__table__), roles)  # type: ignore[attr-defined]
        arrangements, parties, reviews = [], [], []
        for i in range(1, size + 1):
            due = AS_OF.add(days=i % 365)
            until = (due - AS_OF).days
            # what yesterday's sweep left: the nearest rung already reached by yesterday
            reached = [r for r in rungs if until + 1 <= r]
            arrangements.append(
                {
                    "id": i,
                    "reference": f"ISA-2025-{i:06d}",
                    "title": f"Arrangement {i}",
                    "purposes": ["Benchmark"],
                    "lawful_basis": "Public task",
                    "retention_months": 24,
                    "retention_rule": "Two years",
                    "disposal_method": "Secure deletion",
                    "review_interval_months": 12,
                    "version": 1,
                    "status": ArrangementStatus.ACTIVE.value,
                    "next_review_due": due,
                    "drafted_by": "bench",
                    "created_at": NOW,
                    "updated_at": NOW,
                    "approval_chase": 0,
                    "activated_at": NOW.subtract(years=1),
                }
            )
            first, second = i % AGENCIES + 1, (i * 7) % AGENCIES + 1
            if first == second:
                second = second % AGENCIES + 1
            parties += [
                {"arrangement_id": i, "agency_id": first, "role": PartyRole.DISCLOSER.value},
                {"arrangement_id": i, "agency_id": second, "role": PartyRole.RECIPIENT.value},
            ]
            reviews.append(
                {
                    "arrangement_id": i,
                    "due_on": due,
                    "status": "scheduled",
                    "escalation": 0,
                    "reminded_rung": min(reached) if reached else None,
                }
            )
        for table, rows in (
            (Arrangement, arrangements),
            (ArrangementParty, parties),
            (Review, reviews),
        ):
            for start in range(0, len(rows), 5000):
                conn.execute(insert(table.__table__), rows[start : start + 5000])  # type: ignore[attr-defined]
    engine.dispose()


def ours(engine: Engine) -> int:
    with Session(engine, expire_on_commit=False) as session:
        reports = sweep_reviews(session, as_of=AS_OF, policy=POLICY, now=NOW, actor="system:bench")
    return sum(r.queued for r in reports)


def baseline(engine: Engine) -> int:
    """One query for what is due today and who hears of it; render; one bulk insert."""
    rungs = POLICY.reminder_rungs
    due_today = [
        select(
            col(Review.due_on).label("due_on"),
            literal(r).label("rung"),
            col(Review.arrangement_id).label("arrangement_id"),
        )
        .where(col(Review.status) == ReviewStatus.SCHEDULED.value)
        .where(col(Review.due_on) == AS_OF.add(days=r))
        for r in (*rungs, 0)
    ]
    due = union_all(*due_today).subquery()
    query = (
        select(
            due.c.due_on,
            due.c.rung,
            Arrangement.reference,
            Arrangement.title,
            Contact.email,
            Contact.name,
            ContactRoleAssignment.role,
            Agency.name,
        )
        .join(Arrangement, col(Arrangement.id) == due.c.arrangement_id)
        .join(ArrangementParty, col(ArrangementParty.arrangement_id) == Arrangement.id)
        .join(Agency, col(Agency.id) == ArrangementParty.agency_id)
        .join(Contact, col(Contact.agency_id) == Agency.id)
        .join(ContactRoleAssignment, col(ContactRoleAssignment.contact_id) == Contact.id)
    )
    with Session(engine) as session:
        rows = session.execute(query).all()
        sender = sender_context(session)
        drafts: list[dict[str, Any]] = []
        for due_on, rung, ref, title, email, name, role, agency in rows:
            event = "review.reminder" if rung else "review.opened"
            notice = notice_for(event)
            shared = {
                "event_name": event,
                "reference": ref,
                "queued_at": NOW.isoformat(),
                "event": {
                    "arrangement": ref,
                    "due_on": due_on.isoformat(),
                    "days_before": rung,
                    "lapses_on": due_on.isoformat(),
                },
                "arrangement": {"reference": ref, "title": title, "parties": []},
                "sender": sender,
            }
            person = Recipient(email, name, role, f"{role} for {agency}", agency)
            # the same row building, rendering and message composing the outbox does
            drafts.append(draft(notice, shared, person, NOW, BENCH_LINKS))
        queued = insert_drafts(session, drafts, NOW)
        session.commit()
    return queued


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            template = Path(scratch) / f"register-{size}.db"
            build_register(template, size)
            ours_times, base_times = [], []
            for _ in range(args.rounds):
                t, q_ours = timed(template, ours)
                ours_times.append(t)
                t, q_base = timed(template, baseline)
                base_times.append(t)
            o, b = statistics.median(ours_times), statistics.median(base_times)
            results[size] = (o, b)
            print(
                f"{size:>7} arrangements: sweep {o:.3f} s ({q_ours} emails queued), "
                f"baseline {b:.3f} s ({q_base} emails); ratio {o / b:.2f}x (target <= 2x)"
            )
            result(
                f"review sweep, {size:,} arrangements",
                f"{o:.2f} s",
                f"{b:.2f} s",
                o / b,
                "<= 2x",
                o / b <= 2,
            )
    sizes = sorted(results)
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        ours_growth = results[large][0] / results[small][0]
        base_growth = results[large][1] / results[small][1]
        print(
            f"growth {small} -> {large} ({large / small:.0f}x the register): sweep "
            f"{ours_growth:.1f}x, baseline {base_growth:.1f}x (linear: {large / small:.0f}x)"
        )
        result(
            f"review sweep growth, {small:,} to {large:,}",
            f"{ours_growth:.1f}x",
            f"{base_growth:.1f}x",
            ours_growth / base_growth,
            f"<= linear ({large / small:.0f}x)",
            ours_growth <= large / small * 1.25,
        )


if __name__ == "__main__":
    main()
