"""Use cases for data found inaccurate or inadequate for the purpose (§32, §33): a recipient
notifies the agency that disclosed it, the data owner; the owner's nominated representative
records the correction; every other agency that received data under the arrangement is then told
of it. An uncorrected notice is chased in the owner's working days (models.duties.DATA_QUALITY,
chased by tasks.chasing), as a withdrawn consent's notices are."""

from typing import Any

import pendulum
from sqlmodel import Session, select

from models.enums import ContactRole
from models.errors import NotFound
from models.events import (
    DataCorrected,
    DataCorrectionTold,
    DataQualityReported,
    DomainEvent,
)
from models.inputs import required_text
from models.lifecycles import DATA_QUALITY
from models.tables import Agency, Arrangement, DataQualityNotice
from tasks.lookup import agency_by_name, arrangement_by_ref, require_role_at, resolve_actor
from tasks.protocol.consent import disclosing_to, parties_of
from tasks.protocol.disposal import RECEIVERS
from tasks.uow import unit_of_work

# who at a recipient may notify the owner: whoever handles the data for it
NOTIFIERS = (ContactRole.NOMINATED_REPRESENTATIVE, ContactRole.POINT_OF_CONTACT)


def report_data_quality(
    session: Session,
    *,
    arrangement: str,
    agency: str,
    what: str,
    owner: str | None,
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """A recipient's nominated representative or point of contact notifies the data owner
    (the agency that disclosed it under `arrangement`; `owner` names it when several did)."""
    what = required_text(what, "what was found", field="what")
    with unit_of_work(session, actor=actor, now=now, action="data_quality.report") as uow:
        uow.about("arrangement", arrangement)
        arrangement_row = arrangement_by_ref(session, arrangement)
        reporter = agency_by_name(session, agency)
        who = resolve_actor(session, actor)
        require_role_at(who, reporter, *NOTIFIERS, to=f"notify data quality for {reporter.name}")
        held_by = disclosing_to(
            session, arrangement_row, reporter, owner, whose="the data's owner", option="--owner"
        )
        assert arrangement_row.id is not None and reporter.id is not None and held_by.id is not None
        reference = uow.next_reference("DQN")
        session.add(
            DataQualityNotice(
                reference=reference,
                arrangement_id=arrangement_row.id,
                reporter_id=reporter.id,
                owner_id=held_by.id,
                what=what,
                reported_by=who.email,
                reported_at=now,
            )
        )
        uow.record(
            "data_quality.report",
            subject_type="data_quality_notice",
            subject_ref=reference,
            after={
                "arrangement": arrangement_row.reference,
                "reporter": reporter.name,
                "owner": held_by.name,
            },
        )
        uow.emit(
            DataQualityReported(
                notice=reference,
                arrangement=arrangement_row.reference,
                agency=held_by.name,
                reporter=reporter.name,
                what=what,
            )
        )
        return uow.events


def _notice(session: Session, reference: str, *, lock: bool = False) -> DataQualityNotice:
    stmt = select(DataQualityNotice).where(DataQualityNotice.reference == reference.strip().upper())
    held = session.exec(stmt.with_for_update() if lock else stmt).first()
    if held is None:
        raise NotFound(f"no data quality notice {reference!r}", command="isa quality list")
    return held


def correct_data(
    session: Session, *, notice: str, correction: str, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """The owner's nominated representative records what was corrected; every other agency that
    receives under the arrangement is told."""
    correction = required_text(correction, "what was corrected", field="correction")
    with unit_of_work(session, actor=actor, now=now, action="data_quality.correct") as uow:
        uow.about("data_quality_notice", notice)
        held = _notice(session, notice, lock=True)
        arrangement = session.get(Arrangement, held.arrangement_id)
        owner = session.get(Agency, held.owner_id)
        assert arrangement is not None and owner is not None
        who = resolve_actor(session, actor)
        require_role_at(
            who, owner, ContactRole.NOMINATED_REPRESENTATIVE, to=f"correct {held.reference}"
        )
        held.correction, held.corrected_by, held.corrected_at = correction, who.email, now
        uow.move(
            held,
            DATA_QUALITY,
            "correct",
            action="data_quality.correct",
            subject_type="data_quality_notice",
            subject_ref=held.reference,
        )
        told = [
            a
            for a, role in parties_of(session, arrangement)
            if role in RECEIVERS and a.id != owner.id
        ]
        uow.emit(
            DataCorrected(
                notice=held.reference,
                arrangement=arrangement.reference,
                agency=owner.name,
                by=who.email,
                told=tuple(a.name for a in told),
            )
        )
        for recipient in told:
            uow.emit(
                DataCorrectionTold(
                    notice=held.reference,
                    arrangement=arrangement.reference,
                    agency=recipient.name,
                    owner=owner.name,
                    what=held.what,
                    correction=correction,
                )
            )
        return uow.events


def notice_facts(session: Session, held: DataQualityNotice, owner: Agency) -> dict[str, Any]:
    """What a chase of notice `held` to its owner tells (tasks.chasing)."""
    arrangement = session.get(Arrangement, held.arrangement_id)
    reporter = session.get(Agency, held.reporter_id)
    assert arrangement is not None and reporter is not None
    return {
        "notice": held.reference,
        "arrangement": arrangement.reference,
        "agency": owner.name,
        "reporter": reporter.name,
        "what": held.what,
    }
