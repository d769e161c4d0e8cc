"""The audit chain's seal: each event commits, under a key kept outside the database, to its own
content and to the event before it, so altering, removing or reordering any stored event breaks
every hash after it, and without the key nobody can compute a chain that verifies."""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
# The shortest key accepted: 256 bits of hex.
MIN_KEY_LENGTH = 32


@dataclass(frozen=True)
class AuditSeal:
    """Who appends to the audit log through one engine, and the key they seal it with:
    `channel` says which way in (cli, prefect, web), `os_user` the operating-system user of the
    process."""

    key: bytes = field(repr=False)
    channel: str
    os_user: str | None = None


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def audit_hash(
    key: bytes,
    *,
    seq: int,
    occurred_at: datetime,
    actor: str,
    channel: str,
    os_user: str | None,
    action: str,
    outcome: str,
    subject_type: str | None,
    subject_ref: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    detail: str | None,
    prev_hash: str,
) -> str:
    payload = {
        "seq": seq,
        # stored timestamps come back in UTC at microsecond precision: hash exactly that form
        "occurred_at": occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": actor,
        "channel": channel,
        "os_user": os_user,
        "action": action,
        "outcome": outcome,
        "subject_type": subject_type,
        "subject_ref": subject_ref,
        "before": before,
        "after": after,
        "detail": detail,
        "prev_hash": prev_hash,
    }
    return hmac.new(key, canonical_json(payload), hashlib.sha256).hexdigest()


def canonical_json(payload: Any) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=_canonical).encode()
