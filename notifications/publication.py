"""The event outbox: the Prefect events a change owes, written in its own transaction (by the
unit of work, beside its emails) and posted to the Prefect server's events API after the commit
by whoever committed; whatever is left over (the server was down) goes with the next delivery
run or at `isa up`. Each row carries the event id it was made with, so a republish is one the
server has already seen, and the flows it starts are idempotent besides."""

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pendulum
from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from core.db import EVENTS_STAGED, RUN_DELIVERS, WRITE_TRANSACTION
from models.events import DomainEvent
from models.tables import Installation
from notifications.catalog import OUTBOX_QUEUED, notice_for
from notifications.context import event_fields
from notifications.tables import OutboxEvent

# a session that staged events carries EVENTS_STAGED (core.db), so whoever commits knows to
# publish them (CLI, flow task, web) without asking the database every time
# how many rows one publication posts at most; the rest wait for the next one
BATCH = 200


def stage_events(
    session: Session,
    events: Sequence[DomainEvent],
    now: pendulum.DateTime,
    *,
    emails: int = 0,
    about: str = "",
) -> int:
    """Write the Prefect events that `events` publish (the catalog's `publishes`) as rows of the
    event outbox, in the caller's transaction; returns how many. A change that queued `emails`
    outside a flow run and starts no flow publishes `isa.outbox.queued` (about `about`, its
    subject), which starts a delivery run at once."""
    rows: list[dict[str, Any]] = []
    delivered = False
    for event in events:
        fields = event_fields(event)
        for publish in notice_for(event.name).publishes:
            reference = str(fields.get(publish.field) or "")
            if reference:
                delivered = delivered or publish.delivers
                rows.append(
                    {
                        "event_id": str(uuid.uuid4()),
                        "event": publish.event,
                        "cause": event.name,
                        "reference": reference,
                        "occurred_at": now,
                        "attempts": 0,
                    }
                )
    # a change that starts a flow has its emails sent by that flow's last task (every triggered
    # deployment's flow delivers as it ends), so only one that starts none (or only flows that
    # leave its emails alone: Publish.delivers) asks for a delivery run
    if emails and not delivered and not session.info.get(RUN_DELIVERS):
        rows.append(
            {
                "event_id": str(uuid.uuid4()),
                "event": OUTBOX_QUEUED,
                "cause": f"{emails} email{'s' if emails != 1 else ''} queued",
                "reference": about or "emails",
                "occurred_at": now,
                "attempts": 0,
            }
        )
    if rows:
        session.execute(insert(OutboxEvent), rows)
        session.info[EVENTS_STAGED] = True
    return len(rows)


@dataclass(frozen=True)
class Publication:
    """What one publication did: the (event, reference) pairs the server took, how many rows
    are still unpublished, and why the server did not take them, if it did not."""

    published: tuple[tuple[str, str], ...] = ()
    left: int = 0
    error: str | None = None

    def took(self, event: str, reference: str) -> bool:
        return (event, reference) in self.published

    def as_dict(self) -> dict[str, Any]:
        return {"published": len(self.published), "left": self.left, "error": self.error}


def publish_pending(
    session: Session, *, api_url: str, now: pendulum.DateTime, timeout: float = 3.0
) -> Publication:
    """Post every unpublished row, oldest first, and mark those the server took. Concurrent
    publishers skip each other's rows on PostgreSQL; on SQLite one may post a row another is
    posting too, which the server recognises by its event id."""
    if session.in_transaction():
        session.commit()
    published: list[tuple[str, str]] = []
    error: str | None = None
    installation = register_installation(session)
    while error is None:
        rows = session.exec(
            select(OutboxEvent)
            .where(col(OutboxEvent.published_at).is_(None))
            .order_by(col(OutboxEvent.id))
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            break
        ids = [row.id for row in rows]
        took = [(row.event, row.reference) for row in rows]
        payload = [prefect_event(row, installation) for row in rows]
        sqlite = session.get_bind().dialect.name == "sqlite"
        if sqlite:
            # SQLite: a read held across the POST would deadlock with the flow the POST starts
            # (it waits for our shared lock to commit, we for its to write): let go, then write
            # in a transaction that waits its turn. A row another publisher posts meanwhile is
            # posted twice, and the server knows it by its event id.
            session.commit()
        error = post_events(api_url, payload, timeout=timeout)
        if sqlite:
            session.connection(execution_options={WRITE_TRANSACTION: True})
        if error is None:
            session.execute(
                update(OutboxEvent).where(col(OutboxEvent.id).in_(ids)).values(published_at=now)
            )
            published += took
        else:
            session.execute(
                update(OutboxEvent)
                .where(col(OutboxEvent.id).in_(ids))
                .values(attempts=col(OutboxEvent.attempts) + 1, last_error=error)
            )
        session.commit()
        if len(rows) < BATCH:
            break
    left = session.exec(
        select(func.count()).select_from(OutboxEvent).where(col(OutboxEvent.published_at).is_(None))
    ).one()
    session.commit()
    session.info.pop(EVENTS_STAGED, None)
    return Publication(published=tuple(published), left=left, error=error)


def post_events(api_url: str, payload: list[dict[str, Any]], *, timeout: float) -> str | None:
    """POST the events to the server's events API; None when it took them, else why not."""
    # the standard library's client: every command that commits loads this module, and httpx
    # alone would add a tenth of a second to each
    request = urllib.request.Request(
        f"{api_url.rstrip('/')}/events",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return f"the Prefect server at {api_url} is not reachable ({type(exc).__name__})"
    if status >= 300:
        return f"the Prefect server at {api_url} answered {status}"
    return None


def register_installation(session: Session) -> str:
    """This register's installation identifier, which every event it publishes carries."""
    identifier = session.exec(select(Installation.identifier)).first()
    if not identifier:
        raise RuntimeError("the register has no installation identifier: isa db upgrade")
    return identifier


def prefect_event(row: OutboxEvent, installation: str) -> dict[str, Any]:
    """The event as Prefect's API takes it: about the resource `isa.<kind>.<reference>`, whose
    `isa.reference` label the deployments' triggers pass to the flow they start, and whose
    `isa.installation` label says which register it came from: the triggers of a register's
    deployments match only its own (a training copy beside the live register on one Prefect
    server starts nothing in the live one)."""
    kind = row.event.split(".")[1]
    return {
        "id": row.event_id,
        "occurred": pendulum.instance(row.occurred_at).in_timezone("UTC").isoformat(),
        "event": row.event,
        "resource": {
            "prefect.resource.id": f"isa.{kind}.{row.reference}",
            "prefect.resource.name": row.reference,
            "isa.reference": row.reference,
            "isa.installation": installation,
        },
        "related": [],
        "payload": {"reference": row.reference, "because": row.cause},
    }
