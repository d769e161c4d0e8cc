"""Queueing: each use case writes its emails to the outbox in its own transaction, to the people
the catalog names as the register stands, once per dedupe key, and withdraws pending emails the
change made unnecessary."""

import email
import threading
from email.message import EmailMessage
from email.policy import default as default_policy

import pendulum
import pytest
from sqlalchemy import text, update
from sqlalchemy.orm import object_session
from sqlmodel import Session, col, select

from models.enums import ContactRole, MeetingOutcome
from models.errors import Refused
from models.links import link_token
from models.tables import Contact
from notifications import outbox as outbox_module
from notifications.render import render_email
from notifications.tables import OutboxEmail, OutboxMessage, OutboxStatus
from tasks.protocol.access import revoke_access
from tasks.protocol.approvals import approve_arrangement
from tasks.protocol.arrangements import submit_arrangement
from tasks.protocol.register import add_contact
from tasks.protocol.suspensions import (
    end_suspension,
    raise_suspension,
    record_meeting,
    schedule_meeting,
)
from tasks.protocol.withdrawals import withdraw_agency
from tasks.uow import unit_of_work
from tests.conftest import TEST_LINKS, TEST_SECRET_KEY, Database
from tests.utils.factories import (
    ADMIN,
    COUNCIL,
    POLICE,
    TRUST,
    People,
    active,
    drafted,
    granted,
)


def emails(session: Session, event: str | None = None, **where: object) -> list[OutboxEmail]:
    # end any earlier read and forget loaded rows, so what was written since is seen
    session.rollback()
    session.expire_all()
    stmt = select(OutboxEmail).order_by(col(OutboxEmail.id))
    if event is not None:
        stmt = stmt.where(OutboxEmail.event == event)
    for key, value in where.items():
        stmt = stmt.where(getattr(OutboxEmail, key) == value)
    return list(session.exec(stmt).all())


def parsed(row: OutboxEmail) -> EmailMessage:
    """The message the row will send (all but its From header)."""
    session = object_session(row)
    assert session is not None
    stored = session.get(OutboxMessage, row.id)
    assert stored is not None
    message = email.message_from_string(stored.message, policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def part_of(row: OutboxEmail, kind: str) -> str:
    """The plain or html part of the message the row will send, with its own line ends."""
    part = parsed(row).get_body(preferencelist=(kind,))
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def text_of(row: OutboxEmail) -> str:
    return part_of(row, "plain")


def recipients(rows: list[OutboxEmail]) -> set[str]:
    return {row.recipient for row in rows}


def all_signatories(people: People, *agencies: str) -> set[str]:
    return {people.signatory[a] for a in agencies}


def party_officers(people: People, *agencies: str) -> set[str]:
    return {people.signatory[a] for a in agencies} | {people.poc[a] for a in agencies}


# --- an arrangement's approval ------------------------------------------------------------------


def test_drafting_sends_nothing_and_submitting_asks_each_partys_signatory(
    session, people, now
) -> None:
    ref = drafted(session, people, now)
    assert emails(session) == []

    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)

    rows = emails(session, "arrangement.submitted")
    assert recipients(rows) == all_signatories(people, COUNCIL, TRUST)
    assert {row.status for row in rows} == {OutboxStatus.PENDING}
    assert {row.occurrence for row in rows} == {"1"}
    assert all(row.subject.startswith(f"Approval needed: {ref} ") for row in rows)
    assert all(row.next_attempt_at == now for row in rows)


def test_a_partial_approval_tells_the_parties_who_is_still_awaited(session, people, now) -> None:
    ref = drafted(session, people, now)
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)

    approve_arrangement(session, reference=ref, actor=people.signatory[COUNCIL], now=now)

    rows = emails(session, "arrangement.approved")
    assert recipients(rows) == party_officers(people, COUNCIL, TRUST)
    assert all(row.subject == f"{COUNCIL} approved {ref}; still awaiting {TRUST}" for row in rows)
    to_trust = next(r for r in rows if r.recipient == people.signatory[TRUST])
    assert "Your agency's approval is one of those awaited" in text_of(to_trust)
    to_council = next(r for r in rows if r.recipient == people.signatory[COUNCIL])
    assert "Nothing is needed from you now." in text_of(to_council)


def test_activation_tells_every_party_the_review_date_and_cancels_the_pending_requests(
    session, people, now
) -> None:
    active(session, people, now)

    activated = emails(session, "arrangement.activated")
    assert recipients(activated) == party_officers(people, COUNCIL, TRUST)
    assert all("Wednesday 25 November 2026" in text_of(row) for row in activated)
    assert all("reviewed by Thursday 25 November 2027" in text_of(row) for row in activated)
    # the last approval sends no "still awaiting" email; the earlier one, out of date, and the
    # requests to approve, answered, are withdrawn if still unsent
    approved = emails(session, "arrangement.approved")
    assert {r.occurrence for r in approved} == {f"1/{COUNCIL}"}
    assert {(r.status, r.last_error) for r in approved} == {
        (OutboxStatus.CANCELLED, "cancelled by arrangement.approved")
    }
    assert {(r.status, r.last_error) for r in emails(session, "arrangement.submitted")} == {
        (OutboxStatus.CANCELLED, "cancelled by arrangement.activated")
    }


def test_a_person_named_by_two_audiences_gets_one_email(session, people, now) -> None:
    add_contact(
        session,
        agency=TRUST,
        email=people.signatory[TRUST],
        name="ignored",
        roles=[ContactRole.POINT_OF_CONTACT],
        actor=ADMIN,
        now=now,
    )
    active(session, people, now)

    activated = emails(session, "arrangement.activated")
    assert [r.recipient for r in activated].count(people.signatory[TRUST]) == 1
    one = next(r for r in activated if r.recipient == people.signatory[TRUST])
    assert one.context["recipient"]["capacity"] == f"signatory for {TRUST}"


# --- suspension (§41) and withdrawal (§42) -----------------------------------------------------


def test_a_suspension_goes_to_every_signatory_of_every_partner_and_the_chairs_but_not_leavers(
    session, people, now
) -> None:
    withdraw_agency(
        session, agency=POLICE, reason="Merging forces", actor=people.signatory[POLICE], now=now
    )
    add_contact(
        session,
        agency=COUNCIL,
        email="former.signatory@county.example",
        name="Former Signatory",
        roles=[ContactRole.SIGNATORY],
        actor=ADMIN,
        now=now,
    )
    session.execute(
        update(Contact)
        .where(col(Contact.email) == "former.signatory@county.example")
        .values(left_at=now)
    )
    session.commit()

    raise_suspension(
        session, agency=TRUST, reason="Server breach", actor=people.signatory[TRUST], now=now
    )

    rows = emails(session, "suspension.raised")
    assert recipients(rows) == all_signatories(people, COUNCIL, TRUST) | {people.chair}
    body = text_of(rows[0])
    assert "Server breach" in body
    assert "must take place by Wednesday 9 December 2026" in body
    assert "The suspension ends on Friday 25 December 2026 at 10:00" in body
    # the chair is asked to set the meeting, by the personal link in the email, not a command
    chair = next(r for r in rows if r.recipient == people.chair)
    asked = text_of(chair)
    assert "Open your personal link to set the date and time of the risk assessment" in asked
    assert "isa meeting" not in asked
    signatory = next(r for r in rows if r.recipient != people.chair)
    assert "Open your personal link" not in text_of(signatory)


def test_withdrawal_is_the_written_notice_to_the_chairs_and_goes_to_every_partner(
    session, people, now
) -> None:
    withdraw_agency(
        session, agency=POLICE, reason="Merging forces", actor=people.signatory[POLICE], now=now
    )

    # effective today: the notice and its taking effect are one email to each person
    assert emails(session, "withdrawal.noticed") == []
    rows = emails(session, "withdrawal.completed")
    assert recipients(rows) == all_signatories(people, COUNCIL, TRUST, POLICE) | {people.chair}
    chair = next(r for r in rows if r.recipient == people.chair)
    assert "the written notice to the chairs that §42 requires" in text_of(chair)
    assert "Merging forces" in text_of(chair)
    own = next(r for r in rows if r.recipient == people.signatory[POLICE])
    assert "This confirms your agency's notice" in text_of(own)


def test_moving_the_meeting_replaces_the_unsent_invitation_and_holding_it_cancels_the_rest(
    session, people, now
) -> None:
    [raised] = raise_suspension(
        session, agency=TRUST, reason="Server breach", actor=people.signatory[TRUST], now=now
    )
    ref = raised.as_dict()["suspension"]
    first = now.add(days=3)
    schedule_meeting(
        session, place="Room 2, County Hall", suspension=ref, at=first, actor=people.chair, now=now
    )
    schedule_meeting(
        session,
        place="Room 2, County Hall",
        suspension=ref,
        at=first.add(days=2),
        actor=people.chair,
        now=now,
    )

    invites = emails(session, "suspension.meeting_scheduled")
    by_sequence = {r.context["calendar"]["sequence"]: r for r in invites}
    assert set(by_sequence) == {0, 1}
    assert {r.status for r in invites if r.context["calendar"]["sequence"] == 0} == {
        OutboxStatus.CANCELLED
    }
    assert {r.status for r in invites if r.context["calendar"]["sequence"] == 1} == {
        OutboxStatus.PENDING
    }

    record_meeting(
        session,
        suspension=ref,
        outcome=MeetingOutcome.CONTINUE,
        attendees=[people.chair],
        risk_assessment="Contained",
        actor=people.chair,
        now=now.add(days=5),
    )
    assert {r.status for r in emails(session, "suspension.meeting_scheduled")} == {
        OutboxStatus.CANCELLED
    }
    assert len(emails(session, "suspension.meeting_held")) == 4


def test_moving_the_meeting_back_to_an_earlier_time_is_a_new_invitation(
    session, people, now
) -> None:
    [raised] = raise_suspension(
        session, agency=TRUST, reason="Server breach", actor=people.signatory[TRUST], now=now
    )
    ref = raised.as_dict()["suspension"]
    first, second = now.add(days=3), now.add(days=4)
    for when in (first, second, first):
        schedule_meeting(
            session,
            place="Room 2, County Hall",
            suspension=ref,
            at=when,
            actor=people.chair,
            now=now,
        )

    invites = emails(session, "suspension.meeting_scheduled", status=OutboxStatus.PENDING)
    assert {r.context["calendar"]["sequence"] for r in invites} == {2}
    assert {r.context["event"]["meeting_at"] for r in invites} == {first.isoformat()}


# --- access (§10) ------------------------------------------------------------------------------


def test_revoking_access_tells_the_staff_member_their_agency_and_the_data_owner(
    session, people, now
) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)
    assert recipients(emails(session, "access.granted")) == {people.staff[TRUST], people.poc[TRUST]}

    revoke_access(
        session, grant=grant, reason="Moved teams", actor=people.rep[COUNCIL], now=now.add(days=1)
    )

    revoked = emails(session, "access.revoked")
    # the council discloses under the default form: its nominated representative is told
    assert recipients(revoked) == {people.staff[TRUST], people.poc[TRUST], people.rep[COUNCIL]}
    assert {r.status for r in emails(session, "access.granted")} == {OutboxStatus.CANCELLED}


# --- exactly once, and only with the change ----------------------------------------------------


def test_queueing_an_event_again_adds_no_row(session, people, now) -> None:
    [raised] = raise_suspension(
        session, agency=TRUST, reason="Server breach", actor=people.signatory[TRUST], now=now
    )
    before = len(emails(session))

    with unit_of_work(session, actor=ADMIN, now=now.add(hours=1), action="test.replay") as uow:
        uow.emit(raised)

    assert len(emails(session)) == before


def test_rerunning_an_idempotent_use_case_queues_nothing_more(session, people, now) -> None:
    [raised] = raise_suspension(
        session, agency=TRUST, reason="Server breach", actor=people.signatory[TRUST], now=now
    )
    ref = raised.as_dict()["suspension"]
    later = now.add(days=31)
    end_suspension(session, suspension=ref, actor=ADMIN, now=later)
    ended = len(emails(session, "suspension.ended"))
    assert ended == 4

    end_suspension(session, suspension=ref, actor=ADMIN, now=later.add(hours=1))

    assert len(emails(session, "suspension.ended")) == ended


def test_two_transactions_queueing_the_same_emails_at_once_store_them_once(
    db: Database, session, people, now
) -> None:
    [event] = raise_suspension(
        session, agency=TRUST, reason="Server breach", actor=people.signatory[TRUST], now=now
    )
    # as if the first run's emails had not been queued: two runs now race to queue them
    session.execute(text("DELETE FROM outbox"))
    session.commit()
    start = threading.Barrier(2)
    problems: list[BaseException] = []

    def queue() -> None:
        try:
            with db.session() as mine:
                start.wait(10)
                with unit_of_work(mine, actor=ADMIN, now=now, action="test.race") as uow:
                    uow.emit(event)
        except BaseException as exc:
            problems.append(exc)

    racers = [threading.Thread(target=queue) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(30)

    assert problems == []
    rows = emails(session, "suspension.raised")
    assert len(rows) == 4
    assert len({r.dedupe_key for r in rows}) == 4


def test_a_refused_action_queues_nothing(session, people, now) -> None:
    with pytest.raises(Refused):
        raise_suspension(
            session, agency=TRUST, reason="Server breach", actor=people.poc[TRUST], now=now
        )
    assert emails(session) == []


def test_an_email_that_cannot_be_rendered_rolls_back_the_change_that_caused_it(
    db: Database, session, people, now, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(template: str, context: object) -> None:
        raise RuntimeError("template store unreachable")

    monkeypatch.setattr(outbox_module, "render_email", broken)
    with pytest.raises(RuntimeError):
        raise_suspension(
            session, agency=TRUST, reason="Server breach", actor=people.signatory[TRUST], now=now
        )
    assert emails(session) == []
    assert db.count("suspension") == 0
    assert db.count("agency", "status = 'suspended'") == 0


def test_the_stored_context_survives_json_and_renders_the_stored_email_again(
    session, people, now
) -> None:
    raise_suspension(
        session, agency=TRUST, reason="Server <b>breach</b>", actor=people.signatory[TRUST], now=now
    )
    linked = 0
    for row in emails(session):
        context = row.context
        if context.get("link"):
            # the link's URL is not kept with the context: it is made again from the key
            assert context["link"]["url"] == "(personal link)"
            token = link_token(TEST_SECRET_KEY.encode(), row.dedupe_key)
            context = {**context, "link": {**context["link"], "url": TEST_LINKS.url(token)}}
            linked += 1
        again = render_email(row.template, context)
        assert again.subject == row.subject == parsed(row)["Subject"]
        assert part_of(row, "html") == again.html
        assert part_of(row, "plain") == again.text
    assert linked == 1  # the chair's: they set the meeting from it


def test_queueing_an_email_already_queued_never_cancels_it(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    """A reminder that cancels older reminders of its arrangement must not cancel itself: a
    second sweep reaching the reminder a first sweep has just queued used to withdraw it, and
    the insert of its own copy then did nothing (the dedupe key was taken): the email was lost."""
    from models.events import ReviewReminderDue

    ref = active(session, people, now)
    reminder = ReviewReminderDue(arrangement=ref, due_on="2027-11-25", days_before=30)
    for _ in range(2):
        with unit_of_work(session, actor=ADMIN, now=now, action="review.remind") as uow:
            uow.emit(reminder)
    rows = emails(session, "review.reminder")
    assert len(rows) == 4
    assert {row.status for row in rows} == {OutboxStatus.PENDING}
    # a nearer rung still withdraws the older one, as it did
    with unit_of_work(session, actor=ADMIN, now=now, action="review.remind") as uow:
        uow.emit(ReviewReminderDue(arrangement=ref, due_on="2027-11-25", days_before=7))
    by_rung = {(row.occurrence, row.status) for row in emails(session, "review.reminder")}
    assert by_rung == {
        ("2027-11-25/30", OutboxStatus.CANCELLED),
        ("2027-11-25/7", OutboxStatus.PENDING),
    }
