"""`isa up`: the Prefect server and UI, the mail sink, and every deployment, in one process."""

from typing import Annotated

from cyclopts import Parameter

from isa.cli.common import Context
from isa.up import up


def up_command(
    *, take_over: Annotated[bool, Parameter(name="--take-over", negative="")] = False
) -> None:
    """Start the Prefect server and UI, the mail sink, and serve every deployment (Ctrl-C stops).
    --take-over serves here the deployments `isa deploy` gave to workers."""
    ctx = Context()
    up(ctx.settings, print, take_over=take_over)
