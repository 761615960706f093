"""Feedback rows built through the real services, for tests."""

from __future__ import annotations

import itertools
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session

from govcx.core.clock import Clock
from govcx.feedback import schemas, service
from govcx.feedback.models import ResponseSource, Survey, SurveyKind

_seq = itertools.count(1)


def survey(session: Session, clock: Clock, agency_id: UUID, *, kind: SurveyKind = SurveyKind.A11_V2,
           is_open: bool = True, thumbs: bool = False, provider: str = "the Tax Agency", **extra: Any) -> Survey:
    data = schemas.SurveyCreate(code=extra.pop("code", f"S{next(_seq)}"), kind=kind, provider=provider,
                                is_open=is_open, thumbs=thumbs, **extra)
    return service.create_survey(session=session, agency_id=agency_id, data=data, clock=clock)


def invitation(session: Session, clock: Clock, survey: Survey, **context: Any) -> str:
    _, token = service.create_invitation(
        session=session, agency_id=survey.agency_id, clock=clock,
        data=schemas.InvitationCreate(survey_id=survey.id, **context))
    return token


def response(session: Session, clock: Clock, survey: Survey, answers: dict[str, Any], **context: Any):  # noqa: ANN201
    data = schemas.ResponseCreate(survey_id=survey.id, answers=answers, **context)
    return service.submit_response(session=session, data=data, source=ResponseSource.API, clock=clock)


def fill_feedback(app) -> UUID:  # noqa: ANN001
    """An open A-11 survey of the first agency with a few answers, for the browser tests; returns its id."""
    from govcx.core.db import unit_of_work
    from govcx.registry import service as registry

    clock = app.state.clock
    with unit_of_work(app.state.session_factory) as session:
        agency_id = registry.all_agencies(session=session)[0].id
        made = survey(session, clock, agency_id)
        for n in range(5):
            response(session, clock, made, {"trust": 1 + n % 5, "went_well": ["ease"],
                                            "comments": f"Comment {n}: call 0401234567"})
    return made.id
