"""What a person reads on the command line: `isa db upgrade` says whether it created the register,
`isa contact list` shows who is where, `isa outbox list` says when it shows only part, and a bad
setting is named with what it must be, in the register's words rather than pydantic's."""

import json
from pathlib import Path

import pytest

from core.db import head_revision
from tests.conftest import Database, empty_postgres_schema
from tests.integration.conftest import COUNCIL, TRUST


def test_db_upgrade_says_it_created_the_register_then_that_it_is_up_to_date(
    db: Database, isa, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = head_revision()
    if db.backend == "sqlite":
        path = tmp_path / "new" / "isa.db"
        monkeypatch.setenv("ISA_DATABASE_URL", f"sqlite:///{path}")
        where = str(path)
        created, again = isa("db", "upgrade"), isa("db", "upgrade")
        as_json = isa("db", "upgrade", "--json")
    else:
        where = "the database at ISA_DATABASE_URL"
        with empty_postgres_schema("isa_upgrade") as url:
            monkeypatch.setenv("ISA_DATABASE_URL", url)
            created, again = isa("db", "upgrade"), isa("db", "upgrade")
            as_json = isa("db", "upgrade", "--json")
    assert (created.code, created.out) == (
        0,
        f"created the register in {where} (revision {head})\n",
    )
    assert again.out == f"the register in {where} is up to date (revision {head})\n"
    assert json.loads(as_json.out) == {"created": False, "from": head, "to": head}


def test_contact_list_shows_each_person_with_their_agency_and_roles(isa, register) -> None:
    assert isa("contact", "add", TRUST, "ash@trust.example", "--name", "Ash Staff").code == 0
    left = isa("staff", "leaver", "ash@trust.example", "--as", "lee@trust.example")
    assert left.code == 0, left.err
    listed = isa("contact", "list")
    assert listed.code == 0, listed.err
    lines = listed.out.splitlines()
    assert (
        f"{COUNCIL}  Jo Reed <jo@council.example>  nominated_representative, point_of_contact"
        in lines
    )
    assert f"{COUNCIL}  Sam Patel <sam@council.example>  signatory" in lines
    assert f"{TRUST}  Ash Staff <ash@trust.example>  staff member (left)" in lines
    assert [line.split("  ")[0] for line in lines] == sorted(line.split("  ")[0] for line in lines)
    only = json.loads(isa("contact", "list", TRUST, "--json").out)
    assert {row["email"] for row in only} == {
        "nia@trust.example",
        "lee@trust.example",
        "ash@trust.example",
    }
    assert {row["agency"] for row in only} == {TRUST}
    missing = isa("contact", "list", "No Such Agency")
    assert missing.code == 1 and missing.err.count("\n") == 1


def test_outbox_list_says_when_it_shows_only_the_newest(db: Database, isa, register) -> None:
    for argv in (
        ("draft", str(register), "--as", "jo@council.example"),
        ("submit", "ISA-2026-0001", "--as", "jo@council.example"),
        ("approve", "ISA-2026-0001", "--as", "sam@council.example"),
    ):
        assert isa("arrangement", *argv).code == 0
    total = db.count("outbox")
    assert total > 2
    shown = isa("outbox", "list", "--limit", "2")
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert len(lines) == 3
    assert lines[-1] == f"showing the newest 2 of {total} emails; --limit N shows more"
    everything = isa("outbox", "list", "--limit", str(total))
    assert len(everything.out.splitlines()) == total
    assert len(json.loads(isa("outbox", "list", "--limit", "2", "--json").out)) == 2


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        ("ISA_PREFECT_PORT", "abc", "ISA_PREFECT_PORT: must be a whole number, not 'abc'"),
        ("ISA_PREFECT_PORT", "70000", "ISA_PREFECT_PORT: must be at most 65535, not '70000'"),
        (
            "ISA_SMTP_SECURITY",
            "ssl",
            "ISA_SMTP_SECURITY: must be none, starttls or tls, not 'ssl'",
        ),
        ("ISA_OUTBOX_BATCH_SIZE", "0", "ISA_OUTBOX_BATCH_SIZE: must be at least 1, not '0'"),
        (
            "ISA_SMTP_TIMEOUT_SECONDS",
            "soon",
            "ISA_SMTP_TIMEOUT_SECONDS: must be a number, not 'soon'",
        ),
        (
            "ISA_MAIL_FROM",
            "nobody",
            "ISA_MAIL_FROM: not an email address: 'nobody' (e.g. Register <isa@example.org>)",
        ),
        (
            "ISA_NOW",
            "yesterday",
            "ISA_NOW: not a date-time: 'yesterday' (expected ISO 8601, e.g. 2026-03-20T10:00 or "
            "2026-03-20T10:00+00:00)",
        ),
    ],
)
def test_a_bad_setting_is_named_with_what_it_must_be(
    db: Database, isa, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, line: str
) -> None:
    monkeypatch.setenv(variable, value)
    before = db.snapshot()
    result = isa("agency", "add", "Elsewhere Council")
    assert (result.code, result.out, result.err) == (1, "", f"isa: error: {line}\n")
    assert "Input should" not in result.err and "Value error" not in result.err
    assert db.snapshot() == before
    # a listing checks only what it reads: the database's address and the clock
    listed = isa("agency", "list")
    if variable == "ISA_NOW":
        assert (listed.code, listed.out, listed.err) == (1, "", f"isa: error: {line}\n")
    else:
        assert (listed.code, listed.err) == (0, ""), listed.err


@pytest.mark.parametrize(
    "mail_from", [None, "isa-register@isa.local", "Register <x@box.localhost>", "a@b.invalid"]
)
def test_a_real_relay_with_a_from_that_cannot_receive_mail_is_refused_at_start(
    db: Database, isa, monkeypatch: pytest.MonkeyPatch, mail_from: str | None
) -> None:
    monkeypatch.setenv("ISA_SMTP_HOST", "smtp.council.example")
    if mail_from is None:
        monkeypatch.delenv("ISA_MAIL_FROM")  # the embedded default, isa-register@isa.local
    else:
        monkeypatch.setenv("ISA_MAIL_FROM", mail_from)
    before = db.snapshot()
    result = isa("outbox", "deliver")
    address = (mail_from or "isa-register@isa.local").split("<")[-1].rstrip(">")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        f"isa: error: ISA_MAIL_FROM: {address} cannot receive mail, and a relay is set "
        "(ISA_SMTP_HOST): set ISA_MAIL_FROM to the register's real mailbox\n"
    )
    assert db.snapshot() == before
    # without a relay the embedded mail sink takes it, as `make up` runs
    monkeypatch.delenv("ISA_SMTP_HOST")
    assert isa("agency", "list").code == 0


def test_recording_a_meeting_before_the_time_invited_says_its_invitation_is_cancelled(
    db: Database, isa, register, monkeypatch: pytest.MonkeyPatch
) -> None:
    chair = ("--as", "chair@group.example")
    assert isa("suspend", TRUST, "--reason", "A breach", "--as", "nia@trust.example").code == 0
    assert (
        isa(
            "meeting",
            "schedule",
            "SUS-2026-0001",
            "--at",
            "2026-12-08T10:00",
            "--place",
            "Room 2",
            *chair,
        ).code
        == 0
    )
    monkeypatch.setenv("ISA_NOW", "2026-11-30T15:00")
    recorded = isa(
        "meeting",
        "record",
        "SUS-2026-0001",
        "--outcome",
        "continue",
        "--attendee",
        "chair@group.example",
        "--risk-assessment",
        "Contained",
        *chair,
    )
    assert recorded.code == 0, recorded.err
    assert recorded.out.splitlines()[:2] == [
        "meeting for SUS-2026-0001 recorded: continue",
        "recorded as held on Monday 30 November 2026 at 15:00, before the time invited (Tuesday "
        "8 December 2026 at 10:00): the invitation is cancelled in every calendar",
    ]
    assert db.count("outbox", "event = 'suspension.meeting_held'") > 0
