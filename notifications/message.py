"""An email as the bytes sent over SMTP, built through `EmailMessage` (never by joining strings,
so a name or a subject cannot smuggle in a header): a text and an HTML part, the meeting
invitation when there is one, and a Message-ID derived from the outbox row's dedupe key.

The message is built when it is queued and stored whole, so delivery sends stored bytes; only
the From header, which is configuration, is added when it is sent. Its Reply-To, the register
office, is stored with it, as the text that names the office is.
"""

import base64
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import format_datetime, parseaddr
from typing import Any

import pendulum

# RFC 2045 §6.7: a quoted-printable line is at most 76 characters. CPython's quoted-printable
# encoder takes the message policy's limit, 78 in its SMTP policies, so a message is built under
# a policy narrowed to 76 (bodies are encoded as they are set) and serialised under 78, RFC
# 5322's limit for header lines, so headers fold where they always did.
_ASCII = SMTP.clone(max_line_length=76)
_UTF8 = SMTPUTF8.clone(max_line_length=76)


@dataclass(frozen=True)
class Sender:
    """Which register sends, and from which mailbox: its installation identifier (made once by
    migration 0009) and ISA_MAIL_FROM. Message-IDs and calendar UIDs carry both, so two
    registers never emit the same identifier for different messages or meetings."""

    installation: str
    mailbox: str
    # the register office (ISA_OFFICE_NAME, ISA_OFFICE_EMAIL) as "Name <address>": every email's
    # Reply-To, and named wherever an email asks someone to send the register something
    office: str = ""

    @property
    def office_mailbox(self) -> str:
        return self.office or self.mailbox

    def office_context(self) -> dict[str, str]:
        """The office as the templates name it: `name` and `email`."""
        name, address = parseaddr(self.office_mailbox)
        return {"name": name or self.name, "email": address}

    @property
    def address(self) -> str:
        return parseaddr(self.mailbox)[1]

    @property
    def name(self) -> str:
        return parseaddr(self.mailbox)[0] or "Information Sharing Register"

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2].lower()

    def as_context(self) -> dict[str, str]:
        return {
            "installation": self.installation,
            "mailbox": self.mailbox,
            "office": self.office_mailbox,
        }

    @classmethod
    def from_context(cls, context: dict[str, Any]) -> "Sender":
        return cls(
            installation=str(context["installation"]),
            mailbox=str(context["mailbox"]),
            office=str(context.get("office") or ""),
        )


def message_id(dedupe_key: str, sender: Sender) -> str:
    """The same for every attempt at one outbox row (it is stored with the row when queued), so a
    resend after a crash is recognisable; 80 bits of the row's key, then this installation, at
    the configured mail domain."""
    token = base64.b32encode(bytes.fromhex(dedupe_key)[:10]).decode("ascii").lower()
    return f"<{token}.{sender.installation}@{sender.domain}>"


def unsendable(recipient: str) -> str | None:
    """Why no message can be built for this address, or None: a mailbox name outside ASCII
    cannot be written in a header without SMTPUTF8 (RFC 6531), which relays cannot be relied
    on to offer."""
    if not recipient.partition("@")[0].isascii():
        return (
            f"cannot send to {recipient}: its mailbox name (before the @) is not ASCII, which "
            "needs SMTPUTF8; record an ASCII address for this person"
        )
    return None


def _one_line(value: str) -> str:
    return " ".join(value.split())


def compose(
    *,
    recipient: str,
    recipient_name: str,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    reference: str,
    at: pendulum.DateTime,
    invitation: bytes | None = None,
    invitation_method: str | None = None,
    reply_to: str | None = None,
) -> EmailMessage:
    """The email without its From header (see `from_header`), dated `at`; replies go to
    `reply_to` (the register office), which its text names."""
    # An address outside ASCII can only travel with SMTPUTF8; anything else stays 7-bit, which
    # every relay accepts (headers as RFC 2047 words, bodies quoted-printable).
    msg = EmailMessage(policy=_ASCII if recipient.isascii() else _UTF8)
    msg["To"] = Address(display_name=_one_line(recipient_name), addr_spec=recipient)
    # EmailMessage refuses a CR or LF in a header value: a subject that somehow holds two lines
    # fails here rather than adding a header.
    msg["Subject"] = subject
    msg["Date"] = format_datetime(at.in_timezone("UTC"))
    msg["Message-ID"] = message_id
    if reply_to:
        name, address = parseaddr(reply_to)
        msg["Reply-To"] = Address(display_name=_one_line(name), addr_spec=address)
    # RFC 3834: sent by a machine, so autoresponders stay quiet
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-ISA-Reference"] = _one_line(reference)
    msg.set_content(text, cte="quoted-printable")
    msg.add_alternative(html, subtype="html", cte="quoted-printable")
    if invitation is not None:
        # As Outlook and Gmail expect an invitation (RFC 6047): the calendar is a third
        # alternative beside the text and the HTML, `text/calendar; method=...`, and the same
        # calendar is attached as invite.ics for clients that only offer attachments.
        method = invitation_method or "REQUEST"
        msg.add_alternative(
            invitation.decode("utf-8"),
            subtype="calendar",
            params={"method": method},
            cte="quoted-printable",
        )
        msg.add_attachment(invitation, maintype="application", subtype="ics", filename="invite.ics")
    return msg


def serialise(message: EmailMessage) -> str:
    """The message as stored in the outbox: CRLF line ends, as it goes on the wire; headers
    folded at 78 characters, bodies as encoded (at most 76)."""
    return message.as_string(policy=message.policy.clone(max_line_length=78))


def from_header(mail_from: str) -> bytes:
    """The From header line, made once per delivery run and put in front of each stored
    message."""
    head = EmailMessage(policy=_ASCII if mail_from.isascii() else _UTF8)
    head["From"] = mail_from
    # the serialised header block, without the blank line that would end it
    return head.as_bytes().split(b"\r\n\r\n", 1)[0] + b"\r\n"


def envelope_sender(mail_from: str) -> str:
    return parseaddr(mail_from)[1]
