"""What crosses the wire for the registry."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints, model_validator

from govcx.core.bounded import name
from govcx.core.pagination import CursorPage
from govcx.registry.models import Channel, Sensitivity, SubjectKind, ValueType

Name = name(100)  # no control characters or line breaks: names end up in letters and e-mail headers
Title = name(200)
Code = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]
NationalId = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{4,18}[0-9A-Za-z]$")
]
BusinessId = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{3,30}$")
]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{6,31}$")]
Language = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]
AttributeKey = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$",
                           max_length=100)
]


def _plausible_birth_date(value: date) -> date:
    if value.year < 1900 or value > date.today():
        raise ValueError("birth date must be between 1900 and today")
    return value


BirthDate = Annotated[date, AfterValidator(_plausible_birth_date)]


def _geojson_shape(value: dict[str, Any]) -> dict[str, Any]:
    kind = value.get("type")
    coords = value.get("coordinates")
    if kind not in ("Polygon", "MultiPolygon") or not isinstance(coords, list) or not coords:
        raise ValueError("shape must be a GeoJSON Polygon or MultiPolygon geometry")
    polygons = coords if kind == "MultiPolygon" else [coords]
    for polygon in polygons:
        for ring in polygon:
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise ValueError("each ring needs at least four positions and must close on its first")
            for lon, lat, *_ in ring:
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise ValueError("positions must be [longitude, latitude] within range")
    return value


Shape = Annotated[dict[str, Any], AfterValidator(_geojson_shape)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# Persons ---------------------------------------------------------------------------------------


class PersonCreate(_Strict):
    national_id: NationalId
    given_name: Name
    family_name: Name
    birth_date: BirthDate
    email: EmailStr | None = None
    phone: Phone | None = None
    street_address: Title | None = None
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] | None = None
    locality: Name | None = None
    preferred_language: Language = "en"
    preferred_channel: Channel = Channel.WEB
    region_id: UUID | None = None
    household_id: UUID | None = None


class PersonUpdate(_Strict):
    given_name: Name | None = None
    family_name: Name | None = None
    birth_date: BirthDate | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    street_address: Title | None = None
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=16)] | None = None
    locality: Name | None = None
    preferred_language: Language | None = None
    preferred_channel: Channel | None = None
    region_id: UUID | None = None
    household_id: UUID | None = None


class PersonRead(_Read):
    """Who someone is, enough to pick the right person and no more.

    The national id, the birth date, contact details, language and household are catalogued
    attributes: they are read through a data request (consent or law) and logged, never here.
    """

    id: UUID
    given_name: str
    family_name: str
    birth_year: int
    region_id: UUID | None


class PersonRecord(_Read):
    """A person's whole registry record: for the person themselves (and the register's own bulk work)."""

    id: UUID
    national_id: str
    given_name: str
    family_name: str
    birth_date: date
    email: str | None
    phone: str | None
    street_address: str | None
    postal_code: str | None
    locality: str | None
    preferred_language: str
    preferred_channel: Channel
    region_id: UUID | None
    household_id: UUID | None
    created_at: datetime
    updated_at: datetime


class PersonPage(CursorPage[PersonRead]):
    pass


class HouseholdCreate(_Strict):
    region_id: UUID | None = None


class HouseholdRead(_Read):
    id: UUID
    region_id: UUID | None
    created_at: datetime


# Organizations ---------------------------------------------------------------------------------


class OrganizationCreate(_Strict):
    business_id: BusinessId
    name: Title
    sector: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    region_id: UUID | None = None
    is_data_provider: bool = False


class OrganizationUpdate(_Strict):
    name: Title | None = None
    sector: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None
    region_id: UUID | None = None
    is_data_provider: bool | None = None


class OrganizationRead(_Read):
    id: UUID
    business_id: str
    name: str
    sector: str
    region_id: UUID | None
    is_data_provider: bool
    created_at: datetime
    updated_at: datetime


class OrganizationPage(CursorPage[OrganizationRead]):
    pass


# Agencies and departments ----------------------------------------------------------------------


class DepartmentCreate(_Strict):
    code: Code
    name: Title


class DepartmentRead(_Read):
    id: UUID
    agency_id: UUID
    code: str
    name: str


class AgencyCreate(_Strict):
    code: Code
    name: Title
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    parent_id: UUID | None = None


class AgencyUpdate(_Strict):
    name: Title | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    parent_id: UUID | None = None


class AgencyRead(_Read):
    id: UUID
    code: str
    name: str
    description: str
    parent_id: UUID | None
    departments: list[DepartmentRead]


class AgencyPage(CursorPage[AgencyRead]):
    pass


# Services --------------------------------------------------------------------------------------


class ServiceCreate(_Strict):
    code: Code
    agency_id: UUID
    department_id: UUID | None = None
    name: Title
    description: Annotated[str, StringConstraints(max_length=4000)] = ""
    channels: list[Channel] = Field(min_length=1)
    target_completion_minutes: int = Field(gt=0, le=60 * 24 * 365)
    sla_hours: int = Field(gt=0, le=24 * 365)


class ServiceUpdate(_Strict):
    department_id: UUID | None = None
    name: Title | None = None
    description: Annotated[str, StringConstraints(max_length=4000)] | None = None
    channels: list[Channel] | None = Field(default=None, min_length=1)
    target_completion_minutes: int | None = Field(default=None, gt=0, le=60 * 24 * 365)
    sla_hours: int | None = Field(default=None, gt=0, le=24 * 365)
    is_active: bool | None = None


class ServiceRead(_Read):
    id: UUID
    code: str
    agency_id: UUID
    department_id: UUID | None
    name: str
    description: str
    channels: list[Channel]
    target_completion_minutes: int
    sla_hours: int
    is_active: bool


class ServicePage(CursorPage[ServiceRead]):
    pass


# Regions ---------------------------------------------------------------------------------------


class RegionCreate(_Strict):
    code: Code
    name: Title
    parent_id: UUID | None = None
    centroid_lat: float | None = Field(default=None, ge=-90, le=90)
    centroid_lon: float | None = Field(default=None, ge=-180, le=180)
    shape: Shape | None = None


class RegionRead(_Read):
    id: UUID
    code: str
    name: str
    parent_id: UUID | None
    centroid_lat: float | None
    centroid_lon: float | None
    shape: dict[str, Any] | None


class RegionPage(CursorPage[RegionRead]):
    pass


# Data catalogue --------------------------------------------------------------------------------


class DataAttributeCreate(_Strict):
    key: AttributeKey
    name: Title
    description: Annotated[str, StringConstraints(max_length=4000)] = ""
    subject_kind: SubjectKind
    value_type: ValueType
    sensitivity: Sensitivity
    source_agency_id: UUID | None = None
    source_organization_id: UUID | None = None
    self_declarable: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> DataAttributeCreate:
        if (self.source_agency_id is None) == (self.source_organization_id is None):
            raise ValueError("give exactly one authoritative source: source_agency_id or source_organization_id")
        return self


class DataAttributeRead(_Read):
    id: UUID
    key: str
    name: str
    description: str
    subject_kind: SubjectKind
    value_type: ValueType
    sensitivity: Sensitivity
    source_agency_id: UUID | None
    source_organization_id: UUID | None
    self_declarable: bool


class DataAttributePage(CursorPage[DataAttributeRead]):
    pass


SearchQuery = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]
