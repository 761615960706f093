"""What crosses the wire for interactions, cases, routing rules, the timeline and repeat asks."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from govcx.core.bounded import AwareDatetime, clean_text
from govcx.core.pagination import CursorPage
from govcx.crm.models import CaseEventKind, CaseStatus, Outcome, Priority
from govcx.registry.models import Channel

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), AfterValidator(clean_text)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=5000),
                        AfterValidator(clean_text)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), AfterValidator(clean_text)]
Keyword = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=2, max_length=50)]
Lat = Annotated[float, Field(ge=-90, le=90)]
Lon = Annotated[float, Field(ge=-180, le=180)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class _Party(_Strict):
    person_id: UUID | None = None
    organization_id: UUID | None = None

    @model_validator(mode="after")
    def _at_most_one_party(self) -> _Party:
        if self.person_id is not None and self.organization_id is not None:
            raise ValueError("give person_id or organization_id, not both")
        return self


# Cases -----------------------------------------------------------------------------------------


class Location(_Strict):
    lat: Lat | None = None
    lon: Lon | None = None
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=300)] | None = None

    @model_validator(mode="after")
    def _whole(self) -> Location:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give lat and lon together")
        return self


class CaseCreate(_Party):
    """A case; without a person or organization it is an anonymous public report (as Open311 files)."""

    service_id: UUID
    description: Description
    location: Location | None = None
    channel: Channel = Channel.WEB
    priority: Priority = Priority.NORMAL
    is_complaint: bool = False


class ComplaintCreate(_Strict):
    """A complaint or concern given during an interaction; it becomes a routed case."""

    service_id: UUID
    description: Description
    location: Location | None = None
    priority: Priority = Priority.NORMAL


class CaseStatusChange(_Strict):
    status: CaseStatus
    reason: Reason = ""

    @model_validator(mode="after")
    def _closing_needs_reason(self) -> CaseStatusChange:
        if self.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED) and not self.reason:
            raise ValueError(f"say why the case is {self.status.value}")
        return self


class CaseNoteCreate(_Strict):
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class CaseTransfer(_Strict):
    agency_id: UUID
    department_id: UUID | None = None
    reason: Reason = ""


class CaseAssignment(_Strict):
    assignee_id: UUID | None


class CaseEventRead(_Read):
    id: UUID
    at: datetime
    kind: CaseEventKind
    agency_id: UUID
    staff_id: UUID | None
    status: CaseStatus | None
    reason: str
    to_agency_id: UUID | None
    to_department_id: UUID | None
    assignee_id: UUID | None


class CaseRead(_Read):
    id: UUID
    token: UUID
    person_id: UUID | None
    organization_id: UUID | None
    service_id: UUID
    description: str
    lat: float | None
    lon: float | None
    address: str | None
    region_id: UUID | None
    channel: Channel
    is_complaint: bool
    status: CaseStatus
    status_reason: str
    agency_id: UUID
    department_id: UUID | None
    assignee_id: UUID | None
    priority: Priority
    filed_by_agency_id: UUID
    opened_at: datetime
    sla_due_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    sla_state: str
    events: list[CaseEventRead]


class CasePage(CursorPage[CaseRead]):
    pass


# Applications and questions from the person ----------------------------------------------------

AnswerValue = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Message = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(clean_text)]


class ApplicationCreate(_Strict):
    """What the person adds to an application: the answers government does not hold yet (the rest is prefilled)."""

    answers: dict[Annotated[str, StringConstraints(max_length=100)], AnswerValue] = Field(default_factory=dict,
                                                                                        max_length=100)
    message: Message = ""


class CorrectionCreate(_Strict):
    """A request to the authoritative source to correct one fact it holds about the person."""

    attribute_key: Annotated[str, StringConstraints(max_length=100)]
    proposed_value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
    explanation: Message = ""


class QuestionCreate(_Strict):
    """A question to an agency about one use of the person's data (an entry of their access log)."""

    question: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000),
                        AfterValidator(clean_text)]


class CaseAnswerRead(BaseModel):
    """One value an application carried: from the vault (with its source) or given by the person."""

    attribute_key: str
    attribute_name: str
    value: str
    source_name: str = Field(description="Who government holds it from; empty when the person gave it.")
    from_vault: bool


class ApplicationRead(BaseModel):
    case: CaseRead
    answers: list[CaseAnswerRead]


# Interactions ----------------------------------------------------------------------------------


class InteractionCreate(_Party):
    service_id: UUID | None = None
    touchpoint: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    channel: Channel
    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    outcome: Outcome
    notes: Text = ""
    notes_shared: bool = False
    complaint: ComplaintCreate | None = None
    # What staff typed in for the person (registry field -> value): a value government already held
    # is counted as a repeat ask, and the caller is never told which were (that would confirm a guess).
    values_given: dict[Annotated[str, StringConstraints(max_length=50)],
                       Annotated[str, StringConstraints(max_length=300)]] = Field(default_factory=dict,
                                                                                  max_length=20)

    @model_validator(mode="after")
    def _ends_after_start(self) -> InteractionCreate:
        if self.person_id is None and self.organization_id is None:
            raise ValueError("give the person_id or organization_id the contact was with")
        if self.started_at.tzinfo is None or (self.ended_at is not None and self.ended_at.tzinfo is None):
            raise ValueError("give times with a timezone")
        if self.ended_at is not None and self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        return self


class InteractionRead(_Read):
    id: UUID
    person_id: UUID | None
    organization_id: UUID | None
    agency_id: UUID
    service_id: UUID | None
    touchpoint: str | None
    staff_id: UUID | None
    channel: Channel
    started_at: datetime
    ended_at: datetime | None
    duration_minutes: float | None
    outcome: Outcome
    # None when the viewer may not read them (another agency's private notes).
    notes: str | None
    notes_shared: bool
    case_id: UUID | None


# Routing rules ---------------------------------------------------------------------------------


class RoutingRuleCreate(_Strict):
    service_id: UUID | None = None
    keywords: list[Keyword] = Field(default_factory=list, max_length=20)
    region_id: UUID | None = None
    department_id: UUID
    rank: int = Field(default=100, ge=0, le=10_000)


class RoutingRuleRead(_Read):
    id: UUID
    agency_id: UUID
    service_id: UUID | None
    keywords: list[str]
    region_id: UUID | None
    department_id: UUID
    rank: int


class RoutingRulePage(CursorPage[RoutingRuleRead]):
    pass


# Timeline and repeat asks ----------------------------------------------------------------------


class TimelineEntryRead(BaseModel):
    at: datetime
    type: str
    source: str
    agency_id: UUID | None
    agency_name: str
    channel: Channel | None
    title: str
    detail: str | None
    ref: str | None


class HeldFactRead(BaseModel):
    """That an attribute is held about the person, from which source and since when; never its value."""

    key: str
    label: str
    source: str
    since: datetime | None = None


class TimelineRead(BaseModel):
    person_id: UUID
    items: list[TimelineEntryRead]
    facts: list[HeldFactRead]
    next_before: datetime | None = None


class RepeatAskCount(BaseModel):
    service_id: UUID | None
    service_name: str
    count: int


class RepeatAskReport(BaseModel):
    items: list[RepeatAskCount]


# Open311 GeoReport v2 (the specification's field names) ----------------------------------------


class Open311Endpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Open311Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Open311Endpoint]


class Open311Service(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class Open311Attribute(BaseModel):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str
    order: int
    description: str


class Open311ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[Open311Attribute]


class Open311Receipt(BaseModel):
    service_request_id: str
    token: str
    service_notice: str
    account_id: str | None


class Open311Token(BaseModel):
    service_request_id: str
    token: str


class Open311Request(BaseModel):
    service_request_id: str
    status: str
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: str
    updated_datetime: str
    expected_datetime: str
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class Open311Error(BaseModel):
    code: int
    description: str
