"""What crosses the wire for life events, journey maps, touchpoint events and journey analytics."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from govcx.journeys.lifeevents import KEY_PATTERN, Names, Stage, Texts, Trigger
from govcx.journeys.models import InstanceStatus
from govcx.registry.models import Channel


class LifeEventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    names: Names
    description: Texts = Field(default_factory=Texts)
    triggers: list[Trigger] = Field(default_factory=list, max_length=20)
    stages: list[Stage] = Field(min_length=1, max_length=20)


class LifeEventUpdate(BaseModel):
    """A whole new definition; `version` is the one it was made from (a stale edit is refused)."""

    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(default=None, ge=1)
    names: Names
    description: Texts = Field(default_factory=Texts)
    triggers: list[Trigger] = Field(default_factory=list, max_length=20)
    stages: list[Stage] = Field(min_length=1, max_length=20)


class LifeEventRead(BaseModel):
    key: str
    version: int
    edited: bool
    names: Names
    description: Texts
    triggers: list[Trigger]
    stages: list[Stage]
    updated_at: datetime


class LifeEventVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: int
    name_en: str
    name_es: str
    definition: dict[str, Any]
    changed_by: str
    changed_at: datetime


class StageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    key: str
    name: str
    position: int


class TouchpointRead(BaseModel):
    key: str
    name: str
    stage: str
    channel: Channel
    service_id: UUID | None
    agency_id: UUID
    owner_staff_id: UUID | None
    position: int


class JourneyMapRead(BaseModel):
    key: str
    name: str
    description: str
    life_event: str | None
    agency_id: UUID | None
    version: int
    stages: list[StageRead]
    touchpoints: list[TouchpointRead]
    updated_at: datetime


class TouchpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    stage: str = Field(pattern=KEY_PATTERN)
    channel: Channel
    service_id: UUID | None = None
    agency_id: UUID
    owner_staff_id: UUID | None = None


class TouchpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    channel: Channel | None = None
    owner_staff_id: UUID | None = None


class JourneyMapVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    version: int
    snapshot: dict[str, Any]
    changed_by: str
    changed_at: datetime


class EventErrorRead(BaseModel):
    index: int
    id: str | None
    errors: list[str]


class EventBatchResult(BaseModel):
    accepted: int = Field(description="Events written now.")
    duplicates: int = Field(description="Events already written by an earlier send (same agency and id).")
    errors: list[EventErrorRead] = Field(description="Each refused event, by its index in the batch.")


class TouchpointEventIn(BaseModel):
    """One event of a batch (documentation: the batch is checked event by event, so one bad event never
    refuses the others)."""

    id: str = Field(min_length=1, max_length=100, description="The client's event id; a retry sends the same.")
    person_id: UUID | None = None
    visitor_id: str | None = Field(default=None, max_length=100, description="A pseudonymous visitor id.")
    journey: str
    touchpoint: str | None = None
    type: str = Field(description="view, start, step, submit, complete, abandon or error")
    at: datetime
    properties: dict[str, Any] = Field(default_factory=dict)


class EventBatch(BaseModel):
    events: list[TouchpointEventIn] = Field(max_length=10_000)


class InstanceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: UUID
    life_event: str
    status: InstanceStatus
    current_stage: str
    started_at: datetime
    last_activity_at: datetime
    completed_at: datetime | None
    abandoned_at: datetime | None
    agencies: list[str]
