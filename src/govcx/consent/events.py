"""What other domains hear about consents."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class ConsentChanged:
    consent_id: UUID
    subject_id: UUID
    requester_agency_id: UUID
    status: str


@dataclass(frozen=True)
class ConsentWithdrawn:
    consent_id: UUID
    subject_id: UUID
