"""What every command that changes the register shares: the settings and clock of one command
(`Context`), its session (with the migration check, and the Prefect events its change
published), who acts, and the lines that say whether a flow starts. (The app, its groups and
options are in `isa.cli.apps`; the commands that only read use `isa.cli.reads`.)"""

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from core.db import EVENTS_STAGED, RUN_DELIVERS, check_connection, check_revision, make_engine
from core.keys import audit_seal, link_issuer, os_user
from core.settings import Settings, setting_problem
from models.clocks import parse_date
from models.errors import InvalidInput
from models.events import DomainEvent
from models.inputs import normalise_email
from notifications.catalog import notice_for
from notifications.publication import Publication, publish_pending


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
def session_scope(ctx: Context, *, delivers: bool = False) -> Iterator[Session]:
    """The command's session. `delivers`: the command sends the emails it queues itself (a
    sweep, a checkpoint, `isa outbox deliver`), so its changes start no delivery run."""
    engine = make_engine(
        ctx.settings.database_url,
        audit=audit_seal(ctx.settings, "cli"),
        mailbox=ctx.settings.mail_from,
        office=ctx.settings.office_mailbox(),
        links=link_issuer(ctx.settings),
    )
    try:
        check_connection(engine)
        check_revision(engine)
        with Session(engine, expire_on_commit=False) as session:
            if delivers:
                session.info[RUN_DELIVERS] = True
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
