"""Lifecycles of the register's things, each declared once as a transition table (DESIGN §3).

A table is data, `{(state, event): next_state}`; `fire` is the only way a status changes, so an
illegal move always raises `IllegalTransition` naming the state and the move.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

from models.enums import (
    AccessGrantStatus,
    AgencyStatus,
    AmendmentStatus,
    ArrangementStatus,
    ConsentNoticeStatus,
    ConsultationStatus,
    DataQualityStatus,
    DisposalTaskStatus,
    IncidentStatus,
    InformationRequestStatus,
    OnwardRequestStatus,
    ReviewStatus,
    SuspensionStatus,
    WithdrawalStatus,
)
from models.errors import IllegalTransition

StateT = TypeVar("StateT", bound=StrEnum)


@dataclass(frozen=True)
class Lifecycle(Generic[StateT]):
    name: str
    states: type[StateT]
    initial: StateT
    final: frozenset[StateT]
    transitions: Mapping[tuple[StateT, str], StateT] = field(repr=False)

    def fire(self, state: StateT | str, event: str, subject: str = "") -> StateT:
        """The state after `event`, or `IllegalTransition` if the table has no such move."""
        current = self.states(state)
        try:
            return self.transitions[(current, event)]
        except KeyError:
            raise IllegalTransition(self.name, current.value, event, subject) from None

    def allows(self, state: StateT | str, event: str) -> bool:
        return (self.states(state), event) in self.transitions

    def events(self) -> frozenset[str]:
        return frozenset(event for (_, event) in self.transitions)


A = ArrangementStatus
ARRANGEMENT = Lifecycle(
    name="arrangement",
    states=ArrangementStatus,
    initial=A.DRAFT,
    final=frozenset({A.CLOSED}),
    transitions={
        (A.DRAFT, "submit"): A.AWAITING_APPROVAL,
        # one party's sign-off; the state holds until the last one
        (A.AWAITING_APPROVAL, "approve"): A.AWAITING_APPROVAL,
        # the last missing sign-off of the current version activates it
        (A.AWAITING_APPROVAL, "activate"): A.ACTIVE,
        (A.AWAITING_APPROVAL, "reject"): A.DRAFT,
        # a party withdrew from the Protocol (§42) before every sign-off was in: the version
        # the others approved names it, so they approve a new version without it
        (A.AWAITING_APPROVAL, "party_left"): A.DRAFT,
        (A.ACTIVE, "open_review"): A.UNDER_REVIEW,
        (A.UNDER_REVIEW, "renew"): A.ACTIVE,
        # a review that decides to amend keeps the arrangement in force under its last approved
        # version while the amendment is drafted and signed (AMENDMENT below): it is not a draft
        (A.UNDER_REVIEW, "amend"): A.ACTIVE,
        # every arrangement in force is suspended with its party agency (§41), and on
        # resumption returns to where it was: a review open when it was suspended is still open
        (A.ACTIVE, "suspend"): A.SUSPENDED,
        (A.UNDER_REVIEW, "suspend"): A.SUSPENDED,
        (A.SUSPENDED, "resume"): A.ACTIVE,
        (A.SUSPENDED, "resume_review"): A.UNDER_REVIEW,
        (A.ACTIVE, "terminate"): A.TERMINATED,
        (A.UNDER_REVIEW, "terminate"): A.TERMINATED,
        # a withdrawal decided at a suspension's resolution meeting ends a suspended arrangement
        (A.SUSPENDED, "terminate"): A.TERMINATED,
        (A.UNDER_REVIEW, "lapse"): A.LAPSED,
        (A.TERMINATED, "schedule_disposal"): A.DISPOSAL_PENDING,
        (A.LAPSED, "schedule_disposal"): A.DISPOSAL_PENDING,
        (A.DISPOSAL_PENDING, "close"): A.CLOSED,
    },
)

AM = AmendmentStatus
AMENDMENT = Lifecycle(
    name="amendment",
    states=AmendmentStatus,
    initial=AM.DRAFTING,
    final=frozenset({AM.ADOPTED, AM.ABANDONED}),
    transitions={
        (AM.DRAFTING, "submit"): AM.AWAITING_APPROVAL,
        # one party's sign-off; the amendment waits for the last one
        (AM.AWAITING_APPROVAL, "approve"): AM.AWAITING_APPROVAL,
        # the last sign-off: the amending version is in force from now
        (AM.AWAITING_APPROVAL, "adopt"): AM.ADOPTED,
        # a rejection, or a named party leaving (§42), sends it back to drafting at a new version
        (AM.AWAITING_APPROVAL, "reject"): AM.DRAFTING,
        (AM.AWAITING_APPROVAL, "party_left"): AM.DRAFTING,
        # the arrangement ended before the amendment was signed
        (AM.DRAFTING, "abandon"): AM.ABANDONED,
        (AM.AWAITING_APPROVAL, "abandon"): AM.ABANDONED,
    },
)

M = AgencyStatus
AGENCY_MEMBERSHIP = Lifecycle(
    name="agency",
    states=AgencyStatus,
    initial=M.MEMBER,
    final=frozenset({M.WITHDRAWN}),
    transitions={
        (M.MEMBER, "suspend"): M.SUSPENDED,
        (M.SUSPENDED, "lift_suspension"): M.MEMBER,
        (M.MEMBER, "withdraw"): M.WITHDRAWN,
        (M.SUSPENDED, "withdraw"): M.WITHDRAWN,
    },
)

S = SuspensionStatus
SUSPENSION = Lifecycle(
    name="suspension",
    states=SuspensionStatus,
    initial=S.RAISED,
    final=frozenset({S.ENDED}),
    transitions={
        (S.RAISED, "schedule_meeting"): S.MEETING_SCHEDULED,
        (S.MEETING_SCHEDULED, "schedule_meeting"): S.MEETING_SCHEDULED,
        (S.MEETING_SCHEDULED, "hold_meeting"): S.MEETING_HELD,
        # day 30 ends it whatever stage the meeting reached
        (S.RAISED, "end"): S.ENDED,
        (S.MEETING_SCHEDULED, "end"): S.ENDED,
        (S.MEETING_HELD, "end"): S.ENDED,
    },
)

R = ReviewStatus
REVIEW = Lifecycle(
    name="review",
    states=ReviewStatus,
    initial=R.SCHEDULED,
    final=frozenset({R.COMPLETED, R.CANCELLED}),
    transitions={
        (R.SCHEDULED, "open"): R.OPEN,
        (R.SCHEDULED, "complete"): R.COMPLETED,
        (R.OPEN, "complete"): R.COMPLETED,
        (R.SCHEDULED, "cancel"): R.CANCELLED,
        (R.OPEN, "cancel"): R.CANCELLED,
    },
)

G = AccessGrantStatus
ACCESS_GRANT = Lifecycle(
    name="access grant",
    states=AccessGrantStatus,
    initial=G.ACTIVE,
    final=frozenset({G.REVOKED}),
    transitions={
        (G.ACTIVE, "pause"): G.PAUSED,
        (G.PAUSED, "restore"): G.ACTIVE,
        (G.ACTIVE, "revoke"): G.REVOKED,
        (G.PAUSED, "revoke"): G.REVOKED,
    },
)

D = DisposalTaskStatus
DISPOSAL_TASK = Lifecycle(
    name="disposal task",
    states=DisposalTaskStatus,
    initial=D.PENDING,
    final=frozenset({D.CONFIRMED}),
    transitions={
        (D.PENDING, "confirm"): D.CONFIRMED,
    },
)

C = ConsentNoticeStatus
CONSENT_NOTICE = Lifecycle(
    name="consent notice",
    states=ConsentNoticeStatus,
    initial=C.PENDING,
    final=frozenset({C.ACKNOWLEDGED}),
    transitions={
        (C.PENDING, "acknowledge"): C.ACKNOWLEDGED,
    },
)

Q = DataQualityStatus
DATA_QUALITY = Lifecycle(
    name="data quality notice",
    states=DataQualityStatus,
    initial=Q.OPEN,
    final=frozenset({Q.CORRECTED}),
    transitions={
        (Q.OPEN, "correct"): Q.CORRECTED,
    },
)

IR = InformationRequestStatus
INFORMATION_REQUEST = Lifecycle(
    name="information request",
    states=InformationRequestStatus,
    initial=IR.OPEN,
    final=frozenset({IR.CLOSED}),
    transitions={
        # the receiving agency records its outcome (§7)
        (IR.OPEN, "close"): IR.CLOSED,
    },
)

K = ConsultationStatus
CONSULTATION = Lifecycle(
    name="consultation",
    states=ConsultationStatus,
    initial=K.AWAITING,
    final=frozenset({K.REPLIED, K.LAPSED}),
    transitions={
        (K.AWAITING, "reply"): K.REPLIED,
        # the request was answered before the originator replied: nothing more to chase
        (K.AWAITING, "lapse"): K.LAPSED,
    },
)

OR = OnwardRequestStatus
ONWARD_REQUEST = Lifecycle(
    name="onward sharing request",
    states=OnwardRequestStatus,
    initial=OR.OPEN,
    final=frozenset({OR.CONSENTED, OR.REFUSED}),
    transitions={
        (OR.OPEN, "consent"): OR.CONSENTED,
        (OR.OPEN, "refuse"): OR.REFUSED,
    },
)

N = IncidentStatus
SECURITY_INCIDENT = Lifecycle(
    name="security incident",
    states=IncidentStatus,
    initial=N.REPORTED,
    final=frozenset({N.DECIDED}),
    transitions={
        # the reporting agency's DPO records whether the breach is reported to the ICO
        (N.REPORTED, "decide"): N.DECIDED,
    },
)

W = WithdrawalStatus
WITHDRAWAL = Lifecycle(
    name="withdrawal",
    states=WithdrawalStatus,
    initial=W.NOTIFIED,
    final=frozenset({W.COMPLETED}),
    transitions={
        # on the effective date the agency leaves every arrangement (§42)
        (W.NOTIFIED, "complete"): W.COMPLETED,
    },
)

ALL: tuple[Lifecycle[Any], ...] = (
    ARRANGEMENT,
    AMENDMENT,
    AGENCY_MEMBERSHIP,
    SUSPENSION,
    REVIEW,
    ACCESS_GRANT,
    DISPOSAL_TASK,
    CONSENT_NOTICE,
    DATA_QUALITY,
    INFORMATION_REQUEST,
    CONSULTATION,
    ONWARD_REQUEST,
    SECURITY_INCIDENT,
    WITHDRAWAL,
)
