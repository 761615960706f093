"""What the feedback domain tells others, after the unit of work commits."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class ResponseRecorded:
    response_id: UUID
    survey_id: UUID
    agency_id: UUID


@dataclass(frozen=True)
class FollowUpNeeded:
    """A negative answer that a rule says someone should follow up (the CRM opens a case for it)."""

    follow_up_id: UUID
    response_id: UUID
    agency_id: UUID
    department_id: UUID | None
    service_id: UUID | None
    rule: str
    comment: str | None  # already redacted
    interaction_ref: str | None
    case_ref: str | None
