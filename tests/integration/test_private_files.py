"""Files only their owner can read: what the register writes to disk (its directory, the SQLite
database and its -wal and -shm files, the audit key, checkpoints, every .eml the mail sink
stores, the logs of `isa up`) is created 0700/0600 even under a umask that would allow anyone."""

import os
import sqlite3
import stat
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtplib import SMTP

from isa.up import Supervisor
from notifications.mailsink import mail_sink
from tests.integration.conftest import COUNCIL, NOW


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_the_register_s_files_are_its_owner_s_alone_whatever_the_umask(
    isa, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_umask: None
) -> None:
    # the embedded default, from nothing: the database, its key and checkpoints under ./var
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ISA_DATABASE_URL", "sqlite:///var/isa.db")
    monkeypatch.delenv("ISA_AUDIT_KEY")
    monkeypatch.setenv("ISA_NOW", NOW)
    sink = mail_sink(tmp_path / "var" / "mail", port=0)
    sink.start()
    try:
        monkeypatch.setenv("ISA_SMTP_PORT", str(sink.port))
        assert isa("db", "upgrade").code == 0
        assert isa("agency", "add", COUNCIL).code == 0
        assert isa("chair", "add", "chair@group.example", "--name", "Chris Chair").code == 0
        checkpoint = isa("audit", "checkpoint")
        assert checkpoint.code == 0, checkpoint.err
    finally:
        sink.stop()
    var = tmp_path / "var"
    (eml,) = (var / "mail").glob("*.eml")
    (kept,) = (var / "checkpoints").glob("*.json")
    assert {
        str(p.relative_to(tmp_path)): _mode(p) for p in (var, var / "mail", var / "checkpoints")
    } == {
        "var": 0o700,
        "var/mail": 0o700,
        "var/checkpoints": 0o700,
    }
    files = (var / "isa.db", var / "audit.key", kept, eml)
    assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
    # SQLite gives the write-ahead log and the shared memory file the database's own mode
    conn = sqlite3.connect(var / "isa.db")
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE scratch (x)")
        conn.commit()
        side = [var / "isa.db-wal", var / "isa.db-shm"]
        assert {p.name: _mode(p) for p in side} == {p.name: 0o600 for p in side}
    finally:
        conn.close()


def test_the_mail_sink_keeps_each_message_private_in_a_directory_it_creates(
    tmp_path: Path, open_umask: None
) -> None:
    directory = tmp_path / "deep" / "mail"
    sink = mail_sink(directory, port=0)
    sink.start()
    try:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@x.example", "b@y.example", "S"
        message.set_content("suspension details")

        async def send() -> None:
            async with SMTP(hostname="127.0.0.1", port=sink.port) as smtp:
                await smtp.send_message(message)

        import asyncio

        asyncio.run(send())
    finally:
        sink.stop()
    (eml,) = directory.glob("*.eml")
    assert (_mode(tmp_path / "deep"), _mode(directory), _mode(eml)) == (0o700, 0o700, 0o600)
    assert b"suspension details" in eml.read_bytes()


def test_isa_up_writes_its_children_s_logs_for_its_owner_only(
    tmp_path: Path, open_umask: None
) -> None:
    supervisor = Supervisor(tmp_path)
    process = supervisor.start("echo", ["echo", "started"], dict(os.environ))
    assert process.wait(timeout=30) == 0
    log = tmp_path / "echo.log"
    assert _mode(log) == 0o600 and log.read_text() == "started\n"
