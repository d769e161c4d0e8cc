"""The table of link acts (tasks/links/acts.py) is whole: every act a link can be issued for
has a row, and every row has its page (a view and a template that reads the form fields it
declares), a sentence, an audit action, a use case and what the person is told afterwards. The
checks are run once on the table and once on tables broken on purpose, so they can fail."""

import re
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest

from models.links import BINDING, LinkAction
from notifications.catalog import CATALOG
from tasks.links import ACTS, Confirmation
from tasks.links.link import LinkAct

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
# a sign-in link acts on no record: the portal signs its person in instead (web/app.py)
NOT_AN_ACT = {LinkAction.SIGN_IN}
# the form sends the meeting's attendees as one `attendee` field each
FORM_NAMES = {"attendee": "attendees"}
SAID = {f.name for f in fields(Confirmation)}
AUDIT_ACTION = re.compile(r"^[a-z_]+\.[a-z_]+$")


def _asked_in_emails() -> set[LinkAction]:
    return {notice.ask.action for notice in CATALOG.values() if notice.ask is not None}


def problems(acts: Mapping[LinkAction, LinkAct]) -> list[str]:
    """Every way the table falls short, in words; [] when it is whole."""
    found: list[str] = []
    issued = set(LinkAction) | _asked_in_emails()
    for action in sorted(issued - NOT_AN_ACT - set(acts)):
        found.append(f"{action}: a link is issued for it and the table has no row")
    for action, act in acts.items():
        found.extend(f"{action}: {problem}" for problem in _row_problems(action, act))
    return found


def _with_partials(template: str) -> str:
    """The template with the text of the partials it includes (`_confirm.html` shows `sentence`)."""
    included = re.findall(r'{%\s*include\s+"([^"]+)"', template)
    return "\n".join([template, *((TEMPLATES / name).read_text() for name in included)])


def _row_problems(action: LinkAction, act: LinkAct) -> list[str]:
    found: list[str] = []
    if act.action is not action:
        found.append(f"its row is for {act.action}")
    if action in NOT_AN_ACT:
        found.append("it acts on no record")
    page = TEMPLATES / act.page.template
    if not page.is_file():
        return [*found, f"its template {act.page.template} is not in web/templates"]
    template = _with_partials(page.read_text())
    if not callable(act.page.view) or not act.page.name:
        found.append("its page has no view")
    if not callable(act.moved_on):
        found.append("it has no check of whether its record moved on")
    if not act.subject_type or not act.decisions:
        found.append("it has no subject type or no decision")
    names = [d.name for d in act.decisions]
    if len(set(names)) != len(names) or (len(names) == 1) != (names == [""]):
        found.append(f"its decisions {names} are not one unnamed, or several named")
    binds = act.hand_to is not None and bool(act.words)
    if binds != (action in BINDING):
        found.append("BINDING and its hand-over role and words disagree")
    for decision in act.decisions:
        what = f"decision {decision.name!r}" if decision.name else "its decision"
        sentence = decision.sentence.format(subject="S-1", agency="Agency", version=2)
        if not sentence.startswith("I ") or not decision.did:
            found.append(f"{what} has no sentence to tick or no words for what was done")
        if not AUDIT_ACTION.match(decision.audit) or not callable(decision.run):
            found.append(f"{what} has no audit action or no use case")
        if decision.name and f'name="decision" value="{decision.name}"' not in template:
            found.append(f"{what} is not offered by {act.page.template}")
        if not re.search(rf"\b{decision.name or 'sentence'}\b", template):
            found.append(f"{what}'s sentence is not shown by {act.page.template}")
        for field in decision.fields:
            if FORM_NAMES.get(field, field) not in SAID:
                found.append(f"{what} reads {field!r}, which a Confirmation does not carry")
            if f'name="{field}"' not in template:
                found.append(f"{what} reads {field!r}, which {act.page.template} does not ask")
    return found


def test_every_act_a_link_is_issued_for_has_a_whole_row() -> None:
    assert problems(ACTS) == []


def test_every_act_an_email_asks_for_is_in_the_table() -> None:
    assert _asked_in_emails() - NOT_AN_ACT <= set(ACTS)


def test_decisions_that_write_the_same_audit_action_say_the_same_afterwards() -> None:
    said: dict[str, tuple[object, object]] = {}
    for act in ACTS.values():
        for decision in act.decisions:
            assert said.setdefault(decision.audit, (decision.did, decision.then)) == (
                decision.did,
                decision.then,
            ), decision.audit


def test_the_check_sees_a_missing_row() -> None:
    without = {a: act for a, act in ACTS.items() if a is not LinkAction.REVIEW}
    assert problems(without) == [
        f"{LinkAction.REVIEW}: a link is issued for it and the table has no row"
    ]


def _first_decision(act: LinkAct, **changed: Any) -> LinkAct:
    return replace(act, decisions=(replace(act.decisions[0], **changed), *act.decisions[1:]))


BROKEN: list[tuple[LinkAction, Callable[[LinkAct], LinkAct], str]] = [
    (
        LinkAction.REVIEW,
        lambda act: replace(act, page=replace(act.page, template="nowhere.html")),
        "its template nowhere.html is not in web/templates",
    ),
    (
        LinkAction.REVIEW,
        lambda act: _first_decision(act, audit=""),
        "its decision has no audit action or no use case",
    ),
    (
        LinkAction.CORRECT_DATA,
        lambda act: _first_decision(act, sentence=""),
        "its decision has no sentence to tick",
    ),
    (
        LinkAction.CLOSE_REQUEST,
        lambda act: _first_decision(act, fields=("colour",)),
        "reads 'colour', which a Confirmation does not carry",
    ),
    (
        LinkAction.REVIEW,
        lambda act: _first_decision(act, fields=("reason",)),
        "reads 'reason', which review.html does not ask",
    ),
    (
        LinkAction.ATTEST,
        lambda act: replace(act, decisions=act.decisions[1:]),
        "are not one unnamed, or several named",
    ),
    (
        LinkAction.APPROVE,
        lambda act: replace(act, hand_to=None),
        "BINDING and its hand-over role and words disagree",
    ),
]


@pytest.mark.parametrize(("action", "break_it", "problem"), BROKEN, ids=[b[2] for b in BROKEN])
def test_the_check_sees_a_row_that_is_not_whole(
    action: LinkAction, break_it: Callable[[LinkAct], LinkAct], problem: str
) -> None:
    found = problems({**ACTS, action: break_it(ACTS[action])})
    assert found and all(f.startswith(f"{action}: ") for f in found), found
    assert any(problem in f for f in found), found
