"""Progress for the long commands (a sweep over a large register, `isa outbox deliver`, `isa db
upgrade`, the start-up of `isa up`), drawn with rich on stderr while stdout and stderr are a
terminal, and cleared when done: piped or with `--json`, nothing is drawn and the output is what
it always was."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

# what a phase reports after each batch: its name, and how many records it has acted on so far
Tick = Callable[[str, int], None]


def on_terminal(as_json: bool = False) -> bool:
    """Whether to draw progress: a person watching a terminal, not a pipe or a JSON reader."""
    return not as_json and sys.stdout.isatty() and sys.stderr.isatty()


@contextmanager
def counting(enabled: bool, unit: str) -> Iterator[Tick | None]:
    """A line per phase with a spinner, its count of `unit` so far and the time taken; None
    (draw nothing) when not `enabled`."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TextColumn("{task.completed} " + unit),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        phases: dict[str, Any] = {}

        def tick(phase: str, done: int) -> None:
            if phase not in phases:
                phases[phase] = bar.add_task(phase, total=None)
            bar.update(phases[phase], completed=done)

        yield tick


@contextmanager
def waiting(enabled: bool, what: str) -> Iterator[None]:
    """A spinner saying what is being waited for; nothing when not `enabled`."""
    if not enabled:
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(what):
        yield
