"""The audit key: read from `ISA_AUDIT_KEY`, or from its file, which is generated once (mode
0600) for a register kept in a SQLite file. The key never enters the database it protects.

The secret key of the links in emails and the portal's sessions likewise: `ISA_SECRET_KEY`, or
its file, generated once while the portal is on this machine's loopback address."""

import getpass
import os
import secrets
import sqlite3
from contextlib import closing
from pathlib import Path

from pydantic import SecretStr

from core.files import private_directory, write_private_file
from core.settings import Settings
from models.audit import MIN_KEY_LENGTH, AuditSeal
from models.errors import IsaError
from models.links import LinkIssuer


def audit_key(settings: Settings) -> bytes:
    """The key of the audit chain's HMAC; for an embedded register generated on first use, and
    only then: a log that already holds events was sealed by a key that must be found, not
    replaced by a new one whose events its own key could never verify."""
    database = settings.sqlite_path()
    refusal = None
    if database is None:
        refusal = (
            f"ISA_AUDIT_KEY is not set and there is no key file at {settings.audit_key_file}: "
            "a register outside a local SQLite file needs its audit key set, the same on every "
            "machine"
        )
    elif settings.audit_key is None and not settings.audit_key_file.exists():
        sealed = _audit_events_in(database)
        if sealed:
            refusal = (
                f"no audit key: ISA_AUDIT_KEY is not set and there is no key file at "
                f"{settings.audit_key_file.absolute()}, yet the register {database.absolute()} "
                f"holds {sealed} audit events sealed with one: put the register's key back there "
                "(or set ISA_AUDIT_KEY_FILE to where it is); a new key would fork the log"
            )
    return _key(
        settings.audit_key,
        "ISA_AUDIT_KEY",
        settings.audit_key_file,
        "the audit key",
        refusal=refusal,
    )


def audit_key_source(settings: Settings) -> str:
    """Where the audit key is read from, as a refusal names it."""
    if settings.audit_key is not None:
        return "ISA_AUDIT_KEY"
    return str(settings.audit_key_file.absolute())


def _audit_events_in(database: Path) -> int:
    """How many audit events the SQLite file holds (0: no file, no log yet, or unreadable, where
    opening it later says what is wrong)."""
    if not database.is_file():
        return 0
    try:
        with closing(sqlite3.connect(f"{database.absolute().as_uri()}?mode=ro", uri=True)) as db:
            row = db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'audit_head'"
            ).fetchone()
            if row is None:
                return 0
            found = db.execute("SELECT seq FROM audit_head WHERE id = 1").fetchone()
    except sqlite3.Error:
        return 0
    return int(found[0]) if found else 0


def secret_key(settings: Settings) -> bytes:
    """The key links and portal sessions are made with."""
    return _key(
        settings.secret_key,
        "ISA_SECRET_KEY",
        settings.secret_key_file,
        "the secret key",
        refusal=None
        if settings.public_url_is_loopback()
        else (
            f"ISA_SECRET_KEY is not set: the portal at {settings.public_url} is not on this "
            "machine, so its links need a secret key set, the same on every machine that sends "
            "the register's email"
        ),
    )


def _key(
    given: SecretStr | None, variable: str, path: Path, what: str, *, refusal: str | None
) -> bytes:
    """The key set in `variable`, else the one in its file, else (unless `refusal` says why
    not) one generated into that file."""
    if given is not None:
        key = given.get_secret_value().strip()
        if len(key) < MIN_KEY_LENGTH:
            raise IsaError(f"{variable} is too short: at least {MIN_KEY_LENGTH} characters")
        return key.encode()
    if path.exists():
        return _read(path, what)
    if refusal is not None:
        raise IsaError(refusal)
    return _generate(path, what)


def link_issuer(settings: Settings) -> LinkIssuer:
    """What puts personal links in the emails this process queues."""
    return LinkIssuer(key=secret_key(settings), public_url=settings.public_url)


def _read(path: Path, what: str) -> bytes:
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IsaError(f"cannot read {what} {path}: {exc}") from None
    if len(key) < MIN_KEY_LENGTH:
        raise IsaError(f"{what} in {path} is too short: at least {MIN_KEY_LENGTH} chars")
    return key.encode()


def _generate(path: Path, what: str) -> bytes:
    key = secrets.token_hex(32)
    try:
        private_directory(path.parent)
        # O_EXCL: two first commands at once both end up with the one key written first
        write_private_file(path, (key + "\n").encode("ascii"))
    except FileExistsError:
        return _read(path, what)
    except OSError as exc:
        raise IsaError(f"cannot create {what} {path}: {exc.strerror or exc}") from None
    return key.encode()


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"


def audit_seal(settings: Settings, channel: str, *, process_acts: bool = True) -> AuditSeal:
    """What an engine of this process seals its audit events with. `process_acts`: the
    process's operating-system user is the one acting (the CLI, a flow run); the web portal's
    is not: there the person at the link or in the signed-in session acts, and is the actor."""
    return AuditSeal(
        key=audit_key(settings),
        channel=channel,
        os_user=os_user() if process_acts else None,
        source=audit_key_source(settings),
    )
