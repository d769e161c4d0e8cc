"""Partners act from the personal link in their email, never from a command line: no email the
catalog sends contains an `isa` command, and every email that asks its recipient to act leads
its "What you need to do" with their link."""

import re

import pytest

from models.events import DomainEvent
from notifications.catalog import CATALOG
from notifications.render import render_email
from tests.utils.samples import sample_contexts

LINK = {"url": "http://127.0.0.1:8000/a/" + "T" * 43, "expires": "Friday 25 December 2026 at 10:00"}
# `isa arrangement approve ...`, `isa meeting schedule ...`: a command line, in either part
A_COMMAND = re.compile(
    r"\bisa (agency|contact|chair|arrangement|review|training|access|meeting|"
    r"audit|staff|disposal|sweep|outbox|suspend|withdraw|db|up|web)\b"
)


def _sending() -> list[type[DomainEvent]]:
    found: list[type[DomainEvent]] = []
    pending = list(DomainEvent.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(
        (c for c in found if c.name in CATALOG and CATALOG[c.name].template), key=lambda c: c.name
    )


@pytest.mark.parametrize("cls", _sending(), ids=lambda c: c.name)
def test_no_email_holds_a_command_line(cls: type[DomainEvent]) -> None:
    notice = CATALOG[cls.name]
    assert notice.template is not None
    for context in sample_contexts(cls):
        for with_link in (None, LINK):
            rendered = render_email(notice.template, {**context, "link": with_link})
            for part in (rendered.subject, rendered.text, rendered.html):
                assert not A_COMMAND.search(part), (cls.name, A_COMMAND.search(part))


ASKING = [c for c in _sending() if CATALOG[c.name].ask is not None]


@pytest.mark.parametrize("cls", ASKING, ids=lambda c: c.name)
def test_an_email_that_asks_leads_what_to_do_with_the_link(cls: type[DomainEvent]) -> None:
    notice = CATALOG[cls.name]
    assert notice.template is not None
    context = sample_contexts(cls)[0]
    rendered = render_email(notice.template, {**context, "link": LINK})
    action = rendered.text.split("What you need to do", 1)[1].split("Reference:", 1)[0]
    lines = [line.strip() for line in action.splitlines() if line.strip() and set(line) != {"-"}]
    assert lines[0].startswith("Open your personal link"), lines[:2]
    assert LINK["url"] in lines[1]
    assert LINK["url"] in rendered.html
    assert ASKING, "the catalog asks nobody to act"
