"""Consent records with their event log (ISO/IEC TS 27560, Kantara), and the register of legal bases."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govcx.core.db import Base, text_enum
from govcx.core.ids import new_id


class ConsentStatus(StrEnum):
    REQUESTED = "requested"
    ACTIVE = "active"
    PAUSED = "paused"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    REVOKED = "revoked"


class Purpose(StrEnum):
    """Purposes named after the W3C Data Privacy Vocabulary (DPV)."""

    SERVICE_PROVISION = "ServiceProvision"
    LEGAL_COMPLIANCE = "LegalCompliance"
    IDENTITY_VERIFICATION = "IdentityVerification"
    FRAUD_PREVENTION = "FraudPreventionAndDetection"
    COMMUNICATION_MANAGEMENT = "CommunicationManagement"
    SERVICE_PERSONALISATION = "ServicePersonalisation"
    RESEARCH_AND_DEVELOPMENT = "ResearchAndDevelopment"


class LegalBasisKind(StrEnum):
    CONSENT = "consent"
    EXPLICIT_REQUEST = "explicit_request"
    STATUTE = "statute"


class Consent(Base):
    __tablename__ = "consent"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    subject_id: Mapped[UUID] = mapped_column(ForeignKey("person.id"), index=True)
    requester_agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), index=True)  # the controller
    source_agency_id: Mapped[UUID | None] = mapped_column(ForeignKey("agency.id"))  # the holder ...
    source_organization_id: Mapped[UUID | None] = mapped_column(ForeignKey("organization.id"))  # ... or this one
    recipients: Mapped[list[str]] = mapped_column(JSON)  # agency ids the data may go to
    purpose: Mapped[Purpose] = mapped_column(text_enum(Purpose))
    purpose_text: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[LegalBasisKind] = mapped_column(text_enum(LegalBasisKind))
    attributes: Mapped[list[str]] = mapped_column(JSON)
    one_off: Mapped[bool] = mapped_column(default=False)
    requires_preview: Mapped[bool] = mapped_column(default=False)
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    notice_version: Mapped[str] = mapped_column(String(32))
    withdraw_method: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="en")
    status: Mapped[ConsentStatus] = mapped_column(text_enum(ConsentStatus), default=ConsentStatus.REQUESTED)
    uses: Mapped[int] = mapped_column(default=0)
    receipt: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    events: Mapped[list[ConsentEvent]] = relationship(
        order_by="ConsentEvent.at, ConsentEvent.id", lazy="select", cascade="save-update, merge",
    )


class ConsentEvent(Base):
    """One change of a consent's state; rows are only ever added."""

    __tablename__ = "consent_event"
    # The person's timeline reads "newest N changes of this person" straight off this index.
    __table_args__ = (Index("ix_consent_event_subject_at", "subject_id", "at", "id"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    consent_id: Mapped[UUID] = mapped_column(ForeignKey("consent.id"), index=True)
    # The consent's person, copied onto each change (a consent never changes person).
    subject_id: Mapped[UUID] = mapped_column(ForeignKey("person.id"))
    at: Mapped[datetime]
    from_status: Mapped[str | None] = mapped_column(String(32))  # plain text: one CHECK per table and name
    to_status: Mapped[ConsentStatus] = mapped_column(text_enum(ConsentStatus))
    actor: Mapped[str] = mapped_column(String(16))  # subject, controller or clock
    note: Mapped[str] = mapped_column(Text, default="")


class LegalBasis(Base):
    """A statute that lets one agency's service read named attributes from another without consent."""

    __tablename__ = "legal_basis"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    citation: Mapped[str] = mapped_column(String(300))
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), index=True)  # who may read
    service_id: Mapped[UUID | None] = mapped_column(ForeignKey("service.id"))  # for which of its services
    source_agency_id: Mapped[UUID | None] = mapped_column(ForeignKey("agency.id"))  # from whom
    source_organization_id: Mapped[UUID | None] = mapped_column(ForeignKey("organization.id"))
    purpose: Mapped[Purpose] = mapped_column(text_enum(Purpose))
    attributes: Mapped[list[str]] = mapped_column(JSON)
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    repealed_at: Mapped[datetime | None]


class LegalBasisChangeKind(StrEnum):
    CREATED = "created"
    AMENDED = "amended"
    REPEALED = "repealed"


class LegalBasisChange(Base):
    """One change to the register of legal bases, by whom and when; rows are only ever added."""

    __tablename__ = "legal_basis_change"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    legal_basis_id: Mapped[UUID] = mapped_column(ForeignKey("legal_basis.id"), index=True)
    at: Mapped[datetime]
    kind: Mapped[LegalBasisChangeKind] = mapped_column(text_enum(LegalBasisChangeKind))
    # Who: a platform administrator's account id and name as they were (no foreign key: the log outlives accounts).
    actor_id: Mapped[UUID]
    actor_name: Mapped[str] = mapped_column(String(200))
    changes: Mapped[dict[str, list]] = mapped_column(JSON)  # field -> [before, after], as the person reads them
    note: Mapped[str] = mapped_column(Text, default="")  # why, in the administrator's words
