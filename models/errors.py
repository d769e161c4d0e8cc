"""The errors the register raises; each message is one line a person can act on."""


class IsaError(Exception):
    """Anything the register refuses or cannot find; the CLI prints its message and exits 1."""


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
