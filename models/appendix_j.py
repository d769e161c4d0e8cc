"""The Appendix J form: what a drafting officer writes to propose an arrangement, parsed and
validated from YAML text. A bad field is reported as one line naming the field.

The YAML is read strictly, since a form may come from anyone: plain values only (no tags, no
anchors or aliases, no merge keys), no key twice in a mapping, nesting and size bounded, every
text field bounded and free of control characters."""

from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from models.appendix_j_form import TEMPLATE
from models.enums import PartyRole, ProtectiveMarking
from models.errors import InvalidInput
from models.inputs import MAX_NAME, MAX_TEXT, one_line, paragraphs

MAX_FORM_BYTES = 256 * 1024
MAX_DEPTH = 32
MAX_DIGITS = 18
MAX_ITEMS = 50
MAX_DATA_ITEMS = 200


def _check(problem: str) -> None:
    if problem:
        raise ValueError(problem)


def _line(value: str) -> str:
    _check(one_line(value, limit=MAX_NAME))
    return value


def _paragraphs(value: str) -> str:
    _check(paragraphs(value, limit=MAX_TEXT))
    return value


# A name or title: one line. Text: paragraphs (tabs and newlines allowed), bounded.
Line = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME),
    AfterValidator(_line),
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT),
    AfterValidator(_paragraphs),
]
OptionalText = (
    Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_paragraphs)] | None
)


class _Form(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PartyEntry(_Form):
    agency: Line
    role: PartyRole


class DataItemEntry(_Form):
    name: Line
    description: OptionalText = None
    protective_marking: ProtectiveMarking
    statutory_restrictions: OptionalText = None
    personal_data: bool = True
    special_category: bool = False


class OverseasTransferEntry(_Form):
    country: Line
    # §10: no transfer outside the EEA without an adequate level of protection
    adequacy: Text


class RetentionEntry(_Form):
    period_months: int = Field(ge=0, le=1200)
    rule: Text
    disposal_method: Text


class ArrangementDraft(_Form):
    """Every field of an Appendix J arrangement (DESIGN §2)."""

    title: Line
    purposes: list[Text] = Field(min_length=1, max_length=MAX_ITEMS)
    lawful_basis: OptionalText = None
    special_category_condition: OptionalText = None
    consent_basis: OptionalText = None
    parties: list[PartyEntry] = Field(min_length=2, max_length=MAX_ITEMS)
    data_items: list[DataItemEntry] = Field(min_length=1, max_length=MAX_DATA_ITEMS)
    transfer_method: OptionalText = None
    transfers_outside_eea: list[OverseasTransferEntry] = Field(
        default_factory=list, max_length=MAX_ITEMS
    )
    security_arrangements: OptionalText = None
    storage_arrangements: OptionalText = None
    access_arrangements: OptionalText = None
    retention: RetentionEntry
    review_interval_months: int = Field(default=12, ge=1, le=60)

    @field_validator("parties")
    @classmethod
    def _parties_distinct_and_two_way(cls, parties: list[PartyEntry]) -> list[PartyEntry]:
        names = [p.agency.casefold() for p in parties]
        if len(set(names)) != len(names):
            raise ValueError("an agency is listed more than once")
        roles = {p.role for p in parties}
        if not (roles & {PartyRole.DISCLOSER, PartyRole.BOTH}):
            raise ValueError("no party discloses data")
        if not (roles & {PartyRole.RECIPIENT, PartyRole.BOTH}):
            raise ValueError("no party receives data")
        return parties

    @property
    def special_category_shared(self) -> bool:
        return any(item.special_category for item in self.data_items)


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "file"


class _Refused(Exception):
    """A form the strict loader will not read, with the one-line reason."""


_YAML_TAG = "tag:yaml.org,2002:"
# Explicit tags that only say what a plain value already is (`!!str 2024` keeps it text).
_PLAIN_TAGS = {
    f"{_YAML_TAG}{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")
}


# The kind of node each of them may be put on (the rest are scalars').
_TAG_EVENTS = {
    f"{_YAML_TAG}seq": yaml.SequenceStartEvent,
    f"{_YAML_TAG}map": yaml.MappingStartEvent,
}


def _line_of(node_or_event: Any) -> int:
    return int(node_or_event.start_mark.line) + 1


def _shown_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader, stricter: plain values only, each key once, nesting and numbers bounded."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused(f"YAML anchors and aliases are not allowed (line {_line_of(event)})")
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in _PLAIN_TAGS:
            raise _Refused(
                f"YAML tag {_shown_tag(tag)} is not allowed (line {_line_of(event)}): write "
                "plain values"
            )
        if tag in _PLAIN_TAGS and not isinstance(event, _TAG_EVENTS.get(tag, yaml.ScalarEvent)):
            # `!!map [1]`, `!!str {a: 1}`: the constructors assume the tag fits the node
            raise _Refused(
                f"YAML tag {_shown_tag(tag)} does not fit the value after it "
                f"(line {_line_of(event)})"
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(f"nested more than {MAX_DEPTH} levels deep (line {_line_of(event)})")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == f"{_YAML_TAG}merge":
                raise _Refused(f"YAML merge keys (<<) are not allowed (line {_line_of(key_node)})")
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                raise _Refused(f"a key must be plain text (line {_line_of(key_node)})") from None
            if duplicate:
                raise _Refused(f"duplicate key {key!r} at line {_line_of(key_node)}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, KeyError, IndexError) as exc:
            # an explicit tag on text that is not one (`!!int ""`, `!!bool maybe`): PyYAML's
            # constructors fail on it with whatever the text made them raise
            if not isinstance(node, yaml.ScalarNode):
                raise
            shown = repr(node.value) if len(node.value) <= 40 else repr(node.value[:40]) + "…"
            raise _Refused(
                f"{shown} is not a {_shown_tag(node.tag)} value (line {_line_of(node)})"
            ) from exc

    def construct_yaml_int(self, node: Any) -> Any:
        if sum(c.isdigit() for c in str(node.value)) > MAX_DIGITS:
            raise _Refused(f"a number of more than {MAX_DIGITS} digits (line {_line_of(node)})")
        return super().construct_yaml_int(node)


_StrictLoader.add_constructor(f"{_YAML_TAG}int", _StrictLoader.construct_yaml_int)


def _text(source: str, content: str | bytes) -> str:
    if len(content) > MAX_FORM_BYTES:
        raise InvalidInput(
            f"{source}: larger than {MAX_FORM_BYTES // 1024} KiB, the most an Appendix J form "
            "may be"
        )
    if isinstance(content, str):
        return content
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"{source}: not UTF-8 text (byte 0x{content[exc.start]:02x} at offset {exc.start})"
        ) from None


def parse_arrangement_draft(source: str, content: str | bytes) -> ArrangementDraft:
    """Parse Appendix J YAML (at most MAX_FORM_BYTES of UTF-8); `InvalidInput` names the source
    and the first thing wrong."""
    text = _text(source, content)
    try:
        raw: Any = yaml.load(text, Loader=_StrictLoader)
    except _Refused as exc:
        raise InvalidInput(f"{source}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InvalidInput(f"{source}: not valid YAML{where}") from None
    except (ValueError, OverflowError, RecursionError):
        raise InvalidInput(f"{source}: not valid YAML") from None
    if not isinstance(raw, dict):
        raise InvalidInput(f"{source}: expected a mapping of Appendix J fields")
    try:
        draft = ArrangementDraft.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = err["msg"].removeprefix("Value error, ").replace(" after validation", "")
        if err["type"] == "extra_forbidden":
            msg = "not an Appendix J field"
        raise InvalidInput(f"{source}: {_location(err['loc'])}: {msg}") from None
    if draft.special_category_shared and not (draft.special_category_condition or "").strip():
        raise InvalidInput(
            f"{source}: special_category_condition: required when a data item is special category"
        )
    return draft


def template_with(source: str, **changes: Any) -> ArrangementDraft:
    """The template's Appendix J form with fields replaced (a field given as None is removed),
    checked as any file is: the sample register and the tests build their drafts this way."""
    raw = yaml.safe_load(TEMPLATE)
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    return parse_arrangement_draft(source, yaml.safe_dump(raw))
