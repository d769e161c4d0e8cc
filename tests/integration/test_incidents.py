"""Security incidents (§29) on both backends: the agency where information received from a
partner was compromised records it; the originator's nominated representatives and DPO are told
at once and acknowledge from their link; the reporting agency's DPO records from their link
whether it is reported to the ICO, against the 72 hours from awareness, reminded at 24, 48 and
66 hours and, at 72, its signatories and the chairs told; the wrong role and bad input are
refused and write nothing else."""

import json
import re

import pendulum
import pytest
from sqlmodel import Session, select

from core.settings import Settings
from models.enums import ContactRole, IncidentStatus, SuspensionStatus
from models.errors import InvalidInput, NotFound, Refused
from models.tables import SecurityIncident, Suspension
from notifications.delivery import deliver_outbox_sync
from notifications.tables import OutboxEmail
from tasks.chasing import chase_matter
from tasks.deadlines import sweep_deadlines
from tasks.protocol.incidents import (
    acknowledge_incident,
    decide_incident,
    report_incident,
)
from tasks.protocol.monitoring import summarise
from tasks.protocol.register import add_contact
from tests.conftest import Database
from tests.utils import smtp
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
from tests.utils.portal import audit, form_of, opened, portal_at, signed_in, token_for
from tests.utils.smtp import SMTPServer

smtp_server = smtp.smtp_server  # the fixture: a real aiosmtpd server on a free port

WHAT = "Case files EH-2291 to EH-2295 on a stolen laptop; encryption in doubt"
# the council discloses to the trust and the police
THREE = parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "recipient"))
# what a refusal writes: its audit event (and, from the portal, its count against the limits)
AUDITED = ("audit_event", "audit_head", "portal_attempt")


@pytest.fixture
def shared(session: Session, people: People, now: pendulum.DateTime) -> str:
    return active(session, people, now, parties=THREE)


def _aware(now: pendulum.DateTime) -> pendulum.DateTime:
    # the trust became aware two hours before it recorded it
    return now.subtract(hours=2)


def _report(session: Session, people: People, now: pendulum.DateTime, ref: str, **kw) -> str:  # type: ignore[no-untyped-def]
    given = {
        "agency": TRUST,
        "what": WHAT,
        "aware_at": _aware(now).isoformat(),
        "originator": None,
        "actor": people.rep[TRUST],
        **kw,
    }
    events = report_incident(session, arrangement=ref, now=now, **given)
    [told] = [e.as_dict() for e in events if e.name == "incident.reported"]
    return str(told["incident"])


def _emails(db: Database, event: str) -> list[OutboxEmail]:
    with db.session() as session:
        return list(
            session.exec(
                select(OutboxEmail).where(OutboxEmail.event == event).order_by(OutboxEmail.id)  # type: ignore[arg-type]
            ).all()
        )


def _incident(db: Database) -> SecurityIncident:
    with db.session() as session:
        [held] = session.exec(select(SecurityIncident)).all()
        return held


def test_the_originator_and_the_reporting_dpo_are_told_at_once_by_email(
    db: Database,
    session: Session,
    people: People,
    now: pendulum.DateTime,
    shared: str,
    smtp_server: SMTPServer,
) -> None:
    settings = Settings(**smtp_server.settings())
    # the arrangement's own emails out of the way first
    deliver_outbox_sync(db.engine, settings, now)
    smtp_server.received.clear()
    incident = _report(session, people, now, shared)
    assert incident == "INC-2026-0001"
    told = _emails(db, "incident.reported")
    assert {e.recipient for e in told} == {people.rep[COUNCIL], people.dpo[COUNCIL]}
    [owed] = _emails(db, "incident.decision_owed")
    assert owed.recipient == people.dpo[TRUST]
    # the 72 hours from 08:00 on Wednesday 25 November (GMT) end at 08:00 on the Saturday
    assert "by Saturday 28 November 2026 at 08:00" in owed.subject
    report = deliver_outbox_sync(db.engine, settings, now)
    assert report.sent == 3 and len(smtp_server.received) == 3
    [to_dpo] = smtp_server.recorder.to(people.dpo[TRUST])
    body = to_dpo.message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "/a/" in text and WHAT in text and "Saturday 28 November 2026 at 08:00" in text
    for address in (people.rep[COUNCIL], people.dpo[COUNCIL]):
        [got] = smtp_server.recorder.to(address)
        assert "Security incident" in str(got.message["Subject"])
    held = _incident(db)
    assert held.status == IncidentStatus.REPORTED and held.reported_by == people.rep[TRUST]
    assert pendulum.instance(held.aware_at) == _aware(now)


def test_only_an_officer_of_a_receiving_party_reports_and_refusals_are_audited(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    before = db.snapshot(exclude=AUDITED)
    with pytest.raises(Refused, match="not a nominated representative, dpo or point of contact"):
        _report(session, people, now, shared, actor=people.signatory[TRUST])
    # the council discloses: the information is its own, not received
    with pytest.raises(Refused, match="receives no data under"):
        _report(session, people, now, shared, agency=COUNCIL, actor=people.rep[COUNCIL])
    with pytest.raises(Refused, match="discloses no data"):
        _report(session, people, now, shared, originator=POLICE)
    assert db.snapshot(exclude=AUDITED) == before
    refused = [e for e in audit(db, "incident.report") if e.outcome.value == "refused"]
    assert len(refused) == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"what": "  "}, "what was compromised"),
        ({"aware_at": ""}, "when the agency became aware is required"),
        ({"aware_at": "yesterday"}, "not a date-time"),
        ({"aware_at": "2026-11-25"}, "not a date-time"),
        ({"aware_at": "2026-11-25T10:01"}, "is in the future"),
    ],
)
def test_bad_input_is_refused_in_one_line_and_writes_nothing(
    db: Database,
    session: Session,
    people: People,
    now: pendulum.DateTime,
    shared: str,
    change: dict[str, str],
    message: str,
) -> None:
    before = db.snapshot()
    with pytest.raises(InvalidInput, match=message) as refused:
        _report(session, people, now, shared, **change)
    assert "\n" not in str(refused.value)
    assert db.snapshot() == before


def test_awareness_at_this_very_moment_is_accepted(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _report(session, people, now, shared, aware_at="2026-11-25T10:00")
    assert pendulum.instance(_incident(db).aware_at) == now


def test_with_two_disclosers_the_originator_must_be_named(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    both = active(
        session,
        people,
        now,
        parties=parties((COUNCIL, "both"), (POLICE, "both"), (TRUST, "recipient")),
    )
    with pytest.raises(Refused, match="with --originator"):
        _report(session, people, now, both)
    _report(session, people, now, both, originator=POLICE)
    told = _emails(db, "incident.reported")
    assert {e.recipient for e in told} == {people.rep[POLICE], people.dpo[POLICE]}


def test_the_dpo_decides_from_the_link_and_the_originator_is_told(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _report(session, people, now, shared)
    token = token_for(db, people.dpo[TRUST], "incident.decision_owed")
    with portal_at(db, now.add(hours=3)) as portal:
        # the decision binds the agency: the DPO's signed-in session proves it is them
        signed_in(db, portal, people.dpo[TRUST])
        status, page = opened(portal, token)
        assert status == 200 and "Security incident INC-2026-0001" in page and WHAT in page
        assert "Saturday 28 November 2026 at 08:00" in page and "(5 hours ago)" in page
        fields = form_of(page, "")
        action = fields.pop("_action")
        name = "Dpo of Northshire NHS Trust"
        before = db.snapshot(exclude=AUDITED)
        blank = portal.post(
            action, data={**fields, "typed_name": name, "confirm": "yes", "outcome": "yes"}
        )
        assert blank.status_code == 422 and "reason" in blank.text
        neither = portal.post(
            action,
            data={**fields, "typed_name": name, "confirm": "yes", "reason": "Risk to people"},
        )
        assert neither.status_code == 422 and "yes or no" in neither.text
        assert db.snapshot(exclude=AUDITED) == before
        done = portal.post(
            action,
            data={
                **fields,
                "typed_name": name,
                "confirm": "yes",
                "outcome": "yes",
                "reason": "Health records of several people; risk of harm",
            },
        )
        assert done.status_code == 303, done.text
    held = _incident(db)
    assert held.status == IncidentStatus.DECIDED and held.notify_regulator is True
    assert held.decided_by == people.dpo[TRUST] and held.decided_in_time is True
    told = _emails(db, "incident.decided")
    assert {e.recipient for e in told} == {people.rep[COUNCIL], people.dpo[COUNCIL]}
    assert all("reports it to the ICO" in e.subject for e in told)
    assert _emails(db, "incident.decided_late") == []
    [event] = [e for e in audit(db, "incident.decide") if e.outcome.value == "done"]
    assert event.channel == "web"
    assert event.evidence is not None and event.evidence["proof"] == "signed-in session"


def test_the_originator_acknowledges_from_the_link_once(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _report(session, people, now, shared)
    token = token_for(db, people.rep[COUNCIL], "incident.reported")
    with portal_at(db, now.add(minutes=5)) as portal:
        status, page = opened(portal, token)
        assert status == 200 and "acknowledge that Northshire County Council" in page
        done = portal.post(
            form_of(page, "").pop("_action"),
            data={
                **{k: v for k, v in form_of(page, "").items() if k != "_action"},
                "typed_name": "Nominated_Representative of Northshire County Council",
                "confirm": "yes",
            },
        )
        assert done.status_code == 303, done.text
    held = _incident(db)
    assert held.acknowledged_by == people.rep[COUNCIL] and held.acknowledged_at is not None
    # the DPO's link no longer applies once the originator has acknowledged
    late = token_for(db, people.dpo[COUNCIL], "incident.reported")
    with portal_at(db, now.add(minutes=6)) as portal:
        status, page = opened(portal, late)
        assert status == 410 and "was acknowledged by" in page


def test_only_the_reporting_agency_s_dpo_decides_and_only_the_originator_acknowledges(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    incident = _report(session, people, now, shared)
    for who in (people.rep[TRUST], people.dpo[COUNCIL], people.signatory[TRUST]):
        with pytest.raises(Refused, match="is not a dpo of Northshire NHS Trust"):
            decide_incident(
                session,
                incident=incident,
                notify_regulator="no",
                reason="Encrypted",
                actor=who,
                now=now,
            )
    for who in (people.rep[TRUST], people.poc[COUNCIL]):
        with pytest.raises(Refused, match="not a nominated representative or dpo of Northshire C"):
            acknowledge_incident(session, incident=incident, actor=who, now=now)
    refused = [e for e in audit(db, "incident.decide") if e.outcome.value == "refused"]
    assert len(refused) == 3
    assert len([e for e in audit(db, "incident.acknowledge") if e.outcome.value == "refused"]) == 2
    acknowledge_incident(session, incident=incident, actor=people.dpo[COUNCIL], now=now)
    with pytest.raises(Refused, match="already acknowledged"):
        acknowledge_incident(session, incident=incident, actor=people.rep[COUNCIL], now=now)
    decide_incident(
        session,
        incident=incident,
        notify_regulator="no",
        reason="Encrypted",
        actor=people.dpo[TRUST],
        now=now,
    )
    with pytest.raises(Refused, match="cannot decide security incident"):
        decide_incident(
            session,
            incident=incident,
            notify_regulator="yes",
            reason="Again",
            actor=people.dpo[TRUST],
            now=now,
        )
    with pytest.raises(NotFound):
        acknowledge_incident(session, incident="INC-2026-0999", actor=people.rep[COUNCIL], now=now)


def test_undecided_the_dpo_is_reminded_then_the_overdue_incident_goes_to_the_chairs(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    incident = _report(session, people, now, shared)
    # acknowledged by the originator: only the decision is chased here
    acknowledge_incident(session, incident=incident, actor=people.rep[COUNCIL], now=now)
    aware = _aware(now)

    def chase(at: pendulum.DateTime) -> list[str]:
        done = chase_matter(session, "incident", as_of=at.date(), actor="system:test", now=at)
        return [a["action"] for a in done.acted]

    assert chase(aware.add(hours=23, minutes=59)) == []
    assert chase(aware.add(hours=24)) == ["DPO reminded at 24 h"]
    assert chase(aware.add(hours=30)) == []
    # a late check sends only the furthest rung owed: 66 h, not 48 h as well
    assert chase(aware.add(hours=67)) == ["DPO reminded at 66 h"]
    assert chase(aware.add(hours=72)) == ["overdue at 72 h: DPO, signatories and chairs told"]
    assert chase(aware.add(hours=200)) == []
    reminders = _emails(db, "incident.reminder")
    assert [e.recipient for e in reminders] == [people.dpo[TRUST]] * 2
    assert "24 hours since awareness" in reminders[0].subject
    assert {e.recipient for e in _emails(db, "incident.overdue")} == {
        people.dpo[TRUST],
        people.signatory[TRUST],
        people.chair,
    }
    decided_at = aware.add(hours=80)
    decide_incident(
        session,
        incident=incident,
        notify_regulator="yes",
        reason="Reported late: the extent took days to establish",
        actor=people.dpo[TRUST],
        now=decided_at,
    )
    assert _incident(db).decided_in_time is False
    [late] = _emails(db, "incident.decided_late")
    assert late.recipient == people.chair and "decided 80 hours after awareness" in late.subject
    assert chase(aware.add(hours=300)) == []


def test_an_unacknowledged_notice_to_the_originator_is_chased_in_its_working_days(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    incident = _report(session, people, now, shared)
    decide_incident(
        session,
        incident=incident,
        notify_regulator="no",
        reason="Encrypted",
        actor=people.dpo[TRUST],
        now=now,
    )

    def chase(day: pendulum.Date) -> list[str]:
        later = pendulum.datetime(2026, 12, 31)
        done = chase_matter(session, "incident", as_of=day, actor="system:test", now=later)
        return [a["action"] for a in done.acted]

    # told on Wednesday 25 November: 2 working days on is Friday, 5 the next Wednesday, 10 the
    # Wednesday after
    assert chase(pendulum.date(2026, 11, 26)) == []
    assert chase(pendulum.date(2026, 11, 27)) == ["originator reminded to acknowledge"]
    assert chase(pendulum.date(2026, 11, 27)) == []
    # a missed day sends the furthest rung owed only
    assert chase(pendulum.date(2026, 12, 9)) == ["unacknowledged: chairs told"]
    assert chase(pendulum.date(2026, 12, 31)) == []
    assert {e.recipient for e in _emails(db, "incident.acknowledgement_reminder")} == {
        people.rep[COUNCIL],
        people.dpo[COUNCIL],
    }
    assert _emails(db, "incident.acknowledgement_overdue") == []
    [chairs] = _emails(db, "incident.acknowledgement_escalated")
    assert chairs.recipient == people.chair and "10 working days" in chairs.subject


def test_an_acknowledgement_chase_that_reached_the_signatories_stops_once_acknowledged(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    incident = _report(session, people, now, shared)
    at = pendulum.datetime(2026, 12, 31)
    done = chase_matter(
        session, "incident", as_of=pendulum.date(2026, 12, 2), actor="system:t", now=at
    )
    assert "originator reminded: its signatories told" in [a["action"] for a in done.acted]
    assert people.signatory[COUNCIL] in {
        e.recipient for e in _emails(db, "incident.acknowledgement_overdue")
    }
    acknowledge_incident(session, incident=incident, actor=people.dpo[COUNCIL], now=now)
    later = chase_matter(
        session, "incident", as_of=pendulum.date(2026, 12, 31), actor="system:t", now=at
    )
    assert [a for a in later.acted if "originator" in a["action"] or "unack" in a["action"]] == []


def test_the_deadline_sweep_chases_incidents_as_the_safety_net(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _report(session, people, now, shared)
    later = _aware(now).add(hours=49)
    phases = sweep_deadlines(session, as_of=later.date(), actor="system:test", now=later)
    [incidents] = [p for p in phases if p.phase == "incidents"]
    # Friday 27 November: 48 hours since awareness, and two working days since the originator
    # was told without acknowledging
    assert [a["action"] for a in incidents.acted] == [
        "DPO reminded at 48 h",
        "originator reminded to acknowledge",
    ]
    # replaying an earlier day owes no more than that day did
    again = sweep_deadlines(session, as_of=now.date(), actor="system:test", now=later)
    assert [p.acted for p in again if p.phase == "incidents"] == [[]]


def test_signed_in_the_dpo_and_the_originator_see_what_waits_on_them(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _report(session, people, now, shared)
    with portal_at(db, now.add(minutes=5)) as portal:
        dpo = signed_in(db, portal, people.dpo[TRUST])
        rep = signed_in(db, portal, people.rep[COUNCIL])
    assert "INC-2026-0001" in dpo and "reported to the ICO, and why" in dpo
    assert "INC-2026-0001" in rep and "acknowledge that your agency has been told" in rep


def test_the_monitoring_summary_counts_incidents(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    first = _report(session, people, now, shared)
    _report(session, people, now, shared)
    decide_incident(
        session,
        incident=first,
        notify_regulator="no",
        reason="Encrypted device",
        actor=people.dpo[TRUST],
        now=now.add(hours=100),
    )
    figures = summarise(session, period_end=pendulum.date(2026, 12, 31)).figures
    assert figures["security_incidents"] == 2
    assert figures["security_incidents_reported_to_the_ico"] == 0
    assert figures["security_incidents_not_reported_to_the_ico"] == 1
    assert figures["security_incidents_decided_after_72_hours"] == 1
    assert figures["security_incidents_undecided_now"] == 1
    assert figures["security_incidents_unacknowledged_now"] == 2


def test_the_command_line_reports_lists_decides_and_acknowledges(
    isa, db: Database, now, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        people = seed_agencies(session, now)
        ref = active(session, people, now, parties=THREE)
    base = ("incident", "report", "--agency", TRUST, "--arrangement", ref, "--what", WHAT)
    before = db.snapshot(exclude=AUDITED)
    future = isa(*base, "--aware-at", "2026-11-26T09:00", "--as", people.rep[TRUST])
    assert future.code == 1 and future.err.count("\n") == 1 and "--aware-at" in future.err
    assert db.snapshot(exclude=AUDITED) == before
    told = isa(*base, "--aware-at", "2026-11-25T08:00", "--as", people.rep[TRUST])
    assert told.code == 0, told.err
    assert told.out.startswith("INC-2026-0001: Northshire County Council told of the incident")
    # 30 hours on (ISA_NOW replays the clock)
    with monkeypatch.context() as replay:
        replay.setenv("ISA_NOW", "2026-11-26T14:00Z")
        listed = isa("incident", "list", "--open", "--json")
    [row] = json.loads(listed.out)
    assert row["originator"] == COUNCIL and row["agency"] == TRUST and row["what"] == WHAT
    assert row["hours_since_aware"] == 30 and row["status"] == "reported"
    assert row["regulator_deadline"].startswith("2026-11-28T08:00")
    wrong = isa(
        "incident",
        "decide",
        "INC-2026-0001",
        "--notify-regulator",
        "no",
        "--reason",
        "Encrypted",
        "--as",
        people.dpo[COUNCIL],
    )
    assert wrong.code == 1 and wrong.err.count("\n") == 1
    bad = isa(
        "incident",
        "decide",
        "INC-2026-0001",
        "--notify-regulator",
        "maybe",
        "--reason",
        "Encrypted",
        "--as",
        people.dpo[TRUST],
    )
    assert bad.code == 1 and "--notify-regulator must be yes or no" in bad.err
    done = isa(
        "incident",
        "decide",
        "INC-2026-0001",
        "--notify-regulator",
        "no",
        "--reason",
        "Full-disk encryption confirmed",
        "--as",
        people.dpo[TRUST],
    )
    assert done.code == 0, done.err
    assert "INC-2026-0001 not reported to the ICO; Northshire County Council told" in done.out
    acknowledged = isa("incident", "acknowledge", "INC-2026-0001", "--as", people.rep[COUNCIL])
    assert acknowledged.code == 0, acknowledged.err
    assert json.loads(isa("incident", "list", "--open", "--json").out) == []
    shown = isa("incident", "list").out
    assert "decided at 2 h of 72: not reported to the ICO" in shown
    assert "Full-disk encryption confirmed" in shown and "acknowledged by" in shown


def test_a_recipient_s_officer_records_an_incident_from_the_portal(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    with portal_at(db, now.add(minutes=5)) as portal:
        me = signed_in(db, portal, people.dpo[TRUST])
        assert "A security incident compromised information" in me and shared in me
        csrf = re.search(r'name="csrf" value="([^"]+)"', me).group(1)  # type: ignore[union-attr]
        form = {
            "csrf": csrf,
            "matter": "incident",
            "arrangement": shared,
            "what": WHAT,
            "typed_name": "Dpo of Northshire NHS Trust",
            "confirm": "yes",
        }
        before = db.snapshot(exclude=AUDITED)
        future = portal.post("/me/raise", data={**form, "aware_at": "2026-11-26T09:00"})
        assert future.status_code == 422 and "is in the future" in future.text
        assert db.snapshot(exclude=AUDITED) == before
        done = portal.post("/me/raise", data={**form, "aware_at": "2026-11-25T08:00"})
        assert done.status_code == 200 and "INC-2026-0001 is recorded" in done.text
    assert {e.recipient for e in _emails(db, "incident.reported")} == {
        people.rep[COUNCIL],
        people.dpo[COUNCIL],
    }
    [event] = [e for e in audit(db, "incident.report") if e.outcome.value == "done"]
    assert event.channel == "web" and event.actor == people.dpo[TRUST]
    # a signatory, who may not record one, is not offered the form
    with portal_at(db, now.add(minutes=6)) as portal:
        assert "A security incident compromised" not in signed_in(
            db, portal, people.signatory[TRUST]
        )


def test_reporting_with_suspend_suspends_the_agency_in_the_same_change_and_links_the_two(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    # a representative who is not its signatory may not suspend the trust: nothing is written
    before = db.snapshot(exclude=AUDITED)
    with pytest.raises(Refused, match="is not a signatory of Northshire NHS Trust"):
        _report(session, people, now, shared, suspend=True)
    assert db.snapshot(exclude=AUDITED) == before
    [refused] = audit(db, "incident.report")
    assert refused.outcome.value == "refused"
    add_contact(
        session,
        agency=TRUST,
        email="head@trust.example",
        name="Head of Northshire NHS Trust",
        roles=[ContactRole.SIGNATORY, ContactRole.NOMINATED_REPRESENTATIVE],
        actor=ADMIN,
        now=now,
    )
    incident = _report(session, people, now, shared, suspend=True, actor="head@trust.example")
    with db.session() as fresh:
        [matter] = fresh.exec(select(Suspension)).all()
        held = fresh.exec(select(SecurityIncident)).one()
    assert held.suspension_id == matter.id and incident in matter.reason
    assert matter.status == SuspensionStatus.RAISED
    [told] = [e for e in _emails(db, "incident.reported") if e.recipient == people.rep[COUNCIL]]
    assert told.context["event"]["suspension"] == matter.reference
    assert _emails(db, "suspension.raised")


def test_the_command_line_shows_the_suspension_raised_with_an_incident(
    isa, db: Database, now
) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        people = seed_agencies(session, now)
        ref = active(session, people, now, parties=THREE)
    args = ("incident", "report", "--agency", TRUST, "--arrangement", ref, "--what", WHAT)
    args += ("--aware-at", "2026-11-25T08:00", "--suspend")
    refused = isa(*args, "--as", people.rep[TRUST])
    assert refused.code == 1 and "not a signatory" in refused.err
    assert json.loads(isa("incident", "list", "--json").out) == []
    with db.session() as session:
        add_contact(
            session,
            agency=TRUST,
            email="head@trust.example",
            name="Head of Northshire NHS Trust",
            roles=[ContactRole.SIGNATORY, ContactRole.DPO],
            actor=ADMIN,
            now=now,
        )
    done = isa(*args, "--as", "head@trust.example")
    assert done.code == 0, done.err
    assert "Northshire NHS Trust suspended under SUS-2026-0001" in done.out
    [row] = json.loads(isa("incident", "list", "--json").out)
    assert row["suspension"] == "SUS-2026-0001"
    assert "suspended with it: SUS-2026-0001" in isa("incident", "list").out
