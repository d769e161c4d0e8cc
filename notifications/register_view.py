"""The register read for notifications, inside the use case's transaction: facts about the records
an event names, and the people each audience means today (those who have left are not)."""

from collections.abc import Iterable, Mapping
from typing import Any

import pendulum
from sqlmodel import Session, col, select

from core.db import MAILBOX, OFFICE
from core.settings import DEFAULT_MAIL_FROM
from models.enums import AgencyStatus, AmendmentStatus, ContactRole, PartyRole
from models.tables import (
    AccessGrant,
    Agency,
    Arrangement,
    ArrangementParty,
    ArrangementVersion,
    Chair,
    Contact,
    ContactRoleAssignment,
    Installation,
    Suspension,
    Withdrawal,
)
from notifications.catalog import Audience
from notifications.context import CHAIR_CAPACITY, Recipient, person_facts
from notifications.message import Sender

DATA_OWNERS = (PartyRole.DISCLOSER, PartyRole.BOTH)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if hasattr(value, "tzinfo"):
        return pendulum.instance(value).in_timezone("UTC").isoformat()
    return str(value.isoformat())


class SqlRegisterView:
    """A `RegisterView` over a session; reads see the use case's own unflushed changes."""

    def __init__(self, session: Session) -> None:
        self.session = session
        # Read once per queueing: a sweep's batch names the same arrangements and agencies again
        # and again. The register does not change while its emails are being queued.
        self._arrangements: dict[str, Arrangement] = {}
        self._party_rows: dict[int | None, list[tuple[ArrangementParty, Agency]]] = {}
        self._contacts: dict[tuple[int | None, ContactRole], list[Contact]] = {}
        self._sender: Sender | None = None

    def prefetch(self, references: Iterable[str]) -> None:
        """Load the arrangements named, their parties and those parties' people in a few
        queries, so resolving a batch's audiences costs no query per event."""
        wanted = [ref for ref in dict.fromkeys(references) if ref not in self._arrangements]
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found = self.session.exec(
                select(Arrangement).where(col(Arrangement.reference).in_(chunk))
            ).all()
            by_id = {arrangement.id: arrangement for arrangement in found}
            self._arrangements.update({arrangement.reference: arrangement for arrangement in found})
            for arrangement_id in by_id:
                self._party_rows[arrangement_id] = []
            for party, agency in self.session.exec(
                select(ArrangementParty, Agency)
                .join(Agency, col(Agency.id) == ArrangementParty.agency_id)
                .where(col(ArrangementParty.arrangement_id).in_(list(by_id)))
                .where(col(ArrangementParty.left_at).is_(None))
                .order_by(col(ArrangementParty.id))
            ).all():
                self._party_rows[party.arrangement_id].append((party, agency))
        agency_ids = {a.id for rows in self._party_rows.values() for _, a in rows}
        missing = [
            (agency_id, role)
            for agency_id in agency_ids
            for role in ContactRole
            if (agency_id, role) not in self._contacts
        ]
        if not missing:
            return
        wanted_keys = set(missing)
        for key in missing:
            self._contacts[key] = []
        for contact, role in self.session.exec(
            select(Contact, ContactRoleAssignment.role)
            .join(ContactRoleAssignment, col(ContactRoleAssignment.contact_id) == Contact.id)
            .where(col(Contact.agency_id).in_(list({a for a, _ in missing})))
            .where(col(Contact.left_at).is_(None))
            .order_by(col(Contact.agency_id), col(Contact.id))
        ).all():
            key = (contact.agency_id, ContactRole(role))
            if key in wanted_keys:
                self._contacts[key].append(contact)

    # --- facts --------------------------------------------------------------------------

    def _parties(self, arrangement_id: int | None) -> list[tuple[ArrangementParty, Agency]]:
        if arrangement_id in self._party_rows:
            return self._party_rows[arrangement_id]
        rows = self.session.exec(
            select(ArrangementParty, Agency)
            .join(Agency, col(Agency.id) == ArrangementParty.agency_id)
            .where(ArrangementParty.arrangement_id == arrangement_id)
            .where(col(ArrangementParty.left_at).is_(None))
            .order_by(col(ArrangementParty.id))
        ).all()
        return [(party, agency) for party, agency in rows]

    def _arrangement(self, reference: str) -> Arrangement:
        if reference not in self._arrangements:
            self._arrangements[reference] = self.session.exec(
                select(Arrangement).where(Arrangement.reference == reference)
            ).one()
        return self._arrangements[reference]

    def arrangement(self, reference: str) -> dict[str, Any]:
        arrangement = self._arrangement(reference)
        return {
            "reference": arrangement.reference,
            "title": arrangement.title,
            "version": arrangement.version,
            "status": arrangement.status.value,
            "next_review_due": _iso(arrangement.next_review_due),
            "retention_months": arrangement.retention_months,
            "retention_rule": arrangement.retention_rule,
            "disposal_method": arrangement.disposal_method,
            "parties": [
                {"agency": agency.name, "role": party.role.value}
                for party, agency in self._parties(arrangement.id)
            ],
        }

    def suspension(self, reference: str) -> dict[str, Any]:
        matter, agency = self.session.exec(
            select(Suspension, Agency)
            .join(Agency, col(Agency.id) == Suspension.agency_id)
            .where(Suspension.reference == reference)
        ).one()
        return {
            "reference": matter.reference,
            "agency": agency.name,
            "reason": matter.reason,
            "status": matter.status.value,
            "raised_at": _iso(matter.raised_at),
            "meeting_deadline": _iso(matter.meeting_deadline),
            "ends_at": _iso(matter.ends_at),
            "meeting_at": _iso(matter.meeting_at),
            "meeting_place": matter.meeting_place or "",
            "meeting_held_at": _iso(matter.meeting_held_at),
            "outcome": matter.outcome.value if matter.outcome else None,
        }

    def withdrawal(self, reference: str) -> dict[str, Any]:
        notice, agency = self.session.exec(
            select(Withdrawal, Agency)
            .join(Agency, col(Agency.id) == Withdrawal.agency_id)
            .where(Withdrawal.reference == reference)
        ).one()
        ended = self.session.get(Suspension, notice.suspension_id) if notice.suspension_id else None
        return {
            "reference": notice.reference,
            "agency": agency.name,
            "reason": notice.reason,
            "noticed_at": _iso(notice.noticed_at),
            "effective_on": _iso(notice.effective_on),
            # the suspension the withdrawal ended, if one was open
            "suspension": ended.reference if ended else None,
        }

    def grant(self, reference: str) -> dict[str, Any]:
        held, staff, agency, arrangement = self.session.exec(
            select(AccessGrant, Contact, Agency, Arrangement)
            .join(Contact, col(Contact.id) == AccessGrant.contact_id)
            .join(Agency, col(Agency.id) == AccessGrant.agency_id)
            .join(Arrangement, col(Arrangement.id) == AccessGrant.arrangement_id)
            .where(AccessGrant.reference == reference)
        ).one()
        return {
            "reference": held.reference,
            "arrangement": arrangement.reference,
            "arrangement_title": arrangement.title,
            "staff_name": staff.name,
            "staff_email": staff.email,
            "agency": agency.name,
            "justification": held.justification,
            "status": held.status.value,
            "expires_on": _iso(held.expires_on),
            "revoked_reason": held.revoked_reason,
        }

    def agency(self, name: str) -> dict[str, Any]:
        found = self.session.exec(select(Agency).where(Agency.name == name)).one()
        return {"name": found.name, "status": found.status.value}

    def person(self, email: str) -> dict[str, Any]:
        found = self.session.exec(
            select(Contact, Agency)
            .join(Agency, col(Agency.id) == Contact.agency_id)
            .where(Contact.email == email)
        ).first()
        if found is not None:
            contact, agency = found
            return person_facts(email, contact.name, agency.name)
        chair = self.session.exec(select(Chair).where(Chair.email == email)).first()
        return person_facts(email, chair.name if chair else email, None)

    def sender(self) -> Sender:
        if self._sender is None:
            identifier = self.session.exec(select(Installation.identifier)).first()
            if identifier is None:
                raise RuntimeError("the register has no installation identifier: isa db upgrade")
            bind = self.session.get_bind()
            options = bind.get_execution_options()
            mailbox = options.get(MAILBOX) or DEFAULT_MAIL_FROM
            self._sender = Sender(
                installation=identifier,
                mailbox=str(mailbox),
                office=str(options.get(OFFICE) or ""),
            )
        return self._sender

    def meeting_history(self, suspension: str) -> dict[str, Any]:
        # Kept on the suspension each time the meeting is set: SEQUENCE is 0 for the first
        # invitation and one more for each move (RFC 5545), and the chair who set it last
        # organizes it.
        sequence, organizer = self.session.exec(
            select(Suspension.meeting_sequence, Suspension.meeting_set_by).where(
                Suspension.reference == suspension
            )
        ).one()
        organizer = organizer or ""
        chair = self.session.exec(select(Chair).where(Chair.email == organizer)).first()
        return {
            "sequence": sequence or 0,
            "organizer": {"email": organizer, "name": chair.name if chair else organizer},
        }

    # --- audiences ----------------------------------------------------------------------

    def _holders(
        self, agencies: Iterable[Agency], role: ContactRole, capacity: str
    ) -> list[Recipient]:
        """People at these agencies who hold the role and have not left, agency by agency."""
        by_id = {agency.id: agency for agency in agencies}
        if not by_id:
            return []
        if all((agency_id, role) in self._contacts for agency_id in by_id):
            rows = [c for agency_id in by_id for c in self._contacts[(agency_id, role)]]
        else:
            rows = list(
                self.session.exec(
                    select(Contact)
                    .join(
                        ContactRoleAssignment, col(ContactRoleAssignment.contact_id) == Contact.id
                    )
                    .where(col(Contact.agency_id).in_(list(by_id)))
                    .where(ContactRoleAssignment.role == role)
                    .where(col(Contact.left_at).is_(None))
                    .order_by(col(Contact.agency_id), col(Contact.id))
                ).all()
            )
        # keep the caller's agency order (parties in the order they joined), not the ids'
        rank = {agency_id: i for i, agency_id in enumerate(by_id)}
        return [
            Recipient(
                email=contact.email,
                name=contact.name,
                role=role.value,
                capacity=capacity.format(agency=by_id[contact.agency_id].name),
                agency=by_id[contact.agency_id].name,
            )
            for contact in sorted(rows, key=lambda c: rank[c.agency_id])
        ]

    def _signing_parties(self, event: Mapping[str, Any]) -> list[Agency]:
        """For an event about the signing of an amending version: the parties that version
        names, who sign it (those in force may differ); else none."""
        arrangement = self._arrangement(event["arrangement"])
        if (
            arrangement.amendment != AmendmentStatus.AWAITING_APPROVAL
            or event.get("version") != arrangement.version
        ):
            return []
        record = self.session.exec(
            select(ArrangementVersion)
            .where(ArrangementVersion.arrangement_id == arrangement.id)
            .where(ArrangementVersion.version == arrangement.version)
        ).first()
        if record is None:
            return []
        found = {
            a.id: a
            for a in self.session.exec(select(Agency).where(col(Agency.id).in_(record.agency_ids)))
        }
        return [found[i] for i in record.agency_ids if i in found]

    def _arrangement_parties(self, reference: str) -> list[tuple[ArrangementParty, Agency]]:
        return self._parties(self._arrangement(reference).id)

    def _staff(self, email: str) -> tuple[Contact, Agency]:
        staff, home = self.session.exec(
            select(Contact, Agency)
            .join(Agency, col(Agency.id) == Contact.agency_id)
            .where(Contact.email == email)
        ).one()
        return staff, home

    def _person_as_recipient(self, email: str) -> list[Recipient]:
        chair = self.session.exec(select(Chair).where(Chair.email == email)).first()
        if chair is not None:
            return [Recipient(chair.email, chair.name, "chair", CHAIR_CAPACITY)]
        found = self.session.exec(
            select(Contact, Agency)
            .join(Agency, col(Agency.id) == Contact.agency_id)
            .where(Contact.email == email, col(Contact.left_at).is_(None))
        ).first()
        if found is None:
            return []
        contact, home = found
        capacity = f"a contact at {home.name}"
        return [Recipient(contact.email, contact.name, "contact", capacity, home.name)]

    def audience(self, audience: Audience, event: Mapping[str, Any]) -> list[Recipient]:
        match audience:
            case Audience.PARTY_SIGNATORIES:
                agencies = self._signing_parties(event) or [
                    a for _, a in self._arrangement_parties(event["arrangement"])
                ]
                return self._holders(agencies, ContactRole.SIGNATORY, "signatory for {agency}")
            case Audience.PARTY_POINTS_OF_CONTACT:
                agencies = [a for _, a in self._arrangement_parties(event["arrangement"])]
                return self._holders(
                    agencies, ContactRole.POINT_OF_CONTACT, "point of contact for {agency}"
                )
            case Audience.PARTNER_SIGNATORIES:
                partners = self.session.exec(
                    select(Agency)
                    .where(Agency.status != AgencyStatus.WITHDRAWN)
                    .order_by(col(Agency.name))
                ).all()
                return self._holders(partners, ContactRole.SIGNATORY, "signatory for {agency}")
            case Audience.MONITORING_GROUP:
                partners = self.session.exec(
                    select(Agency)
                    .where(Agency.status != AgencyStatus.WITHDRAWN)
                    .order_by(col(Agency.name))
                ).all()
                return self._holders(
                    partners,
                    ContactRole.POINT_OF_CONTACT,
                    "member of the Information Governance Monitoring Group (point of contact "
                    "for {agency})",
                )
            case Audience.CHAIRS:
                chairs = self.session.exec(select(Chair).order_by(col(Chair.id))).all()
                return [Recipient(c.email, c.name, "chair", CHAIR_CAPACITY) for c in chairs]
            case Audience.AGENCY_SIGNATORIES:
                home = self.session.exec(select(Agency).where(Agency.name == event["agency"])).one()
                return self._holders([home], ContactRole.SIGNATORY, "signatory for {agency}")
            case Audience.STAFF_MEMBER:
                staff, home = self._staff(event["email"])
                if staff.left_at is not None:
                    return []
                return [
                    Recipient(
                        staff.email,
                        staff.name,
                        "staff_member",
                        f"staff member at {home.name}",
                        home.name,
                    )
                ]
            case Audience.PERSON:
                return self._person_as_recipient(str(event["email"]))
            case Audience.STAFF_POINTS_OF_CONTACT:
                # the agency hears even when the person has left: it still owes the follow-up
                _, home = self._staff(event["email"])
                return self._holders(
                    [home], ContactRole.POINT_OF_CONTACT, "point of contact for {agency}"
                )
            case (
                Audience.AGENCY_REPRESENTATIVES
                | Audience.AGENCY_POINTS_OF_CONTACT
                | Audience.AGENCY_DPOS
            ):
                home = self.session.exec(select(Agency).where(Agency.name == event["agency"])).one()
                if audience == Audience.AGENCY_DPOS:
                    return self._holders(
                        [home], ContactRole.DPO, "data protection officer for {agency}"
                    )
                if audience == Audience.AGENCY_REPRESENTATIVES:
                    return self._holders(
                        [home],
                        ContactRole.NOMINATED_REPRESENTATIVE,
                        "nominated representative for {agency}",
                    )
                return self._holders(
                    [home], ContactRole.POINT_OF_CONTACT, "point of contact for {agency}"
                )
            case Audience.AWAITING_SIGNATORIES:
                awaiting = set(event["awaiting"])
                agencies = [
                    a
                    for _, a in self._arrangement_parties(event["arrangement"])
                    if a.name in awaiting
                ]
                return self._holders(agencies, ContactRole.SIGNATORY, "signatory for {agency}")
            case Audience.DATA_OWNER_REPRESENTATIVES:
                owners = [
                    agency
                    for party, agency in self._arrangement_parties(event["arrangement"])
                    if party.role in DATA_OWNERS
                ]
                return self._holders(
                    owners,
                    ContactRole.NOMINATED_REPRESENTATIVE,
                    "nominated representative for {agency}, which discloses the data",
                )
        raise ValueError(f"no way to resolve audience {audience!r}")
