"""Each command loads only its own module: a listing never imports Prefect, the flows, the ORM or
pydantic, and help names every command with its first docstring line without importing it."""

import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pendulum

from isa.cli import COMMANDS
from tasks.sample import AGENCIES
from tests.conftest import TEST_AUDIT_KEY

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
        # the key the tests' registers are sealed with (none would make one beside the file)
        env={"ISA_DATABASE_URL": env_url, "ISA_AUDIT_KEY": TEST_AUDIT_KEY, "PATH": "/usr/bin:/bin"},
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
    assert "isa.cli.reads" in loaded
    assert not {m for m in loaded if m == "prefect" or m.startswith(("prefect.", "flows"))}
    others = {target.split(":")[0] for _group, _name, target in COMMANDS} - {"isa.cli.reads"}
    assert loaded & others == set()


# what a command that only reads never loads: the ORM and its tables, pydantic (and with it the
# settings and the Appendix J model), Prefect, Alembic, the outbox's delivery
HEAVY = ("sqlmodel", "pydantic", "pydantic_settings", "prefect", "alembic", "httpx", "yaml")
HEAVY_OURS = ("models.tables", "notifications.tables", "core.settings", "tasks.uow", "flows")

READS = (
    ["agency", "list"],
    ["contact", "list", AGENCIES["council"][0]],
    ["arrangement", "list", "--status", "active"],
    ["arrangement", "show", "ISA-2026-0001"],
    ["arrangement", "template"],
    ["disposal", "list", "--overdue"],
    ["outbox", "list", "--status", "pending", "--limit", "5"],
    ["audit", "log", "--limit", "5"],
)


def _heavy(loaded: set[str]) -> set[str]:
    return {
        m
        for m in loaded
        if m.split(".")[0] in HEAVY or any(m == h or m.startswith(h + ".") for h in HEAVY_OURS)
    }


def test_the_commands_that_only_read_load_no_orm_pydantic_or_prefect(tmp_path: Path) -> None:
    from sqlmodel import Session

    from tasks.sample import load_sample_register
    from tests.conftest import sealed_engine

    url = f"sqlite:///{tmp_path / 'register.db'}"
    _modules_after(["db", "upgrade"], url)
    engine = sealed_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        load_sample_register(session, now=pendulum.now("UTC"))
    engine.dispose()
    for argv in READS:
        loaded = _modules_after(argv, url)
        assert "isa.cli.reads" in loaded, argv
        assert _heavy(loaded) == set(), argv
    # the check can fail: a command that changes the register loads them
    assert "sqlmodel" in _heavy(_modules_after(["agency", "add", "Elsewhere Council"], url))


def test_help_imports_no_command_and_says_what_loading_them_all_says(tmp_path: Path) -> None:
    """`isa --help` reads the commands' docstrings from their source; what it prints is what
    cyclopts prints with every command imported."""
    url = f"sqlite:///{tmp_path / 'register.db'}"
    modules = {target.split(":")[0] for _group, _name, target in COMMANDS}
    everything = (
        "import sys\n"
        "from isa.cli import COMMANDS, main\n"
        "for group, _name, _target in COMMANDS:\n"
        "    group.resolved_commands()\n"
        "main(sys.argv[1:])\n"
    )
    for argv in (["--help"], [], ["agency", "--help"], ["outbox", "-h"], ["sweep", "--help"]):
        assert _modules_after(argv, url) & modules == set(), argv
        env = {"ISA_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "COLUMNS": "100"}
        lean = subprocess.run(
            [sys.executable, "-c", "from isa.cli import main; main()", *argv],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        full = subprocess.run(
            [sys.executable, "-c", everything, *argv],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert lean.returncode == full.returncode == 0, (argv, lean.stderr, full.stderr)
        assert "Commands" in lean.stdout
        assert lean.stdout == full.stdout, argv
    # a command's own page loads that command, and shows its whole docstring
    own = _modules_after(["outbox", "deliver", "--help"], url)
    assert "isa.cli.mail" in own


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
