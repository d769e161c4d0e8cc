"""Each command loads only its own module: a listing never imports Prefect or the flows, and
help still names every command with its first docstring line."""

import subprocess
import sys
from importlib import import_module
from pathlib import Path

from isa.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]


def _modules_after(argv: list[str], env_url: str) -> set[str]:
    """The modules a fresh interpreter holds after running `isa ARGV`."""
    probe = (
        "import sys\n"
        "from isa.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={"ISA_DATABASE_URL": env_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return set(done.stderr.split())


def test_a_listing_loads_neither_prefect_nor_the_other_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'register.db'}"
    _modules_after(["db", "upgrade"], url)
    loaded = _modules_after(["agency", "list", "--json"], url)
    assert "isa.cli.register" in loaded
    assert not {m for m in loaded if m == "prefect" or m.startswith(("prefect.", "flows"))}
    others = {target.split(":")[0] for _group, _name, target in COMMANDS} - {"isa.cli.register"}
    assert loaded & others == set()


def test_every_command_resolves_to_a_documented_function() -> None:
    for _group, name, target in COMMANDS:
        module, function = target.split(":")
        command = getattr(import_module(module), function)
        assert callable(command), target
        assert (command.__doc__ or "").strip(), f"{name} ({target}) has no docstring"


def test_help_lists_each_command_with_its_summary(isa) -> None:  # type: ignore[no-untyped-def]
    shown = isa("--help")
    assert shown.code == 0
    assert "Suspend your agency's obligations" in shown.out
    group = isa("agency", "--help")
    assert "Register a partner agency that has signed the Protocol." in group.out


def test_the_head_revision_read_from_the_files_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    from core.db import alembic_config, head_revision

    assert (
        head_revision()
        == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    )


def test_a_command_loads_neither_alembic_nor_httpx(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'register.db'}"
    _modules_after(["db", "upgrade"], url)
    loaded = _modules_after(["agency", "list", "--json"], url)
    assert not {m for m in loaded if m.split(".")[0] in ("alembic", "httpx", "prefect")}
