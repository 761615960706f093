"""Proactive services: rules that offer a service when something happens, and the offers they made."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from govcx.core.db import Base, text_enum
from govcx.core.ids import new_id


class Trigger(StrEnum):
    FACT_RECORDED = "fact_recorded"  # trigger_key: a catalogue attribute (a birth, an income, an address)
    CASE_RESOLVED = "case_resolved"  # trigger_key: the code of the service whose case was resolved
    JOURNEY_EVENT = "journey_event"  # trigger_key: "<journey key>" or "<journey key>/<touchpoint key>"


class OfferStatus(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"


class ProactiveRule(Base):
    """When `trigger` happens to a person and `condition` holds on their facts, offer `service_id`."""

    __tablename__ = "proactive_rule"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), index=True)  # the agency that offers
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    life_event_key: Mapped[str] = mapped_column(String(64), default="")
    trigger: Mapped[Trigger] = mapped_column(text_enum(Trigger))
    trigger_key: Mapped[str] = mapped_column(String(200))
    # A simpleeval expression over the person's facts and the event; empty: always.
    condition: Mapped[str] = mapped_column(Text, default="")
    service_id: Mapped[UUID] = mapped_column(ForeignKey("service.id"))
    # Attributes other agencies hold that the offering agency needs: the offer carries a consent request for them.
    consent_attributes: Mapped[list[str]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(String(300))  # said to the person: "A birth was registered in your family."
    offer_days: Mapped[int] = mapped_column(default=30)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Offer(Base):
    """One offer of one service to one person, for one triggering event; a decline is kept for ever."""

    __tablename__ = "proactive_offer"
    __table_args__ = (
        # One offer per rule, person and triggering event: a declined one is never made again.
        UniqueConstraint("rule_id", "person_id", "trigger_ref", name="uq_proactive_offer_rule_person_trigger"),
        Index("ix_proactive_offer_person_status", "person_id", "status"),
    )

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    rule_id: Mapped[UUID] = mapped_column(ForeignKey("proactive_rule.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"))
    service_id: Mapped[UUID] = mapped_column(ForeignKey("service.id"))
    # Names the triggering event without its value (a hash of a fact's value, a case id, a journey event id).
    trigger_ref: Mapped[str] = mapped_column(String(100))
    status: Mapped[OfferStatus] = mapped_column(text_enum(OfferStatus), default=OfferStatus.OFFERED)
    # The form's attributes prefilled from the vault (keys only: the values stay in the vault until accepted).
    fields: Mapped[list[str]] = mapped_column(JSON)
    consent_id: Mapped[UUID | None] = mapped_column(ForeignKey("consent.id"))
    case_id: Mapped[UUID | None] = mapped_column(ForeignKey("crm_case.id"))
    why: Mapped[str] = mapped_column(String(300))
    offered_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class JourneyWatermark(Base):
    """How far the journey-event watch has read the touchpoint events (by the time they were received)."""

    __tablename__ = "proactive_journey_watermark"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    seen_until: Mapped[datetime]
