"""The portal behind the personal links, driven over HTTP in process (FastAPI's TestClient) on
both backends: a GET only shows, the act is a deliberate POST that runs the CLI's use case with
the web's evidence in the audit log, and every refusal writes nothing but its refusal."""

import html
import re
import threading
from collections.abc import Iterator

import pendulum
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from core.settings import Settings
from models.enums import MeetingOutcome, ReviewOutcome
from models.links import link_token, token_hash
from models.policies import AccessPolicy, ReviewPolicy
from models.tables import Arrangement, ArrangementVersion, AuditEvent, SignOff
from notifications.delivery import deliver_outbox_sync
from notifications.tables import ActionLink, OutboxEmail
from notifications.tables import OutboxEvent as OutboxEventRow
from tasks.audit import verify_audit
from tasks.protocol.access_sweep import remind_attestations
from tasks.protocol.approvals import approve_arrangement, reject_arrangement
from tasks.protocol.arrangements import revise_draft, submit_arrangement
from tasks.protocol.disposal import schedule_ended_arrangements
from tasks.protocol.register import add_chair
from tasks.protocol.reviews import complete_review
from tasks.protocol.suspensions import raise_suspension, record_meeting, schedule_meeting
from tasks.sweeps import chase_approvals, open_due_reviews, remind_upcoming_reviews
from tests.conftest import TEST_PUBLIC_URL, TEST_SECRET_KEY, Database
from tests.utils import smtp
from tests.utils.events_endpoint import EventsEndpoint
from tests.utils.factories import (
    COUNCIL,
    POLICE,
    TRUST,
    People,
    active,
    drafted,
    form,
    granted,
    reviewable,
    seed_agencies,
)
from tests.utils.portal import (
    act,
    ask_to_sign_in,
    audit,
    form_of,
    opened,
    portal_at,
    proved,
    sign_in_token,
    signed_in,
    token_for,
)
from tests.utils.ports import NO_PREFECT
from tests.utils.smtp import SMTPServer
from web.app import create_app
from web.security import COOKIE

smtp_server = smtp.smtp_server  # the fixture: a real aiosmtpd server on a free port

NAME = {
    COUNCIL: "Signatory of Northshire County Council",
    TRUST: "Signatory of Northshire NHS Trust",
}


@pytest.fixture
def portal(db: Database, now: pendulum.DateTime) -> Iterator[TestClient]:
    with portal_at(db, now.add(minutes=5)) as client:
        yield client


def submitted(session: Session, people: People, now: pendulum.DateTime) -> str:
    ref = drafted(session, people, now)
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    return ref


# what a refusal writes: its audit event, and its count against the portal's refusal limits
WRITES = ("audit_event", "audit_head", "portal_attempt")


# --- links: made, kept as a hash, carried by the email -----------------------------------------


def test_submitting_gives_each_signatory_a_link_and_keeps_only_its_hash(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    ref = submitted(session, people, now)
    with db.session() as s:
        links = s.exec(select(ActionLink).order_by(ActionLink.id)).all()  # type: ignore[arg-type]
        rows = {r.recipient: r for r in s.exec(select(OutboxEmail)).all()}
    assert {(link.email, link.action, link.subject_ref, link.version) for link in links} == {
        (people.signatory[COUNCIL], "approve", ref, 1),
        (people.signatory[TRUST], "approve", ref, 1),
    }
    for link in links:
        token = link_token(TEST_SECRET_KEY.encode(), rows[link.email].dedupe_key)
        assert len(token) >= 22  # at least 128 bits, URL-safe base64
        assert link.token_hash == token_hash(token) != token
        # the token itself is nowhere in the links table, nor in the outbox row's context
        assert token not in str(db.snapshot(exclude=("outbox_message",))["action_link"])
        assert token not in str(rows[link.email].context)
        assert link.expires_at == now.add(days=30)


# --- a GET only shows ---------------------------------------------------------------------------


def test_a_scanner_that_fetches_every_link_changes_nothing(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    ref = submitted(session, people, now)
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    before = db.snapshot()
    assert portal.head(f"/a/{token}").status_code == 303
    status, page = opened(portal, token)
    assert status == 200
    assert portal.head(f"/a/{token}").status_code == 303
    assert db.snapshot() == before
    # the whole version: its Appendix J fields, the parties, who signed, the content hash
    for shown in (
        ref,
        "Version 1",
        "Lawful basis",
        "Retention rule",
        "Data shared",
        COUNCIL,
        TRUST,
    ):
        assert shown in page
    assert "awaiting" in page
    assert re.search(r'name="shown_hash" value="[0-9a-f]{64}"', page)
    assert f"I approve version 1 of {ref} for {TRUST}" in page


def test_the_token_leaves_the_url_for_a_signed_httponly_lax_cookie_and_every_header_is_sent(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    submitted(session, people, now)
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    first = portal.get(f"/a/{token}")
    assert first.status_code == 303
    assert token not in first.headers["location"]
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and token not in cookie
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    page = portal.get(first.headers["location"])
    for response in (first, page, portal.get("/"), portal.get("/a/nonsense")):
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
    assert "<script" not in page.text
    # a tampered cookie is no session at all
    portal.cookies.set(COOKIE, portal.cookies[COOKIE][:-2] + "xx")
    assert portal.get(first.headers["location"]).status_code == 403


@pytest.mark.parametrize(
    "token",
    ["nonsense", "A" * 43, token_hash("x")[:43], "../../etc/passwd"],
    ids=["short", "unknown", "hash-like", "path"],
)
def test_an_unknown_or_tampered_link_is_a_plain_404_that_writes_nothing(
    db: Database,
    session: Session,
    people: People,
    now: pendulum.DateTime,
    portal: TestClient,
    token: str,
) -> None:
    submitted(session, people, now)
    before = db.snapshot()
    status, page = opened(portal, token)
    assert status == 404
    assert "This link is not one the register sent" in page
    assert db.snapshot() == before


@pytest.mark.parametrize("path", ["/act/abc", "/act/99999999999999999999999", "/nowhere"])
def test_any_other_address_is_a_plain_page_not_json(portal: TestClient, path: str) -> None:
    for response in (portal.get(path), portal.post(path)):
        assert 400 <= response.status_code < 500
        assert response.headers["content-type"].startswith("text/html")
        assert "<h1>" in response.text and "Nothing has been changed" in response.text


def test_a_page_without_the_links_session_is_refused(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    submitted(session, people, now)
    assert portal.get("/act/1").status_code == 403
    before = db.snapshot()
    forged = portal.post("/act/1", data={"decision": "approve", "typed_name": NAME[COUNCIL]})
    assert forged.status_code == 403
    assert db.snapshot() == before


# --- the act ------------------------------------------------------------------------------------


def test_approving_from_the_link_records_the_web_evidence_and_the_link_is_then_used(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    ref = submitted(session, people, now)
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    _, page = opened(portal, token)
    shown = form_of(page, "approve")["shown_hash"]
    # the act binds the agency: the code emailed to the signatory proves it is them
    code = proved(db, portal, page, people.signatory[TRUST])
    done = act(
        portal,
        page,
        "approve",
        typed_name="  signatory of northshire NHS trust ",
        confirm="yes",
        code=code,
    )
    assert done.status_code == 303, done.text
    after = portal.get(done.headers["location"])
    assert after.status_code == 200 and "Recorded" in after.text

    [event] = [e for e in audit(db, "arrangement.approve") if e.outcome.value == "done"]
    assert (event.actor, event.channel) == (people.signatory[TRUST], "web")
    assert event.evidence is not None
    assert event.evidence["typed_name"] == "  signatory of northshire NHS trust "
    assert event.evidence["content_hash"] == shown
    assert event.evidence["client"] == "testclient"
    assert event.evidence["user_agent"] == "testclient"
    assert event.evidence["channel"] == "web" and isinstance(event.evidence["link"], int)
    assert event.evidence["proof"] == "emailed code" and isinstance(event.evidence["code"], int)
    with db.session() as s:
        link = s.get(ActionLink, event.evidence["link"])
        assert link is not None and link.used_at is not None
    # reloading the link: used, and it says so
    status, again = opened(portal, token)
    assert status == 410 and "already been used" in again

    # the newest email to the last party ("still awaiting you") is only queued: the link it
    # holds, from the first email, still works until that one has left; it approves from either
    first = token_for(db, people.signatory[COUNCIL], "arrangement.submitted")
    assert opened(portal, first)[0] == 200
    council = token_for(db, people.signatory[COUNCIL], "arrangement.approved")
    _, page = opened(portal, council)
    code = proved(db, portal, page, people.signatory[COUNCIL])
    last = act(portal, page, "approve", typed_name=NAME[COUNCIL], confirm="yes", code=code)
    assert last.status_code == 303
    with db.engine.connect() as conn:
        status_now = conn.execute(
            text("SELECT status FROM arrangement WHERE reference = :r"), {"r": ref}
        ).scalar()
    assert status_now == "active"
    # the audit chain, evidence included, still verifies
    with db.session() as s:
        assert verify_audit(s).broken is None


@pytest.mark.parametrize(
    ("values", "why"),
    [
        ({"typed_name": "Someone Else", "confirm": "yes"}, "is not the name the register holds"),
        ({"typed_name": NAME[TRUST]}, "the confirmation was not ticked"),
        ({"typed_name": NAME[TRUST], "confirm": "yes", "shown_hash": "0" * 64}, "changed after"),
        ({"typed_name": NAME[TRUST], "confirm": "yes", "csrf": "forged"}, "security token"),
    ],
    ids=["wrong-name", "not-ticked", "hash-changed", "no-csrf"],
)
def test_a_refused_confirmation_writes_only_its_refusal_with_the_evidence(
    db: Database,
    session: Session,
    people: People,
    now: pendulum.DateTime,
    portal: TestClient,
    values: dict[str, str],
    why: str,
) -> None:
    submitted(session, people, now)
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    _, page = opened(portal, token)
    before = db.snapshot(exclude=WRITES)
    refused = act(portal, page, "approve", **values)
    assert refused.status_code in (403, 409), refused.text
    assert why in refused.text
    assert db.snapshot(exclude=WRITES) == before
    [refusal] = [e for e in audit(db, "arrangement.approve") if e.outcome.value == "refused"]
    assert refusal.channel == "web" and why in (refusal.detail or "")
    assert refusal.evidence is not None and refusal.evidence["client"] == "testclient"
    # the link is still live: the person can try again
    code = proved(db, portal, page, people.signatory[TRUST])
    again = act(portal, page, "approve", typed_name=NAME[TRUST], confirm="yes", code=code)
    assert again.status_code == 303


def test_a_new_version_voids_the_old_versions_links(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    ref = submitted(session, people, now)
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    _, page = opened(portal, token)
    reject_arrangement(
        session,
        reference=ref,
        reason="Retention too long",
        actor=people.signatory[COUNCIL],
        now=now,
    )
    before = db.snapshot(exclude=WRITES)
    late = act(portal, page, "approve", typed_name=NAME[TRUST], confirm="yes")
    assert late.status_code == 410
    assert "superseded by version 2" in late.text
    assert db.snapshot(exclude=WRITES) == before
    status, again = opened(portal, token)
    assert status == 410 and "superseded by version 2" in again


def test_a_reminders_fresh_link_voids_the_old_one_only_once_the_reminder_has_been_sent(
    db: Database, session: Session, people: People, now: pendulum.DateTime, smtp_server: SMTPServer
) -> None:
    ref = submitted(session, people, now)
    old = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    later = now.add(days=8)
    chase_approvals(session, as_of=later.date(), now=later, actor="system:test")
    new = token_for(db, people.signatory[TRUST], "arrangement.approval_reminder")
    assert new != old
    settings = Settings(**smtp_server.settings(database_url=db.url))
    with portal_at(db, later) as portal:
        # queued, not yet in the signatory's inbox: the link they hold still works
        assert opened(portal, old)[0] == 200
        # nor does an SMTP outage take it from them while the reminder waits
        smtp_server.go_down()
        assert deliver_outbox_sync(db.engine, settings, later).sent == 0
        assert opened(portal, old)[0] == 200
        smtp_server.come_back()
        assert deliver_outbox_sync(db.engine, settings, later).sent > 0
        # the reminder has left: its link is the one that works
        status, page = opened(portal, old)
        assert status == 410 and "a newer link was sent" in page
        status, page = opened(portal, new)
        assert status == 200 and ref in page


def test_a_link_expires_after_thirty_days(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    submitted(session, people, now)
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    with portal_at(db, now.add(days=30, seconds=1)) as portal:
        status, page = opened(portal, token)
    assert status == 410 and "expired on" in page


def test_two_posts_at_once_use_the_link_once(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    submitted(session, people, now)
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    _, page = opened(portal, token)
    fields = form_of(page, "approve")
    action = fields.pop("_action")
    code = proved(db, portal, page, people.signatory[TRUST])
    data = {**fields, "typed_name": NAME[TRUST], "confirm": "yes", "code": code}
    statuses: list[int] = []
    start = threading.Barrier(2)

    def post() -> None:
        start.wait()
        statuses.append(portal.post(action, data=data).status_code)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses)[0] == 303 and sorted(statuses)[1] in (409, 410), statuses
    done = [e for e in audit(db, "arrangement.approve") if e.outcome.value == "done"]
    assert len(done) == 1


def test_hostile_names_are_shown_as_text(
    db: Database, session: Session, now: pendulum.DateTime
) -> None:
    people = seed_agencies(session, now)
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE contact SET name = :n WHERE email = :e"),
            {"n": '<script>alert("x")</script> Sam', "e": people.signatory[TRUST]},
        )
    submitted(session, people, now)
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    with portal_at(db, now) as portal:
        _, page = opened(portal, token)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page


# --- a disposal and a meeting -------------------------------------------------------------------


def test_a_representative_confirms_a_disposal_from_the_link(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    ref = reviewable(session, people, now)
    complete_review(
        session, reference=ref, outcome=ReviewOutcome.TERMINATE, actor=people.poc[COUNCIL], now=now
    )
    schedule_ended_arrangements(session, as_of=now.date(), now=now, actor="system:test")
    token = token_for(db, people.rep[TRUST], "disposal.scheduled")
    with portal_at(db, now) as portal:
        status, page = opened(portal, token)
        assert status == 200 and "Confirm the destruction" in page
        fields = form_of(page, "")
        action = fields.pop("_action")
        fields["code"] = proved(db, portal, page, people.rep[TRUST])
        blank = portal.post(
            action,
            data={
                **fields,
                "typed_name": "Nominated_Representative of Northshire NHS Trust",
                "confirm": "yes",
            },
        )
        assert blank.status_code == 422
        done = portal.post(
            action,
            data={
                **fields,
                "method": "Cross-cut shredding",
                "certificate": "CERT-77",
                "typed_name": "Nominated_Representative of Northshire NHS Trust",
                "confirm": "yes",
            },
        )
        assert done.status_code == 303, done.text
    [event] = [e for e in audit(db, "disposal.confirm") if e.outcome.value == "done"]
    assert event.channel == "web" and event.actor == people.rep[TRUST]


def test_a_chair_sets_and_records_the_meeting_and_the_other_chairs_links_go_void(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    add_chair(
        session, email="second@group.example", name="Second Chair", actor="cli:admin", now=now
    )
    raise_suspension(
        session, agency=POLICE, reason="Laptop stolen", actor=people.signatory[POLICE], now=now
    )
    with db.engine.connect() as conn:
        sus = conn.execute(text("SELECT reference FROM suspension")).scalar_one()
    mine = token_for(db, people.chair, "suspension.raised")
    with portal_at(db, now.add(hours=1)) as portal:
        _, page = opened(portal, mine)
        assert "day 0 of 30" in page
        too_late = act(
            portal,
            page,
            "schedule",
            meeting_at=now.add(days=20).format("YYYY-MM-DDTHH:mm"),
            place="Room 2, County Hall",
            typed_name="Chris Chair",
            confirm="yes",
        )
        assert too_late.status_code == 409 and "14 days" in too_late.text
        when = now.add(days=5).in_timezone("Europe/London").format("YYYY-MM-DDT14:00")
        # a meeting nobody can find is no meeting: where, or how to join, is asked for
        assert 'name="place"' in page
        before = db.snapshot(exclude=WRITES)
        nowhere = act(
            portal, page, "schedule", meeting_at=when, typed_name="Chris Chair", confirm="yes"
        )
        assert nowhere.status_code == 422
        assert "where the meeting is held, or how to join it is required" in nowhere.text
        assert db.snapshot(exclude=WRITES) == before
        set_ = act(
            portal,
            page,
            "schedule",
            meeting_at=when,
            place="Teams: https://teams.example/meet/42 (code 123 456)",
            typed_name="Chris Chair",
            confirm="yes",
        )
        assert set_.status_code == 303, set_.text

    held = token_for(db, people.chair, "suspension.meeting_scheduled")
    theirs = token_for(db, "second@group.example", "suspension.meeting_scheduled")
    with portal_at(db, now.add(days=5, hours=6)) as portal:
        _, page = opened(portal, held)
        assert "Record the meeting held" in page
        assert "Teams: https://teams.example/meet/42 (code 123 456)" in page
        recorded = act(
            portal,
            page,
            "record",
            outcome="continue",
            attendee=people.signatory[POLICE],
            risk_assessment="Devices encrypted; risk low",
            typed_name="Chris Chair",
            confirm="yes",
        )
        assert recorded.status_code == 303, recorded.text
        status, page = opened(portal, theirs)
        assert status == 410 and f"{sus} is meeting held" in page
    with db.session() as s:
        on_the_web = s.exec(
            select(AuditEvent).where(AuditEvent.subject_ref == sus, AuditEvent.channel == "web")
        ).all()
    done = {(e.action, e.outcome.value) for e in on_the_web}
    assert ("meeting.schedule", "refused") in done
    assert {"suspension.schedule_meeting", "suspension.hold_meeting"} <= {a for a, _ in done}, done
    assert all(e.evidence and e.evidence["typed_name"] == "Chris Chair" for e in on_the_web)


def test_a_meeting_set_and_held_from_the_portal_starts_the_suspension_flow_to_follow_it(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    """The suspension's flow publishes its story as an artifact: a change made on the web
    publishes the event whose trigger runs that flow again, as one made at the command line."""
    raise_suspension(
        session, agency=POLICE, reason="Laptop stolen", actor=people.signatory[POLICE], now=now
    )
    changed = "event = 'isa.suspension.changed' AND reference = 'SUS-2026-0001'"
    assert db.count("event_outbox", changed) == 0
    with portal_at(db, now.add(hours=1)) as portal:
        _, page = opened(portal, token_for(db, people.chair, "suspension.raised"))
        when = now.add(days=5).in_timezone("Europe/London").format("YYYY-MM-DDT14:00")
        set_ = act(
            portal,
            page,
            "schedule",
            meeting_at=when,
            place="Room 2, County Hall",
            typed_name="Chris Chair",
            confirm="yes",
        )
        assert set_.status_code == 303, set_.text
    assert db.count("event_outbox", changed) == 1
    with portal_at(db, now.add(days=5, hours=6)) as portal:
        _, page = opened(portal, token_for(db, people.chair, "suspension.meeting_scheduled"))
        recorded = act(
            portal,
            page,
            "record",
            outcome="continue",
            attendee=people.signatory[POLICE],
            risk_assessment="Devices encrypted; risk low",
            typed_name="Chris Chair",
            confirm="yes",
        )
        assert recorded.status_code == 303, recorded.text
    assert db.count("event_outbox", changed) == 2


# --- sign-in, what waits on me, raising from the web ------------------------------------------


def test_asking_to_sign_in_says_the_same_for_an_unknown_address_and_writes_nothing_for_it(
    db: Database, session: Session, people: People, portal: TestClient
) -> None:
    # the ask is counted against the limits either way (tests/integration/test_portal_hardening.py)
    before = db.snapshot(exclude=("portal_attempt",))
    unknown = ask_to_sign_in(portal, "nobody@nowhere.example")
    assert unknown.status_code == 200
    assert db.snapshot(exclude=("portal_attempt",)) == before
    known = ask_to_sign_in(portal, people.signatory[TRUST])
    assert known.status_code == 200
    assert unknown.text.replace("nobody@nowhere.example", "X") == known.text.replace(
        people.signatory[TRUST], "X"
    )
    with db.session() as s:
        [link] = s.exec(select(ActionLink).where(ActionLink.action == "sign_in")).all()
    assert link.email == people.signatory[TRUST]
    assert link.expires_at == link.created_at + pendulum.duration(minutes=30)


def test_asking_to_sign_in_publishes_its_delivery_at_once_not_at_the_next_delivery_run(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    # the link lasts 30 minutes: waiting for the quarter-hourly delivery run would spend half
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
            assert ask_to_sign_in(portal, people.signatory[TRUST]).status_code == 200
            published = [e["event"] for e in endpoint.events()]
            # an unknown address queues nothing, so publishes nothing
            assert ask_to_sign_in(portal, "nobody@nowhere.example").status_code == 200
    finally:
        endpoint.server.shutdown()
    assert published == ["isa.outbox.queued"]
    assert [e["event"] for e in endpoint.events()] == ["isa.outbox.queued"]
    with db.session() as s:
        [row] = s.exec(select(OutboxEventRow)).all()
    assert row.published_at is not None


def test_the_sign_in_email_leaves_from_the_portal_at_once_with_no_delivery_run(
    db: Database,
    session: Session,
    people: People,
    now: pendulum.DateTime,
    smtp_server: SMTPServer,
) -> None:
    """With no Prefect server at all (so no delivery run), the sign-in email is in the
    person's mailbox when the reply to the request has been read: the portal sends it itself,
    and only that person's email."""
    # others have emails waiting too: the approval requests of a submitted arrangement
    submitted(session, people, now)
    assert db.count("outbox", "status = 'pending'") > 0
    settings = Settings(
        **smtp_server.settings(
            database_url=db.url,
            now=now.isoformat(),
            public_url=TEST_PUBLIC_URL,
            secret_key=TEST_SECRET_KEY,
            prefect_api_url=NO_PREFECT,
        )
    )
    queued_for_others = db.count(
        "outbox", f"status = 'pending' AND recipient != '{people.signatory[TRUST]}'"
    )
    with TestClient(create_app(settings), follow_redirects=False) as portal:
        assert ask_to_sign_in(portal, people.signatory[TRUST]).status_code == 200
    (message,) = [
        m.data.decode()
        for m in smtp_server.recorder.to(people.signatory[TRUST])
        if b"Subject: Your sign-in link" in m.data
    ]
    assert "/a/" in message
    assert db.count("outbox", "event = 'portal.sign_in_requested' AND status = 'sent'") == 1
    # nobody else's email went with it
    assert db.count(
        "outbox", f"status = 'pending' AND recipient != '{people.signatory[TRUST]}'"
    ) == (queued_for_others)


def test_a_sign_in_link_signs_in_once_on_a_post_and_never_on_a_get(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    assert ask_to_sign_in(portal, people.signatory[TRUST]).status_code == 200
    token = sign_in_token(db, people.signatory[TRUST])
    before = db.snapshot()
    status, page = opened(portal, token)
    assert status == 200 and "Sign in as Signatory of Northshire NHS Trust" in page
    assert portal.get("/me").status_code == 303  # not signed in by the GET
    assert db.snapshot() == before
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    action = re.search(r'action="(/act/\d+)"', page).group(1)  # type: ignore[union-attr]
    assert portal.post(action, data={"csrf": csrf}).status_code == 303
    assert portal.get("/me").status_code == 200
    again = portal.post(action, data={"csrf": csrf})
    assert again.status_code in (410, 403)
    assert opened(portal, token)[0] == 410


def test_signed_in_a_signatory_sees_what_waits_and_acts_from_a_fresh_link(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    ref = submitted(session, people, now)
    me = signed_in(db, portal, people.signatory[TRUST])
    assert ref in me and "approve or reject version 1 for Northshire NHS Trust" in me
    csrf = re.search(r'name="csrf" value="([^"]+)"', me).group(1)  # type: ignore[union-attr]
    opened_page = portal.post("/me/open", data={"csrf": csrf, "action": "approve", "subject": ref})
    assert opened_page.status_code == 303
    page = portal.get(opened_page.headers["location"]).text
    done = act(portal, page, "approve", typed_name=NAME[TRUST], confirm="yes")
    assert done.status_code == 303
    [event] = [e for e in audit(db, "arrangement.approve") if e.outcome.value == "done"]
    assert event.evidence is not None and event.evidence["proof"] == "signed-in session"
    # nothing of that kind waits any more: no fresh link for it
    refused = portal.post("/me/open", data={"csrf": csrf, "action": "approve", "subject": ref})
    assert refused.status_code == 409


def test_a_signatory_raises_a_suspension_from_the_web_and_its_flow_event_goes_out(
    db: Database, session: Session, people: People, now: pendulum.DateTime
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
            me = signed_in(db, portal, people.signatory[POLICE])
            csrf = re.search(r'name="csrf" value="([^"]+)"', me).group(1)  # type: ignore[union-attr]
            raised = portal.post(
                "/me/raise",
                data={
                    "csrf": csrf,
                    "matter": "suspension",
                    "reason": "Laptop stolen",
                    "typed_name": "Signatory of Northshire Police",
                    "confirm": "yes",
                },
            )
            assert raised.status_code == 200, raised.text
            assert (
                "SUS-2026-0001 is raised" in raised.text and "Its flow is starting" in raised.text
            )
    finally:
        endpoint.server.shutdown()
    # the sign-in email's delivery starts at once (its link lasts 30 minutes), then the
    # suspension's flow, which sends the suspension's emails
    assert [e["event"] for e in endpoint.events()] == ["isa.outbox.queued", "isa.suspension.raised"]
    [event] = audit(db, "suspension.raise")
    assert event.channel == "web" and event.evidence is not None
    assert event.evidence["typed_name"] == "Signatory of Northshire Police"
    assert event.evidence["proof"] == "signed-in session"


def test_a_web_act_is_audited_as_the_person_and_their_way_in_never_the_portals_os_user(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    ref = submitted(session, people, now)
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    _, page = opened(portal, token)
    code = proved(db, portal, page, people.signatory[TRUST])
    done = act(portal, page, "approve", typed_name=NAME[TRUST], confirm="yes", code=code)
    assert done.status_code == 303
    me = signed_in(db, portal, people.signatory[POLICE])
    csrf = re.search(r'name="csrf" value="([^"]+)"', me).group(1)  # type: ignore[union-attr]
    raised = portal.post(
        "/me/raise",
        data={
            "csrf": csrf,
            "matter": "suspension",
            "reason": "Laptop stolen",
            "typed_name": "Signatory of Northshire Police",
            "confirm": "yes",
        },
    )
    assert raised.status_code == 200, raised.text
    [approved] = [e for e in audit(db, "arrangement.approve") if e.subject_ref == ref]
    [suspended] = audit(db, "suspension.raise")
    [asked] = audit(db, "portal.sign_in")
    [coded] = audit(db, "link.send_code")
    # the portal process runs as some operating-system user (root in a container): that user
    # did not act; the person did, by the way in the evidence names
    for event, person, way_in in (
        (coded, people.signatory[TRUST], "personal link"),
        (approved, people.signatory[TRUST], "personal link"),
        (suspended, people.signatory[POLICE], "signed-in session"),
        (asked, people.signatory[POLICE], "sign-in form"),
    ):
        assert (event.actor, event.channel, event.os_user) == (person, "web", None)
        assert event.evidence is not None and event.evidence["way_in"] == way_in
    with db.session() as s:
        assert verify_audit(s).broken is None


def test_only_a_signatory_may_raise_and_a_wrong_name_writes_nothing(
    db: Database, session: Session, people: People, portal: TestClient
) -> None:
    me = signed_in(db, portal, people.poc[POLICE])
    assert "Suspend" not in me
    csrf = re.search(r'name="csrf" value="([^"]+)"', me).group(1)  # type: ignore[union-attr]
    before = db.snapshot(exclude=WRITES)
    refused = portal.post(
        "/me/raise",
        data={
            "csrf": csrf,
            "matter": "suspension",
            "reason": "x",
            "typed_name": "Point_Of_Contact of Northshire Police",
            "confirm": "yes",
        },
    )
    assert refused.status_code == 409 and "not a signatory" in refused.text
    wrong = portal.post(
        "/me/raise",
        data={
            "csrf": csrf,
            "matter": "suspension",
            "reason": "x",
            "typed_name": "Eve",
            "confirm": "yes",
        },
    )
    assert wrong.status_code == 409 and "is not the name the register holds" in wrong.text
    assert db.snapshot(exclude=WRITES) == before
    refusals = [e.detail for e in audit(db, "suspension.raise") if e.outcome.value == "refused"]
    assert len(refusals) == 2 and "is not the name" in (refusals[1] or "")


def test_sign_in_attempts_are_limited_per_address(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    statuses = []
    for minute in range(6):
        # a minute apart, so each would be an email of its own
        clock = portal.app.state.portal.settings.model_copy(  # type: ignore[attr-defined]
            update={"now": now.add(minutes=minute).isoformat()}
        )
        portal.app.state.portal.settings = clock  # type: ignore[attr-defined]
        statuses.append(ask_to_sign_in(portal, people.signatory[TRUST]).status_code)
    assert statuses == [200] * 5 + [429]
    with db.session() as s:
        sent = s.exec(select(ActionLink).where(ActionLink.action == "sign_in")).all()
    assert len(sent) == 3  # the register itself sends at most 3 in a quarter of an hour


def test_a_chair_signed_in_sees_the_register_and_the_open_suspensions_day_count(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    ref = submitted(session, people, now)
    raise_suspension(
        session, agency=POLICE, reason="Laptop stolen", actor=people.signatory[POLICE], now=now
    )
    with portal_at(db, now.add(days=3)) as portal:
        me = signed_in(db, portal, people.chair)
    assert ref in me and "SUS-2026-0001" in me and "3 of 30" in me
    assert "set the resolution meeting" in me


# --- a review's outcome and a grant's re-attestation -------------------------------------------


def test_an_officer_records_a_review_outcome_from_the_link_and_the_link_then_goes_void(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    ref = active(session, people, now)
    due = now.add(years=1)
    open_due_reviews(session, as_of=due.date(), policy=ReviewPolicy(), now=due, actor="system:test")
    token = token_for(db, people.poc[TRUST], "review.opened")
    signatory = token_for(db, people.signatory[COUNCIL], "review.opened")
    with portal_at(db, due.add(hours=1)) as portal:
        status, page = opened(portal, token)
        assert status == 200 and f"The review of {ref}" in page
        fields = form_of(page, "")
        action = fields.pop("_action")
        done = portal.post(
            action,
            data={
                **fields,
                "outcome": "renew",
                "typed_name": "Point_Of_Contact of Northshire NHS Trust",
                "confirm": "yes",
            },
        )
        assert done.status_code == 303, done.text
        # the other officers' links: the review is recorded
        status, page = opened(portal, signatory)
        assert status == 410 and "was recorded on" in page
    [event] = [e for e in audit(db, "review.complete") if e.outcome.value == "done"]
    assert event.channel == "web" and event.actor == people.poc[TRUST]


def test_a_review_link_used_before_the_review_opens_is_refused_and_records_only_the_refusal(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    ref = active(session, people, now)  # review due 25 Nov 2027, open from 27 Aug 2027
    # a rehearsal of the 90-day reminder sends its email, and its link, today
    remind_upcoming_reviews(
        session,
        as_of=pendulum.date(2027, 8, 27),
        policy=ReviewPolicy(),
        now=now,
        actor="system:test",
    )
    token = token_for(db, people.poc[TRUST], "review.reminder")
    with portal_at(db, now.add(hours=1)) as portal:
        status, page = opened(portal, token)
        assert status == 200 and f"The review of {ref}" in page
        # the register's rows (not its audit log, nor the portal's attempt counter)
        kept = ("audit_event", "audit_head", "portal_attempt")
        before = db.snapshot(exclude=kept)
        refused = act(
            portal,
            page,
            "",
            outcome="renew",
            typed_name="Point_Of_Contact of Northshire NHS Trust",
            confirm="yes",
        )
        assert refused.status_code == 409, refused.text
        assert (
            f"no review of {ref} is open: it falls due on 25 November 2027 and opens for early "
            "completion on 27 August 2027"
        ) in refused.text
        assert db.snapshot(exclude=kept) == before
    assert [(e.outcome.value, e.channel) for e in audit(db, "review.complete")] == [
        ("refused", "web")
    ]
    with db.session() as fresh:
        arrangement = fresh.exec(select(Arrangement).where(Arrangement.reference == ref)).one()
        assert (arrangement.status.value, arrangement.next_review_due) == (
            "active",
            pendulum.date(2027, 11, 25),
        )


def test_a_point_of_contact_keeps_or_revokes_access_from_the_re_attestation_link(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    ref = active(session, people, now)
    grant = granted(session, people, ref, TRUST, now)
    later = now.add(months=6).subtract(days=10)
    remind_attestations(
        session, as_of=later.date(), policy=AccessPolicy(), now=later, actor="system:test"
    )
    token = token_for(db, people.poc[TRUST], "access.attestation_due")
    with portal_at(db, later.add(hours=1)) as portal:
        status, page = opened(portal, token)
        assert status == 200 and f"still need access {grant}" in page
        no_reason = act(
            portal,
            page,
            "revoke",
            typed_name="Point_Of_Contact of Northshire NHS Trust",
            confirm="yes",
        )
        assert no_reason.status_code == 422
        kept = act(
            portal,
            page,
            "keep",
            typed_name="Point_Of_Contact of Northshire NHS Trust",
            confirm="yes",
        )
        assert kept.status_code == 303, kept.text
        assert opened(portal, token)[0] == 410
    [event] = [e for e in audit(db, "access.attest") if e.outcome.value == "done"]
    assert event.channel == "web" and event.subject_ref == grant


def test_a_settled_suspension_voids_its_chairs_links(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    raise_suspension(
        session, agency=POLICE, reason="Laptop stolen", actor=people.signatory[POLICE], now=now
    )
    meeting = now.add(days=2)
    schedule_meeting(
        session,
        place="Room 2, County Hall",
        suspension="SUS-2026-0001",
        at=meeting,
        actor=people.chair,
        now=now,
    )
    token = token_for(db, people.chair, "suspension.meeting_scheduled")
    # the meeting resumes the agency: the suspension is settled (ended) at once
    record_meeting(
        session,
        suspension="SUS-2026-0001",
        outcome=MeetingOutcome.RESUME,
        attendees=[people.signatory[POLICE]],
        risk_assessment="Recovered; encrypted",
        actor=people.chair,
        now=meeting.add(hours=2),
    )
    with portal_at(db, meeting.add(hours=3)) as portal:
        status, page = opened(portal, token)
    assert status == 410 and "SUS-2026-0001 is ended" in page


def test_a_link_used_after_its_person_lost_the_role_is_refused_with_its_audit_event(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    submitted(session, people, now)
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    # signed in as the signatory: the session proves it is them, so the act reaches its role check
    signed_in(db, portal, people.signatory[TRUST])
    _, page = opened(portal, token)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "DELETE FROM contact_role WHERE role = 'signatory' AND contact_id = "
                "(SELECT id FROM contact WHERE email = :e)"
            ),
            {"e": people.signatory[TRUST]},
        )
    before = db.snapshot(exclude=WRITES)
    refused = act(portal, page, "approve", typed_name=NAME[TRUST], confirm="yes")
    assert refused.status_code == 409 and "is not a signatory" in refused.text
    assert db.snapshot(exclude=WRITES) == before
    [refusal] = [e for e in audit(db, "arrangement.approve") if e.outcome.value == "refused"]
    assert refusal.channel == "web" and refusal.evidence is not None


# --- what was signed stays signed (issue 28) ----------------------------------------------------


def test_an_approval_from_the_link_binds_to_the_stored_version_s_hash_as_the_cli_s_does(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    ref = submitted(session, people, now)
    approve_arrangement(session, reference=ref, actor=people.signatory[COUNCIL], now=now)
    # the link of the Trust's newest email, "still awaiting you"
    token = token_for(db, people.signatory[TRUST], "arrangement.approved")
    _, page = opened(portal, token)
    shown = form_of(page, "approve")["shown_hash"]
    code = proved(db, portal, page, people.signatory[TRUST])
    done = act(portal, page, "approve", typed_name=NAME[TRUST], confirm="yes", code=code)
    assert done.status_code == 303, done.text
    with db.session() as s:
        (stored,) = s.exec(select(ArrangementVersion)).all()
        hashes = [o.content_hash for o in s.exec(select(SignOff).order_by(SignOff.id)).all()]  # type: ignore[arg-type]
    # the page showed the stored version's hash; the CLI's sign-off and the web's bind to it
    assert shown == stored.content_hash
    assert hashes == [stored.content_hash, stored.content_hash]


def _changes_table(page: str) -> dict[str, tuple[str, str]]:
    section = page.split('<h2 id="changes">', 1)[1].split("<h2>", 1)[0]
    return {
        label: (html.unescape(was), html.unescape(now))
        for label, was, now in re.findall(
            r'<tr><th scope="row">([^<]+)</th><td class="was">(.*?)</td>'
            r'<td class="now">(.*?)</td></tr>',
            section,
            re.S,
        )
    }


def test_the_approval_page_shows_field_by_field_what_changed_since_the_version_last_approved(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    ref = reviewable(session, people, now, title="Early help referrals")
    complete_review(
        session, reference=ref, outcome=ReviewOutcome.AMEND, actor=people.poc[COUNCIL], now=now
    )
    retention = {"period_months": 36, "rule": "Kept 36 months", "disposal_method": "Shredding"}
    revise_draft(
        session,
        reference=ref,
        draft=form(
            title="Early help referrals & more", retention=retention, review_interval_months=2
        ),
        actor=people.poc[COUNCIL],
        now=now,
    )
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    status, page = opened(portal, token)
    assert status == 200
    assert "What changed since the version you last approved" in page
    assert "It amends version 1, which stays in force" in page
    changes = _changes_table(page)
    assert changes["Title"] == ("Early help referrals", "Early help referrals & more")
    assert changes["Retention"] == ("24 months", "36 months")
    assert changes["Disposal method"][1] == "Shredding"
    # only what differs: the lawful basis and the parties are as version 1 had them
    assert "Lawful basis" not in changes and "Parties" not in changes


def test_a_signatory_who_never_approved_a_version_is_told_to_read_every_field(
    db: Database, session: Session, people: People, now: pendulum.DateTime, portal: TestClient
) -> None:
    submitted(session, people, now)
    _, page = opened(portal, token_for(db, people.signatory[TRUST], "arrangement.submitted"))
    assert f"{TRUST} has not approved an earlier version" in page
