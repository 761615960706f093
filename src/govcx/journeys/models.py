"""Life events, journey maps with stages and touchpoints, touchpoint events, and the journeys people are on."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govcx.core.db import Base, text_enum
from govcx.core.ids import new_id
from govcx.registry.models import Channel


class EventType(StrEnum):
    VIEW = "view"
    START = "start"
    STEP = "step"
    SUBMIT = "submit"
    COMPLETE = "complete"
    ABANDON = "abandon"
    ERROR = "error"


class InstanceStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    ABANDONED = "abandoned"  # no activity for `journey_inactivity_days`


class ActivityKind(StrEnum):
    CONTACT = "contact"  # an interaction with staff: handling time
    CASE = "case"        # a service request: waiting time from opened to resolved


class LifeEvent(Base):
    """One life event ("having a child"): its stages, each agency's services in order, and what starts it.

    The definition is data (`lifeevents.json` in the package); `version` counts every change, whether
    it came from a newer file or from an edit through the API.
    """

    __tablename__ = "journey_life_event"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    version: Mapped[int] = mapped_column(default=1)
    # The file's version this row was last loaded from; an edited row is never overwritten by the file.
    file_version: Mapped[int] = mapped_column(default=0)
    edited: Mapped[bool] = mapped_column(default=False)
    name_en: Mapped[str] = mapped_column(String(200))
    name_es: Mapped[str] = mapped_column(String(200))
    # {"description": {en, es}, "stages": [...], "triggers": [...]}: see lifeevents.json.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LifeEventVersion(Base):
    """Every version a life event has had, as it was then (append-only)."""

    __tablename__ = "journey_life_event_version"
    __table_args__ = (UniqueConstraint("life_event_id", "version", name="uq_journey_life_event_version"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    life_event_id: Mapped[UUID] = mapped_column(ForeignKey("journey_life_event.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    name_en: Mapped[str] = mapped_column(String(200))
    name_es: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(200))  # "lifeevents.json v3", or a staff member's e-mail
    changed_at: Mapped[datetime]


class JourneyMap(Base):
    """A journey as a service owner maps it: stages as columns, touchpoints as cards."""

    __tablename__ = "journey_map"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    life_event_id: Mapped[UUID | None] = mapped_column(ForeignKey("journey_life_event.id"), index=True)
    # The agency that owns a single-agency journey; None for a cross-agency one (a life event's).
    agency_id: Mapped[UUID | None] = mapped_column(ForeignKey("agency.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    stages: Mapped[list[JourneyStage]] = relationship(order_by="JourneyStage.position", lazy="selectin",
                                                      cascade="all, delete-orphan")
    touchpoints: Mapped[list[Touchpoint]] = relationship(order_by="Touchpoint.position", lazy="selectin",
                                                         cascade="all, delete-orphan")


class JourneyMapVersion(Base):
    """Every version of a journey map, its stages and touchpoints as they were (append-only)."""

    __tablename__ = "journey_map_version"
    __table_args__ = (UniqueConstraint("journey_id", "version", name="uq_journey_map_version"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    journey_id: Mapped[UUID] = mapped_column(ForeignKey("journey_map.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(200))
    changed_at: Mapped[datetime]


class JourneyStage(Base):
    __tablename__ = "journey_stage"
    __table_args__ = (UniqueConstraint("journey_id", "key", name="uq_journey_stage_journey_key"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    journey_id: Mapped[UUID] = mapped_column(ForeignKey("journey_map.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int]


class Touchpoint(Base):
    """One moment a person meets government on a journey: a channel, a catalogue service, an agency, an owner."""

    __tablename__ = "journey_touchpoint"
    __table_args__ = (UniqueConstraint("journey_id", "key", name="uq_journey_touchpoint_journey_key"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    journey_id: Mapped[UUID] = mapped_column(ForeignKey("journey_map.id", ondelete="CASCADE"))
    stage_id: Mapped[UUID] = mapped_column(ForeignKey("journey_stage.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[Channel] = mapped_column(text_enum(Channel))
    service_id: Mapped[UUID | None] = mapped_column(ForeignKey("service.id"), index=True)
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    owner_staff_id: Mapped[UUID | None] = mapped_column(ForeignKey("staff_account.id"))
    position: Mapped[int]


class TouchpointEvent(Base):
    """One thing a person (or a pseudonymous visitor) did at a touchpoint, as an agency's system reported it.

    Written in bulk through Core (`service.ingest`); a client event id is unique per agency, so a retried
    batch never duplicates.
    """

    __tablename__ = "journey_event"
    __table_args__ = (
        UniqueConstraint("agency_id", "client_event_id", name="uq_journey_event_agency_client_event"),
        Index("ix_journey_event_journey_at", "journey_id", "at"),
        Index("ix_journey_event_person_at", "person_id", "at"),
        Index("ix_journey_event_agency_visitor", "agency_id", "visitor_id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"))
    client_event_id: Mapped[str] = mapped_column(String(100))
    person_id: Mapped[UUID | None] = mapped_column(ForeignKey("person.id"))
    visitor_id: Mapped[str | None] = mapped_column(String(100))
    journey_id: Mapped[UUID] = mapped_column(ForeignKey("journey_map.id"))
    touchpoint_id: Mapped[UUID | None] = mapped_column(ForeignKey("journey_touchpoint.id"))
    type: Mapped[EventType] = mapped_column(text_enum(EventType))
    at: Mapped[datetime]
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime]


class VisitorLink(Base):
    """A pseudonymous visitor id an agency used, tied to the person once they signed in."""

    __tablename__ = "journey_visitor_link"

    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), primary_key=True)
    visitor_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id"), index=True)
    linked_at: Mapped[datetime]


class JourneyActivity(Base):
    """A contact or a case of a person that journeys heard about from the CRM (for time tax and instances)."""

    __tablename__ = "journey_activity"
    __table_args__ = (Index("ix_journey_activity_person_started", "person_id", "started_at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    # "case:<id>" or "interaction:<id>": the same CRM record is kept once however often it is heard of.
    ref: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[ActivityKind] = mapped_column(text_enum(ActivityKind))
    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id"))
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"))
    service_id: Mapped[UUID | None] = mapped_column(ForeignKey("service.id"))
    channel: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class JourneyInstance(Base):
    """One person's journey through one life event, across agencies, built as things happen."""

    __tablename__ = "journey_instance"
    __table_args__ = (Index("ix_journey_instance_person_life_event", "person_id", "life_event_id", "status"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id"))
    life_event_id: Mapped[UUID] = mapped_column(ForeignKey("journey_life_event.id"), index=True)
    status: Mapped[InstanceStatus] = mapped_column(text_enum(InstanceStatus), default=InstanceStatus.ACTIVE)
    current_stage: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime]
    last_activity_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    abandoned_at: Mapped[datetime | None]
    # Agency codes involved so far, and the service codes done ({code: when}).
    agencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    services_done: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]
