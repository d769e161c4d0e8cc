"""The audit key: read from `ISA_AUDIT_KEY`, or from its file, which is generated once (mode
0600) for a register kept in a SQLite file. The key never enters the database it protects.

The secret key of the links in emails and the portal's sessions likewise: `ISA_SECRET_KEY`, or
its file, generated once while the portal is on this machine's loopback address."""

import getpass
import os
import secrets
from pathlib import Path

from core.files import private_directory, write_private_file
from core.settings import Settings
from models.audit import MIN_KEY_LENGTH, AuditSeal
from models.errors import IsaError
from models.links import LinkIssuer


def audit_key(settings: Settings) -> bytes:
    """The key of the audit chain's HMAC; for an embedded register generated on first use."""
    if settings.audit_key is not None:
        key = settings.audit_key.get_secret_value().strip()
        if len(key) < MIN_KEY_LENGTH:
            raise IsaError(f"ISA_AUDIT_KEY is too short: at least {MIN_KEY_LENGTH} characters")
        return key.encode()
    path = settings.audit_key_file
    if path.exists():
        return _read(path)
    if settings.sqlite_path() is None:
        raise IsaError(
            f"ISA_AUDIT_KEY is not set and there is no key file at {path}: a register outside a "
            "local SQLite file needs its audit key set, the same on every machine"
        )
    return _generate(path)


def secret_key(settings: Settings) -> bytes:
    """The key links and portal sessions are made with."""
    if settings.secret_key is not None:
        key = settings.secret_key.get_secret_value().strip()
        if len(key) < MIN_KEY_LENGTH:
            raise IsaError(f"ISA_SECRET_KEY is too short: at least {MIN_KEY_LENGTH} characters")
        return key.encode()
    path = settings.secret_key_file
    if path.exists():
        return _read(path, "the secret key")
    if not settings.public_url_is_loopback():
        raise IsaError(
            f"ISA_SECRET_KEY is not set: the portal at {settings.public_url} is not on this "
            "machine, so its links need a secret key set, the same on every machine that sends "
            "the register's email"
        )
    return _generate(path, "the secret key")


def link_issuer(settings: Settings) -> LinkIssuer:
    """What puts personal links in the emails this process queues."""
    return LinkIssuer(key=secret_key(settings), public_url=settings.public_url)


def _read(path: Path, what: str = "the audit key") -> bytes:
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise IsaError(f"cannot read {what} {path}: {exc}") from None
    if len(key) < MIN_KEY_LENGTH:
        raise IsaError(f"{what} in {path} is too short: at least {MIN_KEY_LENGTH} chars")
    return key.encode()


def _generate(path: Path, what: str = "the audit key") -> bytes:
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


def audit_seal(settings: Settings, channel: str) -> AuditSeal:
    """What an engine of this process seals its audit events with."""
    return AuditSeal(key=audit_key(settings), channel=channel, os_user=os_user())
