"""The once-only store: facts about people and organizations, with provenance and every version."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govcx.core.db import Base
from govcx.core.ids import new_id


class Fact(Base):
    """One version of one catalogue attribute's value for one person or organization."""

    __tablename__ = "fact"
    __table_args__ = (
        UniqueConstraint("subject_id", "attribute_key", "version", name="uq_fact_subject_attribute_version"),
        Index("ix_fact_subject_current", "subject_id", "is_current"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    # A person's or an organization's id: which one the catalogue attribute says.
    subject_id: Mapped[UUID]
    attribute_key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    is_current: Mapped[bool] = mapped_column(default=True)
    # Sensitive attributes keep only `sealed` (AES-GCM) and the id of the key that sealed it.
    value: Mapped[str | None] = mapped_column(Text)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_id: Mapped[str | None] = mapped_column(String(32))
    source_agency_id: Mapped[UUID | None] = mapped_column(ForeignKey("agency.id"))
    source_organization_id: Mapped[UUID | None] = mapped_column(ForeignKey("organization.id"))
    self_declared: Mapped[bool] = mapped_column(default=False)
    verified: Mapped[bool] = mapped_column(default=False)
    evidence: Mapped[str] = mapped_column(String(200), default="")
    valid_from: Mapped[datetime | None]
    valid_to: Mapped[datetime | None]
    recorded_at: Mapped[datetime]


class FormField(Base):
    """One attribute a service's form asks for: what prefill looks up."""

    __tablename__ = "form_field"
    __table_args__ = (UniqueConstraint("service_id", "attribute_key", name="uq_form_field_service_attribute"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    service_id: Mapped[UUID] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    attribute_key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    required: Mapped[bool] = mapped_column(default=True)
