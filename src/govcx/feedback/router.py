"""Feedback REST API: surveys, invitations, responses, KPIs and the closed loop. Thin routes."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request

from govcx.core.accounts import Scope
from govcx.core.auth import AgencyClient, require_scope
from govcx.core.config import API_PREFIX
from govcx.core.deps import ClockDep, SessionDep, SettingsDep
from govcx.core.errors import problem_responses
from govcx.core.filters import Filter
from govcx.core.pagination import PageParamsDep
from govcx.feedback import schemas, service
from govcx.feedback.models import FollowUpState, ResponseSource
from govcx.feedback.spam import RateLimited

router = APIRouter(prefix=f"{API_PREFIX}/feedback", tags=["feedback"], responses=problem_responses(401, 403, 422))

Writer = Annotated[AgencyClient, require_scope(Scope.FEEDBACK_WRITE)]
Reader = Annotated[AgencyClient, require_scope(Scope.CX_READ)]
AUTH = problem_responses(401, 403)


def survey_url(request: Request, path: str) -> str:
    return str(request.base_url).rstrip("/") + path


@router.post("/surveys", response_model=schemas.SurveyRead, status_code=201, operation_id="create_survey",
             responses=AUTH)
def create_survey(data: schemas.SurveyCreate, session: SessionDep, clock: ClockDep, me: Writer) -> schemas.SurveyRead:
    """Create a survey from a template (A-11 v2 or v1, CSAT, CES, NPS) or custom questions; a code reused is a new version."""
    survey = service.create_survey(session=session, agency_id=me.agency_id, data=data, clock=clock)
    return schemas.SurveyRead.model_validate(survey)


@router.get("/surveys", response_model=schemas.SurveyPage, operation_id="list_surveys", responses=AUTH)
def list_surveys(session: SessionDep, me: Writer, page: PageParamsDep) -> schemas.SurveyPage:
    rows, next_cursor = service.list_surveys(session=session, agency_id=me.agency_id, page=page)
    return schemas.SurveyPage(items=[schemas.SurveyRead.model_validate(s) for s in rows], next_cursor=next_cursor)


@router.get("/surveys/{survey_id}", response_model=schemas.SurveyRead, operation_id="get_survey",
            responses=problem_responses(404))
def get_survey(survey_id: UUID, session: SessionDep) -> schemas.SurveyRead:
    """Read a survey's questions (public: they are what anyone answering sees)."""
    return schemas.SurveyRead.model_validate(service.get_survey(session=session, survey_id=survey_id))


@router.post("/invitations", response_model=schemas.InvitationIssued, status_code=201,
             operation_id="create_invitation", responses={**AUTH, **problem_responses(404)})
def create_invitation(
    data: schemas.InvitationCreate, request: Request, session: SessionDep, clock: ClockDep, me: Writer
) -> schemas.InvitationIssued:
    """Issue a one-time link to a survey, after an interaction or when a case closes; it takes one answer."""
    invitation, token = service.create_invitation(session=session, agency_id=me.agency_id, data=data, clock=clock)
    return schemas.InvitationIssued(
        id=invitation.id, survey_id=invitation.survey_id, token=token, expires_at=invitation.expires_at,
        url=survey_url(request, f"/survey/i/{token}?lang={invitation.language}"),
    )


@router.post("/responses", response_model=schemas.ResponseRead, status_code=201, operation_id="submit_response",
             responses=problem_responses(404, 409, 429))
def submit_response(
    data: schemas.ResponseCreate, session: SessionDep, clock: ClockDep, _: RateLimited
) -> schemas.ResponseRead:
    """Answer a survey: with an invitation token (once) or to an open survey. Rate limited; leave `website` empty."""
    response = service.submit_response(session=session, data=data, source=ResponseSource.API, clock=clock)
    return schemas.ResponseRead.model_validate(response)


@router.get("/kpis", response_model=schemas.KpiReport, operation_id="get_feedback_kpis", responses=AUTH)
def get_kpis(
    session: SessionDep, settings: SettingsDep, me: Reader, filters: Annotated[schemas.KpiFilters, Depends()],
    group_by: schemas.Dimension = schemas.Dimension.NONE, period: schemas.Period = schemas.Period.QUARTER,
) -> schemas.KpiReport:
    """Trust, satisfaction, drivers, CES, NPS and response rate, by group and period, for the caller's agency."""
    filters = filters.model_copy(update={"agency_id": me.agency_id})
    return service.kpi_report(session=session, group_by=group_by, period=period, filters=filters, settings=settings)


@router.post("/follow-up-rules", response_model=schemas.FollowUpRuleRead, status_code=201,
             operation_id="create_follow_up_rule", responses=AUTH)
def create_follow_up_rule(
    data: schemas.FollowUpRuleCreate, session: SessionDep, clock: ClockDep, me: Writer
) -> schemas.FollowUpRuleRead:
    """Follow up answers at or below a score (with a comment, if asked): each opens a follow-up and a FollowUpNeeded event."""
    rule = service.create_rule(session=session, agency_id=me.agency_id, data=data, clock=clock)
    return schemas.FollowUpRuleRead.model_validate(rule)


def _follow_up_read(follow_up) -> schemas.FollowUpRead:  # noqa: ANN001
    read = schemas.FollowUpRead.model_validate(follow_up)
    read.hours_to_close = service.hours_to_close(follow_up)
    return read


@router.get("/follow-ups", response_model=schemas.FollowUpPage, operation_id="list_follow_ups", responses=AUTH)
def list_follow_ups(
    session: SessionDep, me: Reader, page: PageParamsDep, state: Filter[FollowUpState] = None
) -> schemas.FollowUpPage:
    rows, next_cursor = service.list_follow_ups(session=session, agency_id=me.agency_id, state=state, page=page)
    return schemas.FollowUpPage(items=[_follow_up_read(f) for f in rows], next_cursor=next_cursor)


@router.patch("/follow-ups/{follow_up_id}", response_model=schemas.FollowUpRead, operation_id="update_follow_up",
              responses={**AUTH, **problem_responses(404, 409)})
def update_follow_up(
    follow_up_id: UUID, data: schemas.FollowUpUpdate, session: SessionDep, clock: ClockDep, me: Writer
) -> schemas.FollowUpRead:
    """Move a follow-up to in progress or closed (times are recorded), and note the case that handles it."""
    follow_up = service.update_follow_up(session=session, follow_up_id=follow_up_id, agency_id=me.agency_id,
                                         data=data, clock=clock)
    return _follow_up_read(follow_up)
