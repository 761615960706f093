"""Notification preferences, versioned templates, the outbox of messages and recommendation rules."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govcx.core.db import Base, text_enum
from govcx.core.ids import new_id

PLATFORM = "platform"  # the owner or sender of what govcx itself keeps or sends, on behalf of no agency


def owner_of(agency_id: UUID | None) -> str:
    """The key a template's owner or a message's sender is kept under: an agency's id, or the platform."""
    return PLATFORM if agency_id is None else str(agency_id)


class NotifyChannel(StrEnum):
    INBOX = "inbox"
    EMAIL = "email"
    SMS = "sms"
    POST = "post"


class Topic(StrEnum):
    OFFERS = "offers"
    CASE_UPDATES = "case_updates"
    SURVEYS = "surveys"
    REMINDERS = "reminders"


class MessageStatus(StrEnum):
    QUEUED = "queued"  # accepted, waiting in the outbox (maybe until quiet hours end, or a retry is due)
    SENDING = "sending"  # claimed by a worker under a lease
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt
    SKIPPED = "skipped"  # never sent, and why is in skip_reason


class NotificationPreference(Base):
    """How one person wants to hear from government."""

    __tablename__ = "notification_preference"

    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    channels: Mapped[list[str]] = mapped_column(JSON)  # NotifyChannel values, most preferred first
    language: Mapped[str] = mapped_column(String(8), default="en")
    quiet_from: Mapped[int | None]  # hour of day (0-23) when quiet hours start, in settings.notify_timezone
    quiet_until: Mapped[int | None]  # hour of day they end
    opted_out: Mapped[list[str]] = mapped_column(JSON)  # Topic values
    muted_rules: Mapped[list[str]] = mapped_column(JSON)  # recommendation rule codes the person stopped
    updated_at: Mapped[datetime]


class MessageTemplate(Base):
    """One version of an agency's (or the platform's) message in one language; the latest version is used."""

    __tablename__ = "message_template"
    __table_args__ = (UniqueConstraint("owner", "key", "language", "version",
                                       name="uq_message_template_owner_key_language_version"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    # Whose version this is: an agency's own, or the platform's default (agency_id None, owner "platform").
    agency_id: Mapped[UUID | None] = mapped_column(ForeignKey("agency.id"))
    owner: Mapped[str] = mapped_column(String(36))  # owner_of(agency_id): one unique key, NULLs never distinct
    key: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8))
    version: Mapped[int]
    topic: Mapped[Topic] = mapped_column(text_enum(Topic))
    subject: Mapped[str] = mapped_column(String(300))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Message(Base):
    """One message to one person: its rendering, why it was sent, and its delivery through the outbox."""

    __tablename__ = "message"
    __table_args__ = (
        # De-duplication is per sender: one agency's key never finds another's message.
        UniqueConstraint("person_id", "sender", "dedup_key", name="uq_message_person_sender_dedup_key"),
        Index("ix_message_outbox", "status", "not_before"),
        Index("ix_message_person_topic", "person_id", "topic", "created_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    # Who sent it: an agency, or govcx itself (sender_agency_id None, sender "platform").
    sender_agency_id: Mapped[UUID | None] = mapped_column(ForeignKey("agency.id"))
    sender: Mapped[str] = mapped_column(String(36))  # owner_of(sender_agency_id)
    topic: Mapped[Topic] = mapped_column(text_enum(Topic))
    dedup_key: Mapped[str | None] = mapped_column(String(200))
    template_key: Mapped[str] = mapped_column(String(100))
    template_version: Mapped[int | None]
    language: Mapped[str] = mapped_column(String(8))
    channel: Mapped[NotifyChannel | None] = mapped_column(text_enum(NotifyChannel))
    subject: Mapped[str] = mapped_column(String(300), default="")
    text_body: Mapped[str] = mapped_column(Text, default="")
    html_body: Mapped[str] = mapped_column(Text, default="")
    # Why am I seeing this: the data used, the rule or consent that caused it.
    why_data: Mapped[list[str]] = mapped_column(JSON)
    why_rule: Mapped[str] = mapped_column(Text)
    consent_ids: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[MessageStatus] = mapped_column(text_enum(MessageStatus))
    skip_reason: Mapped[str] = mapped_column(Text, default="")
    deferred_reason: Mapped[str] = mapped_column(String(100), default="")
    not_before: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    lease_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    provider_answer: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class RecommendationRule(Base):
    """A service worth suggesting when a person's consented facts match."""

    __tablename__ = "recommendation_rule"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    service_id: Mapped[UUID] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"))
    # {attribute key: accepted values}; an empty list accepts any value that is there.
    when: Mapped[dict[str, list[str]]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(300))  # said to the person: "You are registered as a jobseeker."
    created_at: Mapped[datetime]
