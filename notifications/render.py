"""Rendering an email from its three templates (`<key>.subject.txt`, `<key>.txt`, `<key>.html`):
undefined variables are errors, only the HTML part is escaped, the subject is one line, and
dates read as people write them, in Europe/London ("Tuesday 8 December 2026")."""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pendulum
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined

from models.clocks import LONDON

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
PARTS = ("subject.txt", "txt", "html")


def _instant_or_date(value: Any) -> pendulum.DateTime | pendulum.Date:
    """An ISO text, date or datetime from a context; an instant is shown as London sees it."""
    if isinstance(value, Undefined):
        str(value)  # StrictUndefined raises here, naming the missing variable
    if isinstance(value, str):
        value = pendulum.parse(value)
    if isinstance(value, datetime):
        return pendulum.instance(value).in_timezone(LONDON)
    if isinstance(value, date):
        return pendulum.Date(value.year, value.month, value.day)
    raise TypeError(f"not a date or a date-time: {value!r}")


def long_date(value: Any) -> str:
    """'Tuesday 8 December 2026'."""
    day = _instant_or_date(value)
    return f"{day:%A} {day.day} {day:%B %Y}"


def long_datetime(value: Any) -> str:
    """'Tuesday 8 December 2026 at 14:00' (London time)."""
    at = _instant_or_date(value)
    if not isinstance(at, pendulum.DateTime):
        raise TypeError(f"a date has no time of day: {value!r}")
    return f"{long_date(at)} at {at:%H:%M}"


def words(value: Any) -> str:
    """A stored value as words: 'point_of_contact' -> 'point of contact'."""
    return str(value).replace("_", " ")


def listing(items: Iterable[Any]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    names = [str(item) for item in items]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _one_line(value: Any) -> Any:
    # A name or a reason typed with line breaks must not break the subject into two lines (or
    # headers): every value placed in a subject has its whitespace runs collapsed to one space.
    return " ".join(str(value).split())


FILTERS: Mapping[str, Callable[..., str]] = {
    "long_date": long_date,
    "long_datetime": long_datetime,
    "words": words,
    "listing": listing,
}


def _environment(*, autoescape: bool, finalize: Callable[[Any], Any] | None = None) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        undefined=StrictUndefined,
        autoescape=autoescape,
        finalize=finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    return env


# The text part is not escaped (a reason reads as typed); the HTML part is.
_subject_env = _environment(autoescape=False, finalize=_one_line)
_text_env = _environment(autoescape=False)
_html_env = _environment(autoescape=True)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class TemplateProblem(ValueError):
    """A template that renders to something that cannot be sent (a blank or two-line subject)."""


def render_email(template: str, context: Mapping[str, Any]) -> RenderedEmail:
    """Render one email's three parts; a variable the context lacks raises `UndefinedError`."""
    subject = _subject_env.get_template(f"{template}.subject.txt").render(context).strip()
    if not subject:
        raise TemplateProblem(f"{template}.subject.txt renders an empty subject")
    if "\n" in subject or "\r" in subject:
        raise TemplateProblem(f"{template}.subject.txt renders more than one line")
    text = _text_env.get_template(f"{template}.txt").render(context)
    html = _html_env.get_template(f"{template}.html").render(context)
    return RenderedEmail(subject=subject, text=text, html=html)


def templates_on_disk() -> dict[str, set[str]]:
    """Template key -> the parts present; files starting with `_` are shared layouts."""
    found: dict[str, set[str]] = {}
    for path in TEMPLATE_DIR.iterdir():
        if path.name.startswith("_") or not path.is_file():
            continue
        for part in PARTS:
            suffix = f".{part}"
            if path.name.endswith(suffix):
                # "x.subject.txt" also ends in ".txt": PARTS tries the longer suffix first
                key = path.name.removesuffix(suffix)
                found.setdefault(key, set()).add(part)
                break
        else:
            found.setdefault(path.name, set()).add("?")
    return found
