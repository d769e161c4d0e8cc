"""Names and addresses in any language: an agency is found again whatever the case or spacing
of its name and whatever its script, names differing only so are one name, and an address the
register cannot send to is refused at input, or, recorded before, never stops a change."""

import json

import pytest
from sqlalchemy import text

from tests.conftest import Database
from tests.integration.conftest import TRUST

WELSH = "Ysbyty Ó Dálaigh NHS Trust"


def test_an_agency_with_a_non_ascii_capital_is_found_again_in_any_case(
    db: Database, isa, register
) -> None:
    added = isa("agency", "add", WELSH)
    assert added.code == 0, added.err
    person = ("contact", "add", "ysbyty ó dálaigh nhs trust", "rhys@ysbyty.example")
    added = isa(*person, "--name", "Rhys Ó Dálaigh", "--role", "signatory")
    assert added.code == 0, added.err
    listed = json.loads(isa("contact", "list", "YSBYTY Ó DÁLAIGH  NHS   TRUST", "--json").out)
    assert [(row["agency"], row["email"]) for row in listed] == [(WELSH, "rhys@ysbyty.example")]


@pytest.mark.parametrize(
    "same",
    [
        "northshire nhs trust",
        "  Northshire   NHS Trust ",
        "NORTHSHIRE NHS TRUST",
        "Ｎorthshire NHS Trust",
    ],
)
def test_a_name_differing_only_in_case_spacing_or_width_is_the_same_agency(
    db: Database, isa, register, same: str
) -> None:
    before = db.snapshot()
    refused = isa("agency", "add", same)
    assert (refused.code, refused.err) == (
        1,
        f"isa: error: agency {same.strip()!r} is already registered as {TRUST!r}\n",
    )
    assert db.snapshot(exclude=("audit_event", "audit_head")) == {
        k: v for k, v in before.items() if k not in ("audit_event", "audit_head")
    }


def test_the_database_itself_refuses_two_agencies_with_one_name_key(db: Database, register) -> None:
    with pytest.raises(Exception, match=r"(?i)unique"), db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO agency (name, name_key, status, created_at) "
                "SELECT 'NORTHSHIRE NHS TRUST', name_key, status, created_at FROM agency "
                "WHERE name = :n"
            ),
            {"n": TRUST},
        )


def test_an_address_with_a_non_ascii_mailbox_name_is_refused_at_input(
    db: Database, isa, register
) -> None:
    before = db.snapshot()
    refused = isa("contact", "add", TRUST, "zoë@trust.example", "--name", "Zoë")
    assert refused.code == 1
    assert refused.err == (
        "isa: error: 'zoë@trust.example': the mailbox name (before the @) is not ASCII, which "
        "only relays offering SMTPUTF8 deliver: record the person's ASCII address\n"
    )
    assert db.snapshot() == before


def test_an_unsendable_address_recorded_before_never_stops_a_change(
    db: Database, isa, register
) -> None:
    # a register from before input refused it may hold one: the suspension is still recorded
    # and its email to that person is queued failed, with the reason
    second = ("contact", "add", TRUST, "zoe@trust.example", "--name", "Zoë", "--role", "signatory")
    assert isa(*second).code == 0
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE contact SET email = 'zoë@trust.example' WHERE email = 'zoe@trust.example'")
        )
    raised = isa("suspend", TRUST, "--reason", "A breach", "--as", "nia@trust.example")
    assert raised.code == 0, raised.err
    assert db.count("suspension") == 1
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT recipient, status, last_error FROM outbox WHERE status = 'failed'")
        ).all()
    assert rows == [
        (
            "zoë@trust.example",
            "failed",
            "cannot send to zoë@trust.example: its mailbox name (before the @) is not ASCII, "
            "which needs SMTPUTF8; record an ASCII address for this person",
        )
    ]
    assert db.count("outbox", "status = 'pending'") > 0
    failed = isa("outbox", "list", "--status", "failed")
    assert failed.code == 0 and "zoë@trust.example" in failed.out and "SMTPUTF8" in failed.out
    assert isa("audit", "verify").code == 0


def test_an_agency_is_placed_in_its_nation_whose_holidays_its_deadlines_keep(
    db: Database, isa, register
) -> None:
    added = isa("agency", "add", "Police Scotland", "--nation", "scotland", "--json")
    assert added.code == 0, added.err
    listed = {row["name"]: row["nation"] for row in json.loads(isa("agency", "list", "--json").out)}
    assert listed["Police Scotland"] == "scotland"
    assert listed[TRUST] == "england_and_wales"
    assert "Police Scotland  [member]  ICO -  -  scotland" in isa("agency", "list").out
    before = db.snapshot()
    wrong = isa("agency", "add", "Somewhere", "--nation", "wales")
    assert wrong.code == 1 and wrong.err.count("\n") == 1 and "--nation" in wrong.err
    assert db.snapshot() == before
