"""What was signed stays signed (issue 28), on SQLite and PostgreSQL: every submitted version is
kept as it was, append-only, each sign-off bound to its hash whichever way in; while an amendment
is drafted and signed the arrangement stays in force under its last approved version, and every
obligation (retention, access, review, parties) follows that version, never a draft."""

import json
import os
from pathlib import Path

import pendulum
import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from models.enums import AmendmentStatus, ArrangementStatus, ReviewOutcome, ReviewStatus
from models.errors import Refused
from models.tables import (
    Arrangement,
    ArrangementParty,
    ArrangementVersion,
    DisposalTask,
    Review,
    SignOff,
)
from models.versions import TEMPLATE_VERSION, version_hash
from tasks.protocol.access import grant_access
from tasks.protocol.approvals import approve_arrangement
from tasks.protocol.arrangements import revise_draft, submit_arrangement
from tasks.protocol.reviews import complete_review
from tasks.protocol.withdrawals import withdraw_agency
from tasks.sweeps import chase_approvals
from tests.conftest import Database
from tests.integration.conftest import COUNCIL as README_COUNCIL
from tests.integration.conftest import TRUST as README_TRUST
from tests.utils.factories import (
    COUNCIL,
    POLICE,
    TRUST,
    People,
    active,
    form,
    parties,
    review_due_at,
    reviewable,
    trained,
)

RETENTION_24 = {
    "period_months": 24,
    "rule": "Kept 24 months after the referral closes",
    "disposal_method": "Secure deletion",
}
RETENTION_1 = {**RETENTION_24, "period_months": 1}
THREE = parties((COUNCIL, "discloser"), (TRUST, "recipient"), (POLICE, "recipient"))


def _arrangement(session: Session, ref: str) -> Arrangement:
    session.expire_all()
    return session.exec(select(Arrangement).where(Arrangement.reference == ref)).one()


def _versions(session: Session, arrangement: Arrangement) -> list[ArrangementVersion]:
    return list(
        session.exec(
            select(ArrangementVersion)
            .where(ArrangementVersion.arrangement_id == arrangement.id)
            .order_by(ArrangementVersion.version)  # type: ignore[arg-type]
        ).all()
    )


def _amend(session: Session, people: People, ref: str, now: pendulum.DateTime) -> None:
    complete_review(
        session,
        reference=ref,
        outcome=ReviewOutcome.AMEND,
        actor=people.signatory[COUNCIL],
        now=now,
    )


def test_a_signed_version_keeps_its_text_and_hash_when_an_amendment_is_revised(
    session, people, now
) -> None:
    ref = reviewable(session, people, now, title="Early help referrals")
    _amend(session, people, ref, now.add(days=1))
    revise_draft(
        session,
        reference=ref,
        draft=form(title="Early help referrals, widened", purposes=["Anything at all"]),
        actor=people.poc[COUNCIL],
        now=now.add(days=2),
    )
    arrangement = _arrangement(session, ref)
    (v1,) = _versions(session, arrangement)
    assert (v1.version, v1.content["title"], v1.template_version) == (
        1,
        "Early help referrals",
        TEMPLATE_VERSION,
    )
    assert v1.content_hash == version_hash(ref, 1, TEMPLATE_VERSION, v1.content)
    # both sign-offs (made through the use case the command line runs) bind to v1's hash
    signed = session.exec(select(SignOff).where(SignOff.arrangement_id == arrangement.id)).all()
    assert [(s.version, s.content_hash) for s in signed] == [(1, v1.content_hash)] * 2
    # what is in force is still what was signed
    assert (arrangement.title, arrangement.in_force_version) == ("Early help referrals", 1)
    assert arrangement.amendment_draft is not None
    assert arrangement.amendment_draft["title"] == "Early help referrals, widened"


def test_an_unsubmitted_amendment_leaves_the_signed_retention_for_a_recipient_that_withdraws(
    session, people, now
) -> None:
    ref = reviewable(session, people, now, parties=THREE, retention=RETENTION_24)
    _amend(session, people, ref, now)
    revise_draft(
        session,
        reference=ref,
        draft=form(parties=THREE, retention=RETENTION_1),
        actor=people.poc[COUNCIL],
        now=now,
    )
    withdraw_agency(
        session, agency=POLICE, reason="Merged", actor=people.signatory[POLICE], now=now
    )
    task = session.exec(select(DisposalTask)).one()
    assert task.due_on == pendulum.date(2028, 11, 25)  # 24 months, as signed; not 1


def test_during_an_amendment_the_arrangement_is_in_force_and_new_grants_are_allowed(
    session, people, now
) -> None:
    ref = active(session, people, now, review_interval_months=12)
    now = review_due_at(session, ref)  # the review is open: due 25 November 2027
    _amend(session, people, ref, now)
    revise_draft(
        session,
        reference=ref,
        draft=form(
            parties=parties((COUNCIL, "discloser"), (POLICE, "recipient")),
            review_interval_months=3,
        ),
        actor=people.poc[COUNCIL],
        now=now,
    )
    arrangement = _arrangement(session, ref)
    assert (arrangement.status, arrangement.amendment, arrangement.version) == (
        ArrangementStatus.ACTIVE,
        AmendmentStatus.DRAFTING,
        2,
    )
    # the parties are still those signed: the Trust's staff may be granted access
    staff = trained(session, people, TRUST, now)
    events = grant_access(
        session,
        arrangement=ref,
        email=staff,
        justification="Case worker",
        expires_on=None,
        actor=people.rep[TRUST],
        now=now,
    )
    assert events[0].name == "access.granted"
    # and it is still reviewed on the signed version's 12-month cycle, from the review's due
    # date (25 November 2027), not the draft's 3 months
    reviews = session.exec(
        select(Review).where(
            Review.arrangement_id == arrangement.id, Review.status == ReviewStatus.SCHEDULED
        )
    ).all()
    assert [r.due_on for r in reviews] == [pendulum.date(2028, 11, 25)]
    assert arrangement.next_review_due == pendulum.date(2028, 11, 25)


def test_an_amendment_comes_into_force_only_when_every_party_of_its_version_signs(
    session, people, now
) -> None:
    ref = reviewable(session, people, now, retention=RETENTION_24)
    later = now.add(months=2)
    _amend(session, people, ref, later)
    revise_draft(
        session,
        reference=ref,
        draft=form(retention={**RETENTION_24, "period_months": 36}, review_interval_months=6),
        actor=people.poc[COUNCIL],
        now=later,
    )
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=later)
    approve_arrangement(session, reference=ref, actor=people.signatory[COUNCIL], now=later)
    assert _arrangement(session, ref).retention_months == 24
    with pytest.raises(Refused, match="only a draft can be revised"):
        revise_draft(session, reference=ref, draft=form(), actor=people.poc[COUNCIL], now=later)
    events = approve_arrangement(session, reference=ref, actor=people.signatory[TRUST], now=later)
    assert [e.name for e in events] == ["arrangement.approved", "arrangement.activated"]
    arrangement = _arrangement(session, ref)
    assert (arrangement.retention_months, arrangement.review_interval_months) == (36, 6)
    assert (arrangement.in_force_version, arrangement.amendment) == (2, AmendmentStatus.ADOPTED)
    assert arrangement.next_review_due == pendulum.date(2027, 7, 25)
    v1, v2 = _versions(session, arrangement)
    assert (v1.content["retention"]["period_months"], v2.content["retention"]["period_months"]) == (
        24,
        36,
    )
    hashes = {
        s.version: s.content_hash
        for s in session.exec(select(SignOff).where(SignOff.arrangement_id == arrangement.id))
    }
    assert hashes == {1: v1.content_hash, 2: v2.content_hash}


def test_an_adopted_amendment_that_drops_a_recipient_ends_its_part(session, people, now) -> None:
    ref = reviewable(session, people, now, parties=THREE, retention=RETENTION_24)
    _amend(session, people, ref, now)
    two = parties((COUNCIL, "discloser"), (TRUST, "recipient"))
    revise_draft(
        session,
        reference=ref,
        draft=form(parties=two, retention=RETENTION_24),
        actor=people.poc[COUNCIL],
        now=now,
    )
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    # the Police are not a party to version 2: their signatory does not sign it
    with pytest.raises(Refused, match="is not a signatory of any party"):
        approve_arrangement(session, reference=ref, actor=people.signatory[POLICE], now=now)
    for agency in (COUNCIL, TRUST):
        approve_arrangement(session, reference=ref, actor=people.signatory[agency], now=now)
    arrangement = _arrangement(session, ref)
    left = session.exec(
        select(ArrangementParty).where(ArrangementParty.arrangement_id == arrangement.id)
    ).all()
    assert sorted((p.agency_id, p.left_at is not None) for p in left)[-1][1] is True
    task = session.exec(select(DisposalTask)).one()
    assert task.due_on == pendulum.date(2028, 11, 25)


def test_a_party_an_amendment_adds_is_asked_to_sign_it_and_joins_when_it_is_adopted(
    db: Database, session, people, now
) -> None:
    ref = reviewable(session, people, now)
    _amend(session, people, ref, now)
    revise_draft(
        session, reference=ref, draft=form(parties=THREE), actor=people.poc[COUNCIL], now=now
    )
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    # the version being signed names the Police: their signatory is asked, and must sign
    assert db.recipients("arrangement.submitted") >= {people.signatory[POLICE]}
    for agency in (COUNCIL, TRUST):
        events = approve_arrangement(
            session, reference=ref, actor=people.signatory[agency], now=now
        )
    assert events[0].as_dict()["awaiting"] == (POLICE,)
    arrangement = _arrangement(session, ref)
    # until then the Police are no party: the version in force does not name them
    assert (
        session.exec(
            select(ArrangementParty).where(ArrangementParty.arrangement_id == arrangement.id)
        )
        .all()
        .__len__()
        == 2
    )
    approve_arrangement(session, reference=ref, actor=people.signatory[POLICE], now=now)
    arrangement = _arrangement(session, ref)
    assert arrangement.in_force_version == 2
    assert (
        len(
            session.exec(
                select(ArrangementParty).where(ArrangementParty.arrangement_id == arrangement.id)
            ).all()
        )
        == 3
    )


def test_an_amending_draft_that_is_not_a_whole_form_is_refused_at_submission_and_writes_nothing(
    db: Database, session, people, now
) -> None:
    ref = reviewable(session, people, now)
    # an arrangement recorded before the form required a retention rule
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE arrangement SET retention_rule = NULL"))
    _amend(session, people, ref, now)
    before = db.snapshot(exclude=("audit_event", "audit_head"))
    with pytest.raises(Refused, match=r"the amending draft's retention\.rule is not complete"):
        submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    assert db.snapshot(exclude=("audit_event", "audit_head")) == before


def test_an_amendment_awaiting_sign_off_is_chased_as_a_first_version_is(
    db: Database, session, people, now
) -> None:
    ref = reviewable(session, people, now)
    _amend(session, people, ref, now)
    submit_arrangement(session, reference=ref, actor=people.poc[COUNCIL], now=now)
    approve_arrangement(session, reference=ref, actor=people.signatory[COUNCIL], now=now)
    later = now.add(days=8)
    report = chase_approvals(session, as_of=later.date(), now=later, actor="system:test")
    assert [row["reference"] for row in report.acted] == [ref]
    assert db.recipients("arrangement.approval_reminder") == {people.signatory[TRUST]}


@pytest.mark.parametrize(
    "statement",
    ["UPDATE arrangement_version SET content_hash = 'x'", "DELETE FROM arrangement_version"],
)
def test_the_database_refuses_to_update_or_delete_a_version(
    db: Database, session, people, now, statement
) -> None:
    active(session, people, now)
    before = db.snapshot()
    with (
        pytest.raises(DBAPIError, match="arrangement versions are append-only"),
        db.engine.begin() as conn,
    ):
        conn.execute(text(statement))
    assert db.snapshot() == before


# --- the command line ---------------------------------------------------------------------------


def _signed_and_amended(isa, register: Path) -> str:  # type: ignore[no-untyped-def]
    ref = "ISA-2026-0001"
    for argv in (
        ("arrangement", "draft", str(register), "--as", "jo@council.example"),
        ("arrangement", "submit", ref, "--as", "jo@council.example"),
        ("arrangement", "approve", ref, "--as", "sam@council.example"),
        ("arrangement", "approve", ref, "--as", "nia@trust.example"),
    ):
        result = isa(*argv)
        assert result.code == 0, result.err
    # the review is completed, and the amendment drafted, on the day the review falls due (it
    # is not open before its reminders begin); the `isa` fixture restores ISA_NOW afterwards
    os.environ["ISA_NOW"] = "2027-11-25T10:00:00+00:00"
    result = isa("review", "complete", ref, "--outcome", "amend", "--as", "jo@council.example")
    assert result.code == 0, result.err
    revised = yaml.safe_load(register.read_text())
    revised["title"] = "Something else entirely"
    revised["retention"]["period_months"] = 1
    register.write_text(yaml.safe_dump(revised))
    result = isa("arrangement", "revise", ref, str(register), "--as", "jo@council.example")
    assert result.code == 0, result.err
    return ref


def test_the_command_line_shows_a_version_exactly_as_it_was_signed(isa, register) -> None:
    original = yaml.safe_load(register.read_text())
    ref = _signed_and_amended(isa, register)
    shown = isa("arrangement", "show", ref, "--version", "1", "--json")
    assert shown.code == 0, shown.err
    v1 = json.loads(shown.out)
    assert v1["content"]["title"] == original["title"]
    assert v1["content"]["retention"]["period_months"] == original["retention"]["period_months"]
    assert v1["content_hash"] == version_hash(ref, 1, v1["template_version"], v1["content"])
    assert [(s["agency"], s["decision"], s["content_hash"]) for s in v1["sign_offs"]] == [
        (README_COUNCIL, "approved", v1["content_hash"]),
        (README_TRUST, "approved", v1["content_hash"]),
    ]
    text_out = isa("arrangement", "show", ref, "--version", "1").out
    assert original["title"] in text_out and v1["content_hash"] in text_out
    # the arrangement itself: in force under version 1, version 2 being drafted
    now_shown = json.loads(isa("arrangement", "show", ref, "--json").out)
    assert (now_shown["status"], now_shown["in_force_version"], now_shown["amendment"]) == (
        "active",
        1,
        "drafting",
    )
    assert now_shown["title"] == original["title"]


def test_the_command_line_lists_versions_with_their_hashes_and_who_signed(isa, register) -> None:
    ref = _signed_and_amended(isa, register)
    listed = isa("arrangement", "versions", ref, "--json")
    assert listed.code == 0, listed.err
    (v1,) = json.loads(listed.out)
    assert (v1["version"], v1["in_force"]) == (1, True)
    assert [s["signatory"] for s in v1["sign_offs"]] == ["sam@council.example", "nia@trust.example"]
    lines = isa("arrangement", "versions", ref).out.splitlines()
    assert lines[0].startswith(f"{ref} version 1  in force  {v1['content_hash']}")
    assert "approved by sam@council.example" in lines[1]


def test_a_version_that_was_never_submitted_is_a_one_line_error(isa, register) -> None:
    ref = _signed_and_amended(isa, register)
    missing = isa("arrangement", "show", ref, "--version", "2")
    assert missing.code == 1
    assert missing.err == (
        f"isa: error: {ref} has no submitted version 2 (see `isa arrangement versions {ref}`)\n"
    )
    for bad in ("0", "-1", "x"):
        assert isa("arrangement", "show", ref, "--version", bad).code == 1
