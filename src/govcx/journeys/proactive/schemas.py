"""What crosses the wire for proactive rules and offers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from govcx.core.bounded import clean_text
from govcx.journeys.proactive.models import OfferStatus, Trigger
from govcx.registry.schemas import AttributeKey

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=64,
                                        pattern=r"^[a-z0-9][a-z0-9._-]*$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=200),
                 AfterValidator(clean_text)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300),
                   AfterValidator(clean_text)]
Condition = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
TriggerKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LifeEventKey = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleCreate(_Strict):
    """A rule of the caller's agency: when `trigger` happens and `condition` holds, offer `service_id`."""

    code: Code
    name: Name
    life_event_key: LifeEventKey = ""
    trigger: Trigger
    trigger_key: TriggerKey
    condition: Condition = ""
    service_id: UUID
    consent_attributes: list[AttributeKey] = Field(default_factory=list, max_length=50)
    reason: Reason
    offer_days: int = Field(default=30, ge=1, le=365)


class RuleUpdate(_Strict):
    name: Name | None = None
    condition: Condition | None = None
    consent_attributes: list[AttributeKey] | None = Field(default=None, max_length=50)
    reason: Reason | None = None
    offer_days: int | None = Field(default=None, ge=1, le=365)
    active: bool | None = None


class RuleRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    agency_id: UUID
    code: str
    name: str
    life_event_key: str
    trigger: Trigger
    trigger_key: str
    condition: str
    service_id: UUID
    consent_attributes: list[str]
    reason: str
    offer_days: int
    active: bool
    created_at: datetime
    updated_at: datetime


class RuleList(BaseModel):
    items: list[RuleRead]


class PrefilledValue(BaseModel):
    attribute_key: str
    attribute_name: str
    value: str
    source_name: str


class ConsentAsked(BaseModel):
    """The consent the offer asks for: which data flows from which agencies to the offering one."""

    consent_id: UUID
    status: str
    attributes: list[str]
    purpose_text: str


class OfferRead(BaseModel):
    id: UUID
    rule_code: str
    service_id: UUID
    service_name: str
    agency_name: str
    status: OfferStatus
    why: str
    offered_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    case_id: UUID | None
    prefilled: list[PrefilledValue]
    missing: list[str]
    consent: ConsentAsked | None


class OfferList(BaseModel):
    items: list[OfferRead]


class OfferCounts(BaseModel):
    """Offers of one rule by outcome; a count below the suppression threshold is null."""

    rule_id: UUID
    rule_code: str
    rule_name: str
    service_name: str
    made: int | None
    accepted: int | None
    declined: int | None
    expired: int | None
    waiting: int | None


class OfferSummary(BaseModel):
    threshold: int
    rules: list[OfferCounts]


class LifeEventProgress(BaseModel):
    """Where one person stands in one life event: the stage, the agencies so far and what comes next."""

    key: str
    name: str
    status: str
    stage_name: str
    stage_number: int
    stage_count: int
    agencies: list[str]
    next_steps: list[str]
    started_at: datetime
