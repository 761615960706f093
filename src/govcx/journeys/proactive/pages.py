"""Proactive services pages: the citizen's offers under "My life events", the CX team's rules and outcomes.

Accepting and declining are plain forms with a CSRF token: no JavaScript is needed.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from govcx.core.accounts import Scope
from govcx.core.auth import CurrentCitizen, CurrentStaff, authorize
from govcx.core.deps import ClockDep, SessionDep, SettingsDep
from govcx.core.errors import Conflict, Invalid
from govcx.journeys.proactive import schemas, service
from govcx.journeys.proactive.deps import ToolsDep
from govcx.journeys.proactive.models import OfferStatus, Trigger
from govcx.registry import service as registry
from govcx.web.csrf import CsrfProtected
from govcx.web.i18n import N_, current_language
from govcx.web.i18n import gettext as _
from govcx.web.templating import page_router, render

router = page_router()

STATUS_LABELS = {OfferStatus.OFFERED: N_("Waiting for you"), OfferStatus.ACCEPTED: N_("Accepted"),
                 OfferStatus.DECLINED: N_("Declined"), OfferStatus.EXPIRED: N_("Expired")}
TRIGGER_LABELS = {Trigger.FACT_RECORDED: N_("A fact is recorded or changes"),
                  Trigger.CASE_RESOLVED: N_("A case is resolved"),
                  Trigger.JOURNEY_EVENT: N_("A journey event arrives")}
DONE = {"accepted": N_("Done: your application was filed. You can follow it under My requests."),
        "declined": N_("Done: we will not offer this again for the same event.")}
FIELDS = ("code", "name", "life_event_key", "trigger", "trigger_key", "condition", "service_id",
          "consent_attributes", "reason", "offer_days")


@router.get("/me/life-events")
def my_life_events(request: Request, me: CurrentCitizen, session: SessionDep, tools: ToolsDep) -> Response:
    offers = service.offers_of(session=session, person_id=me.person_id, tools=tools)
    done = request.query_params.get("done", "")
    return render(request, "journeys/proactive/my_life_events.html", {
        "waiting": [o for o in offers if o.status is OfferStatus.OFFERED],
        "decided": [o for o in offers if o.status is not OfferStatus.OFFERED],
        "life_events": service.life_events_of(session=session, person_id=me.person_id, language=current_language()),
        "statuses": STATUS_LABELS, "done": _(DONE[done]) if done in DONE else "",
    })


@router.post("/me/life-events/offers/{offer_id}/accept", dependencies=[CsrfProtected])
def accept_offer(offer_id: UUID, me: CurrentCitizen, session: SessionDep, tools: ToolsDep) -> Response:
    service.accept(session=session, offer_id=offer_id, person_id=me.person_id, tools=tools)
    return RedirectResponse("/me/life-events?done=accepted", status_code=303)


@router.post("/me/life-events/offers/{offer_id}/decline", dependencies=[CsrfProtected])
def decline_offer(offer_id: UUID, me: CurrentCitizen, session: SessionDep, tools: ToolsDep) -> Response:
    service.decline(session=session, offer_id=offer_id, person_id=me.person_id, tools=tools)
    return RedirectResponse("/me/life-events?done=declined", status_code=303)


# The CX team ---------------------------------------------------------------------------------------


def _cx_page(request: Request, staff, session, clock, settings, *, errors: dict[str, str] | None = None,  # noqa: ANN001
             values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    authorize(staff, Scope.CX_READ)
    agency_id = None if staff.platform_wide else staff.agency_id
    can_edit = Scope.PROACTIVE_ADMIN in staff.scopes and staff.agency_id is not None
    services = [s for agency, items in registry.catalogue(session=session) if agency.id == staff.agency_id
                for s in items] if can_edit else []
    return render(request, "journeys/proactive/cx_offers.html", {
        "summary": service.offer_summary(session=session, clock=clock, threshold=settings.suppression_threshold,
                                         agency_id=agency_id),
        "rules": service.list_rules(session=session, agency_id=agency_id),
        "service_names": registry.service_names(session=session),
        "triggers": TRIGGER_LABELS, "can_edit": can_edit,
        "triggers_options": [(t.value, _(label)) for t, label in TRIGGER_LABELS.items()],
        "service_options": [(str(s.id), s.name) for s in services],
        "errors": errors or {}, "values": {f: "" for f in FIELDS} | {"offer_days": "30"} | (values or {}),
        "saved": request.query_params.get("saved", ""),
    }, status_code=status_code)


@router.get("/cx/proactive")
def cx_offers(request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
              settings: SettingsDep) -> Response:
    return _cx_page(request, staff, session, clock, settings)


_PYDANTIC_MESSAGES = {
    "code": N_("Give a code of lower-case letters, digits, dots and dashes (2 to 64)."),
    "name": N_("Give the rule a name of 3 to 200 characters."),
    "trigger": N_("Choose what triggers the rule."),
    "trigger_key": N_("Say which fact, service or journey triggers the rule."),
    "condition": N_("A condition is at most 500 characters."),
    "service_id": N_("Choose the service to offer."),
    "consent_attributes": N_("List catalogue attribute keys, separated by commas."),
    "reason": N_("Say in 3 to 300 characters why the person is offered this."),
    "offer_days": N_("An offer is valid for 1 to 365 days."),
}


@router.post("/cx/proactive/rules", dependencies=[CsrfProtected])
def create_rule(
    request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep, settings: SettingsDep,
    code: Annotated[str, Form()] = "", name: Annotated[str, Form()] = "",
    life_event_key: Annotated[str, Form()] = "", trigger: Annotated[str, Form()] = "",
    trigger_key: Annotated[str, Form()] = "", condition: Annotated[str, Form()] = "",
    service_id: Annotated[str, Form()] = "", consent_attributes: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "", offer_days: Annotated[str, Form()] = "30",
) -> Response:
    authorize(staff, Scope.PROACTIVE_ADMIN)
    values = {"code": code, "name": name, "life_event_key": life_event_key, "trigger": trigger,
              "trigger_key": trigger_key, "condition": condition, "service_id": service_id,
              "consent_attributes": consent_attributes, "reason": reason, "offer_days": offer_days}
    errors: dict[str, str] = {}
    try:
        data = schemas.RuleCreate(**{**values, "consent_attributes": [
            k.strip() for k in consent_attributes.split(",") if k.strip()]})
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "code"
            errors.setdefault(field, _(_PYDANTIC_MESSAGES.get(field, _PYDANTIC_MESSAGES["code"])))
    else:
        try:
            service.create_rule(session=session, data=data, by=staff, clock=clock)
        except (Invalid, Conflict) as exc:
            errors[exc.extra.get("field", "code")] = exc.detail
    if errors:
        session.rollback()  # a refused rule changes nothing
        return _cx_page(request, staff, session, clock, settings, errors=errors, values=values, status_code=422)
    return RedirectResponse("/cx/proactive?saved=1", status_code=303)
