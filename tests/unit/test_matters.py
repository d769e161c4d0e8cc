"""The Protocol's decisions about suspensions and withdrawals (models/matters.py), at their
edges: what each day of a suspension owes, who may attend its meeting, and what becomes of an
arrangement a withdrawing agency leaves."""

import pendulum
import pytest

from models.enums import ArrangementStatus, ContactRole, PartyRole, SuspensionStatus
from models.matters import Duty, attendee_capacity, departure, suspension_duties
from tasks.matters import MatterStory

RAISED, SET, HELD, ENDED = (
    SuspensionStatus.RAISED,
    SuspensionStatus.MEETING_SCHEDULED,
    SuspensionStatus.MEETING_HELD,
    SuspensionStatus.ENDED,
)
NOTHING_DONE = dict(chairs_reminded=False, escalated=False, end_noticed=False)


def owed(day: int, status: SuspensionStatus, at_end: bool = False, **done: bool) -> tuple:
    return suspension_duties(day, status, at_end=at_end, **{**NOTHING_DONE, **done})


@pytest.mark.parametrize(
    ("day", "status", "expected"),
    [
        (6, RAISED, ()),
        (7, RAISED, (Duty.REMIND_CHAIRS,)),
        (13, RAISED, (Duty.REMIND_CHAIRS,)),
        # a meeting set by day 7: no reminder
        (7, SET, ()),
        # day 14, none held: escalated, whether or not one was set; a late check that never
        # reminded does not remind now
        (14, RAISED, (Duty.ESCALATE,)),
        (14, SET, (Duty.ESCALATE,)),
        (14, HELD, ()),
        (24, HELD, ()),
        (25, HELD, (Duty.NOTICE_END,)),
        (25, RAISED, (Duty.ESCALATE, Duty.NOTICE_END)),
    ],
)
def test_what_each_day_of_a_suspension_owes(
    day: int, status: SuspensionStatus, expected: tuple
) -> None:
    assert owed(day, status) == expected


def test_each_duty_is_owed_once_and_nothing_once_it_has_ended() -> None:
    assert owed(10, RAISED, chairs_reminded=True) == ()
    assert owed(20, RAISED, escalated=True) == ()
    assert owed(26, HELD, end_noticed=True) == ()
    # at its end time only the end is owed, whatever else was missed
    assert owed(30, RAISED, at_end=True) == (Duty.END,)
    assert owed(30, ENDED, at_end=True) == ()
    assert owed(7, ENDED) == ()


def test_who_may_attend_a_resolution_meeting() -> None:
    assert attendee_capacity(is_chair=True, roles=(), agency=None) == "chair"
    assert (
        attendee_capacity(is_chair=False, roles={ContactRole.SIGNATORY}, agency="Trust")
        == "signatory, Trust"
    )
    assert (
        attendee_capacity(
            is_chair=False, roles={ContactRole.NOMINATED_REPRESENTATIVE}, agency="Trust"
        )
        == "nominated representative, Trust"
    )
    # a point of contact or a DPO is not one of those §41 names
    for role in (ContactRole.POINT_OF_CONTACT, ContactRole.DPO):
        assert attendee_capacity(is_chair=False, roles={role}, agency="Trust") is None


D, R, B = PartyRole.DISCLOSER, PartyRole.RECIPIENT, PartyRole.BOTH


@pytest.mark.parametrize(
    ("status", "remaining", "fate"),
    [
        (ArrangementStatus.ACTIVE, [D, R], "left"),
        (ArrangementStatus.ACTIVE, [B, B], "left"),
        (ArrangementStatus.SUSPENDED, [D, B], "left"),
        # one party left, or nobody left to disclose or to receive: it ends
        (ArrangementStatus.ACTIVE, [B], "terminated"),
        (ArrangementStatus.ACTIVE, [D, D], "terminated"),
        (ArrangementStatus.UNDER_REVIEW, [R, R], "terminated"),
        # not yet in force: a draft without the agency, however few remain
        (ArrangementStatus.DRAFT, [D], "redrafted"),
        (ArrangementStatus.AWAITING_APPROVAL, [], "redrafted"),
    ],
)
def test_what_becomes_of_an_arrangement_a_withdrawing_agency_leaves(
    status: ArrangementStatus, remaining: list[PartyRole], fate: str
) -> None:
    assert departure(status, remaining) == fate


def test_a_story_owes_only_the_checks_after_its_reading_and_none_once_settled() -> None:
    raised = pendulum.datetime(2026, 12, 1, 10, tz="UTC")
    checks = {"day 7": raised.add(days=6), "day 14": raised.add(days=13)}
    story = MatterStory(
        kind="suspension",
        reference="SUS-2026-0001",
        agency="Northshire Police",
        reason="breach",
        status="raised",
        settled=False,
        timeline=(),
        checks=checks,
        read_at=raised.add(days=10),
    )
    assert list(story.checks_to_come()) == ["day 14"]
    assert story.checks_to_come()["day 14"] == raised.add(days=13)
    settled = MatterStory(**{**story.__dict__, "settled": True, "status": "ended"})
    assert settled.checks_to_come() == {}
