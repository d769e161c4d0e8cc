"""`isa up`: the Prefect server and UI, the mail sink, and every deployment, in one process."""

from isa.cli.common import Context
from isa.up import up


def up_command() -> None:
    """Start the Prefect server and UI, the mail sink, and serve every deployment (Ctrl-C stops)."""
    ctx = Context()
    up(ctx.settings, print)
