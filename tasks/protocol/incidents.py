"""Use cases for a security incident in which information received from a partner was
compromised (§29): the agency where it happened records it and the originator is told at once
(its nominated representatives and DPO, who acknowledge); the reporting agency's DPO records,
against the 72 hours from awareness, whether it is reported to the ICO and why. Until then the
DPO is reminded at 24, 48 and 66 hours, and at 72 its signatories and the chairs are told
(models.duties.INCIDENT_DECISION), by the incident's own checker runs and the deadline sweep; an
originator that has not acknowledged is chased in its working days
(models.duties.INCIDENT_ACKNOWLEDGEMENT); both are chased by tasks.chasing."""

from dataclasses import dataclass
from typing import Any

import pendulum
from sqlmodel import Session, select

from models.clocks import (
    INCIDENT_LADDER,
    decided_in_time,
    hours_since,
    incident_check_times,
    parse_datetime,
    regulator_deadline,
    to_utc,
)
from models.enums import ContactRole, IncidentStatus
from models.errors import InvalidInput, NotFound, Refused
from models.events import (
    DomainEvent,
    IncidentAcknowledged,
    IncidentDecided,
    IncidentDecidedLate,
    IncidentDecisionOwed,
    IncidentReported,
)
from models.inputs import required_text
from models.lifecycles import SECURITY_INCIDENT
from models.tables import Agency, Arrangement, SecurityIncident
from notifications.render import long_datetime
from tasks.lookup import agency_by_name, arrangement_by_ref, require_role_at, resolve_actor
from tasks.protocol.consent import disclosing_to
from tasks.protocol.suspensions import suspend_agency
from tasks.uow import unit_of_work

# who at the agency where the breach happened may record it: whoever handles the data for it
REPORTERS = (
    ContactRole.NOMINATED_REPRESENTATIVE,
    ContactRole.DPO,
    ContactRole.POINT_OF_CONTACT,
)
# who at the originator may acknowledge being told: whoever its notice went to
ACKNOWLEDGERS = (ContactRole.NOMINATED_REPRESENTATIVE, ContactRole.DPO)
# how the command line and the web say the decision
YES_NO = {"yes": True, "no": False}


def _iso(at: pendulum.DateTime) -> str:
    return to_utc(at).isoformat()


def notify_regulator_answer(value: str) -> bool:
    """`yes` or `no`, as typed on the command line or chosen on the web."""
    answer = YES_NO.get(value.strip().lower())
    if answer is None:
        raise InvalidInput(
            f"{{notify_regulator}} must be yes or no, not {value!r}",
            inputs={"notify_regulator": "whether it is reported to the ICO"},
        )
    return answer


def _aware_at(text: str, now: pendulum.DateTime) -> pendulum.DateTime:
    inputs = {"aware_at": "when the agency became aware"}
    if not text.strip():
        raise InvalidInput("{aware_at} is required", inputs=inputs)
    try:
        aware = to_utc(parse_datetime(text))
    except ValueError as exc:
        raise InvalidInput(f"{{aware_at}}: {exc}", inputs=inputs) from None
    if aware > now:
        raise InvalidInput(
            f"{{aware_at}} {long_datetime(aware)} is in the future: an agency can only have "
            "become aware already",
            inputs=inputs,
        )
    return aware


def report_incident(
    session: Session,
    *,
    agency: str,
    arrangement: str,
    what: str,
    aware_at: str,
    originator: str | None,
    actor: str,
    now: pendulum.DateTime,
    suspend: bool = False,
) -> list[DomainEvent]:
    """A nominated representative, DPO or point of contact of `agency` records a breach that
    compromised information it received under `arrangement` (§29): the originator (the agency
    that disclosed it; `originator` names it when several did) is told at once, and `agency`'s
    DPO is asked to decide on reporting it to the ICO within 72 hours of `aware_at`. With
    `suspend`, `agency` is suspended too (§41) in the same transaction, which only its signatory
    may do, as when raised on its own."""
    what = required_text(what, "what was compromised", field="what")
    aware = _aware_at(aware_at, now)
    with unit_of_work(session, actor=actor, now=now, action="incident.report") as uow:
        uow.about("arrangement", arrangement)
        arrangement_row = arrangement_by_ref(session, arrangement)
        reporter = agency_by_name(session, agency)
        who = resolve_actor(session, actor)
        require_role_at(who, reporter, *REPORTERS, to=f"report an incident for {reporter.name}")
        source = disclosing_to(
            session,
            arrangement_row,
            reporter,
            originator,
            whose="the originator of the information compromised",
            option="--originator",
        )
        assert arrangement_row.id is not None and reporter.id is not None and source.id is not None
        reference = uow.next_reference("INC")
        suspension = None
        if suspend:
            require_role_at(who, reporter, ContactRole.SIGNATORY, to=f"suspend {reporter.name}")
            suspension = suspend_agency(
                uow,
                reporter,
                f"Security incident {reference}: information received under "
                f"{arrangement_row.reference} was "
                "compromised (§29)",
                by=who.email,
            )
        session.add(
            SecurityIncident(
                reference=reference,
                arrangement_id=arrangement_row.id,
                agency_id=reporter.id,
                originator_id=source.id,
                what=what,
                aware_at=aware,
                reported_by=who.email,
                reported_at=now,
                suspension_id=suspension.id if suspension is not None else None,
            )
        )
        deadline = regulator_deadline(aware)
        uow.record(
            "incident.report",
            subject_type="security_incident",
            subject_ref=reference,
            after={
                "arrangement": arrangement_row.reference,
                "agency": reporter.name,
                "originator": source.name,
                "aware_at": aware,
                "regulator_deadline": deadline,
                "suspension": suspension.reference if suspension is not None else None,
            },
        )
        uow.emit(
            IncidentReported(
                incident=reference,
                arrangement=arrangement_row.reference,
                agency=source.name,
                reporter=reporter.name,
                what=what,
                aware_at=_iso(aware),
                deadline=_iso(deadline),
                suspension=suspension.reference if suspension is not None else "",
            )
        )
        uow.emit(
            IncidentDecisionOwed(
                incident=reference,
                arrangement=arrangement_row.reference,
                agency=reporter.name,
                originator=source.name,
                what=what,
                aware_at=_iso(aware),
                deadline=_iso(deadline),
            )
        )
        return uow.events


def incident_by_ref(session: Session, reference: str, *, lock: bool = False) -> SecurityIncident:
    stmt = select(SecurityIncident).where(SecurityIncident.reference == reference.strip().upper())
    held = session.exec(stmt.with_for_update() if lock else stmt).first()
    if held is None:
        raise NotFound(f"no security incident {reference!r}", command="isa incident list")
    return held


def _named(session: Session, held: SecurityIncident) -> tuple[Arrangement, Agency, Agency]:
    arrangement = session.get(Arrangement, held.arrangement_id)
    reporter = session.get(Agency, held.agency_id)
    source = session.get(Agency, held.originator_id)
    assert arrangement is not None and reporter is not None and source is not None
    return arrangement, reporter, source


def decide_incident(
    session: Session,
    *,
    incident: str,
    notify_regulator: str,
    reason: str,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """A DPO of the reporting agency records whether the breach is reported to the ICO and
    why, and whether within the 72 hours; the originator is told, and the chairs too when it
    came late."""
    notify = notify_regulator_answer(notify_regulator)
    reason = required_text(reason, "the reason", field="reason")
    with unit_of_work(session, actor=actor, now=now, action="incident.decide") as uow:
        uow.about("security_incident", incident)
        held = incident_by_ref(session, incident, lock=True)
        arrangement, reporter, source = _named(session, held)
        who = resolve_actor(session, actor)
        require_role_at(
            who, reporter, ContactRole.DPO, to=f"decide on reporting {held.reference} to the ICO"
        )
        aware = pendulum.instance(held.aware_at)
        in_time = decided_in_time(aware, now)
        held.notify_regulator, held.decision_reason = notify, reason
        held.decided_by, held.decided_at, held.decided_in_time = who.email, now, in_time
        uow.move(
            held,
            SECURITY_INCIDENT,
            "decide",
            action="incident.decide",
            subject_type="security_incident",
            subject_ref=held.reference,
            notify_regulator=notify,
            in_time=in_time,
        )
        uow.emit(
            IncidentDecided(
                incident=held.reference,
                arrangement=arrangement.reference,
                agency=source.name,
                reporter=reporter.name,
                notify_regulator=notify,
                reason=reason,
                by=who.email,
                decided_at=_iso(now),
                in_time=in_time,
            )
        )
        if not in_time:
            uow.emit(
                IncidentDecidedLate(
                    incident=held.reference,
                    arrangement=arrangement.reference,
                    agency=reporter.name,
                    originator=source.name,
                    notify_regulator=notify,
                    reason=reason,
                    decided_at=_iso(now),
                    hours=hours_since(aware, now),
                )
            )
        return uow.events


def acknowledge_incident(
    session: Session, *, incident: str, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """A nominated representative or DPO of the originator acknowledges being told; the first
    acknowledgement is the originator's."""
    with unit_of_work(session, actor=actor, now=now, action="incident.acknowledge") as uow:
        uow.about("security_incident", incident)
        held = incident_by_ref(session, incident, lock=True)
        _, _, source = _named(session, held)
        who = resolve_actor(session, actor)
        require_role_at(who, source, *ACKNOWLEDGERS, to=f"acknowledge {held.reference}")
        if held.acknowledged_at is not None:
            raise Refused(
                f"{held.reference} was already acknowledged by {held.acknowledged_by} on "
                f"{long_datetime(held.acknowledged_at)}"
            )
        held.acknowledged_at, held.acknowledged_by = now, who.email
        session.add(held)
        uow.record(
            "incident.acknowledge",
            subject_type="security_incident",
            subject_ref=held.reference,
            before={"acknowledged": False},
            after={"acknowledged": True, "by": who.email},
        )
        uow.emit(IncidentAcknowledged(incident=held.reference, agency=source.name, by=who.email))
        return uow.events


def decision_facts(session: Session, held: SecurityIncident, reporter: Agency) -> dict[str, Any]:
    """What a reminder to the reporting agency's DPO of the 72-hour clock tells
    (models.duties.INCIDENT_DECISION, chased by tasks.chasing)."""
    arrangement, _, source = _named(session, held)
    aware = pendulum.instance(held.aware_at)
    return {
        "incident": held.reference,
        "arrangement": arrangement.reference,
        "agency": reporter.name,
        "originator": source.name,
        "aware_at": _iso(aware),
        "deadline": _iso(regulator_deadline(aware)),
    }


def acknowledgement_facts(
    session: Session, held: SecurityIncident, source: Agency
) -> dict[str, Any]:
    """What a chase of the originator's acknowledgement tells
    (models.duties.INCIDENT_ACKNOWLEDGEMENT)."""
    arrangement, reporter, _ = _named(session, held)
    return {
        "incident": held.reference,
        "arrangement": arrangement.reference,
        "agency": source.name,
        "reporter": reporter.name,
    }


@dataclass(frozen=True)
class IncidentStory:
    """A security incident as its flow's artifact tells it: the 72-hour clock, the decision,
    the originator's acknowledgement, and the checks still to come."""

    reference: str
    agency: str
    originator: str
    aware: str
    deadline: str
    decided: bool
    decision: str
    acknowledgement: str
    # label ("24 h") -> the instant that rung is owed, for rungs not yet sent and not yet due
    to_come: tuple[tuple[str, pendulum.DateTime], ...]

    def summary(self) -> str:
        return (
            f"Security incident {self.reference} at {self.agency} (originator {self.originator}):"
            f" {self.decision}; {self.acknowledgement}"
        )

    def checks_to_come(self) -> dict[str, pendulum.DateTime]:
        return dict(self.to_come)

    def table(self) -> list[dict[str, str]]:
        return [
            {"when": self.aware, "what": f"{self.agency} became aware"},
            {"when": self.deadline, "what": "the 72 hours to report to the ICO end"},
            {"when": "", "what": self.decision},
            {"when": "", "what": self.acknowledgement},
        ]


def incident_story(session: Session, reference: str, now: pendulum.DateTime) -> IncidentStory:
    held = incident_by_ref(session, reference)
    _, reporter, source = _named(session, held)
    aware = pendulum.instance(held.aware_at)
    if held.status == IncidentStatus.DECIDED:
        assert held.decided_at is not None
        decision = (
            f"{'reported' if held.notify_regulator else 'not reported'} to the ICO, decided by "
            f"{held.decided_by} on {long_datetime(held.decided_at)}"
            + ("" if held.decided_in_time else " (after 72 h)")
            + f": {held.decision_reason}"
        )
    else:
        decision = f"undecided, {hours_since(aware, now)} h of 72 since awareness"
    acknowledgement = (
        f"acknowledged by {held.acknowledged_by} on {long_datetime(held.acknowledged_at)}"
        if held.acknowledged_at is not None
        else f"{source.name} has not acknowledged"
    )
    to_come: list[tuple[str, pendulum.DateTime]] = []
    if held.status == IncidentStatus.REPORTED:
        for rung, at in incident_check_times(aware).items():
            if rung > held.chased and at > now:
                to_come.append((f"{INCIDENT_LADDER.amount(rung)} h", at))
    return IncidentStory(
        reference=held.reference,
        agency=reporter.name,
        originator=source.name,
        aware=long_datetime(aware),
        deadline=long_datetime(regulator_deadline(aware)),
        decided=held.status == IncidentStatus.DECIDED,
        decision=decision,
        acknowledgement=acknowledgement,
        to_come=tuple(to_come),
    )
