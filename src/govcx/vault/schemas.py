"""What crosses the wire for the vault."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from typing import Annotated

from govcx.core.bounded import AwareDatetime
from govcx.registry.schemas import AttributeKey

Value = Annotated[str, StringConstraints(min_length=1, max_length=4000)]


class FactCreate(BaseModel):
    """A value an authoritative source (or the person, for self-declared attributes) records."""

    model_config = ConfigDict(extra="forbid")

    subject_id: UUID
    attribute_key: AttributeKey
    value: Value
    evidence: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    verified: bool = True
    valid_from: AwareDatetime | None = None
    valid_to: AwareDatetime | None = None


class SelfDeclaredFactCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attribute_key: AttributeKey
    value: Value


class Provenance(BaseModel):
    source_kind: str  # "agency", "organization" or "self"
    source_id: UUID | None
    source_name: str
    evidence: str
    verified: bool
    self_declared: bool
    valid_from: datetime | None
    valid_to: datetime | None
    recorded_at: datetime


class FactRead(BaseModel):
    id: UUID
    subject_id: UUID
    attribute_key: str
    attribute_name: str
    value: str
    version: int
    provenance: Provenance


class FactHistory(BaseModel):
    items: list[FactRead]


class FactList(BaseModel):
    items: list[FactRead]


class FormUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attributes: list[AttributeKey] = Field(min_length=1, max_length=100)


class FormRead(BaseModel):
    service_id: UUID
    attributes: list[str]


class PrefillValue(BaseModel):
    attribute_key: str
    attribute_name: str
    value: str
    source_name: str
    verified: bool
    recorded_at: datetime
    age_days: int


class PrefillRead(BaseModel):
    service_id: UUID
    known: list[PrefillValue]
    missing: list[str]


class HeldAttribute(BaseModel):
    """That government holds an attribute about someone, and from whom: never the value itself."""

    attribute_key: str
    attribute_name: str
    source_name: str
    recorded_at: datetime
