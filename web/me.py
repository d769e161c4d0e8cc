"""The signed-in person's own pages: `/me` (what is overdue that concerns them, what waits on
them, their agency's arrangements, for a chair the open suspensions, and what they may raise),
one arrangement read-only at `/me/arrangements/{reference}`, and `POST /me/open`, which opens
a fresh personal link for one thing that waits on them."""

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from models.links import SESSION_MINUTES, LinkAction
from tasks.links import version_view
from tasks.portal import arrangements_of, may_see_arrangement, open_suspensions
from tasks.waiting import link_to_act, overdue_for, waiting_on
from web.portal import PortalDep, no_session, overlong, person_of, set_cookie, signed_in_form
from web.raising import may_raise
from web.security import COOKIE

router = APIRouter()


@router.api_route("/me", methods=["GET", "HEAD"])
def me(request: Request, portal: PortalDep) -> Response:
    now = portal.now()
    held, who = person_of(portal, request, now)
    if held is None or who is None:
        return RedirectResponse("/sign-in", status_code=303)
    with portal.session() as session:
        arrangements = arrangements_of(session, who, now)
        return portal.page(
            request,
            "me.html",
            who=who,
            csrf=portal.signer.csrf(held),
            overdue=overdue_for(session, who, now),
            waiting=waiting_on(session, who, now),
            arrangements=arrangements,
            suspensions=open_suspensions(session, now) if who.chair else [],
            may_raise=may_raise(who, bool(arrangements)),
        )


@router.api_route("/me/arrangements/{reference}", methods=["GET", "HEAD"])
def arrangement_page(request: Request, reference: str, portal: PortalDep) -> Response:
    """One arrangement, read-only, for a chair or a contact of one of its parties."""
    now = portal.now()
    held, who = person_of(portal, request, now)
    if held is None or who is None:
        return RedirectResponse("/sign-in", status_code=303)
    with portal.session() as session:
        if len(reference) > 40 or not may_see_arrangement(session, who, reference):
            return portal.problem(
                request,
                404,
                "No arrangement of yours has that reference",
                "Only the arrangements your agency is a party to are shown here.",
            )
        row = next(a for a in arrangements_of(session, who, now) if a.reference == reference)
        return portal.page(
            request,
            "arrangement.html",
            who=who,
            csrf=portal.signer.csrf(held),
            version=version_view(session, reference),
            row=row,
        )


@router.post("/me/open")
async def open_waiting(request: Request, portal: PortalDep) -> Response:
    """A fresh personal link, bound to this browser, for one thing that waits on the person."""
    now = portal.now()
    who, form = await signed_in_form(portal, request, now)
    if who is None:
        return no_session(portal, request)
    too_long = overlong(form.multi_items())
    if too_long:
        return portal.problem(request, 422, "That cannot be done here", too_long)
    try:
        action = LinkAction(str(form.get("action", "")))
    except ValueError:
        return portal.problem(request, 422, "That cannot be done here", "Unknown action.")
    with portal.session() as session:
        link_id = link_to_act(
            session, who=who, action=action, subject=str(form.get("subject", "")), now=now
        )
    if link_id is None:
        return portal.problem(
            request, 409, "Nothing waits on you there", "It may have been done already."
        )
    response = RedirectResponse(f"/act/{link_id}", status_code=303)
    set_cookie(
        portal, response, COOKIE, portal.signer.session_cookie(link_id, now, SESSION_MINUTES)
    )
    return response
