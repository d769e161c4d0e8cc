"""The README's command reference names every command `isa` has: a command added without its
line in the README fails here, so the reference a new user reads stays complete."""

import re
from pathlib import Path

from isa.cli import COMMANDS
from isa.cli.apps import app

README = Path(__file__).resolve().parents[2] / "README.md"


def _words(text: str) -> str:
    # the reference wraps its backticked commands across lines; one space between words
    return re.sub(r"\s+", " ", text)


def test_the_readme_names_every_command() -> None:
    text = _words(README.read_text(encoding="utf-8"))
    missing = []
    for group, name, _target in COMMANDS:
        prefix = "isa" if group is app else f"isa {group.name[0]}"
        # `isa sweep reviews|access|...` names each of its alternatives
        if not re.search(rf"{prefix} (?:[a-z-]+\|)*{name}(?![a-z-])", text):
            missing.append(f"{prefix} {name}")
    assert not missing, f"the README's command reference lacks: {', '.join(missing)}"
