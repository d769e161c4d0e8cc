"""Configuration, read once from the environment (prefix `ISA_`) and passed down."""

from collections.abc import Mapping
from email.headerregistry import Address
from email.utils import parseaddr
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import pendulum
from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.db import DEFAULT_DATABASE_URL
from models.clocks import clock_reading, parse_datetime

# The embedded default: right for the mail sink, refused with a real relay (see below).
DEFAULT_MAIL_FROM = "Information Sharing Register <isa-register@isa.local>"

# Domains no mail is ever delivered to: the embedded mail sink's default, and their kin.
NOT_DELIVERABLE = ("localhost", "local", "invalid", "test")
_SPECIAL_USE = tuple(f".{domain}" for domain in NOT_DELIVERABLE)

# The register office's name, one line; an address, RFC 5321's limit.
OFFICE_NAME_MAX = 120
ADDRESS_MAX = 254


def setting_problem(error: Mapping[str, Any]) -> str:
    """One pydantic error about a setting as a line a person can act on: the variable, what it
    must be, and what it was (not pydantic's "Input should be ...")."""
    loc = error.get("loc") or ()
    where = f"ISA_{str(loc[0]).upper()}: " if loc else ""
    given = error.get("input")
    shown = f", not {given!r}" if isinstance(given, str) else ""
    bounds = error.get("ctx") or {}
    kind = error["type"]
    if kind in ("int_parsing", "int_type", "int_from_float"):
        problem = f"must be a whole number{shown}"
    elif kind in ("float_parsing", "float_type", "finite_number"):
        problem = f"must be a number{shown}"
    elif kind == "bool_parsing":
        problem = f"must be true or false{shown}"
    elif kind == "greater_than_equal":
        problem = f"must be at least {bounds['ge']}{shown}"
    elif kind == "greater_than":
        problem = f"must be more than {bounds['gt']}{shown}"
    elif kind == "less_than_equal":
        problem = f"must be at most {bounds['le']}{shown}"
    elif kind == "less_than":
        problem = f"must be less than {bounds['lt']}{shown}"
    elif kind == "literal_error":
        problem = f"must be {str(bounds['expected']).replace(chr(39), '')}{shown}"
    else:
        problem = str(error["msg"]).removeprefix("Value error, ")
    return where + problem


def _entries(listed: str) -> list[str]:
    return [entry.strip() for entry in listed.split(",") if entry.strip()]


# What an embedded register (a SQLite file) keeps beside its database file, unless set.
EMBEDDED_KEY_FILES = {
    "audit_key_file": "audit.key",
    "secret_key_file": "secret.key",
    "checkpoint_dir": "checkpoints",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ISA_", extra="ignore")

    # The register's database; the embedded default is a SQLite file under ./var.
    database_url: str = DEFAULT_DATABASE_URL
    # Rehearse a timeline: an ISO date-time the clock reads instead of the real time.
    now: str | None = None

    # --- the Prefect server `isa up` starts, or the one `prefect deploy` targets at scale ---
    prefect_api_url: str = "http://127.0.0.1:4200/api"
    prefect_port: int = Field(default=4200, ge=1, le=65535)
    # The embedded Prefect server's own home (its SQLite database, logs and settings).
    prefect_home: Path = Path("var/prefect")

    # --- mail (DESIGN §6) ---
    # The SMTP relay; unset means the embedded mail sink (`isa mailsink`) on 127.0.0.1:8025.
    smtp_host: str | None = None
    # Unset: 8025 for the mail sink, else 25 / 587 / 465 for none / starttls / tls.
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_timeout_seconds: float = Field(default=30.0, gt=0)
    # The From of every email: "Name <address>" or a bare address.
    mail_from: str = DEFAULT_MAIL_FROM
    # The register office: the people who run the register, named in every email that asks
    # someone to send the register something, and the Reply-To of every email. Unset
    # ISA_OFFICE_EMAIL: the From mailbox (ISA_MAIL_FROM), which then takes the replies.
    office_name: str = "Information Sharing Register Office"
    office_email: str | None = None
    # Where the embedded mail sink stores each message it receives as an .eml file.
    mail_dir: Path = Path("var/mail")
    # Delivery tuning: rows claimed per transaction, attempts before a row is failed, the
    # exponential backoff between attempts, and how long a claim lasts before a crashed
    # deliverer's rows may be taken over.
    outbox_batch_size: int = Field(default=100, ge=1, le=10_000)
    outbox_max_attempts: int = Field(default=12, ge=1)
    outbox_backoff_base_seconds: float = Field(default=60.0, gt=0)
    outbox_backoff_max_seconds: float = Field(default=6 * 3600.0, gt=0)
    # Short, because a live deliverer renews its claim every heartbeat however long it takes to
    # send: the lease is how long a dead one's emails wait. Several heartbeats to a lease let a
    # renewal be late, or fail once, without the claim lapsing under a live deliverer.
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    outbox_heartbeat_seconds: float = Field(default=15.0, gt=0)

    # --- the audit log (DESIGN §8) ---
    # The key of the audit chain's HMAC, kept outside the database. Unset: read from
    # `audit_key_file`, which is generated (mode 0600) for a register in a SQLite file.
    # For a register in a SQLite file, the key files and checkpoints default to the database
    # file's directory (see `_embedded_keys_beside_the_database`), whatever the working directory.
    audit_key: SecretStr | None = None
    audit_key_file: Path = Path("var/audit.key")
    # Where each signed checkpoint of the chain's head is written as a file (also published as a
    # Prefect artifact and emailed to the chairs); `isa audit verify` checks the log against them.
    checkpoint_dir: Path = Path("var/checkpoints")

    # --- the web portal, where partners act from the links in their emails ---
    # The base of every link in an email (never taken from a request's Host header).
    public_url: str = "http://127.0.0.1:8000"
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8000, ge=1, le=65535)
    # What links and the portal's sessions are made with, the same on every machine that queues
    # email. Unset: read from `secret_key_file`, generated (mode 0600) while the portal is on
    # this machine's loopback address; a public portal needs it set.
    secret_key: SecretStr | None = None
    secret_key_file: Path = Path("var/secret.key")
    # The reverse proxies in front of the portal (addresses or networks, comma-separated): only
    # a request from one of them has its client taken from X-Forwarded-For (the right-most
    # address no trusted proxy added). Unset: the header is ignored, as anyone can write it.
    trusted_proxies: str = ""

    @field_validator("public_url")
    @classmethod
    def _public_url_is_a_base(cls, value: str) -> str:
        parsed = urlsplit(value.strip())
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ValueError(f"not an http(s) address: {value!r} (e.g. https://isa.example.org)")
        if parsed.query or parsed.fragment:
            raise ValueError(f"a base address takes no query or fragment: {value!r}")
        return value.strip().rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies_are_networks(cls, value: str) -> str:
        for entry in _entries(value):
            try:
                ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"not an IP address or network: {entry!r} (e.g. 10.0.0.5, 10.0.0.0/8)"
                ) from None
        return ", ".join(_entries(value))

    def trusted_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return tuple(ip_network(entry, strict=False) for entry in _entries(self.trusted_proxies))

    def public_url_is_loopback(self) -> bool:
        host = urlsplit(self.public_url).hostname or ""
        if host == "localhost":
            return True
        try:
            return ip_address(host).is_loopback
        except ValueError:
            return False

    @field_validator(
        "mail_dir",
        "prefect_home",
        "audit_key_file",
        "checkpoint_dir",
        "secret_key_file",
        mode="before",
    )
    @classmethod
    def _a_path_is_not_empty(cls, value: object, info: ValidationInfo) -> object:
        # Path("") is the current directory: an empty setting would scatter files there
        if isinstance(value, str) and not value.strip():
            default = cls.model_fields[str(info.field_name)].default
            raise ValueError(f"must not be empty (default {default})")
        return value

    @model_validator(mode="after")
    def _embedded_keys_beside_the_database(self) -> "Settings":
        # An embedded register's keys and checkpoints belong to its database file, not to the
        # directory a command happens to run from: one run elsewhere would otherwise generate a
        # second audit key and seal events the register's own key can never verify. The default
        # database, var/isa.db, keeps them where they always were (var/audit.key, ...).
        database = self.sqlite_path()
        if database is None:
            return self
        for name, default in EMBEDDED_KEY_FILES.items():
            if name not in self.model_fields_set:
                # through __dict__: a default moved is not a setting given
                self.__dict__[name] = database.parent / default
        return self

    @field_validator("mail_from")
    @classmethod
    def _mail_from_is_an_address(cls, value: str) -> str:
        name, address = parseaddr(value)
        if not address or "@" not in address or any(c in value for c in "\r\n"):
            raise ValueError(f"not an email address: {value!r} (e.g. Register <isa@example.org>)")
        return str(Address(display_name=name, addr_spec=address))

    @field_validator("office_name")
    @classmethod
    def _office_name_is_one_bounded_line(cls, value: str) -> str:
        if any(c in value for c in "\r\n") or not value.isprintable():
            raise ValueError("must be one line")
        if not value.strip():
            raise ValueError("must not be blank")
        if len(value.strip()) > OFFICE_NAME_MAX:
            raise ValueError(f"must be at most {OFFICE_NAME_MAX} characters")
        return " ".join(value.split())

    @field_validator("office_email")
    @classmethod
    def _office_email_is_an_address(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        value = value.strip()
        if len(value) > ADDRESS_MAX:
            raise ValueError(f"must be at most {ADDRESS_MAX} characters")
        name, address = parseaddr(value)
        if name or address != value or "@" not in address or any(c in value for c in " \r\n"):
            raise ValueError(f"not an email address: {value!r} (e.g. ig-office@example.org)")
        return address

    def office_mailbox(self) -> str:
        """The register office as a mailbox, "Name <address>": the Reply-To of every email."""
        address = self.office_email or parseaddr(self.mail_from)[1]
        return str(Address(display_name=self.office_name, addr_spec=address))

    @model_validator(mode="after")
    def _a_real_relay_sends_from_a_real_mailbox(self) -> "Settings":
        # A relay delivers to real inboxes: a From in a special-use domain (RFC 6761, RFC 6762)
        # is refused or binned by every receiving server, and cannot take a reply.
        domain = parseaddr(self.mail_from)[1].rpartition("@")[2].lower().rstrip(".")
        if self.smtp_host and (domain in NOT_DELIVERABLE or domain.endswith(_SPECIAL_USE)):
            raise ValueError(
                f"ISA_MAIL_FROM: {parseaddr(self.mail_from)[1]} cannot receive mail, and a relay "
                "is set (ISA_SMTP_HOST): set ISA_MAIL_FROM to the register's real mailbox"
            )
        office = (self.office_email or "").rpartition("@")[2].lower().rstrip(".")
        if self.smtp_host and (office in NOT_DELIVERABLE or office.endswith(_SPECIAL_USE)):
            # partners are told to send things there: it must be able to receive them
            raise ValueError(
                f"ISA_OFFICE_EMAIL: {self.office_email} cannot receive mail, and a relay is set "
                "(ISA_SMTP_HOST): set ISA_OFFICE_EMAIL to the register office's real mailbox"
            )
        return self

    @model_validator(mode="after")
    def _heartbeat_within_the_lease(self) -> "Settings":
        if self.outbox_heartbeat_seconds >= self.outbox_lease_seconds:
            raise ValueError(
                f"ISA_OUTBOX_HEARTBEAT_SECONDS ({self.outbox_heartbeat_seconds:g}) must be less "
                f"than ISA_OUTBOX_LEASE_SECONDS ({self.outbox_lease_seconds:g}): a deliverer "
                "renews its claim before it lapses"
            )
        return self

    @field_validator("now")
    @classmethod
    def _now_is_a_datetime(cls, value: str | None) -> str | None:
        if value:
            parse_datetime(value)
        return value or None

    def current_time(self) -> pendulum.DateTime:
        """The one clock read of a command: `ISA_NOW` if set, else the real time, in UTC."""
        return clock_reading(self.now)

    def smtp_relay(self) -> tuple[str, int]:
        """Host and port to send to: the configured relay, or the embedded mail sink."""
        if not self.smtp_host:
            return "127.0.0.1", self.smtp_port or 8025
        default = {"none": 25, "starttls": 587, "tls": 465}[self.smtp_security]
        return self.smtp_host, self.smtp_port or default

    def sqlite_path(self) -> Path | None:
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and self.database_url != "sqlite:///:memory:":
            return Path(self.database_url.removeprefix(prefix))
        return None
