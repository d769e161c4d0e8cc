"""Deadline arithmetic for the register: protocol periods in Europe/London calendar days and
statutory periods in UK working days, as pure pendulum functions (DESIGN §4).

`now` / `as_of` is always passed in; nothing here reads the clock or does I/O.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import holidays
import pendulum

from models.enums import Nation

LONDON = pendulum.timezone("Europe/London")
UTC = pendulum.timezone("UTC")

# Protocol §41: suspension lasts 30 days; the resolution meeting is within 14 days.
SUSPENSION_DAYS = 30
MEETING_WITHIN_DAYS = 14

# Freedom of Information Act 2000 s.10(1): "not later than the twentieth working day following
# the date of receipt".
FOI_WORKING_DAYS = 20

# how many days before a review falls due its reminders go (0: on the day), and before a
# disposal task falls due; each sweep's deployment may set its own
DEFAULT_REMINDER_LADDER: tuple[int, ...] = (90, 30, 7, 0)
DISPOSAL_REMINDER_DAYS: tuple[int, ...] = (30, 7)

# A notice that waits on a partner (to cease processing after consent is withdrawn, §9, §18; to
# correct data found inaccurate, §33): unanswered, its nominated representatives are reminded
# after this many working days (where the partner is) and again, with its DPO told, after the
# second; after CHASE_CHAIRS_WORKING_DAYS the monitoring group's chairs are told.
CHASE_REMINDER_WORKING_DAYS: tuple[int, int] = (2, 5)
CHASE_CHAIRS_WORKING_DAYS = 10

# An information request touching shared data (§7): each originating agency is consulted at once
# and has CONSULTATION_WORKING_DAYS of its own working days to reply, but its reply is due no
# later than CONSULTATION_MARGIN_WORKING_DAYS UK working days before the request's statutory due
# date, so the agency answering has time to weigh it (models.clocks.consultation_reply_by).
CONSULTATION_WORKING_DAYS = 5
CONSULTATION_MARGIN_WORKING_DAYS = 3
# Unanswered, a consultation is chased this many of the originator's working days after its
# reply-by date: its nominated representatives reminded, then again with its DPO told.
CONSULTATION_CHASE_WORKING_DAYS: tuple[int, int] = (1, 3)
# A request with no outcome: the agency's handlers are reminded this many of its working days
# before the due date; the day after it, its DPO and the chairs are told.
REQUEST_REMINDER_WORKING_DAYS: tuple[int, int] = (5, 1)

# Agencies under the protocol sit in more than one nation, so a day off anywhere in the UK is
# treated as a non-working day for statutory counts.
UK_SUBDIVISIONS: tuple[str, ...] = ("ENG", "WLS", "SCT", "NIR")

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- instants and local dates -------------------------------------------------------------


def _aware(at: _dt.datetime) -> pendulum.DateTime:
    # pendulum silently reads a naive datetime as UTC; a naive value here would be a bug upstream
    # (stored times are UTC-aware), so refuse it rather than guess.
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()!r}: pass a timezone-aware instant")
    if isinstance(at, pendulum.DateTime):
        return at
    converted = pendulum.instance(at)
    assert isinstance(converted, pendulum.DateTime)
    return converted


def _as_date(d: _dt.date) -> pendulum.Date:
    # A datetime is also a date; taking its date part silently would use its own zone, not London.
    if isinstance(d, _dt.datetime):
        raise TypeError(f"expected a date, got a datetime {d.isoformat()!r}; use local_date()")
    if isinstance(d, pendulum.Date):
        return d
    return pendulum.Date(d.year, d.month, d.day)


def _days_between(start: _dt.date, end: _dt.date) -> int:
    # Ordinals rather than pendulum's Interval, whose .days is easy to misread as a component.
    return end.toordinal() - start.toordinal()


def to_utc(at: pendulum.DateTime) -> pendulum.DateTime:
    """The same instant expressed in UTC (how times are stored)."""
    return _aware(at).in_timezone(UTC)


def local_date(at: pendulum.DateTime) -> pendulum.Date:
    """The calendar date of the instant in Europe/London (how days are counted and shown)."""
    return _aware(at).in_timezone(LONDON).date()


def _end_of_local_day(d: pendulum.Date) -> pendulum.DateTime:
    # London's transitions happen at 01:00 UTC, so 23:59:59.999999 local always exists and is
    # never ambiguous.
    return pendulum.datetime(d.year, d.month, d.day, 23, 59, 59, 999999, tz=LONDON)


# --- §41 suspension -----------------------------------------------------------------------


def suspension_meeting_deadline_date(raised_at: pendulum.DateTime) -> pendulum.Date:
    """Local day 14 of a suspension: the last date the §41 resolution meeting may take place.

    Day 0 is the Europe/London date on which the suspension was raised.
    """
    return local_date(raised_at).add(days=MEETING_WITHIN_DAYS)


def suspension_meeting_deadline(raised_at: pendulum.DateTime) -> pendulum.DateTime:
    """The end of local day 14 (23:59:59.999999 Europe/London), in UTC."""
    return to_utc(_end_of_local_day(suspension_meeting_deadline_date(raised_at)))


def suspension_end(raised_at: pendulum.DateTime) -> pendulum.DateTime:
    """When a 30-day suspension ends: the same London wall-clock time 30 calendar days on, in UTC.

    Adding days in London rather than UTC keeps the end at the wall time people were told, even
    when a BST change falls inside the 30 days. If that wall time does not exist on day 30 (the
    spring-forward hour) pendulum moves it forward; if it occurs twice it takes the later one.
    """
    local = _aware(raised_at).in_timezone(LONDON)
    return to_utc(local.add(days=SUSPENSION_DAYS))


def suspension_day(raised_at: pendulum.DateTime, now: pendulum.DateTime) -> int:
    """Which day of the suspension `now` falls on: 0 on the local raised date, 14 on the meeting
    deadline date, 30 on the end date. Negative when `now` is before the raised date."""
    return _days_between(local_date(raised_at), local_date(now))


def meeting_within_deadline(raised_at: pendulum.DateTime, meeting_at: pendulum.DateTime) -> bool:
    """Whether a resolution meeting at `meeting_at` satisfies §41: not before the suspension was
    raised and no later than the end of local day 14."""
    # Compared as instants, so a meeting earlier on the raising day (before the suspension
    # existed) does not count, while the upper bound equals "local date <= day 14".
    return _aware(raised_at) <= _aware(meeting_at) <= suspension_meeting_deadline(raised_at)


# --- checker runs: when each long wait is looked at again (DESIGN §7) -----------------------

# a checker run on day N of a wait runs at 09:00 London that day
CHECK_HOUR = 9
# what day N of a suspension owes: the chairs reminded (day 7, no meeting set), every signatory
# and the chairs told (day 14, none held), notice that it ends (day 25), its end (day 30)
SUSPENSION_REMIND_CHAIRS_DAY = 7
SUSPENSION_ESCALATE_DAY = MEETING_WITHIN_DAYS
SUSPENSION_END_NOTICE_DAY = SUSPENSION_DAYS - 5


def check_time(day: _dt.date) -> pendulum.DateTime:
    """When the checker run for a day runs: CHECK_HOUR London on that day."""
    return pendulum.datetime(day.year, day.month, day.day, CHECK_HOUR, tz=LONDON)


def suspension_check_times(
    raised_at: pendulum.DateTime, ends_at: pendulum.DateTime
) -> dict[int, pendulum.DateTime]:
    """Day N of a suspension -> when its checker run runs: 09:00 London on days 7, 14 and 25
    (SUSPENSION_LADDER), and the very moment it ends on day 30."""
    times = {
        SUSPENSION_LADDER.amount(rung): at
        for rung, at in rung_times(SUSPENSION_LADDER, local_date(raised_at)).items()
    }
    times[SUSPENSION_DAYS] = _aware(ends_at).in_timezone(LONDON)
    return times


def withdrawal_takes_effect(effective_on: _dt.date) -> pendulum.DateTime:
    """A withdrawal takes effect at the start of its effective date, London time (§42)."""
    return pendulum.datetime(effective_on.year, effective_on.month, effective_on.day, tz=LONDON)


# --- §29 security incidents: the 72-hour clock ---------------------------------------------

# A personal data breach is reported to the ICO within 72 hours of becoming aware of it (UK GDPR
# art. 33(1)); until the reporting agency's DPO records whether it is reported, the DPO is
# reminded this many hours after awareness, and at the 72nd hour the decision is overdue.
ICO_BREACH_REPORT_HOURS = 72
INCIDENT_REMINDER_HOURS: tuple[int, int, int] = (24, 48, 66)
# the rung owed once the 72 hours are up (after the reminders' rungs 1..3)
INCIDENT_OVERDUE_RUNG = len(INCIDENT_REMINDER_HOURS) + 1


def regulator_deadline(aware_at: pendulum.DateTime) -> pendulum.DateTime:
    """When the 72 hours to report a breach to the ICO run out: 72 real hours after awareness,
    counted in UTC, so a clock change in between neither adds nor takes an hour."""
    return to_utc(aware_at).add(hours=ICO_BREACH_REPORT_HOURS)


def incident_check_times(aware_at: pendulum.DateTime) -> dict[int, pendulum.DateTime]:
    """Rung N of an undecided incident -> the instant it is owed (UTC): reminders at 24, 48 and
    66 hours after awareness (rungs 1-3), overdue at 72 (rung 4)."""
    return rung_times(INCIDENT_LADDER, aware_at)


def incident_rung(aware_at: pendulum.DateTime, at: pendulum.DateTime) -> int:
    """How far an undecided incident is owed chasing at instant `at`: 0 nothing yet, 1..3 the
    reminders at 24, 48 and 66 hours, 4 overdue (72 hours up). Each rung is owed from its exact
    instant on."""
    return rung_owed(INCIDENT_LADDER, aware_at, at)


def hours_since(aware_at: pendulum.DateTime, at: pendulum.DateTime) -> int:
    """Whole hours from awareness to `at` (real hours; negative before awareness)."""
    seconds = (to_utc(at) - to_utc(aware_at)).total_seconds()
    return int(seconds // 3600)


def decided_in_time(aware_at: pendulum.DateTime, decided_at: pendulum.DateTime) -> bool:
    """Whether the decision on reporting to the ICO was recorded within the 72 hours (the
    deadline instant itself still counts)."""
    return to_utc(decided_at) <= regulator_deadline(aware_at)


def chase_instant(as_of: _dt.date, now: pendulum.DateTime) -> pendulum.DateTime:
    """The instant a run for day `as_of` chases hour-precise waits up to: `now`, or for a day
    already past (a replay) the last instant of that London day, so it owes no more than that
    day did."""
    if _as_date(as_of) >= local_date(now):
        return to_utc(now)
    return to_utc(_end_of_local_day(_as_date(as_of)))


# --- reviews and reminders ----------------------------------------------------------------


def _check_interval(interval_months: int) -> None:
    # bool is an int subclass; True as "every 1 month" would be a slip, not a choice.
    months = interval_months
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValueError(f"review interval must be a whole number of months >= 1: {months!r}")


def first_review_due(activated_on: pendulum.Date, interval_months: int) -> pendulum.Date:
    """The first review date: one interval after activation (month ends clamp, 31 Jan + 1 = 28/29
    Feb)."""
    _check_interval(interval_months)
    return _as_date(activated_on).add(months=interval_months)


def next_review_due(
    intended_due: pendulum.Date, interval_months: int, completed_on: pendulum.Date
) -> pendulum.Date:
    """The next review date, rolled from the date the review was *due*, not when it was done.

    A late review does not push the schedule back; a very late one (past the following due date
    too) skips ahead to the first due date after `completed_on`.
    """
    _check_interval(interval_months)
    origin = _as_date(intended_due)
    done = _as_date(completed_on)
    # Each candidate is offset from the original date: chaining clamped dates would drift
    # (31 Jan -> 28 Feb -> 28 Mar instead of 31 Mar).
    k = 1
    candidate = origin.add(months=interval_months)
    while candidate <= done:
        k += 1
        candidate = origin.add(months=k * interval_months)
    return candidate


def review_opens_on(
    due: pendulum.Date, ladder: Sequence[int] = DEFAULT_REMINDER_LADDER
) -> pendulum.Date:
    """The first day a review may be completed ahead of its due date: the day its earliest
    reminder goes. Before it no review is open (completing one would move the next review a
    whole interval out from a date nowhere near the one due)."""
    return reminder_dates(due, ladder)[0][1]


def review_is_open(
    due: pendulum.Date, today: pendulum.Date, ladder: Sequence[int] = DEFAULT_REMINDER_LADDER
) -> bool:
    """Whether a review due on `due` may be completed on `today` (its reminder window has begun)."""
    return _as_date(today) >= review_opens_on(due, ladder)


def _check_ladder(ladder: Sequence[int]) -> list[int]:
    seen: set[int] = set()
    for rung in ladder:
        # Rungs usually come from configuration, so a string or a bool must be caught here
        # (bool is an int subclass) rather than fail later in date arithmetic.
        if isinstance(rung, bool) or not isinstance(rung, int) or rung < 0:
            raise ValueError(f"reminder rung {rung!r} is not a whole number of days >= 0")
        if rung in seen:
            raise ValueError(f"reminder rung {rung} appears more than once")
        seen.add(rung)
    return sorted(seen, reverse=True)


def reminder_dates(
    due: pendulum.Date, ladder: Sequence[int] = DEFAULT_REMINDER_LADDER
) -> list[tuple[int, pendulum.Date]]:
    """(days_before, date) for each rung of the reminder ladder, earliest date first."""
    rungs = _check_ladder(ladder)
    dates = rung_dates(Ladder.of(Unit.DAYS, *rungs, before=True), due)
    return list(zip(rungs, dates, strict=True))


def due_rungs(
    due: pendulum.Date, as_of: pendulum.Date, ladder: Sequence[int] = DEFAULT_REMINDER_LADDER
) -> list[int]:
    """The rungs whose reminder date is on or before `as_of`, earliest first.

    Returns every such rung, not just the latest, so a sweep that missed days still knows which
    reminders it owes (dedupe is the outbox's job).
    """
    day = _as_date(as_of)
    return [rung for rung, on in reminder_dates(due, ladder) if on <= day]


def days_overdue(due: pendulum.Date, as_of: pendulum.Date) -> int:
    """Whole days `as_of` is past `due`; 0 on the due date itself or before it."""
    return max(0, _days_between(_as_date(due), _as_date(as_of)))


# --- UK working days ----------------------------------------------------------------------


# The holidays package's subdivisions of each nation whose public holidays an agency keeps.
NATION_SUBDIVISIONS: dict[Nation, tuple[str, ...]] = {
    Nation.ENGLAND_AND_WALES: ("ENG", "WLS"),
    Nation.SCOTLAND: ("SCT",),
    Nation.NORTHERN_IRELAND: ("NIR",),
}


@lru_cache(maxsize=256)
def _bank_holidays(year: int, subdivisions: tuple[str, ...]) -> frozenset[_dt.date]:
    # The holidays package computes from rules bundled in the wheel, so this works offline.
    days: set[_dt.date] = set()
    for subdiv in subdivisions:
        days.update(holidays.country_holidays("GB", subdiv=subdiv, years=year).keys())
    return frozenset(days)


def _uk_bank_holidays(year: int) -> frozenset[_dt.date]:
    return _bank_holidays(year, UK_SUBDIVISIONS)


def _is_working_day(d: pendulum.Date, subdivisions: tuple[str, ...]) -> bool:
    """Monday to Friday and not a holiday of any of these subdivisions."""
    day = _as_date(d)
    plain = _dt.date(day.year, day.month, day.day)
    return day.isoweekday() <= 5 and plain not in _bank_holidays(day.year, subdivisions)


def is_working_day_in(d: pendulum.Date, nation: Nation) -> bool:
    """Monday to Friday and not a public holiday of that nation."""
    return _is_working_day(d, NATION_SUBDIVISIONS[nation])


def is_uk_bank_holiday(d: pendulum.Date) -> bool:
    """True when `d` is a bank holiday in any UK nation (England, Wales, Scotland, NI).

    Includes the nominal date of a holiday that falls at a weekend as well as its substitute
    weekday, as the holidays package lists both.
    """
    day = _as_date(d)
    return _dt.date(day.year, day.month, day.day) in _uk_bank_holidays(day.year)


def is_uk_working_day(d: pendulum.Date) -> bool:
    """Monday to Friday and not a bank holiday anywhere in the UK."""
    return _is_working_day(d, UK_SUBDIVISIONS)


def add_uk_working_days(start: pendulum.Date, n: int) -> pendulum.Date:
    """The n-th UK working day after `start`; `start` itself is day 0 and never counts."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"number of working days must be a whole number >= 0: {n!r}")
    day = _as_date(start)
    counted = 0
    while counted < n:
        day = day.add(days=1)
        if is_uk_working_day(day):
            counted += 1
    return day


def add_working_days_in(start: pendulum.Date, n: int, nation: Nation) -> pendulum.Date:
    """The n-th working day after `start` where the agency is (its nation's holidays);
    `start` itself is day 0 and never counts."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"number of working days must be a whole number >= 0: {n!r}")
    day = _as_date(start)
    counted = 0
    while counted < n:
        day = day.add(days=1)
        if is_working_day_in(day, nation):
            counted += 1
    return day


def chase_dates(
    notified_at: pendulum.DateTime, nation: Nation
) -> tuple[pendulum.Date, pendulum.Date, pendulum.Date]:
    """The London dates an unanswered notice to a partner (consent withdrawn, data found
    inaccurate) is chased on (NOTICE_LADDER): the first reminder, the second (its DPO told too),
    and the chairs told, in the partner's working days from the day it was notified."""
    first, second, chairs = rung_dates(NOTICE_LADDER, notified_at, nation)
    return first, second, chairs


def chase_rung(notified_at: pendulum.DateTime, as_of: _dt.date, nation: Nation) -> int:
    """How far an unanswered notice to a partner is owed chasing by `as_of`: 0 nothing yet,
    1 a reminder, 2 a second reminder with the DPO told, 3 the chairs told."""
    return rung_owed(NOTICE_LADDER, notified_at, as_of, nation)


def foi_due_date(received_on: pendulum.Date) -> pendulum.Date:
    """FOI Act s.10: the 20th working day following the date of receipt."""
    return add_uk_working_days(received_on, FOI_WORKING_DAYS)


def sar_due_date(received_on: pendulum.Date, nation: Nation) -> pendulum.Date:
    """UK GDPR art.12(3) as the ICO reads it: the corresponding date next month (the last day of
    that month when there is none), moved to the next working day if it is not one, where the
    working days are the controller's own: its nation's public holidays, not every nation's.
    (Freedom of information keeps FOIA s.10(6): a bank holiday anywhere in the UK.)"""
    # pendulum's month addition clamps to the month end, which is exactly the ICO rule.
    day = _as_date(received_on).add(months=1)
    while not is_working_day_in(day, nation):
        day = day.add(days=1)
    return day


def request_due_date(kind: str, received_on: _dt.date, nation: Nation) -> pendulum.Date:
    """The statutory due date of an information request (§7) an agency in `nation` received on
    `received_on`: "foi" 20 UK working days after (foi_due_date), "sar" one calendar month to
    its next working day (sar_due_date)."""
    received = _as_date(received_on)
    if kind == "foi":
        return foi_due_date(received)
    if kind == "sar":
        return sar_due_date(received, nation)
    raise ValueError(f"not a kind of information request: {kind!r} (expected foi or sar)")


def _working_days_before(
    end: _dt.date, n: int, is_working: Callable[[pendulum.Date], bool]
) -> pendulum.Date:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"number of working days must be a whole number >= 0: {n!r}")
    day = _as_date(end)
    counted = 0
    while counted < n:
        day = day.subtract(days=1)
        if is_working(day):
            counted += 1
    return day


def subtract_uk_working_days(end: _dt.date, n: int) -> pendulum.Date:
    """The n-th UK working day before `end`; `end` itself is day 0 and never counts."""
    return _working_days_before(end, n, is_uk_working_day)


def subtract_working_days_in(end: _dt.date, n: int, nation: Nation) -> pendulum.Date:
    """The n-th working day before `end` where the agency is; `end` itself never counts."""
    return _working_days_before(end, n, lambda d: is_working_day_in(d, nation))


def consultation_reply_by(
    sent_at: pendulum.DateTime, due_on: _dt.date, nation: Nation
) -> pendulum.Date:
    """The London date an originating agency in `nation`, consulted at `sent_at` on a request due
    `due_on`, is asked to reply by: CONSULTATION_WORKING_DAYS of its working days after the day
    it was sent, but no later than CONSULTATION_MARGIN_WORKING_DAYS UK working days before the
    due date, and never before the day it was sent (a request recorded that close to its due
    date asks for a reply the same day)."""
    sent = local_date(sent_at)
    natural = add_working_days_in(sent, CONSULTATION_WORKING_DAYS, nation)
    latest = subtract_uk_working_days(due_on, CONSULTATION_MARGIN_WORKING_DAYS)
    return max(sent, min(natural, latest))


def consultation_chase_dates(
    reply_by: _dt.date, nation: Nation
) -> tuple[pendulum.Date, pendulum.Date]:
    """The dates an unanswered consultation is chased on (CONSULTATION_LADDER): reminded, then
    reminded with the originator's DPO told, in its working days after the reply-by date."""
    first, second = rung_dates(CONSULTATION_LADDER, reply_by, nation)
    return first, second


def consultation_chase_rung(reply_by: _dt.date, as_of: _dt.date, nation: Nation) -> int:
    """How far an unanswered consultation is owed chasing by `as_of`: 0 nothing yet, 1 a
    reminder, 2 a second reminder with the originator's DPO told."""
    return rung_owed(CONSULTATION_LADDER, reply_by, as_of, nation)


def request_reminder_dates(
    due_on: _dt.date, nation: Nation
) -> tuple[pendulum.Date, pendulum.Date, pendulum.Date]:
    """The dates a request with no outcome is chased on (REQUEST_LADDER): its handlers reminded
    at each of REQUEST_REMINDER_WORKING_DAYS working days (the agency's) before the due date,
    and its DPO and the chairs told the day after the due date."""
    first, second, overdue = rung_dates(REQUEST_LADDER, due_on, nation)
    return first, second, overdue


def request_reminder_rung(due_on: _dt.date, as_of: _dt.date, nation: Nation) -> int:
    """How far a request with no outcome is owed chasing by `as_of`: 0 nothing yet, 1 the first
    reminder, 2 the second, 3 overdue (its DPO and the chairs told)."""
    return rung_owed(REQUEST_LADDER, due_on, as_of, nation)


def working_days_left(as_of: _dt.date, due_on: _dt.date, nation: Nation) -> int:
    """The agency's working days after `as_of` up to and including `due_on`: 0 on the due date
    (and after it: see days_overdue)."""
    day, due = _as_date(as_of), _as_date(due_on)
    left = 0
    while day < due:
        day = day.add(days=1)
        if is_working_day_in(day, nation):
            left += 1
    return left


# --- ladders: when each rung of chasing a duty is owed (models/duties.py declares them) -----


class Unit(StrEnum):
    """What a ladder's offsets count: calendar days (London), working days where the owing
    agency is (its nation's public holidays), or real hours (UTC, so a clock change neither adds
    nor takes one)."""

    DAYS = "calendar days"
    WORKING_DAYS = "working days"
    HOURS = "hours"


@dataclass(frozen=True)
class Step:
    """One rung's offset from the anchor: `amount` of `unit`, before the anchor or after it."""

    amount: int
    unit: Unit
    before: bool = False


@dataclass(frozen=True)
class Ladder:
    """The rungs of chasing a duty, in order: rung N is owed from `steps[N-1]` on."""

    steps: tuple[Step, ...]

    @classmethod
    def of(cls, unit: Unit, *amounts: int, before: bool = False) -> Ladder:
        return cls(tuple(Step(amount, unit, before) for amount in amounts))

    @property
    def top(self) -> int:
        """The last rung: a duty chased this far is chased no further."""
        return len(self.steps)

    @property
    def hourly(self) -> bool:
        return any(step.unit == Unit.HOURS for step in self.steps)

    def amount(self, rung: int) -> int:
        """The offset of rung `rung` (1-based) in its unit: the working days or hours an email
        says."""
        return self.steps[rung - 1].amount


def _day_of(moment: _dt.date) -> pendulum.Date:
    # an instant is counted from its London date; a date is a date
    if isinstance(moment, _dt.datetime):
        return local_date(_aware(moment))
    return _as_date(moment)


def _step_date(step: Step, anchor: pendulum.Date, nation: Nation | None) -> pendulum.Date:
    if step.unit == Unit.DAYS:
        return anchor.subtract(days=step.amount) if step.before else anchor.add(days=step.amount)
    if nation is None:
        raise ValueError("a working-day ladder counts where the owing agency is: pass its nation")
    if step.before:
        return subtract_working_days_in(anchor, step.amount, nation)
    return add_working_days_in(anchor, step.amount, nation)


def rung_dates(
    ladder: Ladder, anchor: _dt.date, nation: Nation | None = None
) -> tuple[pendulum.Date, ...]:
    """The London date each rung of a day ladder is owed from (rung 1 first)."""
    if ladder.hourly:
        raise ValueError("an hour ladder's rungs are instants: use rung_times")
    day = _day_of(anchor)
    return tuple(_step_date(step, day, nation) for step in ladder.steps)


def rung_times(
    ladder: Ladder, anchor: _dt.date, nation: Nation | None = None
) -> dict[int, pendulum.DateTime]:
    """Rung N -> the instant its checker run runs: CHECK_HOUR London on its date for a day
    ladder, the exact instant (UTC) for an hour ladder."""
    if ladder.hourly:
        start = to_utc(_aware(anchor)) if isinstance(anchor, _dt.datetime) else None
        if start is None:
            raise ValueError("an hour ladder is anchored on an instant, not a date")
        return {
            rung: start.add(hours=step.amount if not step.before else -step.amount)
            for rung, step in enumerate(ladder.steps, start=1)
        }
    return {
        rung: check_time(on) for rung, on in enumerate(rung_dates(ladder, anchor, nation), start=1)
    }


def rung_owed(ladder: Ladder, anchor: _dt.date, at: _dt.date, nation: Nation | None = None) -> int:
    """The furthest rung owed at `at` (a day for a day ladder, an instant for an hour ladder): 0
    nothing yet. Only the furthest is owed, so a missed day sends that rung, not every one."""
    if ladder.hourly:
        if not isinstance(at, _dt.datetime):
            raise TypeError("an hour ladder is owed at an instant: pass a datetime")
        moment = to_utc(_aware(at))
        due = rung_times(ladder, anchor, nation).items()
        return max((rung for rung, on in due if moment >= on), default=0)
    day = _day_of(at)
    dates = rung_dates(ladder, anchor, nation)
    return max((rung for rung, on in enumerate(dates, start=1) if day >= on), default=0)


# the ladders of the Protocol's notices (models/duties.py declares which duty climbs which)
NOTICE_LADDER = Ladder.of(
    Unit.WORKING_DAYS, *CHASE_REMINDER_WORKING_DAYS, CHASE_CHAIRS_WORKING_DAYS
)
CONSULTATION_LADDER = Ladder.of(Unit.WORKING_DAYS, *CONSULTATION_CHASE_WORKING_DAYS)
REQUEST_LADDER = Ladder(
    (
        *(Step(days, Unit.WORKING_DAYS, before=True) for days in REQUEST_REMINDER_WORKING_DAYS),
        Step(1, Unit.DAYS),
    )
)
INCIDENT_LADDER = Ladder.of(Unit.HOURS, *INCIDENT_REMINDER_HOURS, ICO_BREACH_REPORT_HOURS)
SUSPENSION_LADDER = Ladder.of(
    Unit.DAYS, SUSPENSION_REMIND_CHAIRS_DAY, SUSPENSION_ESCALATE_DAY, SUSPENSION_END_NOTICE_DAY
)


# --- parsing ------------------------------------------------------------------------------

_DATETIME_HINT = "expected ISO 8601, e.g. 2026-03-20T10:00 or 2026-03-20T10:00+00:00"


def parse_datetime(
    text: str, *, default_tz: pendulum.Timezone | pendulum.FixedTimezone = LONDON
) -> pendulum.DateTime:
    """Parse an ISO 8601 date-time; one without an offset is wall time in `default_tz`.

    The result keeps the parsed offset; use to_utc() to store it. A naive wall time that does not
    exist (spring-forward hour) moves forward; one that occurs twice takes the later occurrence.
    """
    try:
        parsed = pendulum.parse(text.strip(), tz=default_tz, exact=True)
    except ValueError:
        # pendulum's ParserError is a ValueError whose message is about internals; restate it.
        raise ValueError(f"not a date-time: {text!r} ({_DATETIME_HINT})") from None
    # exact=True yields a Date, Time or Duration for a date-only, time-only or period string: a
    # date alone is not an instant, and guessing midnight would shift deadlines.
    if isinstance(parsed, pendulum.DateTime):
        _within_years(parsed.year, text)
        return parsed
    raise ValueError(f"not a date-time: {text!r} ({_DATETIME_HINT})")


def clock_reading(now: str | None) -> pendulum.DateTime:
    """The one clock read of a command or a run: `now` (ISA_NOW: rehearse a timeline) if given,
    else the real time, in UTC."""
    if now:
        return parse_datetime(now).in_timezone("UTC")
    return pendulum.now("UTC")


def parse_date(text: str) -> pendulum.Date:
    """Parse a YYYY-MM-DD calendar date."""
    stripped = text.strip()
    # The pattern keeps out the other ISO forms pendulum accepts (20260320, 2026-W12-5, 2026-079)
    # that nobody types on purpose.
    if _ISO_DATE.fullmatch(stripped):
        try:
            day = pendulum.Date(int(stripped[:4]), int(stripped[5:7]), int(stripped[8:10]))
        except ValueError:
            pass
        else:
            _within_years(day.year, text)
            return day
    raise ValueError(f"not a date: {text!r} (expected YYYY-MM-DD)")


# the years a register's clocks can reach: a sweep counts days and years back and forward from
# its date (date value out of range at the edges of the calendar)
YEARS = (1900, 9998)


def _within_years(year: int, text: str) -> None:
    if not YEARS[0] <= year <= YEARS[1]:
        raise ValueError(
            f"out of range: {text!r} (a date from {YEARS[0]}-01-01 to {YEARS[1]}-12-31)"
        )
