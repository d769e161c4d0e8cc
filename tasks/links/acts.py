"""The table of link acts: for each thing a personal link lets its person do, the page it shows,
the decisions that page offers, and for each decision the sentence the person ticks, its name
in the audit log, the use case it runs, the form fields it reads and what the person is told
afterwards. The page, the act (tasks/links/acting.py), the proof of the person and the "what
you did" line all read this table instead of branching on the act."""

from collections.abc import Callable, Mapping
from typing import Any

import pendulum
from sqlmodel import Session, select

from models.enums import ArrangementStatus, ContactRole
from models.errors import InvalidInput
from models.links import LinkAction
from models.tables import Arrangement
from tasks.links import moved_on, runs
from tasks.links.link import Confirmation, Decision, Link, LinkAct, Page, View
from tasks.links.matter_views import (
    consent_view,
    consultation_view,
    incident_view,
    onward_view,
    quality_view,
    request_view,
)
from tasks.links.views import (
    disposal_view,
    grant_view,
    meeting_view,
    review_view,
    version_view,
)


def _subject(view: Callable[[Session, str], Any]) -> View:
    return lambda session, link, now: view(session, link.subject)


def _subject_at(view: Callable[[Session, str, pendulum.DateTime], Any]) -> View:
    return lambda session, link, now: view(session, link.subject, now)


def _approval_stands(session: Session, reference: str) -> str:
    """Where an approved arrangement stands now, in words; "" if it is not in the register."""
    found = session.exec(select(Arrangement.status).where(Arrangement.reference == reference))
    stored = found.first()
    if stored is None:
        return ""
    status = ArrangementStatus(stored)
    if status is ArrangementStatus.ACTIVE:
        return "It is now active: every party has approved it."
    if status is ArrangementStatus.AWAITING_APPROVAL:
        return "It becomes active once every other party's signatory approves it."
    return f"It is now {status.value.replace('_', ' ')}."


# A new link act is one row here: its LinkAction (models/links.py; in BINDING too if it binds an
# agency), its moved-on check (moved_on.py), its use case adapter (runs.py), and, if its page is
# new, its view (views.py or matter_views.py) and template (web/templates/). Nothing else
# branches on the act; tests/unit/test_link_acts.py checks every row is whole.
ACTS: Mapping[LinkAction, LinkAct] = {
    act.action: act
    for act in (
        LinkAct(
            LinkAction.APPROVE,
            Page(
                "approve.html",
                "version",
                lambda s, link, now: version_view(s, link.subject, link.agency),
            ),
            "arrangement",
            (
                Decision(
                    "approve",
                    "I approve version {version} of {subject} for {agency}",
                    "arrangement.approve",
                    runs.approve,
                    "You approved {subject}{version}{agency}",
                    _approval_stands,
                    fields=("shown_hash",),
                    # a reject moves the arrangement on to its next version: not compared after
                    recheck_shown=True,
                ),
                Decision(
                    "reject",
                    "I reject version {version} of {subject} for {agency}",
                    "arrangement.reject",
                    runs.reject,
                    "You rejected {subject}{version}{agency}",
                    "It returns to draft as its next version; the parties are told your reason, "
                    "and every party's signatory is asked to approve the version submitted next.",
                    fields=("shown_hash", "reason"),
                ),
            ),
            moved_on.approval_moved_on,
            # §6: a signatory approves for its own agency
            hand_to=ContactRole.SIGNATORY,
            words="approve or reject version {version} of {subject} for {agency}",
            shown_hash=lambda session, reference: version_view(session, reference).content_hash,
        ),
        LinkAct(
            LinkAction.CONFIRM_DISPOSAL,
            Page("disposal.html", "task", _subject(disposal_view)),
            "disposal_task",
            (
                Decision(
                    "",
                    "I confirm that {agency} has destroyed the data shared under {subject}, as "
                    "recorded here",
                    "disposal.confirm",
                    runs.confirm_destruction,
                    "You confirmed the destruction of the data for {subject}",
                    "Its reminders stop; the arrangement closes once every recipient agency has "
                    "confirmed its own.",
                    fields=("method", "certificate"),
                ),
            ),
            moved_on.disposal_moved_on,
            # §35-§37: its nominated representative confirms the destruction
            hand_to=ContactRole.NOMINATED_REPRESENTATIVE,
            words="confirm that {agency} has destroyed the data of disposal task {subject}",
        ),
        LinkAct(
            LinkAction.ACKNOWLEDGE_CONSENT,
            Page("consent.html", "notice", _subject(consent_view)),
            "consent_notice",
            (
                Decision(
                    "",
                    "I confirm that {agency} has ceased processing this data subject's data "
                    "({subject})",
                    "consent.acknowledge",
                    runs.acknowledge_ceased,
                    "You acknowledged that processing has ceased for {subject}",
                    "The agency that raised it is told once every partner has.",
                ),
            ),
            moved_on.consent_moved_on,
        ),
        LinkAct(
            LinkAction.CORRECT_DATA,
            Page("quality.html", "notice", _subject(quality_view)),
            "data_quality_notice",
            (
                Decision(
                    "",
                    "I record that {agency} has corrected the data ({subject}), as set out here",
                    "data_quality.correct",
                    runs.record_correction,
                    "You recorded the correction for {subject}",
                    "Every agency that received the data is told of the correction.",
                    fields=("correction",),
                ),
            ),
            moved_on.correction_moved_on,
        ),
        LinkAct(
            LinkAction.REPLY_CONSULTATION,
            Page("consultation.html", "consulted", _subject(consultation_view)),
            "request_consultation",
            (
                Decision(
                    "",
                    "I reply for {agency} to consultation {subject}, as set out here",
                    "request.reply",
                    runs.reply,
                    "You replied to the consultation {subject}",
                    "The agency that received the request is told your reply.",
                    fields=("objection", "comments"),
                ),
            ),
            moved_on.consultation_moved_on,
        ),
        LinkAct(
            LinkAction.CLOSE_REQUEST,
            Page("request.html", "asked", _subject(request_view)),
            "information_request",
            (
                Decision(
                    "",
                    "I record for {agency} the outcome of request {subject} chosen here",
                    "request.close",
                    runs.record_outcome,
                    "You recorded the outcome of the request {subject}",
                    "The request is closed; nothing more is chased.",
                    fields=("outcome", "note"),
                ),
            ),
            moved_on.request_moved_on,
        ),
        LinkAct(
            LinkAction.ANSWER_ONWARD,
            Page("onward.html", "asked", _subject(onward_view)),
            "onward_request",
            (
                Decision(
                    "consent",
                    "I consent, for {agency}, to the onward sharing asked for in {subject}",
                    "onward.answer",
                    runs.consent_onward,
                    "You answered the request to share onward {subject}",
                    "The agency that asked is told your answer.",
                    fields=("reason",),
                ),
                Decision(
                    "refuse",
                    "I refuse, for {agency}, the onward sharing asked for in {subject}",
                    "onward.answer",
                    runs.refuse_onward,
                    "You answered the request to share onward {subject}",
                    "The agency that asked is told your answer.",
                    fields=("reason",),
                ),
            ),
            moved_on.onward_moved_on,
        ),
        LinkAct(
            LinkAction.DECIDE_INCIDENT,
            Page("incident.html", "incident", _subject_at(incident_view), (("deciding", True),)),
            "security_incident",
            (
                Decision(
                    "",
                    "I record, as data protection officer for {agency}, the decision on "
                    "reporting {subject} to the ICO and its reason, as set out here",
                    "incident.decide",
                    runs.decide_reporting,
                    "You recorded whether {subject} is reported to the ICO",
                    "Your decision is recorded with its time against the 72-hour deadline.",
                    fields=("outcome", "reason"),
                ),
            ),
            moved_on.incident_decision_moved_on,
            # §29: its data protection officer decides on reporting to the ICO
            hand_to=ContactRole.DPO,
            words="record {agency}'s decision on reporting {subject} to the ICO",
        ),
        LinkAct(
            LinkAction.ACKNOWLEDGE_INCIDENT,
            Page("incident.html", "incident", _subject_at(incident_view), (("deciding", False),)),
            "security_incident",
            (
                Decision(
                    "",
                    "I acknowledge that {agency} has been told of security incident {subject}",
                    "incident.acknowledge",
                    runs.acknowledge_told,
                    "You acknowledged the security incident {subject}",
                    "Its reminders stop.",
                ),
            ),
            moved_on.incident_acknowledgement_moved_on,
        ),
        LinkAct(
            LinkAction.MEETING,
            Page("meeting.html", "matter", _subject_at(meeting_view)),
            "suspension",
            (
                Decision(
                    "schedule",
                    "I set the resolution meeting of {subject} for the time given here",
                    "meeting.schedule",
                    runs.set_meeting,
                    "You set the resolution meeting for {subject}",
                    "Every partner's signatory and the chairs are told when it is held.",
                    fields=("meeting_at", "place"),
                ),
                Decision(
                    "record",
                    "I record the resolution meeting of {subject} as held, as set out here",
                    "meeting.record",
                    runs.record_held,
                    "You recorded the resolution meeting held for {subject}",
                    "Every partner's signatory and the chairs are told the outcome.",
                    fields=("outcome", "attendee", "risk_assessment"),
                ),
            ),
            moved_on.meeting_moved_on,
        ),
        LinkAct(
            LinkAction.REVIEW,
            Page("review.html", "arrangement", _subject(review_view)),
            "arrangement",
            (
                Decision(
                    "",
                    "I record the outcome of the review of {subject} chosen here",
                    "review.complete",
                    runs.record_review,
                    "You recorded the outcome of the review of {subject}",
                    "The parties are told the outcome.",
                    fields=("outcome",),
                ),
            ),
            moved_on.review_moved_on,
        ),
        LinkAct(
            LinkAction.ATTEST,
            Page("attest.html", "grant", _subject(grant_view)),
            "access_grant",
            (
                Decision(
                    "keep",
                    "I confirm that access {subject} is still needed",
                    "access.attest",
                    runs.keep_access,
                    "You kept the access {subject}",
                    "It is asked again at its next re-attestation.",
                ),
                Decision(
                    "revoke",
                    "I revoke access {subject}: it is no longer needed",
                    "access.revoke",
                    runs.revoke,
                    "You revoked the access {subject}",
                    "The staff member's access ends now.",
                    fields=("reason",),
                ),
            ),
            moved_on.attestation_moved_on,
        ),
    )
}

# each audit action a link act writes, and the decision that writes it ("what you did")
BY_AUDIT_ACTION: Mapping[str, Decision] = {
    decision.audit: decision for act in ACTS.values() for decision in act.decisions
}


def link_act(link: Link) -> LinkAct:
    """The table's row for the link's act; a sign-in link has none (it acts on no record)."""
    act = ACTS.get(link.action)
    if act is None:
        raise InvalidInput(f"a {link.action.value.replace('_', ' ')} link has no act to confirm")
    return act


def confirmation_sentence(link: Link, version: int | None = None, decision: str = "") -> str:
    """The act in words, as the box the person ticks names it."""
    sentence = link_act(link).decision(decision).sentence
    return sentence.format(
        subject=link.subject, agency=link.agency, version=version or link.version
    )


def act_words(link: Link) -> str:
    """An act that binds an agency, as the email with its code and a hand-over name it."""
    return link_act(link).words.format(
        subject=link.subject, agency=link.agency, version=link.version
    )


def chosen(link: Link, confirmation: Confirmation) -> Decision:
    """The decision the form sent, refused if the link's page does not offer it."""
    act = ACTS.get(link.action)
    name = confirmation.decision if act is None or act.offers_a_choice else ""
    if act is None or name not in {d.name for d in act.decisions}:
        raise InvalidInput(f"this link cannot {confirmation.decision or 'do that'}")
    return act.decision(name)


def action_page(session: Session, link: Link, now: pendulum.DateTime) -> tuple[str, dict[str, Any]]:
    """The template of the link's page and what it is given: the view, under its name, and the
    sentence of each decision, as `sentence` or, on a page that offers a choice, by its name."""
    act = link_act(link)
    view = act.page.view(session, link, now)
    # a page that shows a version names the version it shows in its sentences
    version = getattr(view, "version", None)
    sentences = {
        decision.name or "sentence": confirmation_sentence(link, version, decision.name)
        for decision in act.decisions
    }
    return act.page.template, {act.page.name: view, **dict(act.page.extra), **sentences}
