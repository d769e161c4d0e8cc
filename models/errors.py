"""The errors the register raises; each message is one line a person can act on."""

from collections.abc import Callable, Mapping


class IsaError(Exception):
    """Anything the register refuses or cannot find; the CLI prints its message and exits 1.

    A message about an input names it as a `{name}` marker (the use case's parameter name) and
    `inputs` gives each its words, so each way in names it its own way: `str()` in words ("the
    reason is required"), the command line as its option (`--reason is required`) by
    `shown(option)`, a web form by its field's label.

    `command` is the operator's next step on the command line (`isa agency list`); only the
    command line shows it, so a partner on the web never reads an instruction for a shell."""

    def __init__(
        self, message: str = "", *, inputs: Mapping[str, str] | None = None, command: str = ""
    ) -> None:
        self.message = message
        self.inputs = dict(inputs or {})
        self.command = command
        super().__init__(self.shown(lambda name: self.inputs[name]))

    def shown(self, name: Callable[[str], str], *, command: bool = False) -> str:
        """The message with each input named by `name(parameter)`, and with the command line's
        next step in brackets when `command` is set."""
        text = self.message
        for parameter in self.inputs:
            text = text.replace("{" + parameter + "}", name(parameter))
        if command and self.command:
            text += f" (see `{self.command}`)"
        return text


def as_option(parameter: str) -> str:
    """How the command line names a use case's input: `risk_assessment` is `--risk-assessment`."""
    return "--" + parameter.replace("_", "-")


class InvalidInput(IsaError):
    """Malformed input: a bad file, date, email or value. Nothing is written."""


class NotFound(IsaError):
    """An id, reference or email that is not in the register. Nothing is written."""


class Refused(IsaError):
    """The actor may not do this, or the thing is in no state to allow it.

    The change is rolled back and only a refusal audit event is written (DESIGN §8).
    """


class IllegalTransition(Refused):
    """A move a lifecycle's transition table does not allow from the current state."""

    def __init__(self, lifecycle: str, state: str, event: str, subject: str = "") -> None:
        self.lifecycle = lifecycle
        self.state = state
        self.event = event
        what = f"{lifecycle} {subject}".strip()
        super().__init__(
            f"cannot {event.replace('_', ' ')} {what}: it is {state.replace('_', ' ')}"
        )
