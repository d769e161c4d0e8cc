"""The Appendix J form: the template is complete and valid, and each bad field is named."""

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from models.appendix_j import TEMPLATE, ArrangementDraft, parse_arrangement_draft
from models.errors import InvalidInput


def _with(**changes: object) -> str:
    raw = yaml.safe_load(TEMPLATE)
    for key, value in changes.items():
        if value is None:
            raw.pop(key)
        else:
            raw[key] = value
    return yaml.safe_dump(raw)


def test_the_template_parses_and_fills_every_field_of_the_form() -> None:
    draft = parse_arrangement_draft("template", TEMPLATE)
    raw = yaml.safe_load(TEMPLATE)
    assert set(raw) == set(ArrangementDraft.model_fields)
    assert draft.lawful_basis
    assert {p.role.value for p in draft.parties} == {"discloser", "recipient"}


def test_the_template_is_commented_with_the_protocol_paragraphs() -> None:
    for paragraph in ("§6", "§10", "§14", "§30", "§31", "§35"):
        assert paragraph in TEMPLATE


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": None}, "test: title: Field required"),
        ({"title": "   "}, "test: title: String should have at least 1 character"),
        (
            {"parties": [{"agency": "A", "role": "discloser"}]},
            "test: parties: List should have at least 2 items, not 1",
        ),
        (
            {"parties": [{"agency": "A", "role": "discloser"}, {"agency": "B", "role": "owner"}]},
            "test: parties[1].role: Input should be 'discloser', 'recipient' or 'both'",
        ),
        (
            {
                "parties": [
                    {"agency": "A", "role": "discloser"},
                    {"agency": "a", "role": "recipient"},
                ]
            },
            "test: parties: an agency is listed more than once",
        ),
        (
            {
                "parties": [
                    {"agency": "A", "role": "discloser"},
                    {"agency": "B", "role": "discloser"},
                ]
            },
            "test: parties: no party receives data",
        ),
        (
            {"transfers_outside_eea": [{"country": "United States"}]},
            "test: transfers_outside_eea[0].adequacy: Field required",
        ),
        (
            {"transfers_outside_eea": [{"country": "United States", "adequacy": " "}]},
            "test: transfers_outside_eea[0].adequacy: String should have at least 1 character",
        ),
        (
            {"review_interval_months": 0},
            "test: review_interval_months: Input should be greater than or equal to 1",
        ),
        ({"retention": {"period_months": 12}}, "test: retention.rule: Field required"),
        ({"colour": "blue"}, "test: colour: not an Appendix J field"),
        (
            {"special_category_condition": None},
            "test: special_category_condition: required when a data item is special category",
        ),
    ],
)
def test_a_bad_field_is_reported_in_one_line_naming_it(changes: dict, message: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_arrangement_draft("test", _with(**changes))
    assert str(err.value) == message
    assert "\n" not in str(err.value)


def test_a_draft_may_omit_the_lawful_basis_until_it_is_submitted() -> None:
    draft = parse_arrangement_draft("test", _with(lawful_basis=None))
    assert draft.lawful_basis is None


def test_a_transfer_outside_the_eea_with_adequacy_recorded_is_accepted() -> None:
    draft = parse_arrangement_draft(
        "test",
        _with(transfers_outside_eea=[{"country": "Canada", "adequacy": "UK adequacy regulations"}]),
    )
    assert draft.transfers_outside_eea[0].country == "Canada"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title: [unclosed", "f.yaml: not valid YAML at line 1"),
        ("- just\n- a list\n", "f.yaml: expected a mapping of Appendix J fields"),
        ("", "f.yaml: expected a mapping of Appendix J fields"),
    ],
)
def test_a_file_that_is_not_a_form_is_refused(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match="^" + message.replace("[", r"\[") + "$"):
        parse_arrangement_draft("f.yaml", text)


YAML_ALPHABET = st.sampled_from(
    [*"abc:-[]{},&*!<>|'\"#%@` \n\t?0123456789.", "\x00", "\x1b", "\u2028", "é", "\ufeff"]
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512) | st.text(YAML_ALPHABET, max_size=512))
def test_any_input_is_a_draft_or_one_line_of_invalid_input(content: bytes | str) -> None:
    # whatever a file holds, the loader answers with a draft or one line: never a traceback
    try:
        parse_arrangement_draft("f.yaml", content)
    except InvalidInput as exc:
        assert str(exc).startswith("f.yaml: ") and "\n" not in str(exc)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(list(TEMPLATE.splitlines())), st.text(YAML_ALPHABET, max_size=40))
def test_a_template_with_one_line_mangled_is_a_draft_or_one_line(line: str, junk: str) -> None:
    content = TEMPLATE.replace(line, line + junk, 1) if line else TEMPLATE + junk
    try:
        parse_arrangement_draft("f.yaml", content)
    except InvalidInput as exc:
        assert "\n" not in str(exc)
