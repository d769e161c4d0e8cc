"""Use cases for freedom of information and subject access requests that touch shared data (§7):
the agency that received one records it with its statutory due date (models.clocks); each agency
that originated the data is consulted at once with a reply-by date and replies; the agency
records the outcome, which each originator it consulted is told. The deadline sweep reminds the
agency's handlers before the due date, tells its DPO and the chairs once it passes, and chases an
unanswered consultation (models.duties, chased by tasks.chasing)."""

from datetime import date
from typing import Any

import pendulum
from sqlmodel import Session, col, select

from models.clocks import (
    consultation_reply_by,
    local_date,
    parse_date,
    request_due_date,
)
from models.enums import (
    ConsultationStatus,
    ContactRole,
    Objection,
    RequestKind,
    RequestOutcome,
)
from models.errors import InvalidInput, NotFound, Refused
from models.events import (
    ConsultationReplied,
    ConsultationSent,
    DomainEvent,
    InformationRequestRecorded,
    RequestClosed,
    RequestOutcomeTold,
)
from models.inputs import case_reference, required_text
from models.lifecycles import CONSULTATION, INFORMATION_REQUEST
from models.tables import Agency, Arrangement, InformationRequest, RequestConsultation
from tasks.lookup import agency_by_name, arrangement_by_ref, require_role_at, resolve_actor
from tasks.protocol.consent import DISCLOSERS, SHARED_NOTHING, parties_of
from tasks.protocol.disposal import RECEIVERS
from tasks.uow import UnitOfWork, unit_of_work

# who at the agency that received a request may record it, and who may record its outcome
RECORDERS = (
    ContactRole.NOMINATED_REPRESENTATIVE,
    ContactRole.POINT_OF_CONTACT,
    ContactRole.DPO,
)
ANSWERERS = (ContactRole.NOMINATED_REPRESENTATIVE, ContactRole.DPO)
# who at an originating agency may reply to a consultation
REPLIERS = (ContactRole.NOMINATED_REPRESENTATIVE, ContactRole.DPO)
# the summary is emailed to every originator: kept short, and it names no one
MAX_SUMMARY = 1000


def _kind(value: str) -> RequestKind:
    try:
        return RequestKind(value.strip().lower())
    except ValueError:
        raise InvalidInput(
            f"{{kind}} {value!r} is not foi or sar", inputs={"kind": "the kind of request"}
        ) from None


def _received_on(value: str | date, now: pendulum.DateTime) -> pendulum.Date:
    try:
        received = (
            parse_date(value)
            if isinstance(value, str)
            else pendulum.Date(value.year, value.month, value.day)
        )
    except ValueError as exc:
        raise InvalidInput(
            f"{{received_on}}: {exc}", inputs={"received_on": "the date it was received"}
        ) from None
    if received > local_date(now):
        raise InvalidInput(
            f"{{received_on}} {received} is in the future (today is {local_date(now)})",
            inputs={"received_on": "the date it was received"},
        )
    return received


def record_request(
    session: Session,
    *,
    agency: str,
    kind: str,
    received_on: str | date,
    their_ref: str,
    arrangements: list[str],
    summary: str,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """A nominated representative, point of contact or DPO of the agency that received an FOI or
    subject access request for data shared with it records it (§7): its due date is the
    statutory one, and every agency that disclosed the data under `arrangements` is consulted at
    once."""
    asked = _kind(kind)
    received = _received_on(received_on, now)
    their_ref = case_reference(
        their_ref, field="their_ref", what="your agency's reference for the request"
    )
    summary = required_text(summary, "the summary", limit=MAX_SUMMARY, field="summary")
    if not arrangements:
        raise InvalidInput(
            "{arrangement} is required: name each arrangement the requested data was shared under",
            inputs={"arrangement": "an arrangement"},
        )
    with unit_of_work(session, actor=actor, now=now, action="request.record") as uow:
        uow.about("agency", agency)
        home = agency_by_name(session, agency, lock=True)
        who = resolve_actor(session, actor)
        require_role_at(who, home, *RECORDERS, to=f"record an information request for {home.name}")
        shared: list[Arrangement] = []
        originators: dict[int, tuple[Agency, list[str]]] = {}
        for reference in arrangements:
            arrangement = arrangement_by_ref(session, reference)
            if arrangement.id in {a.id for a in shared}:
                continue
            parties = parties_of(session, arrangement)
            if not any(a.id == home.id and role in RECEIVERS for a, role in parties):
                raise Refused(f"{home.name} receives no data under {arrangement.reference}")
            if arrangement.status in SHARED_NOTHING:
                raise Refused(
                    f"{arrangement.reference} is {arrangement.status.value.replace('_', ' ')}: "
                    "it was never in "
                    "force, so nothing was shared under it"
                )
            shared.append(arrangement)
            for partner, role in parties:
                if partner.id != home.id and role in DISCLOSERS:
                    assert partner.id is not None
                    originators.setdefault(partner.id, (partner, []))[1].append(
                        arrangement.reference
                    )
        already = session.exec(
            select(InformationRequest.reference)
            .where(InformationRequest.agency_id == home.id)
            .where(InformationRequest.kind == asked)
            .where(InformationRequest.their_ref == their_ref)
        ).first()
        if already is not None:
            raise Refused(f"{home.name}'s {asked.value} request {their_ref} is already {already}")
        due = request_due_date(asked, received, home.nation)
        reference = uow.next_reference("IRQ")
        assert home.id is not None
        held = InformationRequest(
            reference=reference,
            agency_id=home.id,
            kind=asked,
            their_ref=their_ref,
            received_on=received,
            due_on=due,
            arrangements=[a.reference for a in shared],
            summary=summary,
            recorded_by=who.email,
            recorded_at=now,
        )
        session.add(held)
        session.flush()
        consulted = sorted(originators.values(), key=lambda entry: entry[0].name)
        uow.record(
            "request.record",
            subject_type="information_request",
            subject_ref=reference,
            after={
                "agency": home.name,
                "kind": asked.value,
                "their_ref": their_ref,
                "received_on": received,
                "due_on": due,
                "arrangements": held.arrangements,
                "consulted": [partner.name for partner, _ in consulted],
            },
        )
        uow.emit(
            InformationRequestRecorded(
                request=reference,
                agency=home.name,
                kind=asked.value,
                their_ref=their_ref,
                received_on=received.isoformat(),
                due_on=due.isoformat(),
                arrangements=tuple(held.arrangements),
                asked_for=summary,
                consulted=tuple(partner.name for partner, _ in consulted),
            )
        )
        for partner, refs in consulted:
            _consult(uow, held, home, partner, refs)
        return uow.events


def _consult(
    uow: UnitOfWork, held: InformationRequest, home: Agency, partner: Agency, refs: list[str]
) -> None:
    assert held.id is not None and partner.id is not None
    reference = uow.next_reference("IRC")
    reply_by = consultation_reply_by(uow.now, held.due_on, partner.nation)
    uow.session.add(
        RequestConsultation(
            reference=reference,
            request_id=held.id,
            agency_id=partner.id,
            sent_at=uow.now,
            reply_by=reply_by,
        )
    )
    uow.record(
        "request.consult",
        subject_type="request_consultation",
        subject_ref=reference,
        after={"request": held.reference, "agency": partner.name, "reply_by": reply_by},
    )
    uow.emit(
        ConsultationSent(
            consultation=reference,
            request=held.reference,
            agency=partner.name,
            requester=home.name,
            kind=held.kind.value,
            their_ref=held.their_ref,
            arrangements=tuple(refs),
            asked_for=held.summary,
            due_on=held.due_on.isoformat(),
            reply_by=reply_by.isoformat(),
        )
    )


def _request(session: Session, reference: str, *, lock: bool = False) -> InformationRequest:
    stmt = select(InformationRequest).where(
        InformationRequest.reference == reference.strip().upper()
    )
    held = session.exec(stmt.with_for_update() if lock else stmt).first()
    if held is None:
        raise NotFound(f"no information request {reference!r}", command="isa request list")
    return held


def _consultation(session: Session, reference: str, *, lock: bool = False) -> RequestConsultation:
    stmt = select(RequestConsultation).where(
        RequestConsultation.reference == reference.strip().upper()
    )
    held = session.exec(stmt.with_for_update() if lock else stmt).first()
    if held is None:
        raise NotFound(f"no consultation {reference!r}", command="isa request list")
    return held


def reply_to_consultation(
    session: Session,
    *,
    consultation: str,
    objection: str,
    comments: str,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """The originator's nominated representative or DPO replies: no objection to disclosure, or
    objects, with its comments; the agency answering the request is told."""
    try:
        objects = Objection(objection.strip().lower())
    except ValueError:
        raise InvalidInput(
            f"{{objection}} {objection!r} is not none or objects",
            inputs={"objection": "the objection"},
        ) from None
    comments = required_text(comments, "the comments", field="comments")
    with unit_of_work(session, actor=actor, now=now, action="request.reply") as uow:
        uow.about("request_consultation", consultation)
        held = _consultation(session, consultation, lock=True)
        matter = session.get(InformationRequest, held.request_id)
        originator = session.get(Agency, held.agency_id)
        assert matter is not None and originator is not None
        who = resolve_actor(session, actor)
        require_role_at(who, originator, *REPLIERS, to=f"reply to {held.reference}")
        held.objection, held.comments = objects, comments
        held.replied_by, held.replied_at = who.email, now
        uow.move(
            held,
            CONSULTATION,
            "reply",
            action="request.reply",
            subject_type="request_consultation",
            subject_ref=held.reference,
            objection=objects.value,
        )
        home = session.get(Agency, matter.agency_id)
        assert home is not None
        uow.emit(
            ConsultationReplied(
                consultation=held.reference,
                request=matter.reference,
                agency=home.name,
                originator=originator.name,
                their_ref=matter.their_ref,
                objection=objects.value,
                comments=comments,
                by=who.email,
            )
        )
        return uow.events


def close_request(
    session: Session,
    *,
    request: str,
    outcome: str,
    note: str,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """The agency's nominated representative or DPO records the outcome, with whether it came
    within the due date; each originator it consulted is told, and a consultation still
    unanswered lapses."""
    try:
        answered = RequestOutcome(outcome.strip().lower())
    except ValueError:
        raise InvalidInput(
            f"{{outcome}} {outcome!r} is not one of " + ", ".join(o.value for o in RequestOutcome),
            inputs={"outcome": "the outcome"},
        ) from None
    note = required_text(note, "the note", field="note")
    with unit_of_work(session, actor=actor, now=now, action="request.close") as uow:
        uow.about("information_request", request)
        held = _request(session, request, lock=True)
        home = session.get(Agency, held.agency_id)
        assert home is not None
        who = resolve_actor(session, actor)
        require_role_at(who, home, *ANSWERERS, to=f"record the outcome of {held.reference}")
        within = local_date(now) <= held.due_on
        held.outcome, held.outcome_note = answered, note
        held.closed_by, held.closed_at, held.within_due = who.email, now, within
        uow.move(
            held,
            INFORMATION_REQUEST,
            "close",
            action="request.close",
            subject_type="information_request",
            subject_ref=held.reference,
            outcome=answered.value,
            within_due=within,
        )
        consulted = session.exec(
            select(RequestConsultation, Agency)
            .join(Agency, col(Agency.id) == RequestConsultation.agency_id)
            .where(RequestConsultation.request_id == held.id)
            .order_by(col(Agency.name))
        ).all()
        for consultation, _partner in consulted:
            if consultation.status == ConsultationStatus.AWAITING:
                uow.move(
                    consultation,
                    CONSULTATION,
                    "lapse",
                    action="request.consultation_lapse",
                    subject_type="request_consultation",
                    subject_ref=consultation.reference,
                )
        uow.emit(
            RequestClosed(
                request=held.reference,
                agency=home.name,
                kind=held.kind.value,
                their_ref=held.their_ref,
                outcome=answered.value,
                due_on=held.due_on.isoformat(),
                within_due=within,
                by=who.email,
                told=tuple(partner.name for _, partner in consulted),
            )
        )
        for consultation, partner in consulted:
            uow.emit(
                RequestOutcomeTold(
                    consultation=consultation.reference,
                    request=held.reference,
                    agency=partner.name,
                    requester=home.name,
                    kind=held.kind.value,
                    their_ref=held.their_ref,
                    outcome=answered.value,
                    note=note,
                    due_on=held.due_on.isoformat(),
                    within_due=within,
                )
            )
        return uow.events


# --- what a chase tells (the duties' ladders: models.duties, chased by tasks.chasing) -----------


def request_facts(session: Session, held: InformationRequest, home: Agency) -> dict[str, Any]:
    """What a reminder of request `held` to the agency that received it tells."""
    return {
        "request": held.reference,
        "agency": home.name,
        "kind": held.kind.value,
        "their_ref": held.their_ref,
        "received_on": held.received_on.isoformat(),
        "due_on": held.due_on.isoformat(),
    }


def consultation_facts(
    session: Session, consultation: RequestConsultation, partner: Agency
) -> dict[str, Any]:
    """What a chase of `consultation` to the originator consulted tells."""
    matter = session.get(InformationRequest, consultation.request_id)
    assert matter is not None
    requester = session.get(Agency, matter.agency_id)
    assert requester is not None
    return {
        "consultation": consultation.reference,
        "request": matter.reference,
        "agency": partner.name,
        "requester": requester.name,
        "kind": matter.kind.value,
        "their_ref": matter.their_ref,
        "arrangements": tuple(matter.arrangements),
        "due_on": matter.due_on.isoformat(),
        "reply_by": consultation.reply_by.isoformat(),
    }
