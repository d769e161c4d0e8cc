"""Generated bad input (issue 14): hypothesis mutates the real Appendix J template (anchors and
aliases, alias bombs, duplicate keys at any level, bytes that are not UTF-8, BOMs, huge values,
wrong types, deep nesting, odd tags, empty files) and makes argument lists for every command in
`isa.cli.COMMANDS` (wrong types, huge and negative numbers, control characters, bytes that are
not UTF-8, unknown references, empty and very long strings, unknown options).

Whatever it makes is either accepted (exit 0) or refused: exit 1, nothing on stdout, exactly one
printable line `isa: error: ...` on stderr, never a traceback, and the database as it was, row
for row, but for at most one refusal audit event (a refused action records its refusal; bad input
writes nothing). A form is also checked against the loader itself: a form the loader refuses is
refused by each command that reads one, with the loader's line and no audit event.

The commands run in this process against one register (the README's, with an arrangement in each
state, a grant, a disposal task and a suspension), built once and restored before every example
on SQLite; the PostgreSQL variants are smaller and keep the register between examples."""

import inspect
import json
import os
import re
import sqlite3
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import yaml
from cyclopts import App
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from isa.cli import COMMANDS, app
from models.appendix_j import MAX_FORM_BYTES, TEMPLATE, parse_arrangement_draft
from models.errors import InvalidInput
from models.tables import metadata
from tests.conftest import Database
from tests.integration.conftest import COUNCIL, TRUST, Result
from tests.utils import smtp
from tests.utils.smtp import SMTPServer

smtp_server = smtp.smtp_server  # the fixture: the sweeps and `outbox deliver` send to it

POLICE = "Northshire Police"
JO = "jo@council.example"
# the register every example starts from (see `world`): what each reference is
DRAFT_REF, ACTIVE_REF, TERMINATED_REF = "ISA-2026-0001", "ISA-2026-0002", "ISA-2026-0003"
GRANT_REF, TASK_REF, SUSPENSION_REF = "GRT-2026-0001", "DSP-2026-0001", "SUS-2026-0001"

# ISA_BAD_INPUT_SCALE=10 runs ten times the examples (a longer hunt than the suite's)
SCALE = int(os.environ.get("ISA_BAD_INPUT_SCALE", "1"))
SQLITE = pytest.param("sqlite", id="sqlite")
POSTGRES = pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)


# --- the register every example starts from -------------------------------------------------


class _Started(BaseException):
    """What the stand-in for a server raises: the command got as far as starting it."""


def _start_nothing(*args: Any, **kwargs: Any) -> Any:
    """Stands in for a server: it is given a port it can listen on, or the command refused."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool):
            assert 1 <= value <= 65535, f"a server would be started on port {value}"
    raise _Started


@dataclass
class Outcome:
    argv: tuple[str, ...]
    code: int | None  # None: the command would have started its server
    out: str
    err: str


@dataclass
class World:
    db: Database
    isa: Callable[..., Result]
    tmp: Path
    form: Path
    checkpoints: Path
    saved: Path | None = None
    counter: list[int] = field(default_factory=lambda: [0])

    def run(self, *argv: str) -> Outcome:
        try:
            result = self.isa(*argv)
        except _Started:
            return Outcome(argv, None, "", "")
        return Outcome(argv, result.code, result.out, result.err)

    def restore(self) -> None:
        """Back to the register as built (SQLite; PostgreSQL keeps what examples did)."""
        if self.saved is None:
            return
        self.db.engine.dispose()
        _copy_sqlite(self.saved, _sqlite_path(self.db))
        for kept in self.checkpoints.glob("*"):
            kept.unlink()

    def file(self, content: bytes) -> Path:
        self.counter[0] += 1
        path = self.tmp / "forms" / f"form-{self.counter[0]}.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(content)
        return path


def _sqlite_path(db: Database) -> Path:
    return Path(db.url.removeprefix("sqlite:///"))


def _copy_sqlite(source: Path, target: Path) -> None:
    # through SQLite's backup, so the target's WAL never holds pages of the register replaced
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


@pytest.fixture(scope="module")
def built_world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The SQLite register once built, kept for the module's tests to restore from."""
    return {"dir": tmp_path_factory.mktemp("world")}


def _build(isa: Callable[..., Result], form: Path) -> None:
    """An arrangement in each state, a trained member of staff with a grant, a disposal task
    due and a suspension: something for every command's references to find."""

    def ok(*argv: str) -> Result:
        result = isa(*argv)
        assert result.code == 0, (argv, result.err)
        return result

    # the one to be terminated is reviewed every two months: its first review falls due inside
    # its 90-day reminder window, so it is open at once and may be completed today
    reviewed_often = form.with_name("reviewed-often.yaml")
    reviewed_often.write_text(
        form.read_text().replace("review_interval_months: 12\n", "review_interval_months: 2\n")
    )
    for drafted in (form, form, reviewed_often):
        ok("arrangement", "draft", str(drafted), "--as", JO)
    for ref in (ACTIVE_REF, TERMINATED_REF):
        ok("arrangement", "submit", ref, "--as", JO)
        ok("arrangement", "approve", ref, "--as", "sam@council.example")
        ok("arrangement", "approve", ref, "--as", "nia@trust.example")
    ok("contact", "add", TRUST, "kim@trust.example", "--name", "Kim Lowe")
    ok(
        *("contact", "add", TRUST, "ig@trust.example", "--name", "Ida Grey"),
        *("--role", "nominated_representative"),
    )
    ok(
        *("training", "record", "kim@trust.example", "--course", "Protocol e-learning"),
        *("--completed", "2026-11-01", "--expires", "2027-11-01"),
    )
    granted = ok(
        *("access", "grant", ACTIVE_REF, "kim@trust.example", "--justification", "Case work"),
        *("--as", "ig@trust.example", "--json"),
    )
    assert json.loads(granted.out)["events"][0]["grant"] == GRANT_REF
    ok(
        *("review", "complete", TERMINATED_REF, "--outcome", "terminate"),
        *("--as", "sam@council.example"),
    )
    ok("sweep", "disposal")
    ok("agency", "add", POLICE, "--security-standard", "dspt")
    ok("contact", "add", POLICE, "pat@police.example", "--name", "Pat Kerr", "--role", "signatory")
    raised = ok("suspend", POLICE, "--reason", "A breach", "--as", "pat@police.example", "--json")
    assert SUSPENSION_REF in raised.out
    tasks = json.loads(ok("disposal", "list", "--json").out)
    assert TASK_REF in {row["task"] for row in tasks}, tasks


@pytest.fixture
def world(  # type: ignore[no-untyped-def]
    db: Database,
    isa,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    smtp_server: SMTPServer,
    built_world: dict[str, Path],
) -> Iterator[World]:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    for name, value in {
        "ISA_SMTP_HOST": smtp_server.host,
        "ISA_SMTP_PORT": str(smtp_server.port),
        "ISA_CHECKPOINT_DIR": str(checkpoints),
        "ISA_MAIL_DIR": str(tmp_path / "mail"),
        "ISA_PREFECT_HOME": str(tmp_path / "prefect"),
    }.items():
        monkeypatch.setenv(name, value)
    # the long-running commands: their arguments are parsed and checked, their server is not
    # started (`isa up` starts Prefect, `isa web` the portal, `isa mailsink` an SMTP server,
    # `isa deploy` and `isa worker` talk to a Prefect server and become a worker)
    monkeypatch.setattr("isa.scale.deploy", lambda *args, **kwargs: None)
    monkeypatch.setattr("isa.scale.worker", lambda *args, **kwargs: None)
    monkeypatch.setattr("isa.cli.mail.mail_sink", _start_nothing)
    monkeypatch.setattr("isa.cli.web.serve", _start_nothing)
    monkeypatch.setattr("isa.cli.up.up", _start_nothing)
    form = tmp_path / "isa.yaml"
    form.write_text(TEMPLATE)
    saved = built_world["dir"] / "isa.db"
    here = World(db, isa, tmp_path, form, checkpoints)
    if db.backend == "sqlite" and saved.exists():
        here.saved = saved
        here.restore()
    else:
        request.getfixturevalue("register")
        _build(isa, form)
        if db.backend == "sqlite":
            db.engine.dispose()
            _copy_sqlite(_sqlite_path(db), saved)
            here.saved = saved
    yield here


# --- what every outcome must be ---------------------------------------------------------------

AUDIT = metadata.tables["audit_event"]
OUTCOME_COLUMN = list(AUDIT.columns.keys()).index("outcome")
Snapshot = dict[str, list[tuple[Any, ...]]]


def _register(snapshot: Snapshot) -> Snapshot:
    return {k: v for k, v in snapshot.items() if k not in ("audit_event", "audit_head")}


def _refusals_written(before: Snapshot, after: Snapshot) -> int:
    """How many audit events a refused command appended: each a refusal, the rest unchanged."""
    old, new = before["audit_event"], after["audit_event"]
    assert new[: len(old)] == old, "a refused command changed the audit log's past"
    added = new[len(old) :]
    assert [row[OUTCOME_COLUMN] for row in added] == ["refused"] * len(added), added
    return len(added)


def _one_line(err: str) -> str:
    assert "Traceback" not in err, err[-3000:]
    assert err.startswith("isa: error: ") and err.endswith("\n"), err[:3000]
    line = err[:-1]
    assert len(line.splitlines()) == 1, err[:3000]
    assert line.isprintable(), f"not printable: {line[:3000]!r}"
    return line


def check_outcome(outcome: Outcome, before: Snapshot, after: Snapshot, *, read_only: bool) -> None:
    """Accepted, or refused in one line with nothing written but its refusal audit event."""
    note(f"argv: {outcome.argv!r}")
    note(f"exit {outcome.code}; stdout {outcome.out[:500]!r}; stderr {outcome.err[:1000]!r}")
    assert "Traceback" not in outcome.out + outcome.err, outcome.err[-3000:]
    if outcome.code is None:
        # a server would start now: its arguments were taken, and nothing was written
        assert after == before
        return
    assert outcome.code in (0, 1), outcome.code
    if outcome.code == 0:
        assert outcome.err == "", outcome.err[:3000]
        if read_only:
            assert after == before, "a command that only reads wrote to the register"
        return
    _one_line(outcome.err)
    assert outcome.out == "", outcome.out[:3000]
    assert _register(after) == _register(before), "a refused command wrote to the register"
    assert _refusals_written(before, after) <= 1


# --- Appendix J forms -------------------------------------------------------------------------

BASE: dict[str, Any] = yaml.safe_load(TEMPLATE)
LINES = TEMPLATE.splitlines()
# `key: value` lines of the template (any depth, a list item's first key too)
KEY_LINE = re.compile(r"^(?P<indent>\s*)(?P<dash>- )?(?P<key>[a-z_]+):(?P<value>.*)$")
KEY_LINES = [i for i, line in enumerate(LINES) if KEY_LINE.match(line)]
VALUE_LINES = [i for i in KEY_LINES if KEY_LINE.match(LINES[i]).group("value").strip()]  # type: ignore[union-attr]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


PATHS = list(_paths(BASE))[1:]

CONTROL = ["\x00", "\x07", "\x1b[2J", "\x7f", "\r", "\n", "\t", "\x0b", "\x85", "\u2028", "\u202e"]
SHORT = st.text(max_size=12)
ODD_TEXT = st.one_of(
    st.sampled_from(["", " ", "~", "null", "yes", "no", "on", "0x1F", "1:30", "1_0", ".inf", "-"]),
    SHORT,
    st.builds(lambda a, c, b: a + c + b, SHORT, st.sampled_from(CONTROL), SHORT),
    st.integers(190, 4100).map(lambda n: "é" * n),
    st.integers(199, 202).map(lambda n: "T" * n),
    st.integers(3999, 4002).map(lambda n: "s" * n),
)
WRONG_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.integers(10**17, 10**40) | st.integers(-(10**40), -(10**17)),
    st.floats(),
    ODD_TEXT,
    st.dates(),
    st.datetimes(),
    st.binary(max_size=8),
    st.lists(st.integers() | SHORT, max_size=4),
    st.integers(45, 210).map(lambda n: ["p"] * n),
    st.dictionaries(SHORT, SHORT, max_size=3),
    st.sampled_from(["discloser", "recipient", "both", "Discloser", "secret", "top_secret"]),
    st.sampled_from([COUNCIL, TRUST, POLICE, COUNCIL.upper(), f" {TRUST} ", "Nowhere Council"]),
)


def _nested(value: Any, depth: int, kind: str) -> Any:
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


@st.composite
def structural_form(draw: st.DrawFn) -> bytes:
    """The template as data with a field replaced, removed, added, repeated or nested deep,
    written back as YAML in one of PyYAML's styles."""
    doc = yaml.safe_load(TEMPLATE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        *parents, last = path
        parent = doc
        try:
            for part in parents:
                parent = parent[part]
            parent[last]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change took this path away
        what = draw(st.sampled_from(["replace", "replace", "remove", "add", "repeat", "nest"]))
        if what == "replace":
            parent[last] = draw(WRONG_VALUE)
        elif what == "remove":
            del parent[last]
        elif what == "add" and isinstance(parent, dict):
            key = draw(st.one_of(SHORT, st.integers(), st.none(), st.booleans()))
            parent[key] = draw(WRONG_VALUE)
        elif what == "repeat" and isinstance(parent, list):
            parent.extend([parent[last]] * draw(st.integers(1, 60)))
        elif what == "nest":
            depth = draw(st.integers(28, 36) | st.integers(100, 400))
            parent[last] = _nested(parent[last], depth, draw(st.sampled_from(["list", "map"])))
    text = yaml.safe_dump(
        doc,
        sort_keys=False,
        allow_unicode=draw(st.booleans()),
        default_flow_style=draw(st.sampled_from([False, None, True])),
        width=draw(st.sampled_from([80, 10_000])),
    )
    return text.encode()


def _alias_bomb(depth: int, width: int, key: str) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for level in range(1, depth):
        lines.append(f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]")
    return "\n".join(lines) + f"\n{key}: *l{depth - 1}\n"


TAGS = [
    "!!binary aGVsbG8=",
    "!!python/object/apply:os.system [echo hi]",
    "!!python/name:os.system",
    "!!set {a: null}",
    "!!omap [{a: 1}]",
    "!!pairs [{a: 1}]",
    "!!timestamp 2001-12-14",
    '!!int "twelve"',
    '!!int ""',
    '!!int "_"',
    '!!int "-"',
    '!!float ""',
    '!!float "x"',
    "!!bool maybe",
    '!!bool ""',
    "!!null x",
    "!!str [1, 2]",
    "!!map [1]",
    "!!seq x",
    "!<tag:yaml.org,2002:str> plain",
    "!<tag:yaml.org,2002:binary> aGk=",
    "!local x",
    "! 12",
    "!!str 12",
    "!!int 0x0c",
    "!!int 1:00",
    "!!float 1e400",
    "!!value =",
    "!!merge x",
    "!e!binary aGk=",
    "!e!str text",
]
HUGE = st.one_of(
    st.integers(19, 6000).map(lambda n: "9" * n),
    st.integers(19, 200).map(lambda n: "-0x" + "f" * n),
    st.integers(19, 200).map(lambda n: "0b" + "1" * n),
    st.integers(2, 40).map(lambda n: ":".join(["59"] * n)),
    st.sampled_from(["1e400", "-1e400", ".nan", ".inf", "1_000_000", "0o777", "+12", "012"]),
    st.integers(1000, 300_000).map(lambda n: '"' + "x" * n + '"'),
    st.integers(51, 20_000).map(lambda n: "[" + ", ".join(["p"] * n) + "]"),
    st.integers(25, 40).map(lambda n: "[" * n + "x" + "]" * n),
    st.integers(25, 40).map(lambda n: "{a: " * n + "x" + "}" * n),
    st.integers(40, 3000).map(lambda n: "[" * n),
)
ODD_FILES = st.sampled_from(
    [
        "",
        "\n",
        "   \n\t\n",
        "# only a comment\n",
        "---\n",
        "...\n",
        "--- \n---\n",
        "~\n",
        "[]\n",
        "{}\n",
        "- a\n",
        "title\n",
        "title:\n",
        '"title": x\n',
        "%YAML 1.1\n---\ntitle: x\n",
        "%YAML 2.0\n---\ntitle: x\n",
        "%TAG !e! tag:yaml.org,2002:\n---\ntitle: !e!str x\n",
        "? [a, b]\n: x\n",
        "[a, b]: x\n",
        "{a: 1}: x\n",
        "1: a\n0x1: b\n",
        "~: a\nnull: b\n",
        "yes: a\ntrue: b\n",
        "*unknown\n",
        "title: *unknown\n",
        "title: &a x\n",
        "a: &a [1]\nb: [*a, *a]\n",
        "a: &a {x: 1}\nb: {<<: *a}\n",
        "a: &a\n  - *a\n",
        "title: |\n  x\n   \ty\n",
        "\ttitle: x\n",
        "title: 'unterminated\n",
        "title: x\n\x00\n",
        "title: x\n\ufeff\n",
    ]
)


def _line_edit(draw: st.DrawFn, lines: list[str]) -> None:
    """One textual change to the template's lines, where YAML's own syntax is the bad input."""
    what = draw(
        st.sampled_from(
            ["anchor", "alias", "bomb", "duplicate", "flow duplicate", "tag", "huge", "nest"]
        )
    )
    i = draw(st.sampled_from(VALUE_LINES))
    m = KEY_LINE.match(lines[i])
    if m is None:  # an earlier change rewrote it
        return
    head = f"{m['indent']}{m['dash'] or ''}{m['key']}:"
    if what == "anchor":
        lines[i] = f"{head} &{draw(st.sampled_from(['a', 'x1', 'anchor']))}{m['value']}"
    elif what == "alias":
        j = draw(st.sampled_from(VALUE_LINES))
        n = KEY_LINE.match(lines[j])
        lines[i] = f"{head} &a{m['value']}"
        if n is not None:
            lines[j] = f"{n['indent']}{n['dash'] or ''}{n['key']}: *a"
        else:
            lines.append("extra: *a")
    elif what == "bomb":
        depth, width = draw(st.integers(1, 12)), draw(st.integers(1, 12))
        lines.insert(0, _alias_bomb(depth, width, draw(st.sampled_from(["bomb", "title"]))))
    elif what == "duplicate":
        # the same key again at the same level: a list item's first key repeats inside the item
        j = draw(st.sampled_from(KEY_LINES))
        n = KEY_LINE.match(lines[j])
        if n is None:
            return
        indent = n["indent"] + ("  " if n["dash"] else "")
        again = draw(st.sampled_from([n["value"], " again", ' "again"', ""]))
        spelled = draw(st.sampled_from([n["key"], f'"{n["key"]}"', f"'{n['key']}'"]))
        lines.insert(j + draw(st.integers(1, 3)), f"{indent}{spelled}:{again}")
    elif what == "flow duplicate":
        lines[i] = f"{head} {{a: 1, a: 2}}"
    elif what == "tag":
        tag = draw(st.sampled_from(TAGS))
        if tag.startswith("!e!"):
            lines.insert(0, "%TAG !e! tag:yaml.org,2002:\n---")
        lines[i] = f"{head} {tag}"
    elif what == "huge":
        lines[i] = f"{head} {draw(HUGE)}"
    elif what == "nest":
        depth = draw(st.integers(28, 36) | st.integers(200, 2000))
        block = [f"{m['indent']}  " + "  " * level + "- " for level in range(depth)]
        lines[i] = head
        lines[i + 1 : i + 1] = [
            line + ("x" if k == depth - 1 else "") for k, line in enumerate(block)
        ]


def _bytes_edit(draw: st.DrawFn, text: str) -> bytes:
    """The text as bytes, perhaps not UTF-8 (or UTF-8 with BOMs, or with odd line ends)."""
    how = draw(
        st.sampled_from(
            ["utf-8"] * 4
            + ["bom", "boms", "crlf", "cr", "latin-1", "cp1252", "utf-16", "utf-32", "bytes"]
        )
    )
    if how == "bom":
        return b"\xef\xbb\xbf" + text.encode()
    if how == "boms":
        return b"\xef\xbb\xbf\xef\xbb\xbf" + text.encode()
    if how == "crlf":
        return text.replace("\n", "\r\n").encode()
    if how == "cr":
        return text.replace("\n", "\r").encode()
    if how in ("latin-1", "cp1252"):
        return text.replace("Early help", "Early h\xe9lp \u2019").encode(how, errors="replace")
    if how in ("utf-16", "utf-32"):
        return text.encode(how)  # with its BOM
    if how == "bytes":
        content = bytearray(text.encode())
        for _ in range(draw(st.integers(1, 3))):
            at = draw(st.integers(0, len(content)))
            bad = draw(
                st.sampled_from(
                    [b"\xff", b"\xc3", b"\xe9", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88"]
                )
            )
            content[at:at] = bad
        return bytes(content)
    return text.encode()


@st.composite
def textual_form(draw: st.DrawFn) -> bytes:
    """The template's text (comments and all) with YAML-level changes, then as bytes."""
    if draw(st.integers(0, 9)) == 0:
        return _bytes_edit(draw, draw(ODD_FILES))
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 3))):
        _line_edit(draw, lines)
    return _bytes_edit(draw, "\n".join(lines) + "\n")


FORMS = st.one_of(structural_form(), textual_form())


def _loader_says(path: Path) -> str | None:
    """What the loader makes of the file the command reads: None for a draft, else its line."""
    content = path.read_bytes()[: MAX_FORM_BYTES + 1]
    try:
        parse_arrangement_draft(str(path), content)
    except InvalidInput as exc:
        return str(exc)
    return None


def check_form(world: World, content: bytes) -> None:
    world.restore()
    path = world.file(content)
    note(f"form: {content[:2000]!r}")
    # the loader itself: a draft, or one InvalidInput (anything else fails the example here)
    refused = _loader_says(path)
    said = "a draft" if refused is None else refused.removeprefix(f"{path}: ")
    event("loader: " + re.sub(r"\d+", "N", said)[:50])
    for argv, read_only in (
        (("arrangement", "draft", str(path), "--as", JO), False),
        (("arrangement", "revise", DRAFT_REF, str(path), "--as", JO), False),
    ):
        before = world.db.snapshot()
        outcome = world.run(*argv)
        after = world.db.snapshot()
        check_outcome(outcome, before, after, read_only=read_only)
        if refused is not None:
            # the form is bad input: refused with the loader's line, and nothing at all written
            assert outcome.err == f"isa: error: {_printable(refused)}\n", outcome.err[:3000]
            assert after == before
        elif outcome.code == 0 and argv[1] == "draft":
            drafted = re.match(r"drafted (ISA-\d{4}-\d{4}) \(version 1\)", outcome.out)
            assert drafted, outcome.out
            shown = world.run("arrangement", "show", drafted[1], "--json")
            assert shown.code == 0, shown.err
            draft = parse_arrangement_draft(str(path), content)
            assert json.loads(shown.out)["title"] == draft.title


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


FORM_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("db", [SQLITE], indirect=True)
@settings(max_examples=150 * SCALE, **FORM_SETTINGS)  # type: ignore[arg-type]
@given(content=FORMS)
def test_a_generated_appendix_j_form_is_drafted_or_refused_in_one_line(
    world: World, content: bytes
) -> None:
    check_form(world, content)


@pytest.mark.parametrize("db", [POSTGRES], indirect=True)
@settings(max_examples=20 * SCALE, **FORM_SETTINGS)  # type: ignore[arg-type]
@given(content=FORMS)
def test_a_generated_appendix_j_form_on_postgres_is_drafted_or_refused_in_one_line(
    world: World, content: bytes
) -> None:
    check_form(world, content)


# --- arguments for every command --------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    names: tuple[str, ...]
    hint: Any
    required: bool
    positional: bool
    python_name: str
    consume_multiple: bool


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]
    options: tuple[Option, ...]

    def __str__(self) -> str:
        return " ".join(self.words)


def _command(group: App, name: str) -> Command:
    words = (name,) if group is app else (str(group.name[0]), name)
    sub = app
    for word in words:
        sub = sub[word]
    options = []
    for argument in sub.assemble_argument_collection():
        if not argument.names:
            continue
        options.append(
            Option(
                names=tuple(argument.names),
                hint=argument.hint,
                required=bool(argument.required),
                positional=argument.field_info.kind == inspect.Parameter.POSITIONAL_OR_KEYWORD,
                python_name=argument.field_info.name,
                consume_multiple=bool(argument.parameter.consume_multiple),
            )
        )
    return Command(words, tuple(options))


COMMAND_LIST = [_command(group, name) for group, name, _ in COMMANDS]
READ_ONLY = {
    "agency list",
    "contact list",
    "arrangement template",
    "arrangement show",
    "arrangement list",
    "disposal list",
    "audit log",
    "audit verify",
    "outbox list",
    "db upgrade",
}


def _plain(hint: Any) -> tuple[Any, bool]:
    """The hint without None, and whether it is a list of them."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = args[0]
    if typing.get_origin(hint) is list:
        return typing.get_args(hint)[0], True
    return hint, False


NASTY = st.one_of(
    st.sampled_from(["", " ", "-", "--", "-1", "--json", "--bogus", "=", "None", "0x10", "٣"]),
    st.sampled_from(["\udcff", "caf\udce9", "\ud800", "--\udcff"]),  # not UTF-8 in argv
    st.text(max_size=20),
    st.builds(lambda a, c, b: a + c + b, SHORT, st.sampled_from(CONTROL), SHORT),
    st.integers(201, 20_000).map(lambda n: "x" * n),
)
EMAILS = st.sampled_from(
    [
        JO,
        "sam@council.example",
        "nia@trust.example",
        "lee@trust.example",
        "kim@trust.example",
        "ig@trust.example",
        "pat@police.example",
        "chair@group.example",
        " SAM@Council.Example ",
        "nobody@nowhere.example",
        "not-an-email",
        "a@b",
        "jo@council.example\n",
    ]
)
AGENCIES = st.sampled_from(
    [COUNCIL, TRUST, POLICE, COUNCIL.lower(), f" {TRUST} ", "Nowhere Council", "New Agency"]
)
REFERENCES = st.sampled_from(
    [
        DRAFT_REF,
        ACTIVE_REF,
        TERMINATED_REF,
        GRANT_REF,
        TASK_REF,
        SUSPENSION_REF,
        DRAFT_REF.lower(),
        f" {ACTIVE_REF} ",
        "ISA-2026-9999",
        "ISA-99999999999999999999-1",
        "GRT-2026-0002",
        "ISA-2026-0001-",
    ]
)
DATES = st.one_of(
    st.sampled_from(
        [
            "2026-11-25",
            "2026-11-01",
            "2026-12-09",
            "2027-11-01",
            "2028-02-29",
            "2027-02-29",
            "2026-13-01",
            "0001-01-01",
            "0000-01-01",
            "9999-12-31",
            "1900-01-01",
            "2200-01-01",
            "20261125",
            "2026-W48-3",
            "25/11/2026",
        ]
    ),
    st.dates().map(str),
)
DATETIMES = st.one_of(
    st.sampled_from(
        [
            "2026-11-30T10:00",
            "2026-11-30 10:00",
            "2026-11-30T10:00Z",
            "2026-11-30T10:00+23:59",
            "2026-11-30T10:00-23:59",
            "2026-12-09T23:59:59.999999",
            "2026-03-29T01:30",
            "9999-12-31T23:59:59",
            "0001-01-01T00:00",
            "2026-11-30",
            "10:00",
            "P1D",
            "now",
        ]
    ),
    st.datetimes().map(lambda d: d.isoformat()),
)
TEXTS = st.sampled_from(["Case work", "A reason", "Shredded", "CERT-1", "\tIndented\nTwo lines"])
# what a plausible value of each parameter (by its Python name) looks like
PLAUSIBLE: dict[str, st.SearchStrategy[str]] = {
    "as_": EMAILS,
    "email": EMAILS,
    "attendee": EMAILS,
    "agency": AGENCIES,
    "name": AGENCIES | st.sampled_from(["Kim Lowe", "Zoë O'Brien"]),
    "id": REFERENCES,
    "arrangement": REFERENCES,
    "grant": REFERENCES,
    "task": REFERENCES,
    "suspension": REFERENCES,
    "completed": DATES,
    "expires": DATES,
    "effective": DATES,
    "as_of": DATES,
    "at": DATETIMES,
    "outcome": st.sampled_from(["renew", "amend", "terminate", "RENEW", " amend ", "close"]),
    "reason": TEXTS,
    "justification": TEXTS,
    "risk_assessment": TEXTS,
    "course": TEXTS,
    "method": TEXTS,
    "certificate": TEXTS,
    "ico_registration": st.sampled_from(["Z1234567", "za123456", "Z123", "Z" + "1" * 300]),
    "checkpoint": st.sampled_from(["latest", "/nonexistent.json", "/dev/null", "/dev/zero", "/"]),
    "host": st.sampled_from(["127.0.0.1", "::1", "localhost", "no such host", "999.1.1.1"]),
}
INTEGERS = st.one_of(
    st.integers(-3, 100).map(str),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["0", "-0", "+5", " 7 ", "1_000", "0x10", "0b11", "1e3", "1.5", "abc", ""]),
    st.sampled_from(["9" * 19, "9" * 4300, "9" * 5000, str(2**63), str(2**31), str(-(2**63))]),
)
BOOLEANS = st.sampled_from(["true", "false", "yes", "no", "1", "0", "maybe", "", "TRUE"])


def _paths_for(world_form: Path) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [str(world_form), "/nonexistent.yaml", "/dev/null", "/dev/zero", "/", ".", "", "a\x00b"]
    )


def _value(option: Option, form: Path) -> st.SearchStrategy[str]:
    """A value for the option: plausible for its parameter, or of its type, or anything."""
    hint, _many = _plain(option.hint)
    if isinstance(hint, type) and issubclass(hint, Enum):
        values = [e.value for e in hint]
        typed = st.sampled_from(
            values + [v.replace("_", "-") for v in values] + [v.upper() for v in values]
        )
    elif hint is int:
        typed = INTEGERS
    elif hint is bool:
        typed = BOOLEANS
    elif hint is Path:
        typed = _paths_for(form)
    else:
        typed = PLAUSIBLE.get(option.python_name, TEXTS)
    if option.python_name == "file":
        typed = _paths_for(form)
    return st.one_of(typed, typed, NASTY)


@st.composite
def arguments(draw: st.DrawFn, command: Command, form: Path) -> tuple[str, ...]:
    """An argument list for the command: its parameters given, left out, given twice, given as
    options or positions, in any order, now and then with an unknown option or a stray word."""
    positionals: list[str] = []
    groups: list[list[str]] = []
    for option in command.options:
        hint, many = _plain(option.hint)
        choices = ["give", "give", "give", "omit" if option.required else "give", "omit", "twice"]
        if option.positional:
            choices += ["by name"]
        how = draw(st.sampled_from(choices))
        if how == "omit":
            continue
        name = draw(st.sampled_from(option.names))
        if hint is bool and not many:
            if draw(st.booleans()):
                groups.append([name])
            else:
                groups.append([f"{name}={draw(BOOLEANS)}"])
            if how == "twice":
                groups.append([name])
            continue
        if name.startswith("--empty-"):
            groups.append([name])
            continue
        count = 2 if how == "twice" or (many and draw(st.booleans())) else 1
        for _ in range(count):
            value = draw(_value(option, form))
            if option.positional and how != "by name":
                positionals.append(value)
            elif option.consume_multiple:
                groups.append([name, value, *draw(st.lists(_value(option, form), max_size=2))])
            elif draw(st.integers(0, 4)) == 0:
                groups.append([f"{name}={value}"])
            else:
                groups.append([name, value])
    stray = draw(
        st.lists(
            st.sampled_from(["--bogus", "--bogus=1", "extra", "-x", "--", "--as", "--json"]),
            max_size=1,
        )
    )
    if stray:
        groups.insert(draw(st.integers(0, len(groups))), stray)
    groups = draw(st.permutations(groups))
    options = [token for group in groups for token in group]
    if draw(st.booleans()):
        return (*command.words, *positionals, *options)
    return (*command.words, *options, *positionals)


def check_arguments(world: World, command: Command, argv: tuple[str, ...]) -> None:
    world.restore()
    before = world.db.snapshot()
    outcome = world.run(*argv)
    after = world.db.snapshot()
    check_outcome(outcome, before, after, read_only=str(command) in READ_ONLY)


ARGUMENT_SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("db", [SQLITE], indirect=True)
@pytest.mark.parametrize("command", COMMAND_LIST, ids=lambda c: "-".join(c.words))
@settings(max_examples=12 * SCALE, **ARGUMENT_SETTINGS)  # type: ignore[arg-type]
@given(data=st.data())
def test_generated_arguments_are_taken_or_refused_in_one_line(
    world: World, command: Command, data: st.DataObject
) -> None:
    argv = data.draw(arguments(command, world.form), label="argv")
    check_arguments(world, command, argv)


@pytest.mark.parametrize("db", [POSTGRES], indirect=True)
@settings(max_examples=40 * SCALE, **ARGUMENT_SETTINGS)  # type: ignore[arg-type]
@given(data=st.data())
def test_generated_arguments_on_postgres_are_taken_or_refused_in_one_line(
    world: World, data: st.DataObject
) -> None:
    command = data.draw(st.sampled_from(COMMAND_LIST), label="command")
    argv = data.draw(arguments(command, world.form), label="argv")
    check_arguments(world, command, argv)
