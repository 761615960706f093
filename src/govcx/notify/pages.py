"""Notify pages: the citizen's inbox, notification settings and recommendations; staff see a person's.

Every message and recommendation says why it is there and has a plain form button to stop that kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from govcx.core.accounts import Scope
from govcx.core.auth import CurrentCitizen, CurrentStaff, authorize
from govcx.core.deps import CipherDep, ClockDep, SessionDep, SettingsDep
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


@dataclass(frozen=True)
class _Choices:
    """What the settings form shows: the stored preferences, or what was just submitted."""

    channels: list[str]
    language: str
    quiet_from: int | None
    quiet_until: int | None
    opted_out: list[str]


def _preferences_page(request: Request, prefs: object, *, errors: dict[str, str] | None = None,
                      saved: str = "") -> Response:
    return render(request, "notify/preferences.html", {
        "prefs": prefs, "ranks": range(len(NotifyChannel)), "hours": range(24), "saved": saved,
        "errors": errors or {}, **_labels(),
    }, status_code=422 if errors else 200)


@router.get("/me/notification-preferences")
def my_preferences(request: Request, me: CurrentCitizen, session: SessionDep, clock: ClockDep) -> Response:
    prefs = service.preferences_of(session=session, person_id=me.person_id, clock=clock)
    return _preferences_page(request, prefs, saved=request.query_params.get("saved", ""))


def _hour(value: str) -> int | None:
    return int(value) if value.isdigit() and int(value) < 24 else None


def _choice_errors(choices: _Choices, quiet_from: str, quiet_until: str) -> dict[str, str]:
    """Each wrong answer of the settings form, beside the field it belongs to."""
    errors = {}
    known = {c.value for c in NotifyChannel}
    if not choices.channels or len(set(choices.channels)) != len(choices.channels) \
            or not set(choices.channels) <= known:
        errors["channel-0"] = _("Choose at least one channel, and each channel only once.")
    if choices.language not in service.LANGUAGE_LABELS:
        errors["language"] = _("Choose one of the languages in the list.")
    if (quiet_from and choices.quiet_from is None) or (quiet_until and choices.quiet_until is None):
        errors["quiet_from"] = _("Choose whole hours for quiet hours.")
    elif (choices.quiet_from is None) != (choices.quiet_until is None):
        errors["quiet_from"] = _("Give both ends of the quiet hours, or neither.")
    return errors


@router.post("/me/notification-preferences", dependencies=[CsrfProtected])
def save_preferences(
    request: Request, me: CurrentCitizen, session: SessionDep, clock: ClockDep,
    channel: Annotated[list[str], Form()], language: Annotated[str, Form()] = "",
    quiet_from: Annotated[str, Form()] = "", quiet_until: Annotated[str, Form()] = "",
    receive: Annotated[list[str] | None, Form()] = None,
) -> Response:
    receive = receive or []
    choices = _Choices(channels=[c for c in channel if c != NO_CHANNEL], language=language,
                       quiet_from=_hour(quiet_from), quiet_until=_hour(quiet_until),
                       opted_out=[t.value for t in Topic if t.value not in receive])
    # A wrong answer re-shows the form with what was chosen, the error beside its field; nothing is saved.
    if errors := _choice_errors(choices, quiet_from, quiet_until):
        return _preferences_page(request, choices, errors=errors)
    data = schemas.PreferenceUpdate(channels=choices.channels, language=choices.language,
                                    quiet_from=choices.quiet_from, quiet_until=choices.quiet_until,
                                    opted_out=choices.opted_out)
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
