"""The migrations users run build exactly the schema the models declare, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from models.tables import metadata
from tests.conftest import Database


def test_the_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_the_audit_chain_starts_at_the_genesis_head(db: Database) -> None:
    assert db.count("audit_head", "seq = 0 AND hash = '" + "0" * 64 + "'") == 1
    assert db.count("audit_event") == 0
