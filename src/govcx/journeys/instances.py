"""The journeys people are on, one per person and life event, moved forward by whatever happens to them.

Every source (touchpoint events, contacts and cases from the CRM, vault facts) becomes `Touch`es, and
`advance` folds a set of them into the person's instances with a handful of Core statements, whatever
the number of people: the ingest path calls it for each batch.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, insert, select, tuple_, update
from sqlalchemy.orm import Session

from govcx.core.clock import Clock
from govcx.core.ids import new_id
from govcx.journeys.lifeevents import LifeEventDefinition
from govcx.journeys.models import EventType, InstanceStatus, JourneyInstance, LifeEvent
from govcx.registry import service as registry_service

DEFAULT_INACTIVITY = timedelta(days=60)


@dataclass(frozen=True)
class Touch:
    """Something that happened to a person on a life event: at a service (maybe done with it), at a time."""

    person_id: UUID
    life_event_id: UUID
    at: datetime
    service_id: UUID | None = None
    agency_id: UUID | None = None
    done: bool = False  # the person is through with this service (completed it, or their case was resolved)


@dataclass
class _State:
    id: UUID | None
    started_at: datetime
    last_activity_at: datetime
    agencies: list[str]
    services_done: dict[str, str]
    status: InstanceStatus = InstanceStatus.ACTIVE
    current_stage: str = ""
    completed_at: datetime | None = None
    changed: bool = False


def apply_touchpoint_events(*, session: Session, journeys: dict[UUID, Any], rows: list[dict[str, Any]],
                            clock: Clock, inactivity: timedelta = DEFAULT_INACTIVITY) -> None:
    """Move instances on with freshly ingested touchpoint event rows (those of known people)."""
    touches = []
    for row in rows:
        journey = journeys[row["journey_id"]]
        if journey.life_event_id is None:
            continue
        point = row["touchpoint_id"]
        touches.append(Touch(person_id=row["person_id"], life_event_id=journey.life_event_id, at=row["at"],
                             service_id=journey.touchpoint_services.get(point) if point else None,
                             agency_id=journey.touchpoint_agencies.get(point) if point else None,
                             done=row["type"] == EventType.COMPLETE.value))
    advance(session=session, touches=touches, clock=clock, inactivity=inactivity)


def life_events_of_service(*, session: Session, service_id: UUID) -> list[UUID]:
    """The life events that have `service_id` at one of their stages."""
    code = registry_service.service_codes(session=session, wanted=(service_id,)).get(service_id)
    if code is None:
        return []
    return [le.id for le in _life_events(session, None).values() if code in le.codes]


@dataclass(frozen=True)
class _Shape:
    id: UUID
    stages: list[tuple[str, set[str]]]  # stage key, service codes

    @property
    def codes(self) -> set[str]:
        return set().union(*(codes for _, codes in self.stages))


def _life_events(session: Session, ids: set[UUID] | None) -> dict[UUID, _Shape]:
    stmt = select(LifeEvent.id, LifeEvent.key, LifeEvent.name_en, LifeEvent.name_es, LifeEvent.definition)
    if ids is not None:
        stmt = stmt.where(LifeEvent.id.in_(ids))
    out = {}
    for row in session.execute(stmt):
        definition = LifeEventDefinition.model_validate({"key": row.key, "names": {"en": row.name_en,
                                                                                   "es": row.name_es},
                                                        **row.definition})
        out[row.id] = _Shape(row.id, [(s.key, {i.service for i in s.services}) for s in definition.stages])
    return out


def advance(*, session: Session, touches: list[Touch], clock: Clock,
            inactivity: timedelta = DEFAULT_INACTIVITY) -> None:
    """Fold `touches` into the people's instances: start, move on, complete, or start afresh after a lapse."""
    if not touches:
        return
    shapes = _life_events(session, {t.life_event_id for t in touches})
    services = registry_service.service_codes(session=session, wanted={t.service_id for t in touches if t.service_id})
    agencies = registry_service.agency_codes(session=session, wanted={t.agency_id for t in touches if t.agency_id})
    table = JourneyInstance.__table__
    pairs = list({(t.person_id, t.life_event_id) for t in touches if t.life_event_id in shapes})
    current: dict[tuple[UUID, UUID], _State] = {}
    for start in range(0, len(pairs), 1000):  # only the instances these touches are about
        for row in session.execute(select(
                table.c.id, table.c.person_id, table.c.life_event_id, table.c.started_at, table.c.last_activity_at,
                table.c.agencies, table.c.services_done, table.c.current_stage).where(
                tuple_(table.c.person_id, table.c.life_event_id).in_(pairs[start:start + 1000]),
                table.c.status == InstanceStatus.ACTIVE.value)):
            current[(row.person_id, row.life_event_id)] = _State(
                id=row.id, started_at=row.started_at, last_activity_at=row.last_activity_at,
                agencies=list(row.agencies), services_done=dict(row.services_done), current_stage=row.current_stage)
    lapsed: list[dict[str, Any]] = []
    by_key: dict[tuple[UUID, UUID], list[Touch]] = defaultdict(list)
    for touch in touches:
        if touch.life_event_id in shapes:
            by_key[(touch.person_id, touch.life_event_id)].append(touch)
    fresh: list[tuple[tuple[UUID, UUID], _State]] = []
    for key, group in by_key.items():
        shape = shapes[key[1]]
        state = current.get(key)
        for touch in sorted(group, key=lambda t: t.at):
            if state is not None and state.status is InstanceStatus.ACTIVE and \
                    touch.at - state.last_activity_at > inactivity:
                # The person went quiet past the limit: that journey was abandoned, this is a new one.
                if state.id is not None:
                    lapsed.append({"i": state.id, "at": state.last_activity_at + inactivity})
                state = None
            if state is None or state.status is not InstanceStatus.ACTIVE:
                state = _State(id=None, started_at=touch.at, last_activity_at=touch.at, agencies=[],
                               services_done={})
                fresh.append((key, state))
            _fold(state, touch, shape, services, agencies)
        current[key] = state  # type: ignore[assignment]
    now = clock.now()
    if lapsed:
        session.execute(update(table).where(table.c.id == bindparam("i")).values(
            status=InstanceStatus.ABANDONED.value, abandoned_at=bindparam("at"), updated_at=now)
            .execution_options(synchronize_session=False), lapsed)
    new_ids = {id(state) for _, state in fresh}
    inserts = [_row(key, state, now) for key, state in fresh]
    updates = [{"i": s.id, "stage": s.current_stage, "status": s.status.value, "last": s.last_activity_at,
                "started": s.started_at, "completed": s.completed_at, "agencies": s.agencies,
                "done": s.services_done, "now": now}
               for s in current.values() if s.changed and id(s) not in new_ids and s.id is not None]
    if inserts:
        session.execute(insert(table), inserts)
    if updates:
        session.execute(update(table).where(table.c.id == bindparam("i")).values(
            current_stage=bindparam("stage"), status=bindparam("status"), last_activity_at=bindparam("last"),
            started_at=bindparam("started"), completed_at=bindparam("completed"), agencies=bindparam("agencies"),
            services_done=bindparam("done"), updated_at=bindparam("now"))
            .execution_options(synchronize_session=False), updates)


def _fold(state: _State, touch: Touch, shape: _Shape, services: Any, agencies: Any) -> None:
    state.changed = True
    state.started_at = min(state.started_at, touch.at)
    state.last_activity_at = max(state.last_activity_at, touch.at)
    agency = agencies.get(touch.agency_id) if touch.agency_id else None
    if agency and agency not in state.agencies:
        state.agencies.append(agency)
    code = services.get(touch.service_id) if touch.service_id else None
    if touch.done and code in shape.codes and code not in state.services_done:
        state.services_done[code] = touch.at.isoformat()
    # The current stage is the first with nothing done yet; with every stage begun, the journey is complete.
    pending = [stage for stage, codes in shape.stages if not codes & state.services_done.keys()]
    if pending:
        state.current_stage = pending[0]
    else:
        state.current_stage = shape.stages[-1][0]
        if state.status is InstanceStatus.ACTIVE:
            state.status = InstanceStatus.COMPLETED
            state.completed_at = touch.at


def _row(key: tuple[UUID, UUID], state: _State, now: datetime) -> dict[str, Any]:
    state.id = new_id()
    return {"id": state.id, "person_id": key[0], "life_event_id": key[1], "status": state.status.value,
            "current_stage": state.current_stage, "started_at": state.started_at,
            "last_activity_at": state.last_activity_at, "completed_at": state.completed_at, "abandoned_at": None,
            "agencies": state.agencies, "services_done": state.services_done, "updated_at": now}


def mark_abandoned(*, session: Session, now: datetime, inactivity: timedelta = DEFAULT_INACTIVITY) -> int:
    """Close every active journey with no activity for `inactivity` as abandoned; return how many."""
    table = JourneyInstance.__table__
    stale = session.execute(select(table.c.id, table.c.last_activity_at).where(
        and_(table.c.status == InstanceStatus.ACTIVE.value, table.c.last_activity_at < now - inactivity))).all()
    if stale:
        session.execute(update(table).where(table.c.id == bindparam("i")).values(
            status=InstanceStatus.ABANDONED.value, abandoned_at=bindparam("at"), updated_at=now)
            .execution_options(synchronize_session=False),
            [{"i": row.id, "at": row.last_activity_at + inactivity} for row in stale])
    return len(stale)
