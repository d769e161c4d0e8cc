"""Ports for tests: a free one to listen on, and a closed one that nothing can answer on.

A test that needs "nothing answers here" never names a port (8025, 4200 or 9 answer whenever
`make up` or something else runs on the machine): this process holds a socket bound to a port of
its own without listening, so a connection to it is refused and no other process can take it."""

import socket


def free_port() -> int:
    """A port that was free a moment ago, for a server the test starts at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bound_not_listening() -> socket.socket:
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    return held


_HELD = _bound_not_listening()  # kept open for the life of the test process
CLOSED_PORT: int = _HELD.getsockname()[1]
# an API address where no Prefect server answers
NO_PREFECT = f"http://127.0.0.1:{CLOSED_PORT}/api"
