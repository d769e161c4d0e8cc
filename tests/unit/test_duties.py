"""Every declared duty (models/duties.py) run through its ladder's edges: the day before, the day
of and the day after each rung, around the bank holidays of each nation an owing agency may be
in (England and Wales, Scotland and Northern Ireland keep different ones), across the clock
changes for an hour ladder, and a missed day owing only the furthest rung. The cases come from
the declarations, so a new duty is covered by declaring it.

The working days are counted here independently of models.clocks, from the holidays package."""

import dataclasses
import datetime as dt
from functools import cache

import holidays
import pendulum
import pytest

from models.clocks import CHECK_HOUR, LONDON, Unit
from models.duties import APPROVAL_LADDER, DUTIES, MATTERS, Duty, rung_owed, rung_times
from models.enums import Nation
from notifications.catalog import CATALOG, Audience

SUBDIVISIONS = {
    Nation.ENGLAND_AND_WALES: ("ENG", "WLS"),
    Nation.SCOTLAND: ("SCT",),
    Nation.NORTHERN_IRELAND: ("NIR",),
}

# anchors around each nation's own holidays and the ones they share: Easter Monday 2026 (6
# April, not in Scotland), St Patrick's Day (NI, 17 March), the Battle of the Boyne (NI, 13 July
# 2026, the 12th being a Sunday), the summer bank holiday (Scotland 3 August, England and Wales
# 31 August), St Andrew's Day (Scotland, 30 November), and Christmas into the new year (2 January
# 2027 is a Saturday, so Scotland's second of January moves to Monday 4 January)
ANCHOR_DAYS = (
    dt.date(2026, 3, 13),
    dt.date(2026, 3, 31),
    dt.date(2026, 4, 2),
    dt.date(2026, 7, 9),
    dt.date(2026, 7, 29),
    dt.date(2026, 8, 27),
    dt.date(2026, 11, 25),
    dt.date(2026, 12, 18),
    dt.date(2026, 12, 23),
    dt.date(2027, 1, 11),
)
# the clock changes of 2026: the last Sundays of March and October, at 01:00 UTC
SPRING_FORWARD = pendulum.datetime(2026, 3, 29, 1, tz="UTC")
FALL_BACK = pendulum.datetime(2026, 10, 25, 1, tz="UTC")


@cache
def _holidays(nation: Nation, year: int) -> frozenset[dt.date]:
    days: set[dt.date] = set()
    for subdiv in SUBDIVISIONS[nation]:
        days.update(holidays.country_holidays("GB", subdiv=subdiv, years=year).keys())
    return frozenset(days)


def _working(day: dt.date, nation: Nation) -> bool:
    return day.isoweekday() <= 5 and day not in _holidays(nation, day.year)


def _count(day: dt.date, amount: int, before: bool, nation: Nation) -> dt.date:
    """The amount-th working day after (or before) `day`, which never counts itself."""
    step = dt.timedelta(days=-1 if before else 1)
    counted = 0
    while counted < amount:
        day += step
        if _working(day, nation):
            counted += 1
    return day


def _expected_dates(duty: Duty, anchor: dt.date, nation: Nation) -> list[dt.date]:
    dates = []
    for step in duty.ladder.steps:
        if step.unit == Unit.WORKING_DAYS:
            dates.append(_count(anchor, step.amount, step.before, nation))
        else:
            shift = dt.timedelta(days=step.amount)
            dates.append(anchor - shift if step.before else anchor + shift)
    return dates


def _anchored_on_a_date(duty: Duty) -> bool:
    annotation = duty.table.model_fields[duty.anchor].annotation
    return annotation is dt.date


def _anchor(duty: Duty, day: dt.date) -> pendulum.Date | pendulum.DateTime:
    """The anchor a row holds on `day`: a date, or an instant (10:00 London that day)."""
    if _anchored_on_a_date(duty):
        return pendulum.Date(day.year, day.month, day.day)
    return pendulum.datetime(day.year, day.month, day.day, 10, tz=LONDON).in_timezone("UTC")


DAY_DUTIES = [d for d in DUTIES.values() if not d.ladder.hourly]
HOUR_DUTIES = [d for d in DUTIES.values() if d.ladder.hourly]


def test_every_duty_is_declared_whole() -> None:
    """Its columns exist on its table, one rung per step, each rung's event carries the fact
    the ladder gives it and the duty's own fields, and tells people the catalog knows."""
    audiences = {a.value for a in Audience}
    assert DUTIES and HOUR_DUTIES and DAY_DUTIES
    for duty in DUTIES.values():
        fields = duty.table.model_fields
        for column in (duty.anchor, duty.owner, duty.column, duty.open[0], "reference"):
            assert column in fields, (duty.name, column)
        if duty.matter_link:
            assert duty.matter_link in fields, duty.name
        assert len(duty.rungs) == duty.ladder.top >= 1, duty.name
        for n, rung in enumerate(duty.rungs, start=1):
            names = {f.name for f in dataclasses.fields(rung.event)}
            if rung.fact:
                assert rung.fact in names, (duty.name, n)
                assert duty.facts(n) == {rung.fact: duty.ladder.steps[n - 1].amount}
            else:
                assert duty.facts(n) == {}
            assert set(rung.tells) <= audiences, (duty.name, n)
            # the email each rung sends is in the catalog, to the same people
            notice = CATALOG[rung.event.name]
            assert {a.value for a in notice.audiences} == set(rung.tells), (duty.name, n)
    # every duty is chased by one matter's phase
    chased = [d.name for m in MATTERS.values() for d in m.duties]
    assert sorted(chased) == sorted(DUTIES)


@pytest.mark.parametrize("nation", list(Nation), ids=lambda n: n.name)
@pytest.mark.parametrize("duty", DAY_DUTIES, ids=lambda d: d.name)
def test_each_rung_of_a_day_ladder_is_owed_from_its_day_in_the_owing_agency_s_nation(
    duty: Duty, nation: Nation
) -> None:
    for day in ANCHOR_DAYS:
        anchor = _anchor(duty, day)
        expected = _expected_dates(duty, day, nation)
        times = rung_times(duty.ladder, anchor, nation)
        for n, on in enumerate(expected, start=1):
            # its checker run, at CHECK_HOUR London on its day (GMT or BST alike)
            local = times[n].in_timezone(LONDON)
            assert (local.date(), local.hour, local.minute) == (on, CHECK_HOUR, 0), (day, n)
            before, after = on - dt.timedelta(days=1), on + dt.timedelta(days=1)
            assert rung_owed(duty.ladder, anchor, before, nation) == n - 1, (day, n, before)
            assert rung_owed(duty.ladder, anchor, on, nation) == n, (day, n, on)
            assert rung_owed(duty.ladder, anchor, after, nation) >= n, (day, n, after)
        # a working-day rung never falls on a day off where the agency is
        for step, on in zip(duty.ladder.steps, expected, strict=True):
            if step.unit == Unit.WORKING_DAYS:
                assert _working(on, nation), (day, on)


@pytest.mark.parametrize("duty", DAY_DUTIES, ids=lambda d: d.name)
def test_the_nations_holidays_move_a_working_day_rung(duty: Duty) -> None:
    """Somewhere among the anchors each working-day ladder lands on different days in
    different nations: the holidays are the owing agency's, not every nation's."""
    if not any(step.unit == Unit.WORKING_DAYS for step in duty.ladder.steps):
        pytest.skip("no working-day rung")
    differing = {
        day
        for day in ANCHOR_DAYS
        if len(
            {
                tuple(rung_times(duty.ladder, _anchor(duty, day), nation).values())
                for nation in Nation
            }
        )
        > 1
    }
    assert differing, duty.name


@pytest.mark.parametrize("duty", DUTIES.values(), ids=lambda d: d.name)
def test_a_missed_day_owes_only_the_furthest_rung(duty: Duty) -> None:
    nation = Nation.SCOTLAND
    anchor = _anchor(duty, dt.date(2026, 11, 25))
    last = max(rung_times(duty.ladder, anchor, nation).values())
    late = last.add(days=9)
    at = late if duty.ladder.hourly else late.in_timezone(LONDON).date()
    assert rung_owed(duty.ladder, anchor, at, nation) == duty.ladder.top
    # long before the first rung nothing is owed
    early = min(rung_times(duty.ladder, anchor, nation).values()).subtract(days=60)
    at = early if duty.ladder.hourly else early.in_timezone(LONDON).date()
    assert rung_owed(duty.ladder, anchor, at, nation) == 0


@pytest.mark.parametrize("change", [SPRING_FORWARD, FALL_BACK], ids=["spring", "autumn"])
@pytest.mark.parametrize("duty", HOUR_DUTIES, ids=lambda d: d.name)
def test_an_hour_ladder_counts_real_hours_across_a_clock_change(
    duty: Duty, change: pendulum.DateTime
) -> None:
    """Aware an hour before the clocks change: each rung comes its hours later in real time, so
    an hour off (or on) London's wall clock, and is owed from its exact instant."""
    anchor = change.subtract(hours=1)
    times = rung_times(duty.ladder, anchor)
    for n, step in enumerate(duty.ladder.steps, start=1):
        due = times[n]
        assert (due - anchor).total_seconds() == step.amount * 3600
        wall = due.in_timezone(LONDON).naive() - anchor.in_timezone(LONDON).naive()
        shift = 1 if change == SPRING_FORWARD else -1
        assert wall.total_seconds() == (step.amount + shift) * 3600
        assert rung_owed(duty.ladder, anchor, due.subtract(microseconds=1)) == n - 1
        assert rung_owed(duty.ladder, anchor, due) == n
        assert rung_owed(duty.ladder, anchor, due.add(minutes=1)) >= n


def test_the_approval_ladder_checks_on_days_7_and_14_at_the_check_hour() -> None:
    submitted = pendulum.Date(2026, 3, 25)
    times = rung_times(APPROVAL_LADDER, submitted)
    assert [t.in_timezone(LONDON).isoformat() for t in times.values()] == [
        "2026-04-01T09:00:00+01:00",
        "2026-04-08T09:00:00+01:00",
    ]
    assert rung_owed(APPROVAL_LADDER, submitted, pendulum.Date(2026, 3, 31)) == 0
    assert rung_owed(APPROVAL_LADDER, submitted, pendulum.Date(2026, 4, 30)) == 2
