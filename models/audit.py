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
    process; `source` where the key was read from (a file, ISA_AUDIT_KEY), for a refusal to name."""

    key: bytes = field(repr=False)
    channel: str
    os_user: str | None = None
    source: str = "the audit key given"


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
    evidence: dict[str, Any] | None = None,
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
    if evidence is not None:
        # sealed with the rest; an event without evidence hashes as it did before there was any
        payload["evidence"] = evidence
    return hmac.new(key, canonical_json(payload), hashlib.sha256).hexdigest()


def canonical_json(payload: Any) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=_canonical).encode()


# --- checkpoints: the chain's head, signed and kept outside the database ----------------------


@dataclass(frozen=True)
class Checkpoint:
    """The audit chain's head at one moment: event #`seq` had hash `head`. Signed with a key
    derived from the audit key, and kept outside the database (a file, a Prefect artifact, the
    chairs' email), so a log cut back or rewritten after it no longer matches it."""

    seq: int
    head: str
    at: str  # ISO 8601, UTC
    signature: str = ""

    def signed(self, key: bytes) -> "Checkpoint":
        return Checkpoint(self.seq, self.head, self.at, _checkpoint_signature(key, self))

    def is_signed_by(self, key: bytes) -> bool:
        return hmac.compare_digest(self.signature, _checkpoint_signature(key, self))

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "head": self.head, "at": self.at, "signature": self.signature}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(cls, raw: Any) -> "Checkpoint":
        """A checkpoint as published; `ValueError` naming what is wrong with it."""
        if not isinstance(raw, dict) or set(raw) != {"seq", "head", "at", "signature"}:
            raise ValueError("not an audit checkpoint: it needs seq, head, at and signature")
        seq, head, at, signature = raw["seq"], raw["head"], raw["at"], raw["signature"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise ValueError(f"checkpoint seq {seq!r} is not a whole number")
        if not all(isinstance(v, str) for v in (head, at, signature)):
            raise ValueError("checkpoint head, at and signature must be text")
        return cls(seq, head, at, signature)


def _checkpoint_signature(key: bytes, checkpoint: Checkpoint) -> str:
    # a key of its own, derived from the audit key, so a checkpoint can never pass for an event
    signing_key = hmac.new(key, b"isa audit checkpoint", hashlib.sha256).digest()
    body = canonical_json({"seq": checkpoint.seq, "head": checkpoint.head, "at": checkpoint.at})
    return hmac.new(signing_key, body, hashlib.sha256).hexdigest()
