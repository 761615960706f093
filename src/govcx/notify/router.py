"""Notify REST API: agencies send messages and keep templates and rules; people read and set their own."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter

from govcx.core.accounts import Scope
from govcx.core.auth import Actor, AgencyClient, CurrentActor, CurrentCitizen, authorize, require_scope
from govcx.core.config import API_PREFIX
from govcx.core.deps import CipherDep, ClockDep, SessionDep, SettingsDep
from govcx.core.errors import problem_responses
from govcx.core.pagination import PageParamsDep
from govcx.notify import recommend, schemas, service
from govcx.web.csrf import CsrfProtected

router = APIRouter(prefix=API_PREFIX, tags=["notify"], responses=problem_responses(401, 403, 422))

Sender = Annotated[AgencyClient, require_scope(Scope.NOTIFY_SEND)]


@router.post("/notifications", response_model=schemas.MessageRead, status_code=201, operation_id="send_notification",
             responses=problem_responses(404))
def send_notification(data: schemas.NotificationCreate, session: SessionDep, clock: ClockDep,
                      settings: SettingsDep, client: Sender) -> schemas.MessageRead:
    """Send a person a message on their chosen channel; the answer says if and why it was skipped or deferred.

    Retrying with the same `dedup_key` returns the first message and sends nothing more. Dedup keys are
    the agency's own: another agency's key starts a message of yours, never returns theirs. Your agency's
    version of the template is used when it has one, else the platform's.
    """
    message = service.send(session=session, clock=clock, settings=settings, person_id=data.person_id,
                           template_key=data.template_key, facts=data.facts, why=data.why, dedup_key=data.dedup_key,
                           sender_agency_id=client.agency_id)
    return schemas.MessageRead.model_validate(message)


@router.get("/notifications/{message_id}", response_model=schemas.MessageRead, operation_id="get_notification",
            responses=problem_responses(404))
def get_notification(message_id: UUID, session: SessionDep, client: Sender) -> schemas.MessageRead:
    """One message your agency sent, with where it stands (another agency's is a 404)."""
    return schemas.MessageRead.model_validate(
        service.get_message(session=session, message_id=message_id, sender_agency_id=client.agency_id))


def _template_owner(actor: Actor) -> tuple[UUID | None, bool]:
    # An agency keeps its own templates; a platform administrator (signed in) keeps the platform's and reads all.
    authorize(actor, Scope.NOTIFY_ADMIN)
    return (None, True) if actor.platform_wide else (actor.agency_id, False)


@router.post("/notification-templates", response_model=schemas.TemplateRead, status_code=201,
             operation_id="create_notification_template")
def create_template(data: schemas.TemplateCreate, session: SessionDep, clock: ClockDep,
                    actor: CurrentActor) -> schemas.TemplateRead:
    """Add a new version of your agency's message template in one language (a platform administrator's
    session: the platform's default); your agency's messages use it from now on."""
    agency_id, _ = _template_owner(actor)
    return schemas.TemplateRead.model_validate(
        service.create_template(session=session, data=data, agency_id=agency_id, clock=clock))


@router.get("/notification-templates", response_model=schemas.TemplatePage, operation_id="list_notification_templates")
def list_templates(session: SessionDep, page: PageParamsDep, actor: CurrentActor) -> schemas.TemplatePage:
    """Every version of your agency's templates (a platform administrator sees every owner's)."""
    agency_id, everyone = _template_owner(actor)
    rows, cursor = service.list_templates(session=session, agency_id=agency_id, everyone=everyone, page=page)
    return schemas.TemplatePage(items=[schemas.TemplateRead.model_validate(t) for t in rows], next_cursor=cursor)


@router.get("/notification-templates/{template_id}", response_model=schemas.TemplateRead,
            operation_id="get_notification_template", responses=problem_responses(404))
def get_template(template_id: UUID, session: SessionDep, actor: CurrentActor) -> schemas.TemplateRead:
    agency_id, everyone = _template_owner(actor)
    return schemas.TemplateRead.model_validate(
        service.get_template(session=session, template_id=template_id, agency_id=agency_id, everyone=everyone))


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
