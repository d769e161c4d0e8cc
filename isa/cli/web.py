"""`isa web`: serve the portal where partners act from the personal links in their emails."""

from typing import Annotated

from cyclopts import Parameter

from isa.cli.common import Context
from models.errors import InvalidInput
from web.server import serve


def web_command(
    *,
    host: Annotated[str | None, Parameter(name="--host")] = None,
    port: Annotated[int | None, Parameter(name="--port")] = None,
) -> None:
    """Serve the web portal (default ISA_WEB_HOST:ISA_WEB_PORT, 127.0.0.1:8000; Ctrl-C stops)."""
    if port is not None and not 1 <= port <= 65535:
        raise InvalidInput(f"--port must be 1 to 65535, not {port}")
    ctx = Context()
    print(
        f"Portal: {ctx.settings.public_url} (listening on {host or ctx.settings.web_host}:"
        f"{port or ctx.settings.web_port})"
    )
    serve(ctx.settings, host or ctx.settings.web_host, port or ctx.settings.web_port)
