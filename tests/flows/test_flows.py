"""End-to-end flow runs under the Prefect test harness: the approval chase, the review ladder,
lapse, idempotency, replay with `as_of`, run names, artifacts, and the emails arriving."""

import time

import pendulum
import pytest
from sqlmodel import Session

from flows.approval import approval
from flows.deliver_outbox import deliver_outbox
from flows.monitoring_review import monitoring_review
from flows.review_sweep import review_sweep
from tasks import runtime
from tasks.protocol.approvals import approve_arrangement
from tasks.protocol.arrangements import submit_arrangement
from tests.conftest import Database
from tests.utils.factories import COUNCIL, TRUST, People, active, drafted, seed_agencies
from tests.utils.prefect_runs import artifacts_of, run_flow
from tests.utils.smtp import SMTPServer

NOW = pendulum.datetime(2026, 11, 25, 10, tz="Europe/London").in_timezone("UTC")
DUE = pendulum.date(2027, 11, 25)


@pytest.fixture
def register(
    flow_db: Database, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch
) -> tuple[Database, People, str]:
    monkeypatch.setenv("ISA_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("ISA_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("ISA_NOW", NOW.isoformat())
    runtime.settings.cache_clear()
    with Session(flow_db.engine, expire_on_commit=False) as session:
        people = seed_agencies(session, NOW)
        ref = active(session, people, NOW)
    return flow_db, people, ref


def test_the_review_sweep_reminds_delivers_and_publishes_what_it_did(
    register, smtp_server: SMTPServer
) -> None:
    _db, people, ref = register
    smtp_server.received.clear()
    result, name, run_id = run_flow(review_sweep, as_of=DUE.subtract(days=7))
    assert name == "review-sweep-2027-11-18"
    assert result["phases"]["reminders"] == 1
    assert result["queued"] == 4
    assert result["delivery"]["sent"] >= 4
    reminded = {r for m in smtp_server.received for r in m.rcpt_tos if ref in m.message["Subject"]}
    assert people.signatory[TRUST] in reminded and people.poc[COUNCIL] in reminded
    tables = [a for a in artifacts_of(run_id) if a.key == "review-sweep"]
    assert len(tables) == 1
    assert ref in str(tables[0].data)


def test_the_review_sweep_run_twice_the_same_day_queues_nothing_new(register) -> None:
    db, _people, _ref = register
    first, _, _ = run_flow(review_sweep, as_of=DUE.add(days=31))
    assert first["queued"] > 0
    outbox = db.count("outbox")
    second, _, _ = run_flow(review_sweep, as_of=DUE.add(days=31))
    assert second["queued"] == 0
    assert all(count == 0 for count in second["phases"].values())
    assert db.count("outbox") == outbox


def test_every_rung_then_opening_then_escalation_then_lapse_through_the_flow(
    register, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _people, ref = register
    lapse_day = DUE.add(days=90)
    for day, phase in (
        (DUE.subtract(days=90), "reminders"),
        (DUE.subtract(days=30), "reminders"),
        (DUE.subtract(days=7), "reminders"),
        (DUE, "opened"),
        (DUE.add(days=1), "overdue"),
        (DUE.add(days=30), "overdue"),
    ):
        result, name, _ = run_flow(review_sweep, as_of=day)
        assert result["phases"][phase] == 1, (day, result)
        assert name == f"review-sweep-{day.isoformat()}"
    # rehearsed before its day the lapse, which cannot be undone, is held back and said so
    rehearsal, _, run_id = run_flow(review_sweep, as_of=lapse_day)
    assert rehearsal["phases"]["overdue"] == 0
    assert rehearsal["held"] == [
        {"reference": ref, "action": "lapse", "detail": f"lapses {lapse_day}", "phase": "overdue"}
    ]
    assert db.count("arrangement", f"reference = '{ref}' AND status = 'under_review'") == 1
    (table,) = [a for a in artifacts_of(run_id) if a.key == "review-sweep"]
    assert "held back until the clock reaches it: lapse" in str(table.data)
    # once the clock reaches the day it lapses
    monkeypatch.setenv("ISA_NOW", f"{lapse_day.isoformat()}T07:00")
    runtime.settings.cache_clear()
    result, _, _ = run_flow(review_sweep, as_of=lapse_day)
    assert result["phases"]["overdue"] == 1, result
    assert db.count("arrangement", f"reference = '{ref}' AND status = 'lapsed'") == 1
    assert db.count("outbox", "event = 'arrangement.lapsed'") > 0


def test_the_approval_flow_chases_missing_sign_offs_on_days_7_and_14(
    flow_db: Database, smtp_server: SMTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISA_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("ISA_SMTP_PORT", str(smtp_server.port))
    runtime.settings.cache_clear()
    with Session(flow_db.engine, expire_on_commit=False) as session:
        people = seed_agencies(session, NOW)
        ref = drafted(session, people, NOW)
        submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=NOW)
        approve_arrangement(session, reference=ref, actor=people.signatory[COUNCIL], now=NOW)
    today = pendulum.date(2026, 11, 25)
    first, name, _ = run_flow(approval, arrangement=ref, as_of=today, schedule_checks=False)
    assert name == f"approval-{ref}-2026-11-25"
    assert first["chased"] == []
    # the approval request reached the trust's signatory at submission
    assert smtp_server.recorder.to(people.signatory[TRUST])
    day7, _, _ = run_flow(approval, arrangement=ref, as_of=today.add(days=7), schedule_checks=False)
    assert [c["action"] for c in day7["chased"]] == ["signatories reminded"]
    again, _, _ = run_flow(
        approval, arrangement=ref, as_of=today.add(days=7), schedule_checks=False
    )
    assert again["chased"] == []
    day14, _, _ = run_flow(
        approval, arrangement=ref, as_of=today.add(days=14), schedule_checks=False
    )
    assert [c["action"] for c in day14["chased"]] == ["escalated to the chairs"]
    assert smtp_server.recorder.to(people.chair)


def test_the_monitoring_review_publishes_a_markdown_summary_and_emails_the_chairs(
    register, smtp_server: SMTPServer
) -> None:
    _db, people, _ref = register
    result, name, run_id = run_flow(monitoring_review, as_of=pendulum.date(2027, 3, 31))
    assert name == "monitoring-review-2027-03-31"
    assert "| active | 1 |" in result["markdown"]
    markdown = [a for a in artifacts_of(run_id) if a.key == "monitoring-review"]
    assert markdown and "Register summary" in str(markdown[0].data)
    assert any(
        "monitoring" in m.message["Subject"].lower() for m in smtp_server.recorder.to(people.chair)
    )


def test_the_delivery_flow_sends_what_is_due(register, smtp_server: SMTPServer) -> None:
    db, _people, _ref = register
    pending = db.count("outbox", "status = 'pending'")
    assert pending > 0
    result, _, _ = run_flow(deliver_outbox)
    assert result["sent"] == pending
    assert db.count("outbox", "status = 'pending'") == 0


def test_delivery_runs_of_one_minute_are_named_apart_each_for_what_it_did(
    register, smtp_server: SMTPServer
) -> None:
    db, _people, _ref = register
    pending = db.count("outbox", "status = 'pending'")
    names = [run_flow(deliver_outbox)[1] for _ in range(3)]
    assert len(set(names)) == 3, names
    assert names[0].startswith(f"deliver-outbox-2026-11-25T10:00-sent-{pending}-"), names
    assert all(n.startswith("deliver-outbox-2026-11-25T10:00-nothing-due-") for n in names[1:])


def test_a_triggered_delivery_run_sends_what_is_queued_while_it_settles(
    register, smtp_server: SMTPServer
) -> None:
    """The run `isa.outbox.queued` starts keeps sending for its settle window: an email a
    change queues once the run has sent the rest goes out in that run, not at the next schedule."""
    import threading

    from tasks.protocol.suspensions import raise_suspension

    db, people, _ref = register
    first, rows = db.count("outbox", "status = 'pending'"), db.count("outbox")

    def a_change_meanwhile() -> None:
        # once the run has sent what was queued before it, it is in its settle window
        deadline = time.monotonic() + 120
        while db.count("outbox", "status = 'pending'") and time.monotonic() < deadline:
            time.sleep(0.1)
        with Session(db.engine, expire_on_commit=False) as session:
            raise_suspension(
                session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=NOW
            )

    meanwhile = threading.Thread(target=a_change_meanwhile)
    meanwhile.start()
    started = time.monotonic()
    result, _, _ = run_flow(deliver_outbox, settle_seconds=5)
    meanwhile.join()
    later = db.count("outbox") - rows
    assert later > 0 and time.monotonic() - started >= 5
    assert result["sent"] == first + later
    assert db.count("outbox", "status = 'pending'") == 0


def test_a_relay_outage_fails_the_delivery_run_and_keeps_every_email(
    register, smtp_server: SMTPServer
) -> None:
    db, _people, _ref = register
    pending = db.count("outbox", "status = 'pending'")
    smtp_server.go_down()
    state = deliver_outbox(return_state=True)
    assert state.is_failed()
    assert "SMTP relay unreachable" in str(state.message) or "SMTP relay unreachable" in repr(
        state.result(raise_on_failure=False)
    )
    assert db.count("outbox", "status = 'pending'") == pending
    smtp_server.come_back()
    result, _, _ = run_flow(deliver_outbox)
    assert result["sent"] == pending


def test_the_access_sweep_revokes_a_leavers_access_and_publishes_it(register) -> None:
    from flows.access_sweep import access_sweep
    from tasks.protocol.access import mark_leaver
    from tests.utils.factories import granted

    db, people, ref = register
    with Session(db.engine, expire_on_commit=False) as session:
        grant = granted(session, people, ref, TRUST, NOW)
        mark_leaver(session, email=people.staff[TRUST], actor=people.poc[TRUST], now=NOW)
    result, name, run_id = run_flow(access_sweep, as_of=pendulum.date(2026, 11, 26))
    assert name == "access-sweep-2026-11-26"
    assert result["phases"]["revoked"] == 1
    assert db.count("access_grant", f"reference = '{grant}' AND status = 'revoked'") == 1
    tables = [a for a in artifacts_of(run_id) if a.key == "access-sweep"]
    assert tables and grant in str(tables[0].data)
    again, _, _ = run_flow(access_sweep, as_of=pendulum.date(2026, 11, 26))
    assert again["queued"] == 0 and all(n == 0 for n in again["phases"].values())


def test_the_disposal_sweep_schedules_an_ended_arrangement_and_publishes_it(
    register, smtp_server: SMTPServer
) -> None:
    from flows.disposal_sweep import disposal_sweep
    from models.enums import ReviewOutcome
    from tasks.protocol.reviews import complete_review
    from tests.utils.factories import reviewable

    db, people, _ref = register
    with Session(db.engine, expire_on_commit=False) as session:
        # reviewed every two months: its review is open at once, so it can be ended today
        ref = reviewable(session, people, NOW)
        complete_review(
            session,
            reference=ref,
            outcome=ReviewOutcome.TERMINATE,
            actor=people.signatory[COUNCIL],
            now=NOW,
        )
    result, name, run_id = run_flow(disposal_sweep, as_of=pendulum.date(2026, 11, 25))
    assert name == "disposal-sweep-2026-11-25"
    assert result["phases"]["scheduled"] == 1
    # the artifact counts the scheduling emails too
    assert result["queued"] == db.count("outbox", "event = 'disposal.scheduled'") > 0
    assert db.count("disposal_task", "status = 'pending' AND due_on = '2028-11-25'") == 1
    assert smtp_server.recorder.to(people.rep[TRUST])
    tables = [a for a in artifacts_of(run_id) if a.key == "disposal-sweep"]
    assert tables and ref in str(tables[0].data)


def test_the_daily_checkpoint_is_published_as_an_artifact_kept_and_emailed_to_the_chairs(
    register, smtp_server: SMTPServer, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.audit_checkpoint import audit_checkpoint
    from tasks.audit import stored_checkpoints, verify_audit

    db, people, _ref = register
    monkeypatch.setenv("ISA_CHECKPOINT_DIR", str(tmp_path / "checkpoints"))
    runtime.settings.cache_clear()
    smtp_server.received.clear()
    result, name, run_id = run_flow(audit_checkpoint)
    assert name == "audit-checkpoint-2026-11-25"
    (artifact,) = [a for a in artifacts_of(run_id) if a.key == "audit-checkpoint"]
    assert f'"seq": {result["seq"]}' in str(artifact.data)
    assert result["signature"] in str(artifact.data)
    (mail,) = smtp_server.recorder.to(people.chair)
    assert mail.message["Subject"].startswith(f"Audit log checkpoint: event #{result['seq']}")
    kept = stored_checkpoints(tmp_path / "checkpoints")
    assert [c.seq for _, c in kept] == [result["seq"]]
    with Session(db.engine) as session:
        assert verify_audit(session, kept).broken is None
