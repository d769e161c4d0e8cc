"""The `isa` command line as a new user drives it: the README walkthrough, one-line errors with
exit code 1 that change nothing, and the audit chain that detects a hand-edited row."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from isa.cli import main
from isa.cli.reads import printable
from models.appendix_j import TEMPLATE
from tests.conftest import Database
from tests.integration.conftest import COUNCIL, NOW, TRUST


def test_the_readme_walkthrough_gets_an_arrangement_approved_and_active(isa, register) -> None:
    assert isa("arrangement", "template").out == TEMPLATE
    drafted = isa("arrangement", "draft", str(register), "--as", "jo@council.example", "--json")
    assert drafted.code == 0, drafted.err
    ref = json.loads(drafted.out)["events"][0]["arrangement"]
    assert ref == "ISA-2026-0001"
    assert isa("arrangement", "submit", ref, "--as", "jo@council.example").code == 0

    wrong = isa("arrangement", "approve", ref, "--as", "lee@trust.example")
    assert wrong.code == 1
    assert wrong.err == (
        f"isa: error: lee@trust.example is not a signatory of any party to {ref}: "
        f"may not approve {ref}\n"
    )

    first = isa("arrangement", "approve", ref, "--as", "sam@council.example")
    assert first.out == f"{COUNCIL} approved {ref} version 1; awaiting: {TRUST}\n"
    last = isa("arrangement", "approve", ref, "--as", "nia@trust.example")
    assert last.code == 0
    assert f"{ref} is active; next review due 2027-11-25" in last.out

    shown = json.loads(isa("arrangement", "show", ref, "--json").out)
    assert (shown["status"], shown["next_review_due"]) == ("active", "2027-11-25")
    assert [p["sign_off"].split(" by ")[0] for p in shown["parties"]] == ["approved", "approved"]
    listed = json.loads(isa("arrangement", "list", "--status", "active", "--json").out)
    assert [row["reference"] for row in listed] == [ref]

    verified = isa("audit", "verify")
    assert verified.code == 0
    assert verified.out.startswith("audit chain intact: ")
    log = isa("audit", "log", "--json")
    actions = [(row["action"], row["outcome"]) for row in json.loads(log.out)]
    assert ("arrangement.approve", "refused") in actions
    assert actions[-1] == ("arrangement.activate", "done")


def test_audit_verify_fails_naming_the_row_altered_by_hand(db: Database, isa, register) -> None:
    isa("arrangement", "draft", str(register), "--as", "jo@council.example")
    assert isa("audit", "verify").code == 0
    db.drop_audit_guards()
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'someone@else.example' WHERE seq = 3"))
    broken = isa("audit", "verify")
    assert broken.code == 1
    assert broken.err == (
        "isa: error: audit chain broken at audit event #3: has been altered: "
        "its content does not match its hash\n"
    )


def test_audit_verify_fails_when_a_row_is_deleted(db: Database, isa, register) -> None:
    db.drop_audit_guards()
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    broken = isa("audit", "verify")
    assert broken.code == 1
    assert "audit event #2: is missing" in broken.err


def test_audit_verify_fails_when_the_newest_row_is_deleted(db: Database, isa, register) -> None:
    db.drop_audit_guards()
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = (SELECT max(seq) FROM audit_event)"))
    broken = isa("audit", "verify")
    assert broken.code == 1
    assert "events were removed from the end" in broken.err


def _activated(isa, register: Path) -> str:  # type: ignore[no-untyped-def]
    """Draft the README's arrangement and have both signatories approve it: active."""
    drafted = isa("arrangement", "draft", str(register), "--as", "jo@council.example", "--json")
    ref = str(json.loads(drafted.out)["events"][0]["arrangement"])
    for argv in (
        ("submit", ref, "--as", "jo@council.example"),
        ("approve", ref, "--as", "sam@council.example"),
        ("approve", ref, "--as", "nia@trust.example"),
    ):
        result = isa("arrangement", *argv)
        assert result.code == 0, result.err
    return ref


BAD_INPUTS = [
    # (argv, the one line on stderr, whether a refusal is audited)
    (
        ("arrangement", "approve", "ISA-2026-9999", "--as", "sam@council.example"),
        "isa: error: no arrangement 'ISA-2026-9999' (see `isa arrangement list`)",
        False,
    ),
    (
        ("arrangement", "approve", "ISA-2026-0001", "--as", "jo@council.example"),
        "isa: error: jo@council.example is not a signatory of any party to ISA-2026-0001: may not approve ISA-2026-0001",
        True,
    ),
    (
        ("arrangement", "approve", "ISA-2026-0001", "--as", "sam@council.example"),
        "isa: error: cannot approve arrangement ISA-2026-0001: it is draft",
        True,
    ),
    (
        ("arrangement", "draft", "missing.yaml", "--as", "jo@council.example"),
        "isa: error: cannot read missing.yaml: No such file or directory",
        False,
    ),
    (
        (
            "training",
            "record",
            "lee@trust.example",
            "--course",
            "e-learning",
            "--completed",
            "25/11/2026",
        ),
        "isa: error: --completed: not a date: '25/11/2026' (expected YYYY-MM-DD)",
        False,
    ),
    (
        ("contact", "add", COUNCIL, "not-an-email", "--name", "X"),
        "isa: error: not a valid email address: 'not-an-email' (An email address must have an @-sign.)",
        False,
    ),
    (
        ("arrangement", "submit", "ISA-2026-0001", "--as", "nobody@nowhere.example"),
        "isa: error: nobody@nowhere.example is not a contact of any agency nor a chair",
        True,
    ),
    (
        (
            "review",
            "complete",
            "ISA-2026-0001",
            "--outcome",
            "extend",
            "--as",
            "sam@council.example",
        ),
        "isa: error: --outcome must be renew, amend or terminate, not 'extend'",
        False,
    ),
    (("agency", "add", COUNCIL), f"isa: error: agency '{COUNCIL}' is already registered", False),
    (
        (
            "meeting",
            "schedule",
            "SUS-2026-0001",
            "--at",
            "next tuesday",
            "--as",
            "chair@group.example",
        ),
        None,
        False,
    ),
    (
        ("suspend", TRUST, "--reason", "Breach", "--as", "sam@council.example"),
        f"isa: error: sam@council.example is not a signatory of {TRUST}: may not suspend {TRUST}",
        True,
    ),
    (
        ("withdraw", TRUST, "--reason", "  ", "--as", "nia@trust.example"),
        "isa: error: --reason is required",
        False,
    ),
    (("agency", "add", "X", "--security-standard", "iso9001"), None, False),
    (
        (
            "withdraw",
            TRUST,
            "--reason",
            "Leaving",
            "--effective",
            "2026-11-24",
            "--as",
            "nia@trust.example",
        ),
        "isa: error: --effective 2026-11-24 is in the past",
        False,
    ),
    (
        (
            "withdraw",
            TRUST,
            "--reason",
            "Leaving",
            "--effective",
            "soon",
            "--as",
            "nia@trust.example",
        ),
        None,
        False,
    ),
    (("sweep", "deadlines", "--as-of", "2026-13-01"), None, False),
]


@pytest.mark.parametrize(
    ("argv", "line", "audited"), BAD_INPUTS, ids=[" ".join(a[:3]) for a, _, _ in BAD_INPUTS]
)
def test_bad_input_is_one_line_on_stderr_exit_1_and_changes_nothing(
    db: Database,
    isa,
    register,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argv,
    line,
    audited,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert isa("arrangement", "draft", str(register), "--as", "jo@council.example").code == 0
    register_before = db.snapshot(exclude=("audit_event", "audit_head"))
    audit_before = db.count("audit_event")

    result = isa(*argv)

    assert result.code == 1
    assert result.out == ""
    assert result.err.count("\n") == 1 and result.err.startswith("isa: error: ")
    if line is not None:
        assert result.err.rstrip("\n") == line
    assert db.snapshot(exclude=("audit_event", "audit_head")) == register_before
    # a refusal of someone acting is itself recorded; bad input records nothing at all
    assert db.count("audit_event") == audit_before + (1 if audited else 0)
    assert isa("audit", "verify").code == 0


def test_a_malformed_form_names_the_field_and_drafts_nothing(db: Database, isa, register) -> None:
    register.write_text(register.read_text().replace("role: recipient", "role: receiver"))
    before = db.snapshot()
    result = isa("arrangement", "draft", str(register), "--as", "jo@council.example")
    assert result.code == 1
    assert result.err == (
        f"isa: error: {register}: parties[1].role: Input should be 'discloser', 'recipient' or 'both'\n"
    )
    assert db.snapshot() == before


def test_a_bad_isa_now_is_refused_before_anything_runs(
    isa, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISA_NOW", "yesterday")
    result = isa("agency", "list")
    assert result.code == 1
    assert result.err.startswith("isa: error: ISA_NOW: ")
    assert result.err.count("\n") == 1


def test_isa_now_rehearses_a_timeline(isa, register) -> None:
    isa("agency", "list")
    log = json.loads(isa("audit", "log", "--json", "--limit", "1").out)
    assert log[0]["occurred_at"] == "2026-11-25T10:00:00+00:00"


def test_a_database_that_was_never_migrated_says_how_to_set_it_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ISA_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SystemExit) as exit_:
        main(["agency", "list"])
    assert exit_.value.code == 1
    assert capsys.readouterr().err == (
        "isa: error: the register's database is not set up (see `isa db upgrade`)\n"
    )


def test_the_installed_isa_command_exits_1_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "ISA_DATABASE_URL": f"sqlite:///{tmp_path / 'isa.db'}"}
    isa_bin = Path(sys.executable).with_name("isa")
    up = subprocess.run([isa_bin, "db", "upgrade"], env=env, capture_output=True, text=True)
    assert up.returncode == 0, up.stderr
    bad = subprocess.run(
        [isa_bin, "arrangement", "show", "ISA-2026-0042"], env=env, capture_output=True, text=True
    )
    assert bad.returncode == 1
    assert bad.stderr == "isa: error: no arrangement 'ISA-2026-0042' (see `isa arrangement list`)\n"


def test_a_database_behind_the_latest_migration_says_to_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from core.db import head_revision, upgrade

    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url, "0001")
    monkeypatch.setenv("ISA_DATABASE_URL", url)
    with pytest.raises(SystemExit) as exit_:
        main(["agency", "list"])
    assert exit_.value.code == 1
    assert capsys.readouterr().err == (
        f"isa: error: the register's database is at revision 0001, this version needs "
        f"{head_revision()} (see `isa db upgrade`)\n"
    )


def test_a_point_of_contact_attests_access_and_records_a_leaver(isa, register) -> None:
    ref = _activated(isa, register)
    assert isa("contact", "add", TRUST, "kim@trust.example", "--name", "Kim Lowe").code == 0
    assert (
        isa(
            "training",
            "record",
            "kim@trust.example",
            "--course",
            "Protocol e-learning",
            "--completed",
            "2026-11-01",
            "--expires",
            "2027-11-01",
        ).code
        == 0
    )
    assert (
        isa(
            "contact",
            "add",
            TRUST,
            "ig@trust.example",
            "--name",
            "Ida Grey",
            "--role",
            "nominated_representative",
        ).code
        == 0
    )
    granted = isa(
        "access",
        "grant",
        ref,
        "kim@trust.example",
        "--justification",
        "Case work",
        "--as",
        "ig@trust.example",
    )
    assert granted.code == 0, granted.err
    wrong = isa("access", "attest", "GRT-2026-0001", "--as", "ig@trust.example")
    assert wrong.code == 1
    assert "is not a point of contact of Northshire NHS Trust" in wrong.err
    assert (
        isa("access", "attest", "GRT-2026-0001", "--as", "lee@trust.example").out
        == "need to know for GRT-2026-0001 attested\n"
    )
    left = isa("staff", "leaver", "kim@trust.example", "--as", "lee@trust.example")
    assert left.code == 0
    again = isa("staff", "leaver", "kim@trust.example", "--as", "lee@trust.example")
    assert (
        again.err
        == "isa: error: kim@trust.example is already recorded as having left Northshire NHS Trust\n"
    )


def test_disposal_is_listed_and_confirmed_from_the_command_line(isa, register) -> None:
    # reviewed every two months, its first review falls due inside its 90-day reminder window:
    # the review is open at once
    reviewed_often = register.with_name("reviewed-often.yaml")
    reviewed_often.write_text(
        register.read_text().replace("review_interval_months: 12\n", "review_interval_months: 2\n")
    )
    ref = _activated(isa, reviewed_often)
    ended = isa("review", "complete", ref, "--outcome", "terminate", "--as", "sam@council.example")
    assert ended.code == 0 and "the daily disposal sweep schedules" in ended.out
    from tasks.protocol.disposal import schedule_disposal

    assert (
        isa(
            "contact",
            "add",
            TRUST,
            "ig@trust.example",
            "--name",
            "Ida Grey",
            "--role",
            "nominated_representative",
        ).code
        == 0
    )
    # schedule as the trigger or the sweep would (the sweep itself is tested as a flow)
    import os

    import pendulum
    from sqlmodel import Session

    from tests.conftest import sealed_engine

    engine = sealed_engine(os.environ["ISA_DATABASE_URL"])
    with Session(engine) as session:
        schedule_disposal(
            session,
            arrangement=ref,
            actor="system:test",
            now=pendulum.parse(NOW, tz="Europe/London"),
        )  # type: ignore[arg-type]
    engine.dispose()
    listed = json.loads(isa("disposal", "list", "--json").out)
    assert [(row["task"], row["due_on"], row["status"]) for row in listed] == [
        ("DSP-2026-0001", "2028-11-25", "pending")
    ]
    assert json.loads(isa("disposal", "list", "--overdue", "--json").out) == []
    wrong = isa(
        "disposal",
        "confirm",
        "DSP-2026-0001",
        "--method",
        "Shredded",
        "--certificate",
        "C-1",
        "--as",
        "lee@trust.example",
    )
    assert (
        wrong.code == 1 and "is not a nominated representative of Northshire NHS Trust" in wrong.err
    )
    done = isa(
        "disposal",
        "confirm",
        "DSP-2026-0001",
        "--method",
        "Shredded",
        "--certificate",
        "C-1",
        "--as",
        "ig@trust.example",
    )
    assert done.out == f"disposal DSP-2026-0001 confirmed\n{ref} is closed\n"


def test_suspend_records_and_says_the_flow_starts_later_and_a_second_is_refused(
    db: Database, isa, register
) -> None:
    said = isa("suspend", TRUST, "--reason", "Laptop stolen", "--as", "nia@trust.example")
    assert said.code == 0, said.err
    assert said.out.splitlines() == [
        f"SUS-2026-0001: {TRUST} suspended; the resolution meeting must be held by 2026-12-09; "
        "the suspension ends 2026-12-25",
        "the Prefect server is not reachable: SUS-2026-0001 is recorded, and its flow starts "
        "when the server is back (at `isa up`, or the next delivery run)",
    ]
    before = db.snapshot(exclude=("audit_event", "audit_head"))
    again = isa("suspend", TRUST, "--reason", "Again", "--as", "nia@trust.example")
    assert (again.code, again.out) == (1, "")
    assert again.err == (
        f"isa: error: {TRUST} is already suspended under SUS-2026-0001 until 2026-12-25; "
        "a second suspension is refused\n"
    )
    assert db.snapshot(exclude=("audit_event", "audit_head")) == before


def test_withdraw_with_a_later_date_gives_notice_and_the_deadline_sweep_carries_it_out(
    db: Database, isa, register, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = isa(
        "withdraw",
        TRUST,
        "--reason",
        "Merging",
        "--effective",
        "2026-12-31",
        "--as",
        "nia@trust.example",
    )
    assert said.code == 0, said.err
    assert said.out.splitlines()[0] == (
        f"WDR-2026-0001: {TRUST} has given notice of withdrawal, effective 2026-12-31"
    )
    assert db.count("agency", "status = 'withdrawn'") == 0
    # a rehearsal of the effective date does not take an agency out before the clock gets there
    rehearsal = isa("sweep", "deadlines", "--as-of", "2026-12-31")
    assert rehearsal.code == 0, rehearsal.err
    assert "withdrawals 0" in rehearsal.out
    assert (
        "  held back until the clock reaches it: withdrawal taking effect of WDR-2026-0001 "
        "(effective 2026-12-31)"
    ) in rehearsal.out.splitlines()
    monkeypatch.setenv("ISA_NOW", "2026-12-31T06:50")
    swept = isa("sweep", "deadlines")
    assert swept.code == 0, swept.err
    assert "deadlines sweep 2026-12-31: suspensions 0, withdrawals 1" in swept.out
    assert db.count("agency", "status = 'withdrawn'") == 1
    again = isa("sweep", "deadlines")
    assert "withdrawals 0" in again.out


def test_a_meeting_that_decides_withdrawal_starts_the_withdrawal_flow(
    db: Database, isa, register
) -> None:
    assert isa("suspend", TRUST, "--reason", "Breach", "--as", "nia@trust.example").code == 0
    at = "2026-11-25T16:00"
    # a meeting needs a place, or the way to join it: refused without, and nothing written
    before = db.snapshot()
    nowhere = isa("meeting", "schedule", "SUS-2026-0001", "--at", at, "--as", "chair@group.example")
    assert nowhere.code != 0 and "--place" in nowhere.err
    assert db.snapshot() == before
    placed = isa(
        "meeting",
        "schedule",
        "SUS-2026-0001",
        "--at",
        at,
        "--place",
        "Room 2, County Hall",
        "--as",
        "chair@group.example",
    )
    assert placed.code == 0
    said = isa(
        "meeting",
        "record",
        "SUS-2026-0001",
        "--outcome",
        "withdraw",
        "--attendee",
        "nia@trust.example",
        "--risk-assessment",
        "Controls cannot be restored",
        "--as",
        "chair@group.example",
    )
    assert said.code == 0, said.err
    assert said.out.splitlines() == [
        "meeting for SUS-2026-0001 recorded: withdraw",
        # recorded at 10:00 for a meeting invited for 16:00: its invitation is withdrawn
        "recorded as held on Wednesday 25 November 2026 at 10:00, before the time invited "
        "(Wednesday 25 November 2026 at 16:00): the invitation is cancelled in every calendar",
        "the Prefect server is not reachable: WDR-2026-0001 is recorded, and its flow starts "
        "when the server is back (at `isa up`, or the next delivery run)",
    ]
    assert db.count("withdrawal", "status = 'completed'") == 1
    # the event that starts its flow waits, with why, for the next publication
    assert (
        db.count(
            "event_outbox",
            "event = 'isa.withdrawal.raised' AND reference = 'WDR-2026-0001' "
            "AND published_at IS NULL AND attempts = 1 AND last_error LIKE '%not reachable%'",
        )
        == 1
    )


def test_every_sweep_runs_from_the_command_line_with_the_prefect_server_down(
    db: Database, isa, register, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sweeps are the safety net for the server: they run their use cases here; the event
    that starts a matter's flow waits in the event outbox, not in the sweep."""
    assert isa("suspend", TRUST, "--reason", "Breach", "--as", "nia@trust.example").code == 0
    monkeypatch.setenv("ISA_NOW", "2026-11-25T12:00")
    swept = isa("sweep", "deadlines")
    assert swept.code == 0, swept.err
    assert swept.out.splitlines() == [
        "deadlines sweep 2026-11-25: suspensions 0, withdrawals 0, consent notices 0, data quality 0, onward sharing 0, information requests 0, incidents 0; emails queued 0, sent 0 "
        "(the SMTP relay is unreachable: the emails wait in the outbox)"
    ]
    # the suspension's event (its flow sends its emails)
    assert db.count("event_outbox", "published_at IS NULL") == 1
    for which in ("reviews", "access", "disposal", "monitoring", "all"):
        result = isa("sweep", which)
        assert result.code == 0, (which, result.err)
        assert result.err == ""
    assert db.count("audit_event", "action = 'monitoring.report'") == 1


def test_a_rehearsed_sweep_says_what_it_held_back_and_does_none_of_it(
    db: Database, isa, register
) -> None:
    ref = _activated(isa, register)
    # 25 Nov 2026: the review falls due 25 Nov 2027 and would lapse 90 days later
    for day in ("2027-11-25", "2027-11-26", "2027-12-26"):
        assert isa("sweep", "reviews", "--as-of", day).code == 0
    before = db.snapshot(exclude=("audit_event", "audit_head", "outbox", "outbox_message"))
    rehearsal = isa("sweep", "reviews", "--as-of", "2028-03-15")
    assert rehearsal.code == 0, rehearsal.err
    assert "overdue 0" in rehearsal.out
    assert (
        f"  held back until the clock reaches it: lapse of {ref} (lapses 2028-02-23)"
        in rehearsal.out.splitlines()
    )
    assert db.snapshot(exclude=("audit_event", "audit_head", "outbox", "outbox_message")) == before
    assert db.count("outbox", "event = 'arrangement.lapsed'") == 0


def test_an_audit_checkpoint_is_kept_emailed_to_the_chairs_and_verified_against(
    db: Database, isa, register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = tmp_path / "checkpoints"
    monkeypatch.setenv("ISA_CHECKPOINT_DIR", str(kept))
    _activated(isa, register)
    taken = isa("audit", "checkpoint", "--json")
    assert taken.code == 0, taken.err
    checkpoint = json.loads(taken.out)
    (path,) = kept.iterdir()
    assert str(path) == checkpoint["file"]
    assert (kept.stat().st_mode & 0o777, path.stat().st_mode & 0o777) == (0o700, 0o600)
    assert db.recipients("audit.checkpoint") == {"chair@group.example"}
    verified = isa("audit", "verify")
    assert verified.code == 0, verified.err
    assert f"extends 1 checkpoint (the latest of event #{checkpoint['seq']})" in verified.out
    assert isa("audit", "verify", "--checkpoint", "latest").code == 0
    assert isa("audit", "verify", "--checkpoint", str(path)).code == 0
    # the last events cut away and the head moved back: the chair's copy still shows it
    chairs_copy = tmp_path / "chairs-copy.json"
    chairs_copy.write_text(path.read_text())
    path.unlink()
    db.drop_audit_guards()
    with db.engine.begin() as conn:
        seq = checkpoint["seq"] - 2
        head = conn.execute(text(f"SELECT hash FROM audit_event WHERE seq = {seq}")).scalar()
        conn.execute(text(f"DELETE FROM audit_event WHERE seq > {seq}"))
        conn.execute(text(f"UPDATE audit_head SET seq = {seq}, hash = '{head}'"))
    cut = isa("audit", "verify", "--checkpoint", str(chairs_copy))
    assert cut.code == 1
    assert cut.err.startswith(
        f"isa: error: audit log cut back or rewritten: the log ends at event #{seq} but the "
        f"checkpoint of {checkpoint['at']} ({chairs_copy}) records event #{checkpoint['seq']}"
    )
    assert len(cut.err.splitlines()) == 1
    assert isa("audit", "verify", "--checkpoint", "latest").err == (
        f"isa: error: no checkpoint is kept in {kept}: take one first (see `isa audit checkpoint`)\n"
    )


def test_the_audit_log_names_its_channel_and_os_user_and_prints_no_control_characters(
    db: Database, isa, register, tmp_path: Path
) -> None:
    form = tmp_path / "forged.yaml"
    # a title that would print a second, forged line in the log is refused as the form is read
    lines = register.read_text().splitlines()
    lines = [
        'title: "X\\n#9999 2026-11-25 10:00:00  done  agency.withdraw"'
        if line.startswith("title:")
        else line
        for line in lines
    ]
    form.write_text("\n".join(lines) + "\n")
    before = db.snapshot()
    refused = isa("arrangement", "draft", str(form), "--as", "jo@council.example")
    assert refused.code == 1
    assert refused.err.endswith("title: must be one line without control characters\n")
    assert db.snapshot() == before
    log = isa("audit", "log")
    assert log.code == 0, log.err
    rows = json.loads(isa("audit", "log", "--json").out)
    assert {row["channel"] for row in rows} == {"cli"}
    assert all(row["os_user"] for row in rows)
    assert "[cli, os user " in log.out.splitlines()[0]
    # and should a value with a control character ever reach the log, it prints escaped
    assert printable("X\n#9999\x1b[2J") == "X\\n#9999\\x1b[2J"


@pytest.mark.parametrize(
    "argv",
    [
        ("agency", "add", "Another Agency"),
        ("contact", "add", COUNCIL, "new@council.example", "--name", "New Person"),
        ("chair", "add", "chair2@group.example", "--name", "Second Chair"),
        ("training", "record", "jo@council.example", "--course", "IG", "--completed", "2026-11-01"),
    ],
)
def test_the_setup_commands_take_as_only_a_registered_address(
    db: Database, isa, register, argv: tuple[str, ...]
) -> None:
    # a forged line in the log: refused before anything is written, audit included
    before = db.snapshot()
    forged = isa(*argv, "--as", "x\n#9999 2026-11-25 10:00:00  done  agency.withdraw")
    assert forged.code == 1
    assert forged.err.startswith("isa: error: --as ") and len(forged.err.splitlines()) == 1
    assert db.snapshot() == before
    # an address the register does not know: refused, and the refusal audited against it
    stranger = isa(*argv, "--as", "Stranger@Nowhere.example")
    assert stranger.code == 1
    assert stranger.err == (
        "isa: error: stranger@nowhere.example is not a contact of any agency nor a chair\n"
    )
    assert db.snapshot(exclude=("audit_event", "audit_head")) == {
        k: v for k, v in before.items() if k not in ("audit_event", "audit_head")
    }
    with db.engine.connect() as conn:
        actor, outcome, os_user = conn.execute(
            text("SELECT actor, outcome, os_user FROM audit_event ORDER BY seq DESC LIMIT 1")
        ).one()
    assert (actor, outcome) == ("stranger@nowhere.example", "refused") and os_user
    # a registered contact may, and the log names them and the operating-system user
    done = isa(*argv, "--as", "sam@council.example")
    assert done.code == 0, done.err
    with db.engine.connect() as conn:
        actor, channel, os_user = conn.execute(
            text("SELECT actor, channel, os_user FROM audit_event ORDER BY seq DESC LIMIT 1")
        ).one()
    assert (actor, channel) == ("sam@council.example", "cli") and os_user


def test_review_complete_before_the_review_is_open_is_refused_in_one_line_writing_nothing_else(
    db: Database, isa, register
) -> None:
    ref = _activated(isa, register)  # active on 25 Nov 2026: review due 25 Nov 2027
    before = db.snapshot(exclude=("audit_event", "audit_head"))
    audit_before = db.count("audit_event")
    early = isa("review", "complete", ref, "--outcome", "renew", "--as", "sam@council.example")
    assert early.code == 1
    assert early.err == (
        f"isa: error: no review of {ref} is open: it falls due on 25 November 2027 and opens "
        "for early completion on 27 August 2027\n"
    )
    assert early.out == ""
    assert db.snapshot(exclude=("audit_event", "audit_head")) == before
    assert db.count("audit_event") == audit_before + 1
    actions = [
        (row["action"], row["outcome"]) for row in json.loads(isa("audit", "log", "--json").out)
    ]
    assert actions[-1] == ("review.complete", "refused")
    shown = json.loads(isa("arrangement", "show", ref, "--json").out)
    assert (shown["status"], shown["next_review_due"]) == ("active", "2027-11-25")
