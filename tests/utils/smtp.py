"""A real SMTP server for tests, after aiosmtplib's own tests/smtpd.py: aiosmtpd on a free port,
recording every message it accepts, and told when to refuse a recipient or to go down."""

import email
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from notifications.mailsink import SMTPServerThread


@dataclass
class Received:
    """One message the server accepted: the envelope and the message as sent."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Recorder:
    """The aiosmtpd handler: accepts and records, unless told otherwise."""

    received: list[Received] = field(default_factory=list)
    # recipient -> the reply its RCPT gets instead of 250, e.g. "550 5.1.1 no such mailbox"
    refuse: dict[str, str] = field(default_factory=dict)
    # go down (stop listening, cut connections) at the MAIL of the message after this many
    go_down_after: int | None = None
    server: "SMTPServerThread | None" = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.go_down_after is not None and len(self.received) >= self.go_down_after:
            assert self.server is not None
            self.go_down_after = None
            self.server.halt()
            return "421 4.3.2 going down"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.original_content or b""
        with self.lock:
            self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), data))
            number = len(self.received)
        return f"250 2.0.0 Ok: queued as {number}"

    def message_ids(self) -> Counter[str]:
        with self.lock:
            return Counter(r.message_id for r in self.received)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


@dataclass
class SMTPServer:
    """The running server: where it listens, what it recorded, and switches for outages."""

    thread: SMTPServerThread
    recorder: Recorder

    @property
    def host(self) -> str:
        return self.thread.host

    @property
    def port(self) -> int:
        return self.thread.port

    @property
    def received(self) -> list[Received]:
        return self.recorder.received

    def go_down(self) -> None:
        self.thread.go_down()

    def come_back(self) -> None:
        self.thread.come_back()

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Settings keyword arguments that point delivery at this server."""
        return {"smtp_host": self.host, "smtp_port": self.port, **overrides}


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A real aiosmtpd server on a free port of 127.0.0.1, stopped after the test."""
    recorder = Recorder()
    thread = SMTPServerThread(recorder, port=0)
    recorder.server = thread
    thread.start()
    try:
        yield SMTPServer(thread, recorder)
    finally:
        thread.stop()
