"""A data subject's withdrawal of consent (§9, §18) on both backends: the agency's nominated
representative records it by the data subject's reference alone, every partner that received
their data is told at once with a personal link, acknowledges from it, and is chased in its
working days until it does; the wrong role and bad input are refused and write nothing else."""

import json
import re
from typing import Any

import pendulum
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from core.settings import Settings
from models.enums import ConsentNoticeStatus, ContactRole
from models.errors import InvalidInput, NotFound, Refused
from models.tables import AuditEvent, ConsentNotice, ConsentWithdrawal
from notifications.tables import OutboxEmail, OutboxMessage
from tasks.chasing import chase_matter
from tasks.protocol.consent import acknowledge_consent, withdraw_consent
from tasks.protocol.register import add_contact
from tests.conftest import TEST_PUBLIC_URL, TEST_SECRET_KEY, Database
from tests.utils.events_endpoint import EventsEndpoint
from tests.utils.factories import (
    ADMIN,
    COUNCIL,
    POLICE,
    TRUST,
    People,
    active,
    parties,
    seed_agencies,
)
from tests.utils.portal import (
    audit,
    form_of,
    opened,
    portal_at,
    signed_in,
    token_for,
)
from web.app import create_app

SUBJECT = "ASC/2026/00417"
THREE = parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "both"))
# what a refusal writes: its audit event (and, from the portal, its count against the limits)
REFUSAL_WRITES = ("audit_event", "audit_head", "portal_attempt")


@pytest.fixture
def shared(session: Session, people: People, now: pendulum.DateTime) -> str:
    """An arrangement in force under which the council discloses to the trust and the police."""
    return active(session, people, now, parties=THREE)


def _withdraw(session: Session, people: People, now: pendulum.DateTime, **changes: Any) -> str:
    given: dict[str, Any] = {
        "agency": COUNCIL,
        "data_subject_ref": SUBJECT,
        "arrangements": [],
        "actor": people.rep[COUNCIL],
        "now": now,
        **changes,
    }
    events = withdraw_consent(session, **given)
    return str(events[-1].as_dict()["consent"])


def _emails(db: Database, event: str) -> list[OutboxEmail]:
    with db.session() as session:
        return list(
            session.exec(
                select(OutboxEmail).where(OutboxEmail.event == event).order_by(OutboxEmail.id)  # type: ignore[arg-type]
            ).all()
        )


def _message(db: Database, email: OutboxEmail) -> str:
    with db.session() as session:
        found = session.get(OutboxMessage, email.id)
        assert found is not None
        return found.message


def _notices(db: Database) -> list[ConsentNotice]:
    with db.session() as session:
        return list(session.exec(select(ConsentNotice).order_by(ConsentNotice.id)).all())  # type: ignore[arg-type]


def test_each_partner_that_received_the_data_is_told_at_once_with_the_reference_alone(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    events = withdraw_consent(
        session,
        agency=COUNCIL,
        data_subject_ref=SUBJECT,
        arrangements=[shared],
        actor=people.rep[COUNCIL],
        now=now,
    )
    assert [e.name for e in events] == [
        "consent.notice_sent",
        "consent.notice_sent",
        "consent.withdrawn",
    ]
    raised = events[-1].as_dict()
    assert raised["partners"] == (TRUST, POLICE) and raised["arrangements"] == (shared,)
    notices = _notices(db)
    assert [(n.reference, n.status) for n in notices] == [
        ("CPN-2026-0001", ConsentNoticeStatus.PENDING),
        ("CPN-2026-0002", ConsentNoticeStatus.PENDING),
    ]
    # each partner's nominated representative, and no one at the council, which disclosed it
    sent = _emails(db, "consent.notice_sent")
    assert {e.recipient for e in sent} == {people.rep[TRUST], people.rep[POLICE]}
    for email in sent:
        assert SUBJECT in email.subject and email.context["event"]["data_subject_ref"] == SUBJECT
        assert "/a/" in _message(db, email)
    with db.session() as s:
        matter = s.exec(select(ConsentWithdrawal)).one()
        assert matter.subject_ref == SUBJECT and matter.arrangements == [shared]
    with db.engine.connect() as conn:
        published = conn.execute(text("SELECT event, reference FROM event_outbox")).all()
    assert ("isa.consent.raised", raised["consent"]) in [tuple(row) for row in published]


def test_with_no_arrangement_named_every_one_the_agency_discloses_under_is_taken(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    # the trust discloses to the council under a second arrangement: not the council's data
    active(session, people, now, parties=parties((TRUST, "discloser"), (COUNCIL, "recipient")))
    reference = _withdraw(session, people, now)
    with db.session() as s:
        matter = s.exec(
            select(ConsentWithdrawal).where(ConsentWithdrawal.reference == reference)
        ).one()
    assert matter.arrangements == [shared]
    assert len(_notices(db)) == 2


@pytest.mark.parametrize(
    "subject_ref",
    ["", "Jane Smith", "jane@example.org", "ASC 2026 417", "NoDigitsHere", "x" * 65 + "1"],
)
def test_a_reference_that_could_carry_personal_detail_is_refused_and_writes_nothing(
    db: Database,
    session: Session,
    people: People,
    now: pendulum.DateTime,
    shared: str,
    subject_ref: str,
) -> None:
    before = db.snapshot()
    with pytest.raises(InvalidInput, match="the data subject reference"):
        _withdraw(session, people, now, data_subject_ref=subject_ref)
    assert db.snapshot() == before


def test_only_the_agency_s_nominated_representative_records_it_and_a_refusal_is_audited(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    before = db.snapshot(exclude=REFUSAL_WRITES)
    with pytest.raises(Refused, match="not a nominated representative of Northshire County"):
        _withdraw(session, people, now, actor=people.signatory[COUNCIL])
    # the trust's representative may not speak for the council either
    with pytest.raises(Refused, match="not a nominated representative"):
        _withdraw(session, people, now, actor=people.rep[TRUST])
    assert db.snapshot(exclude=REFUSAL_WRITES) == before
    refusals = [e for e in audit(db, "consent.withdraw") if e.outcome.value == "refused"]
    assert len(refusals) == 2


def test_an_arrangement_the_agency_only_receives_under_or_never_in_force_is_refused(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    theirs = active(
        session, people, now, parties=parties((TRUST, "discloser"), (COUNCIL, "recipient"))
    )
    with pytest.raises(Refused, match=f"does not disclose data under {theirs}"):
        _withdraw(session, people, now, arrangements=[theirs])
    with pytest.raises(NotFound):
        _withdraw(session, people, now, arrangements=["ISA-2026-0999"])
    assert _notices(db) == []


def test_acknowledging_closes_the_partner_s_notice_and_the_last_closes_the_withdrawal(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    reference = _withdraw(session, people, now)
    by_agency = {e.recipient: e.subject_ref for e in _emails(db, "consent.notice_sent")}
    # the police's representative cannot acknowledge for the trust
    with pytest.raises(Refused, match="not a nominated representative"):
        acknowledge_consent(
            session, notice=by_agency[people.rep[TRUST]], actor=people.rep[POLICE], now=now
        )
    events = acknowledge_consent(
        session, notice=by_agency[people.rep[TRUST]], actor=people.rep[TRUST], now=now
    )
    assert [e.name for e in events] == ["consent.acknowledged"]
    # acknowledged once: a second time is an illegal move, refused
    with pytest.raises(Refused, match="cannot acknowledge consent notice"):
        acknowledge_consent(
            session, notice=by_agency[people.rep[TRUST]], actor=people.rep[TRUST], now=now
        )
    events = acknowledge_consent(
        session, notice=by_agency[people.rep[POLICE]], actor=people.rep[POLICE], now=now
    )
    assert [e.name for e in events] == ["consent.acknowledged", "consent.closed"]
    closed = _emails(db, "consent.closed")
    assert [e.recipient for e in closed] == [people.rep[COUNCIL]]
    assert TRUST in _message(db, closed[0]) and POLICE in _message(db, closed[0])
    with db.session() as s:
        matter = s.exec(
            select(ConsentWithdrawal).where(ConsentWithdrawal.reference == reference)
        ).one()
    assert matter.closed_at is not None
    assert {n.status for n in _notices(db)} == {ConsentNoticeStatus.ACKNOWLEDGED}


def test_an_unacknowledged_notice_is_chased_in_working_days_each_rung_once(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    # raised Wednesday 25 November 2026: 2 working days is Friday 27, 5 is Wednesday 2
    # December, 10 is Wednesday 9 December (England and Wales)
    _withdraw(session, people, now)
    sent = {e.recipient: e.subject_ref for e in _emails(db, "consent.notice_sent")}
    acknowledge_consent(session, notice=sent[people.rep[POLICE]], actor=people.rep[POLICE], now=now)

    def chase(day: pendulum.Date) -> list[str]:
        report = chase_matter(
            session, "consent", as_of=day, actor="system:test", now=pendulum.datetime(2026, 12, 10)
        )
        return [a["action"] for a in report.acted]

    assert chase(pendulum.date(2026, 11, 26)) == []
    assert chase(pendulum.date(2026, 11, 27)) == ["reminded"]
    assert chase(pendulum.date(2026, 11, 27)) == []  # once
    assert chase(pendulum.date(2026, 12, 1)) == []
    assert chase(pendulum.date(2026, 12, 2)) == ["reminded: DPO told"]
    assert chase(pendulum.date(2026, 12, 9)) == ["escalated to the chairs"]
    assert chase(pendulum.date(2026, 12, 30)) == []
    # only the trust, which has not acknowledged, is chased; each email to the right people
    assert {e.recipient for e in _emails(db, "consent.reminder")} == {people.rep[TRUST]}
    assert {e.recipient for e in _emails(db, "consent.overdue")} == {
        people.rep[TRUST],
        people.dpo[TRUST],
    }
    assert {e.recipient for e in _emails(db, "consent.escalated")} == {
        people.chair,
        people.dpo[TRUST],
    }
    # the DPO's email asks nothing of them through a link: only a representative acknowledges
    for email in _emails(db, "consent.overdue"):
        assert ("/a/" in _message(db, email)) == (email.recipient == people.rep[TRUST])


def test_a_missed_week_sends_the_furthest_rung_owed_not_every_one(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _withdraw(session, people, now)
    report = chase_matter(
        session,
        "consent",
        as_of=pendulum.date(2026, 12, 3),
        actor="system:test",
        now=now.add(days=8),
    )
    assert [a["action"] for a in report.acted] == ["reminded: DPO told"] * 2
    assert _emails(db, "consent.reminder") == []


def test_acknowledging_withdraws_the_partner_s_reminders_still_unsent(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _withdraw(session, people, now)
    chase_matter(
        session,
        "consent",
        as_of=pendulum.date(2026, 11, 27),
        actor="system:test",
        now=now.add(days=2),
    )
    sent = {e.recipient: e.subject_ref for e in _emails(db, "consent.notice_sent")}
    acknowledge_consent(
        session, notice=sent[people.rep[TRUST]], actor=people.rep[TRUST], now=now.add(days=2)
    )
    statuses = {
        (e.event, e.recipient): e.status.value
        for e in _emails(db, "consent.reminder") + _emails(db, "consent.notice_sent")
    }
    assert statuses[("consent.reminder", people.rep[TRUST])] == "cancelled"
    assert statuses[("consent.reminder", people.rep[POLICE])] == "pending"


def test_a_partner_s_representative_acknowledges_from_the_link_with_the_web_s_evidence(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _withdraw(session, people, now)
    token = token_for(db, people.rep[TRUST], "consent.notice_sent")
    with portal_at(db, now.add(minutes=5)) as portal:
        status, page = opened(portal, token)
        assert status == 200 and "Consent withdrawn: cease processing" in page
        assert SUBJECT in page and shared in page
        fields = form_of(page, "")
        action = fields.pop("_action")
        wrong = portal.post(action, data={**fields, "typed_name": "Someone Else", "confirm": "yes"})
        assert wrong.status_code in (400, 403, 409, 422) and "not the name" in wrong.text
        done = portal.post(
            action,
            data={
                **fields,
                "typed_name": "Nominated_Representative of Northshire NHS Trust",
                "confirm": "yes",
            },
        )
        assert done.status_code == 303, done.text
        # used: opening it again says it was used, and a second POST is refused
        again = portal.post(
            action,
            data={
                **fields,
                "typed_name": "Nominated_Representative of Northshire NHS Trust",
                "confirm": "yes",
            },
        )
        assert again.status_code >= 400
    [event] = [e for e in audit(db, "consent.acknowledge") if e.outcome.value == "done"]
    assert event.channel == "web" and event.actor == people.rep[TRUST]
    assert event.evidence is not None and event.evidence["typed_name"].startswith("Nominated")
    refused = [e for e in audit(db, "consent.acknowledge") if e.outcome.value == "refused"]
    assert len(refused) == 2  # the wrong name, then the second POST
    trust = [n for n in _notices(db) if n.acknowledged_by == people.rep[TRUST]]
    assert len(trust) == 1 and trust[0].status == ConsentNoticeStatus.ACKNOWLEDGED


def test_a_representative_who_lost_the_role_is_refused_from_the_link(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _withdraw(session, people, now)
    token = token_for(db, people.rep[TRUST], "consent.notice_sent")
    # the trust gets a new representative; the old one leaves the role
    add_contact(
        session,
        agency=TRUST,
        email="new.rep@trust.example",
        name="New Rep",
        roles=[ContactRole.NOMINATED_REPRESENTATIVE],
        actor=ADMIN,
        now=now,
    )
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "DELETE FROM contact_role WHERE role = 'nominated_representative' AND contact_id ="
                " (SELECT id FROM contact WHERE email = :email)"
            ),
            {"email": people.rep[TRUST]},
        )
    with portal_at(db, now.add(minutes=5)) as portal:
        status, page = opened(portal, token)
        assert status == 200
        before = db.snapshot(exclude=REFUSAL_WRITES)
        fields = form_of(page, "")
        action = fields.pop("_action")
        refused = portal.post(
            action,
            data={
                **fields,
                "typed_name": "Nominated_Representative of Northshire NHS Trust",
                "confirm": "yes",
            },
        )
        assert refused.status_code == 409 and "not a nominated representative" in refused.text
    assert db.snapshot(exclude=REFUSAL_WRITES) == before
    [refusal] = [e for e in audit(db, "consent.acknowledge") if e.outcome.value == "refused"]
    assert refusal.channel == "web" and refusal.actor == people.rep[TRUST]


def test_the_command_line_records_lists_and_acknowledges(isa, register_three) -> None:  # type: ignore[no-untyped-def]
    raised = isa(
        "consent",
        "withdrawn",
        "--agency",
        COUNCIL,
        "--subject-ref",
        SUBJECT,
        "--as",
        register_three.rep[COUNCIL],
        "--json",
    )
    assert raised.code == 0, raised.err
    names = [e["event"] for e in json.loads(raised.out)["events"]]
    assert names.count("consent.notice_sent") == 2
    listed = isa("consent", "list", "--open", "--json")
    assert listed.code == 0, listed.err
    [row] = json.loads(listed.out)
    assert row["status"] == "open" and row["data_subject_ref"] == SUBJECT
    assert {n["agency"] for n in row["notices"]} == {TRUST, POLICE}
    trust = next(n["notice"] for n in row["notices"] if n["agency"] == TRUST)
    wrong = isa("consent", "acknowledge", trust, "--as", register_three.signatory[TRUST])
    assert (
        wrong.code == 1 and wrong.err.count("\n") == 1 and "nominated representative" in wrong.err
    )
    done = isa("consent", "acknowledge", trust, "--as", register_three.rep[TRUST])
    assert done.code == 0 and f"{trust} acknowledged" in done.out
    shown = isa("consent", "list")
    assert "acknowledged" in shown.out and "pending" in shown.out
    bad = isa(
        "consent",
        "withdrawn",
        "--agency",
        COUNCIL,
        "--subject-ref",
        "Jane Smith",
        "--as",
        register_three.rep[COUNCIL],
    )
    assert bad.code == 1 and "--subject-ref" in bad.err and bad.err.count("\n") == 1


@pytest.fixture
def register_three(db: Database, now: pendulum.DateTime) -> People:
    with db.session() as session:
        people = seed_agencies(session, now)
        active(session, people, now, parties=THREE)
    return people


def test_the_audit_log_names_every_step(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _withdraw(session, people, now)
    with db.session() as s:
        actions = list(
            s.exec(
                select(AuditEvent.action)
                .where(AuditEvent.action.like("consent.%"))  # type: ignore[attr-defined]
                .order_by(AuditEvent.seq)  # type: ignore[arg-type]
            ).all()
        )
    assert actions == ["consent.withdraw", "consent.notify", "consent.notify"]


# --- from the portal: raised by a nominated representative, acknowledged from what waits ------


def test_a_representative_records_it_from_the_portal_and_its_flow_event_goes_out(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    endpoint = EventsEndpoint()
    try:
        settings = Settings(
            database_url=db.url,
            now=now.isoformat(),
            public_url=TEST_PUBLIC_URL,
            secret_key=TEST_SECRET_KEY,
            prefect_api_url=endpoint.url,
        )
        with TestClient(create_app(settings), follow_redirects=False) as portal:
            me = signed_in(db, portal, people.rep[COUNCIL])
            assert "A data subject withdrew consent" in me and shared in me
            csrf = re.search(r'name="csrf" value="([^"]+)"', me).group(1)  # type: ignore[union-attr]
            form = {
                "csrf": csrf,
                "matter": "consent",
                "arrangement": shared,
                "typed_name": "Nominated_Representative of Northshire County Council",
                "confirm": "yes",
            }
            before = db.snapshot(exclude=REFUSAL_WRITES)
            bad = portal.post("/me/raise", data={**form, "subject_ref": "Jane Smith"})
            assert bad.status_code == 422 and "the data subject reference" in bad.text
            assert db.snapshot(exclude=REFUSAL_WRITES) == before
            raised = portal.post("/me/raise", data={**form, "subject_ref": SUBJECT})
            assert raised.status_code == 200, raised.text
            assert "CON-2026-0001 is recorded" in raised.text
            assert "Its flow is starting" in raised.text
    finally:
        endpoint.server.shutdown()
    assert "isa.consent.raised" in [e["event"] for e in endpoint.events()]
    [event] = [e for e in audit(db, "consent.withdraw") if e.outcome.value == "done"]
    assert event.channel == "web" and event.actor == people.rep[COUNCIL]
    assert len(_notices(db)) == 2


def test_a_signatory_sees_no_consent_form_and_is_refused_if_they_post_one(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    with portal_at(db, now.add(minutes=5)) as portal:
        me = signed_in(db, portal, people.signatory[COUNCIL])
        assert "A data subject withdrew consent" not in me
        csrf = re.search(r'name="csrf" value="([^"]+)"', me).group(1)  # type: ignore[union-attr]
        refused = portal.post(
            "/me/raise",
            data={
                "csrf": csrf,
                "matter": "consent",
                "subject_ref": SUBJECT,
                "typed_name": "Signatory of Northshire County Council",
                "confirm": "yes",
            },
        )
    assert refused.status_code == 409 and "not a nominated representative" in refused.text
    assert _notices(db) == []


def test_a_partner_s_representative_signed_in_sees_the_notice_and_acknowledges_it(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _withdraw(session, people, now)
    with portal_at(db, now.add(minutes=5)) as portal:
        me = signed_in(db, portal, people.rep[POLICE])
        assert "acknowledge that processing has ceased" in me and SUBJECT in me
        notice = re.search(r"CPN-2026-000\d", me).group(0)  # type: ignore[union-attr]
        csrf = re.search(r'name="csrf" value="([^"]+)"', me).group(1)  # type: ignore[union-attr]
        opened_page = portal.post(
            "/me/open",
            data={"csrf": csrf, "action": "acknowledge_consent", "subject": notice},
        )
        assert opened_page.status_code == 303
        page = portal.get(opened_page.headers["location"]).text
        fields = form_of(page, "")
        done = portal.post(
            fields.pop("_action"),
            data={
                **fields,
                "typed_name": "Nominated_Representative of Northshire Police",
                "confirm": "yes",
            },
        )
        assert done.status_code == 303, done.text
        after = portal.get("/me").text
    assert notice not in after
    acknowledged = [n for n in _notices(db) if n.reference == notice]
    assert acknowledged[0].acknowledged_by == people.rep[POLICE]
