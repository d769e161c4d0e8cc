"""Flow tests run under one session-scoped Prefect test harness (a temporary local server,
heartbeats off) against a real SQLite register and a real SMTP server."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness

from tasks import runtime
from tests.conftest import Database
from tests.utils.smtp import *  # noqa: F403  (the SMTP server fixtures)


@pytest.fixture(scope="session", autouse=True)
def prefect_harness() -> Iterator[None]:
    from prefect.settings import (
        PREFECT_RUNNER_HEARTBEAT_FREQUENCY,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )

    # no telemetry: nothing may reach the internet from a test run
    with (
        temporary_settings(
            {PREFECT_RUNNER_HEARTBEAT_FREQUENCY: None, PREFECT_SERVER_ANALYTICS_ENABLED: False}
        ),
        prefect_test_harness(server_startup_timeout=120),
    ):
        yield


@pytest.fixture
def flow_db(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    """A fresh SQLite register that the flows' tasks open through `tasks.runtime`."""
    import shutil

    from tests.conftest import sealed_engine

    path = tmp_path / "isa.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("ISA_DATABASE_URL", url)
    runtime.settings.cache_clear()
    runtime.engine.cache_clear()
    engine = sealed_engine(url)
    yield Database("sqlite", url, engine)
    engine.dispose()
    runtime.engine().dispose()
    runtime.settings.cache_clear()
    runtime.engine.cache_clear()
