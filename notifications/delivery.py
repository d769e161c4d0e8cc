"""Sending the outbox: claim due rows in a short transaction (`FOR UPDATE SKIP LOCKED` on
PostgreSQL, a conditional UPDATE under SQLite's write lock), send them over one reused SMTP
connection, and record each outcome, so several deliverers never send the same row and an
outage loses nothing (DESIGN §6, §8).

The guarantee: each email is queued exactly once and delivered at least once. A deliverer that
dies after the relay accepted a message but before recording it leaves the row `sending`; once
its claim lapses the row is sent again with the same Message-ID, so the duplicate can be
recognised.

A claim lasts a short lease, and a live deliverer renews it every heartbeat for every row it
still holds, so a slow one keeps its rows however long the relay takes, while a dead one's rows
are due again within one lease of its last renewal rather than after a lease long enough to
outlast any run.
"""

import asyncio
import concurrent.futures
import logging
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import aiosmtplib
from sqlalchemy import Connection, Engine, bindparam, case, or_, select, text, true
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from core.db import WRITE_TRANSACTION
from core.settings import Settings
from models.types import UTCDateTime
from notifications.links import VOID_SUPERSEDED
from notifications.message import envelope_sender, from_header
from notifications.outbox import outbox, outbox_message
from notifications.tables import OutboxStatus

SessionSource = Engine | Callable[[], Session]

logger = logging.getLogger(__name__)

_CLAIMED_COLUMNS = (
    outbox.c.id,
    outbox.c.recipient,
    outbox.c.message_id,
    outbox.c.attempts,
)


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    claimed: int = 0
    sent: int = 0
    # back to pending after a temporary failure, to be tried again after a backoff
    retrying: int = 0
    failed: int = 0
    # claimed but not tried because the relay could not be reached: pending again, no attempt
    released: int = 0
    relay_error: str | None = None
    message_ids: list[str] = field(default_factory=list, repr=False)

    def as_dict(self) -> dict[str, Any]:
        summary = asdict(self)
        summary.pop("message_ids")
        return summary


@dataclass(frozen=True)
class _Outcome:
    """How one claimed row ends this run; becomes one parameter set of the recording UPDATE."""

    row_id: int
    status: OutboxStatus
    tried: int
    next_attempt_at: datetime
    error: str | None = None
    reply: str | None = None
    sent_at: datetime | None = None

    def params(self, claim: str) -> dict[str, Any]:
        return {
            "b_id": self.row_id,
            "b_claim": claim,
            "b_status": self.status.value,
            "b_tried": self.tried,
            "b_next": self.next_attempt_at,
            "b_error": self.error,
            "b_reply": self.reply,
            "b_sent_at": self.sent_at,
        }


class _Clock:
    """The run's `now`, moving on with real time, so a replayed run (ISA_NOW) keeps its date
    while sent_at and backoffs still tell the rows of a long run apart. Plain datetimes: it is
    read for every message, and pendulum's arithmetic costs ten times as much."""

    def __init__(self, start: datetime) -> None:
        self.start = datetime.fromtimestamp(start.timestamp(), UTC)
        self.began = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.began)


# --- the database side -------------------------------------------------------------------------


@contextmanager
def _write_transaction(db: SessionSource) -> Iterator[Connection]:
    """A short transaction that takes SQLite's write lock at BEGIN (PostgreSQL: plain BEGIN)."""
    if isinstance(db, Engine):
        with db.connect() as conn:
            conn.execution_options(**{WRITE_TRANSACTION: True})
            with conn.begin():
                yield conn
        return
    with db() as session:
        yield session.connection(execution_options={WRITE_TRANSACTION: True})
        session.commit()


def _due(now: datetime) -> Any:
    # Pending rows whose time has come, and rows claimed by a deliverer whose claim has lapsed
    # (it crashed or hung): for those `next_attempt_at` holds the claim's expiry.
    return (
        or_(
            outbox.c.status == OutboxStatus.PENDING.value,
            outbox.c.status == OutboxStatus.SENDING.value,
        )
    ) & (outbox.c.next_attempt_at <= now)


def claim_due(
    db: SessionSource,
    *,
    now: datetime,
    lease: timedelta,
    claim: str,
    limit: int,
    recipient: str | None = None,
) -> list[dict[str, Any]]:
    """Mark up to `limit` due rows (only those to `recipient`, if given) as `sending` under
    `claim` (a token naming this batch) and return them, oldest first, with their messages.

    On PostgreSQL the inner SELECT locks the rows it picks and skips rows another deliverer has
    locked; on SQLite the transaction holds the database's write lock. Either way the UPDATE
    repeats the due condition, so a row is only ever claimed by one deliverer at a time.
    """
    # Picked once, as a CTE PostgreSQL must materialise: as a plain `IN (subquery)` the planner
    # may rescan the subquery for each row it updates, each rescan skipping the rows the UPDATE
    # has just changed and locking the next ones, so one claim took more than `limit` rows.
    pick = (
        select(outbox.c.id)
        .where(_due(now))
        .where(outbox.c.recipient == recipient if recipient is not None else true())
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("pick")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    stmt = (
        outbox.update()
        .where(outbox.c.id.in_(select(pick.c.id)))
        .where(_due(now))
        .values(
            status=OutboxStatus.SENDING.value,
            claim=claim,
            claimed_at=now,
            next_attempt_at=now + lease,
            # a lapsed claim was an attempt whose outcome nobody recorded: count it
            attempts=outbox.c.attempts
            + case((outbox.c.status == OutboxStatus.SENDING.value, 1), else_=0),
        )
    )
    # Read back by the claim, which names this batch alone: the same statement every time, so
    # it is compiled and prepared once, where a list of ids would make a new one per batch.
    claimed = (
        select(*_CLAIMED_COLUMNS, outbox_message.c.message)
        .join(outbox_message, outbox_message.c.outbox_id == outbox.c.id)
        .where(outbox.c.claim == claim)
        .order_by(outbox.c.id)
    )
    with _write_transaction(db) as conn:
        conn.execute(stmt)
        rows = [dict(row) for row in conn.execute(claimed).mappings()]
    return rows


_RENEW = (
    outbox.update()
    # Only while the claim is ours, so another deliverer's rows are never extended, and only
    # while it has not lapsed: once it has, another deliverer may have taken some of its rows
    # (a claim takes at most its batch size, so not necessarily all), and renewing the rest
    # would let this run carry on through the batch and send those again.
    .where(outbox.c.claim == bindparam("r_claim"))
    .where(outbox.c.next_attempt_at > bindparam("r_now", type_=UTCDateTime()))
    .values(next_attempt_at=bindparam("r_until", type_=UTCDateTime()))
)


def renew_claims(
    db: SessionSource, *, claims: Sequence[str], now: datetime, until: datetime
) -> set[str]:
    """Extend to `until` the lease of each claim in `claims` that still holds rows and has not
    lapsed by `now`; return the claims renewed."""
    renewed: set[str] = set()
    with _write_transaction(db) as conn:
        for claim in claims:
            if conn.execute(_RENEW, {"r_claim": claim, "r_now": now, "r_until": until}).rowcount:
                renewed.add(claim)
    return renewed


_RECORD = (
    outbox.update()
    # Only while the row is still ours: if our claim lapsed and another deliverer took the row,
    # its record wins.
    .where(outbox.c.id == bindparam("b_id"))
    .where(outbox.c.claim == bindparam("b_claim"))
    .values(
        status=bindparam("b_status"),
        attempts=outbox.c.attempts + bindparam("b_tried"),
        next_attempt_at=bindparam("b_next", type_=UTCDateTime()),
        last_error=bindparam("b_error"),
        smtp_reply=bindparam("b_reply"),
        sent_at=bindparam("b_sent_at", type_=UTCDateTime()),
        claim=None,
    )
)


# PostgreSQL: the whole batch in one statement, its values passed as arrays, which costs a
# fraction of an executemany's per-row work (the benchmark's delivery rate depends on it).
_RECORD_POSTGRES = text(
    """
    UPDATE outbox SET
        status = v.status,
        attempts = outbox.attempts + v.tried,
        next_attempt_at = v.next_attempt_at,
        last_error = v.error,
        smtp_reply = v.reply,
        sent_at = v.sent_at,
        claim = NULL
    FROM unnest(
        CAST(:ids AS integer[]), CAST(:statuses AS text[]), CAST(:tried AS integer[]),
        CAST(:next AS timestamptz[]), CAST(:errors AS text[]), CAST(:replies AS text[]),
        CAST(:sent AS timestamptz[])
    ) AS v(id, status, tried, next_attempt_at, error, reply, sent_at)
    WHERE outbox.id = v.id AND outbox.claim = :claim
    """
)


def record_outcomes(db: SessionSource, claim: str, outcomes: Sequence[_Outcome]) -> None:
    """Write a batch's outcomes in one transaction."""
    if not outcomes:
        return
    with _write_transaction(db) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                _RECORD_POSTGRES,
                {
                    "claim": claim,
                    "ids": [o.row_id for o in outcomes],
                    "statuses": [o.status.value for o in outcomes],
                    "tried": [o.tried for o in outcomes],
                    "next": [o.next_attempt_at for o in outcomes],
                    "errors": [o.error for o in outcomes],
                    "replies": [o.reply for o in outcomes],
                    "sent": [o.sent_at for o in outcomes],
                },
            )
        else:
            conn.execute(_RECORD, [outcome.params(claim) for outcome in outcomes])
        # in the same transaction: the links the sent emails carry now void the older ones
        # their recipients held (until now those still worked)
        sent = [o for o in outcomes if o.status is OutboxStatus.SENT and o.sent_at is not None]
        if sent:
            conn.execute(
                VOID_SUPERSEDED,
                {"ids": [o.row_id for o in sent], "at": max(o.sent_at for o in sent if o.sent_at)},
            )


# --- the SMTP side -----------------------------------------------------------------------------

Verdict = Literal["retry", "failed"]


class RelayUnavailable(Exception):
    """The relay could not be reached or would not let us in; nothing was offered to it."""


def _reply_text(code: int, message: str) -> str:
    return f"{code} {' '.join(message.split())}".strip()


@dataclass(frozen=True)
class Failure:
    """What went wrong sending one message, and what to do about it."""

    verdict: Verdict
    text: str
    # the server answered (so `text` is its reply), rather than the connection failing
    replied: bool
    # the connection cannot be used for the next message
    dropped: bool


def classify(exc: Exception) -> Failure:
    """5xx is permanent: the row fails with the reply. 4xx, a dropped connection and a timeout
    are temporary: the row is tried again later."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        refused = exc.recipients[0]
        verdict: Verdict = "failed" if refused.code >= 500 else "retry"
        return Failure(verdict, _reply_text(refused.code, refused.message), True, False)
    if isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code > 0:
        verdict = "failed" if exc.code >= 500 else "retry"
        # 421: the server is closing the connection
        return Failure(verdict, _reply_text(exc.code, exc.message), True, exc.code == 421)
    if isinstance(exc, aiosmtplib.SMTPException | ConnectionError | TimeoutError | OSError):
        return Failure("retry", f"{type(exc).__name__}: {exc}", False, True)
    raise exc


class Relay:
    """One SMTP connection, opened when first needed and reused for every message."""

    def __init__(self, settings: Settings) -> None:
        self.host, self.port = settings.smtp_relay()
        self.settings = settings
        self.smtp: aiosmtplib.SMTP | None = None

    def where(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def connected(self) -> bool:
        return self.smtp is not None and self.smtp.is_connected

    async def connect(self) -> None:
        s = self.settings
        password = s.smtp_password.get_secret_value() if s.smtp_password else None
        smtp = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=s.smtp_username or None,
            password=password,
            use_tls=s.smtp_security == "tls",
            # False, not None: None would upgrade opportunistically when the server offers it
            start_tls=s.smtp_security == "starttls",
            timeout=s.smtp_timeout_seconds,
        )
        try:
            await smtp.connect()
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError, OSError) as exc:
            smtp.close()
            raise RelayUnavailable(f"cannot reach the SMTP relay at {self.where()}: {exc}") from exc
        except aiosmtplib.SMTPException as exc:
            # refused our greeting, login or STARTTLS: a setting to fix, not a message to retry
            smtp.close()
            raise RelayUnavailable(f"the SMTP relay at {self.where()} refused us: {exc}") from exc
        self.smtp = smtp

    async def send(self, sender: str, recipient: str, data: bytes) -> str:
        assert self.smtp is not None
        # one recipient per message, so a refusal belongs to exactly one outbox row
        _, reply = await self.smtp.sendmail(sender, [recipient], data)
        return _reply_text(250, reply)

    async def close(self) -> None:
        if self.smtp is None:
            return
        smtp, self.smtp = self.smtp, None
        if smtp.is_connected:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                smtp.close()


def backoff(attempts: int, settings: Settings, rng: random.Random) -> timedelta:
    """Exponential in the attempts made, capped, with jitter so retries do not arrive together:
    between half and all of base * 2^(attempts-1)."""
    ceiling = min(
        settings.outbox_backoff_max_seconds,
        settings.outbox_backoff_base_seconds * 2 ** max(0, attempts - 1),
    )
    return timedelta(seconds=ceiling * (0.5 + 0.5 * rng.random()))


# --- the run -----------------------------------------------------------------------------------


async def deliver_outbox(
    db: SessionSource,
    settings: Settings,
    now: datetime,
    *,
    limit: int | None = None,
    rng: random.Random | None = None,
    progress: Callable[[DeliveryReport], None] | None = None,
    recipient: str | None = None,
) -> DeliveryReport:
    """Send every due outbox row (or the first `limit`; only those to `recipient`, if given:
    the portal sends a sign-in link at once), batch by batch, over one connection; `progress`
    is told the report so far after each batch is recorded.

    Returns what happened. A relay that cannot be reached is reported in `relay_error`: the rows
    claimed are released untouched (no attempt is counted) and stay due for the next run.
    """
    run = _Run(db, settings, now, limit, rng or random.Random())
    run.progress = progress
    run.recipient = recipient
    return await run.run()


@dataclass
class _Batch:
    # the claim token the rows were marked with, this run's id and the batch's number
    claim: str
    rows: list[dict[str, Any]]
    # past this another deliverer may take the rows over; moved on by each renewal
    expires: datetime


class _Run:
    """One delivery run: its claim, its clock, its connection and what it has done so far."""

    def __init__(
        self,
        db: SessionSource,
        settings: Settings,
        now: datetime,
        limit: int | None,
        rng: random.Random,
    ) -> None:
        self.db = db
        self.settings = settings
        self.limit = limit
        self.rng = rng
        self.clock = _Clock(now)
        self.run_id = uuid.uuid4().hex
        self.batches = 0
        self.lease = timedelta(seconds=settings.outbox_lease_seconds)
        # every batch claimed and not yet recorded, by claim: what the heartbeat renews
        self.held: dict[str, _Batch] = {}
        self.sender = envelope_sender(settings.mail_from)
        self.head = from_header(settings.mail_from)
        self.relay = Relay(settings)
        self.report = DeliveryReport()
        self.released_ids: set[int] = set()
        # a batch claimed while the one before found the relay unreachable may take again the
        # rows that one has just given back: each row counts once as claimed
        self.claimed_ids: set[int] = set()
        self.progress: Callable[[DeliveryReport], None] | None = None
        self.recipient: str | None = None

    async def run(self) -> DeliveryReport:
        stop = asyncio.Event()
        heartbeat = asyncio.create_task(self._keep_claims(stop))
        try:
            return await self._deliver()
        finally:
            # only once every batch is recorded: a row is held until its outcome is written
            stop.set()
            await heartbeat

    async def _deliver(self) -> DeliveryReport:
        upcoming: asyncio.Task[_Batch | None] | None = None
        recording: asyncio.Task[None] | None = None
        try:
            batch = await self._claim()
            while batch is not None:
                # The database work overlaps the sending: the next batch is claimed, and the
                # last one recorded, while this one goes out.
                upcoming = asyncio.create_task(self._claim())
                outcomes = await self._send(batch)
                if recording is not None:
                    await recording
                recording = asyncio.create_task(self._record(batch, outcomes))
                batch, upcoming = await upcoming, None
                if batch is not None and self.report.relay_error is not None:
                    await recording
                    released = self._release(batch.rows)
                    recording = asyncio.create_task(self._record(batch, released))
                    batch = None
        finally:
            if upcoming is not None:
                # an unexpected error while sending: give back the batch claimed meanwhile
                left = await upcoming
                if left is not None:
                    await self._record(left, self._release(left.rows))
            if recording is not None:
                await recording
            await self.relay.close()
        return self.report

    async def _claim(self) -> _Batch | None:
        size = self.settings.outbox_batch_size
        if self.limit is not None:
            size = min(size, self.limit - self.report.claimed)
            if size <= 0:
                return None
        at = self.clock()
        self.batches += 1
        claim = f"{self.run_id}.{self.batches}"
        rows = await asyncio.to_thread(
            claim_due,
            self.db,
            now=at,
            lease=self.lease,
            claim=claim,
            limit=size,
            recipient=self.recipient,
        )
        if not rows:
            return None
        self.claimed_ids.update(row["id"] for row in rows)
        self.report.claimed = len(self.claimed_ids)
        batch = _Batch(claim, rows, at + self.lease)
        self.held[claim] = batch
        return batch

    async def _record(self, batch: _Batch, outcomes: Sequence[_Outcome]) -> None:
        await asyncio.to_thread(record_outcomes, self.db, batch.claim, outcomes)
        del self.held[batch.claim]
        if self.progress is not None:
            self.progress(self.report)

    async def _keep_claims(self, stop: asyncio.Event) -> None:
        """Renew the claims this run holds every heartbeat, until the run is over."""
        while True:
            try:
                await asyncio.wait_for(stop.wait(), self.settings.outbox_heartbeat_seconds)
                return
            except TimeoutError:
                await self._renew()

    async def _renew(self) -> None:
        held = list(self.held.values())
        if not held:
            return
        at = self.clock()
        until = at + self.lease
        claims = [batch.claim for batch in held]
        try:
            renewed = await asyncio.to_thread(
                renew_claims, self.db, claims=claims, now=at, until=until
            )
        except SQLAlchemyError as exc:
            # Try again at the next beat. Until one succeeds the expiries stand, so if none does
            # `_send` stops at them and leaves the rows to whoever takes them over.
            logger.warning("could not renew the outbox claims %s: %s", claims, exc)
            return
        for batch in held:
            if batch.claim in renewed:
                batch.expires = until

    def _release(self, rows: Sequence[dict[str, Any]]) -> list[_Outcome]:
        """Rows claimed but not tried: due again at once (they were due when this run began),
        with no attempt counted."""
        why = self.report.relay_error or "not tried before this deliverer's claim lapsed"
        # Counted once each: the next batch is claimed while this one is sent, so a row released
        # when the relay fails can be claimed again by that claim, and released again.
        self.released_ids.update(row["id"] for row in rows)
        self.report.released = len(self.released_ids)
        return [
            _Outcome(row["id"], OutboxStatus.PENDING, 0, self.clock.start, f"not tried: {why}")
            for row in rows
        ]

    async def _connected(self) -> bool:
        if self.relay.connected:
            return True
        try:
            await self.relay.connect()
        except RelayUnavailable as exc:
            self.report.relay_error = str(exc)
            return False
        return True

    async def _send(self, batch: _Batch) -> list[_Outcome]:
        outcomes: list[_Outcome] = []
        report = self.report
        for index, row in enumerate(batch.rows):
            at = self.clock()
            # Past our claim (the last renewal's expiry) another deliverer may already have the
            # row: leave the rest to it.
            if at >= batch.expires or not await self._connected():
                outcomes.extend(self._release(batch.rows[index:]))
                break
            if row["attempts"] >= self.settings.outbox_max_attempts:
                # claims kept lapsing with no outcome (a deliverer dying on this very row?)
                error = f"gave up after {row['attempts']} attempts whose outcome was not recorded"
                outcomes.append(_Outcome(row["id"], OutboxStatus.FAILED, 0, at, error))
                report.failed += 1
                continue
            data = self.head + row["message"].encode("utf-8")
            try:
                reply = await self.relay.send(self.sender, row["recipient"], data)
            except Exception as exc:
                failure = classify(exc)
                if failure.dropped:
                    await self.relay.close()
                outcomes.append(_after_failure(row, failure, at, self.settings, self.rng))
                if outcomes[-1].status == OutboxStatus.PENDING:
                    report.retrying += 1
                else:
                    report.failed += 1
                continue
            outcomes.append(_Outcome(row["id"], OutboxStatus.SENT, 1, at, reply=reply, sent_at=at))
            report.sent += 1
            report.message_ids.append(row["message_id"])
        return outcomes


def _after_failure(
    row: dict[str, Any],
    failure: Failure,
    at: datetime,
    settings: Settings,
    rng: random.Random,
) -> _Outcome:
    tried = row["attempts"] + 1
    reply = failure.text if failure.replied else None
    if failure.verdict == "retry" and tried < settings.outbox_max_attempts:
        wait = backoff(tried, settings, rng)
        return _Outcome(row["id"], OutboxStatus.PENDING, 1, at + wait, failure.text, reply)
    error = failure.text
    if failure.verdict == "retry":
        error = f"gave up after {tried} attempts; the last: {failure.text}"
    return _Outcome(row["id"], OutboxStatus.FAILED, 1, at, error, reply)


def deliver_outbox_sync(
    db: SessionSource,
    settings: Settings,
    now: datetime,
    *,
    limit: int | None = None,
    rng: random.Random | None = None,
    progress: Callable[[DeliveryReport], None] | None = None,
    recipient: str | None = None,
) -> DeliveryReport:
    """`deliver_outbox` for callers without an event loop (the CLI, a Prefect task). Called from
    inside a running loop, it runs in a worker thread with its own loop instead."""

    def run() -> DeliveryReport:
        return asyncio.run(
            deliver_outbox(
                db, settings, now, limit=limit, rng=rng, progress=progress, recipient=recipient
            )
        )

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
