"""The flows' import contract is an allow-list: a flow imports Prefect, `flows.*`, the task
wrappers (tasks/flow_tasks.py, which also name the read models their tasks return and the run's
clock) and the pure modules of models/ named below; nothing else of ours. import-linter has no
allow-list contract, so pyproject.toml states it as a `forbidden` contract whose list is
everything else, and this test holds that list to the allow-list: a new module of tasks/ (or
models/, core/, notifications/) is forbidden to flows until it is allowed here.

`python -m tests.unit.test_flow_contract` prints the list pyproject.toml should hold."""

import ast
import pkgutil
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = "Flows only orchestrate: no database, no use case, no email outside a task"

# what flows may import of ours, and why
ALLOWED = {
    "tasks.flow_tasks": "the task wrappers, each opening its own session around one use case",
    "models.clocks": "the Protocol's deadlines and the London clock, pure",
    "models.policies": "the sweeps' policies and the approval chase's days, pure",
    "models.duties": "the duties' declarations and their ladders (the matter flow's), pure",
    "models.markdown": "the artifacts' markdown escaping, pure",
}
# the packages whose modules are forbidden to flows unless allowed above, one by one
CHECKED_BY_MODULE = ("tasks", "models")
# forbidden whole: a flow reads and writes the register, and sends email, only through a task
FORBIDDEN_WHOLE = ("core", "notifications", "sqlalchemy", "sqlmodel")
# what flows name from tasks/flow_tasks.py besides its tasks: the read models the tasks return,
# the run's clock and a sweep's summary
NAMED_BESIDES_TASKS = {
    "MatterStory",
    "SignOffWait",
    "IncidentStory",
    "DutyStory",
    "now",
    "resolve_as_of",
    "summarise",
}


def forbidden_to_flows() -> list[str]:
    """Every module of ours a flow may not import: the complement of the allow-list."""
    modules = [
        f"{package}.{info.name}"
        for package in CHECKED_BY_MODULE
        for info in pkgutil.iter_modules([str(ROOT / package)])
    ]
    return sorted([*FORBIDDEN_WHOLE, *(name for name in modules if name not in ALLOWED)])


def _contract() -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = [c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == CONTRACT]
    return contract


def test_pyproject_forbids_flows_everything_not_on_the_allow_list() -> None:
    listed = set(_contract()["forbidden_modules"])  # type: ignore[call-overload]
    wanted = set(forbidden_to_flows())
    assert sorted(wanted - listed) == [], (
        "add these to forbidden_modules of the flows' contract in pyproject.toml, or to ALLOWED "
        "here if flows need them (python -m tests.unit.test_flow_contract prints the list)"
    )
    assert sorted(listed - wanted) == [], "no such module: remove it from forbidden_modules"


def test_the_contract_covers_every_flow() -> None:
    assert _contract()["source_modules"] == ["flows"]


def test_flows_import_at_most_three_modules_of_tasks() -> None:
    assert len([name for name in ALLOWED if name.startswith("tasks.")]) <= 3


def test_every_allowed_module_exists() -> None:
    missing = [name for name in ALLOWED if not (ROOT / (name.replace(".", "/") + ".py")).is_file()]
    assert missing == []


def _tasks_of_the_wrappers() -> set[str]:
    """The functions tasks/flow_tasks.py decorates with Prefect's `@task`."""
    tree = ast.parse((ROOT / "tasks" / "flow_tasks.py").read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any(
            (isinstance(d, ast.Name) and d.id == "task")
            or (isinstance(d, ast.Call) and isinstance(d.func, ast.Name) and d.func.id == "task")
            for d in node.decorator_list
        )
    }


def test_flows_take_from_the_wrappers_only_tasks_and_the_named_read_models() -> None:
    tasks = _tasks_of_the_wrappers()
    assert {"deliver_emails", "read_incident"} <= tasks
    strays = [
        f"{path.name}: {alias.name}"
        for path in sorted((ROOT / "flows").glob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module == "tasks.flow_tasks"
        for alias in node.names
        if alias.name not in tasks and alias.name not in NAMED_BESIDES_TASKS
    ]
    assert strays == [], "a flow calls use cases through a task; name a read model here"


if __name__ == "__main__":
    print("forbidden_modules = [")
    for name in forbidden_to_flows():
        print(f'    "{name}",')
    print("]")
