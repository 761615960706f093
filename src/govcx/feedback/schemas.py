"""What crosses the wire for feedback: surveys and their questions, invitations, responses, KPIs."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from govcx.core.bounded import ReasonableDate, free_text
from govcx.core.pagination import CursorPage
from govcx.feedback.models import FollowUpState, ResponseSource, SurveyKind
from govcx.registry.models import Channel

LANGUAGES = ("en", "es")
Language = Annotated[str, StringConstraints(pattern=r"^(en|es)$")]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Ref = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
Text = dict[Language, Annotated[str, StringConstraints(min_length=1, max_length=500)]]


class QuestionType(StrEnum):
    THUMBS = "thumbs"  # 1 thumbs up, 0 thumbs down
    AGREEMENT = "agreement"  # 1 strongly disagree .. 5 strongly agree
    CSAT = "csat"  # 1 very dissatisfied .. 5 very satisfied
    CES = "ces"  # 1 very difficult .. 7 very easy
    NPS = "nps"  # 0 .. 10
    SINGLE = "single"  # one option
    MULTI = "multi"  # any options
    YES_NO = "yes_no"  # 1 yes, 0 no
    TEXT = "text"


class Measure(StrEnum):
    """What a question measures, so every survey feeds the same KPIs."""

    TRUST = "trust"
    SATISFACTION = "satisfaction"
    EFFECTIVENESS = "effectiveness"
    EASE = "ease"
    EFFICIENCY = "efficiency"
    EQUITY = "equity"
    EMPLOYEE = "employee"
    WENT_WELL = "went_well"
    WENT_BADLY = "went_badly"
    CES = "ces"
    NPS = "nps"
    COMMENT = "comment"


class Driver(StrEnum):
    """The A-11 §280 drivers of trust (v2), plus equity from v1."""

    EFFECTIVENESS = "effectiveness"
    EASE = "ease"
    EFFICIENCY = "efficiency"
    TRANSPARENCY = "transparency"
    HUMANITY = "humanity"
    EMPLOYEE = "employee"
    EQUITY = "equity"
    OTHER = "other"


DRIVER_BIT = {driver: 1 << n for n, driver in enumerate(Driver)}
SCALES: dict[QuestionType, tuple[int, int]] = {
    QuestionType.THUMBS: (0, 1), QuestionType.AGREEMENT: (1, 5), QuestionType.CSAT: (1, 5),
    QuestionType.CES: (1, 7), QuestionType.NPS: (0, 10), QuestionType.YES_NO: (0, 1),
}


class Option(BaseModel):
    key: Key
    label: Text


class Question(BaseModel):
    key: Key
    type: QuestionType
    prompt: Text
    options: list[Option] = Field(default_factory=list, max_length=30)
    required: bool = False
    measure: Measure | None = None

    @model_validator(mode="after")
    def _options_fit_the_type(self) -> Question:
        wants_options = self.type in (QuestionType.SINGLE, QuestionType.MULTI)
        if wants_options and not self.options:
            raise ValueError(f"A {self.type.value} question needs options.")
        if not wants_options and self.options:
            raise ValueError(f"A {self.type.value} question takes no options.")
        return self


class SurveyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    kind: SurveyKind
    provider: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    title: Text | None = None
    languages: list[Language] = Field(default_factory=lambda: list(LANGUAGES), min_length=1)
    thumbs: bool = Field(default=False, description="A-11 v2 only: ask trust as thumbs up/down, not 5 points.")
    questions: list[Question] = Field(default_factory=list, max_length=50,
                                      description="Custom surveys only; added after a template's questions.")
    is_open: bool = Field(default=False, description="Answerable without an invitation (hosted page, widget).")


class SurveyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    agency_id: UUID
    code: str
    version: int
    kind: SurveyKind
    provider: str
    title: dict[str, str]
    languages: list[str]
    questions: list[Question]
    is_open: bool
    created_at: datetime


class SurveyPage(CursorPage[SurveyRead]):
    pass


class Context(BaseModel):
    """Where a response came from. References to interactions and cases are free text for now."""

    service_id: UUID | None = None
    touchpoint: Ref | None = None
    channel: Channel | None = None
    interaction_ref: Ref | None = None
    case_ref: Ref | None = None
    region_id: UUID | None = None


class InvitationCreate(Context):
    model_config = ConfigDict(extra="forbid")

    survey_id: UUID
    language: Language = "en"
    valid_days: int = Field(default=14, ge=1, le=90)


class InvitationIssued(BaseModel):
    id: UUID
    survey_id: UUID
    url: str = Field(description="The one-time link; shown only now.")
    token: str
    expires_at: datetime


Answer = int | free_text(2000) | Annotated[list[free_text(200)], Field(max_length=50)]


class ResponseCreate(Context):
    model_config = ConfigDict(extra="forbid")

    survey_id: UUID | None = None
    invitation_token: Annotated[str, StringConstraints(min_length=10, max_length=100)] | None = None
    language: Language = "en"
    answers: dict[Key, Answer] = Field(max_length=60)
    website: str = Field(default="", max_length=200,
                         description="Leave empty. A field people never see; robots fill it in.")

    @model_validator(mode="after")
    def _one_way_in(self) -> ResponseCreate:
        if (self.survey_id is None) == (self.invitation_token is None):
            raise ValueError("Give either survey_id (an open survey) or invitation_token, not both.")
        return self


class ResponseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    survey_id: UUID
    source: ResponseSource
    language: str
    submitted_at: datetime
    comment: str | None = Field(description="Redacted: e-mails, phone numbers and national ids removed.")


class FollowUpRuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    question: Measure = Field(description="The measure whose score triggers it, e.g. trust.")
    max_value: int = Field(ge=0, le=10, description="Scores at or below this count as negative.")
    needs_comment: bool = True
    department_id: UUID | None = None


class FollowUpRuleRead(FollowUpRuleCreate):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    agency_id: UUID
    is_active: bool
    created_at: datetime


class FollowUpUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    state: FollowUpState
    case_ref: Ref | None = None
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    response_id: UUID
    agency_id: UUID
    department_id: UUID | None
    service_id: UUID | None
    state: FollowUpState
    case_ref: str | None
    created_at: datetime
    started_at: datetime | None
    closed_at: datetime | None
    hours_to_close: float | None = None


class FollowUpPage(CursorPage[FollowUpRead]):
    pass


# KPIs ------------------------------------------------------------------------------------------


class Dimension(StrEnum):
    NONE = "none"
    AGENCY = "agency"
    SERVICE = "service"
    CHANNEL = "channel"
    TOUCHPOINT = "touchpoint"
    REGION = "region"


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


class Proportion(BaseModel):
    value: float
    low: float = Field(description="95% Wilson interval, lower bound.")
    high: float
    successes: int
    n: int


class Score(BaseModel):
    value: float
    low: float = Field(description="95% interval, lower bound.")
    high: float
    n: int


class Change(BaseModel):
    measure: str
    previous: float
    current: float
    difference: float
    z: float
    p_value: float
    significant: bool = Field(description="Two-proportion z-test at the 5% level.")


class KpiCell(BaseModel):
    group: str | None
    group_label: str | None
    period: str
    period_start: date
    responses: int
    suppressed: bool = Field(description="Fewer responses than the suppression threshold: no figures shown.")
    trust: Proportion | None = None
    satisfaction: Proportion | None = None
    drivers_positive: dict[str, Proportion] = Field(default_factory=dict)
    drivers_negative: dict[str, Proportion] = Field(default_factory=dict)
    ces_easy: Proportion | None = None
    ces_mean: Score | None = None
    nps: Score | None = None
    response_rate: Proportion | None = None
    changes: list[Change] = Field(default_factory=list)


class KpiReport(BaseModel):
    group_by: Dimension
    period: Period
    fiscal_year_start_month: int
    suppression_threshold: int
    cells: list[KpiCell]


class KpiFilters(BaseModel):
    agency_id: UUID | None = None
    service_id: UUID | None = None
    channel: Channel | None = None
    touchpoint: str | None = None
    region_id: UUID | None = None
    since: ReasonableDate | None = None
    until: ReasonableDate | None = Field(default=None, description="Inclusive.")

