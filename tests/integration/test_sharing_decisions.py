"""Sharing decisions (§9, §13, §19) and onward sharing with a third party (§11, §15) on both
backends: a discloser's nominated representative records a decision, and one not to disclose all
or part is delivered to the requesting agency at once; a recipient asks the originating agency
for consent to share onward, the originator answers from their link, the requester is told, and
an unanswered request is chased in the originator's working days; the wrong role and bad input
are refused and write nothing else."""

import json
import re

import pendulum
import pytest
from sqlmodel import Session, select

from core.settings import Settings
from models.enums import AgencyStatus, OnwardRequestStatus, SharingOutcome
from models.errors import InvalidInput, NotFound, Refused
from models.tables import Agency, OnwardRequest, SharingDecision
from notifications.delivery import deliver_outbox_sync
from notifications.tables import OutboxEmail
from tasks.chasing import chase_matter
from tasks.deadlines import sweep_deadlines
from tasks.protocol.decisions import record_decision
from tasks.protocol.onward import answer_onward_sharing, request_onward_sharing
from tests.conftest import Database
from tests.utils import smtp
from tests.utils.factories import (
    COUNCIL,
    POLICE,
    TRUST,
    People,
    active,
    drafted,
    parties,
    seed_agencies,
)
from tests.utils.portal import act, audit, opened, portal_at, signed_in, token_for
from tests.utils.smtp import SMTPServer

smtp_server = smtp.smtp_server  # the fixture: a real aiosmtpd server on a free port

# the council discloses to the trust and the police
THREE = parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "recipient"))
# what a refusal writes: its audit event (and, from the portal, its count against the limits)
AUDITED = ("audit_event", "audit_head", "portal_attempt")
REASONING = "The contact notes hold third-party information the meeting does not need"
THIRD_PARTY = "Northshire Advocacy Service"


@pytest.fixture
def shared(session: Session, people: People, now: pendulum.DateTime) -> str:
    return active(session, people, now, parties=THREE)


def _decide(session: Session, people: People, now: pendulum.DateTime, ref: str, **kw) -> str:  # type: ignore[no-untyped-def]
    given = {
        "agency": COUNCIL,
        "requester": TRUST,
        "outcome": "refuse",
        "data": "Case file ASC/2026/00417: contact notes",
        "purpose": "Safeguarding strategy meeting",
        "legal_basis": "Children Act 1989 s.47",
        "reasoning": REASONING,
        "identity_check": None,
        "actor": people.rep[COUNCIL],
        **kw,
    }
    events = record_decision(session, arrangement=ref, now=now, **given)
    return str(events[0].as_dict()["decision"])


def _ask(session: Session, people: People, now: pendulum.DateTime, ref: str, **kw) -> str:  # type: ignore[no-untyped-def]
    given = {
        "agency": TRUST,
        "third_party": THIRD_PARTY,
        "data": "Referral dates for case ASC/2026/00417",
        "purpose": "Advocacy at the review meeting",
        "owner": None,
        "actor": people.rep[TRUST],
        **kw,
    }
    events = request_onward_sharing(session, arrangement=ref, now=now, **given)
    return str(events[0].as_dict()["request"])


def _emails(db: Database, event: str) -> list[OutboxEmail]:
    with db.session() as session:
        return list(
            session.exec(
                select(OutboxEmail).where(OutboxEmail.event == event).order_by(OutboxEmail.id)  # type: ignore[arg-type]
            ).all()
        )


def _one(db: Database, table: type[SharingDecision] | type[OnwardRequest]) -> list:  # type: ignore[type-arg]
    with db.session() as session:
        return list(session.exec(select(table)).all())


# --- sharing decisions -------------------------------------------------------------------------


def test_a_refusal_is_delivered_to_the_requesting_agency_at_once_with_the_reasoning(
    db: Database,
    session: Session,
    people: People,
    now: pendulum.DateTime,
    shared: str,
    smtp_server: SMTPServer,
) -> None:
    settings = Settings(**smtp_server.settings())
    deliver_outbox_sync(db.engine, settings, now)  # the arrangement's own emails, out of the way
    decision = _decide(session, people, now, shared)
    assert decision == "SDR-2026-0001"
    [held] = _one(db, SharingDecision)
    assert held.outcome == SharingOutcome.REFUSE and held.decided_by == people.rep[COUNCIL]
    assert held.identity_check is None
    told = _emails(db, "decision.declined")
    assert {e.recipient for e in told} == {people.rep[TRUST], people.poc[TRUST]}
    report = deliver_outbox_sync(db.engine, settings, now)
    assert report.sent == len(told) == 2
    [got] = smtp_server.recorder.to(people.rep[TRUST])
    text = got.message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Not disclosed" in str(got.message["Subject"]) and decision in str(
        got.message["Subject"]
    )
    assert REASONING in text and "§19" in text
    [event] = [e for e in audit(db, "decision.record") if e.outcome.value == "done"]
    assert event.actor == people.rep[COUNCIL] and event.subject_ref == decision


def test_a_partial_decision_tells_the_requester_and_a_share_tells_nobody(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    queued = "event = 'isa.outbox.queued'"
    before = db.count("event_outbox", queued)
    _decide(session, people, now, shared, outcome="share", identity_check="Called back on 0300")
    assert _emails(db, "decision.declined") == []
    assert db.count("event_outbox", queued) == before
    _decide(
        session,
        people,
        now,
        shared,
        requester=POLICE,
        outcome="partial",
        identity_check="Request from a secure police.uk address, checked against the register",
    )
    told = _emails(db, "decision.declined")
    assert {e.recipient for e in told} == {people.rep[POLICE], people.poc[POLICE]}
    # no flow sends them: the change asks for a delivery run at once
    assert db.count("event_outbox", queued) == before + 1
    assert all("Disclosed in part only" in e.subject for e in told)
    assert [d.outcome for d in _one(db, SharingDecision)] == [
        SharingOutcome.SHARE,
        SharingOutcome.PARTIAL,
    ]


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("identity_check", None, "how the requester's identity was checked"),
        ("identity_check", "  ", "how the requester's identity was checked"),
        ("reasoning", " ", "the reasoning"),
        ("legal_basis", "", "the legal basis"),
        ("data", "a\x1b[2Jrepaint", "the data requested"),
        ("purpose", "", "the purpose"),
        ("outcome", "maybe", "outcome must be one of share, partial, refuse"),
    ],
)
def test_a_disclosure_needs_the_identity_check_and_every_text_or_writes_nothing(
    db: Database,
    session: Session,
    people: People,
    now: pendulum.DateTime,
    shared: str,
    field: str,
    value: str | None,
    words: str,
) -> None:
    given = {"outcome": "share", "identity_check": "Called back on the switchboard", field: value}
    before = db.snapshot()
    with pytest.raises(InvalidInput, match=words):
        _decide(session, people, now, shared, **given)
    assert db.snapshot() == before


def test_only_a_discloser_s_representative_decides_and_only_for_another_partner(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    gone = session.exec(select(Agency).where(Agency.name == POLICE)).one()
    gone.status = AgencyStatus.WITHDRAWN
    session.add(gone)
    session.commit()
    before = db.snapshot(exclude=AUDITED)
    for who in (people.poc[COUNCIL], people.staff[COUNCIL], people.rep[TRUST]):
        with pytest.raises(Refused, match="not a nominated representative of Northshire County"):
            _decide(session, people, now, shared, actor=who)
    # the trust receives under it: it has nothing to disclose
    with pytest.raises(Refused, match="Northshire NHS Trust discloses no data under"):
        _decide(session, people, now, shared, agency=TRUST, actor=people.rep[TRUST])
    with pytest.raises(Refused, match="cannot decide on its own request"):
        _decide(session, people, now, shared, requester=COUNCIL)
    with pytest.raises(Refused, match="Northshire Police has withdrawn"):
        _decide(session, people, now, shared, requester=POLICE)
    with pytest.raises(NotFound, match="no agency named 'Nowhere Council'"):
        _decide(session, people, now, shared, requester="Nowhere Council")
    assert db.snapshot(exclude=AUDITED) == before
    refused = [e for e in audit(db, "decision.record") if e.outcome.value == "refused"]
    assert len(refused) == 6
    assert {e.actor for e in refused} >= {people.poc[COUNCIL], people.staff[COUNCIL]}


def test_nothing_is_decided_under_an_arrangement_never_in_force(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    draft = drafted(session, people, now, parties=THREE)
    before = db.snapshot(exclude=AUDITED)
    with pytest.raises(Refused, match="never in force"):
        _decide(session, people, now, draft)
    assert db.snapshot(exclude=AUDITED) == before


def test_the_command_line_records_and_lists_decisions(isa, db: Database, now) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        people = seed_agencies(session, now)
        ref = active(session, people, now, parties=THREE)
    argv = (
        "decision",
        "record",
        ref,
        "--agency",
        COUNCIL,
        "--requester",
        TRUST,
        "--data",
        "Case file ASC/2026/00417",
        "--purpose",
        "Strategy meeting",
        "--legal-basis",
        "Children Act 1989 s.47",
        "--reasoning",
        REASONING,
        "--as",
        people.rep[COUNCIL],
    )
    before = db.snapshot()
    unchecked = isa(*argv, "--outcome", "share")
    assert unchecked.code == 1 and unchecked.err.count("\n") == 1
    assert "--identity-check is required" in unchecked.err
    bad = isa(*argv, "--outcome", "perhaps")
    assert bad.code == 1 and "--outcome must be one of" in bad.err
    assert db.snapshot() == before
    done = isa(*argv, "--outcome", "partial", "--identity-check", "Called back")
    assert done.code == 0, done.err
    assert done.out.strip() == (
        f"SDR-2026-0001: {COUNCIL} decided partial on {TRUST}'s request under {ref}; {TRUST} told"
    )
    refused = isa(*argv, "--outcome", "refuse", "--json")
    assert refused.code == 0, refused.err
    names = [e["event"] for e in json.loads(refused.out)["events"]]
    assert names == ["decision.recorded", "decision.declined"]
    [row] = json.loads(isa("decision", "list", "--outcome", "refuse", "--json").out)
    assert row["decision"] == "SDR-2026-0002" and row["requester"] == TRUST
    assert row["reasoning"] == REASONING and row["identity_check"] is None
    shown = isa("decision", "list").out
    assert "SDR-2026-0001  partial" in shown and f"reasoning: {REASONING}" in shown
    wrong = isa("decision", "list", "--outcome", "no")
    assert wrong.code == 1 and "--outcome must be one of" in wrong.err


# --- onward sharing with a third party -----------------------------------------------------------


def test_a_recipient_asks_the_originator_whose_representative_gets_a_link(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    request = _ask(session, people, now, shared)
    assert request == "OSR-2026-0001"
    [email] = _emails(db, "onward.requested")
    assert email.recipient == people.rep[COUNCIL]
    assert "Consent asked: Northshire NHS Trust would share your data" in email.subject
    [held] = _one(db, OnwardRequest)
    assert held.status == OnwardRequestStatus.OPEN and held.requested_by == people.rep[TRUST]


def test_the_originator_refuses_from_the_link_and_the_requester_is_told(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _ask(session, people, now, shared)
    token = token_for(db, people.rep[COUNCIL], "onward.requested")
    name = "Nominated_Representative of Northshire County Council"
    with portal_at(db, now.add(minutes=5)) as portal:
        status, page = opened(portal, token)
        assert status == 200 and "Onward sharing with a third party: OSR-2026-0001" in page
        assert THIRD_PARTY in page
        blank = act(portal, page, "refuse", typed_name=name, confirm="yes", reason=" ")
        assert blank.status_code == 422 and "the reason" in blank.text
        done = act(
            portal, page, "refuse", typed_name=name, confirm="yes", reason="Not for advocacy"
        )
        assert done.status_code == 303, done.text
    [held] = _one(db, OnwardRequest)
    assert held.status == OnwardRequestStatus.REFUSED and held.answered_by == people.rep[COUNCIL]
    [told] = _emails(db, "onward.answered")
    assert told.recipient == people.rep[TRUST] and told.subject.startswith("Refused:")
    [event] = [e for e in audit(db, "onward.answer") if e.outcome.value == "done"]
    assert event.channel == "web"


def test_only_the_originator_s_representative_answers_and_refusals_are_audited(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    request = _ask(session, people, now, shared)
    before = db.snapshot(exclude=AUDITED)
    for who in (people.poc[COUNCIL], people.rep[TRUST], people.rep[POLICE]):
        with pytest.raises(Refused, match="not a nominated representative of Northshire County"):
            answer_onward_sharing(
                session, request=request, consent="yes", reason="Fine", actor=who, now=now
            )
    with pytest.raises(InvalidInput, match="consent must be yes or no"):
        answer_onward_sharing(
            session,
            request=request,
            consent="maybe",
            reason="Hm",
            actor=people.rep[COUNCIL],
            now=now,
        )
    assert db.snapshot(exclude=AUDITED) == before
    refused = [e for e in audit(db, "onward.answer") if e.outcome.value == "refused"]
    assert len(refused) == 3
    answer_onward_sharing(
        session, request=request, consent="yes", reason="Fine", actor=people.rep[COUNCIL], now=now
    )
    with pytest.raises(Refused, match="cannot consent onward sharing request"):
        answer_onward_sharing(
            session,
            request=request,
            consent="yes",
            reason="Again",
            actor=people.rep[COUNCIL],
            now=now,
        )


def test_only_a_recipient_s_representative_asks_and_a_named_originator_when_several(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    before = db.snapshot(exclude=AUDITED)
    with pytest.raises(Refused, match="not a nominated representative of Northshire NHS Trust"):
        _ask(session, people, now, shared, actor=people.poc[TRUST])
    with pytest.raises(Refused, match="receives no data under"):
        _ask(session, people, now, shared, agency=COUNCIL, actor=people.rep[COUNCIL])
    with pytest.raises(Refused, match="discloses no data"):
        _ask(session, people, now, shared, owner=POLICE)
    assert db.snapshot(exclude=AUDITED) == before
    assert len([e for e in audit(db, "onward.request") if e.outcome.value == "refused"]) == 3
    both = active(
        session,
        people,
        now,
        parties=parties((COUNCIL, "both"), (POLICE, "both"), (TRUST, "recipient")),
    )
    with pytest.raises(Refused, match="name the data's originator with --owner"):
        _ask(session, people, now, both)
    _ask(session, people, now, both, owner=POLICE)
    [email] = _emails(db, "onward.requested")
    assert email.recipient == people.rep[POLICE]


@pytest.mark.parametrize("field", ["third_party", "data", "purpose"])
def test_a_blank_request_is_refused_and_writes_nothing(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str, field: str
) -> None:
    before = db.snapshot()
    with pytest.raises(InvalidInput, match="is required"):
        _ask(session, people, now, shared, **{field: "  "})
    assert db.snapshot() == before


def test_an_unanswered_request_is_chased_in_working_days_each_rung_once(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _ask(session, people, now, shared)

    def chase(day: pendulum.Date) -> list[str]:
        done = chase_matter(
            session, "onward", as_of=day, actor="system:test", now=pendulum.datetime(2026, 12, 10)
        )
        return [a["action"] for a in done.acted]

    assert chase(pendulum.date(2026, 11, 26)) == []
    assert chase(pendulum.date(2026, 11, 27)) == ["reminded"]
    assert chase(pendulum.date(2026, 11, 27)) == []
    assert chase(pendulum.date(2026, 12, 2)) == ["reminded: DPO told"]
    assert chase(pendulum.date(2026, 12, 9)) == ["escalated to the chairs"]
    assert chase(pendulum.date(2026, 12, 31)) == []
    assert {e.recipient for e in _emails(db, "onward.chased")} == {people.rep[COUNCIL]}
    assert {e.recipient for e in _emails(db, "onward.overdue")} == {
        people.rep[COUNCIL],
        people.dpo[COUNCIL],
    }
    assert {e.recipient for e in _emails(db, "onward.escalated")} == {
        people.chair,
        people.dpo[COUNCIL],
    }


def test_the_deadline_sweep_chases_a_missed_request_to_its_furthest_rung_once(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _ask(session, people, now, shared)
    later = pendulum.datetime(2026, 12, 3, 7, 0)
    reports = sweep_deadlines(session, as_of=later.date(), actor="system:test", now=later)
    [onward] = [r for r in reports if r.phase == "onward sharing"]
    assert [a["action"] for a in onward.acted] == ["reminded: DPO told"]
    assert _emails(db, "onward.chased") == []
    assert len(_emails(db, "onward.overdue")) == 2


def test_the_originator_s_representative_signed_in_sees_the_request_waiting(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _ask(session, people, now, shared)
    with portal_at(db, now.add(minutes=5)) as portal:
        me = signed_in(db, portal, people.rep[COUNCIL])
        other = signed_in(db, portal, people.rep[POLICE])
    assert "OSR-2026-0001" in me and "consent or refuse" in me
    assert "OSR-2026-0001" not in other


def test_the_command_line_requests_answers_and_lists(isa, db: Database, now) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        people = seed_agencies(session, now)
        ref = active(session, people, now, parties=THREE)
    argv = ("onward", "request", ref, "--agency", TRUST, "--third-party", THIRD_PARTY)
    before = db.snapshot()
    blank = isa(*argv, "--data", " ", "--purpose", "Advocacy", "--as", people.rep[TRUST])
    assert blank.code == 1 and blank.err.count("\n") == 1 and "--data is required" in blank.err
    assert db.snapshot() == before
    asked = isa(
        *argv, "--data", "Referral dates", "--purpose", "Advocacy", "--as", people.rep[TRUST]
    )
    assert asked.code == 0, asked.err
    assert asked.out.strip() == (
        f"OSR-2026-0001: {COUNCIL} asked to consent to sharing with {THIRD_PARTY}"
    )
    [row] = json.loads(isa("onward", "list", "--open", "--json").out)
    assert row["owner"] == COUNCIL and row["third_party"] == THIRD_PARTY and row["status"] == "open"
    answer = ("onward", "answer", "OSR-2026-0001", "--reason", "Needed for the review")
    wrong = isa(*answer, "--consent", "yes", "--as", people.rep[TRUST])
    assert wrong.code == 1 and wrong.err.count("\n") == 1
    unsure = isa(*answer, "--consent", "perhaps", "--as", people.rep[COUNCIL])
    assert unsure.code == 1 and "--consent must be yes or no" in unsure.err
    done = isa(*answer, "--consent", "yes", "--as", people.rep[COUNCIL])
    assert done.code == 0, done.err
    assert done.out.strip() == f"OSR-2026-0001 consented; {TRUST} told"
    assert json.loads(isa("onward", "list", "--open", "--json").out) == []
    shown = isa("onward", "list").out
    assert f"consented by {people.rep[COUNCIL]}: Needed for the review" in shown
    [told] = _emails(db, "onward.answered")
    assert told.recipient == people.rep[TRUST] and told.subject.startswith("Consented:")


# --- on the web --------------------------------------------------------------------------------


def _raising(db: Database, portal, email: str, matter: str, typed: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    me = signed_in(db, portal, email)
    csrf = re.search(r'name="csrf" value="([^"]+)"', me).group(1)  # type: ignore[union-attr]
    return {"csrf": csrf, "matter": matter, "typed_name": typed, "confirm": "yes"}


def test_a_discloser_s_representative_records_a_refusal_from_the_portal(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    with portal_at(db, now.add(minutes=5)) as portal:
        form = {
            **_raising(
                db,
                portal,
                people.rep[COUNCIL],
                "decision",
                "Nominated_Representative of Northshire County Council",
            ),
            "arrangement": shared,
            "requester": TRUST,
            "data": "Case file ASC/2026/00417",
            "purpose": "Strategy meeting",
            "legal_basis": "Children Act 1989 s.47",
            "reasoning": REASONING,
        }
        before = db.snapshot(exclude=AUDITED)
        unchecked = portal.post("/me/raise", data={**form, "outcome": "share"})
        assert unchecked.status_code == 422
        assert "how the requester&#39;s identity was checked is required" in unchecked.text
        assert db.snapshot(exclude=AUDITED) == before
        done = portal.post("/me/raise", data={**form, "outcome": "refuse"})
        assert done.status_code == 200 and "SDR-2026-0001 is recorded" in done.text
    assert {e.recipient for e in _emails(db, "decision.declined")} == {
        people.rep[TRUST],
        people.poc[TRUST],
    }
    [event] = [e for e in audit(db, "decision.record") if e.outcome.value == "done"]
    assert event.channel == "web" and event.actor == people.rep[COUNCIL]


def test_a_recipient_s_representative_asks_for_onward_consent_from_the_portal(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    with portal_at(db, now.add(minutes=5)) as portal:
        form = {
            **_raising(
                db,
                portal,
                people.rep[TRUST],
                "onward",
                "Nominated_Representative of Northshire NHS Trust",
            ),
            "arrangement": shared,
            "data": "Referral dates",
            "purpose": "Advocacy",
        }
        before = db.snapshot(exclude=AUDITED)
        blank = portal.post("/me/raise", data={**form, "third_party": " "})
        assert blank.status_code == 422 and "the third party is required" in blank.text
        assert db.snapshot(exclude=AUDITED) == before
        done = portal.post("/me/raise", data={**form, "third_party": THIRD_PARTY})
        assert done.status_code == 200 and "OSR-2026-0001 is recorded" in done.text
    [email] = _emails(db, "onward.requested")
    assert email.recipient == people.rep[COUNCIL]
