"""The event outbox: a change's Prefect events are rows written in its own transaction, published
after the commit to a real HTTP events endpoint, marked once it took them, kept (with why) while
it is down, and published again under the same event id."""

from collections.abc import Iterator

import pendulum
import pytest
from sqlmodel import Session, select

from core.db import EVENTS_STAGED, RUN_DELIVERS
from models.errors import Refused
from models.tables import Installation
from notifications.publication import publish_pending
from notifications.tables import OutboxEvent
from tasks.protocol.register import add_chair
from tasks.protocol.suspensions import end_suspension, raise_suspension
from tasks.protocol.withdrawals import withdraw_agency
from tests.conftest import Database
from tests.utils.events_endpoint import EventsEndpoint
from tests.utils.factories import POLICE, TRUST, People, active
from tests.utils.ports import NO_PREFECT

SUS = "SUS-2026-0001"
WDR = "WDR-2026-0001"


@pytest.fixture
def endpoint() -> Iterator[EventsEndpoint]:
    served = EventsEndpoint()
    yield served
    served.server.shutdown()


@pytest.fixture
def matters_only(session: Session) -> None:
    """The session of a run that sends its own emails: only the matters' events are staged
    (the `isa.outbox.queued` beside them has its own tests above)."""
    session.info[RUN_DELIVERS] = True


def _rows(session: Session) -> list[OutboxEvent]:
    session.expire_all()
    rows = list(session.exec(select(OutboxEvent).order_by(OutboxEvent.id)).all())  # type: ignore[arg-type]
    session.commit()
    return rows


def test_raising_a_matter_writes_its_event_in_the_same_transaction_and_a_refusal_writes_none(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    withdraw_agency(
        session,
        agency=POLICE,
        reason="Merged",
        actor=people.signatory[POLICE],
        now=now,
        effective_on=now.add(days=40).date(),
    )
    assert session.info[EVENTS_STAGED] is True
    queued = {
        ref: db.count("outbox", f"subject_ref = '{ref}' AND status = 'pending'")
        for ref in (SUS, WDR)
    }
    assert all(queued.values()), queued
    # each change's own event: the flow it starts sends the emails it queued, so neither asks
    # for a delivery run of its own
    assert [(r.event, r.cause, r.reference, r.published_at) for r in _rows(session)] == [
        ("isa.suspension.raised", "suspension.raised", SUS, None),
        ("isa.withdrawal.raised", "withdrawal.noticed", WDR, None),
    ]
    # refused (a second suspension): no event row, beside the refusal's audit event
    with pytest.raises(Refused):
        raise_suspension(
            session, agency=TRUST, reason="Again", actor=people.signatory[TRUST], now=now
        )
    assert db.count("event_outbox") == 2
    # a change refused publishes nothing
    with pytest.raises(Refused):
        end_suspension(session, suspension=SUS, actor="system:prefect", now=now)
    assert db.count("event_outbox") == 2


def test_a_change_that_queues_emails_and_starts_no_flow_asks_for_their_delivery(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    """The last sign-off makes the arrangement active and tells every party; no flow starts, so
    the change publishes `isa.outbox.queued` about its arrangement, which starts delivery."""
    ref = active(session, people, now)
    asked = [(r.cause, r.reference) for r in _rows(session) if r.event == "isa.outbox.queued"]
    told = db.count("outbox", f"event = 'arrangement.activated' AND subject_ref = '{ref}'")
    assert told > 0, told
    assert (f"{told} emails queued", ref) in asked, asked
    # the submission started the approval flow, which sends the approval requests itself
    submitted = [r for r in _rows(session) if r.event == "isa.arrangement.submitted"]
    assert len(submitted) == 1


def test_a_flow_runs_changes_start_no_delivery_run_for_it_sends_its_own_emails(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    """In a flow run's session (tasks/runtime.py) the run's last task sends what it queued: its
    changes publish the events that start other flows, not `isa.outbox.queued`."""
    session.info[RUN_DELIVERS] = True
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    assert db.count("outbox", f"subject_ref = '{SUS}'") > 0
    assert [(r.event, r.reference) for r in _rows(session)] == [("isa.suspension.raised", SUS)]
    # and a change that queues nothing publishes nothing, in any session
    session.info.pop(RUN_DELIVERS)
    before = db.count("event_outbox")
    add_chair(session, email="vice@group.example", name="Vic Chair", actor="cli:test", now=now)
    assert db.count("event_outbox") == before


@pytest.mark.usefixtures("matters_only")
def test_publishing_marks_what_the_server_took_and_keeps_the_rest_with_why(
    db: Database,
    session: Session,
    people: People,
    now: pendulum.DateTime,
    endpoint: EventsEndpoint,
) -> None:
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    # the server is down: nothing is marked, the row says why and how often it was tried
    down = publish_pending(session, api_url=NO_PREFECT, now=now, timeout=1)
    assert down.published == () and down.left == 1
    assert down.error is not None and "not reachable" in down.error
    (row,) = _rows(session)
    assert (row.published_at, row.attempts) == (None, 1) and "not reachable" in str(row.last_error)
    # it answers, but refuses: still kept
    endpoint.status = 503
    refused = publish_pending(session, api_url=endpoint.url, now=now)
    assert (
        refused.left == 1 and refused.error == f"the Prefect server at {endpoint.url} answered 503"
    )
    # it takes it: marked published, and the event names the suspension and the register as
    # the trigger reads them
    endpoint.status = 204
    later = now.add(minutes=5)
    took = publish_pending(session, api_url=endpoint.url, now=later)
    assert took.published == (("isa.suspension.raised", SUS),) and took.left == 0
    assert took.took("isa.suspension.raised", SUS)
    first, second = endpoint.events()
    # a republish carries the id the server saw first, so its trigger fires once
    assert first["id"] == second["id"] == row.event_id
    assert second["event"] == "isa.suspension.raised"
    assert second["resource"] == {
        "prefect.resource.id": f"isa.suspension.{SUS}",
        "prefect.resource.name": SUS,
        "isa.reference": SUS,
        "isa.installation": session.exec(select(Installation.identifier)).one(),
    }
    (row,) = _rows(session)
    assert pendulum.instance(row.published_at) == later and row.attempts == 2
    # nothing is left to publish: nothing is posted again
    assert publish_pending(session, api_url=endpoint.url, now=later).published == ()
    assert len(endpoint.events()) == 2


@pytest.mark.usefixtures("matters_only")
def test_a_withdrawal_that_ends_a_suspension_settles_it_and_ends_its_arrangements(
    db: Database, session: Session, people: People, now: pendulum.DateTime
) -> None:
    ref = active(session, people, now)
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    withdraw_agency(session, agency=TRUST, reason="Leaving", actor=people.signatory[TRUST], now=now)
    assert [(r.event, r.reference) for r in _rows(session)] == [
        # its submission started the approval flow, its activation that flow again (to cancel
        # the sign-off checks left)
        ("isa.arrangement.submitted", ref),
        ("isa.arrangement.approval_settled", ref),
        ("isa.suspension.raised", SUS),
        ("isa.withdrawal.raised", WDR),
        ("isa.arrangement.ended", ref),
        ("isa.suspension.settled", SUS),
    ]


@pytest.mark.usefixtures("matters_only")
def test_isa_up_publishes_what_was_raised_while_the_server_was_down(
    db: Database,
    session: Session,
    people: People,
    now: pendulum.DateTime,
    endpoint: EventsEndpoint,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from core.settings import Settings
    from isa.up import publish_leftovers

    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)
    monkeypatch.setenv("ISA_DATABASE_URL", db.url)
    monkeypatch.setenv("ISA_PREFECT_API_URL", endpoint.url)
    published = publish_leftovers(Settings())
    assert published.published == (("isa.suspension.raised", SUS),)
    assert [event["resource"]["isa.reference"] for event in endpoint.events()] == [SUS]
    assert db.count("event_outbox", "published_at IS NULL") == 0


@pytest.mark.usefixtures("matters_only")
def test_publishing_waits_for_the_flow_its_post_starts_to_write_first(
    db: Database, session: Session, people: People, now: pendulum.DateTime, endpoint: EventsEndpoint
) -> None:
    """Seen in `isa up` on SQLite: the POST starts the suspension flow, which writes the register
    before the server answers; the publisher, still holding the read it chose the rows in, could
    not then mark them ("database is locked"), and `isa suspend` failed after its commit."""
    raise_suspension(session, agency=TRUST, reason="Breach", actor=people.signatory[TRUST], now=now)

    def the_flow_writes() -> None:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE suspension SET reason = 'Breach, as the flow read it'")

    endpoint.on_post = the_flow_writes
    done = publish_pending(session, api_url=endpoint.url, now=now)
    assert done.error is None and done.published == (("isa.suspension.raised", SUS),)
    assert db.count("event_outbox", "published_at IS NULL") == 0
