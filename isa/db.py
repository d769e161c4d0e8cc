"""Engines and migrations for the register's database (SQLite by default, PostgreSQL at scale)."""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

from models.audit import AuditSeal

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


# The execution option that carries an engine's AuditSeal to the unit of work that appends audit
# events through it (tasks/uow.py): an engine made without one can read the register, not change it.
AUDIT_SEAL = "isa_audit_seal"


def make_engine(url: str, *, audit: AuditSeal | None = None, **kwargs: Any) -> Engine:
    engine = _engine(url, **kwargs)
    return engine.execution_options(**{AUDIT_SEAL: audit}) if audit is not None else engine


def _engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:" and url.startswith("sqlite:///"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


WRITE_TRANSACTION = "isa_write_transaction"


def _sqlite_begin(conn: Any) -> None:
    # A unit of work asks for BEGIN IMMEDIATE: it takes the write lock before reading, so two
    # writers queue (busy_timeout) instead of the second failing when it upgrades a stale read.
    # Plain reads stay deferred, so readers never block writers under WAL.
    immediate = conn.get_execution_options().get(WRITE_TRANSACTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def upgrade(url: str, revision: str = "head", *, audit_key: bytes | None = None) -> None:
    """Apply the migrations up to `revision`; `audit_key` seals an existing audit log (0008)."""
    cfg = alembic_config(url)
    cfg.attributes["audit_key"] = audit_key
    command.upgrade(cfg, revision)
