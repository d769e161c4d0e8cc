"""Shared by the benchmarks: time one piece of work on a fresh copy of a built register."""

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from isa.db import make_engine


def timed(template: Path, work: Callable[[Engine], int]) -> tuple[float, int]:
    """Seconds `work` took on a copy of the SQLite register at `template`, and what it returned."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "isa.db"
        shutil.copy(template, path)
        engine = make_engine(f"sqlite:///{path}")
        started = time.perf_counter()
        result = work(engine)
        elapsed = time.perf_counter() - started
        engine.dispose()
    return elapsed, result
