"""Who and what government knows about: people, organizations, agencies, services, regions, the data catalogue."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, CheckConstraint, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govcx.core.db import Base, text_enum
from govcx.core.ids import new_id


class Channel(StrEnum):
    WEB = "web"
    APP = "app"
    PHONE = "phone"
    IN_PERSON = "in_person"
    EMAIL = "email"
    CHAT = "chat"
    MAIL = "mail"
    SOCIAL = "social"
    SMS = "sms"


class Sensitivity(StrEnum):
    PUBLIC = "public"
    INTERNAL = "internal"
    PERSONAL = "personal"
    SENSITIVE = "sensitive"


class ValueType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    MONEY = "money"
    BOOLEAN = "boolean"
    DATE = "date"
    ADDRESS = "address"
    DOCUMENT = "document"


class SubjectKind(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"




class Region(Base):
    __tablename__ = "region"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[UUID | None] = mapped_column(ForeignKey("region.id"), index=True)
    centroid_lat: Mapped[float | None]
    centroid_lon: Mapped[float | None]
    shape: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]


class Agency(Base):
    __tablename__ = "agency"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[UUID | None] = mapped_column(ForeignKey("agency.id"), index=True)
    created_at: Mapped[datetime]

    departments: Mapped[list[Department]] = relationship(
        back_populates="agency", order_by="Department.code", lazy="selectin"
    )


class Department(Base):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("agency_id", "code", name="uq_department_agency_code"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]

    agency: Mapped[Agency] = relationship(back_populates="departments")


class Service(Base):
    """One entry of the service catalogue."""

    __tablename__ = "service"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    department_id: Mapped[UUID | None] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_completion_minutes: Mapped[int]
    sla_hours: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Household(Base):
    __tablename__ = "household"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    region_id: Mapped[UUID | None] = mapped_column(ForeignKey("region.id"), index=True)
    created_at: Mapped[datetime]


class Person(Base):
    __tablename__ = "person"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    # The national id is kept sealed; the keyed hash finds a person by it without storing it in clear.
    national_id_index: Mapped[str] = mapped_column(String(64), unique=True)
    national_id_key_id: Mapped[str] = mapped_column(String(32))
    national_id_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    search_name: Mapped[str] = mapped_column(String(201), index=True)
    birth_date: Mapped[date]
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    street_address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    locality: Mapped[str | None] = mapped_column(String(100))
    preferred_language: Mapped[str] = mapped_column(String(8), default="en")
    preferred_channel: Mapped[Channel] = mapped_column(text_enum(Channel), default=Channel.WEB)
    region_id: Mapped[UUID | None] = mapped_column(ForeignKey("region.id"), index=True)
    household_id: Mapped[UUID | None] = mapped_column(ForeignKey("household.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    business_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    search_name: Mapped[str] = mapped_column(String(200), index=True)
    sector: Mapped[str] = mapped_column(String(64))
    region_id: Mapped[UUID | None] = mapped_column(ForeignKey("region.id"), index=True)
    is_data_provider: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DataAttribute(Base):
    """One entry of the data catalogue, with the one source allowed to say what its value is."""

    __tablename__ = "data_attribute"
    __table_args__ = (
        CheckConstraint(
            "(source_agency_id IS NULL) <> (source_organization_id IS NULL)", name="one_authoritative_source"
        ),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    subject_kind: Mapped[SubjectKind] = mapped_column(text_enum(SubjectKind))
    value_type: Mapped[ValueType] = mapped_column(text_enum(ValueType))
    sensitivity: Mapped[Sensitivity] = mapped_column(text_enum(Sensitivity))
    source_agency_id: Mapped[UUID | None] = mapped_column(ForeignKey("agency.id"), index=True)
    source_organization_id: Mapped[UUID | None] = mapped_column(ForeignKey("organization.id"), index=True)
    self_declarable: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
