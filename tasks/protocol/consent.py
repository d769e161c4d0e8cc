"""Use cases for a data subject's withdrawal of consent (§9, §18): the agency that received the
notice records it by the data subject's reference alone; every partner it shared their data with
under the arrangements named gets a notice to cease processing, which its nominated
representative acknowledges; unacknowledged notices are chased in the partner's working days
(models.duties.CONSENT_NOTICE, chased by tasks.chasing) by its
flow's checker runs and the deadline sweep; the last acknowledgement closes it."""

from dataclasses import dataclass
from typing import Any

import pendulum
from sqlmodel import Session, col, select

from models.enums import ArrangementStatus, ConsentNoticeStatus, ContactRole, PartyRole
from models.errors import NotFound, Refused
from models.events import (
    ConsentNoticeAcknowledged,
    ConsentNoticeSent,
    ConsentWithdrawalClosed,
    ConsentWithdrawn,
    DomainEvent,
)
from models.inputs import subject_reference
from models.lifecycles import CONSENT_NOTICE
from models.tables import (
    Agency,
    Arrangement,
    ArrangementParty,
    ConsentNotice,
    ConsentWithdrawal,
)
from notifications.render import long_datetime
from tasks.lookup import agency_by_name, arrangement_by_ref, require_role_at, resolve_actor
from tasks.protocol.disposal import RECEIVERS
from tasks.uow import UnitOfWork, unit_of_work

DISCLOSERS = (PartyRole.DISCLOSER, PartyRole.BOTH)
# an arrangement never in force shared nothing; a closed one's data is destroyed
SHARED_NOTHING = (ArrangementStatus.DRAFT, ArrangementStatus.AWAITING_APPROVAL)


def parties_of(session: Session, arrangement: Arrangement) -> list[tuple[Agency, PartyRole]]:
    """Every agency party to the arrangement with its role, by name (a party that has left
    included: it still holds what it received)."""
    return [
        (agency, party.role)
        for party, agency in session.exec(
            select(ArrangementParty, Agency)
            .join(Agency, col(Agency.id) == ArrangementParty.agency_id)
            .where(ArrangementParty.arrangement_id == arrangement.id)
            .order_by(col(Agency.name))
        ).all()
    ]


def disclosing_to(
    session: Session,
    arrangement: Arrangement,
    receiver: Agency,
    named: str | None,
    *,
    whose: str,
    option: str,
) -> Agency:
    """The agency that disclosed to `receiver` the data a duty is about, under `arrangement`
    in force or once in force: the one other discloser, or the one `named` (by `option`) when
    several did. Refused, in the Protocol's words, when `receiver` received nothing under it,
    nothing was shared, or the discloser named is not one; `whose` says what to name ("the
    data's owner")."""
    if arrangement.status in SHARED_NOTHING:
        raise Refused(f"{arrangement.reference} was never in force: nothing was shared under it")
    parties = parties_of(session, arrangement)
    if not any(a.id == receiver.id and role in RECEIVERS for a, role in parties):
        raise Refused(f"{receiver.name} receives no data under {arrangement.reference}")
    disclosers = [a for a, role in parties if role in DISCLOSERS and a.id != receiver.id]
    if named is not None:
        chosen = agency_by_name(session, named)
        if chosen.id not in {a.id for a in disclosers}:
            raise Refused(
                f"{chosen.name} discloses no data to {receiver.name} under {arrangement.reference}"
            )
        disclosers = [chosen]
    if not disclosers:
        raise Refused(f"no other agency discloses data under {arrangement.reference}")
    if len(disclosers) > 1:
        raise Refused(
            f"{arrangement.reference} has {len(disclosers)} disclosing agencies: name {whose} "
            f"with {option} ({', '.join(a.name for a in disclosers)})"
        )
    return disclosers[0]


def _shared_under(session: Session, home: Agency, references: list[str]) -> list[Arrangement]:
    """The arrangements named, each one `home` disclosed data under; with none named, every
    arrangement it discloses under that was in force and is not yet closed."""
    if references:
        chosen: list[Arrangement] = []
        for reference in references:
            arrangement = arrangement_by_ref(session, reference)
            if arrangement.id in {a.id for a in chosen}:
                continue
            roles = [
                role for agency, role in parties_of(session, arrangement) if agency.id == home.id
            ]
            if not any(role in DISCLOSERS for role in roles):
                raise Refused(
                    f"{home.name} does not disclose data under {arrangement.reference}: name the "
                    "arrangements it shared the data subject's data under"
                )
            if arrangement.status in SHARED_NOTHING:
                raise Refused(
                    f"{arrangement.reference} is {arrangement.status.value.replace('_', ' ')}: "
                    "it was never in "
                    "force, so nothing was shared under it"
                )
            if arrangement.status == ArrangementStatus.CLOSED:
                raise Refused(
                    f"{arrangement.reference} is closed: the data shared under it is destroyed"
                )
            chosen.append(arrangement)
        return chosen
    return list(
        session.exec(
            select(Arrangement)
            .join(ArrangementParty, col(ArrangementParty.arrangement_id) == Arrangement.id)
            .where(ArrangementParty.agency_id == home.id)
            .where(col(ArrangementParty.role).in_(DISCLOSERS))
            .where(col(Arrangement.status).not_in([*SHARED_NOTHING, ArrangementStatus.CLOSED]))
            .order_by(col(Arrangement.id))
        ).all()
    )


def withdraw_consent(
    session: Session,
    *,
    agency: str,
    data_subject_ref: str,
    arrangements: list[str],
    actor: str,
    now: pendulum.DateTime,
) -> list[DomainEvent]:
    """A nominated representative of the agency that received a data subject's withdrawal of
    consent records it (§9, §18): each partner that received their data under `arrangements`
    (all it discloses under, if none are named) is told at once to cease processing."""
    data_subject_ref = subject_reference(data_subject_ref)
    with unit_of_work(session, actor=actor, now=now, action="consent.withdraw") as uow:
        uow.about("agency", agency)
        home = agency_by_name(session, agency, lock=True)
        who = resolve_actor(session, actor)
        require_role_at(
            who,
            home,
            ContactRole.NOMINATED_REPRESENTATIVE,
            to=f"record a withdrawal of consent for {home.name}",
        )
        shared = _shared_under(session, home, arrangements)
        received: dict[int, tuple[Agency, list[str]]] = {}
        for arrangement in shared:
            for partner, role in parties_of(session, arrangement):
                if partner.id != home.id and role in RECEIVERS:
                    assert partner.id is not None
                    received.setdefault(partner.id, (partner, []))[1].append(arrangement.reference)
        if not received:
            named = ", ".join(a.reference for a in shared) or "any arrangement in force"
            raise Refused(f"no partner received data from {home.name} under {named}")
        reference = uow.next_reference("CON")
        assert home.id is not None
        matter = ConsentWithdrawal(
            reference=reference,
            agency_id=home.id,
            subject_ref=data_subject_ref,
            arrangements=[a.reference for a in shared],
            raised_by=who.email,
            raised_at=now,
        )
        session.add(matter)
        session.flush()
        assert matter.id is not None
        partners = sorted(received.values(), key=lambda entry: entry[0].name)
        uow.record(
            "consent.withdraw",
            subject_type="consent_withdrawal",
            subject_ref=reference,
            after={
                "agency": home.name,
                "data_subject_ref": data_subject_ref,
                "arrangements": matter.arrangements,
                "partners": [partner.name for partner, _ in partners],
            },
        )
        for partner, refs in partners:
            _notify(uow, matter, home, partner, refs)
        uow.emit(
            ConsentWithdrawn(
                consent=reference,
                agency=home.name,
                data_subject_ref=data_subject_ref,
                arrangements=tuple(matter.arrangements),
                partners=tuple(partner.name for partner, _ in partners),
            )
        )
        return uow.events


def _notify(
    uow: UnitOfWork, matter: ConsentWithdrawal, home: Agency, partner: Agency, refs: list[str]
) -> None:
    assert matter.id is not None and partner.id is not None
    notice = uow.next_reference("CPN")
    uow.session.add(
        ConsentNotice(
            reference=notice, consent_id=matter.id, agency_id=partner.id, notified_at=uow.now
        )
    )
    uow.record(
        "consent.notify",
        subject_type="consent_notice",
        subject_ref=notice,
        after={"consent": matter.reference, "agency": partner.name, "arrangements": refs},
    )
    uow.emit(
        ConsentNoticeSent(
            notice=notice,
            consent=matter.reference,
            agency=partner.name,
            originator=home.name,
            data_subject_ref=matter.subject_ref,
            arrangements=tuple(refs),
        )
    )


def _notice(session: Session, reference: str, *, lock: bool = False) -> ConsentNotice:
    stmt = select(ConsentNotice).where(ConsentNotice.reference == reference.strip().upper())
    held = session.exec(stmt.with_for_update() if lock else stmt).first()
    if held is None:
        raise NotFound(f"no consent notice {reference!r}", command="isa consent list")
    return held


def acknowledge_consent(
    session: Session, *, notice: str, actor: str, now: pendulum.DateTime
) -> list[DomainEvent]:
    """The partner's nominated representative records that processing has ceased; the last
    acknowledgement closes the withdrawal and tells the agency that raised it."""
    with unit_of_work(session, actor=actor, now=now, action="consent.acknowledge") as uow:
        uow.about("consent_notice", notice)
        held = _notice(session, notice, lock=True)
        matter = session.get(ConsentWithdrawal, held.consent_id)
        partner = session.get(Agency, held.agency_id)
        assert matter is not None and partner is not None
        who = resolve_actor(session, actor)
        require_role_at(
            who,
            partner,
            ContactRole.NOMINATED_REPRESENTATIVE,
            to=f"acknowledge {held.reference}",
        )
        held.acknowledged_at, held.acknowledged_by = now, who.email
        uow.move(
            held,
            CONSENT_NOTICE,
            "acknowledge",
            action="consent.acknowledge",
            subject_type="consent_notice",
            subject_ref=held.reference,
        )
        uow.emit(
            ConsentNoticeAcknowledged(
                notice=held.reference, consent=matter.reference, agency=partner.name, by=who.email
            )
        )
        session.flush()
        notices = session.exec(
            select(ConsentNotice, Agency)
            .join(Agency, col(Agency.id) == ConsentNotice.agency_id)
            .where(ConsentNotice.consent_id == matter.id)
            .order_by(col(Agency.name))
        ).all()
        if all(n.status == ConsentNoticeStatus.ACKNOWLEDGED for n, _ in notices):
            matter.closed_at = now
            session.add(matter)
            home = session.get(Agency, matter.agency_id)
            assert home is not None
            uow.record(
                "consent.close",
                subject_type="consent_withdrawal",
                subject_ref=matter.reference,
                after={"closed_at": now},
            )
            uow.emit(
                ConsentWithdrawalClosed(
                    consent=matter.reference,
                    agency=home.name,
                    data_subject_ref=matter.subject_ref,
                    partners=tuple(agency.name for _, agency in notices),
                )
            )
        return uow.events


def notice_facts(session: Session, held: ConsentNotice, partner: Agency) -> dict[str, Any]:
    """What a chase of notice `held` to `partner` tells (tasks.chasing)."""
    matter = session.get(ConsentWithdrawal, held.consent_id)
    assert matter is not None
    home = session.get(Agency, matter.agency_id)
    assert home is not None
    return {
        "notice": held.reference,
        "consent": matter.reference,
        "agency": partner.name,
        "originator": home.name,
        "data_subject_ref": matter.subject_ref,
        "arrangements": tuple(_received(session, matter, partner)),
    }


def _received(session: Session, matter: ConsentWithdrawal, partner: Agency) -> list[str]:
    """The withdrawal's arrangements `partner` received data under (as its notice names)."""
    refs = list(matter.arrangements)
    rows = session.exec(
        select(Arrangement.reference)
        .join(ArrangementParty, col(ArrangementParty.arrangement_id) == Arrangement.id)
        .where(col(Arrangement.reference).in_(refs))
        .where(ArrangementParty.agency_id == partner.id)
        .where(col(ArrangementParty.role).in_(RECEIVERS))
    ).all()
    found = set(rows)
    return [ref for ref in refs if ref in found]


@dataclass(frozen=True)
class ConsentStory:
    """A withdrawal of consent as its flow's artifact tells it: who was told, who has ceased."""

    reference: str
    agency: str
    data_subject_ref: str
    raised: str
    closed: bool
    # (notice, partner, "acknowledged by ... on ..." or "pending", how far chased)
    notices: tuple[tuple[str, str, str], ...]

    def summary(self) -> str:
        done = sum(1 for _, _, state in self.notices if state != "pending")
        return (
            f"Consent withdrawn {self.reference} at {self.agency} (data subject "
            f"{self.data_subject_ref}): {done} of {len(self.notices)} partners have ceased "
            "processing" + ("; closed" if self.closed else "")
        )

    def table(self) -> list[dict[str, str]]:
        rows = [
            {"notice": self.reference, "partner": self.agency, "state": f"raised {self.raised}"}
        ]
        rows += [
            {"notice": notice, "partner": partner, "state": state}
            for notice, partner, state in self.notices
        ]
        return rows


CHASED_WORDS = (
    "pending",
    "pending: reminded",
    "pending: reminded, DPO told",
    "pending: chairs told",
)


def consent_story(session: Session, reference: str) -> ConsentStory:
    matter = session.exec(
        select(ConsentWithdrawal).where(ConsentWithdrawal.reference == reference.strip().upper())
    ).first()
    if matter is None:
        raise NotFound(f"no consent withdrawal {reference!r}", command="isa consent list")
    home = session.get(Agency, matter.agency_id)
    assert home is not None
    notices = []
    for held, partner in session.exec(
        select(ConsentNotice, Agency)
        .join(Agency, col(Agency.id) == ConsentNotice.agency_id)
        .where(ConsentNotice.consent_id == matter.id)
        .order_by(col(Agency.name))
    ).all():
        if held.status == ConsentNoticeStatus.ACKNOWLEDGED:
            assert held.acknowledged_at is not None
            state = (
                f"acknowledged by {held.acknowledged_by} on {long_datetime(held.acknowledged_at)}"
            )
        else:
            state = CHASED_WORDS[held.chased]
        notices.append((held.reference, partner.name, state))
    return ConsentStory(
        reference=matter.reference,
        agency=home.name,
        data_subject_ref=matter.subject_ref,
        raised=long_datetime(matter.raised_at),
        closed=matter.closed_at is not None,
        notices=tuple(notices),
    )
