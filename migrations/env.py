"""Alembic environment: migrates the database named in the config, or the connection handed in."""

from alembic import context
from sqlalchemy import Connection

import models.tables  # noqa: F401  (registers every table on the metadata)
import notifications.tables  # noqa: F401  (the outbox)
from isa.db import make_engine
from models.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `isa db upgrade`")
run_migrations_online()
