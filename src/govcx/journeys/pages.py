"""CX pages for journeys: life events (viewed and edited), journey maps with their measures, the funnel,
the time tax and channel switches. For analysts and agency admins (the cx:read permission)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from govcx.core.accounts import Scope
from govcx.core.auth import CurrentStaff, authorize
from govcx.core.deps import ClockDep, SessionDep, SettingsDep
from govcx.core.errors import Conflict, Invalid
from govcx.journeys import analytics, service
from govcx.journeys.models import LifeEvent
from govcx.registry import service as registry_service
from govcx.web.csrf import CsrfProtected
from govcx.web.i18n import current_language
from govcx.web.i18n import gettext as _
from govcx.web.templating import page_router, render

router = page_router()


def _name(life_event: LifeEvent, language: str) -> str:
    return life_event.name_es if language == "es" else life_event.name_en


def _language(_request: Request) -> str:
    return current_language()


@router.get("/cx/journeys")
def journeys_index(request: Request, staff: CurrentStaff, session: SessionDep, settings: SettingsDep) -> Response:
    authorize(staff, Scope.CX_READ)
    language = _language(request)
    maps = {j.life_event_id: j for j in service.list_journey_maps(session=session) if j.life_event_id}
    rows = []
    for life_event in service.list_life_events(session=session):
        definition = service.definition_of(life_event)
        rows.append({"key": life_event.key, "name": _name(life_event, language), "version": life_event.version,
                     "stages": len(definition.stages), "agencies": sorted({i.agency for s in definition.stages
                                                                           for i in s.services}),
                     "journey": maps.get(life_event.id),
                     "counts": analytics.instance_status_counts(session=session, life_event=life_event,
                                                                threshold=settings.suppression_threshold)})
    others = [j for j in service.list_journey_maps(session=session) if j.life_event_id is None]
    return render(request, "journeys/index.html", {"life_events": rows, "other_maps": others,
                                                   "threshold": settings.suppression_threshold})


@router.get("/cx/journeys/channel-switches")
def channel_switches_page(request: Request, staff: CurrentStaff, session: SessionDep,
                          settings: SettingsDep) -> Response:
    authorize(staff, Scope.CX_READ)
    report = analytics.channel_switches(session=session, threshold=settings.suppression_threshold)
    return render(request, "journeys/channel_switches.html", {"report": report,
                                                              "threshold": settings.suppression_threshold})


@router.get("/cx/journeys/{key}")
def journey_page(key: str, request: Request, staff: CurrentStaff, session: SessionDep, settings: SettingsDep,
                 clock: ClockDep) -> Response:
    authorize(staff, Scope.CX_READ)
    journey = service.get_journey_map(session=session, key=key)
    threshold = settings.suppression_threshold
    funnel = analytics.funnel(session=session, journey=journey, threshold=threshold)
    steps = {s.key: s for s in funnel.touchpoints}
    agencies = registry_service.agency_names(session=session)
    staff_names = service.owner_names(session=session, ids={t.owner_staff_id for t in journey.touchpoints
                                                             if t.owner_staff_id})
    columns = [{"stage": stage, "cards": [
        {"touchpoint": t, "agency": agencies.get(t.agency_id, ""), "owner": staff_names.get(t.owner_staff_id),
         "measures": steps[t.key]} for t in journey.touchpoints if t.stage_id == stage.id]}
        for stage in journey.stages]
    life_event = session.get(LifeEvent, journey.life_event_id) if journey.life_event_id else None
    time_tax = analytics.time_tax(session=session, life_event=life_event, threshold=threshold,
                                  now=clock.now()) if life_event else None
    return render(request, "journeys/map.html", {
        "journey": journey, "columns": columns, "funnel": funnel, "threshold": threshold, "time_tax": time_tax,
        "life_event": life_event, "life_event_name": _name(life_event, _language(request)) if life_event else None,
        "bottleneck": steps.get(funnel.bottleneck) if funnel.bottleneck else None})


def _life_event_form(life_event: LifeEvent) -> dict[str, str]:
    definition = service.definition_of(life_event)
    return {"name_en": definition.names.en, "name_es": definition.names.es,
            "description_en": definition.description.en, "description_es": definition.description.es,
            "stages": json.dumps([s.model_dump(mode="json") for s in definition.stages], indent=2,
                                 ensure_ascii=False),
            "triggers": json.dumps([t.model_dump(mode="json", exclude_none=True) for t in definition.triggers],
                                   indent=2, ensure_ascii=False),
            "version": str(life_event.version)}


def _life_event_page(request: Request, session: Any, life_event: LifeEvent, *, values: dict[str, str],
                     errors: dict[str, str], saved: bool = False, status_code: int = 200) -> Response:
    return render(request, "journeys/life_event.html", {
        "life_event": life_event, "name": _name(life_event, _language(request)),
        "definition": service.definition_of(life_event), "values": values, "errors": errors, "saved": saved,
        "versions": service.life_event_versions(session=session, life_event_id=life_event.id),
        "can_edit": Scope.JOURNEYS_WRITE in request.state.viewer.staff.scopes}, status_code=status_code)


@router.get("/cx/life-events/{key}")
def life_event_page(key: str, request: Request, staff: CurrentStaff, session: SessionDep,
                    saved: str = "") -> Response:
    authorize(staff, Scope.CX_READ)
    life_event = service.get_life_event(session=session, key=key)
    return _life_event_page(request, session, life_event, values=_life_event_form(life_event), errors={},
                            saved=saved == "1")


FormText = Annotated[str, Form(max_length=20_000)]


@router.post("/cx/life-events/{key}", dependencies=[CsrfProtected])
def edit_life_event(key: str, request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
                    name_en: FormText = "", name_es: FormText = "", description_en: FormText = "",
                    description_es: FormText = "", stages: FormText = "", triggers: FormText = "",
                    version: FormText = "") -> Response:
    authorize(staff, Scope.JOURNEYS_WRITE)
    life_event = service.get_life_event(session=session, key=key)
    values = {"name_en": name_en, "name_es": name_es, "description_en": description_en,
              "description_es": description_es, "stages": stages, "triggers": triggers, "version": version}
    errors: dict[str, str] = {}
    if not name_en.strip():
        errors["name_en"] = _("Enter the name in English.")
    if not name_es.strip():
        errors["name_es"] = _("Enter the name in Spanish.")
    parsed: dict[str, Any] = {}
    for field in ("stages", "triggers"):
        try:
            parsed[field] = json.loads(values[field] or "[]")
        except ValueError:
            errors[field] = _("This is not valid JSON: check the brackets, commas and quotes.")
    if not errors:
        data = {"names": {"en": name_en.strip(), "es": name_es.strip()},
                "description": {"en": description_en.strip(), "es": description_es.strip()}, **parsed}
        try:
            service.update_life_event(session=session, key=key, data=data,
                                      expected_version=int(version) if version.isdigit() else None,
                                      changed_by=staff.email, clock=clock)
        except Conflict:
            errors["version"] = _("Someone changed this life event while you were editing it. Reload the page "
                                  "and make your change again.")
        except Invalid as exc:
            errors["stages"] = _("The life event is not valid: %(detail)s") % {"detail": exc.detail}
    if errors:
        session.rollback()
        life_event = service.get_life_event(session=session, key=key)
        return _life_event_page(request, session, life_event, values=values, errors=errors, status_code=400)
    return RedirectResponse(f"/cx/life-events/{key}?saved=1", status_code=303)
