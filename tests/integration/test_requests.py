"""Information requests touching shared data (§7) on both backends: the agency that received an
FOI or subject access request records it with its statutory due date; each originating agency
is consulted at once and replies from its link; the agency records the outcome (from the link in
its reminder, or the command line) and the originators are told; the deadline sweep reminds
before the due date, tells the DPO and the chairs after it, and chases an unanswered
consultation; the wrong role and bad input are refused and write nothing else."""

import email
import json
import re
from email.policy import default as default_policy
from typing import Any

import pendulum
import pytest
from sqlmodel import Session, select

from core.settings import Settings
from models.enums import ConsultationStatus, InformationRequestStatus, OutboxStatus
from models.errors import IllegalTransition, InvalidInput, Refused
from models.tables import InformationRequest, RequestConsultation
from notifications.delivery import deliver_outbox_sync
from notifications.tables import OutboxEmail, OutboxMessage
from tasks.chasing import chase_matter
from tasks.protocol.requests import close_request, record_request, reply_to_consultation
from tests.conftest import Database
from tests.utils import smtp
from tests.utils.factories import COUNCIL, POLICE, TRUST, People, active, parties, seed_agencies
from tests.utils.portal import audit, form_of, opened, portal_at, signed_in, token_for
from tests.utils.smtp import SMTPServer

smtp_server = smtp.smtp_server  # the fixture: a real aiosmtpd server on a free port

# the council and the police disclose to the trust, which receives the request
SHARED = parties((COUNCIL, "discloser"), (POLICE, "discloser"), (TRUST, "recipient"))
# what a refusal writes: its audit event (and, from the portal, its count against the limits)
AUDITED = ("audit_event", "audit_head", "portal_attempt")
ASKED = "Numbers of joint referrals in 2025-26, by month"
# received Friday 20 November 2026: 20 UK working days on (St Andrew's Day, Monday 30 November,
# not one of them) is Monday 21 December; the consultations sent Wednesday 25 November are
# answered by Wednesday 2 December
DUE = "2026-12-21"
REPLY_BY = "2026-12-02"


@pytest.fixture
def shared(session: Session, people: People, now: pendulum.DateTime) -> str:
    return active(session, people, now, parties=SHARED)


def _record(
    session: Session, people: People, now: pendulum.DateTime, ref: str, **kw: Any
) -> list[dict[str, Any]]:
    given: dict[str, Any] = {
        "agency": TRUST,
        "kind": "foi",
        "received_on": "2026-11-20",
        "their_ref": "FOI/2026/0412",
        "arrangements": [ref],
        "summary": ASKED,
        "actor": people.rep[TRUST],
        **kw,
    }
    return [e.as_dict() for e in record_request(session, now=now, **given)]


def _emails(db: Database, event: str) -> list[OutboxEmail]:
    with db.session() as session:
        return list(
            session.exec(
                select(OutboxEmail).where(OutboxEmail.event == event).order_by(OutboxEmail.id)  # type: ignore[arg-type]
            ).all()
        )


def _text(db: Database, queued: OutboxEmail) -> str:
    """The plain-text part of the email as queued."""
    with db.session() as session:
        raw = session.exec(
            select(OutboxMessage.message).where(OutboxMessage.outbox_id == queued.id)
        ).one()
    parsed = email.message_from_string(raw, policy=default_policy)
    body = parsed.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    assert body is not None
    return str(body.get_content())


def _request(db: Database) -> InformationRequest:
    with db.session() as session:
        return session.exec(select(InformationRequest)).one()


def _consultations(db: Database) -> dict[str, RequestConsultation]:
    with db.session() as session:
        return {c.reference: c for c in session.exec(select(RequestConsultation)).all()}


def _refused(db: Database, action: str) -> int:
    return len([e for e in audit(db, action) if e.outcome.value == "refused"])


def test_a_request_is_recorded_with_its_statutory_due_date_and_each_originator_consulted(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    events = _record(session, people, now, shared)
    recorded = events[0]
    assert recorded["request"] == "IRQ-2026-0001" and recorded["due_on"] == DUE
    assert recorded["consulted"] == (COUNCIL, POLICE)
    held = _request(db)
    assert held.status == InformationRequestStatus.OPEN and str(held.due_on) == DUE
    consulted = _consultations(db)
    assert sorted(consulted) == ["IRC-2026-0001", "IRC-2026-0002"]
    assert {str(c.reply_by) for c in consulted.values()} == {REPLY_BY}
    sent = _emails(db, "request.consultation_sent")
    assert {e.recipient for e in sent} == {people.rep[COUNCIL], people.rep[POLICE]}
    assert all("reply by Wednesday 2 December 2026" in e.subject for e in sent), sent[0].subject
    # the agency's own reference and the summary travel; nothing else about anyone
    assert all("FOI/2026/0412" in _text(db, e) and ASKED in _text(db, e) for e in sent)


def test_a_subject_access_request_is_due_a_calendar_month_on_at_the_next_working_day(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    # one month on from 25 November is Christmas Day; then the weekend and Boxing Day's
    # substitute Monday
    _record(session, people, now, shared, kind="sar", received_on="2026-11-25")
    assert str(_request(db).due_on) == "2026-12-29"


def test_only_the_receiving_agency_s_handlers_record_and_only_for_data_it_received(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    before = db.snapshot(exclude=AUDITED)
    with pytest.raises(Refused, match="not a nominated representative, point of contact or dpo"):
        _record(session, people, now, shared, actor=people.staff[TRUST])
    # the council discloses under it: a request it received is not for data shared with it
    with pytest.raises(Refused, match="receives no data under"):
        _record(session, people, now, shared, agency=COUNCIL, actor=people.rep[COUNCIL])
    assert db.snapshot(exclude=AUDITED) == before
    assert _refused(db, "request.record") == 2
    # a point of contact or the DPO may record it; the same case twice is refused
    _record(session, people, now, shared, actor=people.dpo[TRUST])
    with pytest.raises(Refused, match="is already IRQ-2026-0001"):
        _record(session, people, now, shared, actor=people.poc[TRUST])


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"kind": "eir"}, "the kind of request"),
        ({"received_on": "2026-11-26"}, "is in the future"),
        ({"received_on": "20/11/2026"}, "not a date"),
        ({"their_ref": "Jane Smith"}, "case or record number"),
        ({"their_ref": " "}, "reference for the request is required"),
        ({"summary": "  "}, "the summary is required"),
        ({"summary": "a\x1b[2Jrepaint"}, "the summary"),
        ({"arrangements": []}, "an arrangement is required"),
    ],
)
def test_bad_input_is_refused_in_one_line_and_writes_nothing(
    db: Database,
    session: Session,
    people: People,
    now: pendulum.DateTime,
    shared: str,
    change: dict[str, Any],
    named: str,
) -> None:
    before = db.snapshot()
    with pytest.raises(InvalidInput, match=named) as refused:
        _record(session, people, now, shared, **change)
    assert "\n" not in str(refused.value)
    assert db.snapshot() == before


def test_the_originator_replies_from_its_link_and_the_receiving_agency_is_told(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _record(session, people, now, shared)
    token = token_for(db, people.rep[COUNCIL], "request.consultation_sent")
    with portal_at(db, now.add(minutes=5)) as portal:
        status, page = opened(portal, token)
        assert status == 200 and "Consultation on a request: IRC-2026-0001" in page
        assert ASKED in page and "FOI/2026/0412" in page and shared in page
        fields = form_of(page, "")
        action = fields.pop("_action")
        name = "Nominated_Representative of Northshire County Council"
        signed = {**fields, "typed_name": name, "confirm": "yes", "objection": "objects"}
        blank = portal.post(action, data={**signed, "comments": " "})
        assert blank.status_code == 422 and "your comments" in blank.text
        done = portal.post(action, data={**signed, "comments": "Section 31 applies"})
        assert done.status_code == 303, done.text
    council = _consultations(db)["IRC-2026-0001"]
    assert council.status == ConsultationStatus.REPLIED and council.objection == "objects"
    assert council.replied_by == people.rep[COUNCIL] and council.comments == "Section 31 applies"
    told = _emails(db, "request.consultation_replied")
    assert {e.recipient for e in told} == {people.rep[TRUST], people.poc[TRUST]}
    assert all("Northshire County Council objects to disclosure" in e.subject for e in told)
    [event] = [e for e in audit(db, "request.reply") if e.outcome.value == "done"]
    assert event.channel == "web"


def test_only_the_originator_s_representative_or_dpo_replies_and_the_refusal_is_audited(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _record(session, people, now, shared)
    before = db.snapshot(exclude=AUDITED)
    for who in (people.poc[COUNCIL], people.rep[TRUST], people.rep[POLICE]):
        with pytest.raises(Refused, match="not a nominated representative or dpo of Northshire C"):
            reply_to_consultation(
                session,
                consultation="IRC-2026-0001",
                objection="none",
                comments="Fine",
                actor=who,
                now=now,
            )
    assert db.snapshot(exclude=AUDITED) == before
    assert _refused(db, "request.reply") == 3
    reply = {"consultation": "IRC-2026-0001", "objection": "none", "comments": "No objection"}
    reply_to_consultation(session, **reply, actor=people.dpo[COUNCIL], now=now)
    with pytest.raises(IllegalTransition):
        reply_to_consultation(session, **reply, actor=people.rep[COUNCIL], now=now)
    with pytest.raises(InvalidInput, match="is not none or objects"):
        reply_to_consultation(
            session,
            consultation="IRC-2026-0002",
            objection="maybe",
            comments="x",
            actor=people.rep[POLICE],
            now=now,
        )


def test_the_outcome_is_recorded_within_the_due_date_and_each_originator_told(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _record(session, people, now, shared)
    reply_to_consultation(
        session,
        consultation="IRC-2026-0001",
        objection="none",
        comments="No objection",
        actor=people.rep[COUNCIL],
        now=now,
    )
    with pytest.raises(Refused, match="not a nominated representative or dpo of Northshire NHS"):
        close_request(
            session,
            request="IRQ-2026-0001",
            outcome="disclosed",
            note="Sent",
            actor=people.poc[TRUST],
            now=now,
        )
    assert _refused(db, "request.close") == 1
    events = close_request(
        session,
        request="irq-2026-0001",
        outcome="partly_disclosed",
        note="Figures sent; the police figures withheld under section 31",
        actor=people.rep[TRUST],
        now=now.add(days=3),
    )
    closed = events[0].as_dict()
    assert closed["within_due"] is True and closed["told"] == (COUNCIL, POLICE)
    held = _request(db)
    assert held.status == InformationRequestStatus.CLOSED and held.within_due is True
    # the police never replied: its consultation lapses, and it is no longer chased
    assert _consultations(db)["IRC-2026-0002"].status == ConsultationStatus.LAPSED
    told = _emails(db, "request.outcome_told")
    assert {e.recipient for e in told} == {people.rep[COUNCIL], people.rep[POLICE]}
    assert all("Outcome: partly disclosed" in _text(db, e) for e in told)
    # the consultation emails still unsent are withdrawn: the question is settled
    asked = _emails(db, "request.consultation_sent")
    assert {e.status for e in asked} == {OutboxStatus.CANCELLED}
    with pytest.raises(IllegalTransition):
        close_request(
            session,
            request="IRQ-2026-0001",
            outcome="withheld",
            note="Again",
            actor=people.rep[TRUST],
            now=now,
        )


def test_an_outcome_after_the_due_date_is_recorded_as_late(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _record(session, people, now, shared)
    # 21 December is the due date itself: in time; the 22nd is late
    late = pendulum.datetime(2026, 12, 22, 9, tz="Europe/London")
    close_request(
        session,
        request="IRQ-2026-0001",
        outcome="not_held",
        note="Not held",
        actor=people.dpo[TRUST],
        now=late,
    )
    assert _request(db).within_due is False
    told = _emails(db, "request.outcome_told")
    assert told and all("after its due date" in _text(db, e) for e in told)


def _sweep(session: Session, day: pendulum.Date) -> list[tuple[str, str]]:
    done = chase_matter(
        session, "request", as_of=day, actor="system:test", now=pendulum.datetime(2027, 1, 10)
    )
    return [(a["reference"], a["action"]) for a in done.acted]


def test_the_sweep_reminds_before_the_due_date_and_chases_consultations_each_rung_once(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _record(session, people, now, shared)
    assert _sweep(session, pendulum.date(2026, 12, 2)) == []
    assert _sweep(session, pendulum.date(2026, 12, 3)) == [
        ("IRC-2026-0001", "consultation chased"),
        ("IRC-2026-0002", "consultation chased"),
    ]
    assert _sweep(session, pendulum.date(2026, 12, 3)) == []
    reply_to_consultation(
        session,
        consultation="IRC-2026-0001",
        objection="none",
        comments="No objection",
        actor=people.rep[COUNCIL],
        now=now.add(days=8),
    )
    # the council replied: only the police is chased again, its DPO told
    assert _sweep(session, pendulum.date(2026, 12, 7)) == [
        ("IRC-2026-0002", "consultation chased: DPO told")
    ]
    # five working days before Monday 21 December is Monday 14th; one is Friday 18th
    assert _sweep(session, pendulum.date(2026, 12, 11)) == []
    assert _sweep(session, pendulum.date(2026, 12, 14)) == [("IRQ-2026-0001", "reminded")]
    assert _sweep(session, pendulum.date(2026, 12, 18)) == [("IRQ-2026-0001", "reminded again")]
    assert _sweep(session, pendulum.date(2026, 12, 21)) == []
    assert _sweep(session, pendulum.date(2026, 12, 22)) == [
        ("IRQ-2026-0001", "overdue: DPO and chairs told")
    ]
    assert _sweep(session, pendulum.date(2027, 1, 31)) == []
    chased = _emails(db, "request.consultation_chased")
    assert {e.recipient for e in chased} == {people.rep[COUNCIL], people.rep[POLICE]}
    overdue = _emails(db, "request.consultation_overdue")
    assert {e.recipient for e in overdue} == {people.rep[POLICE], people.dpo[POLICE]}
    soon = _emails(db, "request.due_soon")
    assert sorted(e.recipient for e in soon) == sorted([people.rep[TRUST], people.poc[TRUST]] * 2)
    assert {e.recipient for e in _emails(db, "request.overdue")} == {
        people.dpo[TRUST],
        people.chair,
    }


def test_a_missed_day_sends_only_the_furthest_rung_owed(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _record(session, people, now, shared)
    assert _sweep(session, pendulum.date(2026, 12, 22)) == [
        ("IRQ-2026-0001", "overdue: DPO and chairs told"),
        ("IRC-2026-0001", "consultation chased: DPO told"),
        ("IRC-2026-0002", "consultation chased: DPO told"),
    ]
    assert _emails(db, "request.due_soon") == []
    assert _emails(db, "request.consultation_chased") == []


def test_the_handler_records_the_outcome_from_the_reminder_s_link(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _record(session, people, now, shared)
    _sweep(session, pendulum.date(2026, 12, 14))
    token = token_for(db, people.rep[TRUST], "request.due_soon")
    with portal_at(db, pendulum.datetime(2026, 12, 14, 10)) as portal:
        status, page = opened(portal, token)
        assert status == 200 and "Record the outcome: IRQ-2026-0001" in page
        fields = form_of(page, "")
        action = fields.pop("_action")
        done = portal.post(
            action,
            data={
                **fields,
                "typed_name": "Nominated_Representative of Northshire NHS Trust",
                "confirm": "yes",
                "outcome": "disclosed",
                "note": "Figures sent",
            },
        )
        assert done.status_code == 303, done.text
    held = _request(db)
    assert held.status == InformationRequestStatus.CLOSED and held.outcome == "disclosed"
    [event] = [e for e in audit(db, "request.close") if e.outcome.value == "done"]
    assert event.channel == "web"


def test_what_waits_in_the_portal_the_consultation_and_the_request_due_soon(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _record(session, people, now, shared)
    with portal_at(db, now.add(minutes=5)) as portal:
        council = signed_in(db, portal, people.rep[COUNCIL])
        trust = signed_in(db, portal, people.rep[TRUST])
    assert "IRC-2026-0001" in council and "reply to the consultation" in council
    assert "IRQ-2026-0001" not in trust
    with portal_at(db, pendulum.datetime(2026, 12, 15, 10)) as portal:
        trust = signed_in(db, portal, people.rep[TRUST])
    assert "IRQ-2026-0001" in trust and "answer the request" in trust


def test_the_consultation_reaches_the_originator_over_smtp_with_its_link(
    db: Database,
    session: Session,
    people: People,
    now: pendulum.DateTime,
    shared: str,
    smtp_server: SMTPServer,
) -> None:
    _record(session, people, now, shared)
    deliver_outbox_sync(db.engine, Settings(**smtp_server.settings()), now)
    [received] = smtp_server.recorder.to(people.rep[COUNCIL])
    message = received.message
    assert "Consulted on Northshire NHS Trust's freedom of information request" in str(
        message["Subject"]
    )
    text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert re.search(r"/a/[\w-]{20,}", text) and "Reply by Wednesday 2 December 2026" in text


def test_the_command_line_records_lists_replies_and_closes(
    isa, db: Database, now, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        people = seed_agencies(session, now)
        ref = active(session, people, now, parties=SHARED)
    record = [
        "request",
        "record",
        "--agency",
        TRUST,
        "--kind",
        "foi",
        "--received-on",
        "2026-11-20",
        "--their-ref",
        "FOI/2026/0412",
        "--arrangement",
        ref,
        "--summary",
        ASKED,
    ]
    before = db.snapshot()
    bad = isa(*record[:-1], "", "--as", people.rep[TRUST])
    assert bad.code == 1 and bad.err.count("\n") == 1 and "--summary" in bad.err
    future = isa(*[a if a != "2026-11-20" else "2026-12-01" for a in record], "--as", "x@y.z")
    assert future.code == 1 and "--received-on" in future.err
    assert db.snapshot() == before
    wrong = isa(*record, "--as", people.staff[TRUST])
    assert wrong.code == 1 and wrong.err.count("\n") == 1
    done = isa(*record, "--as", people.rep[TRUST])
    assert done.code == 0, done.err
    assert done.out.startswith(
        "IRQ-2026-0001: Northshire NHS Trust's foi request FOI/2026/0412, received 2026-11-20, "
        f"due {DUE}; consulted: Northshire County Council (IRC-2026-0001, reply by {REPLY_BY})"
    )
    [row] = json.loads(isa("request", "list", "--open", "--json").out)
    assert row["due_on"] == DUE and row["working_days_left"] == 18
    assert [c["status"] for c in row["consultations"]] == ["awaiting", "awaiting"]
    replied = isa(
        "request",
        "reply",
        "IRC-2026-0001",
        "--objection",
        "objects",
        "--comments",
        "Section 31",
        "--as",
        people.rep[COUNCIL],
    )
    assert replied.code == 0, replied.err
    assert replied.out.strip() == (
        "IRC-2026-0001 replied (objects); told: Northshire NHS Trust (IRQ-2026-0001)"
    )
    # replayed on a later day: the listing counts from ISA_NOW
    monkeypatch.setenv("ISA_NOW", "2026-12-23T10:00")
    shown = isa("request", "list").out
    assert "(overdue 2 days)" in shown and "replied: objects (Section 31)" in shown
    closed = isa(
        "request",
        "close",
        "IRQ-2026-0001",
        "--outcome",
        "withheld",
        "--note",
        "Withheld under section 31",
        "--as",
        people.rep[TRUST],
    )
    assert closed.code == 0, closed.err
    assert "answered (withheld), after its due date 2026-12-21" in closed.out
    assert json.loads(isa("request", "list", "--open", "--json").out) == []
    assert "no reply before the request was answered" in isa("request", "list").out


def test_a_handler_records_a_request_from_the_portal(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    with portal_at(db, now.add(minutes=5)) as portal:
        me = signed_in(db, portal, people.poc[TRUST])
        assert "A freedom of information or subject access request" in me and shared in me
        csrf = re.search(r'name="csrf" value="([^"]+)"', me).group(1)  # type: ignore[union-attr]
        form = {
            "csrf": csrf,
            "matter": "request",
            "kind": "sar",
            "received_on": "2026-11-25",
            "their_ref": "SAR-2026-77",
            "arrangement": shared,
            "typed_name": "Point_Of_Contact of Northshire NHS Trust",
            "confirm": "yes",
        }
        before = db.snapshot(exclude=AUDITED)
        blank = portal.post("/me/raise", data={**form, "summary": " "})
        assert blank.status_code == 422 and "what is asked for is required" in blank.text
        unticked = portal.post("/me/raise", data={**form, "summary": ASKED, "confirm": ""})
        assert unticked.status_code == 409
        assert db.snapshot(exclude=AUDITED) == before
        done = portal.post("/me/raise", data={**form, "summary": ASKED})
        assert done.status_code == 200 and "IRQ-2026-0001 is recorded" in done.text
    assert str(_request(db).due_on) == "2026-12-29"
    assert {e.recipient for e in _emails(db, "request.consultation_sent")} == {
        people.rep[COUNCIL],
        people.rep[POLICE],
    }
    [event] = [e for e in audit(db, "request.record") if e.outcome.value == "done"]
    assert event.channel == "web" and event.actor == people.poc[TRUST]
    assert _refused(db, "request.record") == 1
