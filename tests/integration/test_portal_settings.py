"""The portal's settings: its secret key is generated once (0600) and reused while the portal is
on a loopback address, a public portal without a key refuses to start in one line, and a bad
public address is named."""

from pathlib import Path

import pytest

from core.keys import secret_key
from core.settings import Settings
from models.errors import IsaError


def test_the_secret_key_is_generated_once_private_and_reused(tmp_path: Path) -> None:
    where = tmp_path / "var" / "secret.key"
    settings = Settings(secret_key=None, secret_key_file=where)
    first = secret_key(settings)
    assert len(first) >= 32
    assert where.stat().st_mode & 0o777 == 0o600
    assert secret_key(settings) == first


def test_a_public_portal_without_a_key_refuses_to_start_in_one_line(
    isa, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("ISA_SECRET_KEY")
    monkeypatch.setenv("ISA_SECRET_KEY_FILE", str(tmp_path / "none" / "secret.key"))
    monkeypatch.setenv("ISA_PUBLIC_URL", "https://isa.northshire.example")
    refused = isa("web", "--port", "8999")
    assert refused.code == 1
    assert refused.err == (
        "isa: error: ISA_SECRET_KEY is not set: the portal at https://isa.northshire.example is "
        "not on this machine, so its links need a secret key set, the same on every machine that "
        "sends the register's email\n"
    )
    assert not (tmp_path / "none").exists()
    with pytest.raises(IsaError, match="ISA_SECRET_KEY is not set"):
        secret_key(Settings(secret_key=None, secret_key_file=tmp_path / "none" / "secret.key"))


@pytest.mark.parametrize(
    "url", ["isa.example.org", "ftp://isa.example.org", "https://isa.example.org/?x=1"]
)
def test_a_public_url_that_is_not_a_base_address_is_named(
    isa, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ISA_PUBLIC_URL", url)
    refused = isa("web")
    assert refused.code == 1
    assert refused.err.startswith("isa: error: ISA_PUBLIC_URL") and refused.err.count("\n") == 1


def test_a_short_key_is_refused() -> None:
    with pytest.raises(IsaError, match="ISA_SECRET_KEY is too short"):
        secret_key(Settings(secret_key="short"))
