"""The monitoring group's annual summary (§40) counts the year's withdrawals of consent and
their acknowledgements, its information requests (§7) by kind and timeliness, its sharing
decisions by outcome and its onward sharing requests, and each agency's trained and untrained
staff with access with the training that has lapsed (§12, §38-39), on both backends; it goes to
the group's members and chairs, and a preview sends nothing."""

import pendulum
from sqlmodel import Session, select

from notifications.tables import OutboxEmail
from tasks.protocol.access import record_training
from tasks.protocol.consent import acknowledge_consent, withdraw_consent
from tasks.protocol.decisions import record_decision
from tasks.protocol.monitoring import publish_monitoring_report, summarise
from tasks.protocol.onward import answer_onward_sharing, request_onward_sharing
from tasks.protocol.requests import close_request, record_request
from tests.conftest import Database
from tests.utils.factories import (
    ADMIN,
    COUNCIL,
    POLICE,
    TRUST,
    active,
    granted,
    parties,
    seed_agencies,
)

YEAR_END = pendulum.date(2027, 3, 31)


def test_the_year_s_consent_withdrawals_and_acknowledgements_are_counted(
    session: Session, now: pendulum.DateTime
) -> None:
    people = seed_agencies(session, now)
    active(
        session,
        people,
        now,
        parties=parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "recipient")),
    )
    events = withdraw_consent(
        session,
        agency=COUNCIL,
        data_subject_ref="ASC-1",
        arrangements=[],
        actor=people.rep[COUNCIL],
        now=now,
    )
    notice = next(e.as_dict()["notice"] for e in events if e.name == "consent.notice_sent")
    acknowledge_consent(session, notice=notice, actor=people.rep[TRUST], now=now.add(days=1))
    figures = summarise(session, period_end=YEAR_END).figures
    assert figures["consent_withdrawals"] == 1
    assert figures["consent_notices_acknowledged"] == 1
    assert figures["consent_notices_unacknowledged_now"] == 1
    # a year that ended before it: nothing
    before = summarise(session, period_end=pendulum.date(2026, 3, 31)).figures
    assert before["consent_withdrawals"] == 0 and before["consent_notices_unacknowledged_now"] == 0


def test_the_year_s_information_requests_are_counted_by_kind_and_by_timeliness(
    session: Session, now: pendulum.DateTime
) -> None:
    people = seed_agencies(session, now)
    ref = active(
        session, people, now, parties=parties((COUNCIL, "discloser"), (TRUST, "recipient"))
    )

    def record(kind: str, case: str) -> str:
        events = record_request(
            session,
            agency=TRUST,
            kind=kind,
            received_on="2026-11-20",
            their_ref=case,
            arrangements=[ref],
            summary="Referral numbers by month",
            actor=people.rep[TRUST],
            now=now,
        )
        return str(events[0].as_dict()["request"])

    on_time, late, _open = record("foi", "FOI-1"), record("sar", "SAR-1"), record("foi", "FOI-2")
    close_request(
        session, request=on_time, outcome="disclosed", note="Sent", actor=people.rep[TRUST], now=now
    )
    close_request(
        session,
        request=late,
        outcome="withheld",
        note="Exempt",
        actor=people.rep[TRUST],
        now=pendulum.datetime(2027, 1, 5, 10),
    )
    figures = summarise(session, period_end=YEAR_END).figures
    assert figures["foi_requests_received"] == 2 and figures["sar_requests_received"] == 1
    assert figures["requests_answered_within_due_date"] == 1
    assert figures["requests_answered_after_due_date"] == 1
    assert figures["requests_open_now"] == 1
    # the council's consultations on the two answered requests lapsed; the open one waits
    assert figures["request_consultations_unanswered_now"] == 1
    before = summarise(session, period_end=pendulum.date(2026, 3, 31)).figures
    assert before["foi_requests_received"] == 0 and before["requests_open_now"] == 0
    assert "| foi requests received | 2 |" in summarise(session, period_end=YEAR_END).markdown()


def test_the_training_table_counts_staff_with_access_not_signatories_dpos_or_points_of_contact(
    session: Session, now: pendulum.DateTime
) -> None:
    people = seed_agencies(session, now)
    ref = active(
        session,
        people,
        now,
        parties=parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "recipient")),
    )
    # the trust's and the police's staff members are trained to 25 November 2027 and given
    # access; the trust's renews in time, the police's lets it lapse
    granted(session, people, ref, TRUST, now)
    granted(session, people, ref, POLICE, now)
    record_training(
        session,
        email=people.staff[TRUST],
        course="Protocol e-learning",
        completed_on=pendulum.date(2027, 11, 1),
        expires_on=pendulum.date(2029, 11, 1),
        actor=ADMIN,
        now=pendulum.datetime(2027, 11, 2, 10),
    )
    # the council's staff member is trained but has no access: not counted either way
    record_training(
        session,
        email=people.staff[COUNCIL],
        course="Protocol e-learning",
        completed_on=pendulum.date(2026, 11, 1),
        expires_on=pendulum.date(2029, 11, 1),
        actor=ADMIN,
        now=now,
    )
    summary = summarise(session, period_end=pendulum.date(2028, 3, 31))
    # every agency has a signatory, a representative, a point of contact and a DPO, none of
    # them trained: they are not staff with access to shared data, so none is "untrained"
    assert summary.training == {
        COUNCIL: {"trained": 0, "untrained": 0},
        POLICE: {"trained": 0, "untrained": 1},
        TRUST: {"trained": 1, "untrained": 0},
    }
    assert summary.lapsed == ((f"Staff of {POLICE}", POLICE, "Protocol e-learning", "2027-11-25"),)
    markdown = summary.markdown()
    assert "Staff with access to shared data" in markdown
    assert f"| {POLICE} | 0 | 1 |" in markdown and f"| {TRUST} | 1 | 0 |" in markdown
    flat = summary.flat()
    assert (flat["staff_trained"], flat["staff_untrained"]) == (1, 1)
    assert flat["staff_with_lapsed_training"] == 1
    # at the end of the year before, both were in date
    earlier = summarise(session, period_end=YEAR_END)
    assert earlier.training[POLICE] == {"trained": 1, "untrained": 0} and earlier.lapsed == ()
    _, events = publish_monitoring_report(
        session, period_end=pendulum.date(2028, 3, 31), actor="system:test", now=now
    )
    assert events[0].as_dict()["summary"]["staff_with_lapsed_training"] == 1


def test_the_report_goes_to_the_monitoring_group_s_members_and_the_chairs(
    db: Database, session: Session, now: pendulum.DateTime
) -> None:
    people = seed_agencies(session, now)
    publish_monitoring_report(session, period_end=YEAR_END, actor="system:test", now=now)
    with db.session() as s:
        sent_to = {
            row.recipient
            for row in s.exec(
                select(OutboxEmail).where(OutboxEmail.event == "monitoring.report")
            ).all()
        }
    # the group's members are the agencies' points of contact (§40); the chairs chair it
    assert sent_to == {people.chair, *people.poc.values()}


def test_the_year_s_sharing_decisions_by_outcome_and_onward_requests_are_counted(
    session: Session, now: pendulum.DateTime
) -> None:
    people = seed_agencies(session, now)
    ref = active(
        session,
        people,
        now,
        parties=parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "recipient")),
    )
    for outcome, checked in (("share", "Called back"), ("refuse", None), ("refuse", None)):
        record_decision(
            session,
            arrangement=ref,
            agency=COUNCIL,
            requester=TRUST,
            outcome=outcome,
            data="Case file ASC-1",
            purpose="Strategy meeting",
            legal_basis="Children Act 1989 s.47",
            reasoning="Needed, or not",
            identity_check=checked,
            actor=people.rep[COUNCIL],
            now=now,
        )
    asked = []
    for _ in range(3):
        events = request_onward_sharing(
            session,
            arrangement=ref,
            agency=TRUST,
            third_party="Advocacy service",
            data="Referral dates",
            purpose="Advocacy",
            owner=None,
            actor=people.rep[TRUST],
            now=now,
        )
        asked.append(str(events[0].as_dict()["request"]))
    answer_onward_sharing(
        session, request=asked[0], consent="yes", reason="Fine", actor=people.rep[COUNCIL], now=now
    )
    answer_onward_sharing(
        session, request=asked[1], consent="no", reason="No", actor=people.rep[COUNCIL], now=now
    )
    summary = summarise(session, period_end=YEAR_END)
    figures = summary.figures
    assert figures["sharing_decisions_share"] == 1
    assert figures["sharing_decisions_partial"] == 0
    assert figures["sharing_decisions_refuse"] == 2
    assert figures["onward_requests_consented"] == 1
    assert figures["onward_requests_refused"] == 1
    assert figures["onward_requests_open_now"] == 1
    assert "| sharing decisions refuse | 2 |" in summary.markdown()
    assert "| onward requests open now | 1 |" in summary.markdown()
    before = summarise(session, period_end=pendulum.date(2026, 3, 31)).figures
    assert before["sharing_decisions_refuse"] == 0 and before["onward_requests_open_now"] == 0


def test_a_preview_of_the_report_shows_it_and_writes_and_sends_nothing(
    db: Database, isa, register
) -> None:
    before = db.snapshot()
    preview = isa("sweep", "monitoring", "--preview", "--as-of", "2027-03-31")
    assert preview.code == 0, preview.err
    assert "# Register summary for the monitoring group, 2026-04-01/2027-03-31" in preview.out
    assert "Staff with access to shared data" in preview.out
    assert preview.err == ""
    assert preview.out.endswith(
        "(a preview: nothing was recorded or sent; publish it with isa sweep monitoring "
        "--as-of 2027-03-31)\n"
    )
    assert db.snapshot() == before
    as_json = isa("sweep", "monitoring", "--preview", "--as-of", "2027-03-31", "--json")
    assert as_json.code == 0 and '"preview": true' in as_json.out
    assert db.snapshot() == before
    # published, it is recorded and emailed
    assert isa("sweep", "monitoring", "--as-of", "2027-03-31").code == 0
    assert db.count("audit_event", "action = 'monitoring.report'") == 1
    assert db.count("outbox", "event = 'monitoring.report'") > 0
