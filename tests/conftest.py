"""Shared fixtures: the register on a real SQLite file and a real PostgreSQL schema, migrated
by the same Alembic migrations users run. The PostgreSQL tier is skipped, and says so, when
its server cannot be reached."""

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pendulum
import pytest
from sqlalchemy import Engine, MetaData, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from core.db import make_engine, upgrade
from models.audit import GENESIS_HASH, AuditSeal
from models.links import LinkIssuer
from models.tables import metadata
from tests.utils.factories import People, seed_agencies, seeded_people

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


# the `now` fixture's instant: Wednesday 25 November 2026, 10:00 in London (GMT)
NOW = pendulum.datetime(2026, 11, 25, 10, 0, tz="Europe/London").in_timezone("UTC")


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


WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def _seed(url: str) -> None:
    """The register most tests start from: the factories' agencies, contacts and chair, made
    through the real use cases at the `now` fixture's instant."""
    engine = sealed_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        seed_agencies(session, NOW)
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrate once; each test copies the file (much faster than migrating per test)."""
    path = tmp_path_factory.mktemp("template") / "isa.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def sqlite_seeded_template(sqlite_template: Path) -> Path:
    """The migrated file with the factories' register in it, built once per worker."""
    path = sqlite_template.with_name("seeded.db")
    shutil.copy(sqlite_template, path)
    _seed(f"sqlite:///{path}")
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


@dataclass
class RegisterState:
    """Every row of a register database and where each sequence stands: a state a test's
    database is put back to (a copy by rows: dropping a database per test costs PostgreSQL a
    checkpoint, seconds on a busy machine)."""

    rows: dict[str, list[dict[str, Any]]]
    sequences: dict[str, tuple[int, bool]]


class WorkerPostgres:
    """The PostgreSQL database of one test process (a worker), migrated once; each test puts it
    back to the migrated or the seeded state (the factories' register, built once) before use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.tables = reflect(self.engine).sorted_tables
        with self.engine.connect() as conn:
            self.sequence_names = [
                str(name)
                for name in conn.execute(
                    text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
                ).scalars()
            ]
        self.migrated = self.capture()
        self.seeded: RegisterState | None = None

    def capture(self) -> RegisterState:
        with self.engine.connect() as conn:
            rows = {
                t.name: [dict(r._mapping) for r in conn.execute(t.select())] for t in self.tables
            }
            sequences = {}
            for name in self.sequence_names:
                value, called = conn.execute(
                    text(f"SELECT last_value, is_called FROM {name}")
                ).one()
                sequences[name] = (int(value), bool(called))
        return RegisterState(rows, sequences)

    def put_back(self, state: RegisterState) -> None:
        """Every table emptied and refilled with `state`'s rows, every sequence set back, in
        one transaction; triggers (the append-only guards, the foreign keys) do not fire, and the
        audit log's guards are enabled again if a test disabled them."""
        with self.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in reversed(self.tables):
                conn.execute(table.delete())
            for table in self.tables:
                if state.rows[table.name]:
                    conn.execute(table.insert(), state.rows[table.name])
            for name, (value, called) in state.sequences.items():
                conn.execute(
                    text("SELECT setval(:s, :v, :c)"), {"s": name, "v": value, "c": called}
                )
            conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER USER"))

    def hang_up_the_rest(self) -> None:
        """End every other connection to this database: what a test's engines, portals and
        commands left open (an idle pool, a connection waiting for collection) would otherwise
        pile up across tests against the server's connection limit, which parallel workers and
        parallel runs share."""
        with self.engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            conn.commit()

    def state(self, *, seeded: bool) -> RegisterState:
        if not seeded:
            return self.migrated
        if self.seeded is None:
            self.put_back(self.migrated)
            _seed(self.url)
            self.seeded = self.capture()
        return self.seeded


def _drop_later(name: str) -> None:
    """Drop database `name` from a detached process: a DROP DATABASE waits for a checkpoint
    (seconds to minutes on a busy machine), which the run need not wait for."""
    conninfo = make_url(POSTGRES_URL).set(drivername="postgresql")
    subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, psycopg; psycopg.connect(sys.argv[1], autocommit=True)"
            ".execute(f'DROP DATABASE IF EXISTS {sys.argv[2]} WITH (FORCE)')",
            conninfo.render_as_string(hide_password=False),
            name,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a new PostgreSQL database of this process's own, dropped afterwards with
    whatever is still connected to it; its name is unique to the worker and the moment, so
    parallel runs and workers never meet."""
    problem = _postgres_reachable()
    if problem:
        pytest.skip(f"PostgreSQL tier skipped: {POSTGRES_URL} unreachable ({problem})")
    name = f"isa_{WORKER}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_later(name)


@pytest.fixture(scope="session")
def worker_postgres() -> Iterator[WorkerPostgres]:
    with postgres_database() as url:
        upgrade(url)
        database = WorkerPostgres(url)
        yield database
        database.engine.dispose()


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
    """A fresh, migrated register on each backend, built once per worker and copied (SQLite: the
    file; PostgreSQL: the rows, into the worker's database); a test that asks for `people` starts
    from the factories' register, also built once per worker."""
    seeded = "people" in request.fixturenames
    if request.param == "sqlite":
        template: Path = request.getfixturevalue(
            "sqlite_seeded_template" if seeded else "sqlite_template"
        )
        path = tmp_path / "isa.db"
        shutil.copy(template, path)
        url = f"sqlite:///{path}"
        engine = sealed_engine(url)
        yield Database("sqlite", url, engine)
        engine.dispose()
    else:
        database: WorkerPostgres = request.getfixturevalue("worker_postgres")
        database.put_back(database.state(seeded=seeded))
        engine = sealed_engine(database.url)
        yield Database("postgres", database.url, engine)
        engine.dispose()
        database.hang_up_the_rest()


@pytest.fixture
def people(db: Database) -> People:
    """Who is who in the factories' register, which `db` holds already for a test that asks."""
    return seeded_people()


@pytest.fixture
def session(db: Database) -> Iterator[Session]:
    with db.session() as s:
        yield s


@pytest.fixture(autouse=True)
def no_default_relay(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings made in a test send mail nowhere unless the test names its SMTP server: the
    default relay (the mail sink on 8025) may be another program's, `make up`'s for one."""
    from tests.utils.ports import CLOSED_PORT

    monkeypatch.setenv("ISA_SMTP_PORT", str(CLOSED_PORT))


@pytest.fixture
def now() -> pendulum.DateTime:
    """A fixed instant: Wednesday 25 November 2026, 10:00 in London (GMT)."""
    return NOW


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def reflect(engine: Engine) -> MetaData:
    reflected = MetaData()
    reflected.reflect(engine)
    return reflected


# Tests that share a server started once per worker run on one worker (`--dist loadgroup`):
# the flow tests share a Prefect test harness, the crash drills of the flows one Prefect server.
SHARED_SERVERS = (
    ("prefect-harness", lambda item: item.path.parent.name == "flows"),
    ("drills-prefect", lambda item: "drill_prefect_api" in getattr(item, "fixturenames", ())),
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for group, shares in SHARED_SERVERS:
            if shares(item):
                item.add_marker(pytest.mark.xdist_group(group))
                break
