"""The outbox table: every email the register owes, written in the same transaction as the state
change that caused it, then claimed and sent by a delivery run (DESIGN §6)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, Text, text
from sqlmodel import Field, SQLModel

from models.enums import OutboxStatus
from models.types import enum_column, utc_column


class OutboxEmail(SQLModel, table=True):
    """One email to one recipient about one event; `dedupe_key` makes queueing it idempotent."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        # A claim is held only while sending, so a row nobody holds can always be claimed again.
        CheckConstraint("(status = 'sending') = (claim IS NOT NULL)", name="claim_iff_sending"),
        CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_iff_sent_at"),
        CheckConstraint("length(subject) > 0", name="subject_not_blank"),
        # The delivery run's question: which rows are due now, oldest first.
        Index("ix_outbox_due", "status", "next_attempt_at"),
        # Cancelling pending reminders looks rows up by what they are about.
        Index("ix_outbox_event_subject", "event", "subject_ref"),
        # A deliverer reads back the batch it claimed; only rows being sent hold a claim.
        Index(
            "ix_outbox_claim",
            "claim",
            sqlite_where=text("claim IS NOT NULL"),
            postgresql_where=text("claim IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    # sha256 of (event, subject_ref, recipient, occurrence): one row per email ever owed
    dedupe_key: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    event: str = Field(sa_column=Column(Text, nullable=False))
    subject_ref: str = Field(sa_column=Column(Text, nullable=False))
    recipient: str = Field(sa_column=Column(Text, nullable=False))
    recipient_name: str = Field(sa_column=Column(Text, nullable=False))
    # What tells two emails of one event about one record apart: a version, a date, a rung
    occurrence: str = Field(default="", sa_column=Column(Text, nullable=False))
    template: str = Field(sa_column=Column(Text, nullable=False))
    # The template's variables as JSON, kept so the email can be explained or rendered again
    context: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # Rendered when queued, so what is sent is what the transaction decided (the message itself
    # is in OutboxMessage)
    subject: str = Field(sa_column=Column(Text, nullable=False))
    message_id: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_column=enum_column(OutboxStatus))
    attempts: int = Field(default=0, nullable=False)
    # Pending: when it may next be tried. Sending: when the claim lapses and another may take it.
    next_attempt_at: datetime = Field(sa_column=utc_column(nullable=False))
    claim: str | None = Field(default=None, sa_column=Column(Text))
    claimed_at: datetime | None = Field(default=None, sa_column=utc_column())
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    smtp_reply: str | None = Field(default=None, sa_column=Column(Text))
    sent_at: datetime | None = Field(default=None, sa_column=utc_column())
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class OutboxMessage(SQLModel, table=True):
    """The email an outbox row sends, built when queued: all of it but the From header, which is
    configuration and is added when it is sent.

    Kept apart from the outbox row because it never changes while the row's status does several
    times, and rewriting kilobytes of message with every status change would slow delivery.
    """

    __tablename__ = "outbox_message"

    outbox_id: int = Field(
        sa_column=Column(Integer, ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True)
    )
    message: str = Field(sa_column=Column(Text, nullable=False))


class OutboxEvent(SQLModel, table=True):
    """One Prefect event a committed change owes (DESIGN §6): written in the change's own
    transaction beside its emails, posted after the commit, marked once the server took it.
    `event_id` is made with the row, so a republish carries the id the server has seen."""

    __tablename__ = "event_outbox"
    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        # The publisher's question: what is still to be published, oldest first.
        Index(
            "ix_event_outbox_unpublished",
            "id",
            sqlite_where=text("published_at IS NULL"),
            postgresql_where=text("published_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    # the Prefect event (`isa.suspension.raised`) and the domain event that owes it
    event: str = Field(sa_column=Column(Text, nullable=False))
    cause: str = Field(sa_column=Column(Text, nullable=False))
    reference: str = Field(sa_column=Column(Text, nullable=False))
    occurred_at: datetime = Field(sa_column=utc_column(nullable=False))
    published_at: datetime | None = Field(default=None, sa_column=utc_column())
    attempts: int = Field(default=0, nullable=False)
    last_error: str | None = Field(default=None, sa_column=Column(Text))


class ActionLink(SQLModel, table=True):
    """A personal action link (models/links.py): for one person, one act, one record (and its
    version). Only the SHA-256 of the token is kept; the token is in the email alone."""

    __tablename__ = "action_link"
    __table_args__ = (
        CheckConstraint("length(token_hash) = 64", name="token_hash_sha256"),
        # a newer link voids the older ones of the same person, act and record
        Index("ix_action_link_whose", "action", "subject_ref", "email"),
        # once the email that carries it is sent
        Index("ix_action_link_dedupe_key", "dedupe_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(Text, nullable=False, unique=True))
    action: str = Field(sa_column=Column(Text, nullable=False))
    subject_ref: str = Field(sa_column=Column(Text, nullable=False))
    version: int | None = None
    email: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    expires_at: datetime = Field(sa_column=utc_column(nullable=False))
    used_at: datetime | None = Field(default=None, sa_column=utc_column())
    voided_at: datetime | None = Field(default=None, sa_column=utc_column())
    void_reason: str | None = Field(default=None, sa_column=Column(Text))
    # the outbox row of the email that carries it: its sending voids the older links
    dedupe_key: str | None = Field(default=None, sa_column=Column(Text))


class LinkDelegation(SQLModel, table=True):
    """An act that binds an agency, handed by the addressee of its link (proved) to a colleague
    in the same role at the same agency: when the colleague does it, the evidence says whose
    act they did."""

    __tablename__ = "link_delegation"
    __table_args__ = (Index("ix_link_delegation_whose", "action", "subject_ref", "delegate"),)

    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(
        sa_column=Column(Integer, ForeignKey("action_link.id", ondelete="CASCADE"), nullable=False)
    )
    action: str = Field(sa_column=Column(Text, nullable=False))
    subject_ref: str = Field(sa_column=Column(Text, nullable=False))
    delegated_by: str = Field(sa_column=Column(Text, nullable=False))
    delegate: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


class LinkCode(SQLModel, table=True):
    """A one-time code emailed to a link's addressee when the page of an act that binds their
    agency asks for one (models/links.py BINDING). Only its keyed hash is kept; the newest code
    of a link is the one that counts, until it expires, is used, or has taken its wrong tries."""

    __tablename__ = "link_code"
    __table_args__ = (
        CheckConstraint("length(code_hash) = 64", name="code_hash_sha256"),
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        Index("ix_link_code_link", "link_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(
        sa_column=Column(Integer, ForeignKey("action_link.id", ondelete="CASCADE"), nullable=False)
    )
    code_hash: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    expires_at: datetime = Field(sa_column=utc_column(nullable=False))
    # wrong codes typed against it
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    used_at: datetime | None = Field(default=None, sa_column=utc_column())
