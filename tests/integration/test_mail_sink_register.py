"""A mail sink started by `isa up` keeps its own register's mail only: a second register on the
same machine (a training copy) sending to its port is refused in one line naming why, and
nothing of it is stored."""

import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest

from notifications.mailsink import mail_sink

OURS = "K7QX2MZ4ABCD3EFG"


def _message(installation: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "register@isa.example"
    message["To"] = "dpo@trust.example"
    message["Subject"] = "Suspension raised"
    message["Message-ID"] = f"<abcdefabcdefabcdefab.{installation}@isa.example>"
    message.set_content("SUS-2026-0001")
    return message


def test_the_sink_stores_its_registers_mail_and_refuses_another_registers(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    sink = mail_sink(folder, port=0, installation=OURS).start()
    try:
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as smtp:
            smtp.send_message(_message(OURS))
            with pytest.raises(smtplib.SMTPDataError) as refused:
                smtp.send_message(_message("TRAININGCOPY0000"))
    finally:
        sink.stop()
    assert refused.value.smtp_code == 550
    assert f"keeps the mail of register {OURS} only" in refused.value.smtp_error.decode()
    (stored,) = folder.glob("*.eml")
    assert f".{OURS}@" in stored.read_text()


def test_a_sink_for_no_register_in_particular_takes_any_mail(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    sink = mail_sink(folder, port=0).start()
    try:
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as smtp:
            smtp.send_message(_message(OURS))
            smtp.send_message(_message("TRAININGCOPY0000"))
    finally:
        sink.stop()
    assert len(list(folder.glob("*.eml"))) == 2
