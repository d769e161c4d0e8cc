"""The README's tour of a suspension and a withdrawal, its commands run as written (through
bash, the installed `isa`) against the sample register `make up` loads: each succeeds."""

import html
import os
import re
import subprocess
import sys
from pathlib import Path

import pendulum
from sqlmodel import Session, select

from core.settings import Settings
from models.links import link_token
from notifications.tables import OutboxEmail, OutboxMessage
from tasks.sample import load_sample_register
from tests.conftest import TEST_PUBLIC_URL, TEST_SECRET_KEY, Database
from tests.utils.portal import form_of, opened, portal_at

README = Path(__file__).resolve().parents[2] / "README.md"
ISA = Path(sys.executable).with_name("isa")


def tour_commands(readme: str) -> list[str]:
    """The `.venv/bin/isa` commands of the README's "Suspension and withdrawal" section, each
    with its continuation lines joined, as bash runs them."""
    section = readme.split("## Suspension and withdrawal")[1].split("\n## ")[0]
    block = "\n".join(line[4:] for line in section.splitlines() if line.startswith("    "))
    joined = re.sub(r"\\\n\s*", "", block)
    return [line for line in joined.splitlines() if line.startswith(".venv/bin/isa ")]


def test_the_tours_suspension_and_withdrawal_work_on_the_sample_register(
    db: Database, isa, session: Session, now: pendulum.DateTime
) -> None:  # type: ignore[no-untyped-def]
    load_sample_register(session, now=now)
    commands = tour_commands(README.read_text())
    assert [c.split()[1] for c in commands] == ["suspend", "withdraw"], commands
    for command in commands:
        done = subprocess.run(
            ["bash", "-c", command.replace(".venv/bin/isa", str(ISA))],
            env=os.environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, (command, done.stderr)
        assert done.stderr == ""
    assert db.count("suspension", "status = 'raised'") == 1
    assert db.count("withdrawal", "status = 'notified'") == 1


def test_the_tours_consent_withdrawal_is_acknowledged_from_its_link(
    db: Database, isa, session: Session, now: pendulum.DateTime
) -> None:  # type: ignore[no-untyped-def]
    """ "Consent withdrawn" as written: the command, the trust's link opened and acted on as the
    README says, then `isa consent list --open` showing the trust acknowledged."""
    load_sample_register(session, now=now)
    readme = README.read_text()
    section = readme.split("## Consent withdrawn")[1].split("\n## ")[0]
    block = "\n".join(line[4:] for line in section.splitlines() if line.startswith("    "))
    commands = [
        c for c in re.sub(r"\\\n\s*", "", block).splitlines() if c.startswith(".venv/bin/isa ")
    ]
    assert [c.split()[1:3] for c in commands] == [["consent", "withdrawn"], ["consent", "list"]]

    def run(command: str) -> str:
        done = subprocess.run(
            ["bash", "-c", command.replace(".venv/bin/isa", str(ISA))],
            env=os.environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0 and done.stderr == "", (command, done.stderr)
        return done.stdout

    assert "CON-" in run(commands[0])
    subject = re.search(r"`(Consent withdrawn: cease processing [^`]+)`", section)
    recipient = re.search(r"email to `([^`]+)`", section)
    sentence = re.search(r'tick "([^"]+)"', section)
    assert subject and recipient and sentence
    with db.session() as s:
        [email] = s.exec(
            select(OutboxEmail).where(
                OutboxEmail.recipient == recipient.group(1),
                OutboxEmail.subject.startswith(subject.group(1)),  # type: ignore[attr-defined]
            )
        ).all()
        message = s.get(OutboxMessage, email.id)
        assert message is not None
    name = re.search(r"Dear (.+),", message.message)
    assert name
    token = link_token(TEST_SECRET_KEY.encode(), email.dedupe_key)
    assert token in message.message.replace("=\n", "")
    with portal_at(db, now.add(minutes=5)) as portal:
        status, page = opened(portal, token)
        assert status == 200 and " ".join(sentence.group(1).split()) in html.unescape(page)
        fields = form_of(page, "")
        done = portal.post(
            fields.pop("_action"), data={**fields, "typed_name": name.group(1), "confirm": "yes"}
        )
        assert done.status_code == 303, done.text
    listed = run(commands[1])
    assert re.search(r"acknowledged\s+Sample: Northshire NHS Trust \(by ig@trust", listed), listed
    assert re.search(r"pending\s+Sample: Northshire County Council", listed), listed


def test_the_portal_tours_grep_finds_the_one_live_approval_link_before_and_after_the_sweep(
    db: Database, session: Session, now: pendulum.DateTime, tmp_path: Path
) -> None:
    """ "The portal" step 1 as written: its grep, run by bash over the `.eml` files the mail
    sink stored, names one file whose link opens the approval page, both once the sample
    register is loaded and after the first sweep has sent its day-7 reminder."""
    from notifications.delivery import deliver_outbox_sync
    from notifications.mailsink import mail_sink
    from tasks.sweeps import chase_approvals

    section = README.read_text().split("## The portal")[1].split("\n## ")[0]
    found = re.search(r"`(grep [^`]+)`", section)
    assert found, "the portal tour names no grep"
    load_sample_register(session, now=now)
    sink = mail_sink(tmp_path / "var" / "mail", port=0).start()
    settings = Settings(
        database_url=db.url,
        now=now.isoformat(),
        public_url=TEST_PUBLIC_URL,
        secret_key=TEST_SECRET_KEY,
        smtp_port=sink.port,
    )
    try:
        for step in ("loaded", "swept"):
            if step == "swept":
                chase_approvals(session, as_of=now.date(), now=now, actor="system:test")
            deliver_outbox_sync(db.engine, settings, now)
            done = subprocess.run(
                ["bash", "-c", found.group(1)],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
            )
            files = done.stdout.split()
            assert done.returncode == 0 and len(files) == 1, (step, done.stdout, done.stderr)
            text = (tmp_path / files[0]).read_text().replace("=\n", "")
            token = re.search(re.escape(TEST_PUBLIC_URL) + r"/a/([A-Za-z0-9_-]{43})", text)
            assert token, (step, "the file carries no link")
            with portal_at(db, now.add(minutes=5)) as portal:
                status, page = opened(portal, token.group(1))
            assert status == 200 and "Approve version" in page, (step, status)
    finally:
        sink.stop()
