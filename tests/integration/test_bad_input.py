"""Bad input, as a careless operator or an attacker types it: every case is refused with one line
on stderr naming what is wrong, exit code 1, and nothing written, not even an audit event.

Appendix J files (duplicate keys, aliases, sizes, nesting, tags, encodings), names and free
text (control characters, lengths, ICO registrations), numbers (limits, ports), settings and
database connections (unknown schemes and drivers, unreachable PostgreSQL, unwritable SQLite)."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Database
from tests.integration.conftest import COUNCIL, TRUST, Result
from tests.utils.ports import CLOSED_PORT

DRAFT = ("arrangement", "draft")
JO = ("--as", "jo@council.example")


def _form(register: Path, tmp_path: Path, edit: Callable[[str], str | bytes]) -> str:
    changed = edit(register.read_text())
    path = tmp_path / "bad.yaml"
    if isinstance(changed, bytes):
        path.write_bytes(changed)
    else:
        path.write_text(changed)
    return str(path)


def _replace_line(prefix: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        lines = text.splitlines()
        assert any(line.startswith(prefix) for line in lines), prefix
        return "\n".join(new if line.startswith(prefix) else line for line in lines) + "\n"

    return edit


BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [
        f"{chr(ord('b') + i)}: &{chr(ord('b') + i)} [{','.join(['*' + chr(ord('a') + i)] * 9)}]"
        for i in range(8)
    ]
    + ["title: *i"]
)

# (form edit, a pattern the one line matches)
FORMS: dict[str, tuple[Callable[[str], str | bytes], str]] = {
    "duplicate key": (
        lambda t: t + 'title: "Another title"\n',
        r".*/bad\.yaml: duplicate key 'title' at line \d+",
    ),
    "duplicate nested key": (
        lambda t: t.replace("    role: recipient\n", "    role: recipient\n    role: discloser\n"),
        r".*/bad\.yaml: duplicate key 'role' at line \d+",
    ),
    "aliases": (
        lambda t: BILLION_LAUGHS,
        r".*/bad\.yaml: YAML anchors and aliases are not allowed \(line 1\)",
    ),
    "merge key": (
        lambda t: t.replace("retention:\n", "retention:\n  <<: {rule: x}\n"),
        r".*/bad\.yaml: YAML merge keys \(<<\) are not allowed \(line \d+\)",
    ),
    "file too large": (
        lambda t: t + ("# padding\n" * 30_000),
        r".*/bad\.yaml: larger than 256 KiB, the most an Appendix J form may be",
    ),
    "title too long": (
        _replace_line("title:", "title: " + "T" * 201),
        r".*/bad\.yaml: title: String should have at most 200 characters",
    ),
    "text field too long": (
        _replace_line("security_arrangements:", "security_arrangements: " + "s" * 4001),
        r".*/bad\.yaml: security_arrangements: String should have at most 4000 characters",
    ),
    "too many purposes": (
        lambda t: t.replace("purposes:\n", "purposes:\n" + '  - "p"\n' * 60),
        r".*/bad\.yaml: purposes: List should have at most 50 items, not 61",
    ),
    "deep nesting": (
        lambda t: "[" * 2048,
        r".*/bad\.yaml: nested more than 32 levels deep \(line 1\)",
    ),
    "binary tag": (
        _replace_line("title:", "title: !!binary aGVsbG8="),
        r".*/bad\.yaml: YAML tag !!binary is not allowed \(line \d+\): write plain values",
    ),
    "python tag": (
        _replace_line("title:", "title: !!python/object/apply:os.system [echo hi]"),
        r".*/bad\.yaml: YAML tag !!python/object/apply:os\.system is not allowed \(line \d+\): write plain values",
    ),
    "local tag": (
        _replace_line("title:", "title: !mine x"),
        r".*/bad\.yaml: YAML tag !mine is not allowed \(line \d+\): write plain values",
    ),
    "not UTF-8": (
        lambda t: t.replace("Early help", "Early h\xe9lp").encode("latin-1"),
        r".*/bad\.yaml: not UTF-8 text \(byte 0xe9 at offset \d+\)",
    ),
    "control character in the title": (
        _replace_line("title:", 'title: "Early help\\n#9999 forged line"'),
        r".*/bad\.yaml: title: must be one line without control characters",
    ),
    "control character in free text": (
        _replace_line("security_arrangements:", 'security_arrangements: "MFA\\x1b[2J"'),
        r".*/bad\.yaml: security_arrangements: must not contain control characters "
        r"\(other than tab and newline\)",
    ),
    "a huge number": (
        _replace_line("review_interval_months:", "review_interval_months: " + "9" * 5000),
        r".*/bad\.yaml: a number of more than 18 digits \(line \d+\)",
    ),
}


@pytest.mark.parametrize("case", FORMS, ids=list(FORMS))
def test_a_bad_appendix_j_form_is_refused_in_one_line(
    db: Database, isa, register: Path, tmp_path: Path, case: str
) -> None:
    edit, pattern = FORMS[case]
    path = _form(register, tmp_path, edit)
    before = db.snapshot()
    for command in (DRAFT, ("arrangement", "revise", "ISA-2026-0001")):
        _refused(isa(*command, path, *JO), pattern)
    assert db.snapshot() == before


def test_a_form_from_a_device_or_a_directory_is_refused_without_reading_it_all(
    db: Database, isa, register: Path, tmp_path: Path
) -> None:
    before = db.snapshot()
    _refused(
        isa(*DRAFT, "/dev/zero", *JO),
        r"/dev/zero: larger than 256 KiB, the most an Appendix J form may be",
    )
    _refused(isa(*DRAFT, str(tmp_path), *JO), rf"cannot read {re.escape(str(tmp_path))}: .+")
    assert db.snapshot() == before


def test_the_form_loader_still_takes_every_plain_yaml_the_template_uses(
    isa, register: Path
) -> None:
    # flow style, quoted and block scalars, comments, explicit !!str: all plain
    text = register.read_text().replace(
        'title: "Early help referrals between Northshire Council and Northshire NHS Trust"',
        "title: !!str >-\n  Early help referrals\n  between two agencies",
    )
    register.write_text(text)
    drafted = isa(*DRAFT, str(register), *JO, "--json")
    assert drafted.code == 0, drafted.err
    shown = isa("arrangement", "show", "ISA-2026-0001", "--json")
    assert '"title": "Early help referrals between two agencies"' in shown.out


NAMES: dict[str, tuple[tuple[str, ...], str]] = {
    "agency name with LF": (
        ("agency", "add", "Evil Council\n3  Fake Agency  member"),
        "agency name must be one line without control characters",
    ),
    "agency name with CR": (
        ("agency", "add", "Evil\rCouncil"),
        "agency name must be one line without control characters",
    ),
    "agency name too long": (
        ("agency", "add", "A" * 201),
        "agency name is longer than 200 characters",
    ),
    "contact name with an escape": (
        ("contact", "add", COUNCIL, "new@council.example", "--name", "Jo \x1b[31mRed"),
        "contact name must be one line without control characters",
    ),
    "contact name with a line separator": (
        ("contact", "add", COUNCIL, "new@council.example", "--name", "Jo\u2028Reed"),
        "contact name must be one line without control characters",
    ),
    "chair name with a bidi override": (
        ("chair", "add", "new@group.example", "--name", "Chris \u202eriahC"),
        "chair name must be one line without control characters",
    ),
    "ICO registration not its format": (
        ("agency", "add", "Another Agency", "--ico-registration", "12345"),
        "--ico-registration '12345' is not an ICO registration number "
        "(Z and 7 digits, or Z, a letter and 6 digits: e.g. Z1234567, ZA123456)",
    ),
    "ICO registration too long": (
        ("agency", "add", "Another Agency", "--ico-registration", "Z" + "1" * 300),
        "--ico-registration 'Z1111111111…' is not an ICO registration number "
        "(Z and 7 digits, or Z, a letter and 6 digits: e.g. Z1234567, ZA123456)",
    ),
    "reason with a NUL": (
        ("withdraw", TRUST, "--reason", "Leaving\x00", "--as", "nia@trust.example"),
        "--reason must not contain control characters (other than tab and newline)",
    ),
    "reason too long": (
        ("withdraw", TRUST, "--reason", "r" * 4001, "--as", "nia@trust.example"),
        "--reason is longer than 4000 characters",
    ),
    "course with a newline": (
        (
            "training",
            "record",
            "lee@trust.example",
            "--course",
            "IG\nforged",
            "--completed",
            "2026-11-01",
        ),
        "--course must be one line without control characters",
    ),
}


@pytest.mark.parametrize("case", NAMES, ids=list(NAMES))
def test_names_and_free_text_with_control_characters_or_too_long_are_refused(
    db: Database, isa, register: Path, case: str
) -> None:
    argv, line = NAMES[case]
    before = db.snapshot()
    _refused(isa(*argv), re.escape(line))
    assert db.snapshot() == before


def test_an_ico_registration_is_kept_upper_case_and_a_name_keeps_its_letters(
    db: Database, isa, register: Path
) -> None:
    added = isa("agency", "add", "Ysgol Gymraeg Caerdydd", "--ico-registration", " za123456 ")
    assert added.code == 0, added.err
    assert (
        isa("contact", "add", TRUST, "zoe@trust.example", "--name", "Zoë O'Brien-Łukasz").code == 0
    )
    listed = isa("agency", "list")
    assert "ZA123456" in listed.out
    with db.engine.connect() as conn:
        from sqlalchemy import text

        name = conn.execute(
            text("SELECT name FROM contact WHERE email = 'zoe@trust.example'")
        ).scalar()
    assert name == "Zoë O'Brien-Łukasz"


NUMBERS: dict[str, tuple[tuple[str, ...], str]] = {
    "audit log": (("audit", "log", "--limit", "-1"), "--limit must be at least 1, not -1"),
    "outbox list": (("outbox", "list", "--limit", "-5"), "--limit must be at least 1, not -5"),
    "outbox deliver": (("outbox", "deliver", "--limit", "0"), "--limit must be at least 1, not 0"),
    "mailsink port": (("mailsink", "--port", "99999"), "--port must be 1 to 65535, not 99999"),
    "mailsink installation": (
        ("mailsink", "--installation", "not one!"),
        "--installation must be 1 to 64 letters, digits and '-', not 'not one!'",
    ),
    "sweep batch size": (
        ("sweep", "reviews", "--batch-size", "-1"),
        "--batch-size must be at least 1, not -1",
    ),
}


@pytest.mark.parametrize("case", NUMBERS, ids=list(NUMBERS))
def test_a_number_out_of_range_is_refused_in_one_line(
    db: Database, isa, register: Path, case: str
) -> None:
    argv, line = NUMBERS[case]
    before = db.snapshot()
    _refused(isa(*argv), re.escape(line))
    assert db.snapshot() == before


def test_an_empty_mail_directory_setting_is_refused(
    db: Database, isa, register: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISA_MAIL_DIR", "")
    before = db.snapshot()
    for argv in (("agency", "add", "Elsewhere Council"), ("mailsink",)):
        _refused(isa(*argv), re.escape("ISA_MAIL_DIR: must not be empty (default var/mail)"))
    assert db.snapshot() == before
    # a command that only reads checks only what it reads (ISA_DATABASE_URL, ISA_NOW)
    assert isa("agency", "list").code == 0


def _connection_cases(tmp_path: Path) -> dict[str, tuple[str, str]]:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory\n")
    return {
        "unknown scheme": (
            "nosuchdb://somewhere/isa",
            "ISA_DATABASE_URL: unknown database 'nosuchdb': use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DB",
        ),
        "unknown driver": (
            "postgresql+nosuchdriver://postgres@127.0.0.1/test",
            "ISA_DATABASE_URL: unknown database 'postgresql+nosuchdriver': use sqlite:///PATH "
            "or postgresql+psycopg://USER@HOST/DB",
        ),
        "driver not installed": (
            "mysql://root@127.0.0.1/isa",
            "ISA_DATABASE_URL: the driver for 'mysql' is not installed (No module named "
            "'MySQLdb'): use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB",
        ),
        "not a URL": (
            "isa.db",
            "ISA_DATABASE_URL: not a database URL: 'isa.db' (e.g. sqlite:///var/isa.db)",
        ),
        "unreachable PostgreSQL": (
            f"postgresql+psycopg://postgres@127.0.0.1:{CLOSED_PORT}/test",
            f"cannot connect to the database at 127.0.0.1:{CLOSED_PORT}: connection refused",
        ),
        "unwritable SQLite path": (
            f"sqlite:///{a_file}/isa.db",
            f"cannot open the SQLite database {a_file}/isa.db: {a_file} is not a directory",
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "unknown scheme",
        "unknown driver",
        "driver not installed",
        "not a URL",
        "unreachable PostgreSQL",
        "unwritable SQLite path",
    ],
)
@pytest.mark.parametrize(
    "argv",
    [
        ("agency", "list"),
        ("db", "upgrade"),
        ("audit", "verify"),
        ("sweep", "reviews"),
        ("outbox", "deliver"),
    ],
    ids=lambda argv: " ".join(argv),
)
def test_a_database_that_cannot_be_reached_is_named_in_one_line(
    db: Database,
    isa,
    register: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    argv: tuple[str, ...],
) -> None:
    url, line = _connection_cases(tmp_path)[case]
    before = db.snapshot()
    monkeypatch.setenv("ISA_DATABASE_URL", url)
    _refused(isa(*argv), re.escape(line))
    assert db.snapshot() == before
    assert not (tmp_path / "a-file" / "isa.db").exists()


def _refused(result: Result, pattern: str) -> None:
    assert result.code == 1, (result.out, result.err)
    assert result.out == ""
    assert result.err.count("\n") == 1, result.err[:2000]
    assert re.fullmatch(f"isa: error: {pattern}\n", result.err), result.err[:2000]
