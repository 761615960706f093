"""Interactions on any channel, cases (service requests) with their history, routing rules and repeat asks."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govcx.core.db import Base, text_enum
from govcx.core.ids import new_id
from govcx.registry.models import Channel




class Outcome(StrEnum):
    RESOLVED = "resolved"           # the person got what they came for
    REFERRED = "referred"           # sent on to another desk or agency
    FOLLOW_UP = "follow_up"         # more is needed from someone
    CASE_OPENED = "case_opened"     # a case now carries it
    ABANDONED = "abandoned"         # the person gave up


class CaseStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class CaseEventKind(StrEnum):
    OPENED = "opened"
    STATUS = "status"
    NOTE = "note"
    TRANSFER = "transfer"
    ASSIGNMENT = "assignment"


class Interaction(Base):
    __tablename__ = "crm_interaction"
    __table_args__ = (
        CheckConstraint("(person_id IS NULL) <> (organization_id IS NULL)", name="one_party"),
        CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),
        Index("ix_crm_interaction_person_started", "person_id", "started_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[UUID | None] = mapped_column(ForeignKey("person.id"))
    organization_id: Mapped[UUID | None] = mapped_column(ForeignKey("organization.id"), index=True)
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    service_id: Mapped[UUID | None] = mapped_column(ForeignKey("service.id"), index=True)
    # A free reference until the journeys domain owns touchpoints.
    touchpoint: Mapped[str | None] = mapped_column(String(100))
    staff_id: Mapped[UUID | None] = mapped_column(ForeignKey("staff_account.id"))
    channel: Mapped[Channel] = mapped_column(text_enum(Channel))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    outcome: Mapped[Outcome] = mapped_column(text_enum(Outcome))
    notes: Mapped[str] = mapped_column(Text, default="")
    notes_shared: Mapped[bool] = mapped_column(default=False)
    case_id: Mapped[UUID | None] = mapped_column(ForeignKey("crm_case.id"))
    created_at: Mapped[datetime]


class Case(Base):
    __tablename__ = "crm_case"
    __table_args__ = (
        CheckConstraint("(lat IS NULL) = (lon IS NULL)", name="lat_and_lon_together"),
        Index("ix_crm_case_queue", "agency_id", "department_id", "status"),
        Index("ix_crm_case_person_opened", "person_id", "opened_at"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    # The Open311 token handed out on filing; resolves to the case id.
    token: Mapped[UUID] = mapped_column(unique=True, default=new_id)
    person_id: Mapped[UUID | None] = mapped_column(ForeignKey("person.id"))
    organization_id: Mapped[UUID | None] = mapped_column(ForeignKey("organization.id"), index=True)
    service_id: Mapped[UUID] = mapped_column(ForeignKey("service.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    address: Mapped[str | None] = mapped_column(String(300))
    region_id: Mapped[UUID | None] = mapped_column(ForeignKey("region.id"), index=True)
    channel: Mapped[Channel] = mapped_column(text_enum(Channel))
    is_complaint: Mapped[bool] = mapped_column(default=False)
    status: Mapped[CaseStatus] = mapped_column(text_enum(CaseStatus), default=CaseStatus.OPEN)
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"))
    department_id: Mapped[UUID | None] = mapped_column(ForeignKey("department.id"), index=True)
    assignee_id: Mapped[UUID | None] = mapped_column(ForeignKey("staff_account.id"), index=True)
    priority: Mapped[Priority] = mapped_column(text_enum(Priority), default=Priority.NORMAL)
    filed_by_agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    routing_rule_id: Mapped[UUID | None] = mapped_column(ForeignKey("crm_routing_rule.id"))
    opened_at: Mapped[datetime]
    sla_due_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]

    events: Mapped[list[CaseEvent]] = relationship(
        order_by="CaseEvent.at, CaseEvent.id", lazy="selectin", back_populates="case"
    )


class CaseEvent(Base):
    """One line of a case's history; a transfer moves the case, never its history."""

    __tablename__ = "crm_case_event"
    __table_args__ = (
        Index("ix_crm_case_event_case_at", "case_id", "at"),
        # The person's timeline reads "newest N of this person" straight off this index, however long their history.
        Index("ix_crm_case_event_person_at", "person_id", "at", "id"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[UUID] = mapped_column(ForeignKey("crm_case.id", ondelete="CASCADE"))
    # The case's person, copied onto each line (a case never changes person); None for public reports.
    person_id: Mapped[UUID | None] = mapped_column(ForeignKey("person.id"))
    at: Mapped[datetime]
    kind: Mapped[CaseEventKind] = mapped_column(text_enum(CaseEventKind))
    # Who acted, and for which agency: the timeline shows the acting agency.
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"))
    staff_id: Mapped[UUID | None] = mapped_column(ForeignKey("staff_account.id"))
    status: Mapped[CaseStatus | None] = mapped_column(text_enum(CaseStatus))
    reason: Mapped[str] = mapped_column(Text, default="")
    to_agency_id: Mapped[UUID | None] = mapped_column(ForeignKey("agency.id"))
    to_department_id: Mapped[UUID | None] = mapped_column(ForeignKey("department.id"))
    assignee_id: Mapped[UUID | None] = mapped_column(ForeignKey("staff_account.id"))

    case: Mapped[Case] = relationship(back_populates="events")


class CaseAnswer(Base):
    """One value an application carried to the agency: taken from the vault (with its source) or given by the person.

    Kept with the case as it was when filed, so the agency works on what the person saw and sent, whatever the
    vault says later. Values of sensitive attributes are sealed, like the vault's own.
    """

    __tablename__ = "crm_case_answer"
    __table_args__ = (UniqueConstraint("case_id", "attribute_key", name="uq_crm_case_answer_case_attribute"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[UUID] = mapped_column(ForeignKey("crm_case.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    attribute_key: Mapped[str] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(Text)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_id: Mapped[str | None] = mapped_column(String(32))
    # The vault's version that was used, and its source's name as the person saw it; None/"" when they typed it.
    fact_id: Mapped[UUID | None]
    source_name: Mapped[str] = mapped_column(String(200), default="")


class RoutingRule(Base):
    """Send cases about a service, mentioning some words, in a region, to a department."""

    __tablename__ = "crm_routing_rule"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    service_id: Mapped[UUID | None] = mapped_column(ForeignKey("service.id"), index=True)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    region_id: Mapped[UUID | None] = mapped_column(ForeignKey("region.id"))
    department_id: Mapped[UUID] = mapped_column(ForeignKey("department.id"))
    rank: Mapped[int] = mapped_column(default=100)
    created_at: Mapped[datetime]


class RepeatAsk(Base):
    """Staff typed in a value government already held: the once-only promise was broken once."""

    __tablename__ = "crm_repeat_ask"
    __table_args__ = (Index("ix_crm_repeat_ask_service_at", "service_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id"), index=True)
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    service_id: Mapped[UUID | None] = mapped_column(ForeignKey("service.id"))
    interaction_id: Mapped[UUID | None] = mapped_column(ForeignKey("crm_interaction.id"))
    field: Mapped[str] = mapped_column(String(100))
    channel: Mapped[Channel] = mapped_column(text_enum(Channel))
    at: Mapped[datetime]
