"""Life events, journey maps, touchpoint events and the journeys people are on."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from govcx.core import accounts
from govcx.core.accounts import Scope
from govcx.core.auth import authorize
from govcx.core.cache import RarelyChanging
from govcx.core.clock import Clock
from govcx.core.db import unit_of_work
from govcx.core.events import publish
from govcx.core.errors import Conflict, Invalid, NotFound, ProblemError
from govcx.core.ids import new_id
from govcx.crm.events import CaseOpened, CaseStatusChanged, InteractionRecorded
from govcx.journeys import instances, lifeevents
from govcx.journeys.events import TouchpointEventsRecorded
from govcx.journeys.lifeevents import LifeEventDefinition
from govcx.journeys.models import (
    ActivityKind,
    EventType,
    JourneyActivity,
    JourneyMap,
    JourneyMapVersion,
    JourneyStage,
    LifeEvent,
    LifeEventVersion,
    Touchpoint,
    TouchpointEvent,
    VisitorLink,
)
from govcx.registry import service as registry_service
from govcx.registry.models import Channel
from govcx.vault.events import FactRecorded

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
    _JOURNEYS.forget(session)
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


def journey_map_read(*, session: Session, journey: JourneyMap) -> dict[str, Any]:
    """The journey map as its API shape."""
    life_event = session.get(LifeEvent, journey.life_event_id) if journey.life_event_id else None
    stage_keys = {s.id: s.key for s in journey.stages}
    return {"key": journey.key, "name": journey.name, "description": journey.description,
            "life_event": life_event.key if life_event else None, "agency_id": journey.agency_id,
            "version": journey.version, "updated_at": journey.updated_at,
            "stages": [{"key": s.key, "name": s.name, "position": s.position} for s in journey.stages],
            "touchpoints": [{"key": t.key, "name": t.name, "stage": stage_keys[t.stage_id], "channel": t.channel,
                             "service_id": t.service_id, "agency_id": t.agency_id,
                             "owner_staff_id": t.owner_staff_id, "position": t.position}
                            for t in journey.touchpoints]}


def add_touchpoint(*, session: Session, key: str, data: Any, changed_by: str, clock: Clock) -> JourneyMap:
    """Add a touchpoint to a stage of a journey map; the map gets a new version."""
    journey = get_journey_map(session=session, key=key)
    stage = next((s for s in journey.stages if s.key == data.stage), None)
    if stage is None:
        raise Invalid(f"Journey {key!r} has no stage {data.stage!r}.", field="stage")
    if any(t.key == data.key for t in journey.touchpoints):
        raise Conflict(f"Journey {key!r} already has a touchpoint {data.key!r}.")
    if data.service_id is not None:
        registry_service.get_service(session=session, service_id=data.service_id)
    registry_service.get_agency(session=session, agency_id=data.agency_id)
    journey.touchpoints.append(Touchpoint(
        journey_id=journey.id, stage_id=stage.id, key=data.key, name=data.name, channel=data.channel,
        service_id=data.service_id, agency_id=data.agency_id, owner_staff_id=data.owner_staff_id,
        position=max((t.position for t in journey.touchpoints), default=-1) + 1))
    _bump_map(session, journey, changed_by=changed_by, at=clock.now())
    session.flush()
    return journey


def update_touchpoint(*, session: Session, key: str, touchpoint: str, data: Any, by: Any, changed_by: str,
                      clock: Clock) -> JourneyMap:
    """Change a touchpoint's name, channel or owner (only the touchpoint's agency may); the map gets a new version."""
    journey = get_journey_map(session=session, key=key)
    found = next((t for t in journey.touchpoints if t.key == touchpoint), None)
    if found is None:
        raise NotFound(f"Journey {key!r} has no touchpoint {touchpoint!r}.")
    authorize(by, Scope.JOURNEYS_WRITE, agency_id=found.agency_id)
    changes = data.model_dump(exclude_unset=True)
    for field, value in changes.items():
        if value is not None or field == "owner_staff_id":
            setattr(found, field, value)
    if changes:
        _bump_map(session, journey, changed_by=changed_by, at=clock.now())
    session.flush()
    return journey


def owner_names(*, session: Session, ids: set[UUID]) -> dict[UUID, str]:
    """The names of the staff members who own touchpoints."""
    out = {}
    for staff_id in ids:
        account = accounts.get_staff(session=session, staff_id=staff_id)
        if account is not None:
            out[staff_id] = account.name
    return out


def journey_map_versions(*, session: Session, journey_id: UUID) -> Sequence[JourneyMapVersion]:
    """Every version of a journey map, newest first."""
    return list(session.scalars(select(JourneyMapVersion).where(JourneyMapVersion.journey_id == journey_id)
                                .order_by(JourneyMapVersion.version.desc())))


# Touchpoint events -------------------------------------------------------------------------------

MAX_BATCH = 10_000
MAX_ID = 100
MAX_PROPERTIES_BYTES = 4096
EVENT_TYPES = frozenset(t.value for t in EventType)
_EVENT_FIELDS = frozenset({"id", "person_id", "visitor_id", "journey", "touchpoint", "type", "at", "properties"})
# How far ahead of the server's clock an event's time may be (clocks of browsers drift).
_FUTURE_SLACK = timedelta(hours=1)


@dataclass(frozen=True)
class EventError:
    index: int
    id: str | None
    errors: tuple[str, ...]


@dataclass(frozen=True)
class IngestResult:
    accepted: int     # written now
    duplicates: int   # already written by an earlier send of the same batch (or twice in this one)
    errors: list[EventError]


@dataclass(frozen=True)
class Batch:
    events: list[Any]
    key: str | None  # the API key, when a beacon carried it in the body


def parse_batch(body: bytes, *, allow_key: bool = False) -> Batch:
    """The events of a batch body, or a 413/422 problem when the batch as a whole is oversized or malformed."""
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise Invalid("The body is not JSON. Send {\"events\": [...]}.") from exc
    if not isinstance(parsed, dict) or not isinstance(parsed.get("events"), list):
        raise Invalid("Send an object with an \"events\" list: {\"events\": [...]}.")
    unknown = set(parsed) - ({"events", "key"} if allow_key else {"events"})
    if unknown:
        raise Invalid(f"Unknown member(s) {', '.join(sorted(unknown))}; a batch has only \"events\".")
    key = parsed.get("key")
    if key is not None and not isinstance(key, str):
        raise Invalid("key: an API key, as a string.")
    events_in: list[Any] = parsed["events"]
    if not events_in:
        raise Invalid("The batch has no events.")
    if len(events_in) > MAX_BATCH:
        raise BatchTooLarge(f"The batch has {len(events_in):,} events; at most {MAX_BATCH:,} are taken at once. "
                            "Send it in smaller batches.")
    return Batch(events=events_in, key=key)


class BatchTooLarge(ProblemError):
    status, code, title = 413, "batch-too-large", "Content Too Large"


def _check_event(raw: Any, now: datetime) -> tuple[dict[str, Any] | None, list[str]]:
    """One event as a row (without the ids the store resolves), or what is wrong with it."""
    if not isinstance(raw, dict):
        return None, ["An event is an object."]
    problems = []
    unknown = raw.keys() - _EVENT_FIELDS
    if unknown:
        problems.append(f"Unknown field(s): {', '.join(sorted(map(str, unknown)))}.")
    client_id = raw.get("id")
    if not isinstance(client_id, str) or not 0 < len(client_id) <= MAX_ID:
        problems.append(f"id: a client event id of 1 to {MAX_ID} characters is required.")
    person_id = raw.get("person_id")
    if person_id is not None:
        try:
            person_id = UUID(person_id) if isinstance(person_id, str) else None
        except ValueError:
            person_id = None
        if person_id is None:
            problems.append("person_id: not a person id.")
    visitor_id = raw.get("visitor_id")
    if visitor_id is not None and (not isinstance(visitor_id, str) or not 0 < len(visitor_id) <= MAX_ID):
        problems.append(f"visitor_id: a pseudonymous id of 1 to {MAX_ID} characters.")
        visitor_id = None
    if raw.get("person_id") is None and raw.get("visitor_id") is None:
        problems.append("Give person_id or visitor_id: whose event it is.")
    journey = raw.get("journey")
    if not isinstance(journey, str) or not journey:
        problems.append("journey: the key of a journey map is required.")
    touchpoint = raw.get("touchpoint")
    if touchpoint is not None and (not isinstance(touchpoint, str) or not touchpoint):
        problems.append("touchpoint: a touchpoint key of the journey, or leave it out.")
    kind = raw.get("type")
    if kind not in EVENT_TYPES:
        problems.append(f"type: one of {', '.join(t.value for t in EventType)}.")
    at = raw.get("at")
    try:
        at = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        problems.append("at: an ISO 8601 time with its offset, e.g. 2026-03-16T09:30:00Z.")
    elif at > now + _FUTURE_SLACK:
        problems.append("at: the time is in the future.")
    properties = raw.get("properties")
    if properties is None:
        properties = {}
    elif not isinstance(properties, dict):
        problems.append("properties: an object.")
    elif len(json.dumps(properties)) > MAX_PROPERTIES_BYTES:
        problems.append(f"properties: at most {MAX_PROPERTIES_BYTES} bytes as JSON.")
    if problems:
        return None, problems
    return {"client_event_id": client_id, "person_id": person_id, "visitor_id": visitor_id, "journey": journey,
            "touchpoint": touchpoint, "type": kind, "at": at, "properties": properties}, []


def ingest(*, session: Session, agency_id: UUID, events_in: list[Any], clock: Clock,
           inactivity: timedelta = instances.DEFAULT_INACTIVITY) -> IngestResult:
    """Keep every good event of a batch, once per agency and client event id; name each bad one by its index.

    Rows go in through Core in one statement: a batch of a thousand is one round trip, not a thousand
    ORM objects.
    """
    now = clock.now()
    errors: list[EventError] = []
    checked: list[tuple[int, dict[str, Any]]] = []
    for index, raw in enumerate(events_in):
        row, problems = _check_event(raw, now)
        if row is None:
            errors.append(EventError(index, raw.get("id") if isinstance(raw, dict) and isinstance(
                raw.get("id"), str) else None, tuple(problems)))
        else:
            checked.append((index, row))
    journeys = _journey_index(session, {row["journey"] for _, row in checked},
                              {(row["journey"], row["touchpoint"]) for _, row in checked if row["touchpoint"]})
    persons = _existing_persons(session, {row["person_id"] for _, row in checked if row["person_id"]})
    links = _visitor_links(session, agency_id, {row["visitor_id"] for _, row in checked
                                                if row["visitor_id"] and not row["person_id"]})
    seen: set[str] = set()
    duplicates = 0
    rows: list[dict[str, Any]] = []
    new_links: dict[str, UUID] = {}
    existing = _already_written(session, agency_id, [row["client_event_id"] for _, row in checked])
    for index, row in checked:
        problems = []
        journey = journeys.get(row["journey"])
        touchpoint_id = None
        if journey is None:
            problems.append(f"journey: no journey map with key {row['journey']!r}.")
        elif row["touchpoint"] is not None:
            touchpoint_id = journey.touchpoints.get(row["touchpoint"])
            if touchpoint_id is None:
                problems.append(f"touchpoint: journey {row['journey']!r} has no touchpoint {row['touchpoint']!r}.")
        if row["person_id"] is not None and row["person_id"] not in persons:
            problems.append("person_id: no such person.")
        if problems:
            errors.append(EventError(index, row["client_event_id"], tuple(problems)))
            continue
        client_id = row["client_event_id"]
        if client_id in existing or client_id in seen:
            duplicates += 1
            continue
        seen.add(client_id)
        person_id = row["person_id"]
        if person_id is None:
            person_id = links.get(row["visitor_id"]) or new_links.get(row["visitor_id"])
        elif row["visitor_id"] is not None and links.get(row["visitor_id"]) != person_id:
            new_links[row["visitor_id"]] = person_id
        rows.append({"id": new_id(), "agency_id": agency_id, "client_event_id": client_id, "person_id": person_id,
                     "visitor_id": row["visitor_id"], "journey_id": journey.id,  # type: ignore[union-attr]
                     "touchpoint_id": touchpoint_id, "type": row["type"], "at": row["at"],
                     "properties": row["properties"], "received_at": now})
    inserted = 0
    if rows:
        inserted = _insert_ignoring_duplicates(session, TouchpointEvent.__table__, rows,
                                               ("agency_id", "client_event_id"))
        duplicates += len(rows) - inserted  # another send of the same batch won the race for these
    if new_links:
        _link_visitors(session, agency_id=agency_id, links=new_links, at=now)
    errors.sort(key=lambda e: e.index)
    instances.apply_touchpoint_events(session=session, journeys={j.id: j for j in journeys.values()},
                                      rows=[r for r in rows if r["person_id"] is not None], clock=clock,
                                      inactivity=inactivity)
    if inserted:
        publish(session, TouchpointEventsRecorded(
            agency_id=agency_id, person_ids=tuple({r["person_id"] for r in rows if r["person_id"] is not None}),
            journeys=tuple(sorted({j.key for j in journeys.values() if j.id in {r["journey_id"] for r in rows}}))))
    return IngestResult(accepted=inserted, duplicates=duplicates, errors=errors)


@dataclass(frozen=True)
class JourneyIndex:
    """What the ingest path needs to know about one journey map."""

    id: UUID
    key: str
    life_event_id: UUID | None
    touchpoints: dict[str, UUID]               # key -> id
    touchpoint_services: dict[UUID, UUID | None]  # id -> catalogue service id
    touchpoint_agencies: dict[UUID, UUID]      # id -> agency id


def _load_journey_index(session: Session) -> dict[str, JourneyIndex]:
    maps = session.execute(select(JourneyMap.id, JourneyMap.key, JourneyMap.life_event_id)).all()
    points: dict[UUID, list[Any]] = {m.id: [] for m in maps}
    for row in session.execute(select(Touchpoint.journey_id, Touchpoint.id, Touchpoint.key, Touchpoint.service_id,
                                      Touchpoint.agency_id)):
        points[row.journey_id].append(row)
    return {m.key: JourneyIndex(id=m.id, key=m.key, life_event_id=m.life_event_id,
                                touchpoints={t.key: t.id for t in points[m.id]},
                                touchpoint_services={t.id: t.service_id for t in points[m.id]},
                                touchpoint_agencies={t.id: t.agency_id for t in points[m.id]})
            for m in maps}


# Every batch names journeys and touchpoints by key: read them once a while, not twice per batch.
_JOURNEYS: RarelyChanging[str, JourneyIndex] = RarelyChanging(_load_journey_index)


def _journey_index(session: Session, keys: set[str], touchpoints: set[tuple[str, str]]) -> dict[str, JourneyIndex]:
    index = _JOURNEYS.get(session, keys)
    if any(journey in index and point not in index[journey].touchpoints for journey, point in touchpoints):
        _JOURNEYS.forget(session)  # a touchpoint added since, perhaps in another process
        index = _JOURNEYS.get(session, keys)
    return {key: index[key] for key in keys if key in index}


def _existing_persons(session: Session, ids: set[UUID]) -> set[UUID]:
    return registry_service.existing_person_ids(session=session, ids=ids) if ids else set()


def _visitor_links(session: Session, agency_id: UUID, visitor_ids: set[str]) -> dict[str, UUID]:
    if not visitor_ids:
        return {}
    return dict(session.execute(select(VisitorLink.visitor_id, VisitorLink.person_id).where(
        VisitorLink.agency_id == agency_id, VisitorLink.visitor_id.in_(visitor_ids))).all())


def _already_written(session: Session, agency_id: UUID, client_ids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(client_ids), 2000):  # bound the parameters of one statement on every store
        chunk = client_ids[start:start + 2000]
        found.update(session.scalars(select(TouchpointEvent.client_event_id).where(
            TouchpointEvent.agency_id == agency_id, TouchpointEvent.client_event_id.in_(chunk))))
    return found


def _insert_ignoring_duplicates(session: Session, table: Any, rows: list[dict[str, Any]],
                                keys: tuple[str, ...]) -> int:
    """Insert `rows` in one executemany, skipping any that a concurrent writer already put under `keys`."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = pg_insert(table).on_conflict_do_nothing(index_elements=list(keys))
    else:
        statement = sqlite_insert(table).on_conflict_do_nothing(index_elements=list(keys))
    result = session.execute(statement, rows)
    return result.rowcount if result.rowcount is not None and result.rowcount >= 0 else len(rows)


def link_visitor(*, session: Session, agency_id: UUID, visitor_id: str, person_id: UUID, clock: Clock) -> None:
    """Tie a pseudonymous visitor id to the person who just signed in; their earlier events become theirs."""
    _link_visitors(session, agency_id=agency_id, links={visitor_id: person_id}, at=clock.now())


def _link_visitors(session: Session, *, agency_id: UUID, links: dict[str, UUID], at: datetime) -> None:
    known = _visitor_links(session, agency_id, set(links))
    fresh = {v: p for v, p in links.items() if v not in known}
    if fresh:
        _insert_ignoring_duplicates(session, VisitorLink.__table__, [
            {"agency_id": agency_id, "visitor_id": v, "person_id": p, "linked_at": at} for v, p in fresh.items()],
            ("agency_id", "visitor_id"))
    if not fresh:
        return
    # A visitor id is one person's: events before the sign-in are theirs too (only those still unclaimed).
    table = TouchpointEvent.__table__
    session.execute(update(table).where(
        table.c.agency_id == agency_id, table.c.visitor_id == bindparam("v"), table.c.person_id.is_(None),
    ).values(person_id=bindparam("p")).execution_options(synchronize_session=False),
        [{"v": v, "p": p} for v, p in fresh.items()])


# What the CRM tells journeys (durable handlers, subscribed in app.py) -------------------------------


def record_activities(*, session: Session, rows: list[dict[str, Any]], clock: Clock) -> int:
    """Keep contacts and cases of people for their journeys, once per `ref`; move their journeys on; return how many were new.

    Each row: ref, kind, person_id, agency_id, service_id, channel, started_at, ended_at. The demo
    loads its history through here in bulk; the CRM's events come one at a time.
    """
    if not rows:
        return 0
    table = JourneyActivity.__table__
    known = set(session.scalars(select(JourneyActivity.ref).where(JourneyActivity.ref.in_([r["ref"] for r in rows]))))
    fresh = [{"id": new_id(), **r} for r in rows if r["ref"] not in known]
    if fresh:
        _insert_ignoring_duplicates(session, table, fresh, ("ref",))
    _advance_from_activities(session, fresh, clock)
    return len(fresh)


def _advance_from_activities(session: Session, rows: list[dict[str, Any]], clock: Clock) -> None:
    touches = []
    for row in rows:
        if row.get("service_id") is None:
            continue
        for life_event_id in instances.life_events_of_service(session=session, service_id=row["service_id"]):
            done = row["kind"] == ActivityKind.CASE.value and row.get("ended_at") is not None
            touches.append(instances.Touch(person_id=row["person_id"], life_event_id=life_event_id,
                                           at=row.get("ended_at") or row["started_at"], service_id=row["service_id"],
                                           agency_id=row["agency_id"], done=done))
    instances.advance(session=session, touches=touches, clock=clock)


def on_case_opened(event: CaseOpened, *, factory: sessionmaker[Session], clock: Clock) -> None:
    """Start the waiting time of a person's case (idempotent: a case is kept once)."""
    if event.person_id is None:
        return
    with unit_of_work(factory) as session:
        record_activities(session=session, clock=clock, rows=[{
            "ref": f"case:{event.case_id}", "kind": ActivityKind.CASE.value, "person_id": event.person_id,
            "agency_id": event.agency_id, "service_id": event.service_id, "channel": None,
            "started_at": clock.now(), "ended_at": None}])


def on_case_status_changed(event: CaseStatusChanged, *, factory: sessionmaker[Session], clock: Clock) -> None:
    """End a case's waiting time when it is resolved; the service is done for the person's journeys."""
    if event.person_id is None or event.status not in ("resolved", "closed"):
        return
    with unit_of_work(factory) as session:
        ref = f"case:{event.case_id}"
        activity = session.scalar(select(JourneyActivity).where(JourneyActivity.ref == ref))
        now = clock.now()
        if activity is None:  # opened before journeys listened: its waiting is unknown, its end is not
            record_activities(session=session, clock=clock, rows=[{
                "ref": ref, "kind": ActivityKind.CASE.value, "person_id": event.person_id,
                "agency_id": event.agency_id, "service_id": event.service_id, "channel": None,
                "started_at": now, "ended_at": now}])
            return
        if activity.ended_at is not None:
            return  # heard already
        activity.ended_at = now
        session.flush()
        _advance_from_activities(session, [{"kind": activity.kind.value, "person_id": activity.person_id,
                                            "agency_id": activity.agency_id, "service_id": activity.service_id,
                                            "started_at": activity.started_at, "ended_at": now}], clock)


def on_interaction_recorded(event: InteractionRecorded, *, factory: sessionmaker[Session], clock: Clock) -> None:
    """Keep a contact's handling time for the person's journeys (idempotent)."""
    with unit_of_work(factory) as session:
        record_activities(session=session, clock=clock, rows=[{
            "ref": f"interaction:{event.interaction_id}", "kind": ActivityKind.CONTACT.value,
            "person_id": event.person_id, "agency_id": event.agency_id, "service_id": event.service_id,
            "channel": event.channel, "started_at": event.started_at, "ended_at": event.ended_at}])


def life_events_started_by_fact(*, session: Session, attribute_key: str) -> list[UUID]:
    """The life events a new version of the fact `attribute_key` starts (a child joining the household)."""
    return [life_event.id for life_event in list_life_events(session=session)
            if any(trigger.fact == attribute_key for trigger in definition_of(life_event).triggers)]


def on_fact_recorded(event: FactRecorded, *, factory: sessionmaker[Session], clock: Clock) -> None:
    """Start (or move on) the person's life events that this fact starts; idempotent, as the fact is the touch."""
    with unit_of_work(factory) as session:
        if not registry_service.existing_person_ids(session=session, ids=[event.subject_id]):
            return  # a fact about a business starts no person's life event
        started = life_events_started_by_fact(session=session, attribute_key=event.attribute_key)
        instances.advance(session=session, clock=clock, touches=[
            instances.Touch(person_id=event.subject_id, life_event_id=life_event_id, at=event.recorded_at)
            for life_event_id in started])


def close_lapsed_journeys(*, factory: sessionmaker[Session], clock: Clock, inactivity: timedelta) -> int:
    """Mark every journey with no activity for `inactivity` as abandoned (a background job)."""
    with unit_of_work(factory) as session:
        return instances.mark_abandoned(session=session, now=clock.now(), inactivity=inactivity)
