"""Benchmark: the daily access sweep over 500,000 grants, against a hand-written SQL baseline.

The register: 500,000 active grants held by 50,000 trained staff at 50 agencies on 5,000
two-party arrangements. Today 0.1 % of the grants end: some expire today, some are held by staff
recorded as leavers. The rest are current, attested and trained.

- ours: `sweep_access`, the function the flow's task calls (revoke, remind attestations, remind
  lapsing training), in batches, with its state updates, audit events and outbox rows.
- baseline: one hand-written SQL query for the grants to revoke today and who hears of it, one
  UPDATE revoking them, the same emails built, one bulk insert; no audit, no reminders.

Each runs on a fresh copy of the same register. Prints both times and their ratio (target 2x).

    .venv/bin/python bench/access_sweep.py [--grants 500000] [--rounds 3]
"""

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

import pendulum
from fresh_copy import BENCH_LINKS, insert_drafts, result, sender_context, timed
from sqlalchemy import Engine, insert, text
from sqlmodel import Session

from core.db import make_engine, upgrade
from models.policies import AccessPolicy
from models.tables import (
    AccessGrant,
    Agency,
    Arrangement,
    ArrangementParty,
    Contact,
    ContactRoleAssignment,
    TrainingRecord,
)
from notifications.catalog import notice_for
from notifications.context import Recipient
from notifications.outbox import draft
from tasks.protocol.access_sweep import sweep_access

AS_OF = pendulum.date(2026, 12, 1)
NOW = pendulum.datetime(2026, 12, 1, 6, 30, tz="Europe/London").in_timezone("UTC")
AGENCIES, ARRANGEMENTS, STAFF = 50, 5_000, 50_000


def _bulk(conn: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 20_000):
        conn.execute(insert(table.__table__), rows[start : start + 20_000])


def build_register(path: Path, grants: int) -> None:
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        _bulk(
            conn,
            Agency,
            [
                {
                    "id": a,
                    "name": f"Agency {a}",
                    "name_key": f"agency {a}",
                    "status": "member",
                    "created_at": NOW,
                }
                for a in range(1, AGENCIES + 1)
            ],
        )
        contacts, roles = [], []
        for a in range(1, AGENCIES + 1):  # a point of contact and a representative per agency
            for offset, role in ((0, "point_of_contact"), (1, "nominated_representative")):
                cid = a * 2 - 1 + offset
                contacts.append(
                    {
                        "id": cid,
                        "agency_id": a,
                        "email": f"{role}@agency{a}.example",
                        "name": f"{role} {a}",
                        "created_at": NOW,
                    }
                )
                roles.append({"contact_id": cid, "role": role})
        first_staff = AGENCIES * 2 + 1
        for s in range(STAFF):
            cid = first_staff + s
            contacts.append(
                {
                    "id": cid,
                    "agency_id": s % AGENCIES + 1,
                    "name": f"Staff {s}",
                    "email": f"staff{s}@agency{s % AGENCIES + 1}.example",
                    "created_at": NOW,
                    # one in a thousand has left
                    "left_at": NOW.subtract(days=1) if s % 1000 == 0 else None,
                }
            )
        _bulk(conn, Contact, contacts)
        _bulk(conn, ContactRoleAssignment, roles)
        _bulk(
            conn,
            TrainingRecord,
            [
                {
                    "contact_id": first_staff + s,
                    "course": "Protocol e-learning",
                    "completed_on": AS_OF.subtract(months=3),
                    "expires_on": AS_OF.add(months=9),
                    "recorded_at": NOW,
                    "expiry_reminded": False,
                }
                for s in range(STAFF)
            ],
        )
        _bulk(
            conn,
            Arrangement,
            [
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
                    "status": "active",
                    "next_review_due": AS_OF.add(months=6),
                    "drafted_by": "bench",
                    "created_at": NOW,
                    "updated_at": NOW,
                    "approval_chase": 0,
                }
                for i in range(1, ARRANGEMENTS + 1)
            ],
        )
        parties = []
        for i in range(1, ARRANGEMENTS + 1):
            owner, receiver = i % AGENCIES + 1, (i + 1) % AGENCIES + 1
            parties += [
                {"arrangement_id": i, "agency_id": owner, "role": "discloser"},
                {"arrangement_id": i, "agency_id": receiver, "role": "recipient"},
            ]
        _bulk(conn, ArrangementParty, parties)
        rows = []
        for g in range(grants):
            arrangement = g % ARRANGEMENTS + 1
            receiver = (arrangement + 1) % AGENCIES + 1
            # staff of the receiving agency: staff index s has agency s % AGENCIES + 1
            s = ((g // ARRANGEMENTS) * AGENCIES + receiver - 1) % STAFF
            rows.append(
                {
                    "reference": f"GRT-2026-{g:07d}",
                    "arrangement_id": arrangement,
                    "contact_id": first_staff + s,
                    "agency_id": receiver,
                    "justification": "Case work",
                    "status": "active",
                    "granted_at": NOW,
                    "granted_by": "bench",
                    "attested_at": NOW.subtract(months=1),
                    # one in two thousand expires today; the rest run on
                    "expires_on": AS_OF if g % 2000 == 7 else AS_OF.add(years=1),
                }
            )
        _bulk(conn, AccessGrant, rows)
    engine.dispose()


def ours(engine: Engine) -> int:
    with Session(engine, expire_on_commit=False) as session:
        reports = sweep_access(
            session, as_of=AS_OF, policy=AccessPolicy(), now=NOW, actor="system:bench"
        )
    return sum(r.queued for r in reports)


BASELINE = text("""
SELECT g.id, g.reference, a.reference, s.email, s.name, home.name,
       CASE WHEN g.expires_on <= :day THEN 'access expired on ' || g.expires_on
            ELSE 'the staff member has left the agency' END,
       poc.email, poc.name, rep.email, rep.name, owner.name
FROM access_grant g
JOIN arrangement a ON a.id = g.arrangement_id
JOIN contact s ON s.id = g.contact_id
JOIN agency home ON home.id = g.agency_id
JOIN contact poc ON poc.agency_id = g.agency_id
JOIN contact_role pr ON pr.contact_id = poc.id AND pr.role = 'point_of_contact'
JOIN arrangement_party op ON op.arrangement_id = a.id AND op.role IN ('discloser', 'both')
JOIN agency owner ON owner.id = op.agency_id
JOIN contact rep ON rep.agency_id = op.agency_id
JOIN contact_role rr ON rr.contact_id = rep.id AND rr.role = 'nominated_representative'
WHERE g.status IN ('active', 'paused')
  AND (g.expires_on <= :day OR s.left_at IS NOT NULL)
""")


def baseline(engine: Engine) -> int:
    notice = notice_for("access.revoked")
    with Session(engine) as session:
        rows = session.execute(BASELINE, {"day": AS_OF.isoformat()}).all()
        session.execute(
            text(
                "UPDATE access_grant SET status = 'revoked', revoked_at = :now, "
                "revoked_reason = 'bench' WHERE id IN (SELECT value FROM json_each(:ids))"
            ),
            {"now": NOW.isoformat(), "ids": "[" + ",".join(str(r[0]) for r in rows) + "]"},
        )
        drafts = []
        sender = sender_context(session)
        for _, grant, isa, email, name, home, reason, poc, poc_name, rep, rep_name, owner in rows:
            shared = {
                "event_name": notice.event,
                "reference": grant,
                "queued_at": NOW.isoformat(),
                "event": {"grant": grant, "arrangement": isa, "email": email, "reason": reason},
                "grant": {
                    "reference": grant,
                    "arrangement": isa,
                    "arrangement_title": isa,
                    "staff_name": name,
                    "staff_email": email,
                    "agency": home,
                    "justification": "Case work",
                    "status": "revoked",
                    "expires_on": None,
                    "revoked_reason": reason,
                },
                "sender": sender,
            }
            for person in (
                Recipient(email, name, "staff_member", f"staff member at {home}", home),
                Recipient(poc, poc_name, "point_of_contact", f"point of contact for {home}", home),
                Recipient(
                    rep,
                    rep_name,
                    "nominated_representative",
                    f"nominated representative for {owner}",
                    owner,
                ),
            ):
                drafts.append(draft(notice, shared, person, NOW, BENCH_LINKS))
        queued = insert_drafts(session, drafts, NOW)
        session.commit()
    return queued


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grants", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        template = Path(scratch) / "register.db"
        build_register(template, args.grants)
        ours_times, base_times = [], []
        for _ in range(args.rounds):
            t, q_ours = timed(template, ours)
            ours_times.append(t)
            t, q_base = timed(template, baseline)
            base_times.append(t)
    o, b = statistics.median(ours_times), statistics.median(base_times)
    print(
        f"{args.grants} grants: sweep {o:.3f} s ({q_ours} emails queued), baseline {b:.3f} s "
        f"({q_base} emails); ratio {o / b:.2f}x (target <= 2x)"
    )
    result(
        f"access sweep, {args.grants:,} grants",
        f"{o:.2f} s",
        f"{b:.2f} s",
        o / b,
        "<= 2x",
        o / b <= 2,
    )


if __name__ == "__main__":
    main()
