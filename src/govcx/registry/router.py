"""Registry REST API: thin routes that parse, authorise, call the service and shape."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from govcx.core.accounts import Scope
from govcx.core.config import API_PREFIX
from govcx.core.auth import AgencyClient, require_scope
from govcx.core.deps import CipherDep, ClockDep, SessionDep
from govcx.core.errors import problem_responses
from govcx.core.pagination import PageParamsDep
from govcx.registry import schemas, service

router = APIRouter(prefix=API_PREFIX, tags=["registry"], responses=problem_responses(401, 403, 422))

Reader = Annotated[AgencyClient, require_scope(Scope.REGISTRY_READ)]
Writer = Annotated[AgencyClient, require_scope(Scope.REGISTRY_WRITE)]
Admin = Annotated[AgencyClient, require_scope(Scope.REGISTRY_ADMIN)]
Q = Annotated[str | None, Query(min_length=2, max_length=100, description="Name words, or an exact id.")]
# Listing everyone is not a search: a person search always says whom it looks for.
PersonQ = Annotated[str, Query(min_length=2, max_length=100, description="Words of a name, or a whole national id.")]


# Persons ---------------------------------------------------------------------------------------


@router.get("/persons", response_model=schemas.PersonPage, operation_id="search_persons")
def search_persons(
    session: SessionDep, cipher: CipherDep, _: Reader, page: PageParamsDep, q: PersonQ, region_id: UUID | None = None
) -> schemas.PersonPage:
    """Find persons by a whole national id, or by words in their names: enough to pick the right one."""
    rows, next_cursor = service.search_persons(session=session, cipher=cipher, q=q, region_id=region_id, page=page)
    return schemas.PersonPage(items=[service.person_read(person=p) for p in rows],
                              next_cursor=next_cursor)


@router.post("/persons", response_model=schemas.PersonRead, status_code=201, operation_id="create_person",
             responses=problem_responses(409))
def create_person(
    data: schemas.PersonCreate, session: SessionDep, cipher: CipherDep, clock: ClockDep, _: Writer
) -> schemas.PersonRead:
    person = service.create_person(session=session, data=data, cipher=cipher, clock=clock)
    return service.person_read(person=person)


@router.get("/persons/{person_id}", response_model=schemas.PersonRead, operation_id="get_person",
            responses=problem_responses(404))
def get_person(person_id: UUID, session: SessionDep, _: Reader) -> schemas.PersonRead:
    """Who the person is (names, year of birth, region); their other details only through a data request."""
    return service.person_read(person=service.get_person(session=session, person_id=person_id))


@router.patch("/persons/{person_id}", response_model=schemas.PersonRead, operation_id="update_person",
              responses=problem_responses(404))
def update_person(
    person_id: UUID, data: schemas.PersonUpdate, session: SessionDep, clock: ClockDep, _: Writer
) -> schemas.PersonRead:
    person = service.update_person(session=session, person_id=person_id, data=data, clock=clock)
    return service.person_read(person=person)


@router.post("/households", response_model=schemas.HouseholdRead, status_code=201, operation_id="create_household")
def create_household(
    data: schemas.HouseholdCreate, session: SessionDep, clock: ClockDep, _: Writer
) -> schemas.HouseholdRead:
    """Start a household; persons join it by their household_id."""
    household = service.create_household(session=session, region_id=data.region_id, clock=clock)
    return schemas.HouseholdRead.model_validate(household)


# Organizations ---------------------------------------------------------------------------------


@router.get("/organizations", response_model=schemas.OrganizationPage, operation_id="search_organizations")
def search_organizations(
    session: SessionDep, _: Reader, page: PageParamsDep, q: Q = None, data_providers_only: bool = False
) -> schemas.OrganizationPage:
    """Find organizations by business id, or by words in their name."""
    rows, next_cursor = service.search_organizations(
        session=session, q=q, data_providers_only=data_providers_only, page=page
    )
    return schemas.OrganizationPage(
        items=[schemas.OrganizationRead.model_validate(o) for o in rows], next_cursor=next_cursor
    )


@router.post("/organizations", response_model=schemas.OrganizationRead, status_code=201,
             operation_id="create_organization", responses=problem_responses(409))
def create_organization(
    data: schemas.OrganizationCreate, session: SessionDep, clock: ClockDep, _: Writer
) -> schemas.OrganizationRead:
    org = service.create_organization(session=session, data=data, clock=clock)
    return schemas.OrganizationRead.model_validate(org)


@router.get("/organizations/{organization_id}", response_model=schemas.OrganizationRead,
            operation_id="get_organization", responses=problem_responses(404))
def get_organization(organization_id: UUID, session: SessionDep, _: Reader) -> schemas.OrganizationRead:
    org = service.get_organization(session=session, organization_id=organization_id)
    return schemas.OrganizationRead.model_validate(org)


@router.patch("/organizations/{organization_id}", response_model=schemas.OrganizationRead,
              operation_id="update_organization", responses=problem_responses(404))
def update_organization(
    organization_id: UUID, data: schemas.OrganizationUpdate, session: SessionDep, clock: ClockDep, _: Writer
) -> schemas.OrganizationRead:
    org = service.update_organization(session=session, organization_id=organization_id, data=data, clock=clock)
    return schemas.OrganizationRead.model_validate(org)


# Agencies --------------------------------------------------------------------------------------


@router.get("/agencies", response_model=schemas.AgencyPage, operation_id="list_agencies")
def list_agencies(session: SessionDep, _: Reader, page: PageParamsDep) -> schemas.AgencyPage:
    rows, next_cursor = service.list_agencies(session=session, page=page)
    return schemas.AgencyPage(items=[schemas.AgencyRead.model_validate(a) for a in rows], next_cursor=next_cursor)


@router.post("/agencies", response_model=schemas.AgencyRead, status_code=201, operation_id="create_agency",
             responses=problem_responses(409))
def create_agency(data: schemas.AgencyCreate, session: SessionDep, clock: ClockDep, _: Admin) -> schemas.AgencyRead:
    return schemas.AgencyRead.model_validate(service.create_agency(session=session, data=data, clock=clock))


@router.get("/agencies/{agency_id}", response_model=schemas.AgencyRead, operation_id="get_agency",
            responses=problem_responses(404))
def get_agency(agency_id: UUID, session: SessionDep, _: Reader) -> schemas.AgencyRead:
    return schemas.AgencyRead.model_validate(service.get_agency(session=session, agency_id=agency_id))


@router.patch("/agencies/{agency_id}", response_model=schemas.AgencyRead, operation_id="update_agency",
              responses=problem_responses(404))
def update_agency(agency_id: UUID, data: schemas.AgencyUpdate, session: SessionDep, _: Admin) -> schemas.AgencyRead:
    return schemas.AgencyRead.model_validate(service.update_agency(session=session, agency_id=agency_id, data=data))


@router.post("/agencies/{agency_id}/departments", response_model=schemas.DepartmentRead, status_code=201,
             operation_id="create_department", responses=problem_responses(404, 409))
def create_department(
    agency_id: UUID, data: schemas.DepartmentCreate, session: SessionDep, clock: ClockDep, client: Writer
) -> schemas.DepartmentRead:
    department = service.create_department(session=session, agency_id=agency_id, data=data, by=client, clock=clock)
    return schemas.DepartmentRead.model_validate(department)


# Services --------------------------------------------------------------------------------------


@router.get("/services", response_model=schemas.ServicePage, operation_id="list_services")
def list_services(
    session: SessionDep, _: Reader, page: PageParamsDep, agency_id: UUID | None = None, q: Q = None
) -> schemas.ServicePage:
    """List the service catalogue, optionally one agency's, or services whose name has the words of q."""
    rows, next_cursor = service.list_services(session=session, agency_id=agency_id, q=q, page=page)
    return schemas.ServicePage(items=[schemas.ServiceRead.model_validate(s) for s in rows], next_cursor=next_cursor)


@router.post("/services", response_model=schemas.ServiceRead, status_code=201, operation_id="create_service",
             responses=problem_responses(404, 409))
def create_service(
    data: schemas.ServiceCreate, session: SessionDep, clock: ClockDep, client: Writer
) -> schemas.ServiceRead:
    return schemas.ServiceRead.model_validate(
        service.create_service(session=session, data=data, by=client, clock=clock)
    )


@router.get("/services/{service_id}", response_model=schemas.ServiceRead, operation_id="get_service",
            responses=problem_responses(404))
def get_service(service_id: UUID, session: SessionDep, _: Reader) -> schemas.ServiceRead:
    return schemas.ServiceRead.model_validate(service.get_service(session=session, service_id=service_id))


@router.patch("/services/{service_id}", response_model=schemas.ServiceRead, operation_id="update_service",
              responses=problem_responses(404))
def update_service(
    service_id: UUID, data: schemas.ServiceUpdate, session: SessionDep, clock: ClockDep, client: Writer
) -> schemas.ServiceRead:
    return schemas.ServiceRead.model_validate(
        service.update_service(session=session, service_id=service_id, data=data, by=client, clock=clock)
    )


# Regions ---------------------------------------------------------------------------------------


@router.get("/regions", response_model=schemas.RegionPage, operation_id="list_regions")
def list_regions(session: SessionDep, _: Reader, page: PageParamsDep) -> schemas.RegionPage:
    rows, next_cursor = service.list_regions(session=session, page=page)
    return schemas.RegionPage(items=[schemas.RegionRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/regions", response_model=schemas.RegionRead, status_code=201, operation_id="create_region",
             responses=problem_responses(409))
def create_region(data: schemas.RegionCreate, session: SessionDep, clock: ClockDep, _: Admin) -> schemas.RegionRead:
    return schemas.RegionRead.model_validate(service.create_region(session=session, data=data, clock=clock))


@router.get("/regions/{region_id}", response_model=schemas.RegionRead, operation_id="get_region",
            responses=problem_responses(404))
def get_region(region_id: UUID, session: SessionDep, _: Reader) -> schemas.RegionRead:
    return schemas.RegionRead.model_validate(service.get_region(session=session, region_id=region_id))


# Data catalogue --------------------------------------------------------------------------------


@router.get("/data-attributes", response_model=schemas.DataAttributePage, operation_id="list_data_attributes")
def list_data_attributes(session: SessionDep, _: Reader, page: PageParamsDep) -> schemas.DataAttributePage:
    rows, next_cursor = service.list_data_attributes(session=session, page=page)
    return schemas.DataAttributePage(
        items=[schemas.DataAttributeRead.model_validate(a) for a in rows], next_cursor=next_cursor
    )


@router.post("/data-attributes", response_model=schemas.DataAttributeRead, status_code=201,
             operation_id="create_data_attribute", responses=problem_responses(409))
def create_data_attribute(
    data: schemas.DataAttributeCreate, session: SessionDep, clock: ClockDep, _: Admin
) -> schemas.DataAttributeRead:
    return schemas.DataAttributeRead.model_validate(
        service.create_data_attribute(session=session, data=data, clock=clock)
    )


@router.get("/data-attributes/{key}", response_model=schemas.DataAttributeRead,
            operation_id="get_data_attribute", responses=problem_responses(404))
def get_data_attribute(key: str, session: SessionDep, _: Reader) -> schemas.DataAttributeRead:
    return schemas.DataAttributeRead.model_validate(service.get_data_attribute(session=session, key=key))
