"""Journeys REST API: touchpoint events, life events, journey maps and journey analytics."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from govcx.core.accounts import Scope
from govcx.core.auth import CurrentActor, agency_client_from_key, authorize
from govcx.core.config import API_PREFIX
from govcx.core.deps import ClockDep, SessionDep, SettingsDep
from govcx.core.errors import problem_responses
from govcx.journeys import analytics, schemas, service
from govcx.journeys.models import JourneyMap, LifeEvent

router = APIRouter(prefix=API_PREFIX, tags=["journeys"], responses=problem_responses(401, 403, 422))
_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def _who(actor: Any) -> str:
    return getattr(actor, "email", None) or f"api key {actor.key_id}"


# Touchpoint events -----------------------------------------------------------------------------


@router.post("/events", response_model=schemas.EventBatchResult, operation_id="record_touchpoint_events",
             responses=problem_responses(413),
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": schemas.EventBatch.model_json_schema(ref_template="#/components/schemas/{model}")}}}})
async def record_events(request: Request, session: SessionDep, clock: ClockDep, settings: SettingsDep,
                        presented: Annotated[str | None, Depends(_key_header)]) -> schemas.EventBatchResult:
    """Record a batch of up to 10,000 touchpoint events; a retried batch never duplicates, each bad event is
    named by its index and the good ones are kept.

    A browser's `navigator.sendBeacon` cannot set headers: it may put the key in the body as `"key"`.
    """
    body = await request.body()
    parsed = await run_in_threadpool(service.parse_batch, body, allow_key=presented is None)
    client = await agency_client_from_key(request, session, presented or parsed.key)
    authorize(client, Scope.EVENTS_WRITE)
    result = await run_in_threadpool(
        service.ingest, session=session, agency_id=client.agency_id, events_in=parsed.events, clock=clock,
        inactivity=timedelta(days=settings.journey_inactivity_days))
    return schemas.EventBatchResult(accepted=result.accepted, duplicates=result.duplicates, errors=[
        schemas.EventErrorRead(index=e.index, id=e.id, errors=list(e.errors)) for e in result.errors])


# Life events -----------------------------------------------------------------------------------


def _life_event(life_event: LifeEvent) -> schemas.LifeEventRead:
    definition = service.definition_of(life_event)
    return schemas.LifeEventRead(key=life_event.key, version=life_event.version, edited=life_event.edited,
                                 names=definition.names, description=definition.description,
                                 triggers=definition.triggers, stages=definition.stages,
                                 updated_at=life_event.updated_at)


@router.get("/life-events", response_model=list[schemas.LifeEventRead], operation_id="list_life_events")
def list_life_events(session: SessionDep, by: CurrentActor) -> list[schemas.LifeEventRead]:
    authorize(by, Scope.REGISTRY_READ)
    return [_life_event(le) for le in service.list_life_events(session=session)]


@router.get("/life-events/{key}", response_model=schemas.LifeEventRead, operation_id="get_life_event",
            responses=problem_responses(404))
def get_life_event(key: str, session: SessionDep, by: CurrentActor) -> schemas.LifeEventRead:
    authorize(by, Scope.REGISTRY_READ)
    return _life_event(service.get_life_event(session=session, key=key))


@router.post("/life-events", response_model=schemas.LifeEventRead, status_code=201,
             operation_id="create_life_event", responses=problem_responses(409))
def create_life_event(data: schemas.LifeEventCreate, session: SessionDep, clock: ClockDep,
                      by: CurrentActor) -> schemas.LifeEventRead:
    """Add a life event: its stages, each agency's services in order, and what starts it."""
    authorize(by, Scope.JOURNEYS_WRITE)
    return _life_event(service.create_life_event(session=session, data=data.model_dump(mode="json"),
                                                 changed_by=_who(by), clock=clock))


@router.put("/life-events/{key}", response_model=schemas.LifeEventRead, operation_id="update_life_event",
            responses=problem_responses(404, 409))
def update_life_event(key: str, data: schemas.LifeEventUpdate, session: SessionDep, clock: ClockDep,
                      by: CurrentActor) -> schemas.LifeEventRead:
    """Change a life event (a new version); give the version you changed to refuse a stale edit."""
    authorize(by, Scope.JOURNEYS_WRITE)
    return _life_event(service.update_life_event(
        session=session, key=key, data=data.model_dump(mode="json", exclude={"version"}),
        expected_version=data.version, changed_by=_who(by), clock=clock))


@router.get("/life-events/{key}/versions", response_model=list[schemas.LifeEventVersionRead],
            operation_id="list_life_event_versions", responses=problem_responses(404))
def list_life_event_versions(key: str, session: SessionDep, by: CurrentActor) -> list[Any]:
    authorize(by, Scope.REGISTRY_READ)
    life_event = service.get_life_event(session=session, key=key)
    return service.life_event_versions(session=session, life_event_id=life_event.id)  # type: ignore[return-value]


# Journey maps ----------------------------------------------------------------------------------


def _journey(session: Any, journey: JourneyMap) -> schemas.JourneyMapRead:
    return schemas.JourneyMapRead.model_validate(service.journey_map_read(session=session, journey=journey))


@router.get("/journeys", response_model=list[schemas.JourneyMapRead], operation_id="list_journey_maps")
def list_journey_maps(session: SessionDep, by: CurrentActor) -> list[schemas.JourneyMapRead]:
    authorize(by, Scope.CX_READ)
    return [_journey(session, j) for j in service.list_journey_maps(session=session)]


@router.get("/journeys/{key}", response_model=schemas.JourneyMapRead, operation_id="get_journey_map",
            responses=problem_responses(404))
def get_journey_map(key: str, session: SessionDep, by: CurrentActor) -> schemas.JourneyMapRead:
    authorize(by, Scope.CX_READ)
    return _journey(session, service.get_journey_map(session=session, key=key))


@router.post("/journeys/{key}/touchpoints", response_model=schemas.JourneyMapRead, status_code=201,
             operation_id="add_touchpoint", responses=problem_responses(404, 409))
def add_touchpoint(key: str, data: schemas.TouchpointCreate, session: SessionDep, clock: ClockDep,
                   by: CurrentActor) -> schemas.JourneyMapRead:
    """Add a touchpoint to a journey map (a new version of the map)."""
    authorize(by, Scope.JOURNEYS_WRITE, agency_id=data.agency_id)
    journey = service.add_touchpoint(session=session, key=key, data=data, changed_by=_who(by), clock=clock)
    return _journey(session, journey)


@router.patch("/journeys/{key}/touchpoints/{touchpoint}", response_model=schemas.JourneyMapRead,
              operation_id="update_touchpoint", responses=problem_responses(404))
def update_touchpoint(key: str, touchpoint: str, data: schemas.TouchpointUpdate, session: SessionDep,
                      clock: ClockDep, by: CurrentActor) -> schemas.JourneyMapRead:
    """Change a touchpoint's name, channel or owner (a new version of the map)."""
    authorize(by, Scope.JOURNEYS_WRITE)
    journey = service.update_touchpoint(session=session, key=key, touchpoint=touchpoint, data=data, by=by,
                                        changed_by=_who(by), clock=clock)
    return _journey(session, journey)


@router.get("/journeys/{key}/versions", response_model=list[schemas.JourneyMapVersionRead],
            operation_id="list_journey_map_versions", responses=problem_responses(404))
def list_journey_map_versions(key: str, session: SessionDep, by: CurrentActor) -> list[Any]:
    authorize(by, Scope.CX_READ)
    journey = service.get_journey_map(session=session, key=key)
    return list(service.journey_map_versions(session=session, journey_id=journey.id))


# Analytics -------------------------------------------------------------------------------------


@router.get("/journeys/{key}/funnel", response_model=analytics.Funnel, operation_id="journey_funnel",
            responses=problem_responses(404))
def journey_funnel(key: str, session: SessionDep, settings: SettingsDep, by: CurrentActor) -> analytics.Funnel:
    """Conversion and drop-off by stage and touchpoint; counts of fewer people than the threshold are withheld."""
    authorize(by, Scope.CX_READ)
    journey = service.get_journey_map(session=session, key=key)
    return analytics.funnel(session=session, journey=journey, threshold=settings.suppression_threshold)


@router.get("/life-events/{key}/time-tax", response_model=analytics.TimeTax, operation_id="life_event_time_tax",
            responses=problem_responses(404))
def life_event_time_tax(key: str, session: SessionDep, settings: SettingsDep, by: CurrentActor) -> analytics.TimeTax:
    """Hours government costs a person on this life event: median, p90, and each agency's part."""
    authorize(by, Scope.CX_READ)
    life_event = service.get_life_event(session=session, key=key)
    return analytics.time_tax(session=session, life_event=life_event, threshold=settings.suppression_threshold)


@router.get("/channel-switches", response_model=analytics.ChannelSwitches, operation_id="channel_switches")
def channel_switches(session: SessionDep, settings: SettingsDep, by: CurrentActor) -> analytics.ChannelSwitches:
    """Web abandons followed within seven days by a phone or office contact for the same service."""
    authorize(by, Scope.CX_READ)
    return analytics.channel_switches(session=session, threshold=settings.suppression_threshold)
