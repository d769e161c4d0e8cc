"""What the portal's pages say, driven over HTTP in process on both backends: every /me lists
what is overdue first, with whom it waits and how late; an ended arrangement shows its disposal,
not a review; every reference opens a read-only page of its arrangement; the forms live on pages
of their own; a used link says what its person did."""

import re

import pendulum
from sqlmodel import Session

from models.enums import ReviewOutcome
from models.policies import ReviewPolicy
from notifications.render import long_date
from tasks.chasing import chase_matter
from tasks.protocol.arrangements import submit_arrangement
from tasks.protocol.consent import withdraw_consent
from tasks.protocol.disposal import schedule_ended_arrangements
from tasks.protocol.reviews import complete_review
from tasks.sweeps import escalate_overdue_reviews, open_due_reviews
from tests.conftest import Database
from tests.utils.factories import (
    COUNCIL,
    POLICE,
    TRUST,
    People,
    active,
    drafted,
    reviewable,
    seed_agencies,
)
from tests.utils.portal import act, opened, portal_at, proved, signed_in, token_for

SIGNATORY = {
    TRUST: "Signatory of Northshire NHS Trust",
    COUNCIL: "Signatory of Northshire County Council",
}


def _people(session: Session, now: pendulum.DateTime) -> People:
    return seed_agencies(session, now)


def _overdue_section(page: str) -> str:
    """The page from its 'Overdue' heading to the next heading."""
    found = re.search(r'<h2 id="overdue">(.*?)(?=<h2)', page, re.S)
    assert found is not None, "no Overdue section on the page"
    return found.group(1)


def _row(html: str, reference: str) -> str:
    """The one table row of `html` that names `reference`."""
    [row] = [
        r.split("</tr>")[0] for r in html.split("<tr>")[1:] if reference in r.split("</tr>")[0]
    ]
    return row


def _review_40_days_overdue(
    session: Session, people: People, now: pendulum.DateTime
) -> tuple[str, pendulum.DateTime, pendulum.DateTime]:
    """An active arrangement whose review fell due a year on and is now 40 days without an
    outcome, escalated to the chairs by the review sweep: (its reference, due, now)."""
    ref = active(session, people, now)
    due = now.add(years=1)
    open_due_reviews(session, as_of=due.date(), policy=ReviewPolicy(), now=due, actor="system:test")
    later = due.add(days=40)
    escalate_overdue_reviews(
        session, as_of=later.date(), policy=ReviewPolicy(), now=later, actor="system:test"
    )
    return ref, due, later


def test_a_chair_holding_an_escalated_review_sees_it_overdue_first_with_whom_and_how_late(
    db: Database, session: Session, now: pendulum.DateTime
) -> None:
    people = _people(session, now)
    ref, _, later = _review_40_days_overdue(session, people, now)
    with portal_at(db, later.add(hours=1)) as portal:
        me = signed_in(db, portal, people.chair)
    assert "Nothing waits on you." not in me
    overdue = _overdue_section(me)
    assert ref in overdue and "40 days overdue" in overdue
    # with whom: the parties' signatories, by name
    assert f"the signatories of {COUNCIL}, {TRUST}" in overdue
    # overdue comes before everything else on the page
    assert me.index('id="overdue"') < me.index("What you need to do")


def test_a_partners_duty_escalated_to_the_chairs_is_overdue_on_the_chairs_and_its_agencys_me(
    db: Database, session: Session, now: pendulum.DateTime
) -> None:
    people = _people(session, now)
    active(session, people, now)
    # raised Wednesday 25 November 2026; the trust's first reminder is owed on Friday 27
    # (2 working days), the chairs are told on Wednesday 9 December (10)
    withdraw_consent(
        session,
        agency=COUNCIL,
        data_subject_ref="ASC/2026/00417",
        arrangements=[],
        actor=people.rep[COUNCIL],
        now=now,
    )
    later = pendulum.datetime(2026, 12, 10, 10, tz="Europe/London")
    chase_matter(session, "consent", as_of=later.date(), actor="system:test", now=later)
    with portal_at(db, later) as portal:
        chair = signed_in(db, portal, people.chair)
        portal.cookies.clear()
        signatory = signed_in(db, portal, people.signatory[TRUST])
        portal.cookies.clear()
        dpo = signed_in(db, portal, people.dpo[TRUST])
        portal.cookies.clear()
        police = signed_in(db, portal, people.signatory[POLICE])
    for page in (chair, signatory, dpo):
        row = _row(_overdue_section(page), "CPN-")
        assert "ASC/2026/00417" in row and "13 days overdue" in row
        assert f"the nominated representative of {TRUST}" in row
    assert 'id="overdue"' not in police  # not its agency's


def test_a_review_past_due_is_marked_overdue_and_listed_first_on_the_signatorys_me(
    db: Database, session: Session, now: pendulum.DateTime
) -> None:
    people = _people(session, now)
    ref, due, later = _review_40_days_overdue(session, people, now)
    # something else waits on the same signatory that is not late: a new submission
    fresh = drafted(session, people, later, title="A later arrangement")
    submit_arrangement(session, reference=fresh, actor=people.poc[COUNCIL], now=later)
    with portal_at(db, later.add(hours=1)) as portal:
        me = signed_in(db, portal, people.signatory[TRUST])
    todo = me[me.index("What you need to do") :]
    row = _row(todo.split("</table>")[0], ref)
    assert long_date(due.date()) in row and "40 days overdue" in row
    # the late review first, then the approval that is not late
    assert todo.index(ref) < todo.index(fresh)
    assert ref in _overdue_section(me)


def test_an_ended_arrangement_shows_its_disposal_due_not_next_years_review(
    db: Database, session: Session, now: pendulum.DateTime
) -> None:
    people = _people(session, now)
    ref = reviewable(session, people, now)
    complete_review(
        session, reference=ref, outcome=ReviewOutcome.TERMINATE, actor=people.poc[COUNCIL], now=now
    )
    schedule_ended_arrangements(session, as_of=now.date(), now=now, actor="system:test")
    with portal_at(db, now.add(hours=1)) as portal:
        me = signed_in(db, portal, people.signatory[TRUST])
    mine = me[me.index(f"{TRUST}'s arrangements") :]
    row = _row(mine.split("</table>")[0], ref)
    assert "disposal due" in row and "review due" not in row


def test_every_reference_opens_a_read_only_page_of_its_arrangement_for_its_parties_only(
    db: Database, session: Session, now: pendulum.DateTime
) -> None:
    people = _people(session, now)
    ref = active(session, people, now, title="Early help referrals")
    with portal_at(db, now.add(hours=1)) as portal:
        me = signed_in(db, portal, people.dpo[TRUST])
        assert f'href="/me/arrangements/{ref}"' in me
        before = db.snapshot()
        page = portal.get(f"/me/arrangements/{ref}")
        assert page.status_code == 200 and "Early help referrals" in page.text
        assert COUNCIL in page.text and "<form" not in page.text.split("</header>")[1]
        assert db.snapshot() == before  # reading writes nothing
        # not a party: refused, as for a reference that does not exist
        portal.cookies.clear()
        signed_in(db, portal, people.signatory[POLICE])
        assert portal.get(f"/me/arrangements/{ref}").status_code == 404
        assert portal.get("/me/arrangements/ISA-1999-0001").status_code == 404
        assert portal.get("/me/arrangements/" + "X" * 500).status_code == 404
        portal.cookies.clear()
        assert portal.get(f"/me/arrangements/{ref}").status_code == 303  # sign in first


def test_a_signatorys_first_button_is_not_sign_out_and_suspend_and_withdraw_have_their_own_pages(
    db: Database, session: Session, now: pendulum.DateTime
) -> None:
    people = _people(session, now)
    with portal_at(db, now.add(hours=1)) as portal:
        me = signed_in(db, portal, people.signatory[POLICE])
        header, main = me.split("</header>", 1)
        assert "Sign out" in header and "Sign out" not in main
        assert 'action="/me/raise"' not in main  # no act inline on /me
        assert 'href="/me/raise/suspension"' in main and 'href="/me/raise/withdrawal"' in main
        page = portal.get("/me/raise/suspension")
        assert page.status_code == 200
        assert "Warning" in page.text and 'action="/me/raise"' in page.text
        assert 'value="suspension"' in page.text
        # a point of contact may not suspend: no such page for them
        portal.cookies.clear()
        poc = signed_in(db, portal, people.poc[POLICE])
        assert "/me/raise/suspension" not in poc
        assert portal.get("/me/raise/suspension").status_code == 404
        assert portal.get("/me/raise/nonsense").status_code == 404


def test_an_officers_me_is_not_a_stack_of_forms_each_form_has_its_own_page(
    db: Database, session: Session, now: pendulum.DateTime
) -> None:
    people = _people(session, now)
    active(session, people, now)
    with portal_at(db, now.add(hours=1)) as portal:
        me = signed_in(db, portal, people.rep[TRUST])
        main = me.split("</header>", 1)[1]
        assert "<textarea" not in main and 'action="/me/raise"' not in main
        for matter in ("consent", "quality", "request", "decision", "onward", "incident"):
            assert f'href="/me/raise/{matter}"' in main, matter
            page = portal.get(f"/me/raise/{matter}")
            assert page.status_code == 200 and f'value="{matter}"' in page.text, matter


def test_a_used_link_says_what_its_person_did_and_the_arrangement_is_now_active(
    db: Database, session: Session, now: pendulum.DateTime
) -> None:
    people = _people(session, now)
    ref = drafted(session, people, now)
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    at = now.add(minutes=5)
    with portal_at(db, at) as portal:
        # the first to approve opens the submission's email; the last, the newest email (the
        # first approval voided the older links)
        for agency, event in ((TRUST, "arrangement.submitted"), (COUNCIL, "arrangement.approved")):
            token = token_for(db, people.signatory[agency], event)
            _, page = opened(portal, token)
            code = proved(db, portal, page, people.signatory[agency])
            done = act(
                portal, page, "approve", typed_name=SIGNATORY[agency], confirm="yes", code=code
            )
            assert done.status_code == 303, done.text
            recorded = portal.get(done.headers["location"]).text
            assert f"You approved {ref} version 1 for {agency} on" in recorded
            if agency == TRUST:
                assert "becomes active once every other party" in recorded
                first = token
        assert "It is now active" in recorded  # the last party's approval made it active
        status, again = opened(portal, first)
    assert status == 410
    assert f"You approved {ref} version 1 for {TRUST} on" in again
    assert "It is now active" in again
    assert "newer email" not in again and "carries a link that works" not in again
    assert "get a fresh link" not in again


def test_the_recorded_page_says_what_was_recorded_and_what_happens_next(
    db: Database, session: Session, now: pendulum.DateTime
) -> None:
    people = _people(session, now)
    ref = reviewable(session, people, now)
    complete_review(
        session, reference=ref, outcome=ReviewOutcome.TERMINATE, actor=people.poc[COUNCIL], now=now
    )
    schedule_ended_arrangements(session, as_of=now.date(), now=now, actor="system:test")
    token = token_for(db, people.rep[TRUST], "disposal.scheduled")
    with portal_at(db, now.add(minutes=5)) as portal:
        _, page = opened(portal, token)
        code = proved(db, portal, page, people.rep[TRUST])
        done = act(
            portal,
            page,
            "",
            method="Cross-cut shredding",
            certificate="CERT-77",
            typed_name="Nominated_Representative of Northshire NHS Trust",
            confirm="yes",
            code=code,
        )
        assert done.status_code == 303, done.text
        recorded = portal.get(done.headers["location"]).text
    task = re.search(r"You confirmed the destruction of the data for (DSP-\S+) on", recorded)
    assert task, recorded
    assert "the arrangement closes once every recipient agency has confirmed" in recorded
