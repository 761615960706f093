"""How other domains ask notify to reach a person without importing it."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID


@dataclass(frozen=True)
class NotificationRequested:
    """Publish this (e.g. a case changed status) and notify sends `template_key` to the person after commit."""

    person_id: UUID
    template_key: str
    why_rule: str
    facts: dict[str, str | int | float | None] = field(default_factory=dict)
    why_data: tuple[str, ...] = ()
    consent_ids: tuple[UUID, ...] = ()
    dedup_key: str | None = None
    # On whose behalf: the agency's template versions are used and its dedup keys are its own. None: govcx itself.
    sender_agency_id: UUID | None = None
