"""Running the daily sweeps as `isa sweep` does, and reading back what they left, for the tests
that run several at once or interrupt one: the outbox row for row, and each record a sweep's
batch audit events name."""

import json
import threading
from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, text
from sqlmodel import Session

from core.settings import Settings
from notifications.delivery import deliver_outbox_sync
from tasks.daily import Sweep, run_sweep
from tests.utils.busy_register import DAY, NOW

SWEEPS: tuple[Sweep, ...] = ("deadlines", "access", "reviews", "disposal")
ACTOR = "system:test"


def sweep_all(
    engine: Engine,
    settings: Settings | None,
    start: threading.Barrier | None,
    *,
    batch_size: int,
    sweeps: Sequence[Sweep] = SWEEPS,
) -> dict[str, int]:
    """What `isa sweep` does for each sweep over the busy register's day: its phases, then
    (given `settings`) delivery of what is due. Returns how many records each phase acted on."""
    if start is not None:
        start.wait()
    acted: dict[str, int] = {}
    with Session(engine, expire_on_commit=False) as session:
        for which in sweeps:
            for phase in run_sweep(
                session, which, as_of=DAY, now=NOW, actor=ACTOR, batch_size=batch_size
            ):
                acted[f"{which}/{phase.phase}"] = len(phase.acted)
    if settings is not None:
        deliver_outbox_sync(engine, settings, NOW)
    return acted


def outbox_rows(engine: Engine) -> Counter[tuple[Any, ...]]:
    """Every outbox row by what makes it one email (event, record, recipient, occurrence), with
    its status and Message-ID."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT event, subject_ref, recipient, occurrence, status, message_id FROM outbox")
        ).all()
    return Counter(tuple(row) for row in rows)


def batch_subjects(engine: Engine) -> Counter[tuple[str, str]]:
    """Each record named by a sweep's batch audit events, with the action: once each, however
    many sweeps ran."""
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT action, after FROM audit_event WHERE subject_type = 'sweep'")
        ).all()
    named: Counter[tuple[str, str]] = Counter()
    for action, after in rows:
        after = after if isinstance(after, dict) else json.loads(after)
        for touched in after.values():
            if isinstance(touched, dict | list):
                named.update((action, ref) for ref in touched)
    return named
