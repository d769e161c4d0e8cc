"""The embedded mail sink: a local aiosmtpd server that stores every message it receives as an
.eml file, so the system runs with no SMTP relay configured (DESIGN §7), plus the threaded
server it runs on, which the tests reuse with a recording handler."""

import asyncio
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from core.files import private_directory, write_private_file

SINK_HOST = "127.0.0.1"
SINK_PORT = 8025


class SMTPServerThread:
    """An aiosmtpd server on its own thread and event loop.

    Port 0 takes a free port (read `.port` after `start`). `go_down` stops listening and drops
    every open connection, as a relay outage would; `come_back` listens again on the same port.
    """

    def __init__(
        self, handler: Any, *, host: str = SINK_HOST, port: int = 0, **smtp_options: Any
    ) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        self.smtp_options = {"hostname": "isa-mailsink", **smtp_options}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._sessions: set[SMTP] = set()

    def _protocol(self) -> SMTP:
        # forget sessions that have ended, so a long-running sink does not keep them all
        self._sessions = {s for s in self._sessions if s.transport is not None}
        smtp = SMTP(self.handler, **self.smtp_options)
        self._sessions.add(smtp)
        return smtp

    async def _listen(self) -> None:
        assert self._loop is not None
        self._server = await self._loop.create_server(
            self._protocol, self.host, self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def halt(self) -> None:
        """Stop listening and cut every connection; call on the server's own loop (a handler)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for smtp in list(self._sessions):
            if isinstance(smtp.transport, asyncio.Transport):
                smtp.transport.abort()
        self._sessions.clear()

    async def _halt(self) -> None:
        self.halt()

    def _call(self, coro: Any, timeout: float = 10.0) -> None:
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def start(self) -> "SMTPServerThread":
        loop = asyncio.new_event_loop()
        self._loop = loop
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._listen())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, name=f"smtpd:{self.port}", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            self._thread.join()
            self._thread = self._loop = None
            raise failure[0]
        return self

    def go_down(self) -> None:
        self._call(self._halt())

    def come_back(self) -> None:
        self._call(self._listen())

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self.go_down()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = self._loop = None

    def __enter__(self) -> "SMTPServerThread":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class EmlDirectory:
    """An aiosmtpd handler that writes each message to `<dir>/<arrival>-<id>.eml`, headed by
    Return-Path and Delivered-To lines as a mailbox would, since the envelope is not otherwise
    in the message."""

    def __init__(self, directory: Path, installation: str | None = None) -> None:
        self.directory = directory
        self.installation = installation

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content
        if content is None:
            raw = envelope.content
            content = raw.encode("utf-8") if isinstance(raw, str) else (raw or b"")
        if self.installation is not None and not _sent_by(content, self.installation):
            # another register on this machine (a training copy) is sending to our port
            return (
                f"550 5.7.1 this mail sink keeps the mail of register {self.installation} only; "
                "give the other register a mail sink of its own (ISA_SMTP_PORT)"
            )
        trace = f"Return-Path: <{envelope.mail_from}>\r\n" + "".join(
            f"Delivered-To: {rcpt}\r\n" for rcpt in envelope.rcpt_tos
        )
        # arrival order sorts by name; the suffix keeps two arrivals in one nanosecond apart
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        await asyncio.to_thread(self._write, name, trace.encode("utf-8") + content)
        return f"250 2.0.0 Ok: stored as {name}"

    def _write(self, name: str, data: bytes) -> None:
        # a message holds breach and suspension details: the directory and file are the owner's
        private_directory(self.directory)
        partial = self.directory / f".{name}.part"
        write_private_file(partial, data)
        # readers never see half a message
        os.replace(partial, self.directory / name)


def _sent_by(content: bytes, installation: str) -> bool:
    """Whether the message's Message-ID is one register `installation` made
    (notifications.message: `<token.INSTALLATION@domain>`)."""
    from email.parser import BytesHeaderParser

    message_id = str(BytesHeaderParser().parsebytes(content).get("Message-ID") or "")
    return f".{installation}@" in message_id


def mail_sink(
    directory: Path,
    *,
    host: str = SINK_HOST,
    port: int = SINK_PORT,
    installation: str | None = None,
) -> SMTPServerThread:
    """The embedded mail sink, not yet started; with `installation`, it takes only the mail of
    that register."""
    return SMTPServerThread(EmlDirectory(directory, installation), host=host, port=port)
