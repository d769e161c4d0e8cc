"""The portal in a real browser: Playwright driving Debian's Chromium (`/usr/bin/chromium`; never
Playwright's own download), against the portal served by uvicorn, with every link taken from an
email the mail sink stored as an `.eml` file, as a partner's mailbox would hold it."""

import email
import re
import shutil
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pendulum
import pytest
import uvicorn
from sqlalchemy import Engine, text
from sqlmodel import Session

from core.db import make_engine
from core.settings import Settings
from models.enums import ReviewOutcome
from models.links import LinkIssuer
from models.policies import ReviewPolicy
from notifications.delivery import deliver_outbox_sync
from notifications.mailsink import mail_sink
from tasks.protocol.arrangements import submit_arrangement
from tasks.protocol.disposal import schedule_ended_arrangements
from tasks.protocol.reviews import complete_review
from tasks.protocol.suspensions import raise_suspension
from tasks.sweeps import escalate_overdue_reviews, open_due_reviews
from tests.conftest import TEST_MAIL_FROM, TEST_SEAL, TEST_SECRET_KEY
from tests.utils.events_endpoint import EventsEndpoint
from tests.utils.factories import (
    COUNCIL,
    POLICE,
    TRUST,
    active,
    drafted,
    reviewable,
    seed_agencies,
)
from tests.utils.ports import NO_PREFECT, free_port
from web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
NOW = pendulum.datetime(2026, 11, 25, 10, 0, tz="Europe/London").in_timezone("UTC")

if not CHROMIUM.exists():  # .ci/run installs Debian's chromium; a bare machine says so
    pytest.skip(
        f"browser tier skipped: {CHROMIUM} is missing (apt-get install chromium)",
        allow_module_level=True,
    )

sync_api = pytest.importorskip("playwright.sync_api")


class Stack:
    """A register in a SQLite file, its mail sink writing `.eml` files, and the portal."""

    def __init__(self, root: Path, template: Path) -> None:
        shutil.copy(template, root / "isa.db")
        self.url = f"sqlite:///{root / 'isa.db'}"
        self.mail = root / "mail"
        self.sink = mail_sink(self.mail, port=0).start()
        port = free_port()
        self.public = f"http://127.0.0.1:{port}"
        self.settings = self._settings(NOW)
        self.app = create_app(self.settings)
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the portal did not start"
            time.sleep(0.05)
        # the use cases this test runs queue emails whose links point at this portal
        self.engine: Engine = make_engine(
            self.url,
            audit=TEST_SEAL,
            mailbox=TEST_MAIL_FROM,
            links=LinkIssuer(key=TEST_SECRET_KEY.encode(), public_url=self.public),
        )

    def _settings(self, at: pendulum.DateTime) -> Settings:
        return Settings(
            database_url=self.url,
            now=at.isoformat(),
            public_url=self.public,
            secret_key=TEST_SECRET_KEY,
            smtp_port=self.sink.port,
            prefect_api_url=NO_PREFECT,
        )

    def clock(self, at: pendulum.DateTime) -> None:
        """The portal's clock, as `ISA_NOW` would set it."""
        self.app.state.portal.settings = self._settings(at)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def deliver(self, at: pendulum.DateTime) -> None:
        deliver_outbox_sync(self.engine, self._settings(at), at)

    def wait_for_email(self, recipient: str, event: str, seconds: float = 30) -> None:
        """Wait (with a deadline) until the outbox holds an email of `event` to `recipient`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.engine.connect() as conn:
                found = conn.execute(
                    text("SELECT count(*) FROM outbox WHERE recipient = :r AND event = :e"),
                    {"r": recipient, "e": event},
                ).scalar_one()
            if found:
                return
            time.sleep(0.05)
        raise AssertionError(f"no {event} email to {recipient} within {seconds} s")

    def wait_until_sent(self, recipient: str, event: str, seconds: float = 30) -> None:
        """Wait (with a deadline) until the newest email of `event` to `recipient` has been
        sent, by whoever sent it (the portal sends a sign-in email itself)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self.engine.connect() as conn:
                status = conn.execute(
                    text(
                        "SELECT status FROM outbox WHERE recipient = :r AND event = :e "
                        "ORDER BY id DESC LIMIT 1"
                    ),
                    {"r": recipient, "e": event},
                ).scalar()
            if status == "sent":
                return
            time.sleep(0.05)
        raise AssertionError(f"no {event} email to {recipient} sent within {seconds} s")

    def link_for(self, recipient: str, subject: str) -> str:
        """The personal link in the newest stored email to `recipient` whose subject has
        `subject`."""
        found: list[tuple[float, EmailMessage]] = []
        for path in self.mail.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
            assert isinstance(message, EmailMessage)
            if recipient in str(message["To"]) and subject in str(message["Subject"]):
                found.append((path.stat().st_mtime_ns, message))
        assert found, f"no email to {recipient} about {subject!r} in {self.mail}"
        message = max(found, key=lambda f: f[0])[1]
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        match = re.search(re.escape(self.public) + r"/a/[A-Za-z0-9_-]{43}", body.get_content())
        assert match, "the email carries no personal link"
        return match.group(0)

    def code_for(self, recipient: str) -> str:
        """The one-time code in the newest stored code email to `recipient`."""
        found: list[tuple[int, EmailMessage]] = []
        for path in self.mail.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
            assert isinstance(message, EmailMessage)
            if recipient in str(message["To"]) and str(message["Subject"]).startswith("Your code"):
                found.append((path.stat().st_mtime_ns, message))
        assert found, f"no code email to {recipient} in {self.mail}"
        body = max(found, key=lambda f: f[0])[1].get_body(preferencelist=("plain",))
        assert body is not None
        match = re.search(r"^\s+(\d{6})\s*$", body.get_content(), re.M)
        assert match, "the code email carries no code"
        return match.group(1)

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.sink.stop()
        self.engine.dispose()


@pytest.fixture
def stack(tmp_path: Path, sqlite_template: Path) -> Iterator[Stack]:
    built = Stack(tmp_path, sqlite_template)
    yield built
    built.close()


@pytest.fixture
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield launched
        launched.close()


def _prove(stack: Stack, page: object, form: str, recipient: str, at: pendulum.DateTime) -> None:
    """Ask the page for a code, as the addressee would, and type it from their mailbox."""
    page.click("button:has-text('Email me a code')")  # type: ignore[attr-defined]
    assert "A code was sent" in page.content()  # type: ignore[attr-defined]
    stack.deliver(at)
    page.fill(f"#code-{form}", stack.code_for(recipient))  # type: ignore[attr-defined]


def _confirm(page: object, form: str, name: str) -> None:
    page.fill(f"#typed_name-{form}", name)  # type: ignore[attr-defined]
    page.check(f"#typed_name-{form} ~ label input[type=checkbox]")  # type: ignore[attr-defined]


def test_signatories_approve_from_their_emails_and_a_used_link_says_so(
    stack: Stack, browser: object
) -> None:
    with stack.session() as session:
        people = seed_agencies(session, NOW)
        ref = drafted(session, people, NOW)
        submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=NOW)
    stack.deliver(NOW)
    link = stack.link_for(people.signatory[TRUST], ref)

    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(link)
    assert "/a/" not in page.url  # the token left the address bar
    assert page.locator("h1").inner_text().startswith(f"Version 1 of {ref}")
    assert page.get_by_text("Lawful basis").count() == 1
    _prove(stack, page, "approve", people.signatory[TRUST], NOW)
    _confirm(page, "approve", "Signatory of Northshire NHS Trust")
    page.click("button:has-text('Approve version 1')")
    assert page.locator("h1").inner_text() == "Recorded", page.content()[:3000]

    stack.deliver(NOW.add(minutes=1))
    second = stack.link_for(people.signatory[COUNCIL], ref)
    page.goto(second)
    _prove(stack, page, "approve", people.signatory[COUNCIL], NOW.add(minutes=2))
    _confirm(page, "approve", "Signatory of Northshire County Council")
    page.click("button:has-text('Approve version 1')")
    assert page.locator("h1").inner_text() == "Recorded"
    with stack.engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT status FROM arrangement WHERE reference = :r"), {"r": ref}
            ).scalar()
            == "active"
        )
        channels = conn.execute(
            text("SELECT DISTINCT channel FROM audit_event WHERE action = 'arrangement.approve'")
        ).all()
    assert channels == [("web",)]

    page.goto(link)
    assert page.locator("h1").inner_text() == "This link has already been used"


def test_a_representative_confirms_a_disposal_in_the_browser(stack: Stack, browser: object) -> None:
    with stack.session() as session:
        people = seed_agencies(session, NOW)
        ref = reviewable(session, people, NOW)
        complete_review(
            session,
            reference=ref,
            outcome=ReviewOutcome.TERMINATE,
            actor=people.poc[COUNCIL],
            now=NOW,
        )
        schedule_ended_arrangements(session, as_of=NOW.date(), now=NOW, actor="system:test")
    stack.deliver(NOW)
    link = stack.link_for(people.rep[TRUST], "Destroy")
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(link)
    _prove(stack, page, "disposal", people.rep[TRUST], NOW.add(minutes=1))
    page.fill("#method", "Cross-cut shredding")
    page.fill("#certificate", "CERT-2026-77")
    _confirm(page, "disposal", "Nominated_Representative of Northshire NHS Trust")
    page.click("button:has-text('Confirm the disposal')")
    assert page.locator("h1").inner_text() == "Recorded"
    with stack.engine.connect() as conn:
        certificate = conn.execute(
            text("SELECT certificate FROM disposal_task WHERE confirmed_by = :e"),
            {"e": people.rep[TRUST]},
        ).scalar()
    assert certificate == "CERT-2026-77"


def test_a_partner_acknowledges_a_withdrawn_consent_in_the_browser(
    stack: Stack, browser: object
) -> None:
    from tasks.protocol.consent import withdraw_consent

    with stack.session() as session:
        people = seed_agencies(session, NOW)
        active(session, people, NOW)
        withdraw_consent(
            session,
            agency=COUNCIL,
            data_subject_ref="ASC/2026/00417",
            arrangements=[],
            actor=people.rep[COUNCIL],
            now=NOW,
        )
    stack.deliver(NOW)
    link = stack.link_for(people.rep[TRUST], "cease processing ASC/2026/00417")
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(link)
    assert "/a/" not in page.url
    assert page.locator("h1").inner_text().startswith("Consent withdrawn: cease processing")
    assert page.get_by_text("ASC/2026/00417").count() >= 1
    # unticked, the browser itself will not send the form; a wrong name is refused on the page
    page.fill("#typed_name-consent", "Someone Else")
    page.check("#typed_name-consent ~ label input[type=checkbox]")
    page.click("button:has-text('Confirm that processing has ceased')")
    assert "not the name the register holds" in page.content()
    page.goto(link)
    _confirm(page, "consent", "Nominated_Representative of Northshire NHS Trust")
    page.click("button:has-text('Confirm that processing has ceased')")
    assert page.locator("h1").inner_text() == "Recorded", page.content()[:3000]
    with stack.engine.connect() as conn:
        acknowledged = conn.execute(
            text("SELECT status, acknowledged_by FROM consent_notice")
        ).all()
        channels = conn.execute(
            text(
                "SELECT channel, outcome FROM audit_event WHERE action = 'consent.acknowledge' "
                "ORDER BY seq"
            )
        ).all()
    assert acknowledged == [("acknowledged", people.rep[TRUST])]
    assert channels == [("web", "refused"), ("web", "done")]
    page.goto(link)
    assert page.locator("h1").inner_text() == "This link has already been used"


def test_an_originator_replies_to_a_consultation_on_a_request_in_the_browser(
    stack: Stack, browser: object
) -> None:
    from tasks.protocol.requests import record_request

    with stack.session() as session:
        people = seed_agencies(session, NOW)
        ref = active(session, people, NOW)
        record_request(
            session,
            agency=TRUST,
            kind="foi",
            received_on="2026-11-20",
            their_ref="FOI/2026/0412",
            arrangements=[ref],
            summary="Numbers of joint referrals in 2025-26, by month",
            actor=people.rep[TRUST],
            now=NOW,
        )
    stack.deliver(NOW)
    link = stack.link_for(people.rep[COUNCIL], "Consulted on Northshire NHS Trust's")
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(link)
    assert "/a/" not in page.url
    assert page.locator("h1").inner_text().startswith("Consultation on a request: IRC-")
    assert page.get_by_text("FOI/2026/0412").count() >= 1
    page.select_option("#objection", "objects")
    page.fill("#comments", "Section 31 applies to the police figures")
    _confirm(page, "consultation", "Nominated_Representative of Northshire County Council")
    page.click("button:has-text('Send the reply')")
    assert page.locator("h1").inner_text() == "Recorded", page.content()[:3000]
    with stack.engine.connect() as conn:
        replied = conn.execute(
            text("SELECT status, objection, replied_by FROM request_consultation")
        ).all()
        channels = conn.execute(
            text("SELECT channel FROM audit_event WHERE action = 'request.reply' ORDER BY seq")
        ).all()
    assert replied == [("replied", "objects", people.rep[COUNCIL])]
    assert channels == [("web",)]
    page.goto(link)
    assert page.locator("h1").inner_text() == "This link has already been used"


def test_the_originator_consents_to_onward_sharing_in_the_browser(
    stack: Stack, browser: object
) -> None:
    from tasks.protocol.onward import request_onward_sharing

    with stack.session() as session:
        people = seed_agencies(session, NOW)
        active(session, people, NOW)
        request_onward_sharing(
            session,
            arrangement="ISA-2026-0001",
            agency=TRUST,
            third_party="Northshire Advocacy Service",
            data="Referral dates for case ASC/2026/00417",
            purpose="Advocacy at the review meeting",
            owner=COUNCIL,
            actor=people.rep[TRUST],
            now=NOW,
        )
    stack.deliver(NOW)
    link = stack.link_for(people.rep[COUNCIL], "OSR-2026-0001")
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(link)
    assert "/a/" not in page.url
    assert page.locator("h1").inner_text() == "Onward sharing with a third party: OSR-2026-0001"
    assert page.get_by_text("Northshire Advocacy Service").count() >= 1
    page.fill("#consent-reason", "Advocacy is in the data subject's interest")
    _confirm(page, "consent", "Nominated_Representative of Northshire County Council")
    page.click("button:has-text('Consent to the onward sharing')")
    assert page.locator("h1").inner_text() == "Recorded", page.content()[:3000]
    with stack.engine.connect() as conn:
        answered = conn.execute(text("SELECT status, answered_by FROM onward_request")).all()
        channels = conn.execute(
            text("SELECT channel, outcome FROM audit_event WHERE action = 'onward.answer'")
        ).all()
    assert answered == [("consented", people.rep[COUNCIL])]
    assert channels == [("web", "done")]
    page.goto(link)
    assert page.locator("h1").inner_text() == "This link has already been used"


def test_a_dpo_records_the_decision_on_reporting_an_incident_in_the_browser(
    stack: Stack, browser: object
) -> None:
    from tasks.protocol.incidents import report_incident

    with stack.session() as session:
        people = seed_agencies(session, NOW)
        ref = active(session, people, NOW)
        report_incident(
            session,
            agency=TRUST,
            arrangement=ref,
            what="Case files EH-2291 on a stolen laptop",
            aware_at="2026-11-25T08:00",
            originator=None,
            actor=people.rep[TRUST],
            now=NOW,
        )
    stack.deliver(NOW)
    link = stack.link_for(people.dpo[TRUST], "decide on reporting to the ICO")
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(link)
    assert "/a/" not in page.url
    assert page.locator("h1").inner_text() == "Security incident INC-2026-0001"
    # the 72 hours in London time
    assert page.get_by_text("Saturday 28 November 2026 at 08:00").count() == 1
    _prove(stack, page, "incident", people.dpo[TRUST], NOW.add(minutes=1))
    page.check("#notify-no")
    page.fill("#reason", "Full-disk encryption confirmed; no risk to people")
    _confirm(page, "incident", "Dpo of Northshire NHS Trust")
    page.click("button:has-text('Record the decision')")
    assert page.locator("h1").inner_text() == "Recorded", page.content()[:3000]
    with stack.engine.connect() as conn:
        decided = conn.execute(
            text("SELECT status, notify_regulator, decided_by FROM security_incident")
        ).all()
        channels = conn.execute(
            text("SELECT channel, outcome FROM audit_event WHERE action = 'incident.decide'")
        ).all()
    assert decided == [("decided", False, people.dpo[TRUST])]
    assert channels == [("web", "done")]
    page.goto(link)
    assert page.locator("h1").inner_text() == "This link has already been used"


def test_a_chair_sets_then_records_the_resolution_meeting(stack: Stack, browser: object) -> None:
    with stack.session() as session:
        people = seed_agencies(session, NOW)
        raise_suspension(
            session, agency=POLICE, reason="Laptop stolen", actor=people.signatory[POLICE], now=NOW
        )
    stack.deliver(NOW)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(stack.link_for(people.chair, "SUS-2026-0001"))
    assert "day 0 of 30" in page.content()
    page.fill("#meeting_at", "2026-12-01T14:00")
    page.fill("#place", "Room 2, County Hall")
    _confirm(page, "schedule", "Chris Chair")
    page.click("button:has-text('Set the meeting')")
    assert page.locator("h1").inner_text() == "Recorded"

    later = pendulum.datetime(2026, 12, 1, 16, 0, tz="Europe/London").in_timezone("UTC")
    stack.deliver(NOW.add(minutes=1))
    stack.clock(later)
    page.goto(stack.link_for(people.chair, "SUS-2026-0001"))
    page.check(f"input[name=attendee][value='{people.signatory[POLICE]}']")
    page.fill("#risk_assessment", "Devices encrypted; no personal data at risk")
    page.select_option("#outcome", "resume")
    _confirm(page, "record", "Chris Chair")
    page.click("button:has-text('Record the meeting')")
    assert page.locator("h1").inner_text() == "Recorded"
    with stack.engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM suspension")).scalar()
    assert status == "ended"


def test_a_signatory_signs_in_by_email_and_suspends_their_agency(
    stack: Stack, browser: object
) -> None:
    endpoint = EventsEndpoint()
    stack.app.state.portal.settings = stack.app.state.portal.settings.model_copy(
        update={"prefect_api_url": endpoint.url}
    )
    try:
        with stack.session() as session:
            people = seed_agencies(session, NOW)
        page = browser.new_page()  # type: ignore[attr-defined]
        page.goto(f"{stack.public}/sign-in")
        page.fill("#email", people.signatory[POLICE])
        page.click("button:has-text('Send me a sign-in link')")
        assert page.locator("h1").inner_text() == "Check your email"
        # the link is queued after the reply (the reply tells nothing by its timing)
        stack.wait_for_email(people.signatory[POLICE], "portal.sign_in_requested")
        stack.deliver(NOW)
        stack.wait_until_sent(people.signatory[POLICE], "portal.sign_in_requested")
        page.goto(stack.link_for(people.signatory[POLICE], "sign-in link"))
        page.click("button:has-text('Sign in')")
        assert page.locator("h1").inner_text() == "Signatory of Northshire Police"
        # suspending has a page of its own, with its warning, behind a link on /me
        page.click("a:has-text('Suspend Northshire Police')")
        assert "Warning" in page.locator(".warning-text").inner_text()
        page.fill("#suspend-reason", "Laptop stolen")
        _confirm(page, "suspend", "Signatory of Northshire Police")
        page.click("button:has-text('Suspend')")
        assert page.locator("h1").inner_text() == "Recorded"
        assert "SUS-2026-0001 is raised" in page.content()
        assert "Its flow is starting" in page.content()
    finally:
        endpoint.server.shutdown()
    # the sign-in email's delivery starts at once (its link lasts 30 minutes), then the
    # suspension's flow, which sends the suspension's emails
    assert [e["event"] for e in endpoint.events()] == ["isa.outbox.queued", "isa.suspension.raised"]


# the widths the pages are looked at: a phone (iPhone 12-15) and a desktop
WIDTHS = (390, 1280)

# every word of every table cell on one line: a word wrapped inside itself spans two boxes
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll("th, td")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const re = /\\S+/g;
      for (let m = re.exec(node.data); m; m = re.exec(node.data)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
                                                         .map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


def _sign_in(stack: Stack, browser: object, address: str, at: pendulum.DateTime) -> object:
    """A browser of its own for `address`, signed in by email as a person would."""
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{stack.public}/sign-in")
    page.fill("#email", address)
    page.click("button:has-text('Send me a sign-in link')")
    stack.wait_for_email(address, "portal.sign_in_requested")
    stack.deliver(at)
    # the portal sends it itself, at once: this delivery may find it already on its way
    stack.wait_until_sent(address, "portal.sign_in_requested")
    page.goto(stack.link_for(address, "sign-in link"))
    page.click("button:has-text('Sign in')")
    assert page.url.endswith("/me"), page.content()[:2000]
    return page


def _looked_at(page: object, shots: Path, name: str) -> dict[int, int]:
    """Screenshot the page at each width into `shots`; prove no sideways scroll and no word
    broken inside a table cell; the page's height at each width."""
    heights = {}
    page.wait_for_load_state()  # type: ignore[attr-defined]
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 844})  # type: ignore[attr-defined]
        page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)  # type: ignore[attr-defined]
        scroll = page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
        assert scroll <= width, f"{name} at {width}px scrolls sideways ({scroll}px)"
        broken = page.evaluate(BROKEN_WORDS)  # type: ignore[attr-defined]
        assert broken == [], f"{name} at {width}px breaks words inside table cells: {broken}"
        heights[width] = page.evaluate("document.documentElement.scrollHeight")  # type: ignore[attr-defined]
    return heights


def test_the_pages_fit_a_phone_and_a_desktop_and_put_what_is_overdue_first(
    stack: Stack, browser: object, tmp_path: Path
) -> None:
    shots = tmp_path / "shots"
    shots.mkdir()
    due = NOW.add(years=1)
    later = due.add(days=40)
    with stack.session() as session:
        people = seed_agencies(session, NOW)
        ref = active(session, people, NOW, title="Early help referrals between the partners")
        open_due_reviews(
            session, as_of=due.date(), policy=ReviewPolicy(), now=due, actor="system:test"
        )
        escalate_overdue_reviews(
            session, as_of=later.date(), policy=ReviewPolicy(), now=later, actor="system:test"
        )
        fresh = drafted(session, people, later, title="Missing children: return interviews")
        submit_arrangement(session, reference=fresh, actor=people.poc[COUNCIL], now=later)
    stack.clock(later)

    chair = _sign_in(stack, browser, people.chair, later)
    assert "Nothing waits on you." not in chair.content()  # type: ignore[attr-defined]
    overdue = chair.locator("#overdue + table").inner_text()  # type: ignore[attr-defined]
    assert ref in overdue and "40 days overdue" in overdue
    _looked_at(chair, shots, "me-chair")

    signatory = _sign_in(stack, browser, people.signatory[TRUST], later)
    buttons = signatory.locator("main button")  # type: ignore[attr-defined]
    assert buttons.first.inner_text() != "Sign out"
    assert signatory.locator("main form[action='/me/raise']").count() == 0  # type: ignore[attr-defined]
    _looked_at(signatory, shots, "me-signatory")
    signatory.click(f"a[href='/me/arrangements/{ref}'] >> nth=0")  # type: ignore[attr-defined]
    assert signatory.locator("h1").inner_text().startswith(ref)  # type: ignore[attr-defined]
    _looked_at(signatory, shots, "arrangement")
    signatory.goto(f"{stack.public}/me/raise/suspension")  # type: ignore[attr-defined]
    _looked_at(signatory, shots, "raise-suspension")

    officer = _sign_in(stack, browser, people.rep[TRUST], later)
    heights = _looked_at(officer, shots, "me-representative")
    assert officer.locator("main textarea").count() == 0  # type: ignore[attr-defined]
    assert heights[390] < 2500, f"the representative's /me is {heights[390]}px tall on a phone"
    officer.click("a:has-text('Record a decision on a request for data')")  # type: ignore[attr-defined]
    _looked_at(officer, shots, "raise-decision")

    # the last party approves; its used link then says what was done
    stack.deliver(later)
    link = stack.link_for(people.signatory[TRUST], fresh)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(link)
    _looked_at(page, shots, "approve")
    _prove(stack, page, "approve", people.signatory[TRUST], later)
    _confirm(page, "approve", "Signatory of Northshire NHS Trust")
    page.click("button:has-text('Approve version 1')")
    assert page.locator("h1").inner_text() == "Recorded"
    assert f"You approved {fresh} version 1 for {TRUST}" in page.content()
    _looked_at(page, shots, "recorded")
    page.goto(link)
    assert page.locator("h1").inner_text() == "This link has already been used"
    assert f"You approved {fresh} version 1 for {TRUST}" in page.content()
    assert "newer email" not in page.content()
    _looked_at(page, shots, "used-link")


def test_a_colleague_holding_a_forwarded_approval_link_cannot_approve_without_the_code(
    stack: Stack, browser: object
) -> None:
    with stack.session() as session:
        people = seed_agencies(session, NOW)
        ref = drafted(session, people, NOW)
        submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=NOW)
    stack.deliver(NOW)
    # the signatory forwards the email; a colleague opens its link in their own browser, types
    # the name the email greets, and asks for a code, which goes to the signatory alone
    link = stack.link_for(people.signatory[TRUST], ref)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(link)
    page.click("button:has-text('Email me a code')")
    stack.deliver(NOW.add(minutes=1))
    sent = stack.code_for(people.signatory[TRUST])
    guess = "000000" if sent != "000000" else "111111"
    page.fill("#code-approve", guess)
    _confirm(page, "approve", "Signatory of Northshire NHS Trust")
    page.click("button:has-text('Approve version 1')")
    assert "is not the code sent to" in page.content()
    assert page.locator("h1").inner_text().startswith(f"Version 1 of {ref}")
    with stack.engine.connect() as conn:
        decided = conn.execute(
            text("SELECT outcome FROM audit_event WHERE action = 'arrangement.approve'")
        ).all()
        signed = conn.execute(text("SELECT count(*) FROM sign_off")).scalar()
    assert decided == [("refused",)] and signed == 0


def test_a_browser_signed_in_as_one_signatory_cannot_act_from_another_s_link(
    stack: Stack, browser: object
) -> None:
    with stack.session() as session:
        people = seed_agencies(session, NOW)
        ref = drafted(session, people, NOW)
        submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=NOW)
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{stack.public}/sign-in")
    page.fill("#email", people.signatory[COUNCIL])
    page.click("button:has-text('Send me a sign-in link')")
    stack.wait_for_email(people.signatory[COUNCIL], "portal.sign_in_requested")
    stack.deliver(NOW)
    stack.wait_until_sent(people.signatory[COUNCIL], "portal.sign_in_requested")
    page.goto(stack.link_for(people.signatory[COUNCIL], "sign-in link"))
    page.click("button:has-text('Sign in')")
    assert page.locator("h1").inner_text() == "Signatory of Northshire County Council"
    # the same browser opens the trust's signatory's link
    page.goto(stack.link_for(people.signatory[TRUST], ref))
    assert "You are signed in as Signatory of Northshire County Council" in page.content()
    assert page.locator("#code-approve").count() == 0
    _confirm(page, "approve", "Signatory of Northshire NHS Trust")
    page.click("button:has-text('Approve version 1')")
    refusal = (
        f"you are signed in as {people.signatory[COUNCIL]}, and this link is for "
        f"{people.signatory[TRUST]}"
    )
    assert refusal in page.content()
    with stack.engine.connect() as conn:
        [(outcome, detail, evidence)] = conn.execute(
            text(
                "SELECT outcome, detail, evidence FROM audit_event "
                "WHERE action = 'arrangement.approve'"
            )
        ).all()
    assert outcome == "refused" and refusal in detail
    assert people.signatory[COUNCIL] in str(evidence)
