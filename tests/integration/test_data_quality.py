"""Data found inaccurate or inadequate (§32, §33) on both backends: a recipient notifies the
agency that disclosed it, whose nominated representative records the correction from their link;
the arrangement's other recipients are then told; an uncorrected notice is chased in the owner's
working days; the wrong role and bad input are refused and write nothing else."""

import json
import re

import pendulum
import pytest
from sqlmodel import Session, select

from models.enums import DataQualityStatus
from models.errors import InvalidInput, Refused
from models.tables import DataQualityNotice
from notifications.tables import OutboxEmail
from tasks.chasing import chase_matter
from tasks.protocol.quality import correct_data, report_data_quality
from tests.conftest import Database
from tests.utils.factories import COUNCIL, POLICE, TRUST, People, active, parties, seed_agencies
from tests.utils.portal import audit, form_of, opened, portal_at, signed_in, token_for

WHAT = "Record EH-2291: the referral date is a year out"
# the council discloses to the trust and the police
THREE = parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "recipient"))
# what a refusal writes: its audit event (and, from the portal, its count against the limits)
AUDITED = ("audit_event", "audit_head", "portal_attempt")


@pytest.fixture
def shared(session: Session, people: People, now: pendulum.DateTime) -> str:
    return active(session, people, now, parties=THREE)


def _report(session: Session, people: People, now: pendulum.DateTime, ref: str, **kw) -> str:  # type: ignore[no-untyped-def]
    given = {"agency": TRUST, "what": WHAT, "owner": None, "actor": people.poc[TRUST], **kw}
    events = report_data_quality(session, arrangement=ref, now=now, **given)
    return str(events[0].as_dict()["notice"])


def _emails(db: Database, event: str) -> list[OutboxEmail]:
    with db.session() as session:
        return list(
            session.exec(
                select(OutboxEmail).where(OutboxEmail.event == event).order_by(OutboxEmail.id)  # type: ignore[arg-type]
            ).all()
        )


def _notices(db: Database) -> list[DataQualityNotice]:
    with db.session() as session:
        return list(session.exec(select(DataQualityNotice)).all())


def test_a_recipient_notifies_the_owner_whose_representative_gets_a_link(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    notice = _report(session, people, now, shared)
    assert notice == "DQN-2026-0001"
    [email] = _emails(db, "data_quality.reported")
    assert email.recipient == people.rep[COUNCIL] and "asks Northshire County" in email.subject
    [held] = _notices(db)
    assert held.status == DataQualityStatus.OPEN and held.reported_by == people.poc[TRUST]


def test_only_a_recipient_s_officer_may_notify_and_only_a_receiving_party(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    before = db.snapshot(exclude=AUDITED)
    with pytest.raises(Refused, match="not a nominated representative or point of contact"):
        _report(session, people, now, shared, actor=people.staff[TRUST])
    # the council discloses: it is the owner, not a recipient
    with pytest.raises(Refused, match="receives no data under"):
        _report(session, people, now, shared, agency=COUNCIL, actor=people.poc[COUNCIL])
    with pytest.raises(Refused, match="discloses no data"):
        _report(session, people, now, shared, owner=POLICE)
    assert db.snapshot(exclude=AUDITED) == before
    refused = [e for e in audit(db, "data_quality.report") if e.outcome.value == "refused"]
    assert len(refused) == 3


@pytest.mark.parametrize("what", ["", "   ", "a\x1b[2Jrepaint"])
def test_a_blank_or_unprintable_description_is_refused_and_writes_nothing(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str, what: str
) -> None:
    before = db.snapshot()
    with pytest.raises(InvalidInput, match="what was found"):
        _report(session, people, now, shared, what=what)
    assert db.snapshot() == before


def test_with_two_disclosers_the_owner_must_be_named(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    both = active(
        session,
        people,
        now,
        parties=parties((COUNCIL, "both"), (POLICE, "both"), (TRUST, "recipient")),
    )
    with pytest.raises(Refused, match="name the data's owner with --owner"):
        _report(session, people, now, both)
    _report(session, people, now, both, owner=POLICE)
    [email] = _emails(db, "data_quality.reported")
    assert email.recipient == people.rep[POLICE]


def test_the_owner_corrects_from_the_link_and_the_other_recipients_are_told(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _report(session, people, now, shared)
    token = token_for(db, people.rep[COUNCIL], "data_quality.reported")
    with portal_at(db, now.add(minutes=5)) as portal:
        status, page = opened(portal, token)
        assert status == 200 and "Data found inaccurate: DQN-2026-0001" in page and WHAT in page
        fields = form_of(page, "")
        action = fields.pop("_action")
        name = "Nominated_Representative of Northshire County Council"
        blank = portal.post(action, data={**fields, "typed_name": name, "confirm": "yes"})
        assert blank.status_code == 422 and "what was corrected" in blank.text
        done = portal.post(
            action,
            data={
                **fields,
                "typed_name": name,
                "confirm": "yes",
                "correction": "Referral date corrected to 3 March 2026",
            },
        )
        assert done.status_code == 303, done.text
    [held] = _notices(db)
    assert held.status == DataQualityStatus.CORRECTED
    assert held.corrected_by == people.rep[COUNCIL]
    told = _emails(db, "data_quality.correction_told")
    # every recipient (the trust that found it and the police) is told; the owner is not
    assert {e.recipient for e in told} == {
        people.rep[TRUST],
        people.poc[TRUST],
        people.rep[POLICE],
        people.poc[POLICE],
    }
    assert all("Corrected: data Northshire County Council shared" in e.subject for e in told)
    [event] = [e for e in audit(db, "data_quality.correct") if e.outcome.value == "done"]
    assert event.channel == "web"


def test_only_the_owner_s_representative_corrects(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    notice = _report(session, people, now, shared)
    for who in (people.poc[COUNCIL], people.rep[TRUST]):
        with pytest.raises(Refused, match="not a nominated representative of Northshire County"):
            correct_data(session, notice=notice, correction="Fixed", actor=who, now=now)
    correct_data(session, notice=notice, correction="Fixed", actor=people.rep[COUNCIL], now=now)
    with pytest.raises(Refused, match="cannot correct data quality notice"):
        correct_data(session, notice=notice, correction="Again", actor=people.rep[COUNCIL], now=now)


def test_an_uncorrected_notice_is_chased_in_working_days_each_rung_once(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _report(session, people, now, shared)

    def chase(day: pendulum.Date) -> list[str]:
        done = chase_matter(
            session, "quality", as_of=day, actor="system:test", now=pendulum.datetime(2026, 12, 10)
        )
        return [a["action"] for a in done.acted]

    assert chase(pendulum.date(2026, 11, 26)) == []
    assert chase(pendulum.date(2026, 11, 27)) == ["reminded"]
    assert chase(pendulum.date(2026, 11, 27)) == []
    assert chase(pendulum.date(2026, 12, 2)) == ["reminded: DPO told"]
    assert chase(pendulum.date(2026, 12, 9)) == ["escalated to the chairs"]
    assert chase(pendulum.date(2026, 12, 31)) == []
    assert {e.recipient for e in _emails(db, "data_quality.chased")} == {people.rep[COUNCIL]}
    assert {e.recipient for e in _emails(db, "data_quality.overdue")} == {
        people.rep[COUNCIL],
        people.dpo[COUNCIL],
    }
    assert {e.recipient for e in _emails(db, "data_quality.escalated")} == {
        people.chair,
        people.dpo[COUNCIL],
    }


def test_the_owner_s_representative_signed_in_sees_the_notice_waiting(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    _report(session, people, now, shared)
    with portal_at(db, now.add(minutes=5)) as portal:
        me = signed_in(db, portal, people.rep[COUNCIL])
    assert "DQN-2026-0001" in me and "record the correction" in me


def test_the_command_line_reports_lists_and_corrects(isa, db: Database, now) -> None:  # type: ignore[no-untyped-def]
    with db.session() as session:
        people = seed_agencies(session, now)
        ref = active(session, people, now, parties=THREE)
    told = isa(
        "quality", "report", ref, "--agency", TRUST, "--what", WHAT, "--as", people.poc[TRUST]
    )
    assert told.code == 0, told.err
    assert told.out.startswith("DQN-2026-0001: Northshire County Council asked to correct")
    listed = isa("quality", "list", "--open", "--json")
    [row] = json.loads(listed.out)
    assert row["owner"] == COUNCIL and row["what"] == WHAT and row["status"] == "open"
    wrong = isa(
        "quality", "correct", "DQN-2026-0001", "--correction", "Fixed", "--as", people.rep[TRUST]
    )
    assert wrong.code == 1 and wrong.err.count("\n") == 1
    blank = isa(
        "quality", "correct", "DQN-2026-0001", "--correction", " ", "--as", people.rep[COUNCIL]
    )
    assert blank.code == 1 and "--correction" in blank.err
    done = isa(
        "quality",
        "correct",
        "DQN-2026-0001",
        "--correction",
        "Referral date corrected",
        "--as",
        people.rep[COUNCIL],
    )
    assert done.code == 0, done.err
    assert re.search(
        r"DQN-2026-0001 corrected; told: Northshire NHS Trust, Northshire Police", done.out
    )
    assert json.loads(isa("quality", "list", "--open", "--json").out) == []
    shown = isa("quality", "list").out
    assert "corrected by" in shown and "Referral date corrected" in shown


def test_a_recipient_s_point_of_contact_notifies_the_owner_from_the_portal(
    db: Database, session: Session, people: People, now: pendulum.DateTime, shared: str
) -> None:
    with portal_at(db, now.add(minutes=5)) as portal:
        me = signed_in(db, portal, people.poc[TRUST])
        assert "Data found inaccurate or inadequate" in me and shared in me
        csrf = re.search(r'name="csrf" value="([^"]+)"', me).group(1)  # type: ignore[union-attr]
        form = {
            "csrf": csrf,
            "matter": "quality",
            "arrangement": shared,
            "typed_name": "Point_Of_Contact of Northshire NHS Trust",
            "confirm": "yes",
        }
        before = db.snapshot(exclude=AUDITED)
        blank = portal.post("/me/raise", data={**form, "what": " "})
        assert blank.status_code == 422 and "what was found" in blank.text
        assert db.snapshot(exclude=AUDITED) == before
        done = portal.post("/me/raise", data={**form, "what": WHAT})
        assert done.status_code == 200 and "DQN-2026-0001 is recorded" in done.text
        # its flow schedules its checker runs: with no Prefect server here, it starts later
        assert "Its flow starts as soon as the register's scheduler is reachable" in done.text
    [email] = _emails(db, "data_quality.reported")
    assert email.recipient == people.rep[COUNCIL]
    [event] = [e for e in audit(db, "data_quality.report") if e.outcome.value == "done"]
    assert event.channel == "web" and event.actor == people.poc[TRUST]
