"""Feedback tables: surveys (versioned), invitations, responses, follow-up rules and follow-ups."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govcx.core.db import Base, text_enum
from govcx.core.ids import new_id




class SurveyKind(StrEnum):
    A11_V2 = "a11_v2"
    A11_V1 = "a11_v1"
    CSAT = "csat"
    CES = "ces"
    NPS = "nps"
    CUSTOM = "custom"


class ResponseSource(StrEnum):
    PAGE = "page"
    WIDGET = "widget"
    API = "api"


class FollowUpState(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class Survey(Base):
    """One version of a survey; a new version is a new row with the same code."""

    __tablename__ = "feedback_survey"
    __table_args__ = (UniqueConstraint("agency_id", "code", "version", name="uq_feedback_survey_version"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    kind: Mapped[SurveyKind] = mapped_column(text_enum(SurveyKind))
    provider: Mapped[str] = mapped_column(String(200))
    title: Mapped[dict[str, str]] = mapped_column(JSON)
    languages: Mapped[list[str]] = mapped_column(JSON)
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    is_open: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]


class Invitation(Base):
    """A one-time link: one response, before it expires. Only a hash of its token is kept."""

    __tablename__ = "feedback_invitation"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    survey_id: Mapped[UUID] = mapped_column(ForeignKey("feedback_survey.id"), index=True)
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    service_id: Mapped[UUID | None] = mapped_column(ForeignKey("service.id"), index=True)
    touchpoint: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str | None] = mapped_column(String(32))
    interaction_ref: Mapped[str | None] = mapped_column(String(100))
    case_ref: Mapped[str | None] = mapped_column(String(100))
    region_id: Mapped[UUID | None] = mapped_column(ForeignKey("region.id"))
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[datetime]
    sent_on: Mapped[date] = mapped_column(index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class Response(Base):
    """One answered survey. Free text is redacted before it is stored; scores are kept in columns
    so KPIs are plain SQL aggregates."""

    __tablename__ = "feedback_response"
    __table_args__ = (
        Index("ix_feedback_response_agency_day", "agency_id", "submitted_on"),
        Index("ix_feedback_response_service_day", "service_id", "submitted_on"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    survey_id: Mapped[UUID] = mapped_column(ForeignKey("feedback_survey.id"), index=True)
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"))
    invitation_id: Mapped[UUID | None] = mapped_column(ForeignKey("feedback_invitation.id"), unique=True)
    service_id: Mapped[UUID | None] = mapped_column(ForeignKey("service.id"))
    touchpoint: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str | None] = mapped_column(String(32))
    interaction_ref: Mapped[str | None] = mapped_column(String(100))
    case_ref: Mapped[str | None] = mapped_column(String(100))
    region_id: Mapped[UUID | None] = mapped_column(ForeignKey("region.id"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    source: Mapped[ResponseSource] = mapped_column(text_enum(ResponseSource))
    submitted_at: Mapped[datetime]
    submitted_on: Mapped[date]
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    trust: Mapped[int | None]  # 1 agreed or thumbs up, 0 otherwise
    satisfied: Mapped[int | None]
    ces_score: Mapped[int | None]  # 1 (very difficult) .. 7 (very easy)
    nps_score: Mapped[int | None]  # 0 .. 10
    drivers_answered: Mapped[int] = mapped_column(default=0)
    drivers_positive: Mapped[int] = mapped_column(default=0)  # a bit per driver
    drivers_negative: Mapped[int] = mapped_column(default=0)
    negative: Mapped[bool] = mapped_column(default=False)
    comment: Mapped[str | None] = mapped_column(Text)


class FollowUpRule(Base):
    """When a response's score on `question` is at most `max_value` (and, if asked, has a comment),
    the agency follows it up."""

    __tablename__ = "feedback_follow_up_rule"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(String(64))
    max_value: Mapped[int]
    needs_comment: Mapped[bool] = mapped_column(default=True)
    department_id: Mapped[UUID | None] = mapped_column(ForeignKey("department.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]


class FollowUp(Base):
    __tablename__ = "feedback_follow_up"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    response_id: Mapped[UUID] = mapped_column(ForeignKey("feedback_response.id"), unique=True)
    rule_id: Mapped[UUID] = mapped_column(ForeignKey("feedback_follow_up_rule.id"))
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    department_id: Mapped[UUID | None] = mapped_column(ForeignKey("department.id"))
    service_id: Mapped[UUID | None] = mapped_column(ForeignKey("service.id"))
    state: Mapped[FollowUpState] = mapped_column(text_enum(FollowUpState), default=FollowUpState.OPEN)
    case_ref: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
