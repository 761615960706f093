"""Administration pages: thin forms over `admin.service`, each a plain POST with its CSRF token.

A bad submit re-renders its page with status 422, the message beside each field and the values kept
(never a password); revoking a key and disabling an account ask first, on a page of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from govcx.admin import service
from govcx.admin.models import AdminVerb
from govcx.admin.service import FormInvalid
from govcx.core.accounts import Role, Scope
from govcx.core.auth import CurrentStaff, StaffMember
from govcx.core.deps import ClockDep, SessionDep
from govcx.feedback.models import SurveyKind
from govcx.feedback.schemas import Measure
from govcx.notify.models import Topic
from govcx.registry import service as registry
from govcx.web.csrf import CsrfProtected
from govcx.web.i18n import N_
from govcx.web.i18n import gettext as _
from govcx.web.templating import page_router, render

router = page_router(prefix="/admin")

Text = Annotated[str, Form(max_length=20_000)]
Choices = Annotated[list[str] | None, Form()]

ROLE_LABELS = {Role.STAFF: N_("Staff"), Role.CX_ANALYST: N_("CX analyst"), Role.AGENCY_ADMIN: N_("Agency administrator"),
               Role.PLATFORM_ADMIN: N_("Platform administrator")}
SCOPE_LABELS = {
    Scope.REGISTRY_READ: N_("Read the registry"), Scope.REGISTRY_WRITE: N_("Change the registry"),
    Scope.REGISTRY_ADMIN: N_("Keep the registry's structure"), Scope.STAFF_MANAGE: N_("Manage staff"),
    Scope.CX_READ: N_("Read CX figures"), Scope.CRM_READ: N_("Read timelines and cases"),
    Scope.CRM_WRITE: N_("Record contacts and work cases"), Scope.VAULT_WRITE: N_("Record facts"),
    Scope.CONSENT_REQUEST: N_("Ask for consent"), Scope.EXCHANGE_REQUEST: N_("Ask for a person's data"),
    Scope.LEGAL_BASIS_ADMIN: N_("Keep the legal bases"), Scope.FEEDBACK_WRITE: N_("Run surveys and follow-ups"),
    Scope.NOTIFY_SEND: N_("Send messages"), Scope.NOTIFY_ADMIN: N_("Keep message templates"),
    Scope.JOURNEYS_WRITE: N_("Keep life events and journey maps"),
    Scope.EVENTS_WRITE: N_("Send touchpoint events from a web form"),
    Scope.PROACTIVE_ADMIN: N_("Keep proactive service rules"),
}
VERB_LABELS = {
    AdminVerb.AGENCY_CREATED: N_("Agency created"), AdminVerb.AGENCY_RENAMED: N_("Agency renamed"),
    AdminVerb.STAFF_CREATED: N_("Staff account created"), AdminVerb.STAFF_ROLE_CHANGED: N_("Role changed"),
    AdminVerb.STAFF_DISABLED: N_("Staff account disabled"), AdminVerb.KEY_CREATED: N_("API key created"),
    AdminVerb.KEY_REVOKED: N_("API key revoked"), AdminVerb.SURVEY_CREATED: N_("Survey created"),
    AdminVerb.SURVEY_OPENED: N_("Survey opened"), AdminVerb.SURVEY_CLOSED: N_("Survey closed"),
    AdminVerb.FOLLOW_UP_RULE_CREATED: N_("Follow-up rule created"),
    AdminVerb.FOLLOW_UP_RULE_SWITCHED_ON: N_("Follow-up rule switched on"),
    AdminVerb.FOLLOW_UP_RULE_SWITCHED_OFF: N_("Follow-up rule switched off"),
    AdminVerb.ROUTING_RULE_CREATED: N_("Routing rule created"),
    AdminVerb.ROUTING_RULE_DELETED: N_("Routing rule removed"), AdminVerb.TEMPLATE_CREATED: N_("Template saved"),
    AdminVerb.LEGAL_BASIS_CREATED: N_("Legal basis registered"),
    AdminVerb.LEGAL_BASIS_AMENDED: N_("Legal basis amended"),
    AdminVerb.LEGAL_BASIS_REPEALED: N_("Legal basis repealed"),
}
DETAIL_LABELS = {
    "code": N_("Code"), "name": N_("Name"), "previous_name": N_("Previous name"), "role": N_("Role"),
    "previous_role": N_("Previous role"), "label": N_("Label"), "scopes": N_("Permissions"), "kind": N_("Template"),
    "version": N_("Version"), "key": N_("Key"), "language": N_("Language"), "topic": N_("Topic"),
    "question": N_("Measure"), "max_value": N_("Highest negative score"), "rank": N_("Rank"), "title": N_("Title"),
}
KIND_LABELS = {SurveyKind.A11_V2: N_("A-11 customer experience (version 2)"),
               SurveyKind.A11_V1: N_("A-11 customer experience (version 1)"),
               SurveyKind.CSAT: N_("Satisfaction (CSAT)"), SurveyKind.CES: N_("Customer effort (CES)"),
               SurveyKind.NPS: N_("Net promoter score (NPS)"), SurveyKind.CUSTOM: N_("Custom")}
MEASURE_LABELS = {Measure.TRUST: N_("Trust"), Measure.SATISFACTION: N_("Satisfaction"),
                  Measure.EFFECTIVENESS: N_("Effectiveness"), Measure.EASE: N_("Ease"),
                  Measure.EFFICIENCY: N_("Efficiency"), Measure.EQUITY: N_("Equity"),
                  Measure.EMPLOYEE: N_("Staff helpfulness"), Measure.CES: N_("Customer effort"),
                  Measure.NPS: N_("Net promoter score")}
TOPIC_LABELS = {Topic.OFFERS: N_("Offers"), Topic.CASE_UPDATES: N_("Case updates"), Topic.SURVEYS: N_("Surveys"),
                Topic.REMINDERS: N_("Reminders")}
DONE = {
    "agency-created": N_("The agency was created."), "agency-renamed": N_("The agency was renamed."),
    "staff-created": N_("The staff account was created."), "role-changed": N_("The role was changed."),
    "staff-disabled": N_("The account was disabled and its sessions ended."),
    "key-revoked": N_("The API key was revoked: requests made with it are refused from now on."),
    "survey-created": N_("The survey was created."), "survey-opened": N_("The survey is open."),
    "survey-closed": N_("The survey is closed."), "rule-created": N_("The rule was added."),
    "rule-on": N_("The rule is on."), "rule-off": N_("The rule is off."),
    "rule-removed": N_("The rule was removed."), "template-created": N_("The template was saved."),
}
LABELS = {"roles": ROLE_LABELS, "scope_labels": SCOPE_LABELS, "verbs": VERB_LABELS, "detail_labels": DETAIL_LABELS,
          "kinds": KIND_LABELS, "measures": MEASURE_LABELS, "topics": TOPIC_LABELS}


def _page(request: Request, template: str, context: dict[str, Any], *, errors: dict[str, str] | None = None,
          values: dict[str, Any] | None = None, status_code: int = 200) -> Response:
    done = DONE.get(request.query_params.get("done", ""))
    return render(request, template, {**LABELS, "errors": errors or {}, "values": values or {}, "done": done,
                                      **context}, status_code=status_code)


def _refused(session: Session, exc: FormInvalid) -> dict[str, str]:
    # Nothing half-written survives a refused form: the unit of work commits only what came before it.
    session.rollback()
    return exc.errors


def _see(target: str) -> Response:
    return RedirectResponse(target, status_code=303)


def _submit(session: Session, act: Callable[[], Any], *, again: Callable[..., Response], values: dict[str, Any],
            then: str | Callable[[Any], str]) -> Response:
    """Run one form's action; on bad input show the form `again` (422, errors beside the fields, values kept)."""
    try:
        done = act()
    except FormInvalid as exc:
        return again(errors=_refused(session, exc), values=values, status_code=422)
    return _see(then(done) if callable(then) else then)


def _confirm(request: Request, *, title: str, message: str, action: str, button: str, back: str) -> Response:
    return _page(request, "admin/confirm.html", {"title": title, "message": message, "action": action,
                                                  "button": button, "back": back})


@router.get("")
def home(request: Request, staff: CurrentStaff) -> Response:
    return _page(request, "admin/home.html", {"sections": service.sections(by=staff)})


# Agencies ---------------------------------------------------------------------------------------------


def _agencies(request: Request, session: Session, staff: StaffMember, **form: Any) -> Response:
    return _page(request, "admin/agencies.html", {"agencies": service.agencies(session=session, by=staff)}, **form)


@router.get("/agencies")
def agencies(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    return _agencies(request, session, staff)


@router.post("/agencies", dependencies=[CsrfProtected])
def create_agency(request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep, code: Text = "",
                  name: Text = "") -> Response:
    return _submit(session, partial(service.create_agency, session=session, by=staff, code=code, name=name,
                                    clock=clock),
                   again=partial(_agencies, request, session, staff), values={"code": code, "name": name},
                   then="/admin/agencies?done=agency-created")


def _agency(request: Request, session: Session, staff: StaffMember, agency_id: UUID, **form: Any) -> Response:
    agency = service.get_agency(session=session, by=staff, agency_id=agency_id)
    return _page(request, "admin/agency.html", {"agency": agency}, **form)


@router.get("/agencies/{agency_id}")
def agency(request: Request, agency_id: UUID, staff: CurrentStaff, session: SessionDep) -> Response:
    return _agency(request, session, staff, agency_id)


@router.post("/agencies/{agency_id}", dependencies=[CsrfProtected])
def rename_agency(request: Request, agency_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
                  name: Text = "") -> Response:
    return _submit(session, partial(service.rename_agency, session=session, by=staff, agency_id=agency_id, name=name,
                                    clock=clock),
                   again=partial(_agency, request, session, staff, agency_id), values={"name": name},
                   then=f"/admin/agencies/{agency_id}?done=agency-renamed")


# Staff accounts ----------------------------------------------------------------------------------------


def _staff(request: Request, session: Session, staff: StaffMember, **form: Any) -> Response:
    names = registry.agency_names(session=session)
    return _page(request, "admin/staff.html", {
        "accounts": [(a, names.get(a.agency_id, "") if a.agency_id else "")
                     for a in service.staff_list(session=session, by=staff)],
        "agencies": service.agency_choices(session=session, by=staff), "role_choices": service.roles_for(by=staff),
        "platform": staff.platform_wide,
    }, **form)


@router.get("/staff")
def staff_accounts(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    return _staff(request, session, staff)


@router.post("/staff", dependencies=[CsrfProtected])
def create_staff(request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep, email: Text = "",
                 name: Text = "", password: Text = "", role: Text = "", agency_id: Text = "") -> Response:
    # The password is never sent back: the administrator types it again.
    values = {"email": email, "name": name, "role": role, "agency_id": agency_id}
    return _submit(session, partial(service.create_staff, session=session, by=staff, email=email, name=name,
                                    password=password, role=role, agency_id=agency_id, clock=clock),
                   again=partial(_staff, request, session, staff), values=values, then="/admin/staff?done=staff-created")


def _member(request: Request, session: Session, staff: StaffMember, staff_id: UUID, **form: Any) -> Response:
    account = service.get_staff(session=session, by=staff, staff_id=staff_id)
    agency_name = registry.agency_names(session=session).get(account.agency_id, "") if account.agency_id else ""
    return _page(request, "admin/staff_member.html", {
        "account": account, "agency_name": agency_name, "role_choices": service.roles_for(by=staff),
        "is_self": account.id == staff.id,
    }, **form)


@router.get("/staff/{staff_id}")
def staff_member(request: Request, staff_id: UUID, staff: CurrentStaff, session: SessionDep) -> Response:
    return _member(request, session, staff, staff_id)


@router.post("/staff/{staff_id}/role", dependencies=[CsrfProtected])
def change_role(request: Request, staff_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
                role: Text = "") -> Response:
    return _submit(session, partial(service.change_role, session=session, by=staff, staff_id=staff_id, role=role,
                                    clock=clock),
                   again=partial(_member, request, session, staff, staff_id), values={"role": role},
                   then=f"/admin/staff/{staff_id}?done=role-changed")


@router.get("/staff/{staff_id}/disable")
def confirm_disable(request: Request, staff_id: UUID, staff: CurrentStaff, session: SessionDep) -> Response:
    account = service.get_staff(session=session, by=staff, staff_id=staff_id)
    return _confirm(request, title=_("Disable %(name)s?") % {"name": account.name},
                    message=_("They will not be able to sign in, and every session they have open ends now. "
                              "What they recorded stays."),
                    action=f"/admin/staff/{staff_id}/disable", button=_("Disable the account"),
                    back=f"/admin/staff/{staff_id}")


@router.post("/staff/{staff_id}/disable", dependencies=[CsrfProtected])
def disable_staff(staff_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep) -> Response:
    service.disable_staff(session=session, by=staff, staff_id=staff_id, clock=clock)
    return _see(f"/admin/staff/{staff_id}?done=staff-disabled")


# API keys -------------------------------------------------------------------------------------------------


def _keys(request: Request, session: Session, staff: StaffMember, **form: Any) -> Response:
    names = registry.agency_names(session=session)
    return _page(request, "admin/keys.html", {
        "keys": [(k, names.get(k.agency_id, "")) for k in service.keys(session=session, by=staff)],
        "agencies": service.agency_choices(session=session, by=staff),
        "scope_choices": service.key_scopes_for(by=staff), "platform": staff.platform_wide,
    }, **form)


@router.get("/keys")
def api_keys(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    return _keys(request, session, staff)


@router.post("/keys", dependencies=[CsrfProtected])
def create_key(request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep, label: Text = "",
               agency_id: Text = "", scopes: Choices = None) -> Response:
    try:
        key, secret = service.create_key(session=session, by=staff, agency_id=agency_id, label=label,
                                         scopes=scopes or [], clock=clock)
    except FormInvalid as exc:
        values = {"label": label, "agency_id": agency_id, "scopes": scopes or []}
        return _keys(request, session, staff, errors=_refused(session, exc), values=values, status_code=422)
    # The one time the key is shown: straight in this answer, never through a page that could be reloaded,
    # and never kept by a browser or proxy cache.
    agency_name = registry.agency_names(session=session).get(key.agency_id, "")
    response = _page(request, "admin/key_created.html", {"key": key, "secret": secret, "agency_name": agency_name},
                     status_code=201)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/keys/{key_id}/revoke")
def confirm_revoke(request: Request, key_id: UUID, staff: CurrentStaff, session: SessionDep) -> Response:
    key = service.get_key(session=session, by=staff, key_id=key_id)
    return _confirm(request, title=_("Revoke the key “%(label)s”?") % {"label": key.label},
                    message=_("Every request made with it is refused from the moment you revoke it. "
                              "This cannot be undone: the system that uses it needs a new key."),
                    action=f"/admin/keys/{key_id}/revoke", button=_("Revoke the key"), back="/admin/keys")


@router.post("/keys/{key_id}/revoke", dependencies=[CsrfProtected])
def revoke_key(key_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep) -> Response:
    service.revoke_key(session=session, by=staff, key_id=key_id, clock=clock)
    return _see("/admin/keys?done=key-revoked")


# Surveys and follow-up rules --------------------------------------------------------------------------------


def _surveys(request: Request, session: Session, staff: StaffMember, **form: Any) -> Response:
    return _page(request, "admin/surveys.html", {
        "surveys": service.surveys(session=session, by=staff),
        "kind_choices": [k for k in SurveyKind if k is not SurveyKind.CUSTOM],
    }, **form)


@router.get("/surveys")
def surveys(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    return _surveys(request, session, staff)


@router.post("/surveys", dependencies=[CsrfProtected])
def create_survey(request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep, code: Text = "",
                  kind: Text = "", provider: Text = "", is_open: Text = "") -> Response:
    values = {"code": code, "kind": kind, "provider": provider, "is_open": is_open == "1"}
    return _submit(session, partial(service.create_survey, session=session, by=staff, code=code, kind=kind,
                                    provider=provider, is_open=is_open == "1", clock=clock),
                   again=partial(_surveys, request, session, staff), values=values,
                   then="/admin/surveys?done=survey-created")


@router.post("/surveys/{survey_id}/open", dependencies=[CsrfProtected])
def open_survey(survey_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
                is_open: Text = "") -> Response:
    survey = service.set_survey_open(session=session, by=staff, survey_id=survey_id, is_open=is_open == "1",
                                     clock=clock)
    return _see(f"/admin/surveys?done=survey-{'opened' if survey.is_open else 'closed'}")


def _rules(request: Request, session: Session, staff: StaffMember, **form: Any) -> Response:
    return _page(request, "admin/follow_up_rules.html", {
        "rules": service.follow_up_rules(session=session, by=staff),
        "departments": service.departments(session=session, by=staff),
        "measure_choices": list(MEASURE_LABELS),
    }, **form)


@router.get("/follow-up-rules")
def follow_up_rules(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    return _rules(request, session, staff)


@router.post("/follow-up-rules", dependencies=[CsrfProtected])
def create_follow_up_rule(request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
                          name: Text = "", question: Text = "", max_value: Text = "", needs_comment: Text = "",
                          department_id: Text = "") -> Response:
    values = {"name": name, "question": question, "max_value": max_value, "needs_comment": needs_comment == "1",
              "department_id": department_id}
    return _submit(session, partial(service.create_follow_up_rule, session=session, by=staff, name=name,
                                    question=question, max_value=max_value, needs_comment=needs_comment == "1",
                                    department_id=department_id, clock=clock),
                   again=partial(_rules, request, session, staff), values=values,
                   then="/admin/follow-up-rules?done=rule-created")


@router.post("/follow-up-rules/{rule_id}/active", dependencies=[CsrfProtected])
def switch_follow_up_rule(rule_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
                          is_active: Text = "") -> Response:
    rule = service.set_follow_up_rule_active(session=session, by=staff, rule_id=rule_id, is_active=is_active == "1",
                                             clock=clock)
    return _see(f"/admin/follow-up-rules?done=rule-{'on' if rule.is_active else 'off'}")


# Routing rules --------------------------------------------------------------------------------------------


def _routing(request: Request, session: Session, staff: StaffMember, **form: Any) -> Response:
    rules = service.routing_rules(session=session, by=staff)
    departments = service.departments(session=session, by=staff)
    services = service.agency_services(session=session, by=staff)
    regions = registry.all_regions(session=session)
    return _page(request, "admin/routing_rules.html", {
        "rules": rules, "departments": departments, "services": services, "regions": regions,
        "department_names": {d.id: d.name for d in departments}, "service_names": {s.id: s.name for s in services},
        "region_names": {r.id: r.name for r in regions},
    }, **form)


@router.get("/routing-rules")
def routing_rules(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    return _routing(request, session, staff)


@router.post("/routing-rules", dependencies=[CsrfProtected])
def create_routing_rule(request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
                        department_id: Text = "", service_id: Text = "", region_id: Text = "", keywords: Text = "",
                        rank: Text = "") -> Response:
    values = {"department_id": department_id, "service_id": service_id, "region_id": region_id, "keywords": keywords,
              "rank": rank}
    return _submit(session, partial(service.create_routing_rule, session=session, by=staff, clock=clock, **values),
                   again=partial(_routing, request, session, staff), values=values,
                   then="/admin/routing-rules?done=rule-created")


@router.get("/routing-rules/{rule_id}/delete")
def confirm_delete_routing_rule(request: Request, rule_id: UUID, staff: CurrentStaff,
                                session: SessionDep) -> Response:
    service.get_routing_rule(session=session, by=staff, rule_id=rule_id)
    return _confirm(request, title=_("Remove this routing rule?"),
                    message=_("New cases are routed without it. Cases it already routed stay where they are."),
                    action=f"/admin/routing-rules/{rule_id}/delete", button=_("Remove the rule"),
                    back="/admin/routing-rules")


@router.post("/routing-rules/{rule_id}/delete", dependencies=[CsrfProtected])
def delete_routing_rule(rule_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep) -> Response:
    service.delete_routing_rule(session=session, by=staff, rule_id=rule_id, clock=clock)
    return _see("/admin/routing-rules?done=rule-removed")


# Message templates ----------------------------------------------------------------------------------------


def _templates(request: Request, session: Session, staff: StaffMember, **form: Any) -> Response:
    return _page(request, "admin/templates.html", {"templates": service.templates(session=session, by=staff)},
                 **form)


@router.get("/templates")
def templates(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    return _templates(request, session, staff)


@router.post("/templates", dependencies=[CsrfProtected])
def create_template(request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep, key: Text = "",
                    language: Text = "", topic: Text = "", subject: Text = "", text_body: Text = "",
                    html_body: Text = "") -> Response:
    values = {"key": key, "language": language, "topic": topic, "subject": subject, "text_body": text_body,
              "html_body": html_body}
    return _submit(session, partial(service.create_template, session=session, by=staff, clock=clock, **values),
                   again=partial(_templates, request, session, staff), values=values,
                   then=lambda template: f"/admin/templates/{template.id}?done=template-created")


@router.get("/templates/{template_id}")
def template(request: Request, template_id: UUID, staff: CurrentStaff, session: SessionDep) -> Response:
    return _page(request, "admin/template.html",
                 {"template": service.get_template(session=session, by=staff, template_id=template_id)})


# The log ---------------------------------------------------------------------------------------------------


@router.get("/log")
def log(request: Request, staff: CurrentStaff, session: SessionDep) -> Response:
    return _page(request, "admin/log.html", {"lines": service.log(session=session, by=staff),
                                             "platform": staff.platform_wide})
