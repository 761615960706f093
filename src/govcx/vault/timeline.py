"""What the vault adds beside the person timeline: the facts it holds, from whom, since when; no values."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy.orm import Session

from govcx.core.timeline import HeldFact, TimelineViewer
from govcx.vault import service


def vault_facts(*, session: Session, person_id: UUID, viewer: TimelineViewer) -> Iterable[HeldFact]:
    """Which attributes the vault holds about the person; the values stay behind an exchange request."""
    for held in service.held_attributes(session=session, subject_id=person_id):
        yield HeldFact(key=held.attribute_key, label=held.attribute_name, source=held.source_name,
                       since=held.recorded_at)
