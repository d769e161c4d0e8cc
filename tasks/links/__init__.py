"""The use cases behind a personal link: what a link is and whether it can still be acted on
(state.py, moved_on.py), the page's view of the matter it is about (views.py, matter_views.py),
the one table of link acts (acts.py) and the act itself (acting.py), which runs the same use case
as the command line in one transaction, once the person is proved (proof.py) or has handed the
act to a colleague (hand_over.py).

A link is refused, with its refusal in the audit log, when it was used, has expired or is void
(the record moved on), when the typed name is not the person's, when the confirmation is not
ticked, or when the version shown is not the version there now. An act that binds an agency
(models/links.py BINDING) also needs proof that the person at the link is its addressee: a
browser signed in as them, or the one-time code emailed to their own address from the page;
a browser signed in as someone else is refused, and the refusal names both."""

from tasks.links.acting import act_on_link
from tasks.links.acts import ACTS, act_words, action_page, confirmation_sentence
from tasks.links.hand_over import hand_over
from tasks.links.link import Confirmation, Link
from tasks.links.matter_views import (
    consent_view,
    consultation_view,
    incident_view,
    onward_view,
    quality_view,
    request_view,
)
from tasks.links.proof import code_sent, send_code
from tasks.links.state import find_link, link_by_id, what_was_done
from tasks.links.views import (
    disposal_view,
    grant_view,
    meeting_view,
    review_view,
    version_view,
)

__all__ = [
    "ACTS",
    "Confirmation",
    "Link",
    "act_on_link",
    "act_words",
    "action_page",
    "code_sent",
    "confirmation_sentence",
    "consent_view",
    "consultation_view",
    "disposal_view",
    "find_link",
    "grant_view",
    "hand_over",
    "incident_view",
    "link_by_id",
    "meeting_view",
    "onward_view",
    "quality_view",
    "request_view",
    "review_view",
    "send_code",
    "version_view",
    "what_was_done",
]
