"""What each link act runs: the command line's own use case, as the link's person, with the
inputs their confirmation carries. The table of link acts (tasks/links/acts.py) names one of
these for each decision a page offers."""

from enum import StrEnum
from typing import TypeVar

import pendulum
from sqlmodel import Session

from models.clocks import parse_datetime
from models.enums import MeetingOutcome, ReviewOutcome
from models.errors import InvalidInput
from models.events import DomainEvent
from tasks.links.link import Confirmation, Link
from tasks.protocol.access import attest_access, revoke_access
from tasks.protocol.approvals import approve_arrangement, reject_arrangement
from tasks.protocol.consent import acknowledge_consent
from tasks.protocol.disposal import confirm_disposal
from tasks.protocol.incidents import acknowledge_incident, decide_incident
from tasks.protocol.onward import answer_onward_sharing
from tasks.protocol.quality import correct_data
from tasks.protocol.requests import close_request, reply_to_consultation
from tasks.protocol.reviews import complete_review
from tasks.protocol.suspensions import record_meeting, schedule_meeting

Events = list[DomainEvent]
Outcome = TypeVar("Outcome", bound=StrEnum)


def _chosen(outcomes: type[Outcome], outcome: str) -> Outcome:
    """The outcome the form chose, or a refusal naming the outcomes there are."""
    try:
        return outcomes(outcome)
    except ValueError:
        raise InvalidInput(
            f"the outcome {outcome!r} is not one of " + ", ".join(o.value for o in outcomes)
        ) from None


def approve(session: Session, link: Link, said: Confirmation, now: pendulum.DateTime) -> Events:
    return approve_arrangement(session, reference=link.subject, actor=link.email, now=now)


def reject(session: Session, link: Link, said: Confirmation, now: pendulum.DateTime) -> Events:
    return reject_arrangement(
        session, reference=link.subject, reason=said.reason, actor=link.email, now=now
    )


def confirm_destruction(
    session: Session, link: Link, said: Confirmation, now: pendulum.DateTime
) -> Events:
    return confirm_disposal(
        session,
        task=link.subject,
        method=said.method,
        certificate=said.certificate,
        actor=link.email,
        now=now,
    )


def acknowledge_ceased(
    session: Session, link: Link, said: Confirmation, now: pendulum.DateTime
) -> Events:
    return acknowledge_consent(session, notice=link.subject, actor=link.email, now=now)


def record_correction(
    session: Session, link: Link, said: Confirmation, now: pendulum.DateTime
) -> Events:
    return correct_data(
        session, notice=link.subject, correction=said.correction, actor=link.email, now=now
    )


def record_outcome(
    session: Session, link: Link, said: Confirmation, now: pendulum.DateTime
) -> Events:
    return close_request(
        session,
        request=link.subject,
        outcome=said.outcome,
        note=said.note,
        actor=link.email,
        now=now,
    )


def reply(session: Session, link: Link, said: Confirmation, now: pendulum.DateTime) -> Events:
    return reply_to_consultation(
        session,
        consultation=link.subject,
        objection=said.objection,
        comments=said.comments,
        actor=link.email,
        now=now,
    )


def consent_onward(
    session: Session, link: Link, said: Confirmation, now: pendulum.DateTime
) -> Events:
    return answer_onward_sharing(
        session, request=link.subject, consent=True, reason=said.reason, actor=link.email, now=now
    )


def refuse_onward(
    session: Session, link: Link, said: Confirmation, now: pendulum.DateTime
) -> Events:
    return answer_onward_sharing(
        session, request=link.subject, consent=False, reason=said.reason, actor=link.email, now=now
    )


def decide_reporting(
    session: Session, link: Link, said: Confirmation, now: pendulum.DateTime
) -> Events:
    # the form's yes/no choice comes as its outcome
    return decide_incident(
        session,
        incident=link.subject,
        notify_regulator=said.outcome,
        reason=said.reason,
        actor=link.email,
        now=now,
    )


def acknowledge_told(
    session: Session, link: Link, said: Confirmation, now: pendulum.DateTime
) -> Events:
    return acknowledge_incident(session, incident=link.subject, actor=link.email, now=now)


def record_review(
    session: Session, link: Link, said: Confirmation, now: pendulum.DateTime
) -> Events:
    reviewed = _chosen(ReviewOutcome, said.outcome)
    return complete_review(
        session, reference=link.subject, outcome=reviewed, actor=link.email, now=now
    )


def keep_access(session: Session, link: Link, said: Confirmation, now: pendulum.DateTime) -> Events:
    return attest_access(session, grant=link.subject, actor=link.email, now=now)


def revoke(session: Session, link: Link, said: Confirmation, now: pendulum.DateTime) -> Events:
    return revoke_access(session, grant=link.subject, reason=said.reason, actor=link.email, now=now)


def set_meeting(session: Session, link: Link, said: Confirmation, now: pendulum.DateTime) -> Events:
    try:
        at = parse_datetime(said.meeting_at)
    except ValueError as exc:
        raise InvalidInput(f"the meeting time: {exc}") from None
    return schedule_meeting(
        session, suspension=link.subject, at=at, place=said.place, actor=link.email, now=now
    )


def record_held(session: Session, link: Link, said: Confirmation, now: pendulum.DateTime) -> Events:
    outcome = _chosen(MeetingOutcome, said.outcome)
    return record_meeting(
        session,
        suspension=link.subject,
        outcome=outcome,
        attendees=list(said.attendees),
        risk_assessment=said.risk_assessment,
        actor=link.email,
        now=now,
    )
