"""What journeys adds to the person timeline: the life events they started, completed or gave up on.

An agency sees only the journeys it took part in (being on "facing a financial shock" is personal);
the person and platform administrators see them all.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from govcx.core.timeline import TimelineEntry, TimelineQuery
from govcx.journeys.models import InstanceStatus, JourneyInstance, LifeEvent
from govcx.registry import service as registry

_J, _L = JourneyInstance.__table__.c, LifeEvent.__table__.c


def journey_entries(*, session: Session, query: TimelineQuery) -> Iterator[TimelineEntry]:
    """The person's journeys as timeline entries (started, completed, abandoned), newest first."""
    if query.channel is not None:
        return  # a journey crosses channels: it is no one channel's entry
    viewer = query.viewer
    wanted = query.agency_id if query.agency_id is not None else (
        None if viewer.is_subject or viewer.platform_wide else viewer.agency_id)
    code = registry.agency_codes(session=session, wanted=(wanted,)).get(wanted) if wanted else None
    if wanted is not None and code is None:
        return
    entries = []
    rows = session.execute(select(_J.id, _J.status, _J.current_stage, _J.started_at, _J.completed_at, _J.abandoned_at,
                                  _J.agencies, _L.name_en).join(LifeEvent.__table__, _L.id == _J.life_event_id)
                           .where(_J.person_id == query.person_id))
    for id_, status, stage, started_at, completed_at, abandoned_at, agencies, name in rows:
        if code is not None and code not in agencies:
            continue
        detail = f"Agencies: {', '.join(agencies)}" if agencies else None
        entries.append(TimelineEntry(at=started_at, type="journey", source="journeys", agency_id=None, channel=None,
                                     title=f"Started: {name}", detail=detail, ref=None))
        if status == InstanceStatus.COMPLETED.value and completed_at is not None:
            entries.append(TimelineEntry(at=completed_at, type="journey", source="journeys", agency_id=None,
                                         channel=None, title=f"Completed: {name}", detail=detail))
        elif status == InstanceStatus.ABANDONED.value and abandoned_at is not None:
            entries.append(TimelineEntry(at=abandoned_at, type="journey", source="journeys", agency_id=None,
                                         channel=None, title=f"No activity for a while: {name}",
                                         detail=f"Last stage: {stage}"))
    entries = [e for e in entries if query.before is None or e.at < query.before]
    entries.sort(key=lambda e: e.at, reverse=True)
    yield from entries[:query.limit]
