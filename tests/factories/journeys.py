"""The demo country's agencies and services, and its life events loaded, for journeys tests."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.orm import Session

from govcx.core.clock import Clock
from govcx.demo.country import AGENCIES
from govcx.journeys import service
from govcx.registry import schemas
from govcx.registry import service as registry_service
from tests.factories.registry import _platform_actor


@dataclass
class Catalogue:
    agencies: dict[str, UUID]   # code -> id
    services: dict[str, UUID]   # code -> id


def demo_catalogue(session: Session, clock: Clock, *, load: bool = True) -> Catalogue:
    """Every agency and service of the demo country, and (unless `load` is off) the shipped life events."""
    platform = _platform_actor()
    agencies, services = {}, {}
    for spec in AGENCIES:
        agency = registry_service.create_agency(
            session=session, data=schemas.AgencyCreate(code=spec.code, name=spec.name), clock=clock)
        agencies[spec.code] = agency.id
        for svc in spec.services:
            created = registry_service.create_service(session=session, data=schemas.ServiceCreate(
                code=svc.code, agency_id=agency.id, name=svc.name, channels=list(svc.channels),
                target_completion_minutes=svc.target_minutes, sla_hours=svc.sla_hours), by=platform, clock=clock)
            services[svc.code] = created.id
    if load:
        service.load_life_events(session=session, clock=clock)
    session.flush()
    return Catalogue(agencies, services)
