"""Errors name the input they are about in words, and each way in names it its own way: the
command line as its option, a Prefect run or the audit log in words. No use case speaks in
command-line flags."""

import re
from pathlib import Path

import pytest

from models.errors import InvalidInput, NotFound, as_option
from models.inputs import ico_registration, required_text

ROOT = Path(__file__).resolve().parents[2]
A_FLAG_IN_AN_ERROR = re.compile(
    r"(InvalidInput|Refused|NotFound|IsaError)\(\s*f?\"--|required_\w+\([^)]*\"--", re.S
)
# a command for the operator written into the message itself, not given as `command=`
A_COMMAND_IN_AN_ERROR = re.compile(
    r"(InvalidInput|Refused|NotFound|IsaError)\((?:[^()]|\([^()]*\))*?\"[^\"]*`isa ", re.S
)


def test_an_input_is_named_in_words_or_as_its_option() -> None:
    with pytest.raises(InvalidInput) as raised:
        required_text("  ", "the risk assessment", field="risk_assessment")
    assert str(raised.value) == "the risk assessment is required"
    assert raised.value.shown(as_option) == "--risk-assessment is required"
    with pytest.raises(InvalidInput) as raised:
        ico_registration("Z12")
    assert str(raised.value).startswith("the ICO registration number 'Z12' is not")
    assert raised.value.shown(as_option).startswith("--ico-registration 'Z12' is not")


def test_a_value_that_looks_like_a_marker_is_left_as_it_is() -> None:
    error = InvalidInput("{when} {value} is late", inputs={"when": "the date"})
    assert error.shown(as_option) == "--when {value} is late"


def test_no_use_case_words_an_error_in_command_line_flags() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)!r}"
        for room in ("models", "tasks", "notifications", "core")
        for path in sorted((ROOT / room).rglob("*.py"))
        for match in A_FLAG_IN_AN_ERROR.finditer(path.read_text())
    ]
    assert offenders == []


def test_the_operators_next_command_is_shown_only_on_the_command_line() -> None:
    error = NotFound("no agency named 'X' is registered", command="isa agency list")
    assert str(error) == "no agency named 'X' is registered"
    assert error.shown(as_option) == "no agency named 'X' is registered"
    assert error.shown(as_option, command=True) == (
        "no agency named 'X' is registered (see `isa agency list`)"
    )


def test_no_use_case_writes_a_shell_command_into_its_message() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)!r}"
        for room in ("models", "tasks", "notifications", "core")
        for path in sorted((ROOT / room).rglob("*.py"))
        for match in A_COMMAND_IN_AN_ERROR.finditer(path.read_text())
    ]
    assert offenders == []
    assert A_COMMAND_IN_AN_ERROR.search('raise Refused(f"set it with `isa meeting schedule`")')
    assert not A_COMMAND_IN_AN_ERROR.search('raise Refused("set it", command="isa meeting")')


def test_the_check_sees_a_flag_in_an_error() -> None:
    assert A_FLAG_IN_AN_ERROR.search('raise InvalidInput(f"--expires {x} is late")')
    assert A_FLAG_IN_AN_ERROR.search('required_text(reason, "--reason")')
    assert not A_FLAG_IN_AN_ERROR.search('raise InvalidInput(f"{{expires}} {x} is late")')
