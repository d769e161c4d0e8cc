"""Shared fixtures: the register on a real SQLite file and a real PostgreSQL schema, migrated
by the same Alembic migrations users run. The PostgreSQL tier is skipped, and says so, when
its server cannot be reached."""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pendulum
import pytest
from sqlalchemy import Engine, MetaData, create_engine, inspect, text
from sqlmodel import Session

from core.db import make_engine, upgrade
from models.audit import GENESIS_HASH, AuditSeal
from models.links import LinkIssuer
from models.tables import metadata

# The audit key every test's register is sealed with; the commands a test runs read it too.
TEST_AUDIT_KEY = "test-audit-key-0123456789abcdef0123456789abcdef"
os.environ["ISA_AUDIT_KEY"] = TEST_AUDIT_KEY
# The From of every test's emails: a relay refuses to send from a special-use domain such as the
# embedded default's isa.local, and the tests deliver to real SMTP servers.
TEST_MAIL_FROM = "Information Sharing Register <isa-register@register.example>"
os.environ["ISA_MAIL_FROM"] = TEST_MAIL_FROM
TEST_SEAL = AuditSeal(key=TEST_AUDIT_KEY.encode(), channel="test", os_user="pytest")
# The key of the personal links in every test's emails, and where they point.
TEST_SECRET_KEY = "test-secret-key-0123456789abcdef0123456789abcdef"
os.environ["ISA_SECRET_KEY"] = TEST_SECRET_KEY
TEST_PUBLIC_URL = "http://127.0.0.1:8000"
TEST_LINKS = LinkIssuer(key=TEST_SECRET_KEY.encode(), public_url=TEST_PUBLIC_URL)


def sealed_engine(url: str) -> Engine:
    """An engine whose use cases append audit events sealed with the test key, and whose
    emails carry personal links made with the test's secret key."""
    return make_engine(url, audit=TEST_SEAL, mailbox=TEST_MAIL_FROM, links=TEST_LINKS)


POSTGRES_URL = os.environ.get(
    "ISA_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_postgres_problem: str | None = None


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not (cached for the session)."""
    global _postgres_problem
    if _postgres_problem is None:
        try:
            engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            engine.dispose()
            _postgres_problem = ""
        except Exception as exc:
            _postgres_problem = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return _postgres_problem or None


def pytest_terminal_summary(terminalreporter: Any) -> None:
    problem = _postgres_problem
    if problem:
        terminalreporter.write_line(
            f"PostgreSQL tier SKIPPED: {POSTGRES_URL} unreachable ({problem})", yellow=True
        )
    elif problem == "":
        terminalreporter.write_line(f"PostgreSQL tier ran against {POSTGRES_URL}", green=True)


@dataclass
class Database:
    """One migrated register database for a test: its URL, engine and a session maker."""

    backend: str
    url: str
    engine: Engine

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def snapshot(self, *, exclude: tuple[str, ...] = ()) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, to prove a refused command wrote nothing."""
        out: dict[str, list[tuple[Any, ...]]] = {}
        with self.engine.connect() as conn:
            for table in metadata.sorted_tables:
                if table.name in exclude:
                    continue
                rows = conn.execute(table.select().order_by(*table.primary_key.columns)).all()
                out[table.name] = [tuple(r) for r in rows]
        return out

    def count(self, table: str, where: str = "") -> int:
        with self.engine.connect() as conn:
            sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
            return int(conn.execute(text(sql)).scalar_one())

    def drop_audit_guards(self) -> None:
        """Drop the triggers that refuse UPDATE and DELETE of audit rows, as anyone with the
        database owner's rights could: what the keyed chain and its checkpoints must catch."""
        with self.engine.begin() as conn:
            if self.backend == "sqlite":
                conn.execute(text("DROP TRIGGER audit_event_no_update"))
                conn.execute(text("DROP TRIGGER audit_event_no_delete"))
            else:
                # disabled rather than dropped: the schema is shared by the session's tests
                conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER USER"))

    def recipients(self, event: str, status: str | None = None) -> set[str]:
        """Who the outbox holds an email of `event` for (only those in `status`, if given)."""
        sql = "SELECT recipient FROM outbox WHERE event = :e" + (
            " AND status = :s" if status else ""
        )
        with self.engine.connect() as conn:
            return {row[0] for row in conn.execute(text(sql), {"e": event, "s": status})}


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test copies the file (much faster than migrating per test)."""
    path = tmp_path_factory.mktemp("template") / "isa.db"
    upgrade(f"sqlite:///{path}")
    return path


@contextmanager
def empty_postgres_schema(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL schema, dropped afterwards; the test is skipped (and
    says why) when the server cannot be reached."""
    problem = _postgres_reachable()
    if problem:
        pytest.skip(f"PostgreSQL tier skipped: {POSTGRES_URL} unreachable ({problem})")
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    with empty_postgres_schema("isa_test") as url:
        upgrade(url)
        yield url


def _reset_postgres(engine: Engine) -> None:
    # the installation's identifier is made once, by the migration, and kept like the schema
    names = [t.name for t in metadata.sorted_tables if t.name != "installation"]
    with engine.begin() as conn:
        # the append-only triggers refuse TRUNCATE of the audit log: a test's reset skips them
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))
        conn.execute(
            text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": GENESIS_HASH}
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated register on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "isa.db"
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
        engine = sealed_engine(url)
        yield Database("sqlite", url, engine)
        engine.dispose()
    else:
        url = request.getfixturevalue("postgres_schema")
        engine = sealed_engine(url)
        _reset_postgres(engine)
        yield Database("postgres", url, engine)
        engine.dispose()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as s:
        yield s


@pytest.fixture
def now() -> pendulum.DateTime:
    """A fixed instant: Wednesday 25 November 2026, 10:00 in London (GMT)."""
    return pendulum.datetime(2026, 11, 25, 10, 0, tz="Europe/London").in_timezone("UTC")


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def reflect(engine: Engine) -> MetaData:
    reflected = MetaData()
    reflected.reflect(engine)
    return reflected
