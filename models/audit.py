"""The audit chain's hash: each event commits to its own content and to the event before it,
so altering, removing or reordering any stored event breaks every hash after it."""

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def audit_hash(
    *,
    seq: int,
    occurred_at: datetime,
    actor: str,
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
        "action": action,
        "outcome": outcome,
        "subject_type": subject_type,
        "subject_ref": subject_ref,
        "before": before,
        "after": after,
        "detail": detail,
        "prev_hash": prev_hash,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=_canonical)
    return hashlib.sha256(blob.encode()).hexdigest()
