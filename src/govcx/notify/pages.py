"""Notify pages: the citizen's inbox, notification settings and recommendations; staff see a person's.

Every message and recommendation says why it is there and has a plain form button to stop that kind.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from govcx.core.accounts import Scope
from govcx.core.auth import CurrentCitizen, CurrentStaff, authorize
from govcx.core.deps import CipherDep, ClockDep, SessionDep, SettingsDep
from govcx.core.errors import Invalid
from govcx.notify import recommend, schemas, service
from govcx.notify.models import NotifyChannel, Topic
from govcx.registry import service as registry
from govcx.web.csrf import CsrfProtected
from govcx.web.i18n import gettext as _
from govcx.web.templating import page_router, render

router = page_router()
SHOWN = 100
NO_CHANNEL = ""


def _labels() -> dict[str, object]:
    # In the reader's language; each language keeps its own name, as people look for it.
    return {"topics": {topic: _(label) for topic, label in service.TOPIC_LABELS.items()},
            "channels": {channel: _(label) for channel, label in service.CHANNEL_LABELS.items()},
            "languages": service.LANGUAGE_LABELS}


@router.get("/me/inbox")
def my_inbox(request: Request, me: CurrentCitizen, session: SessionDep) -> Response:
    messages = service.latest_messages(session=session, person_id=me.person_id, limit=SHOWN, sent_only=True)
    return render(request, "notify/inbox.html", {"messages": messages, "stopped": request.query_params.get(
        "stopped", ""), **_labels()})


@router.post("/me/notifications/stop", dependencies=[CsrfProtected])
def stop_topic(topic: Annotated[Topic, Form()], me: CurrentCitizen, session: SessionDep,
               clock: ClockDep) -> Response:
    service.stop_topic(session=session, person_id=me.person_id, topic=topic, clock=clock)
    return RedirectResponse(f"/me/inbox?stopped={topic.value}", status_code=303)


@router.get("/me/notification-preferences")
def my_preferences(request: Request, me: CurrentCitizen, session: SessionDep, clock: ClockDep) -> Response:
    prefs = service.preferences_of(session=session, person_id=me.person_id, clock=clock)
    return render(request, "notify/preferences.html", {
        "prefs": prefs, "ranks": range(len(NotifyChannel)), "hours": range(24),
        "saved": request.query_params.get("saved", ""), **_labels(),
    })


@router.post("/me/notification-preferences", dependencies=[CsrfProtected])
def save_preferences(
    me: CurrentCitizen, session: SessionDep, clock: ClockDep,
    channel: Annotated[list[str], Form()], language: Annotated[str, Form()],
    quiet_from: Annotated[str, Form()] = "", quiet_until: Annotated[str, Form()] = "",
    receive: Annotated[list[str] | None, Form()] = None,
) -> Response:
    receive = receive or []
    try:
        data = schemas.PreferenceUpdate(
            channels=[c for c in channel if c != NO_CHANNEL], language=language,
            quiet_from=int(quiet_from) if quiet_from else None, quiet_until=int(quiet_until) if quiet_until else None,
            opted_out=[t for t in Topic if t.value not in receive],
        )
    except (ValidationError, ValueError) as exc:
        raise Invalid(_("Choose at least one channel, each channel once, and whole hours for quiet hours.")) from exc
    service.update_preferences(session=session, person_id=me.person_id, data=data, clock=clock)
    return RedirectResponse("/me/notification-preferences?saved=1", status_code=303)


@router.get("/me/recommendations")
def my_recommendations(request: Request, me: CurrentCitizen, session: SessionDep, clock: ClockDep,
                       cipher: CipherDep, settings: SettingsDep) -> Response:
    recs = recommend.recommendations_for(session=session, clock=clock, cipher=cipher, person_id=me.person_id,
                                         threshold=settings.suppression_threshold)
    return render(request, "notify/recommendations.html", {
        "recommendations": recs, "stopped": request.query_params.get("stopped", "")})


@router.post("/me/recommendations/stop", dependencies=[CsrfProtected])
def stop_recommendation(rule_code: Annotated[str, Form(min_length=1, max_length=64)], me: CurrentCitizen,
                        session: SessionDep, clock: ClockDep) -> Response:
    service.mute_rule(session=session, person_id=me.person_id, rule_code=rule_code, clock=clock)
    return RedirectResponse("/me/recommendations?stopped=1", status_code=303)


@router.get("/staff/persons/{person_id}/notifications")
def person_notifications(request: Request, person_id: UUID, staff: CurrentStaff, session: SessionDep,
                         clock: ClockDep, cipher: CipherDep, settings: SettingsDep) -> Response:
    authorize(staff, Scope.REGISTRY_READ)
    person = registry.get_person(session=session, person_id=person_id)
    # An agency's staff see what their agency sent and what consents naming their agency allow;
    # platform administrators see everything.
    everything = staff.platform_wide
    return render(request, "notify/staff_person.html", {
        "person": person, "prefs": service.preferences_of(session=session, person_id=person_id, clock=clock),
        "messages": service.latest_messages(session=session, person_id=person_id, limit=SHOWN,
                                            sender_agency_id=staff.agency_id, every_sender=everything),
        "recommendations": recommend.recommendations_for(
            session=session, clock=clock, cipher=cipher, person_id=person_id,
            threshold=settings.suppression_threshold, for_agency_id=None if everything else staff.agency_id),
        "everything": everything, **_labels(),
    })
