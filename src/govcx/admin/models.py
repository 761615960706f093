"""The administration log: who did what, when, to which object. Never a secret, never a person's data."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from govcx.core.db import Base, text_enum
from govcx.core.ids import new_id


class AdminVerb(StrEnum):
    AGENCY_CREATED = "agency.created"
    AGENCY_RENAMED = "agency.renamed"
    STAFF_CREATED = "staff.created"
    STAFF_ROLE_CHANGED = "staff.role_changed"
    STAFF_DISABLED = "staff.disabled"
    KEY_CREATED = "key.created"
    KEY_REVOKED = "key.revoked"
    SURVEY_CREATED = "survey.created"
    SURVEY_OPENED = "survey.opened"
    SURVEY_CLOSED = "survey.closed"
    FOLLOW_UP_RULE_CREATED = "follow_up_rule.created"
    FOLLOW_UP_RULE_SWITCHED_ON = "follow_up_rule.on"
    FOLLOW_UP_RULE_SWITCHED_OFF = "follow_up_rule.off"
    ROUTING_RULE_CREATED = "routing_rule.created"
    ROUTING_RULE_DELETED = "routing_rule.deleted"
    TEMPLATE_CREATED = "template.created"
    LEGAL_BASIS_CREATED = "legal_basis.created"
    LEGAL_BASIS_AMENDED = "legal_basis.amended"
    LEGAL_BASIS_REPEALED = "legal_basis.repealed"


class AdminAction(Base):
    """One administrative action. `details` holds only what `service.record` admits (no secret, no person's data);
    names of staff and agencies are looked up when the log is read, so the log itself holds none."""

    __tablename__ = "admin_action"
    __table_args__ = (Index("ix_admin_action_agency_at", "agency_id", "at"),)

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[UUID] = mapped_column(ForeignKey("staff_account.id"), index=True)
    actor_role: Mapped[str] = mapped_column(String(32))
    # The agency the object belongs to (None: the platform's own, such as a legal basis register entry
    # for no agency); an agency admin reads the log of their agency.
    agency_id: Mapped[UUID | None] = mapped_column(ForeignKey("agency.id"))
    verb: Mapped[AdminVerb] = mapped_column(text_enum(AdminVerb))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
