"""The audit hash commits, under the audit key, to every field of an event and to the event
before it: without the key the same content gives a different hash."""

import pendulum
import pytest

from models.audit import GENESIS_HASH, audit_hash

KEY = b"k" * 32
EVENT = dict(
    seq=1,
    occurred_at=pendulum.datetime(2026, 11, 25, 10, tz="UTC"),
    actor="sam@council.example",
    channel="cli",
    os_user="alice",
    action="arrangement.approve",
    outcome="done",
    subject_type="arrangement",
    subject_ref="ISA-2026-0001",
    before={"status": "awaiting_approval"},
    after={"status": "active", "awaiting": []},
    detail=None,
    prev_hash=GENESIS_HASH,
)


def test_the_same_event_always_hashes_the_same() -> None:
    assert audit_hash(KEY, **EVENT) == audit_hash(KEY, **dict(EVENT))  # type: ignore[arg-type]
    assert len(audit_hash(KEY, **EVENT)) == 64  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", 2),
        ("occurred_at", pendulum.datetime(2026, 11, 25, 10, 0, 0, 1, tz="UTC")),
        ("actor", "someone@else.example"),
        ("channel", "web"),
        ("os_user", "mallory"),
        ("action", "arrangement.reject"),
        ("outcome", "refused"),
        ("subject_type", "agency"),
        ("subject_ref", "ISA-2026-0002"),
        ("before", {"status": "draft"}),
        ("after", {"status": "active", "awaiting": ["x"]}),
        ("detail", "why"),
        ("prev_hash", "f" * 64),
    ],
)
def test_changing_any_field_changes_the_hash(field: str, value: object) -> None:
    assert audit_hash(KEY, **{**EVENT, field: value}) != audit_hash(KEY, **EVENT)  # type: ignore[arg-type]


def test_another_key_gives_another_hash_so_the_chain_cannot_be_recomputed_without_it() -> None:
    assert audit_hash(b"m" * 32, **EVENT) != audit_hash(KEY, **EVENT)  # type: ignore[arg-type]


def test_the_instant_is_hashed_in_utc_whatever_zone_it_was_given_in() -> None:
    london = EVENT["occurred_at"].in_timezone("Europe/London")  # type: ignore[union-attr]
    assert audit_hash(KEY, **{**EVENT, "occurred_at": london}) == audit_hash(KEY, **EVENT)  # type: ignore[arg-type]
