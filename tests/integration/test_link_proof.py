"""Who holds a personal link is proved, not claimed: an act that binds an agency (approving or
rejecting a version, confirming a disposal, the DPO's decision on reporting an incident) needs
the browser signed in as the link's addressee, or the one-time code the page emails to their own
address. A forwarded link, with the name the email greets, is not enough; a browser signed in as
someone else is refused, and the refusal names both. On both backends, over HTTP in process."""

import re
from collections.abc import Iterator

import pendulum
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from core.settings import Settings
from models.enums import ContactRole, ReviewOutcome
from models.links import CODE_TRIES, CODES_PER_HOUR
from models.tables import AuditEvent
from notifications.tables import ActionLink, LinkCode, OutboxEmail
from tasks.protocol.arrangements import submit_arrangement
from tasks.protocol.disposal import schedule_ended_arrangements
from tasks.protocol.incidents import report_incident
from tasks.protocol.register import add_contact
from tasks.protocol.reviews import complete_review
from tests.conftest import TEST_PUBLIC_URL, TEST_SECRET_KEY, Database
from tests.utils.events_endpoint import EventsEndpoint
from tests.utils.factories import COUNCIL, TRUST, People, active, drafted, reviewable
from tests.utils.portal import (
    act,
    ask_for_code,
    audit,
    form_of,
    opened,
    portal_at,
    proved,
    signed_in,
    token_for,
)
from web.app import create_app

SIGNATORY = "Signatory of Northshire NHS Trust"
# what a refused act may write: its refusal in the audit chain and its count (portal_attempt)
AUDITED = ("audit_event", "audit_head", "portal_attempt")


@pytest.fixture
def portal(db: Database, now: pendulum.DateTime) -> Iterator[TestClient]:
    with portal_at(db, now.add(minutes=5)) as client:
        yield client


@pytest.fixture
def ref(session: Session, people: People, now: pendulum.DateTime) -> str:
    """An arrangement awaiting both signatories' approval."""
    reference = drafted(session, people, now)
    submit_arrangement(session, reference=reference, actor=people.poc[COUNCIL], now=now)
    return reference


def _page_of(page: str) -> str:
    found = re.search(r'action="(/act/\d+)"', page)
    assert found is not None
    return found.group(1)


def _done(db: Database, action: str) -> list[dict[str, object]]:
    return [e.evidence or {} for e in audit(db, action) if e.outcome.value == "done"]


def _refusals(db: Database, action: str) -> list[str]:
    return [e.detail or "" for e in audit(db, action) if e.outcome.value == "refused"]


def test_a_forwarded_link_with_the_greeted_name_cannot_approve_without_the_addressee_s_code(
    db: Database, people: People, ref: str, portal: TestClient
) -> None:
    # a colleague opens the signatory's forwarded email in their own browser, types the name
    # the email greets and ticks the box
    _, page = opened(portal, token_for(db, people.signatory[TRUST], "arrangement.submitted"))
    assert "Email me a code" in page and people.signatory[TRUST] in page
    before = db.snapshot(exclude=AUDITED)
    refused = act(portal, page, "approve", typed_name=SIGNATORY, confirm="yes")
    assert refused.status_code == 409, refused.text
    assert "this act binds Northshire NHS Trust" in refused.text
    wrong = act(portal, page, "approve", typed_name=SIGNATORY, confirm="yes", code="123456")
    assert wrong.status_code == 409 and "no code has been sent" in wrong.text
    assert db.snapshot(exclude=AUDITED) == before
    assert _done(db, "arrangement.approve") == []
    assert len(_refusals(db, "arrangement.approve")) == 2


def test_the_code_goes_to_the_addressee_alone_is_kept_only_as_a_hash_and_proves_the_act(
    db: Database, people: People, ref: str, portal: TestClient
) -> None:
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    before = db.snapshot()
    _, page = opened(portal, token)
    where = _page_of(page)
    # a GET only shows: no code is made or sent by opening the page, nor by fetching its address
    assert portal.get(f"{where}/code").status_code in (404, 405)
    assert db.snapshot() == before
    code = proved(db, portal, page, people.signatory[TRUST])
    with db.session() as s:
        [email] = s.exec(
            select(OutboxEmail).where(OutboxEmail.event == "portal.code_requested")
        ).all()
        [row] = s.exec(select(LinkCode)).all()
    assert email.recipient == people.signatory[TRUST]
    assert "approve or reject version 1" in email.subject
    # the code is in the message sent, nowhere else: not in the outbox row's context, the
    # code's own row, or the audit log
    assert email.context["event"]["code"] == "(one-time code)" and code not in str(email.context)
    assert row.code_hash != code and code not in row.code_hash
    with db.session() as s:
        logged = [(e.before, e.after, e.detail, e.evidence) for e in s.exec(select(AuditEvent))]
    assert logged and code not in str(logged)
    assert len(row.code_hash) == 64 and row.expires_at == row.created_at + pendulum.duration(
        minutes=10
    )
    page = portal.get(where).text
    assert "A code was sent; it works until" in page
    done = act(portal, page, "approve", typed_name=SIGNATORY, confirm="yes", code=f" {code} ")
    assert done.status_code == 303, done.text
    [evidence] = _done(db, "arrangement.approve")
    assert evidence["proof"] == "emailed code" and evidence["code"] == row.id
    assert "signed_in_as" not in evidence
    with db.session() as s:
        used = s.get(LinkCode, row.id)
        link = s.get(ActionLink, row.link_id)
        assert used is not None and link is not None
        # consumed in the act's own transaction: the same instant as the link
        assert used.used_at is not None and used.used_at == link.used_at


def test_a_wrong_code_is_refused_and_after_its_tries_even_the_right_one_is(
    db: Database, people: People, ref: str, portal: TestClient
) -> None:
    _, page = opened(portal, token_for(db, people.signatory[TRUST], "arrangement.submitted"))
    code = proved(db, portal, page, people.signatory[TRUST])
    wrong = "000000" if code != "000000" else "111111"
    before = db.snapshot(exclude=(*AUDITED, "link_code"))
    for attempt in range(CODE_TRIES):
        refused = act(portal, page, "approve", typed_name=SIGNATORY, confirm="yes", code=wrong)
        assert refused.status_code == 409
        assert "is not the code sent to" in refused.text, attempt
    spent = act(portal, page, "approve", typed_name=SIGNATORY, confirm="yes", code=code)
    assert spent.status_code == 409 and f"has had its {CODE_TRIES} tries" in spent.text
    assert db.snapshot(exclude=(*AUDITED, "link_code")) == before
    with db.session() as s:
        [row] = s.exec(select(LinkCode)).all()
    assert row.attempts == CODE_TRIES and row.used_at is None
    assert len(_refusals(db, "arrangement.approve")) == CODE_TRIES + 1
    # a new code works
    fresh = proved(db, portal, portal.get(_page_of(page)).text, people.signatory[TRUST])
    done = act(portal, page, "approve", typed_name=SIGNATORY, confirm="yes", code=fresh)
    assert done.status_code == 303, done.text


def test_a_code_expires_after_ten_minutes(
    db: Database, people: People, ref: str, now: pendulum.DateTime
) -> None:
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    with portal_at(db, now.add(minutes=5)) as portal:
        _, page = opened(portal, token)
        code = proved(db, portal, page, people.signatory[TRUST])
    with portal_at(db, now.add(minutes=15, seconds=1)) as portal:
        _, page = opened(portal, token)
        late = act(portal, page, "approve", typed_name=SIGNATORY, confirm="yes", code=code)
    assert late.status_code == 409 and "has expired" in late.text
    assert _done(db, "arrangement.approve") == []


def test_codes_for_one_link_are_limited_per_hour(
    db: Database, people: People, ref: str, portal: TestClient
) -> None:
    _, page = opened(portal, token_for(db, people.signatory[TRUST], "arrangement.submitted"))
    for _ in range(CODES_PER_HOUR):
        assert ask_for_code(portal, page).status_code == 303
    before = db.snapshot(exclude=AUDITED)
    refused = ask_for_code(portal, page)
    assert refused.status_code == 409 and "codes were sent for this link" in refused.text
    assert db.snapshot(exclude=AUDITED) == before
    assert len(db.recipients("portal.code_requested")) == 1
    assert db.count("outbox", "event = 'portal.code_requested'") == CODES_PER_HOUR


def test_the_code_email_leaves_at_once(
    db: Database, people: People, ref: str, now: pendulum.DateTime
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
            _, page = opened(
                portal, token_for(db, people.signatory[TRUST], "arrangement.submitted")
            )
            assert ask_for_code(portal, page).status_code == 303
    finally:
        endpoint.server.shutdown()
    # its delivery run is asked for as the request is answered, not at the next scheduled run
    # (with the submission's own event, left for whoever publishes next)
    assert [e["event"] for e in endpoint.events()][-1:] == ["isa.outbox.queued"]


def test_signed_in_as_the_addressee_the_act_needs_no_code_and_the_evidence_says_so(
    db: Database, people: People, ref: str, portal: TestClient
) -> None:
    signed_in(db, portal, people.signatory[TRUST])
    _, page = opened(portal, token_for(db, people.signatory[TRUST], "arrangement.submitted"))
    assert "You are signed in as Signatory of Northshire NHS Trust" in page
    assert "Email me a code" not in page and 'name="code"' not in page
    done = act(portal, page, "approve", typed_name=SIGNATORY, confirm="yes")
    assert done.status_code == 303, done.text
    [evidence] = _done(db, "arrangement.approve")
    assert evidence["proof"] == "signed-in session"
    assert evidence["signed_in_as"] == people.signatory[TRUST]


def test_a_browser_signed_in_as_someone_else_is_refused_and_the_refusal_names_both(
    db: Database, people: People, ref: str, portal: TestClient
) -> None:
    # Sam (the council's signatory) is signed in, and opens Nia's (the trust's) link
    signed_in(db, portal, people.signatory[COUNCIL])
    _, page = opened(portal, token_for(db, people.signatory[TRUST], "arrangement.submitted"))
    assert "You are signed in as Signatory of Northshire County Council" in page
    assert f"this link is for {SIGNATORY}" in page
    before = db.snapshot(exclude=AUDITED)
    refused = act(portal, page, "approve", typed_name=SIGNATORY, confirm="yes")
    assert refused.status_code == 409
    assert (
        f"you are signed in as {people.signatory[COUNCIL]}, and this link is for "
        f"{people.signatory[TRUST]}" in refused.text
    )
    # nor with a code typed: the browser is someone else's (the page offers none)
    assert "Email me a code" not in page
    again = act(portal, page, "approve", typed_name=SIGNATORY, confirm="yes", code="000000")
    assert again.status_code == 409
    assert db.snapshot(exclude=AUDITED) == before
    [refusal, _] = [e for e in audit(db, "arrangement.approve") if e.outcome.value == "refused"]
    assert refusal.actor == people.signatory[TRUST]
    assert people.signatory[COUNCIL] in (refusal.detail or "")
    assert refusal.evidence is not None
    assert refusal.evidence["signed_in_as"] == people.signatory[COUNCIL]


def test_an_act_that_binds_no_agency_still_needs_only_the_link_and_names_who_is_signed_in(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    ref = active(session, people, now)
    from tasks.protocol.consent import withdraw_consent

    withdraw_consent(
        session,
        agency=COUNCIL,
        data_subject_ref="ASC/2026/00417",
        arrangements=[ref],
        actor=people.rep[COUNCIL],
        now=now,
    )
    with portal_at(db, now.add(minutes=5)) as portal:
        signed_in(db, portal, people.poc[TRUST])
        _, page = opened(portal, token_for(db, people.rep[TRUST], "consent.notice_sent"))
        assert "Email me a code" not in page
        fields = form_of(page, "")
        done = portal.post(
            fields.pop("_action"),
            data={
                **fields,
                "typed_name": "Nominated_Representative of Northshire NHS Trust",
                "confirm": "yes",
            },
        )
        assert done.status_code == 303, done.text
    [evidence] = _done(db, "consent.acknowledge")
    assert evidence["signed_in_as"] == people.poc[TRUST] and "proof" not in evidence


def test_a_forwarded_disposal_link_cannot_confirm_without_the_code(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    ref = reviewable(session, people, now)
    complete_review(
        session, reference=ref, outcome=ReviewOutcome.TERMINATE, actor=people.poc[COUNCIL], now=now
    )
    schedule_ended_arrangements(session, as_of=now.date(), now=now, actor="system:test")
    token = token_for(db, people.rep[TRUST], "disposal.scheduled")
    values = {
        "method": "Cross-cut shredding",
        "certificate": "CERT-2026-77",
        "typed_name": "Nominated_Representative of Northshire NHS Trust",
        "confirm": "yes",
    }
    with portal_at(db, now.add(hours=1)) as portal:
        _, page = opened(portal, token)
        fields = form_of(page, "")
        action = fields.pop("_action")
        before = db.snapshot(exclude=AUDITED)
        refused = portal.post(action, data={**fields, **values})
        assert refused.status_code == 409 and "this act binds" in refused.text
        assert db.snapshot(exclude=AUDITED) == before
        code = proved(db, portal, page, people.rep[TRUST])
        done = portal.post(action, data={**fields, **values, "code": code})
        assert done.status_code == 303, done.text
    [evidence] = _done(db, "disposal.confirm")
    assert evidence["proof"] == "emailed code"


def test_a_forwarded_incident_decision_link_cannot_decide_without_the_dpo_s_code(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    ref = active(session, people, now)
    report_incident(
        session,
        agency=TRUST,
        arrangement=ref,
        what="Case files on a stolen laptop",
        aware_at="2026-11-25T08:00",
        originator=None,
        actor=people.rep[TRUST],
        now=now,
    )
    token = token_for(db, people.dpo[TRUST], "incident.decision_owed")
    values = {
        "outcome": "no",
        "reason": "Full-disk encryption confirmed",
        "typed_name": "Dpo of Northshire NHS Trust",
        "confirm": "yes",
    }
    with portal_at(db, now.add(hours=1)) as portal:
        _, page = opened(portal, token)
        fields = form_of(page, "")
        action = fields.pop("_action")
        before = db.snapshot(exclude=AUDITED)
        refused = portal.post(action, data={**fields, **values})
        assert refused.status_code == 409 and "this act binds" in refused.text
        assert db.snapshot(exclude=AUDITED) == before
        code = proved(db, portal, page, people.dpo[TRUST])
        assert re.fullmatch(r"\d{6}", code)
        done = portal.post(action, data={**fields, **values, "code": code})
        assert done.status_code == 303, done.text
    [evidence] = _done(db, "incident.decide")
    assert evidence["proof"] == "emailed code"


# --- handing an act to a colleague ------------------------------------------------------------

DEPUTY = "deputy.signatory@nhs.example"


@pytest.fixture
def deputy(session: Session, people: People, now: pendulum.DateTime) -> str:
    """A second signatory of the trust."""
    add_contact(
        session,
        agency=TRUST,
        email=DEPUTY,
        name="Deputy Signatory",
        roles=[ContactRole.SIGNATORY],
        actor="cli:admin",
        now=now,
    )
    return DEPUTY


def _hand_over_form(page: str) -> dict[str, str]:
    found = re.search(r'<form method="post" action="(/act/\d+/hand-over)">(.*?)</form>', page, re.S)
    assert found is not None, "the page offers no hand-over"
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', found.group(2)))
    return {"_action": found.group(1), **fields}


def test_the_addressee_hands_the_approval_to_a_fellow_signatory_whose_act_names_them(
    db: Database, people: People, ref: str, deputy: str, portal: TestClient
) -> None:
    token = token_for(db, people.signatory[TRUST], "arrangement.submitted")
    _, page = opened(portal, token)
    code = proved(db, portal, page, people.signatory[TRUST])
    page = portal.get(_page_of(page)).text
    form = _hand_over_form(page)
    handed = portal.post(
        form.pop("_action"),
        data={**form, "colleague": deputy, "typed_name": SIGNATORY, "confirm": "yes", "code": code},
    )
    assert handed.status_code == 303, handed.text
    # recorded, with the proof; the colleague told; this link void
    [record] = [e for e in audit(db, "link.hand_over") if e.outcome.value == "done"]
    assert record.actor == people.signatory[TRUST] and record.after is not None
    assert record.after["to"] == deputy
    assert record.evidence is not None and record.evidence["proof"] == "emailed code"
    assert db.recipients("link.handed_over") == {deputy}
    status, gone = opened(portal, token)
    assert status == 410 and "it was handed to Deputy Signatory" in gone
    # the colleague signs in and approves from what waits on them
    me = signed_in(db, portal, deputy)
    csrf = re.search(r'name="csrf" value="([^"]+)"', me)
    assert csrf is not None
    opened_page = portal.post(
        "/me/open", data={"csrf": csrf.group(1), "action": "approve", "subject": ref}
    )
    assert opened_page.status_code == 303
    page = portal.get(opened_page.headers["location"]).text
    done = act(portal, page, "approve", typed_name="Deputy Signatory", confirm="yes")
    assert done.status_code == 303, done.text
    [approval] = [e for e in audit(db, "arrangement.approve") if e.outcome.value == "done"]
    assert approval.actor == deputy and approval.evidence is not None
    assert approval.evidence["delegated_by"] == people.signatory[TRUST]
    assert approval.evidence["proof"] == "signed-in session"


@pytest.mark.parametrize(
    "colleague",
    ["point.of.contact@nhs.example", "signatory@county.example", "nobody@nhs.example", ""],
    ids=["not-a-signatory", "another-agency", "unknown", "blank"],
)
def test_an_act_is_handed_only_to_a_colleague_in_the_same_role_at_the_same_agency(
    db: Database, people: People, ref: str, portal: TestClient, colleague: str
) -> None:
    _, page = opened(portal, token_for(db, people.signatory[TRUST], "arrangement.submitted"))
    code = proved(db, portal, page, people.signatory[TRUST])
    form = _hand_over_form(page)
    before = db.snapshot(exclude=("portal_attempt",))
    refused = portal.post(
        form.pop("_action"),
        data={
            **form,
            "colleague": colleague,
            "typed_name": SIGNATORY,
            "confirm": "yes",
            "code": code,
        },
    )
    assert refused.status_code == 422 and "colleague" in refused.text
    # nothing but the refusal's count, which limits refusals per link and client
    assert db.snapshot(exclude=("portal_attempt",)) == before


def test_handing_an_act_over_needs_the_same_proof_as_the_act(
    db: Database, people: People, ref: str, deputy: str, portal: TestClient
) -> None:
    _, page = opened(portal, token_for(db, people.signatory[TRUST], "arrangement.submitted"))
    form = _hand_over_form(page)
    before = db.snapshot(exclude=AUDITED)
    refused = portal.post(
        form.pop("_action"),
        data={**form, "colleague": deputy, "typed_name": SIGNATORY, "confirm": "yes"},
    )
    assert refused.status_code == 409 and "this act binds Northshire NHS Trust" in refused.text
    assert db.snapshot(exclude=AUDITED) == before
    assert _refusals(db, "link.hand_over")
