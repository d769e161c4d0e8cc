"""The outbox lease and its heartbeat as settings: short by default, so a dead deliverer's emails
wait about a minute, and a heartbeat that could not keep a claim alive is refused at start-up."""

import pytest
from pydantic import ValidationError

from core.settings import Settings


def test_by_default_a_claim_lasts_a_minute_and_is_renewed_every_fifteen_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ISA_OUTBOX_LEASE_SECONDS", raising=False)
    monkeypatch.delenv("ISA_OUTBOX_HEARTBEAT_SECONDS", raising=False)

    settings = Settings()

    assert settings.outbox_lease_seconds == 60
    assert settings.outbox_heartbeat_seconds == 15


def test_the_lease_and_heartbeat_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ISA_OUTBOX_LEASE_SECONDS", "30")
    monkeypatch.setenv("ISA_OUTBOX_HEARTBEAT_SECONDS", "5")

    settings = Settings()

    assert (settings.outbox_lease_seconds, settings.outbox_heartbeat_seconds) == (30, 5)


@pytest.mark.parametrize("heartbeat", [60, 90])
def test_a_heartbeat_no_shorter_than_the_lease_is_refused(heartbeat: float) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(outbox_lease_seconds=60, outbox_heartbeat_seconds=heartbeat)

    assert (
        f"ISA_OUTBOX_HEARTBEAT_SECONDS ({heartbeat}) must be less than ISA_OUTBOX_LEASE_SECONDS (60)"
        in str(refused.value)
    )
