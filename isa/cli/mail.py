"""`isa mailsink` and `isa outbox list|deliver`: the embedded mail sink and the operator's view of
the outbox."""

import json
import signal
import threading
from pathlib import Path
from typing import Annotated

from cyclopts import Parameter
from sqlalchemy import Engine

from isa.cli.apps import Json, at_least
from isa.cli.common import Context, session_scope
from isa.cli.progress import counting, on_terminal
from models.errors import InvalidInput, IsaError
from notifications.delivery import deliver_outbox_sync
from notifications.mailsink import mail_sink
from notifications.publication import publish_pending


def _say(line: str) -> None:
    # this module is part of the command line, like the rest of isa/cli/: its output is the point
    print(line)


def mailsink(
    *,
    dir_: Annotated[Path | None, Parameter(name="--dir")] = None,
    port: int = 8025,
    host: str = "127.0.0.1",
    installation: str | None = None,
) -> None:
    """Run the local SMTP server that stores each message as an .eml file (Ctrl-C stops it).
    With --installation, only the mail of that register (its Message-IDs carry it) is taken;
    another register's is refused, so two registers on one machine keep their mail apart."""
    if not 1 <= port <= 65535:
        raise InvalidInput(f"--port must be 1 to 65535, not {port}")
    if installation is not None and not (
        0 < len(installation) <= 64 and installation.replace("-", "").isalnum()
    ):
        raise InvalidInput(
            f"--installation must be 1 to 64 letters, digits and '-', not {installation!r}"
        )
    ctx = Context()
    directory = dir_ or ctx.settings.mail_dir
    sink = mail_sink(directory, host=host, port=port, installation=installation)
    try:
        sink.start()
    except OSError as exc:
        raise IsaError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    _say(f"mail sink listening on {host}:{sink.port}, storing each message in {directory}/")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        # a timed wait, so Ctrl-C is noticed promptly
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()
    _say("mail sink stopped")


def outbox_deliver(*, limit: int | None = None, json_: Json = False) -> None:
    """Publish the Prefect events still owed, then send the emails that are due now over one
    SMTP connection (ISA_SMTP_*; the mail sink if unset)."""
    at_least("--limit", limit)
    ctx = Context()
    with session_scope(ctx, delivers=True) as session:
        # as a delivery run does: the Prefect events still owed go first
        events = publish_pending(session, api_url=ctx.settings.prefect_api_url, now=ctx.now)
        engine = session.get_bind()
        assert isinstance(engine, Engine)
        with counting(on_terminal(json_), "emails sent") as tick:
            report = deliver_outbox_sync(
                engine,
                ctx.settings,
                ctx.now,
                limit=limit,
                progress=(lambda done: tick("delivering the outbox", done.sent)) if tick else None,
            )
    if json_:
        _say(json.dumps({**report.as_dict(), "events": events.as_dict()}))
    else:
        _say(
            f"sent {report.sent}, to retry {report.retrying}, failed {report.failed}"
            + (f", not tried {report.released}" if report.released else "")
        )
        if events.published or events.left:
            _say(
                f"Prefect events published {len(events.published)}, waiting {events.left}"
                + (f" ({events.error})" if events.error else "")
            )
    if report.relay_error is not None:
        raise IsaError(f"{report.relay_error}; the emails not sent stay queued")
