"""What crosses the wire for notifications, preferences and recommendations."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from govcx.core.bounded import FreeText, Line, free_text
from govcx.core.pagination import CursorPage
from govcx.notify.models import MessageStatus, NotifyChannel, Topic

LANGUAGES = ("en", "es")
TEMPLATE_MAX = 20_000
FactName = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Fact = free_text(1000)  # a fact may hold line breaks (an address); headers are made one line when sent


class PreferenceUpdate(BaseModel):
    """What a person may change about how government reaches them."""

    channels: list[NotifyChannel] = Field(min_length=1, max_length=4)
    language: str = Field(default="en", pattern=r"^(en|es)$")
    quiet_from: int | None = Field(default=None, ge=0, le=23)
    quiet_until: int | None = Field(default=None, ge=0, le=23)
    opted_out: list[Topic] = Field(default_factory=list)

    @field_validator("channels")
    @classmethod
    def _distinct(cls, value: list[NotifyChannel]) -> list[NotifyChannel]:
        if len(set(value)) != len(value):
            raise ValueError("Name each channel once.")
        return value


class PreferenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    person_id: UUID
    channels: list[NotifyChannel]
    language: str
    quiet_from: int | None
    quiet_until: int | None
    opted_out: list[Topic]
    muted_rules: list[str]
    updated_at: datetime


class TemplateCreate(BaseModel):
    key: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_.-]+$")
    language: str = Field(pattern=r"^(en|es)$")
    topic: Topic
    subject: str = Field(min_length=1, max_length=300)
    text_body: str = Field(min_length=1, max_length=TEMPLATE_MAX)
    html_body: str = Field(min_length=1, max_length=TEMPLATE_MAX)


class TemplateRead(TemplateCreate):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    agency_id: UUID | None = Field(description="The agency whose version this is; null for the platform's default.")
    version: int
    created_at: datetime


class TemplatePage(CursorPage[TemplateRead]):
    pass


class Why(BaseModel):
    """Why am I seeing this: the data used and the rule or consent that caused it."""

    data: list[Line] = Field(default_factory=list, max_length=20)
    rule: FreeText = Field(min_length=1, max_length=500)
    consent_ids: list[UUID] = Field(default_factory=list, max_length=20)


class NotificationCreate(BaseModel):
    """A message an agency (or another domain) asks govcx to send to one person."""

    person_id: UUID
    template_key: str = Field(min_length=1, max_length=100)
    facts: dict[FactName, Fact | int | float | None] = Field(default_factory=dict, max_length=30)
    dedup_key: str | None = Field(default=None, max_length=200)
    why: Why


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    person_id: UUID
    sender_agency_id: UUID | None = Field(description="The agency that sent it; null when govcx itself did.")
    topic: Topic
    template_key: str
    template_version: int | None
    language: str
    channel: NotifyChannel | None
    subject: str
    text_body: str
    why_data: list[str]
    why_rule: str
    status: MessageStatus
    skip_reason: str
    deferred_reason: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None


class MessagePage(CursorPage[MessageRead]):
    pass


class RecommendationRead(BaseModel):
    service_id: UUID
    service_code: str
    service_name: str
    rule_code: str
    why_data: list[str]
    why_rule: str
    consent_ids: list[UUID]
    also_used_by: int | None = None  # people in the same situation who used it (co-occurrence), when that is why


class RuleCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_.-]+$")
    service_id: UUID
    when: dict[str, list[str]] = Field(min_length=1)
    reason: str = Field(min_length=1, max_length=300)
