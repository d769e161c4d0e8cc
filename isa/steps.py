"""The pull step of every deployment `prefect deploy` ships (prefect.yaml): a worker's flow run
starts in a temporary folder, and this step moves it into the project the worker's own `isa`
installation lives in, so nothing about one machine's layout is baked into a deployment."""

import os
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def enter_project() -> dict[str, str]:
    """Change into this installation's project folder (where prefect.yaml and flows/ are) and
    return it as the step's output `directory`."""
    if not (PROJECT / "prefect.yaml").is_file() or not (PROJECT / "flows").is_dir():
        raise RuntimeError(
            f"the isa package at {PROJECT} is not in a project checkout with prefect.yaml and "
            "flows/: install the project with `pip install -e` on each worker machine"
        )
    os.chdir(PROJECT)
    return {"directory": str(PROJECT)}
