"""What the command-line tests share: `isa` runs the CLI in this process against the test's
database and a fixed clock, `register` sets up the README's register and returns its form."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from isa.cli import main
from tasks import runtime
from tests.conftest import Database
from tests.utils.ports import CLOSED_PORT, NO_PREFECT

NOW = "2026-11-25T10:00"
COUNCIL, TRUST = "Northshire County Council", "Northshire NHS Trust"


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def isa(  # type: ignore[no-untyped-def]
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    monkeypatch.setenv("ISA_DATABASE_URL", db.url)
    monkeypatch.setenv("ISA_NOW", NOW)
    # no Prefect server and no mail sink answer here, whatever else runs on the machine (`make
    # up` listens on 4200 and 8025): the commands that emit events take their "later" path, and
    # the sweeps' emails wait in the outbox
    monkeypatch.setenv("ISA_PREFECT_API_URL", NO_PREFECT)
    monkeypatch.setenv("ISA_SMTP_PORT", str(CLOSED_PORT))

    def run(*argv: str) -> Result:
        # a flow run in this process reads the register through tasks.runtime's caches
        runtime.settings.cache_clear()
        runtime.engine.cache_clear()
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_:
            main(list(argv))
        captured = capsys.readouterr()
        return Result(int(exit_.value.code or 0), captured.out, captured.err)

    return run


@pytest.fixture
def register(isa, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """The README's register: two agencies, their signatories and contacts, a chair, a form."""
    for argv in (
        (
            "agency",
            "add",
            COUNCIL,
            "--ico-registration",
            "Z1234567",
            "--security-standard",
            "iso27001",
        ),
        ("agency", "add", TRUST, "--security-standard", "dspt"),
        (
            "contact",
            "add",
            COUNCIL,
            "sam@council.example",
            "--name",
            "Sam Patel",
            "--role",
            "signatory",
        ),
        (
            "contact",
            "add",
            COUNCIL,
            "jo@council.example",
            "--name",
            "Jo Reed",
            "--role",
            "point_of_contact",
            "--role",
            "nominated_representative",
        ),
        (
            "contact",
            "add",
            TRUST,
            "nia@trust.example",
            "--name",
            "Nia Jones",
            "--role",
            "signatory",
        ),
        (
            "contact",
            "add",
            TRUST,
            "lee@trust.example",
            "--name",
            "Lee Ward",
            "--role",
            "point_of_contact",
        ),
        ("chair", "add", "chair@group.example", "--name", "Chris Chair"),
    ):
        result = isa(*argv)
        assert result.code == 0, result.err
    form = tmp_path / "isa.yaml"
    result = isa("arrangement", "template")
    form.write_text(result.out)
    return form
