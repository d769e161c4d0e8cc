"""The audit key: read from `ISA_AUDIT_KEY`, or from its file, which is generated once (mode
0600) for a register kept in a SQLite file. The key never enters the database it protects.

The secret key of the links in emails and the portal's sessions likewise: `ISA_SECRET_KEY`, or
its file, generated once while the portal is on this machine's loopback address."""

import getpass
import os
import secrets
from pathlib import Path

from pydantic import SecretStr

from core.files import private_directory, write_private_file
from core.settings import Settings
from models.audit import MIN_KEY_LENGTH, AuditSeal
from models.errors import IsaError
from models.links import LinkIssuer


def audit_key(settings: Settings) -> bytes:
    """The key of the audit chain's HMAC; for an embedded register generated on first use."""
    return _key(
        settings.audit_key,
        "ISA_AUDIT_KEY",
        settings.audit_key_file,
        "the audit key",
        refusal=None
        if settings.sqlite_path() is not None
        else (
            f"ISA_AUDIT_KEY is not set and there is no key file at {settings.audit_key_file}: "
            "a register outside a local SQLite file needs its audit key set, the same on every "
            "machine"
        ),
    )


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
        key=audit_key(settings), channel=channel, os_user=os_user() if process_acts else None
    )
