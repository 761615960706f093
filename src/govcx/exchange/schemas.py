"""What crosses the wire for data exchange and the access log."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from govcx.consent.models import Purpose
from govcx.core.pagination import CursorPage
from govcx.registry.schemas import AttributeKey
from govcx.vault.schemas import FactRead


class ExchangeRequestCreate(BaseModel):
    """An agency's request for a person's attributes, for a purpose, under a consent or a legal basis."""

    model_config = ConfigDict(extra="forbid")

    subject_id: UUID
    attributes: list[AttributeKey] = Field(min_length=1, max_length=50)
    purpose: Purpose
    consent_id: UUID | None = None
    legal_basis_id: UUID | None = None
    service_id: UUID | None = None


class ExchangeAnswer(BaseModel):
    request_id: UUID
    status: str = Field(description="answered, awaiting_person (the person previews first) or denied")
    reason: str
    detail: str
    consent_id: UUID | None = None
    legal_basis_id: UUID | None = None
    facts: list[FactRead] = Field(default_factory=list, description="Only the attributes asked for and covered.")


class PendingRequestRead(BaseModel):
    """A request waiting for the person's preview: who asks, what for, and what would be shared."""

    id: UUID
    requester_name: str
    purpose: Purpose
    created_at: datetime
    facts: list[FactRead]
    preview: str = Field(description="Names the exact versions shown; send it back to share exactly these.")


class PendingRequestList(BaseModel):
    items: list[PendingRequestRead]


class PreviewDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    share: bool
    preview: str | None = Field(default=None, max_length=64,
                                description="The `preview` of the request as shown: sharing then releases exactly "
                                            "that, or answers 409 if the data changed since.")


class AccessLogEntryRead(BaseModel):
    seq: int
    at: datetime
    requester_agency_id: UUID
    requester_name: str
    service_id: UUID | None
    purpose: str
    attributes: list[str]
    decision: str
    reason: str
    consent_id: UUID | None
    legal_basis_id: UUID | None
    basis: str = Field(description="The consent's purpose as the person agreed to it, or the law's citation.")
    request_id: UUID
    case_id: UUID | None = Field(default=None, description="The person's case, when staff read under it.")


AccessLogPage = CursorPage[AccessLogEntryRead]


class VerifyReport(BaseModel):
    ok: bool
    entries: int
    checkpoints: int
    first_bad_entry: int | None = Field(default=None, description="The first entry (or checkpoint) that differs.")
    problem: str | None = None
    witness: str | None = Field(default=None, description="Where the signed heads were read from.")
    witness_heads: int = 0
    witnessed_entries: int = Field(default=0, description="How many entries the newest witnessed head vouches for.")
    seconds: float
