"""Life events, journey maps, touchpoint events and the journeys people are on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from govcx.core.clock import Clock
from govcx.core.errors import Conflict, Invalid, NotFound
from govcx.journeys import lifeevents
from govcx.journeys.lifeevents import LifeEventDefinition
from govcx.journeys.models import (
    JourneyMap,
    JourneyMapVersion,
    JourneyStage,
    LifeEvent,
    LifeEventVersion,
    Touchpoint,
)
from govcx.registry import service as registry_service
from govcx.registry.models import Channel

# Life events -------------------------------------------------------------------------------------


def definition_of(life_event: LifeEvent) -> LifeEventDefinition:
    """The life event's definition as a checked object."""
    return LifeEventDefinition.model_validate({"key": life_event.key,
                                               "names": {"en": life_event.name_en, "es": life_event.name_es},
                                               **life_event.definition})


def load_life_events(*, session: Session, clock: Clock,
                     file: lifeevents.LifeEventsFile | None = None) -> dict[str, int]:
    """Load the shipped life events into the store, and their journey maps; return how many were added and updated.

    Idempotent: a life event already loaded from this file version is left alone, one loaded from an
    older version is updated (a new version), and one edited through the API is never overwritten.
    """
    file = file or lifeevents.shipped()
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    existing = {le.key: le for le in session.scalars(select(LifeEvent))}
    for definition in file.life_events:
        life_event = existing.get(definition.key)
        if life_event is None:
            life_event = _add_life_event(session=session, definition=definition, clock=clock,
                                         changed_by=f"lifeevents.json v{file.version}", file_version=file.version)
            counts["added"] += 1
        elif life_event.edited or life_event.file_version >= file.version:
            counts["unchanged"] += 1
        else:
            _change_life_event(session=session, life_event=life_event, definition=definition, clock=clock,
                               changed_by=f"lifeevents.json v{file.version}")
            life_event.file_version = file.version
            counts["updated"] += 1
        sync_journey_map(session=session, life_event=life_event, clock=clock, changed_by="life event")
    session.flush()
    return counts


def _add_life_event(*, session: Session, definition: LifeEventDefinition, clock: Clock, changed_by: str,
                    file_version: int = 0) -> LifeEvent:
    now = clock.now()
    life_event = LifeEvent(key=definition.key, version=1, file_version=file_version, edited=file_version == 0,
                           name_en=definition.names.en, name_es=definition.names.es,
                           definition=definition.stored(), created_at=now, updated_at=now)
    session.add(life_event)
    session.flush()
    _record_version(session, life_event, changed_by=changed_by, at=now)
    return life_event


def _change_life_event(*, session: Session, life_event: LifeEvent, definition: LifeEventDefinition, clock: Clock,
                       changed_by: str) -> bool:
    if (definition.stored() == life_event.definition and definition.names.en == life_event.name_en
            and definition.names.es == life_event.name_es):
        return False
    now = clock.now()
    life_event.name_en, life_event.name_es = definition.names.en, definition.names.es
    life_event.definition = definition.stored()
    life_event.version += 1
    life_event.updated_at = now
    _record_version(session, life_event, changed_by=changed_by, at=now)
    return True


def _record_version(session: Session, life_event: LifeEvent, *, changed_by: str, at: datetime) -> None:
    session.add(LifeEventVersion(life_event_id=life_event.id, version=life_event.version, name_en=life_event.name_en,
                                 name_es=life_event.name_es, definition=life_event.definition,
                                 changed_by=changed_by[:200], changed_at=at))


def list_life_events(*, session: Session) -> list[LifeEvent]:
    """Every life event, by key."""
    return list(session.scalars(select(LifeEvent).order_by(LifeEvent.key)))


def get_life_event(*, session: Session, key: str) -> LifeEvent:
    """The life event with `key`, or a 404."""
    life_event = session.scalar(select(LifeEvent).where(LifeEvent.key == key))
    if life_event is None:
        raise NotFound(f"No life event with key {key!r}.")
    return life_event


def life_event_versions(*, session: Session, life_event_id: UUID) -> list[LifeEventVersion]:
    """Every version of a life event, newest first."""
    return list(session.scalars(select(LifeEventVersion).where(LifeEventVersion.life_event_id == life_event_id)
                                .order_by(LifeEventVersion.version.desc())))


def create_life_event(*, session: Session, data: dict[str, Any], changed_by: str, clock: Clock) -> LifeEvent:
    """Add a life event defined by a member of staff (it is never overwritten by the shipped file)."""
    definition = lifeevents.parse_definition(data)
    if session.scalar(select(LifeEvent.id).where(LifeEvent.key == definition.key)) is not None:
        raise Conflict(f"A life event with key {definition.key!r} exists; change it instead.")
    _check_catalogue(session, definition)
    life_event = _add_life_event(session=session, definition=definition, clock=clock, changed_by=changed_by)
    sync_journey_map(session=session, life_event=life_event, clock=clock, changed_by=changed_by)
    session.flush()
    return life_event


def update_life_event(*, session: Session, key: str, data: dict[str, Any], expected_version: int | None,
                      changed_by: str, clock: Clock) -> LifeEvent:
    """Change a life event (a new version); the shipped file no longer overwrites it."""
    life_event = get_life_event(session=session, key=key)
    if expected_version is not None and expected_version != life_event.version:
        raise Conflict(f"The life event is at version {life_event.version}, not {expected_version}: "
                       "someone changed it meanwhile. Reload it and make the change again.")
    definition = lifeevents.parse_definition({**data, "key": key})
    _check_catalogue(session, definition)
    if _change_life_event(session=session, life_event=life_event, definition=definition, clock=clock,
                          changed_by=changed_by):
        life_event.edited = True
        sync_journey_map(session=session, life_event=life_event, clock=clock, changed_by=changed_by)
    session.flush()
    return life_event


def _check_catalogue(session: Session, definition: LifeEventDefinition) -> None:
    catalogue = _catalogue(session)
    for stage in definition.stages:
        for item in stage.services:
            found = catalogue.get(item.service)
            if found is None:
                raise Invalid(f"No service {item.service} in the catalogue.", field="stages")
            if found[2] != item.agency:
                raise Invalid(f"Service {item.service} belongs to agency {found[2]}, not {item.agency}.",
                              field="stages")


def _catalogue(session: Session) -> dict[str, tuple[UUID, UUID, str, str]]:
    """Service code -> (service id, agency id, agency code, service name)."""
    out = {}
    for agency, services in registry_service.catalogue(session=session):
        for service in services:
            out[service.code] = (service.id, agency.id, agency.code, service.name)
    return out


# Journey maps ------------------------------------------------------------------------------------


def sync_journey_map(*, session: Session, life_event: LifeEvent, clock: Clock, changed_by: str) -> JourneyMap | None:
    """Make the life event's journey map follow its definition: a stage per stage, a web touchpoint per service.

    Services not in the catalogue yet are left out (the map fills in once they exist). Touchpoints added
    by hand on other channels, and owners set by hand, are kept.
    """
    definition = definition_of(life_event)
    catalogue = _catalogue(session)
    journey = session.scalar(select(JourneyMap).where(JourneyMap.key == life_event.key))
    if journey is None:
        if not any(code in catalogue for code in definition.service_codes()):
            return None
        now = clock.now()
        journey = JourneyMap(key=life_event.key, name=life_event.name_en, life_event_id=life_event.id,
                             description=definition.description.en, version=0, created_at=now, updated_at=now)
        session.add(journey)
        session.flush()
    stages = {s.key: s for s in journey.stages}
    touchpoints = {t.key: t for t in journey.touchpoints}
    changed = journey.version == 0
    for position, stage_def in enumerate(definition.stages):
        stage = stages.get(stage_def.key)
        if stage is None:
            stage = JourneyStage(journey_id=journey.id, key=stage_def.key, name=stage_def.names.en, position=position)
            journey.stages.append(stage)
            changed = True
        elif (stage.name, stage.position) != (stage_def.names.en, position):
            stage.name, stage.position = stage_def.names.en, position
            changed = True
    session.flush()
    stages = {s.key: s for s in journey.stages}
    position = 0
    for stage_def in definition.stages:
        for item in stage_def.services:
            found = catalogue.get(item.service)
            if found is None:
                continue
            service_id, agency_id, _code, name = found
            key = touchpoint_key(item.service)
            touchpoint = touchpoints.get(key)
            if touchpoint is None:
                journey.touchpoints.append(Touchpoint(
                    journey_id=journey.id, stage_id=stages[stage_def.key].id, key=key, name=name, channel=Channel.WEB,
                    service_id=service_id, agency_id=agency_id, position=position))
                changed = True
            elif (touchpoint.stage_id, touchpoint.position) != (stages[stage_def.key].id, position):
                touchpoint.stage_id, touchpoint.position = stages[stage_def.key].id, position
                changed = True
            position += 1
    if changed:
        _bump_map(session, journey, changed_by=changed_by, at=clock.now())
    return journey


def touchpoint_key(service_code: str) -> str:
    """The key of the web touchpoint a life event's journey map has for a service."""
    return service_code.lower()


def _bump_map(session: Session, journey: JourneyMap, *, changed_by: str, at: datetime) -> None:
    session.flush()
    journey.version += 1
    journey.updated_at = at
    session.add(JourneyMapVersion(journey_id=journey.id, version=journey.version, snapshot=map_snapshot(journey),
                                  changed_by=changed_by[:200], changed_at=at))


def map_snapshot(journey: JourneyMap) -> dict[str, Any]:
    """The journey map as plain data (what a version keeps)."""
    stage_keys = {s.id: s.key for s in journey.stages}
    return {"key": journey.key, "name": journey.name, "description": journey.description,
            "stages": [{"key": s.key, "name": s.name} for s in journey.stages],
            "touchpoints": [{"key": t.key, "name": t.name, "stage": stage_keys.get(t.stage_id), "channel": t.channel.value,
                             "service_id": str(t.service_id) if t.service_id else None,
                             "agency_id": str(t.agency_id),
                             "owner_staff_id": str(t.owner_staff_id) if t.owner_staff_id else None}
                            for t in journey.touchpoints]}


def list_journey_maps(*, session: Session) -> list[JourneyMap]:
    """Every journey map, by name."""
    return list(session.scalars(select(JourneyMap).order_by(JourneyMap.name)))


def get_journey_map(*, session: Session, key: str) -> JourneyMap:
    """The journey map with `key`, or a 404."""
    journey = session.scalar(select(JourneyMap).where(JourneyMap.key == key))
    if journey is None:
        raise NotFound(f"No journey with key {key!r}.")
    return journey


def journey_map_versions(*, session: Session, journey_id: UUID) -> Sequence[JourneyMapVersion]:
    """Every version of a journey map, newest first."""
    return list(session.scalars(select(JourneyMapVersion).where(JourneyMapVersion.journey_id == journey_id)
                                .order_by(JourneyMapVersion.version.desc())))
