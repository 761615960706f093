"""What the vault tells other domains (journeys, proactive services) after it commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class FactRecorded:
    """A new version of a fact was recorded (a birth registered, an income assessed, a new address).

    Ids only, never the value: a reaction reads the value through the vault when it needs it.
    """

    fact_id: UUID
    subject_id: UUID
    attribute_key: str
    version: int
    previous_fact_id: UUID | None
    recorded_at: datetime
