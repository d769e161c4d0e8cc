"""The `isa` app, its groups of commands and the options many commands take. Light on purpose:
every command imports it, and `isa --help` needs nothing else (see isa/cli/__init__.py)."""

from typing import Annotated

from cyclopts import App, Parameter

from models.errors import InvalidInput

app = App(
    name="isa",
    help="Run the register of Information Sharing Arrangements under the Protocol.",
    version_flags=[],
)
db_app = App(name="db", help="The register's database.")
agency_app = App(name="agency", help="Partner agencies.")
contact_app = App(name="contact", help="People at partner agencies and their roles.")
chair_app = App(name="chair", help="Chairs of the Information Governance Monitoring Group.")
arrangement_app = App(name="arrangement", help="Information Sharing Arrangements (Appendix J).")
review_app = App(name="review", help="Periodic reviews of arrangements (§31).")
training_app = App(name="training", help="Staff training records (§12, §38).")
access_app = App(name="access", help="Need-to-know access to shared data (§10).")
meeting_app = App(
    name="meeting", help="A suspension's risk assessment and resolution meeting (§41)."
)
audit_app = App(name="audit", help="The hash-chained audit log.")
staff_app = App(name="staff", help="Staff members who handle shared data.")
disposal_app = App(
    name="disposal", help="Destroying shared data when an arrangement ends (§35-§37)."
)
consent_app = App(
    name="consent", help="A data subject's withdrawal of consent, and partners ceasing (§9, §18)."
)
quality_app = App(
    name="quality", help="Data found inaccurate, notified to its owner and corrected (§33)."
)
request_app = App(
    name="request",
    help="FOI and subject access requests touching shared data, and consultations (§7).",
)
decision_app = App(
    name="decision", help="Decisions on a partner's request for data, and why (§9, §13, §19)."
)
onward_app = App(
    name="onward", help="Sharing data onward with a third party: the originator consents (§11)."
)
incident_app = App(
    name="incident",
    help="Security incidents compromising a partner's information, and the ICO decision (§29).",
)
sweep_app = App(name="sweep", help="Run a sweep at once, for today or any day (--as-of).")
outbox_app = App(name="outbox", help="The emails the register has queued, and their delivery.")
for sub in (
    db_app,
    agency_app,
    contact_app,
    chair_app,
    arrangement_app,
    review_app,
    training_app,
    access_app,
    meeting_app,
    audit_app,
    staff_app,
    disposal_app,
    consent_app,
    quality_app,
    request_app,
    decision_app,
    onward_app,
    incident_app,
    sweep_app,
    outbox_app,
):
    app.command(sub)

As = Annotated[str, Parameter(name="--as", help="Email of the person acting.")]
OptionalAs = Annotated[str | None, Parameter(name="--as", help="Email of the person acting.")]
Json = Annotated[bool, Parameter(name="--json", negative="", help="Print JSON.")]


def at_least(option: str, value: int | None, least: int = 1) -> None:
    """A count the command line takes (a limit, a batch size) is refused below `least`."""
    if value is not None and value < least:
        raise InvalidInput(f"{option} must be at least {least}, not {value}")
