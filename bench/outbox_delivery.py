"""Benchmark: outbox delivery against the practical limit, a bare aiosmtplib loop.

Queues 5,000 emails through a real use case (a suspension raised with 5,000 partner
signatories), delivers them with `deliver_outbox` to a local aiosmtpd server that only counts,
then sends the same 5,000 messages, already rendered and serialised, with a bare aiosmtplib
loop over one connection. Prints both rates and their ratio (target: 0.8 or more).

    .venv/bin/python bench/outbox_delivery.py [--emails 5000] [--rounds 5]
                                              [--database-url postgresql+psycopg://...]
"""

import argparse
import asyncio
import multiprocessing
import statistics
import tempfile
import time
from typing import Any

import aiosmtplib
import pendulum
from fresh_copy import BENCH_SEAL, result
from sqlalchemy import Engine, func, insert, select, text
from sqlmodel import Session

from core.db import make_engine, upgrade
from core.settings import Settings
from models.enums import ContactRole
from models.tables import Agency, Contact, ContactRoleAssignment
from notifications.delivery import deliver_outbox
from notifications.message import envelope_sender, from_header
from notifications.outbox import outbox, outbox_message
from tasks.protocol.suspensions import raise_suspension

NOW = pendulum.datetime(2026, 11, 25, 10, 0, tz="UTC")
PER_AGENCY = 100


# --- the server: another process, so it does not share our interpreter ------------------------


def _serve(port: Any, count: Any, ready: Any, stop: Any) -> None:
    from aiosmtpd.smtp import SMTP

    class Count:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with count.get_lock():
                count.value += 1
            return "250 2.0.0 Ok"

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: SMTP(Count(), hostname="bench"), "127.0.0.1", 0)
        port.value = server.sockets[0].getsockname()[1]
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.1)
        server.close()

    asyncio.run(main())


# --- the register: 5,000 signatories, then a suspension that emails them all ------------------


def seed(engine: Engine, emails: int) -> None:
    agencies = max(1, emails // PER_AGENCY)
    with engine.begin() as conn:
        conn.execute(
            insert(Agency),
            [
                {
                    "name": f"Agency {a:03d}",
                    "name_key": f"agency {a:03d}",
                    "status": "member",
                    "created_at": NOW,
                }
                for a in range(agencies)
            ],
        )
        ids = dict(conn.execute(select(Agency.name, Agency.id)).all())  # type: ignore[call-overload]
        people = [
            {
                "agency_id": ids[f"Agency {i % agencies:03d}"],
                "email": f"signatory{i}@agency{i % agencies:03d}.example",
                "name": f"Signatory {i}",
                "created_at": NOW,
            }
            for i in range(emails)
        ]
        conn.execute(insert(Contact), people)
        contact_ids = [row[0] for row in conn.execute(select(Contact.id)).all()]
        conn.execute(
            insert(ContactRoleAssignment),
            [{"contact_id": c, "role": ContactRole.SIGNATORY.value} for c in contact_ids],
        )


def queue(engine: Engine) -> int:
    with Session(engine, expire_on_commit=False) as session:
        raise_suspension(
            session,
            agency="Agency 000",
            reason="Benchmark: a laptop holding shared case files was stolen",
            actor="signatory0@agency000.example",
            now=NOW,
        )
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())


def requeue(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            outbox.update().values(
                status="pending",
                attempts=0,
                next_attempt_at=NOW,
                sent_at=None,
                smtp_reply=None,
                claim=None,
            )
        )


# --- the two senders -------------------------------------------------------------------------


async def ours(engine: Engine, settings: Settings) -> tuple[int, float]:
    started = time.perf_counter()
    report = await deliver_outbox(engine, settings, NOW)
    elapsed = time.perf_counter() - started
    if report.sent != report.claimed or report.relay_error:
        raise SystemExit(f"delivery did not send everything: {report}")
    return report.sent, elapsed


def prerendered(engine: Engine, settings: Settings) -> list[tuple[str, bytes]]:
    """The same messages, complete and as bytes, ready for the bare loop."""
    head = from_header(settings.mail_from)
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.recipient, outbox_message.c.message)
            .join(outbox_message, outbox_message.c.outbox_id == outbox.c.id)
            .order_by(outbox.c.id)
        ).all()
    return [(recipient, head + message.encode("utf-8")) for recipient, message in rows]


async def bare(messages: list[tuple[str, bytes]], settings: Settings) -> tuple[int, float]:
    host, port = settings.smtp_relay()
    sender = envelope_sender(settings.mail_from)
    started = time.perf_counter()
    smtp = aiosmtplib.SMTP(hostname=host, port=port, start_tls=False)
    await smtp.connect()
    for recipient, data in messages:
        await smtp.sendmail(sender, [recipient], data)
    await smtp.quit()
    return len(messages), time.perf_counter() - started


def rate(result: tuple[int, float]) -> float:
    sent, seconds = result
    return sent / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    port, count = multiprocessing.Value("i", 0), multiprocessing.Value("i", 0)
    ready, stop = multiprocessing.Event(), multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(port, count, ready, stop), daemon=True)
    server.start()
    ready.wait(10)

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        if args.database_url:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS isa_bench CASCADE"))
                conn.execute(text("CREATE SCHEMA isa_bench"))
            url = f"{args.database_url}?options=-csearch_path%3Disa_bench"
            engine.dispose()
            engine = make_engine(url, audit=BENCH_SEAL)
        else:
            engine = make_engine(url, audit=BENCH_SEAL)
        upgrade(url)
        overrides: dict[str, Any] = {
            "smtp_host": "127.0.0.1",
            "smtp_port": port.value,
            # a relay refuses a From that receives no mail, as the default isa.local
            "mail_from": "Information Sharing Register <isa-register@bench.example>",
        }
        if args.batch_size:
            overrides["outbox_batch_size"] = args.batch_size
        settings = Settings(**overrides)

        seed(engine, args.emails)
        started = time.perf_counter()
        queued = queue(engine)
        queue_seconds = time.perf_counter() - started
        print(
            f"database: {engine.dialect.name}; relay: aiosmtpd (counting) on 127.0.0.1:{port.value}"
        )
        print(f"queued {queued} emails in one use case in {queue_seconds:.2f} s")

        ours_rates, bare_rates, ratios = [], [], []
        messages = prerendered(engine, settings)
        for round_ in range(1, args.rounds + 1):
            # alternate which goes first, so neither always runs on a warmer machine
            if round_ % 2 == 0:
                bare_rates.append(rate(asyncio.run(bare(messages, settings))))
                ours_rates.append(rate(asyncio.run(ours(engine, settings))))
            else:
                ours_rates.append(rate(asyncio.run(ours(engine, settings))))
                bare_rates.append(rate(asyncio.run(bare(messages, settings))))
            requeue(engine)
            ratios.append(ours_rates[-1] / bare_rates[-1])
            print(
                f"round {round_}: deliver_outbox {ours_rates[-1]:5.0f} emails/s   "
                f"bare aiosmtplib loop {bare_rates[-1]:5.0f} emails/s   ratio {ratios[-1]:.2f}"
            )
        engine.dispose()
        if args.database_url:
            admin = make_engine(args.database_url)
            with admin.begin() as conn:
                conn.execute(text("DROP SCHEMA isa_bench CASCADE"))
            admin.dispose()

    stop.set()
    server.join(10)
    expected = 2 * args.rounds * queued
    if count.value != expected:
        raise SystemExit(f"the server counted {count.value} messages, expected {expected}")
    print(f"deliver_outbox (median):       {statistics.median(ours_rates):5.0f} emails/s")
    print(f"bare aiosmtplib loop (median): {statistics.median(bare_rates):5.0f} emails/s")
    print(
        f"ratio (median of rounds): {statistics.median(ratios):.2f}   "
        f"(range {min(ratios):.2f} to {max(ratios):.2f}; target 0.80)"
    )
    result(
        f"outbox delivery, {queued:,} emails",
        f"{statistics.median(ours_rates):.0f} emails/s",
        f"{statistics.median(bare_rates):.0f} emails/s",
        statistics.median(ratios),
        ">= 0.80",
        statistics.median(ratios) >= 0.80,
    )


if __name__ == "__main__":
    main()
