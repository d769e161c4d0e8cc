"""An embedded register's audit key, secret key and checkpoints live beside its database file,
found the same from any working directory; a command never seals events with a key other than
the one that sealed the log, and `isa audit verify` tells a missing or wrong key apart from an
altered log."""

from pathlib import Path

import pytest

from tests.conftest import Database
from tests.integration.conftest import COUNCIL, TRUST

OTHER_KEY = "another-audit-key-0123456789abcdef0123456789abcdef"


@pytest.fixture
def embedded(isa, db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A register in a SQLite file under `home/`, its keys left to their defaults, and the
    command line run from `home`."""
    if db.backend != "sqlite":
        pytest.skip("an embedded register is a SQLite file")
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(home)
    database = home / "register" / "isa.db"
    monkeypatch.setenv("ISA_DATABASE_URL", f"sqlite:///{database}")
    for variable in ("ISA_AUDIT_KEY", "ISA_SECRET_KEY"):
        monkeypatch.delenv(variable, raising=False)
    assert isa("db", "upgrade").code == 0
    added = isa("agency", "add", COUNCIL)
    assert added.code == 0, added.err
    return database


def test_an_embedded_register_s_keys_are_kept_beside_its_database_file(
    isa, embedded: Path, tmp_path: Path
) -> None:
    beside = embedded.parent
    assert (beside / "audit.key").is_file()
    assert not (tmp_path / "home" / "var").exists()


def test_a_command_from_another_directory_seals_with_the_register_s_own_key(
    isa, embedded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    added = isa("agency", "add", TRUST)
    assert added.code == 0, added.err
    assert not (elsewhere / "var").exists()
    verified = isa("audit", "verify")
    assert verified.code == 0, verified.err
    monkeypatch.chdir(tmp_path / "home")
    verified = isa("audit", "verify")
    assert verified.code == 0, verified.err


def test_a_register_with_events_and_no_key_is_refused_naming_where_it_looked(
    isa, embedded: Path
) -> None:
    key = embedded.parent / "audit.key"
    key.rename(embedded.parent / "audit.key.elsewhere")
    before = embedded.read_bytes()
    refused = isa("agency", "add", TRUST)
    assert refused.code == 1
    (line,) = refused.err.strip().splitlines()
    assert "no audit key" in line and str(key) in line
    assert not key.exists(), "a new key was generated for a register already sealed"
    assert embedded.read_bytes() == before
    verified = isa("audit", "verify")
    assert verified.code == 1
    assert "no audit key" in verified.err and "altered" not in verified.err


def test_a_key_that_did_not_seal_the_log_seals_nothing(
    isa, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isa("agency", "add", COUNCIL).code == 0
    monkeypatch.setenv("ISA_AUDIT_KEY", OTHER_KEY)
    before = db.snapshot()
    refused = isa("agency", "add", TRUST)
    assert refused.code == 1
    (line,) = refused.err.strip().splitlines()
    assert "ISA_AUDIT_KEY did not seal this register's audit log" in line
    assert db.snapshot() == before


def test_verify_with_a_key_that_sealed_no_event_says_it_may_be_the_wrong_key(
    isa, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert isa("agency", "add", COUNCIL).code == 0
    assert isa("agency", "add", TRUST).code == 0
    monkeypatch.setenv("ISA_AUDIT_KEY", OTHER_KEY)
    verified = isa("audit", "verify")
    assert verified.code == 1
    (line,) = verified.err.strip().splitlines()
    assert "no event verifies with the audit key from ISA_AUDIT_KEY" in line
    assert "it is the wrong key, not an alteration" in line


def test_the_keys_and_checkpoints_default_beside_the_database_and_a_setting_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import Settings

    monkeypatch.chdir(tmp_path)
    database = tmp_path / "registers" / "training" / "isa.db"
    monkeypatch.setenv("ISA_DATABASE_URL", f"sqlite:///{database}")
    settings = Settings()
    assert (settings.audit_key_file, settings.secret_key_file, settings.checkpoint_dir) == (
        database.parent / "audit.key",
        database.parent / "secret.key",
        database.parent / "checkpoints",
    )
    monkeypatch.setenv("ISA_CHECKPOINT_DIR", str(tmp_path / "kept"))
    assert Settings().checkpoint_dir == tmp_path / "kept"
    assert Settings().audit_key_file == database.parent / "audit.key"
    # the default register, var/isa.db, keeps them where they always were
    monkeypatch.delenv("ISA_CHECKPOINT_DIR")
    monkeypatch.setenv("ISA_DATABASE_URL", "sqlite:///var/isa.db")
    settings = Settings()
    assert (settings.audit_key_file, settings.secret_key_file, settings.checkpoint_dir) == (
        Path("var/audit.key"),
        Path("var/secret.key"),
        Path("var/checkpoints"),
    )
