"""Raising a matter from the person's page: `/me/raise/{matter}` shows its form, `POST
/me/raise` runs the command line's own use case as the signed-in person. Which matters there
are, who may raise each, and which use case each runs, is one table, `RAISING`."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pendulum
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from core.db import EVIDENCE
from models.enums import ContactRole
from models.errors import InvalidInput, IsaError, Refused
from models.events import DomainEvent
from models.links import Proof, same_name
from notifications.publication import publish_pending
from tasks.portal import Person, arrangements_of
from tasks.portal_guard import over_limit
from tasks.protocol.consent import withdraw_consent
from tasks.protocol.decisions import record_decision
from tasks.protocol.incidents import REPORTERS as INCIDENT_REPORTERS
from tasks.protocol.incidents import report_incident
from tasks.protocol.onward import request_onward_sharing
from tasks.protocol.quality import report_data_quality
from tasks.protocol.requests import RECORDERS as REQUEST_RECORDERS
from tasks.protocol.requests import record_request
from tasks.protocol.suspensions import raise_suspension
from tasks.protocol.withdrawals import withdraw_agency
from tasks.uow import append_refusal
from web.portal import (
    PortalDep,
    count_refusal,
    evidence,
    no_session,
    overlong,
    person_of,
    refusal_limits,
    refused,
    signed_in_form,
    too_many,
)

router = APIRouter()

# what a use case's parameter is called on the form, where the two differ
FORM_NAMES = {"data_subject_ref": "subject_ref"}


@dataclass(frozen=True)
class Raising:
    """A matter a person may raise from the web: its use case's name in the audit log, who
    may raise it (any of these roles; some only with an arrangement of their agency's to
    raise it under), which field of its events holds the new reference, and its use case with
    what the form gives it: text fields, fields left out when empty, and the arrangements
    ticked. Every use case also takes the person's agency, the person and the time."""

    action: str
    roles: tuple[ContactRole, ...]
    needs_arrangement: bool
    reference: str
    use_case: Callable[..., list[DomainEvent]]
    texts: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    arrangements: str = ""

    def run(
        self, session: Session, who: Person, form: Any, now: pendulum.DateTime
    ) -> list[DomainEvent]:
        given: dict[str, Any] = {p: str(form.get(FORM_NAMES.get(p, p), "")) for p in self.texts}
        given |= {p: str(form.get(p, "")) or None for p in self.optional}
        if self.arrangements:
            given[self.arrangements] = [str(a) for a in form.getlist("arrangement") if a]
        return self.use_case(session, agency=who.agency or "", actor=who.email, now=now, **given)


SIGNATORY = (ContactRole.SIGNATORY,)
REPRESENTATIVE = (ContactRole.NOMINATED_REPRESENTATIVE,)
REPORTS_QUALITY = (ContactRole.NOMINATED_REPRESENTATIVE, ContactRole.POINT_OF_CONTACT)
# a signatory suspends (§41) or gives notice of withdrawal (§42) for their own agency; a
# nominated representative records a data subject's withdrawal of consent (§9, §18); a
# recipient's representative or point of contact notifies data found inaccurate (§33); its
# representative, point of contact or DPO records an information request (§7); a discloser's
# representative records a sharing decision (§9, §13, §19); a recipient's representative asks
# the originator's consent to share data onward (§11, §15); a recipient's representative,
# point of contact or DPO records a security incident (§29)
RAISING = {
    "suspension": Raising(
        "suspension.raise", SIGNATORY, False, "suspension", raise_suspension, ("reason",)
    ),
    "withdrawal": Raising(
        "withdrawal.notify", SIGNATORY, False, "withdrawal", withdraw_agency, ("reason",)
    ),
    "consent": Raising(
        "consent.withdraw",
        REPRESENTATIVE,
        False,
        "consent",
        withdraw_consent,
        ("data_subject_ref",),
        arrangements="arrangements",
    ),
    "quality": Raising(
        "data_quality.report",
        REPORTS_QUALITY,
        True,
        "notice",
        report_data_quality,
        ("arrangement", "what"),
        ("owner",),
    ),
    "request": Raising(
        "request.record",
        REQUEST_RECORDERS,
        True,
        "request",
        record_request,
        ("kind", "received_on", "their_ref", "summary"),
        arrangements="arrangements",
    ),
    "decision": Raising(
        "decision.record",
        REPRESENTATIVE,
        True,
        "decision",
        record_decision,
        ("arrangement", "requester", "outcome", "data", "purpose", "legal_basis", "reasoning"),
        ("identity_check",),
    ),
    "onward": Raising(
        "onward.request",
        REPRESENTATIVE,
        True,
        "request",
        request_onward_sharing,
        ("arrangement", "third_party", "data", "purpose"),
        ("owner",),
    ),
    "incident": Raising(
        "incident.report",
        INCIDENT_REPORTERS,
        True,
        "incident",
        report_incident,
        ("arrangement", "what", "aware_at"),
        ("originator",),
    ),
}


def may_raise(who: Person, has_arrangements: bool) -> dict[str, bool]:
    """Which matters the person may raise from the web, by role (the use cases check again)."""
    return {
        matter: (has_arrangements or not raising.needs_arrangement)
        and any(who.has(role) for role in raising.roles)
        for matter, raising in RAISING.items()
    }


@router.api_route("/me/raise/{matter}", methods=["GET", "HEAD"])
def raise_page(request: Request, matter: str, portal: PortalDep) -> Response:
    """The form to raise one matter, on a page of its own (the POST is /me/raise)."""
    now = portal.now()
    held, who = person_of(portal, request, now)
    if held is None or who is None:
        return RedirectResponse("/sign-in", status_code=303)
    with portal.session() as session:
        arrangements = arrangements_of(session, who, now)
    if not may_raise(who, bool(arrangements)).get(matter):
        return portal.problem(
            request, 404, "That cannot be raised here", "It is not one you may raise."
        )
    return portal.page(
        request,
        "raise.html",
        who=who,
        csrf=portal.signer.csrf(held),
        matter=matter,
        arrangements=arrangements,
    )


@router.post("/me/raise")
async def raise_matter(request: Request, portal: PortalDep) -> Response:
    """Raise one of the matters in RAISING as the signed-in person, confirmed by their typed
    name and a ticked box, as the command line's use case."""
    now = portal.now()
    who, form = await signed_in_form(portal, request, now)
    if who is None:
        return no_session(portal, request)
    too_long = overlong(form.multi_items())
    if too_long:
        return portal.problem(request, 422, "That was not recorded", too_long)
    what = str(form.get("matter", ""))
    limits = refusal_limits(portal, request, person=who.email)
    with portal.session() as session:
        if any(over_limit(session, k, limit=n, now=now) for k, n in limits.items()):
            return too_many(portal, request)
        session.info[EVIDENCE] = {
            **evidence(portal, request, now, "signed-in session"),
            "typed_name": str(form.get("typed_name", "")),
            # raised from a browser signed in by the link emailed to this person
            "proof": Proof.SESSION.value,
        }
        try:
            raising = RAISING.get(what)
            if raising is None:
                raise InvalidInput(f"{what!r} cannot be raised here")
            unconfirmed = _unconfirmed(who, form)
            if unconfirmed:
                # refused as the use case would refuse it: recorded, nothing else written
                append_refusal(
                    session,
                    actor=who.email,
                    action=raising.action,
                    subject_type="agency",
                    subject_ref=who.agency,
                    detail=unconfirmed,
                    now=now,
                )
                session.commit()
                raise Refused(unconfirmed)
            events = raising.run(session, who, form, now)
        except IsaError as refusal:
            count_refusal(portal, limits, now)
            return portal.problem(
                request,
                422 if isinstance(refusal, InvalidInput) else 409,
                "That was not recorded",
                refused(refusal),
            )
        finally:
            session.info.pop(EVIDENCE, None)
        # the change is committed: its flow starts as one raised from the CLI does
        published = publish_pending(session, api_url=portal.settings.prefect_api_url, now=now)
    found = [
        str(e.as_dict()[raising.reference]) for e in events if e.as_dict().get(raising.reference)
    ]
    return portal.page(
        request,
        "raised.html",
        what=what,
        reference=found[0] if found else "",
        started=published.error is None,
    )


def _unconfirmed(who: Person, form: Any) -> str:
    """Why the form does not confirm the act deliberately, or ""."""
    typed = form.get("typed_name")
    if not isinstance(typed, str) or not same_name(typed, who.name):
        return (
            "the name typed is not the name the register holds for you: type your full name "
            "as it appears in the register's emails"
        )
    if form.get("confirm") != "yes":
        return "the confirmation was not ticked: tick it to confirm the act"
    return ""
