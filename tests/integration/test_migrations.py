"""The migrations users run build exactly the schema the models declare, on both backends."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from isa.db import upgrade
from models.tables import metadata
from tests.conftest import POSTGRES_URL, Database, _postgres_reachable

NOW = "2026-11-25 10:00:00"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def postgres_or_sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, nothing migrated yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    problem = _postgres_reachable()
    if problem:
        pytest.skip(f"PostgreSQL tier skipped: {POSTGRES_URL} unreachable ({problem})")
    schema = f"isa_migrate_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_the_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_the_audit_chain_starts_at_the_genesis_head(db: Database) -> None:
    assert db.count("audit_head", "seq = 0 AND hash = '" + "0" * 64 + "'") == 1
    assert db.count("audit_event") == 0


def _populate_at_first_revision(url: str) -> None:
    from isa.db import make_engine

    upgrade(url, "0001")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO agency (id, name, status, created_at) VALUES (1, 'A', 'member', :t), (2, 'B', 'member', :t)"
            ),
            {"t": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO contact (id, agency_id, email, name, created_at) VALUES (1, 1, 'a@a.example', 'A', :t)"
            ),
            {"t": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO arrangement (id, reference, title, purposes, lawful_basis, retention_months, "
                "review_interval_months, version, status, next_review_due, drafted_by, created_at, updated_at) "
                "VALUES (1, 'ISA-2026-0001', 'T', '[\"p\"]', 'Public task', 12, 12, 1, 'active', '2027-11-25', 'a@a.example', :t, :t)"
            ),
            {"t": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO arrangement_party (arrangement_id, agency_id, role) VALUES (1, 1, 'discloser'), (1, 2, 'recipient')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO review (arrangement_id, due_on, status) VALUES (1, '2027-11-25', 'scheduled')"
            )
        )
        # B withdrew and A is suspended before the flows that carry them out existed
        conn.execute(text("UPDATE agency SET status = 'withdrawn' WHERE id = 2"))
        conn.execute(text("UPDATE agency SET status = 'suspended' WHERE id = 1"))
        conn.execute(
            text(
                "INSERT INTO withdrawal (reference, agency_id, reason, raised_by, noticed_at, "
                "effective_on, status) VALUES ('WDR-2026-0001', 2, 'Merged', 'b@b.example', :t, "
                "'2026-11-25', 'notified')"
            ),
            {"t": NOW},
        )
        conn.execute(
            text(
                "INSERT INTO suspension (reference, agency_id, reason, raised_by, raised_at, "
                "meeting_deadline, ends_at, status) VALUES ('SUS-2026-0001', 1, 'Breach', "
                "'a@a.example', :t, :d, :e, 'raised')"
            ),
            {"t": NOW, "d": "2026-12-09T23:59:59+00:00", "e": "2026-12-25T10:00:00+00:00"},
        )
    engine.dispose()


def test_a_populated_register_upgrades_from_the_first_migration_to_the_latest(
    postgres_or_sqlite_url: str,
) -> None:
    from isa.db import make_engine

    _populate_at_first_revision(postgres_or_sqlite_url)
    upgrade(postgres_or_sqlite_url)
    engine = make_engine(postgres_or_sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(
            text("SELECT reference, status, approval_chase FROM arrangement")
        ).all() == [("ISA-2026-0001", "active", 0)]
        assert conn.execute(text("SELECT due_on, escalation, reminded_rung FROM review")).all()[0][
            1:
        ] == (0, None)
        assert conn.execute(text("SELECT count(*) FROM arrangement_party")).scalar() == 2
        # the old notice took effect when given; the open suspension's flow is still to start
        assert conn.execute(
            text(
                "SELECT status, completed_at IS NOT NULL, flow_started_at IS NOT NULL FROM withdrawal"
            )
        ).one() == ("completed", True, True)
        assert conn.execute(text("SELECT flow_started_at FROM suspension")).scalar() is None
        differences = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    engine.dispose()
    assert differences == []
