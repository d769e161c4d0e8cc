"""The Protocol's decisions about a suspension (§41) and a withdrawal (§42), as pure functions:
what day N of a suspension owes, who may attend its resolution meeting, and what becomes of an
arrangement a withdrawing agency leaves. (When its meeting may be held is
`models.clocks.meeting_within_deadline`.)"""

from collections.abc import Collection
from enum import StrEnum
from typing import Literal

from models.clocks import (
    SUSPENSION_END_NOTICE_DAY,
    SUSPENSION_ESCALATE_DAY,
    SUSPENSION_REMIND_CHAIRS_DAY,
)
from models.enums import ArrangementStatus, ContactRole, PartyRole, SuspensionStatus


class Duty(StrEnum):
    """Something a day of a suspension can owe."""

    # day 7 and no meeting set: the chairs are reminded
    REMIND_CHAIRS = "remind_chairs"
    # day 14 and no meeting held: every signatory and the chairs are told
    ESCALATE = "escalate"
    # day 25: everyone is told it ends in five days
    NOTICE_END = "notice_end"
    # day 30 (by the clock): it ends and everything resumes
    END = "end"


def suspension_duties(
    day: int,
    status: SuspensionStatus,
    *,
    at_end: bool,
    chairs_reminded: bool,
    escalated: bool,
    end_noticed: bool,
) -> tuple[Duty, ...]:
    """What day `day` of a suspension owes that has not been done: nothing once it has ended;
    only its end once its end time has come (`at_end`); else, in order, the chairs' reminder
    (days 7 to 13, no meeting set), the escalation (day 14 on, no meeting held) and the notice
    that it ends (day 25 on), each once."""
    if status == SuspensionStatus.ENDED:
        return ()
    if at_end:
        return (Duty.END,)
    owed: list[Duty] = []
    if (
        SUSPENSION_REMIND_CHAIRS_DAY <= day < SUSPENSION_ESCALATE_DAY
        and status == SuspensionStatus.RAISED
        and not chairs_reminded
    ):
        owed.append(Duty.REMIND_CHAIRS)
    if day >= SUSPENSION_ESCALATE_DAY and status != SuspensionStatus.MEETING_HELD and not escalated:
        owed.append(Duty.ESCALATE)
    if day >= SUSPENSION_END_NOTICE_DAY and not end_noticed:
        owed.append(Duty.NOTICE_END)
    return tuple(owed)


# who may attend a resolution meeting for a partner agency, besides the chairs (§41)
MEETING_ROLES = (ContactRole.SIGNATORY, ContactRole.NOMINATED_REPRESENTATIVE)


def attendee_capacity(
    *, is_chair: bool, roles: Collection[ContactRole], agency: str | None
) -> str | None:
    """In what capacity someone attends a resolution meeting (§41): "chair", or their role and
    agency when they are a signatory or nominated representative of one; None: they may not."""
    if is_chair:
        return "chair"
    for role in MEETING_ROLES:
        if role in roles:
            return f"{role.value.replace('_', ' ')}, {agency}"
    return None


# what becomes of an arrangement a withdrawing agency leaves (§42)
Departure = Literal["terminated", "left", "redrafted"]
NOT_IN_FORCE = (ArrangementStatus.DRAFT, ArrangementStatus.AWAITING_APPROVAL)


def departure(status: ArrangementStatus, remaining: Collection[PartyRole]) -> Departure:
    """An arrangement not yet in force is a draft without the agency ("redrafted"); one in force
    carries on, reviewed by the rest ("left"), while at least two parties remain with someone
    to disclose and someone to receive; otherwise it is "terminated". `remaining`: the roles of
    the parties left once the agency has gone."""
    if status in NOT_IN_FORCE:
        return "redrafted"
    roles = set(remaining)
    viable = (
        len(remaining) >= 2
        and bool(roles & {PartyRole.DISCLOSER, PartyRole.BOTH})
        and bool(roles & {PartyRole.RECIPIENT, PartyRole.BOTH})
    )
    return "left" if viable else "terminated"
