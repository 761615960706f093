"""Data requests between agencies, and the hash-chained access log of every decision."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from govcx.core.db import Base, text_enum
from govcx.core.ids import new_id


class RequestStatus(StrEnum):
    AWAITING_PERSON = "awaiting_person"  # a one-off consent asked for the person's preview first
    ANSWERED = "answered"
    DENIED = "denied"


class ExchangeRequest(Base):
    __tablename__ = "exchange_request"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    requester_agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    subject_id: Mapped[UUID] = mapped_column(ForeignKey("person.id"), index=True)
    service_id: Mapped[UUID | None] = mapped_column(ForeignKey("service.id"))
    purpose: Mapped[str] = mapped_column(String(64))
    attributes: Mapped[list[str]] = mapped_column(JSON)
    consent_id: Mapped[UUID | None]
    legal_basis_id: Mapped[UUID | None]
    status: Mapped[RequestStatus] = mapped_column(text_enum(RequestStatus))
    reason: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    # What was released, exactly as it was at the disclosure, sealed: a later read returns this, never
    # the vault's newer values (and nothing at all for answers made before answers were kept).
    answer_key_id: Mapped[str | None] = mapped_column(String(32))
    answer_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Set when staff read a person's details because their agency handles this case of the person.
    case_id: Mapped[UUID | None]


class AccessLogEntry(Base):
    """One decision, permit or deny. Rows are only added; each holds the hash of the one before.

    Hashed as stored (`at_us` in microseconds, ids as hex, attributes comma-joined) so that checking a
    million rows is a stream of strings into SHA-256, not a million object conversions.
    """

    __tablename__ = "access_log_entry"
    # A person's newest decisions first, read off the index however many there are (the timeline, /me).
    __table_args__ = (Index("ix_access_log_entry_subject_seq", "subject_id", "seq"),)

    # On SQLite an INTEGER primary key is the rowid itself, so reading in `seq` order is a plain table scan.
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=False)
    at_us: Mapped[int] = mapped_column(BigInteger)
    subject_id: Mapped[UUID]
    requester_agency_id: Mapped[UUID]
    service_id: Mapped[UUID | None]
    purpose: Mapped[str] = mapped_column(String(64))
    attributes: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(64))
    consent_id: Mapped[UUID | None]
    legal_basis_id: Mapped[UUID | None]
    request_id: Mapped[UUID]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AccessLogHead(Base):
    """The chain's tip: one row, locked by each append so entries get consecutive numbers."""

    __tablename__ = "access_log_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AccessLogCheckpoint(Base):
    """A signed statement of the chain's hash at one entry: a rewrite of the chain after it shows."""

    __tablename__ = "access_log_checkpoint"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]
