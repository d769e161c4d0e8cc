"""Engines and migrations for the register's database (SQLite by default, PostgreSQL at scale).

Alembic is imported only to migrate: every command checks the database's revision against the
head read from the migration files themselves, which costs no Alembic import."""

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from core.files import create_private_file, private_directory
from models.audit import AuditSeal
from models.errors import IsaError
from models.links import LinkIssuer

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

# The register's database when ISA_DATABASE_URL is unset: a SQLite file under ./var.
DEFAULT_DATABASE_URL = "sqlite:///var/isa.db"


# The execution option that carries an engine's AuditSeal to the unit of work that appends audit
# events through it (tasks/uow.py): an engine made without one can read the register, not change it.
AUDIT_SEAL = "isa_audit_seal"


# The execution option that carries the mailbox (ISA_MAIL_FROM) an engine's emails are from, to
# the queueing that builds them: their Message-IDs and invitations name it.
MAILBOX = "isa_mailbox"
# ... and the register office (Settings.office_mailbox) its emails name and reply to
OFFICE = "isa_office"

# The execution option that carries an engine's LinkIssuer (models/links.py) to the queueing that
# puts personal action links in emails; an engine made without one queues emails without links.
LINK_ISSUER = "isa_link_issuer"

# What a session's `info` may carry into the unit of work on it (tasks/uow.py): the evidence of
# the channel it came in by (the web portal's link, client and typed name), written into every
# audit event the unit appends; and steps to take inside its transaction just before the
# commit (marking a link used), where a refusal rolls the whole change back.
EVIDENCE = "isa_evidence"
BEFORE_COMMIT = "isa_before_commit"


def make_engine(
    url: str,
    *,
    audit: AuditSeal | None = None,
    mailbox: str | None = None,
    office: str | None = None,
    links: LinkIssuer | None = None,
    **kwargs: Any,
) -> Engine:
    engine = _engine(url, **kwargs)
    options: dict[str, Any] = {}
    if audit is not None:
        options[AUDIT_SEAL] = audit
    if mailbox is not None:
        options[MAILBOX] = mailbox
    if office is not None:
        options[OFFICE] = office
    if links is not None:
        options[LINK_ISSUER] = links
    return engine.execution_options(**options) if options else engine


_USE = "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"


def _engine(url: str, **kwargs: Any) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise IsaError(
            f"ISA_DATABASE_URL: not a database URL: {url!r} (e.g. sqlite:///var/isa.db)"
        ) from None
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite:
        path = sqlite_file(parsed)
        if path is not None:
            _create_sqlite_file(path)
    try:
        if sqlite:
            engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        else:
            engine = create_engine(url, pool_pre_ping=True, **kwargs)
    except NoSuchModuleError:
        raise IsaError(
            f"ISA_DATABASE_URL: unknown database {parsed.drivername!r}: {_USE}"
        ) from None
    except ImportError as exc:
        raise IsaError(
            f"ISA_DATABASE_URL: the driver for {parsed.drivername!r} is not installed ({exc}): "
            f"{_USE}"
        ) from None
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL; None for an in-memory database."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _create_sqlite_file(path: Path) -> None:
    # The register holds breach and suspension details: its file is the owner's alone (0600),
    # and SQLite gives its -wal and -shm files the same mode as the database's.
    try:
        private_directory(path.parent)
        create_private_file(path)
    except OSError as exc:
        raise IsaError(f"cannot open the SQLite database {path}: {_why(path, exc)}") from None


def _why(path: Path, exc: OSError) -> str:
    if isinstance(exc, NotADirectoryError):
        for parent in path.parents:
            if parent.exists() and not parent.is_dir():
                return f"{parent} is not a directory"
    return str(exc.strerror or exc).lower()


def check_connection(engine: Engine) -> None:
    """Connect once: a database that cannot be reached is one line naming it and why."""
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        first = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else str(exc)
        reason = re.split(r"failed: ", first)[-1].removeprefix("FATAL:").strip()
        reason = reason[:1].lower() + reason[1:]
        url = engine.url
        if url.get_backend_name() == "sqlite":
            raise IsaError(f"cannot open the SQLite database {url.database}: {reason}") from None
        where = f"{url.host or 'localhost'}:{url.port or 5432}"
        raise IsaError(f"cannot connect to the database at {where}: {reason}") from None


WRITE_TRANSACTION = "isa_write_transaction"
# the key a session's `info` carries once a unit of work on it has staged Prefect events in the
# event outbox, so whoever commits publishes them (notifications/publication.py)
EVENTS_STAGED = "isa_events_staged"
# the key a session's `info` carries in a flow run, whose last task sends the emails the run
# queued: its units of work stage no `isa.outbox.queued` event to start a delivery run
RUN_DELIVERS = "isa_run_delivers"
# the key of a callable in a session's `info` that a sweep's phase calls after each batch with
# its action and how many records it has acted on so far (the command line's progress)
PROGRESS = "isa_progress"


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


def alembic_config(url: str) -> "Config":
    from alembic.config import Config  # migrating only (see the module's docstring)

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


_REVISION = re.compile(r"^revision: str = ['\"](\w+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision: str \| None = ['\"](\w+)['\"]", re.M)


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest migration: the one revision no other migration revises (as Alembic's
    ScriptDirectory finds it, which a test checks, without importing Alembic)."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revisions.update(_REVISION.findall(text))
        revised.update(_DOWN.findall(text))
    heads = sorted(revisions - revised)
    return heads[-1] if heads else None


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at; None for a database the register was never created in."""
    with engine.connect() as conn:
        try:
            return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except DBAPIError:
            return None


def check_revision(engine: Engine) -> None:
    """Refuse a database that is not set up, or not at this version's revision."""
    current, head = current_revision(engine), head_revision()
    if current is None:
        raise IsaError("the register's database is not set up", command="isa db upgrade")
    if current != head:
        raise IsaError(
            f"the register's database is at revision {current}, this version needs {head}",
            command="isa db upgrade",
        )


def upgrade(url: str, revision: str = "head", *, audit_key: bytes | None = None) -> str | None:
    """Apply the migrations up to `revision`; `audit_key` seals an existing audit log (0008).
    Returns the revision the database was at before (None: the register was created now)."""
    engine = make_engine(url)
    try:
        check_connection(engine)
        before = current_revision(engine)
    finally:
        engine.dispose()
    from alembic import command  # migrating only (see the module's docstring)

    cfg = alembic_config(url)
    cfg.attributes["audit_key"] = audit_key
    command.upgrade(cfg, revision)
    return before
