"""What crosses the wire for consent and legal bases."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from govcx.core.bounded import AwareDatetime
from govcx.consent.models import ConsentStatus, LegalBasisChangeKind, LegalBasisKind, Purpose
from govcx.core.pagination import CursorPage
from govcx.registry.schemas import AttributeKey

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ConsentAction(StrEnum):
    GIVE = "give"
    REFUSE = "refuse"
    PAUSE = "pause"
    RESUME = "resume"
    WITHDRAW = "withdraw"
    REVOKE = "revoke"  # the controller ends it


class ConsentCreate(BaseModel):
    """What an agency asks a person to agree to."""

    model_config = ConfigDict(extra="forbid")

    subject_id: UUID
    attributes: list[AttributeKey] = Field(min_length=1, max_length=50)
    purpose: Purpose
    purpose_text: Text
    legal_basis: LegalBasisKind = LegalBasisKind.CONSENT
    one_off: bool = False
    requires_preview: bool = False
    valid_until: AwareDatetime | None = None
    recipients: list[UUID] = Field(default_factory=list, max_length=20)
    notice_version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)] = "1"
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] = "en"


class ConsentActionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: ConsentAction


class ConsentEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    from_status: ConsentStatus | None
    to_status: ConsentStatus
    actor: str
    note: str


class ConsentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    subject_id: UUID
    requester_agency_id: UUID
    requester_name: str = ""
    source_agency_id: UUID | None
    source_organization_id: UUID | None
    source_name: str = ""
    recipients: list[UUID]
    purpose: Purpose
    purpose_text: str
    legal_basis: LegalBasisKind
    attributes: list[str]
    one_off: bool
    requires_preview: bool
    valid_from: datetime
    valid_until: datetime | None
    notice_version: str
    withdraw_method: str
    status: ConsentStatus
    uses: int
    created_at: datetime
    events: list[ConsentEventRead]
    actions: list[ConsentAction] = Field(default_factory=list, description="What the person may do next.")


ConsentPage = CursorPage[ConsentRead]


class ReceiptRead(BaseModel):
    consent_id: UUID
    receipt: str = Field(description="A compact JWS (EdDSA over Ed25519) over the Kantara / ISO 27560 consent receipt.")
    kid: str
    jwks_url: str = "/.well-known/jwks.json"


class LegalBasisCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Short
    citation: Short
    agency_id: UUID
    service_id: UUID | None = None
    purpose: Purpose
    attributes: list[AttributeKey] = Field(min_length=1, max_length=50)
    valid_from: AwareDatetime
    valid_until: AwareDatetime | None = None
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = Field(
        default="", description="Why it is registered, in words the people it affects will read.")


class LegalBasisUpdate(BaseModel):
    """An amendment: the fields that change (the agency a law is for never does: repeal it and make another)."""

    model_config = ConfigDict(extra="forbid")

    title: Short | None = None
    citation: Short | None = None
    service_id: UUID | None = Field(default=None, description="null widens the law to every service of its agency.")
    purpose: Purpose | None = None
    attributes: list[AttributeKey] | None = Field(default=None, min_length=1, max_length=50)
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    note: Text = Field(description="Why it changes, in words the people it affects will read.")


class LegalBasisRepeal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text = Field(description="Why it is repealed, in words the people it affects will read.")


class LegalBasisChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: LegalBasisChangeKind
    actor_id: UUID
    actor_name: str
    changes: dict[str, list]
    note: str


class LegalBasisRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    title: str
    citation: str
    agency_id: UUID
    service_id: UUID | None
    source_agency_id: UUID | None
    source_organization_id: UUID | None
    purpose: Purpose
    attributes: list[str]
    valid_from: datetime
    valid_until: datetime | None
    created_at: datetime
    repealed_at: datetime | None = None


class LegalBasisDetail(LegalBasisRead):
    """A legal basis with every change made to it, oldest first."""

    changes: list[LegalBasisChangeRead]


LegalBasisPage = CursorPage[LegalBasisRead]


class LawChangeRead(BaseModel):
    """One change to a law, as the people it affects see it (who changed it is kept for the record)."""

    at: datetime
    kind: LegalBasisChangeKind
    changes: dict[str, list]
    note: str


class LawAboutMeRead(BaseModel):
    """A law that lets an agency read attributes government holds about me, with its history."""

    id: UUID
    title: str
    citation: str
    agency_name: str
    service_name: str | None
    source_name: str
    purpose: Purpose
    attributes: list[str]
    attribute_names: list[str]
    valid_from: datetime
    valid_until: datetime | None
    repealed_at: datetime | None
    in_force: bool
    changes: list[LawChangeRead]


class ConsentChangeRead(BaseModel):
    """One change of one of a person's consents, for their timeline."""

    at: datetime
    consent_id: UUID
    requester_agency_id: UUID
    purpose_text: str
    to_status: str
    actor: str
