"""The tests keep to their own rooms: no test module imports from another test module (what
tests share lives in conftest.py or tests/utils/)."""

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
FROM_A_TEST_MODULE = re.compile(r"^\s*(from|import)\s+tests\.[\w.]*\btest_\w+", re.MULTILINE)


def test_no_test_module_imports_another_test_module() -> None:
    offenders = [
        f"{path.relative_to(TESTS)}: {match.group(0).strip()}"
        for path in sorted(TESTS.rglob("*.py"))
        for match in FROM_A_TEST_MODULE.finditer(path.read_text())
    ]
    assert offenders == []


def test_the_check_sees_such_an_import() -> None:
    assert FROM_A_TEST_MODULE.search("from tests.integration.test_delivery import queue_many")
    assert not FROM_A_TEST_MODULE.search("from tests.utils.outbox import queue_many")
