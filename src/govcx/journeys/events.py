"""What journeys tells other domains (proactive services, analytics) after it commits.

Published only when some domain subscribes: with no handler, publishing writes nothing, so the
ingest path pays for these only where they are used.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class TouchpointEventsRecorded:
    """A batch of touchpoint events was kept; the people it was about (those known by name) and its journeys."""

    agency_id: UUID
    person_ids: tuple[UUID, ...]
    journeys: tuple[str, ...]


@dataclass(frozen=True)
class JourneyStarted:
    """A person started a life event's journey (from an event, a contact, a case or a fact)."""

    instance_id: UUID
    person_id: UUID
    life_event: str
