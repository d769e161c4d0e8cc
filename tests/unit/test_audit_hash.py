"""The audit hash commits to every field of an event and to the event before it."""

import pendulum
import pytest

from models.audit import GENESIS_HASH, audit_hash

EVENT = dict(
    seq=1,
    occurred_at=pendulum.datetime(2026, 11, 25, 10, tz="UTC"),
    actor="sam@council.example",
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
    assert audit_hash(**EVENT) == audit_hash(**dict(EVENT))  # type: ignore[arg-type]
    assert len(audit_hash(**EVENT)) == 64  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", 2),
        ("occurred_at", pendulum.datetime(2026, 11, 25, 10, 0, 0, 1, tz="UTC")),
        ("actor", "someone@else.example"),
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
    assert audit_hash(**{**EVENT, field: value}) != audit_hash(**EVENT)  # type: ignore[arg-type]


def test_the_instant_is_hashed_in_utc_whatever_zone_it_was_given_in() -> None:
    london = EVENT["occurred_at"].in_timezone("Europe/London")  # type: ignore[union-attr]
    assert audit_hash(**{**EVENT, "occurred_at": london}) == audit_hash(**EVENT)  # type: ignore[arg-type]
