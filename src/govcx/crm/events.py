"""What the CRM tells other domains (notify, analytics, journeys) after it commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class CaseOpened:
    case_id: UUID
    agency_id: UUID
    department_id: UUID | None
    person_id: UUID | None
    service_id: UUID


@dataclass(frozen=True)
class CaseStatusChanged:
    case_id: UUID
    agency_id: UUID
    person_id: UUID | None
    service_id: UUID
    previous: str
    status: str


@dataclass(frozen=True)
class InteractionRecorded:
    """A contact with a person on any channel (journeys counts its handling time in the time tax)."""

    interaction_id: UUID
    agency_id: UUID
    person_id: UUID
    service_id: UUID | None
    channel: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class FollowUpCaseOpened:
    """The CRM opened a case for a feedback follow-up (feedback notes the case on the follow-up)."""

    follow_up_id: UUID
    case_id: UUID
    agency_id: UUID
