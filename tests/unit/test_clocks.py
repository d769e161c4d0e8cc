"""Deadline arithmetic (models/clocks.py): every expected date below was checked against a
calendar; bank holidays against the gov.uk lists for each nation."""

from __future__ import annotations

import datetime as dt

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.clocks import (
    LONDON,
    add_uk_working_days,
    add_working_days_in,
    chase_dates,
    chase_instant,
    chase_rung,
    consultation_chase_dates,
    consultation_chase_rung,
    consultation_reply_by,
    days_overdue,
    decided_in_time,
    due_rungs,
    first_review_due,
    foi_due_date,
    hours_since,
    incident_check_times,
    incident_rung,
    is_uk_bank_holiday,
    is_uk_working_day,
    is_working_day_in,
    local_date,
    meeting_within_deadline,
    next_review_due,
    parse_date,
    parse_datetime,
    regulator_deadline,
    reminder_dates,
    request_due_date,
    request_reminder_dates,
    request_reminder_rung,
    review_is_open,
    review_opens_on,
    sar_due_date,
    suspension_day,
    suspension_end,
    suspension_meeting_deadline,
    suspension_meeting_deadline_date,
    to_utc,
    working_days_left,
)
from models.enums import Nation

D = pendulum.date


def london(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> pendulum.DateTime:
    return pendulum.datetime(year, month, day, hour, minute, tz=LONDON)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> pendulum.DateTime:
    return pendulum.datetime(year, month, day, hour, minute, second, us, tz="UTC")


# --- §41 suspension: 14-day meeting, 30-day suspension --------------------------------------

# Saturday 10 Oct 2026, BST; BST ends Sunday 25 Oct 2026.
RAISED_AUTUMN = london(2026, 10, 10, 10, 0)
# Friday 20 Mar 2026, GMT; BST starts Sunday 29 Mar 2026.
RAISED_SPRING = london(2026, 3, 20, 10, 0)


def test_meeting_deadline_is_end_of_local_day_14() -> None:
    deadline = suspension_meeting_deadline(RAISED_AUTUMN)
    # 24 Oct is still BST, so 23:59:59.999999 London is 22:59:59.999999 UTC.
    assert deadline == utc(2026, 10, 24, 22, 59, 59, 999999)
    assert deadline.timezone_name == "UTC"
    assert suspension_meeting_deadline_date(RAISED_AUTUMN) == D(2026, 10, 24)


def test_meeting_deadline_after_spring_change_is_end_of_local_day_in_bst() -> None:
    assert suspension_meeting_deadline_date(RAISED_SPRING) == D(2026, 4, 3)
    assert suspension_meeting_deadline(RAISED_SPRING) == utc(2026, 4, 3, 22, 59, 59, 999999)


def test_meeting_deadline_in_winter_is_end_of_local_day_in_gmt() -> None:
    deadline = suspension_meeting_deadline(london(2026, 1, 5, 9, 0))
    assert deadline == utc(2026, 1, 19, 23, 59, 59, 999999)


def test_day_0_is_the_london_date_not_the_utc_date() -> None:
    # 23:30 UTC on 30 June is 00:30 BST on 1 July: day 0 is 1 July.
    raised = utc(2026, 6, 30, 23, 30)
    assert local_date(raised) == D(2026, 7, 1)
    assert suspension_meeting_deadline_date(raised) == D(2026, 7, 15)
    assert suspension_day(raised, utc(2026, 7, 1, 12, 0)) == 0


def test_suspension_end_keeps_london_wall_time_across_autumn_change() -> None:
    # 10:00 BST (09:00 UTC) on 10 Oct -> 10:00 GMT on 9 Nov, which is 10:00 UTC, not 09:00.
    end = suspension_end(RAISED_AUTUMN)
    assert end == utc(2026, 11, 9, 10, 0)
    assert end.timezone_name == "UTC"
    assert end.in_timezone(LONDON).hour == 10


def test_suspension_end_keeps_london_wall_time_across_spring_change() -> None:
    # 10:00 GMT on 20 Mar -> 10:00 BST on 19 Apr = 09:00 UTC.
    assert suspension_end(RAISED_SPRING) == utc(2026, 4, 19, 9, 0)


def test_suspension_end_is_30_calendar_days_without_dst_change() -> None:
    assert suspension_end(london(2026, 1, 10, 15, 45)) == utc(2026, 2, 9, 15, 45)


def test_suspension_end_in_the_skipped_spring_hour_moves_forward() -> None:
    # 01:30 on 29 Mar 2026 does not exist in London; it becomes 02:30 BST = 01:30 UTC.
    assert suspension_end(london(2026, 2, 27, 1, 30)) == utc(2026, 3, 29, 1, 30)


def test_suspension_day_counts_london_dates_from_day_0() -> None:
    assert suspension_day(RAISED_AUTUMN, RAISED_AUTUMN) == 0
    assert suspension_day(RAISED_AUTUMN, london(2026, 10, 10, 23, 59)) == 0
    assert suspension_day(RAISED_AUTUMN, london(2026, 10, 11, 0, 1)) == 1
    assert suspension_day(RAISED_AUTUMN, london(2026, 10, 24, 23, 59)) == 14
    # 23:30 UTC on 24 Oct is 00:30 BST on 25 Oct: already day 15.
    assert suspension_day(RAISED_AUTUMN, utc(2026, 10, 24, 23, 30)) == 15
    assert suspension_day(RAISED_AUTUMN, suspension_end(RAISED_AUTUMN)) == 30


def test_suspension_day_is_negative_before_the_raised_date() -> None:
    assert suspension_day(RAISED_AUTUMN, london(2026, 10, 9, 12, 0)) == -1


def test_meeting_on_local_day_14_is_within_deadline() -> None:
    assert meeting_within_deadline(RAISED_AUTUMN, london(2026, 10, 24, 23, 30))
    assert meeting_within_deadline(RAISED_AUTUMN, suspension_meeting_deadline(RAISED_AUTUMN))


def test_meeting_on_local_day_15_is_late_even_if_still_day_14_in_utc() -> None:
    # 23:30 UTC on 24 Oct = 00:30 BST on 25 Oct.
    assert not meeting_within_deadline(RAISED_AUTUMN, utc(2026, 10, 24, 23, 30))
    just_after = suspension_meeting_deadline(RAISED_AUTUMN).add(microseconds=1)
    assert not meeting_within_deadline(RAISED_AUTUMN, just_after)


def test_meeting_before_the_suspension_was_raised_does_not_count() -> None:
    assert not meeting_within_deadline(RAISED_AUTUMN, london(2026, 10, 9, 10, 0))
    # Same local date, but an hour before the suspension existed.
    assert not meeting_within_deadline(RAISED_AUTUMN, london(2026, 10, 10, 9, 0))
    assert meeting_within_deadline(RAISED_AUTUMN, RAISED_AUTUMN)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        suspension_end(pendulum.naive(2026, 10, 10, 10, 0))
    with pytest.raises(ValueError, match="naive datetime"):
        local_date(pendulum.naive(2026, 10, 10, 10, 0))


def test_to_utc_and_local_date_accept_stdlib_aware_datetimes() -> None:
    bst = dt.timezone(dt.timedelta(hours=1))
    at = dt.datetime(2026, 7, 1, 0, 30, tzinfo=bst)
    assert to_utc(at) == utc(2026, 6, 30, 23, 30)  # type: ignore[arg-type]
    assert local_date(at) == D(2026, 7, 1)  # type: ignore[arg-type]


# --- reviews ------------------------------------------------------------------------------


def test_first_review_due_clamps_31_january_to_end_of_february() -> None:
    assert first_review_due(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert first_review_due(D(2028, 1, 31), 1) == D(2028, 2, 29)
    assert first_review_due(D(2026, 3, 15), 12) == D(2027, 3, 15)


def test_next_review_rolls_from_intended_due_date_not_completion_date() -> None:
    # Due 31 Mar 2026, done late on 10 May: next is 31 Mar 2027, not 10 May 2027.
    assert next_review_due(D(2026, 3, 31), 12, D(2026, 5, 10)) == D(2027, 3, 31)
    # Done early: still one interval from the due date.
    assert next_review_due(D(2026, 3, 31), 12, D(2026, 2, 15)) == D(2027, 3, 31)
    assert next_review_due(D(2026, 3, 31), 12, D(2026, 3, 31)) == D(2027, 3, 31)


def test_very_late_review_skips_to_first_due_date_after_completion() -> None:
    # Due 31 Mar 2026, done 2 Apr 2027 (after the 2027 due date too): next is 31 Mar 2028.
    assert next_review_due(D(2026, 3, 31), 12, D(2027, 4, 2)) == D(2028, 3, 31)
    # Done exactly on the following due date: that date is not "after", so roll once more.
    assert next_review_due(D(2026, 3, 31), 12, D(2027, 3, 31)) == D(2028, 3, 31)


def test_yearly_review_of_29_february_clamps_then_returns_in_leap_year() -> None:
    assert next_review_due(D(2028, 2, 29), 12, D(2028, 3, 1)) == D(2029, 2, 28)
    # Rolled from the original date, so a leap year gets 29 Feb back (chaining would give 28).
    assert next_review_due(D(2028, 2, 29), 12, D(2031, 3, 1)) == D(2032, 2, 29)


def test_monthly_review_from_month_end_does_not_drift() -> None:
    # 31 Jan -> 28 Feb (done by 5 Mar) -> 31 Mar, not 28 Mar.
    assert next_review_due(D(2026, 1, 31), 1, D(2026, 3, 5)) == D(2026, 3, 31)
    assert next_review_due(D(2026, 1, 31), 6, D(2026, 1, 31)) == D(2026, 7, 31)


@pytest.mark.parametrize("bad", [0, -12, True])
def test_review_interval_must_be_a_positive_whole_number_of_months(bad: int) -> None:
    with pytest.raises(ValueError, match="review interval"):
        next_review_due(D(2026, 3, 31), bad, D(2026, 4, 1))
    with pytest.raises(ValueError, match="review interval"):
        first_review_due(D(2026, 3, 31), bad)


# --- reminders ----------------------------------------------------------------------------


def test_reminder_dates_default_ladder_earliest_first() -> None:
    assert reminder_dates(D(2026, 12, 31)) == [
        (90, D(2026, 10, 2)),
        (30, D(2026, 12, 1)),
        (7, D(2026, 12, 24)),
        (0, D(2026, 12, 31)),
    ]


def test_reminder_dates_sorts_an_unsorted_ladder() -> None:
    assert reminder_dates(D(2026, 3, 1), (0, 1, 28)) == [
        (28, D(2026, 2, 1)),
        (1, D(2026, 2, 28)),
        (0, D(2026, 3, 1)),
    ]


@pytest.mark.parametrize(
    ("ladder", "named"),
    [((90, -1), "-1"), ((30, "7"), "'7'"), ((True,), "True"), ((7.5,), "7.5")],
)
def test_reminder_ladder_rejects_rung_that_is_not_a_non_negative_int(
    ladder: tuple[object, ...], named: str
) -> None:
    with pytest.raises(ValueError, match=f"reminder rung {named} "):
        reminder_dates(D(2026, 12, 31), ladder)  # type: ignore[arg-type]


def test_reminder_ladder_rejects_duplicate_rung() -> None:
    with pytest.raises(ValueError, match="reminder rung 7 appears more than once"):
        due_rungs(D(2026, 12, 31), D(2026, 12, 31), (30, 7, 7))


def test_due_rungs_are_those_dated_on_or_before_as_of() -> None:
    due = D(2026, 12, 31)
    assert due_rungs(due, D(2026, 10, 1)) == []
    assert due_rungs(due, D(2026, 10, 2)) == [90]
    assert due_rungs(due, D(2026, 11, 30)) == [90]
    assert due_rungs(due, D(2026, 12, 1)) == [90, 30]
    assert due_rungs(due, D(2026, 12, 31)) == [90, 30, 7, 0]
    assert due_rungs(due, D(2027, 1, 5)) == [90, 30, 7, 0]


def test_days_overdue_is_zero_until_the_day_after_due() -> None:
    due = D(2026, 3, 31)
    assert days_overdue(due, D(2026, 3, 1)) == 0
    assert days_overdue(due, due) == 0
    assert days_overdue(due, D(2026, 4, 1)) == 1
    assert days_overdue(due, D(2027, 3, 31)) == 365


# --- UK bank holidays and working days ----------------------------------------------------


def test_st_andrews_day_2026_is_a_monday_scottish_bank_holiday() -> None:
    assert D(2026, 11, 30).isoweekday() == 1
    assert is_uk_bank_holiday(D(2026, 11, 30))
    assert not is_uk_working_day(D(2026, 11, 30))


def test_st_patricks_day_is_a_northern_ireland_bank_holiday() -> None:
    assert D(2026, 3, 17).isoweekday() == 2
    assert is_uk_bank_holiday(D(2026, 3, 17))
    assert not is_uk_working_day(D(2026, 3, 17))
    assert is_uk_working_day(D(2026, 3, 18))


def test_nation_specific_holidays_count_anywhere_in_the_uk() -> None:
    assert is_uk_bank_holiday(D(2026, 1, 2))  # Scotland, 2nd January (Fri)
    assert is_uk_bank_holiday(D(2026, 4, 6))  # Easter Monday: not Scotland
    assert is_uk_bank_holiday(D(2026, 7, 13))  # NI, Battle of the Boyne substitute (Mon)
    assert is_uk_bank_holiday(D(2026, 8, 3))  # Scotland, summer bank holiday
    assert is_uk_bank_holiday(D(2026, 8, 31))  # England, Wales, NI late summer


def test_boxing_day_on_saturday_is_substituted_by_monday_28_december() -> None:
    assert D(2026, 12, 26).isoweekday() == 6
    assert is_uk_bank_holiday(D(2026, 12, 25))
    assert is_uk_bank_holiday(D(2026, 12, 28))
    assert not is_uk_working_day(D(2026, 12, 28))
    assert is_uk_working_day(D(2026, 12, 29))


def test_scottish_2_january_on_saturday_is_substituted_by_monday_4_january_2027() -> None:
    assert D(2027, 1, 2).isoweekday() == 6
    assert not is_uk_working_day(D(2027, 1, 2))
    assert is_uk_bank_holiday(D(2027, 1, 4))
    assert not is_uk_working_day(D(2027, 1, 4))
    assert is_uk_working_day(D(2027, 1, 5))


def test_ordinary_weekday_is_a_working_day_and_weekend_is_not() -> None:
    assert not is_uk_bank_holiday(D(2026, 9, 9))
    assert is_uk_working_day(D(2026, 9, 9))
    assert not is_uk_bank_holiday(D(2026, 3, 21))
    assert not is_uk_working_day(D(2026, 3, 21))  # Saturday
    assert not is_uk_working_day(D(2026, 3, 22))  # Sunday


def test_working_day_functions_refuse_a_datetime() -> None:
    with pytest.raises(TypeError, match="use local_date"):
        is_uk_working_day(london(2026, 9, 9, 10, 0))


def test_add_working_days_start_is_day_0_even_when_not_a_working_day() -> None:
    assert add_uk_working_days(D(2026, 9, 6), 0) == D(2026, 9, 6)  # Sunday
    assert add_uk_working_days(D(2026, 9, 6), 1) == D(2026, 9, 7)
    assert add_uk_working_days(D(2026, 9, 4), 1) == D(2026, 9, 7)  # Fri -> Mon


def test_add_working_days_refuses_negative_n() -> None:
    with pytest.raises(ValueError, match="working days"):
        add_uk_working_days(D(2026, 9, 4), -1)


def test_foi_due_is_20th_working_day_following_receipt() -> None:
    assert foi_due_date(D(2026, 9, 1)) == D(2026, 9, 29)
    # Received on a Saturday: the first working day after it is day 1.
    assert foi_due_date(D(2026, 9, 5)) == D(2026, 10, 2)


def test_foi_over_christmas_skips_english_and_scottish_holidays() -> None:
    # Fri 18 Dec 2026: skips 25, 28 Dec, 1 Jan and the Scottish 4 Jan 2027 substitute.
    assert foi_due_date(D(2026, 12, 18)) == D(2027, 1, 21)


def test_foi_skips_st_andrews_day() -> None:
    # Mon 16 Nov 2026: 30 Nov is not counted, so 15 Dec rather than 14 Dec.
    assert foi_due_date(D(2026, 11, 16)) == D(2026, 12, 15)


EW, SCOTLAND, NI = Nation.ENGLAND_AND_WALES, Nation.SCOTLAND, Nation.NORTHERN_IRELAND


def test_sar_due_is_corresponding_date_next_month() -> None:
    assert sar_due_date(D(2026, 5, 10), EW) == D(2026, 6, 10)
    assert sar_due_date(D(2026, 3, 31), EW) == D(2026, 4, 30)


def test_sar_received_31_january_in_leap_year_is_due_29_february() -> None:
    assert D(2028, 2, 29).isoweekday() == 2
    assert sar_due_date(D(2028, 1, 31), EW) == D(2028, 2, 29)


def test_sar_due_on_weekend_moves_to_next_working_day() -> None:
    # 31 Jan 2026 -> 28 Feb 2026 (Saturday) -> Monday 2 Mar.
    assert sar_due_date(D(2026, 1, 31), EW) == D(2026, 3, 2)


def test_sar_due_on_bank_holiday_moves_past_the_controller_s_own_holidays() -> None:
    # 26 Dec 2026 is Saturday, 28 Dec the Boxing Day substitute -> Tue 29 Dec, everywhere.
    for nation in Nation:
        assert sar_due_date(D(2026, 11, 26), nation) == D(2026, 12, 29)
    # 3 Apr 2026 is Good Friday; Easter Monday is a holiday in England, Wales and Northern
    # Ireland, not in Scotland.
    assert sar_due_date(D(2026, 3, 3), EW) == D(2026, 4, 7)
    assert sar_due_date(D(2026, 3, 3), NI) == D(2026, 4, 7)
    assert sar_due_date(D(2026, 3, 3), SCOTLAND) == D(2026, 4, 6)
    # 30 Nov 2026 is St Andrew's Day, Scotland's alone: received 31 October, an English
    # controller owes the answer on Monday 30 November, a Scottish one on Tuesday 1 December.
    assert sar_due_date(D(2026, 10, 31), EW) == D(2026, 11, 30)
    assert sar_due_date(D(2026, 10, 31), SCOTLAND) == D(2026, 12, 1)
    # 17 March is St Patrick's Day, Northern Ireland's alone (Tue 17 Mar 2026).
    assert sar_due_date(D(2026, 2, 17), NI) == D(2026, 3, 18)
    assert sar_due_date(D(2026, 2, 17), EW) == D(2026, 3, 17)


# --- parsing ------------------------------------------------------------------------------


def test_parse_naive_datetime_is_london_wall_time() -> None:
    assert to_utc(parse_datetime("2026-03-20T10:00")) == utc(2026, 3, 20, 10, 0)
    assert to_utc(parse_datetime("2026-07-01T10:00")) == utc(2026, 7, 1, 9, 0)
    assert to_utc(parse_datetime("2026-07-01 10:00")) == utc(2026, 7, 1, 9, 0)


def test_parse_datetime_keeps_an_explicit_offset() -> None:
    assert to_utc(parse_datetime("2026-07-01T10:00Z")) == utc(2026, 7, 1, 10, 0)
    assert to_utc(parse_datetime("2026-07-01T10:00+05:30")) == utc(2026, 7, 1, 4, 30)


def test_parse_datetime_default_tz_can_be_changed() -> None:
    parsed = parse_datetime("2026-07-01T10:00", default_tz=pendulum.timezone("UTC"))
    assert to_utc(parsed) == utc(2026, 7, 1, 10, 0)


def test_parse_datetime_resolves_dst_gaps_forward_and_repeats_to_later() -> None:
    assert to_utc(parse_datetime("2026-03-29T01:30")) == utc(2026, 3, 29, 1, 30)
    assert to_utc(parse_datetime("2026-10-25T01:30")) == utc(2026, 10, 25, 1, 30)


@pytest.mark.parametrize("bad", ["xyz", "", "2026-02-30T10:00", "2026-03-20", "10:00", "P1D"])
def test_parse_datetime_rejects_bad_input_with_one_line_message(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^not a date-time: ") as caught:
        parse_datetime(bad)
    assert repr(bad) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_parse_date_reads_yyyy_mm_dd() -> None:
    parsed = parse_date(" 2028-02-29 ")
    assert parsed == D(2028, 2, 29)
    assert isinstance(parsed, pendulum.Date)


@pytest.mark.parametrize(
    "bad", ["xyz", "", "2026-02-30", "2027-02-29", "20260320", "2026-3-20", "2026-03-20T10:00"]
)
def test_parse_date_rejects_anything_but_a_real_yyyy_mm_dd(bad: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_date(bad)
    assert str(caught.value) == f"not a date: {bad!r} (expected YYYY-MM-DD)"


# --- properties ---------------------------------------------------------------------------

dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)).map(
    lambda d: pendulum.date(d.year, d.month, d.day)
)


@settings(deadline=None)
@given(start=dates, n=st.integers(min_value=1, max_value=60))
def test_add_working_days_lands_on_the_nth_working_day_after_start(
    start: pendulum.Date, n: int
) -> None:
    result = add_uk_working_days(start, n)
    assert result > start
    assert is_uk_working_day(result)
    between = [start.add(days=i) for i in range(1, result.toordinal() - start.toordinal())]
    assert sum(is_uk_working_day(d) for d in between) == n - 1


@settings(deadline=None)
@given(received=dates)
def test_sar_due_is_a_working_day_within_a_month_and_5_days(received: pendulum.Date) -> None:
    for nation in Nation:
        due = sar_due_date(received, nation)
        month_on = received.add(months=1)
        assert is_working_day_in(due, nation)
        assert month_on <= due <= month_on.add(days=5)
    due = sar_due_date(received, Nation.ENGLAND_AND_WALES)
    assert month_on <= due <= month_on.add(days=5)


@given(
    intended=dates,
    interval=st.sampled_from([1, 3, 6, 12, 24]),
    late_by=st.integers(min_value=-400, max_value=3000),
)
def test_next_review_is_the_first_scheduled_date_after_completion(
    intended: pendulum.Date, interval: int, late_by: int
) -> None:
    completed = intended.add(days=late_by)
    result = next_review_due(intended, interval, completed)
    assert result > completed
    schedule = [intended.add(months=k * interval) for k in range(1, 200)]
    assert result in schedule
    k = schedule.index(result)
    assert k == 0 or schedule[k - 1] <= completed


@given(
    day=dates,
    hour=st.integers(min_value=3, max_value=23),
    minute=st.integers(min_value=0, max_value=59),
)
def test_suspension_end_is_same_london_wall_time_30_days_later(
    day: pendulum.Date, hour: int, minute: int
) -> None:
    raised = london(day.year, day.month, day.day, hour, minute)
    end = suspension_end(raised).in_timezone(LONDON)
    assert end.date() == day.add(days=30)
    assert (end.hour, end.minute) == (hour, minute)
    assert suspension_day(raised, suspension_end(raised)) == 30


# --- a withdrawn consent's notices, chased in the partner's working days (§9, §18) -------------


def _at(y: int, m: int, d: int, hour: int = 10) -> pendulum.DateTime:
    return pendulum.datetime(y, m, d, hour, tz="Europe/London").in_timezone("UTC")


def test_a_notice_sent_on_a_wednesday_is_chased_on_friday_the_next_wednesday_and_a_week_on() -> (
    None
):
    assert chase_dates(_at(2026, 11, 25), Nation.ENGLAND_AND_WALES) == (
        D(2026, 11, 27),
        D(2026, 12, 2),
        D(2026, 12, 9),
    )


def test_a_notice_sent_on_a_friday_evening_counts_from_that_london_day() -> None:
    # 23:30 on Friday 27 November in London: the weekend does not count
    first, second, chairs = chase_dates(_at(2026, 11, 27, 23), Nation.ENGLAND_AND_WALES)
    assert (first, second, chairs) == (D(2026, 12, 1), D(2026, 12, 4), D(2026, 12, 11))


def test_christmas_and_new_year_are_not_working_days_and_scotland_keeps_2_january() -> None:
    # Wednesday 23 December 2026: 25 (Fri), 28 (Mon, Boxing Day's substitute) and 1 January off
    england = chase_dates(_at(2026, 12, 23), Nation.ENGLAND_AND_WALES)
    scotland = chase_dates(_at(2026, 12, 23), Nation.SCOTLAND)
    assert england[0] == D(2026, 12, 29) and england[1] == D(2027, 1, 4)
    # 2 January 2027 is a Saturday; Scotland's substitute day is Monday 4 January
    assert scotland[1] == D(2027, 1, 5)


@pytest.mark.parametrize(
    ("day", "rung"),
    [
        (D(2026, 11, 25), 0),
        (D(2026, 11, 26), 0),
        (D(2026, 11, 27), 1),
        (D(2026, 12, 1), 1),
        (D(2026, 12, 2), 2),
        (D(2026, 12, 8), 2),
        (D(2026, 12, 9), 3),
        (D(2027, 6, 1), 3),
    ],
)
def test_the_rung_owed_steps_up_on_each_chase_date_and_never_past_the_chairs(
    day: pendulum.Date, rung: int
) -> None:
    assert chase_rung(_at(2026, 11, 25), day, Nation.ENGLAND_AND_WALES) == rung


def test_working_days_in_a_nation_refuse_a_negative_count() -> None:
    with pytest.raises(ValueError, match="whole number"):
        add_working_days_in(D(2026, 11, 25), -1, Nation.ENGLAND_AND_WALES)
    assert add_working_days_in(D(2026, 11, 25), 0, Nation.SCOTLAND) == D(2026, 11, 25)


# --- information requests (§7): due dates, a consultation's reply-by date, reminders ----------


def test_a_request_s_due_date_is_the_statutory_one_for_its_kind() -> None:
    # FOI: 20 UK working days from Wednesday 25 November 2026, St Andrew's Day (Monday 30
    # November, Scotland) not counted anywhere; SAR: 25 December, Christmas, then the weekend and
    # Boxing Day's substitute Monday, so Tuesday 29 December
    assert request_due_date("foi", D(2026, 11, 25), Nation.ENGLAND_AND_WALES) == D(2026, 12, 24)
    assert request_due_date("sar", D(2026, 11, 25), Nation.ENGLAND_AND_WALES) == D(2026, 12, 29)
    with pytest.raises(ValueError, match="not a kind of information request"):
        request_due_date("eir", D(2026, 11, 25), Nation.ENGLAND_AND_WALES)


def test_a_consultation_is_answered_within_five_of_the_originator_s_working_days() -> None:
    # sent Wednesday 25 November, the request due 24 December: Wednesday 2 December
    assert consultation_reply_by(_at(2026, 11, 25), D(2026, 12, 24), Nation.ENGLAND_AND_WALES) == (
        D(2026, 12, 2)
    )


def test_a_consultation_over_christmas_skips_the_originator_s_own_holidays() -> None:
    # sent Wednesday 23 December; England: 24, 29, 30, 31 December and Monday 4 January;
    # Scotland keeps Monday 4 January (2 January's substitute), so Tuesday 5 January
    due = D(2027, 1, 25)
    assert consultation_reply_by(_at(2026, 12, 23), due, Nation.ENGLAND_AND_WALES) == D(2027, 1, 4)
    assert consultation_reply_by(_at(2026, 12, 23), due, Nation.SCOTLAND) == D(2027, 1, 5)


@pytest.mark.parametrize(
    ("due", "reply_by"),
    [
        # the margin is 3 UK working days before the due date, St Andrew's Day not one of them
        (D(2026, 12, 3), D(2026, 11, 27)),
        (D(2026, 12, 2), D(2026, 11, 26)),
        # the margin falls on the day it is sent, then before it: the reply is asked that day
        (D(2026, 12, 1), D(2026, 11, 25)),
        (D(2026, 11, 27), D(2026, 11, 25)),
        # far enough off that the five working days come first
        (D(2026, 12, 8), D(2026, 12, 2)),
    ],
)
def test_a_consultation_s_reply_is_due_three_uk_working_days_before_the_request_never_before_it_is_sent(
    due: pendulum.Date, reply_by: pendulum.Date
) -> None:
    assert consultation_reply_by(_at(2026, 11, 25), due, Nation.ENGLAND_AND_WALES) == reply_by


def test_a_consultation_sent_late_on_a_london_evening_counts_from_that_london_day() -> None:
    # 23:30 on Friday 27 November in London is still 27 November: Friday 4 December
    assert consultation_reply_by(
        _at(2026, 11, 27, 23), D(2027, 1, 29), Nation.ENGLAND_AND_WALES
    ) == D(2026, 12, 4)


def test_an_unanswered_consultation_is_chased_one_and_three_working_days_after_its_reply_by() -> (
    None
):
    assert consultation_chase_dates(D(2026, 12, 2), Nation.ENGLAND_AND_WALES) == (
        D(2026, 12, 3),
        D(2026, 12, 7),
    )
    # reply by Thursday 24 December: Christmas and Boxing Day's substitute are not counted
    assert consultation_chase_dates(D(2026, 12, 24), Nation.ENGLAND_AND_WALES) == (
        D(2026, 12, 29),
        D(2026, 12, 31),
    )
    rungs = [
        consultation_chase_rung(D(2026, 12, 2), day, Nation.ENGLAND_AND_WALES)
        for day in (D(2026, 12, 2), D(2026, 12, 3), D(2026, 12, 4), D(2026, 12, 7), D(2027, 3, 1))
    ]
    assert rungs == [0, 1, 1, 2, 2]


def test_a_request_s_handlers_are_reminded_five_and_one_working_days_before_it_is_due() -> None:
    assert request_reminder_dates(D(2026, 12, 23), Nation.ENGLAND_AND_WALES) == (
        D(2026, 12, 16),
        D(2026, 12, 22),
        D(2026, 12, 24),
    )
    # due Tuesday 29 December: the working day before it is Thursday 24 December
    assert request_reminder_dates(D(2026, 12, 29), Nation.ENGLAND_AND_WALES) == (
        D(2026, 12, 18),
        D(2026, 12, 24),
        D(2026, 12, 30),
    )


@pytest.mark.parametrize(
    ("day", "rung"),
    [
        (D(2026, 12, 15), 0),
        (D(2026, 12, 16), 1),
        (D(2026, 12, 21), 1),
        (D(2026, 12, 22), 2),
        # the due date itself is not late
        (D(2026, 12, 23), 2),
        (D(2026, 12, 24), 3),
        (D(2027, 6, 1), 3),
    ],
)
def test_a_request_s_rung_steps_up_to_overdue_only_the_day_after_its_due_date(
    day: pendulum.Date, rung: int
) -> None:
    assert request_reminder_rung(D(2026, 12, 23), day, Nation.ENGLAND_AND_WALES) == rung


def test_the_working_days_left_count_the_agency_s_own_holidays_and_none_on_the_due_date() -> None:
    # St Andrew's Day is a working day in England, not in Scotland
    assert working_days_left(D(2026, 11, 25), D(2026, 12, 24), Nation.ENGLAND_AND_WALES) == 21
    assert working_days_left(D(2026, 11, 25), D(2026, 12, 24), Nation.SCOTLAND) == 20
    assert working_days_left(D(2026, 12, 24), D(2026, 12, 24), Nation.ENGLAND_AND_WALES) == 0
    assert working_days_left(D(2026, 12, 30), D(2026, 12, 24), Nation.ENGLAND_AND_WALES) == 0


# --- a security incident's 72 hours to report to the ICO (§29) --------------------------------


def test_the_regulator_deadline_is_72_real_hours_after_awareness() -> None:
    assert regulator_deadline(utc(2026, 6, 10, 14, 30)) == utc(2026, 6, 13, 14, 30)


def test_the_72_hours_across_the_october_clock_change_end_an_hour_earlier_on_the_wall() -> None:
    # Friday 23 October 2026 10:00 BST; the clocks go back on Sunday 25 October
    aware = london(2026, 10, 23, 10, 0)
    deadline = regulator_deadline(aware)
    assert deadline == utc(2026, 10, 26, 9, 0)
    assert deadline.in_timezone(LONDON).hour == 9
    assert hours_since(aware, deadline) == 72


def test_the_72_hours_across_the_march_clock_change_end_an_hour_later_on_the_wall() -> None:
    # Friday 27 March 2026 10:00 GMT; the clocks go forward on Sunday 29 March
    aware = london(2026, 3, 27, 10, 0)
    deadline = regulator_deadline(aware)
    assert deadline == utc(2026, 3, 30, 10, 0)
    assert deadline.in_timezone(LONDON).hour == 11
    assert hours_since(aware, deadline) == 72


def test_incident_reminders_fall_at_24_48_and_66_hours_then_overdue_at_72() -> None:
    aware = london(2026, 10, 23, 10, 0)
    assert incident_check_times(aware) == {
        1: utc(2026, 10, 24, 9, 0),
        2: utc(2026, 10, 25, 9, 0),
        3: utc(2026, 10, 26, 3, 0),
        4: utc(2026, 10, 26, 9, 0),
    }


@pytest.mark.parametrize(
    ("hours", "minutes", "rung"),
    [
        (0, 0, 0),
        (23, 59, 0),
        (24, 0, 1),
        (47, 59, 1),
        (48, 0, 2),
        (65, 59, 2),
        (66, 0, 3),
        (71, 59, 3),
        (72, 0, 4),
        (500, 0, 4),
    ],
)
def test_the_rung_an_undecided_incident_is_owed_starts_at_its_exact_instant(
    hours: int, minutes: int, rung: int
) -> None:
    aware = london(2026, 3, 27, 10, 0)
    assert incident_rung(aware, to_utc(aware).add(hours=hours, minutes=minutes)) == rung


def test_the_rung_across_the_march_change_counts_real_hours_not_wall_hours() -> None:
    aware = london(2026, 3, 27, 10, 0)
    # 10:00 BST on Monday 30 March is 71 real hours after 10:00 GMT on Friday: not yet overdue
    assert incident_rung(aware, london(2026, 3, 30, 10, 0)) == 3
    assert incident_rung(aware, london(2026, 3, 30, 10, 59)) == 3
    assert incident_rung(aware, london(2026, 3, 30, 11, 0)) == 4


def test_hours_since_awareness_are_whole_real_hours() -> None:
    aware = utc(2026, 6, 10, 14, 30)
    assert hours_since(aware, utc(2026, 6, 10, 15, 29)) == 0
    assert hours_since(aware, utc(2026, 6, 10, 15, 30)) == 1
    assert hours_since(aware, utc(2026, 6, 13, 14, 29)) == 71


def test_a_decision_at_the_72nd_hour_is_in_time_and_a_minute_later_is_not() -> None:
    aware = london(2026, 10, 23, 10, 0)
    assert decided_in_time(aware, utc(2026, 10, 26, 9, 0))
    assert decided_in_time(aware, utc(2026, 10, 26, 8, 59))
    assert not decided_in_time(aware, utc(2026, 10, 26, 9, 1))


def test_a_day_chases_hour_precise_waits_up_to_now_or_the_end_of_a_past_day() -> None:
    now = utc(2026, 10, 26, 9, 30)
    assert chase_instant(D(2026, 10, 26), now) == now
    assert chase_instant(D(2026, 10, 30), now) == now
    # 25 October ends at midnight GMT, the clocks having gone back that night
    assert chase_instant(D(2026, 10, 25), now) == utc(2026, 10, 25, 23, 59, 59, 999999)


def test_a_review_opens_for_completion_on_the_day_of_its_earliest_reminder() -> None:
    due = pendulum.date(2027, 11, 25)
    assert review_opens_on(due) == pendulum.date(2027, 8, 27)  # 90 days before
    assert review_opens_on(due, (30, 7, 0)) == pendulum.date(2027, 10, 26)
    assert review_opens_on(due, (0,)) == due
    assert not review_is_open(due, pendulum.date(2027, 8, 26))
    assert review_is_open(due, pendulum.date(2027, 8, 27))
    # a review past its due date stays open until it is completed
    assert review_is_open(due, pendulum.date(2028, 3, 1))
    with pytest.raises(ValueError, match="rung -1"):
        review_opens_on(due, (-1,))


@pytest.mark.parametrize("text", ["0001-01-01", "1899-12-31", "9999-12-31"])
def test_a_date_beyond_the_years_the_clocks_reach_is_refused_naming_them(text: str) -> None:
    """Found by the generated arguments: `isa sweep all --as-of 0001-01-01` ran a phase, then
    the access sweep failed counting days back from year 1."""
    with pytest.raises(
        ValueError, match=r"out of range: .* \(a date from 1900-01-01 to 9998-12-31\)"
    ):
        parse_date(text)
    with pytest.raises(ValueError, match="out of range"):
        parse_datetime(f"{text}T10:00")
    assert parse_date("1900-01-01").year == 1900 and parse_date("9998-12-31").year == 9998
