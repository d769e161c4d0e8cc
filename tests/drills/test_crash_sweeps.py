"""Crash drills of the daily sweeps (issue 14): a review sweep and the access sweep over a busy
register, as `isa sweep` runs them (the phases in batches, then delivery), killed by SIGKILL
just before and just after every commit (inside a batch; between two batches or two phases; a
delivery's claim, its record) and after every message the SMTP server accepted, then run again
to completion. Every kill point that leaves what no other leaves is tried, and both sides of
every change's commit; of the after-send points, every fourth, the first and the last (the
report line says how many of how many). See tests/utils/crash_drill.py for what is checked at
each kill point."""

from pathlib import Path

import pytest
from sqlalchemy import text

from core.db import upgrade
from tests.conftest import sealed_engine
from tests.utils.busy_register import DAY, NOW, build_busy_register
from tests.utils.crash_drill import Drill, distinct_states, sqlite_copies
from tests.utils.smtp import SMTPServer

PER_KIND = 2
BATCH = 2
# of the after-send kill points, which differ from their neighbours only in which message is
# in doubt, every fourth (and the first and the last)
SENDS_EVERY = 4


def busy_register(path: Path) -> Path:
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = sealed_engine(url)
    build_busy_register(engine, per_kind=PER_KIND)
    with engine.begin() as conn:
        conn.execute(text("UPDATE installation SET identifier = 'drillregister001'"))
    engine.dispose()
    return path


def child_env(smtp: SMTPServer) -> dict[str, str]:
    return {
        "ISA_SMTP_HOST": smtp.host,
        "ISA_SMTP_PORT": str(smtp.port),
        # several delivery batches, and no heartbeat inside a drill's short run
        "ISA_OUTBOX_BATCH_SIZE": "8",
        "ISA_OUTBOX_HEARTBEAT_SECONDS": "50",
    }


@pytest.mark.timeout(300)
@pytest.mark.parametrize("which", ["reviews", "access"])
def test_a_sweep_killed_at_every_boundary_and_rerun_loses_nothing_and_doubles_nothing(
    which: str, tmp_path: Path, smtp_server: SMTPServer
) -> None:
    template = busy_register(tmp_path / "template.db")
    drill = Drill(
        f"{which} sweep",
        work="sweep",
        params={
            "which": which,
            "as_of": DAY.isoformat(),
            "now": NOW.isoformat(),
            "batch_size": BATCH,
        },
        env=child_env(smtp_server),
        register=sqlite_copies(template, tmp_path),
        smtp=smtp_server,
        directory=tmp_path,
    )
    report = drill.run(distinct_states(sends_every=SENDS_EVERY))
    print(f"\n{report.line()}")
    assert report.total > 0
    assert report.gaps() == [], (report.gaps(), report)
    assert report.mailing > 0 and report.boundaries["claim"] > 1, report
