"""`isa`: the command line over the register's use cases. A thin layer: it parses, reads the clock
once, calls one use case and prints what happened; any refusal is one line on stderr, exit 1.

One module per group of commands, each registering its commands on the app in
`isa/cli/common.py` when imported here; none imports another but `common`."""

import sys
from collections.abc import Sequence

from cyclopts.exceptions import CycloptsError

from isa.cli import (  # noqa: F401  (each registers its commands on the app)
    access,
    arrangements,
    audit,
    db,
    disposal,
    flows,
    mail,
    matters,
    register,
)
from isa.cli.common import app
from models.errors import IsaError, as_option


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: one line on stderr and exit 1 for anything refused or malformed."""
    try:
        app(
            list(argv) if argv is not None else None,
            exit_on_error=False,
            print_error=False,
            help_on_error=False,
            result_action="return_value",
        )
    except CycloptsError as exc:
        message = " ".join(str(exc).split())
        print(f"isa: error: {message}", file=sys.stderr)
        sys.exit(1)
    except IsaError as exc:
        print(f"isa: error: {exc.shown(as_option)}", file=sys.stderr)
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":
    main()
