"""Registry rules: keyword-only functions that take the session and flush, never commit."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, insert, or_, select
from sqlalchemy.orm import Session

from govcx.core.auth import Actor, authorize
from govcx.core.cache import RarelyChanging
from govcx.core.accounts import Scope
from govcx.core.clock import Clock
from govcx.core.crypto import FieldCipher, Sealed
from govcx.core.db import get_or_404
from govcx.core.errors import Conflict, Invalid, NotFound
from govcx.core.ids import new_id
from govcx.core.pagination import PageParams, paginate
from govcx.registry import schemas
from govcx.registry.models import (
    Agency,
    DataAttribute,
    Department,
    Household,
    Organization,
    Person,
    Region,
    Service,
)

_NATIONAL_ID = "person.national_id"


def search_name(*parts: str) -> str:
    """The case-folded form names are searched by."""
    return " ".join(p.casefold() for p in parts if p)


def _name_terms(q: str) -> list[str]:
    return [t for t in search_name(q).split() if t][:5]


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _require_exists(session: Session, model: type[Any], ident: UUID | None, what: str) -> None:
    if ident is not None and session.get(model, ident) is None:
        raise Invalid(f"{what} {ident} does not exist.")


# Persons ---------------------------------------------------------------------------------------


def national_id_index(*, cipher: FieldCipher, national_id: str) -> str:
    return cipher.blind_index(national_id.strip().upper(), context=_NATIONAL_ID)


def national_id_of(*, cipher: FieldCipher, person: Person) -> str:
    """Return a person's national id, unsealed."""
    return cipher.open(Sealed(person.national_id_key_id, person.national_id_sealed), context=_NATIONAL_ID)


def person_read(*, person: Person) -> schemas.PersonRead:
    """Shape a person for anyone who looks them up: names, year of birth and region, nothing more."""
    return schemas.PersonRead(id=person.id, given_name=person.given_name, family_name=person.family_name,
                              birth_year=person.birth_date.year, region_id=person.region_id)


def person_record(*, cipher: FieldCipher, person: Person) -> schemas.PersonRecord:
    """Shape a person's whole record, national id unsealed: only for the person themselves."""
    data = {c.key: getattr(person, c.key) for c in Person.__table__.columns}
    return schemas.PersonRecord.model_validate({**data, "national_id": national_id_of(cipher=cipher, person=person)})


def create_person(
    *, session: Session, data: schemas.PersonCreate, cipher: FieldCipher, clock: Clock
) -> Person:
    """Register a person; a national id can be registered only once."""
    index = national_id_index(cipher=cipher, national_id=data.national_id)
    if session.scalars(select(Person.id).where(Person.national_id_index == index)).first() is not None:
        raise Conflict("A person with this national id is already registered.")
    _require_exists(session, Region, data.region_id, "Region")
    _require_exists(session, Household, data.household_id, "Household")
    sealed = cipher.seal(data.national_id, context=_NATIONAL_ID)
    now = clock.now()
    fields = data.model_dump(exclude={"national_id"})
    person = Person(
        **fields,
        national_id_index=index,
        national_id_key_id=sealed.key_id,
        national_id_sealed=sealed.blob,
        search_name=search_name(data.given_name, data.family_name),
        created_at=now,
        updated_at=now,
    )
    session.add(person)
    session.flush()
    return person


def get_person(*, session: Session, person_id: UUID) -> Person:
    """Return a person, or answer 404."""
    return get_or_404(session, Person, person_id, what="person")


def existing_person_ids(*, session: Session, ids: Collection[UUID]) -> set[UUID]:
    """Which of `ids` are people in the register."""
    return set(session.scalars(select(Person.id).where(Person.id.in_(list(ids))))) if ids else set()


def find_person_by_national_id(*, session: Session, cipher: FieldCipher, national_id: str) -> Person | None:
    index = national_id_index(cipher=cipher, national_id=national_id)
    return session.scalars(select(Person).where(Person.national_id_index == index)).one_or_none()


def update_person(
    *, session: Session, person_id: UUID, data: schemas.PersonUpdate, clock: Clock
) -> Person:
    """Change what is known about a person; fields not sent stay as they are."""
    person = get_person(session=session, person_id=person_id)
    changes = data.model_dump(exclude_unset=True)
    for required in ("given_name", "family_name", "birth_date", "preferred_language", "preferred_channel"):
        if required in changes and changes[required] is None:
            raise Invalid(f"{required} cannot be removed.")
    _require_exists(session, Region, changes.get("region_id"), "Region")
    _require_exists(session, Household, changes.get("household_id"), "Household")
    for field, value in changes.items():
        setattr(person, field, value)
    person.search_name = search_name(person.given_name, person.family_name)
    person.updated_at = clock.now()
    session.flush()
    return person


def search_persons(
    *, session: Session, cipher: FieldCipher, q: str | None, region_id: UUID | None, page: PageParams
) -> tuple[list[Person], str | None]:
    """Find persons whose national id is `q`, or whose names contain every word of `q`."""
    stmt = select(Person)
    if q:
        by_name = [Person.search_name.like(f"%{_escape_like(t)}%", escape="\\") for t in _name_terms(q)]
        by_id = Person.national_id_index == national_id_index(cipher=cipher, national_id=q)
        stmt = stmt.where(or_(by_id, *([and_(*by_name)] if by_name else [])))
    if region_id is not None:
        stmt = stmt.where(Person.region_id == region_id)
    return paginate(session, stmt, id_column=Person.id, page=page)


def create_household(*, session: Session, region_id: UUID | None, clock: Clock) -> Household:
    """Start a household that persons can join."""
    _require_exists(session, Region, region_id, "Region")
    household = Household(region_id=region_id, created_at=clock.now())
    session.add(household)
    session.flush()
    return household


def import_households(*, session: Session, region_ids: list[UUID | None], clock: Clock,
                      ids: list[UUID] | None = None) -> list[UUID]:
    """Start many households in one statement (a population-register load)."""
    ids = ids or [new_id() for _ in region_ids]
    for region_id in set(region_ids):
        _require_exists(session, Region, region_id, "Region")
    now = clock.now()
    if ids:
        session.execute(insert(Household.__table__), [
            {"id": ident, "region_id": region_id, "created_at": now}
            for ident, region_id in zip(ids, region_ids, strict=True)
        ])
    return ids


# Organizations ---------------------------------------------------------------------------------


def create_organization(*, session: Session, data: schemas.OrganizationCreate, clock: Clock) -> Organization:
    """Register an organization under its business id."""
    if session.scalars(select(Organization.id).where(Organization.business_id == data.business_id)).first():
        raise Conflict(f"Business id {data.business_id} is already registered.")
    _require_exists(session, Region, data.region_id, "Region")
    now = clock.now()
    org = Organization(**data.model_dump(), search_name=search_name(data.name), created_at=now, updated_at=now)
    session.add(org)
    session.flush()
    return org


def get_organization(*, session: Session, organization_id: UUID) -> Organization:
    return get_or_404(session, Organization, organization_id, what="organization")


def update_organization(
    *, session: Session, organization_id: UUID, data: schemas.OrganizationUpdate, clock: Clock
) -> Organization:
    """Change an organization's details; fields not sent stay as they are."""
    org = get_organization(session=session, organization_id=organization_id)
    changes = data.model_dump(exclude_unset=True)
    for required in ("name", "sector", "is_data_provider"):
        if required in changes and changes[required] is None:
            raise Invalid(f"{required} cannot be removed.")
    _require_exists(session, Region, changes.get("region_id"), "Region")
    for field, value in changes.items():
        setattr(org, field, value)
    org.search_name = search_name(org.name)
    org.updated_at = clock.now()
    session.flush()
    return org


def search_organizations(
    *, session: Session, q: str | None, data_providers_only: bool, page: PageParams
) -> tuple[list[Organization], str | None]:
    """Find organizations by business id, or whose name contains every word of `q`."""
    stmt = select(Organization)
    if q:
        by_name = [Organization.search_name.like(f"%{_escape_like(t)}%", escape="\\") for t in _name_terms(q)]
        by_id = Organization.business_id == q.strip().upper()
        stmt = stmt.where(or_(by_id, *([and_(*by_name)] if by_name else [])))
    if data_providers_only:
        stmt = stmt.where(Organization.is_data_provider.is_(True))
    return paginate(session, stmt, id_column=Organization.id, page=page)


# Agencies and departments ----------------------------------------------------------------------


def create_agency(*, session: Session, data: schemas.AgencyCreate, clock: Clock) -> Agency:
    """Add an agency to the government's structure."""
    if session.scalars(select(Agency.id).where(Agency.code == data.code)).first():
        raise Conflict(f"Agency code {data.code} is taken.")
    _require_exists(session, Agency, data.parent_id, "Parent agency")
    agency = Agency(**data.model_dump(), created_at=clock.now())
    session.add(agency)
    session.flush()
    return agency


def get_agency(*, session: Session, agency_id: UUID) -> Agency:
    return get_or_404(session, Agency, agency_id, what="agency")


def get_agency_by_code(*, session: Session, code: str) -> Agency | None:
    return session.scalars(select(Agency).where(Agency.code == code.strip().upper())).one_or_none()


def update_agency(*, session: Session, agency_id: UUID, data: schemas.AgencyUpdate) -> Agency:
    """Rename or re-parent an agency."""
    agency = get_agency(session=session, agency_id=agency_id)
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise Invalid("name cannot be removed.")
    if changes.get("parent_id") == agency.id:
        raise Invalid("An agency cannot be its own parent.")
    _require_exists(session, Agency, changes.get("parent_id"), "Parent agency")
    for field, value in changes.items():
        setattr(agency, field, value if value is not None or field == "parent_id" else "")
    session.flush()
    _AGENCY_NAMES.forget(session)
    return agency


_AGENCY_NAMES: RarelyChanging[UUID, str] = RarelyChanging(
    lambda session: dict(session.execute(select(Agency.__table__.c.id, Agency.__table__.c.name)).all()))
_SERVICE_NAMES: RarelyChanging[UUID, str] = RarelyChanging(
    lambda session: dict(session.execute(select(Service.__table__.c.id, Service.__table__.c.name)).all()))
_ATTRIBUTE_NAMES: RarelyChanging[str, str] = RarelyChanging(
    lambda session: dict(session.execute(select(DataAttribute.__table__.c.key, DataAttribute.__table__.c.name))
                         .all()))


# Codes are how data files (life events) name agencies and services; they are never changed once made.
_AGENCY_CODES: RarelyChanging[UUID, str] = RarelyChanging(
    lambda session: dict(session.execute(select(Agency.__table__.c.id, Agency.__table__.c.code)).all()))
_SERVICE_CODES: RarelyChanging[UUID, str] = RarelyChanging(
    lambda session: dict(session.execute(select(Service.__table__.c.id, Service.__table__.c.code)).all()))


def agency_codes(*, session: Session, wanted: Collection[UUID] = ()) -> Mapping[UUID, str]:
    """Every agency's code by id, cached per process."""
    return _AGENCY_CODES.get(session, wanted)


def service_codes(*, session: Session, wanted: Collection[UUID] = ()) -> Mapping[UUID, str]:
    """Every catalogue service's code by id, cached per process."""
    return _SERVICE_CODES.get(session, wanted)


def agency_names(*, session: Session, wanted: Collection[UUID] = ()) -> Mapping[UUID, str]:
    """Every agency's name by id, cached per process (a rename shows at once here, elsewhere within 30 s)."""
    return _AGENCY_NAMES.get(session, wanted)


def service_names(*, session: Session, wanted: Collection[UUID] = ()) -> Mapping[UUID, str]:
    """Every catalogue service's name by id, retired ones too, cached like `agency_names`."""
    return _SERVICE_NAMES.get(session, wanted)


def attribute_names(*, session: Session, wanted: Collection[str] = ()) -> Mapping[str, str]:
    """Every data attribute's name by key (attributes are never renamed), cached like `agency_names`."""
    return _ATTRIBUTE_NAMES.get(session, wanted)


def list_agencies(*, session: Session, page: PageParams) -> tuple[list[Agency], str | None]:
    return paginate(session, select(Agency), id_column=Agency.id, page=page)


def all_agencies(*, session: Session) -> list[Agency]:
    """Return every agency, by name (for pickers and the catalogue)."""
    return list(session.scalars(select(Agency).order_by(Agency.name)))


def create_department(
    *, session: Session, agency_id: UUID, data: schemas.DepartmentCreate, by: Actor, clock: Clock
) -> Department:
    """Add a department to an agency; only that agency (or a platform admin) may."""
    agency = get_agency(session=session, agency_id=agency_id)
    authorize(by, Scope.REGISTRY_WRITE, agency_id=agency.id)
    if session.scalars(
        select(Department.id).where(Department.agency_id == agency.id, Department.code == data.code)
    ).first():
        raise Conflict(f"{agency.code} already has a department {data.code}.")
    department = Department(agency_id=agency.id, **data.model_dump(), created_at=clock.now())
    session.add(department)
    session.flush()
    session.refresh(agency)
    return department


# Services --------------------------------------------------------------------------------------


def _check_department(session: Session, department_id: UUID | None, agency_id: UUID) -> None:
    if department_id is None:
        return
    department = session.get(Department, department_id)
    if department is None or department.agency_id != agency_id:
        raise Invalid(f"Department {department_id} is not a department of the service's agency.")


def create_service(*, session: Session, data: schemas.ServiceCreate, by: Actor, clock: Clock) -> Service:
    """Add a service to the catalogue, for the caller's own agency."""
    get_agency(session=session, agency_id=data.agency_id)
    authorize(by, Scope.REGISTRY_WRITE, agency_id=data.agency_id)
    if session.scalars(select(Service.id).where(Service.code == data.code)).first():
        raise Conflict(f"Service code {data.code} is taken.")
    _check_department(session, data.department_id, data.agency_id)
    now = clock.now()
    fields = data.model_dump()
    fields["channels"] = [c.value for c in data.channels]
    service = Service(**fields, created_at=now, updated_at=now)
    session.add(service)
    session.flush()
    return service


def get_service(*, session: Session, service_id: UUID) -> Service:
    return get_or_404(session, Service, service_id, what="service")


def get_service_by_code(*, session: Session, code: str) -> Service | None:
    return session.scalars(select(Service).where(Service.code == code)).one_or_none()


def get_department(*, session: Session, department_id: UUID) -> Department:
    return get_or_404(session, Department, department_id, what="department")


def update_service(
    *, session: Session, service_id: UUID, data: schemas.ServiceUpdate, by: Actor, clock: Clock
) -> Service:
    """Change a catalogue entry; only its agency (or a platform admin) may."""
    service = get_service(session=session, service_id=service_id)
    authorize(by, Scope.REGISTRY_WRITE, agency_id=service.agency_id)
    changes = data.model_dump(exclude_unset=True)
    for required in ("name", "channels", "target_completion_minutes", "sla_hours", "is_active", "description"):
        if required in changes and changes[required] is None:
            raise Invalid(f"{required} cannot be removed.")
    if "department_id" in changes:
        _check_department(session, changes["department_id"], service.agency_id)
    if "channels" in changes:
        changes["channels"] = [c.value for c in data.channels or []]
    for field, value in changes.items():
        setattr(service, field, value)
    service.updated_at = clock.now()
    session.flush()
    _SERVICE_NAMES.forget(session)
    return service


def list_services(
    *, session: Session, agency_id: UUID | None, q: str | None, page: PageParams
) -> tuple[list[Service], str | None]:
    """List catalogue entries, optionally of one agency or matching words in their name."""
    stmt = select(Service)
    if agency_id is not None:
        stmt = stmt.where(Service.agency_id == agency_id)
    for term in _name_terms(q or ""):
        stmt = stmt.where(Service.name.ilike(f"%{_escape_like(term)}%", escape="\\"))
    return paginate(session, stmt, id_column=Service.id, page=page)


def catalogue(*, session: Session) -> list[tuple[Agency, list[Service]]]:
    """Return every agency with its active services, by name, for the public catalogue."""
    services = session.scalars(select(Service).where(Service.is_active.is_(True)).order_by(Service.name)).all()
    by_agency: dict[UUID, list[Service]] = {}
    for service in services:
        by_agency.setdefault(service.agency_id, []).append(service)
    return [(agency, by_agency.get(agency.id, [])) for agency in all_agencies(session=session)]


def find_service(*, session: Session, ref: str) -> Service:
    """Return the active service a page address names, by id or by code (its slug, any case)."""
    try:
        service = session.get(Service, UUID(ref))
    except ValueError:
        service = session.scalars(select(Service).where(func.upper(Service.code) == ref.strip().upper())).first()
    if service is None or not service.is_active:
        raise NotFound(f"No service {ref} in the catalogue.")
    return service


def _folded(text: str) -> str:
    # "Pensión" and "pension" are the same word to someone searching.
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def search_catalogue(*, session: Session, q: str) -> list[tuple[Agency, list[Service]]]:
    """Return the catalogue with only the services whose name, description or agency has every word of `q`."""
    terms = _folded(q).split()
    found = []
    for agency, services in catalogue(session=session):
        hits = [s for s in services
                if all(t in _folded(f"{s.name} {s.description} {agency.name}") for t in terms)]
        if hits or not terms:
            found.append((agency, hits))
    return found


DATA_QUESTIONS_NAME = "Questions and corrections about your data"
DATA_QUESTIONS_SLA_HOURS = 30 * 24  # a month: what data protection law gives an agency to answer a person


def data_questions_service(*, session: Session, agency_id: UUID, clock: Clock) -> Service:
    """Return the agency's service for people's questions and corrections about their data, adding it on first use.

    Every case has a service; a question about a use of one's data or a correction belongs to none of the
    agency's own, so each agency that gets one answers it under this catalogue entry.
    """
    agency = get_agency(session=session, agency_id=agency_id)
    code = f"{agency.code}-MY-DATA"
    service = get_service_by_code(session=session, code=code)
    if service is None:
        now = clock.now()
        service = Service(
            code=code, agency_id=agency.id, name=DATA_QUESTIONS_NAME,
            description="Ask how your data was used, or ask for a fact this agency holds about you to be corrected.",
            channels=["web"], target_completion_minutes=10, sla_hours=DATA_QUESTIONS_SLA_HOURS, is_active=True,
            created_at=now, updated_at=now)
        session.add(service)
        session.flush()
        _SERVICE_NAMES.forget(session)
    return service


# Regions ---------------------------------------------------------------------------------------


def create_region(*, session: Session, data: schemas.RegionCreate, clock: Clock) -> Region:
    """Add a region, with its shape if known."""
    if session.scalars(select(Region.id).where(Region.code == data.code)).first():
        raise Conflict(f"Region code {data.code} is taken.")
    _require_exists(session, Region, data.parent_id, "Parent region")
    region = Region(**data.model_dump(), created_at=clock.now())
    session.add(region)
    session.flush()
    return region


def get_region(*, session: Session, region_id: UUID) -> Region:
    return get_or_404(session, Region, region_id, what="region")


def list_regions(*, session: Session, page: PageParams) -> tuple[list[Region], str | None]:
    return paginate(session, select(Region), id_column=Region.id, page=page)


def all_regions(*, session: Session) -> list[Region]:
    return list(session.scalars(select(Region).order_by(Region.name)))


# Data catalogue --------------------------------------------------------------------------------


def create_data_attribute(*, session: Session, data: schemas.DataAttributeCreate, clock: Clock) -> DataAttribute:
    """Add an attribute to the data catalogue with its one authoritative source."""
    if session.scalars(select(DataAttribute.id).where(DataAttribute.key == data.key)).first():
        raise Conflict(f"Attribute {data.key} is already in the catalogue.")
    _require_exists(session, Agency, data.source_agency_id, "Source agency")
    if data.source_organization_id is not None:
        provider = session.get(Organization, data.source_organization_id)
        if provider is None:
            raise Invalid(f"Source organization {data.source_organization_id} does not exist.")
        if not provider.is_data_provider:
            raise Invalid(f"{provider.name} is not registered as a data provider.")
    attribute = DataAttribute(**data.model_dump(), created_at=clock.now())
    session.add(attribute)
    session.flush()
    return attribute


def get_data_attribute(*, session: Session, key: str) -> DataAttribute:
    attribute = session.scalars(select(DataAttribute).where(DataAttribute.key == key.lower())).one_or_none()
    if attribute is None:
        raise NotFound(f"No attribute {key} in the data catalogue.")
    return attribute


def list_data_attributes(*, session: Session, page: PageParams) -> tuple[list[DataAttribute], str | None]:
    return paginate(session, select(DataAttribute), id_column=DataAttribute.id, page=page)


def data_catalogue(*, session: Session) -> list[tuple[DataAttribute, str]]:
    """Return every catalogue attribute by key, with the name of its authoritative source."""
    attributes = session.scalars(select(DataAttribute).order_by(DataAttribute.key)).all()
    agencies = {a.id: a.name for a in session.scalars(select(Agency))}
    providers = {o.id: o.name for o in session.scalars(select(Organization).where(Organization.is_data_provider))}
    return [
        (a, agencies.get(a.source_agency_id) or providers.get(a.source_organization_id) or "")  # type: ignore[arg-type]
        for a in attributes
    ]


# Bulk import (population and business registers) -----------------------------------------------


def import_persons(
    *, session: Session, rows: list[schemas.PersonCreate], cipher: FieldCipher, clock: Clock,
    ids: list[UUID] | None = None,
) -> list[UUID]:
    """Register many persons in one statement (a population-register load); national ids must be new."""
    now = clock.now()
    ids = ids or [new_id() for _ in rows]
    values = []
    for ident, data in zip(ids, rows, strict=True):
        sealed = cipher.seal(data.national_id, context=_NATIONAL_ID)
        values.append({
            **data.model_dump(exclude={"national_id"}),
            "id": ident,
            "national_id_index": national_id_index(cipher=cipher, national_id=data.national_id),
            "national_id_key_id": sealed.key_id,
            "national_id_sealed": sealed.blob,
            "search_name": search_name(data.given_name, data.family_name),
            "created_at": now,
            "updated_at": now,
        })
    indexes = [v["national_id_index"] for v in values]
    if len(set(indexes)) != len(indexes):
        raise Conflict("The import holds the same national id twice.")
    clash = session.scalars(select(Person.id).where(Person.national_id_index.in_(indexes)).limit(1)).first()
    if clash is not None:
        raise Conflict("The import holds a national id that is already registered.")
    if values:
        session.execute(insert(Person.__table__), values)
    return ids


def import_organizations(
    *, session: Session, rows: list[schemas.OrganizationCreate], clock: Clock, ids: list[UUID] | None = None
) -> list[UUID]:
    """Register many organizations in one statement (a business-register load)."""
    now = clock.now()
    ids = ids or [new_id() for _ in rows]
    values = [
        {**data.model_dump(), "id": ident, "search_name": search_name(data.name), "created_at": now, "updated_at": now}
        for ident, data in zip(ids, rows, strict=True)
    ]
    business_ids = [v["business_id"] for v in values]
    if len(set(business_ids)) != len(business_ids):
        raise Conflict("The import holds the same business id twice.")
    clash = session.scalars(
        select(Organization.id).where(Organization.business_id.in_(business_ids)).limit(1)
    ).first()
    if clash is not None:
        raise Conflict("The import holds a business id that is already registered.")
    if values:
        session.execute(insert(Organization.__table__), values)
    return ids


def person_records(*, session: Session) -> list[Any]:
    """Every person's id, region, names, birth date, address, e-mail and preferred channel and language, in id
    order (bulk work: no ORM rows)."""
    return list(session.execute(
        select(Person.id, Person.region_id, Person.given_name, Person.family_name, Person.birth_date,
               Person.street_address, Person.postal_code, Person.locality, Person.email, Person.preferred_channel,
               Person.preferred_language).order_by(Person.id)
    ))


def population_by_region(*, session: Session, threshold: int) -> list[tuple[Region, int | None]]:
    """Count registered persons per region; counts under `threshold` come back as None (suppressed)."""
    counts = dict(
        session.execute(select(Person.region_id, func.count()).group_by(Person.region_id)).all()
    )
    return [
        (region, count if (count := counts.get(region.id, 0)) >= threshold else None)
        for region in all_regions(session=session)
    ]
