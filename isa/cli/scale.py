"""`isa deploy` and `isa worker`: the flows run by Prefect workers from a work pool, on as many
machines as needed (isa/scale.py; README, "Running at scale")."""

from typing import Annotated

from cyclopts import Parameter

from isa.cli.apps import at_least
from isa.cli.common import Context

# isa/scale.py (and httpx with it) is loaded when a command runs, not by `isa --help`
DEFAULT_POOL = "isa"
Pool = Annotated[str, Parameter(name="--pool", help="The process work pool (default isa).")]


def deploy_command(
    *,
    pool: Pool = DEFAULT_POOL,
    take_over: Annotated[bool, Parameter(name="--take-over", negative="")] = False,
) -> None:
    """Create the work pool if missing and deploy every deployment in prefect.yaml to it, on the
    Prefect server at ISA_PREFECT_API_URL. --take-over replaces deployments `isa up` serves."""
    from isa.scale import check_pool_name, deploy

    check_pool_name(pool)
    deploy(Context().settings, pool, take_over, print)


def worker_command(
    *,
    pool: Pool = DEFAULT_POOL,
    name: Annotated[str | None, Parameter(name="--name", help="The worker's name.")] = None,
    limit: Annotated[int | None, Parameter(name="--limit", help="Most runs at once.")] = None,
) -> None:
    """Check that this machine can run the flows (register, keys, SMTP relay, Prefect server,
    pool), then run a Prefect process worker for the pool (Ctrl-C stops)."""
    from isa.scale import check_pool_name, worker

    check_pool_name(pool)
    if name is not None:
        check_pool_name(name, "--name")
    at_least("--limit", limit)
    worker(Context().settings, pool, name, limit, print)
