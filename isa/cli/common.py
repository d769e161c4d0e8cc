"""What every command shares: the `isa` app and its groups, the settings and clock of one
command (`Context`), its session (with the migration check, and the Prefect events its change
published), the `--as` and `--json` options, and the lines that say whether a flow starts."""

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

from cyclopts import App, Parameter
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from core.db import EVENTS_STAGED, check_connection, head_revision, make_engine
from core.keys import audit_seal, link_issuer, os_user
from core.settings import Settings, setting_problem
from models.clocks import parse_date
from models.errors import InvalidInput, IsaError
from models.events import DomainEvent
from models.inputs import normalise_email
from notifications.catalog import notice_for
from notifications.publication import Publication, publish_pending

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
    sweep_app,
    outbox_app,
):
    app.command(sub)

As = Annotated[str, Parameter(name="--as", help="Email of the person acting.")]
OptionalAs = Annotated[str | None, Parameter(name="--as", help="Email of the person acting.")]
Json = Annotated[bool, Parameter(name="--json", negative="", help="Print JSON.")]


class Context:
    """What one command needs: settings, the one clock reading, and a session."""

    def __init__(self) -> None:
        try:
            self.settings = Settings()
        except ValidationError as exc:
            raise InvalidInput(setting_problem(exc.errors()[0])) from None
        self.now = self.settings.current_time()
        # what publishing the command's Prefect events did (set as its session closes)
        self.publication: Publication | None = None

    def published(self, event: str, reference: str) -> bool:
        """Whether the server took the Prefect event this command's change published."""
        return self.publication is not None and self.publication.took(event, reference)


@contextmanager
def session_scope(ctx: Context) -> Iterator[Session]:
    engine = make_engine(
        ctx.settings.database_url,
        audit=audit_seal(ctx.settings, "cli"),
        mailbox=ctx.settings.mail_from,
        links=link_issuer(ctx.settings),
    )
    try:
        check_connection(engine)
        with Session(engine, expire_on_commit=False) as session:
            try:
                current = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except (OperationalError, ProgrammingError):
                session.rollback()
                raise IsaError(
                    "the register's database is not set up: run `isa db upgrade`"
                ) from None
            session.rollback()
            if current != head_revision():
                raise IsaError(
                    f"the register's database is at revision {current}, this version needs "
                    f"{head_revision()}: run `isa db upgrade`"
                )
            yield session
            if session.info.get(EVENTS_STAGED):
                # the change is committed: the events that start its flows go out now
                ctx.publication = publish_pending(
                    session, api_url=ctx.settings.prefect_api_url, now=ctx.now
                )
    finally:
        engine.dispose()


def act(
    use_case: Callable[..., list[DomainEvent]], **inputs: Any
) -> tuple[Context, list[DomainEvent]]:
    """Run one use case in its own session at the command's one clock reading (its session
    publishing the Prefect events the change owes as it closes); the command's context, for
    what publishing did, and the events the change emitted."""
    ctx = Context()
    with session_scope(ctx) as session:
        events = use_case(session, now=ctx.now, **inputs)
    return ctx, events


def at_least(option: str, value: int | None, least: int = 1) -> None:
    """A count the command line takes (a limit, a batch size) is refused below `least`."""
    if value is not None and value < least:
        raise InvalidInput(f"{option} must be at least {least}, not {value}")


def default_actor(as_: str | None) -> str:
    """On whose behalf: the `--as` given, which must be an email address (the use case checks
    it is a registered one), else the operator, named by their operating-system user."""
    if as_ is None:
        return f"cli:{os_user()}"
    try:
        return normalise_email(as_)
    except InvalidInput:
        raise InvalidInput(f"--as {as_!r} is not an email address") from None


def option_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except ValueError as exc:
        raise InvalidInput(f"{option}: {exc}") from None


def report(events: Sequence[DomainEvent], as_json: bool, lines: Sequence[str]) -> None:
    if as_json:
        print(json.dumps({"events": [e.as_dict() for e in events]}, default=str))
    else:
        for line in lines:
            print(line)


def events_of(events: Sequence[DomainEvent], name: str) -> list[DomainEvent]:
    return [e for e in events if e.name == name]


def announce_raised(ctx: "Context", events: Sequence[DomainEvent]) -> list[str]:
    """Say whether the flow of a suspension or withdrawal just raised is starting: its event
    went out with the commit, or, with the server down, waits in the event outbox until the
    next delivery run or `isa up` publishes it (nothing is lost)."""
    lines: list[str] = []
    # the catalog says which events raise a matter: those publishing `isa.<matter>.raised`
    for event in events:
        for publish in notice_for(event.name).publishes:
            if not publish.event.endswith(".raised"):
                continue
            field, ref = publish.field, str(event.as_dict()[publish.field])
            if ctx.published(publish.event, ref):
                lines.append(f"the {field} flow for {ref} is starting (see the Prefect UI)")
            else:
                lines.append(
                    f"the Prefect server is not reachable: {ref} is recorded, and its flow "
                    "starts when the server is back (at `isa up`, or the next delivery run)"
                )
    return lines


def announce_ended(ctx: "Context", events: Sequence[DomainEvent]) -> list[str]:
    """Tell Prefect which arrangements were terminated (see `announce_arrangements_ended`)."""
    ended = [str(e.as_dict()["arrangement"]) for e in events_of(events, "arrangement.terminated")]
    return announce_arrangements_ended(ctx, ended)


def announce_arrangements_ended(ctx: "Context", references: Sequence[str]) -> list[str]:
    """Whether the disposal flow heard at once that these arrangements ended; if the server is
    down, the event waits in the outbox and the daily disposal sweep acts anyway."""
    if any(not ctx.published("isa.arrangement.ended", ref) for ref in references):
        return [
            "the Prefect server is not reachable: the daily disposal sweep schedules the "
            "destruction of the data, or its flow does once the server is back"
        ]
    return []
