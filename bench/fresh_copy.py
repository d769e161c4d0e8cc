"""Shared by the benchmarks: time one piece of work on a fresh copy of a built register."""

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from core.db import make_engine
from core.settings import DEFAULT_MAIL_FROM
from models.audit import AuditSeal
from models.tables import Installation
from notifications.message import Sender

# What the benchmarks' use cases seal their audit events with.
BENCH_SEAL = AuditSeal(key=b"bench-audit-key-" * 4, channel="bench", os_user="bench")


def sender_context(session: Session) -> dict[str, str]:
    """What a hand-built email context needs to name its sender, read once as the outbox does."""
    identifier = session.exec(select(Installation.identifier)).one()
    return Sender(installation=identifier, mailbox=DEFAULT_MAIL_FROM).as_context()


def timed(template: Path, work: Callable[[Engine], int]) -> tuple[float, int]:
    """Seconds `work` took on a copy of the SQLite register at `template`, and what it returned."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "isa.db"
        shutil.copy(template, path)
        engine = make_engine(f"sqlite:///{path}", audit=BENCH_SEAL)
        started = time.perf_counter()
        result = work(engine)
        elapsed = time.perf_counter() - started
        engine.dispose()
    return elapsed, result
