"""`isa overview` over the sample register with a suspension and a withdrawal raised: what is
overdue and with whom, each deadline of the next 30 days with its day count, what changed in the
last day; a bad --days is refused in one line and writes nothing."""

import json

import pendulum
from sqlmodel import Session

from tasks.sample import AGENCIES, load_sample_register
from tests.conftest import Database

POLICE, SCHOOLS = AGENCIES["police"][0], AGENCIES["schools"][0]


def test_the_overview_lists_the_sample_registers_deadlines_and_the_days_changes(
    db: Database, isa, session: Session, now: pendulum.DateTime
) -> None:  # type: ignore[no-untyped-def]
    load_sample_register(session, now=now)
    raised = isa(
        "suspend", POLICE, "--reason", "Laptop stolen", "--as", "signatory@police.sample.example"
    )
    assert raised.code == 0, raised.err
    noticed = isa(
        "withdraw",
        SCHOOLS,
        "--reason",
        "Merged",
        "--effective",
        "2026-12-20",
        "--as",
        "signatory@schools.sample.example",
    )
    assert noticed.code == 0, noticed.err

    shown = isa("overview", "--json")
    assert shown.code == 0, shown.err
    found = json.loads(shown.out)
    assert (found["as_of"], found["days"], found["until"]) == ("2026-11-25", 30, "2026-12-25")
    overdue = {(d["reference"], d["what"]) for d in found["overdue"]}
    coming = [(d["on"], d["reference"], d["what"], d["with_whom"]) for d in found["coming"]]
    # the sample register's review left overdue, with the people it lies with
    assert any(ref == "ISA-2025-0003" and "review overdue by" in what for ref, what in overdue)
    # the suspension raised today: its meeting by day 14, its end on day 30
    assert (
        "2026-12-09",
        "SUS-2026-0001",
        "day 0 of 30: meeting to set and hold",
        "the chairs",
    ) in (coming)
    assert ("2026-12-25", "SUS-2026-0001", "day 0 of 30: suspension ends", "every signatory") in (
        coming
    )
    assert ("2026-12-20", "WDR-2026-0001", "withdrawal takes effect", "the chairs") in coming
    # the arrangement waiting on a signatory, and who
    waiting = [d for d in found["coming"] + found["overdue"] if "awaiting approval" in d["what"]]
    assert waiting and all(d["with_whom"].startswith("signatories of ") for d in waiting)
    # in date order
    assert [d["on"] for d in found["coming"]] == sorted(d["on"] for d in found["coming"])
    # what changed today, by action, with the references
    assert any("SUS-2026-0001" in c["references"] for c in found["changed"].values())
    assert any("WDR-2026-0001" in c["references"] for c in found["changed"].values())

    text = isa("overview", "--days", "7")
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert lines[0] == "Register overview for 2026-11-25: overdue, and due by 2026-12-02"
    assert "Coming in the next 7 days (" in text.out
    # a week ahead: the suspension's end on day 30 is not yet listed
    assert "suspension ends" not in text.out
    assert "review overdue by" in text.out


def test_a_bad_number_of_days_is_refused_in_one_line_and_writes_nothing(db: Database, isa) -> None:  # type: ignore[no-untyped-def]
    before = db.snapshot()
    for days, line in (
        ("0", "--days must be at least 1, not 0"),
        ("400", "--days must be at most 366, not 400"),
    ):
        refused = isa("overview", "--days", days)
        assert (refused.code, refused.out, refused.err) == (1, "", f"isa: error: {line}\n")
    assert db.snapshot() == before
