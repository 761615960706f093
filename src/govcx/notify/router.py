"""Notify REST API: agencies send messages and keep templates and rules; people read and set their own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from govcx.core.accounts import Scope
from govcx.core.auth import AgencyClient, CurrentCitizen, require_scope
from govcx.core.config import API_PREFIX
from govcx.core.deps import CipherDep, ClockDep, SessionDep, SettingsDep
from govcx.core.errors import problem_responses
from govcx.core.pagination import PageParamsDep
from govcx.notify import recommend, schemas, service
from govcx.web.csrf import CsrfProtected

router = APIRouter(prefix=API_PREFIX, tags=["notify"], responses=problem_responses(401, 403, 422))

Sender = Annotated[AgencyClient, require_scope(Scope.NOTIFY_SEND)]
Admin = Annotated[AgencyClient, require_scope(Scope.NOTIFY_ADMIN)]


@router.post("/notifications", response_model=schemas.MessageRead, status_code=201, operation_id="send_notification",
             responses=problem_responses(404))
def send_notification(data: schemas.NotificationCreate, session: SessionDep, clock: ClockDep,
                      settings: SettingsDep, client: Sender) -> schemas.MessageRead:
    """Send a person a message on their chosen channel; the answer says if and why it was skipped or deferred.

    Retrying with the same `dedup_key` returns the first message and sends nothing more.
    """
    message = service.send(session=session, clock=clock, settings=settings, person_id=data.person_id,
                           template_key=data.template_key, facts=data.facts, why=data.why, dedup_key=data.dedup_key)
    return schemas.MessageRead.model_validate(message)


@router.post("/notification-templates", response_model=schemas.TemplateRead, status_code=201,
             operation_id="create_notification_template")
def create_template(data: schemas.TemplateCreate, session: SessionDep, clock: ClockDep,
                    client: Admin) -> schemas.TemplateRead:
    """Add a new version of a message template in one language."""
    return schemas.TemplateRead.model_validate(service.create_template(session=session, data=data, clock=clock))


@router.get("/me/notification-preferences", response_model=schemas.PreferenceRead,
            operation_id="get_my_notification_preferences")
def get_my_preferences(session: SessionDep, clock: ClockDep, me: CurrentCitizen) -> schemas.PreferenceRead:
    return schemas.PreferenceRead.model_validate(
        service.preferences_of(session=session, person_id=me.person_id, clock=clock))


@router.put("/me/notification-preferences", response_model=schemas.PreferenceRead,
            operation_id="update_my_notification_preferences", dependencies=[CsrfProtected])
def update_my_preferences(data: schemas.PreferenceUpdate, session: SessionDep, clock: ClockDep,
                          me: CurrentCitizen) -> schemas.PreferenceRead:
    """Choose channels in order, language, quiet hours and the topics to hear about."""
    return schemas.PreferenceRead.model_validate(
        service.update_preferences(session=session, person_id=me.person_id, data=data, clock=clock))


@router.get("/me/messages", response_model=schemas.MessagePage, operation_id="list_my_messages")
def list_my_messages(session: SessionDep, page: PageParamsDep, me: CurrentCitizen) -> schemas.MessagePage:
    """The messages delivered to me, oldest first, each saying why it was sent."""
    rows, cursor = service.messages_for(session=session, person_id=me.person_id, page=page, sent_only=True)
    return schemas.MessagePage(items=[schemas.MessageRead.model_validate(m) for m in rows], next_cursor=cursor)


@router.get("/me/recommendations", response_model=list[schemas.RecommendationRead],
            operation_id="list_my_recommendations")
def list_my_recommendations(session: SessionDep, clock: ClockDep, cipher: CipherDep, settings: SettingsDep,
                            me: CurrentCitizen) -> list[schemas.RecommendationRead]:
    """Services I may need next, only from data I consented to share, each with why."""
    return recommend.recommendations_for(session=session, clock=clock, cipher=cipher, person_id=me.person_id,
                                         threshold=settings.suppression_threshold)
