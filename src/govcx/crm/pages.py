"""CRM pages: a person's timeline and a department's case queue for staff; a person's own cases.

Thin, like the API: authorise, call the service, shape what the template shows. Every form is a
plain POST with its CSRF token that answers with a redirect (no JavaScript needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from govcx.core import accounts
from govcx.core.accounts import Scope
from govcx.core.auth import CurrentCitizen, CurrentStaff, StaffMember, authorize
from govcx.core.deps import CipherDep, ClockDep, SessionDep, SettingsDep
from govcx.core.errors import Invalid
from govcx.crm import applications, schemas, service
from govcx.crm.models import Case, CaseStatus
from govcx.core.timeline import TimelineViewer, registered_types
from govcx.registry import service as registry
from govcx.registry.models import Channel
from govcx.vault import service as vault
from govcx.web import plain
from govcx.web.i18n import N_
from govcx.web.i18n import gettext as _
from govcx.web.csrf import CsrfProtected
from govcx.web.templating import page_router, render

router = page_router()

SLA_LABELS = {"on_track": "On track", "due_soon": "Due soon", "overdue": "Overdue", "met": "Met",
              "breached": "Breached"}
STATUS_LABELS = {s: s.value.replace("_", " ").capitalize() for s in CaseStatus}
FormText = Annotated[str, Form()]


@dataclass(frozen=True)
class CaseView:
    case: schemas.CaseRead
    service: str
    agency: str
    department: str
    sla: str
    status: str


def _names(session: Session) -> tuple[dict[UUID, str], dict[UUID, str], dict[UUID, str]]:
    agencies = registry.all_agencies(session=session)
    departments = {d.id: d.name for a in agencies for d in a.departments}
    services = {s.id: s.name for _, ss in registry.catalogue(session=session) for s in ss}
    return {a.id: a.name for a in agencies}, departments, services


def _views(session: Session, cases: list[Case], viewer: TimelineViewer, now) -> list[CaseView]:  # noqa: ANN001
    agencies, departments, services = _names(session)
    views = []
    for case in cases:
        read = service.case_read(case, viewer=viewer, now=now)
        views.append(CaseView(
            case=read, service=services.get(read.service_id, "A service"), agency=agencies.get(read.agency_id, ""),
            department=departments.get(read.department_id, "Not routed") if read.department_id else "Not routed",
            sla=SLA_LABELS[read.sla_state], status=STATUS_LABELS[read.status],
        ))
    return views


def _see_case(case_id: UUID) -> Response:
    return RedirectResponse(f"/staff/cases/{case_id}", status_code=303)


def _form(model: type, **fields: object):  # noqa: ANN202
    try:
        return model(**fields)
    except ValidationError as exc:
        raise Invalid("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None


# Citizens --------------------------------------------------------------------------------------


@router.get("/me/cases")
def my_cases(request: Request, me: CurrentCitizen, session: SessionDep, clock: ClockDep) -> Response:
    viewer = TimelineViewer.of(me)
    cases = _views(session, service.cases_of_person(session=session, person_id=me.person_id), viewer, clock.now())
    timeline = service.person_timeline(session=session, person_id=me.person_id, viewer=viewer, limit=50)
    return render(request, "crm/my_cases.html", {"cases": cases, "timeline": timeline})


# The person's own case, and applying for a service ---------------------------------------------

CASE_STATUS_WORDS = {
    CaseStatus.OPEN: N_("Received"), CaseStatus.IN_PROGRESS: N_("Being worked on"),
    CaseStatus.WAITING_ON_CUSTOMER: N_("Waiting for you"), CaseStatus.RESOLVED: N_("Done"),
    CaseStatus.CLOSED: N_("Closed"),
}
FILED = {"application": N_("Your application was sent. You can follow it here."),
         "question": N_("Your question was sent. You can follow it here."),
         "correction": N_("Your correction request was sent. You can follow it here.")}
ANSWER_ERRORS = {
    "missing": N_("Enter %(name)s."), "format": N_("%(name)s is not in the right form: %(hint)s"),
    "held": N_("Government already holds %(name)s: it is filled in for you."),
    "unknown": N_("This form does not ask for %(name)s."),
}
FORMAT_HINTS = {"date": N_("a date such as 2026-03-16."), "integer": N_("a whole number such as 2."),
                "decimal": N_("a number such as 12.5."), "money": N_("an amount such as 1250.00."),
                "boolean": N_("yes or no.")}


def field_id(key: str) -> str:
    """The id of the input for an attribute: error links and labels point at it."""
    return "answer-" + key.replace(".", "-")


@dataclass(frozen=True)
class Question:
    """One question an application asks that government does not hold yet."""

    key: str
    id: str
    label: str
    hint: str
    value_type: str
    required: bool


@dataclass(frozen=True)
class Held:
    """One value government holds for the application, shown with where it came from."""

    key: str
    label: str
    value: str
    source: str
    correctable: bool


def _application_form(session: Session, cipher, clock, svc, person_id: UUID) -> tuple[list[Held], list[Question]]:  # noqa: ANN001
    catalogue = vault.catalogue(session=session)
    required = vault.required_of(session=session, service_id=svc.id)
    prefill = vault.prefill(session=session, cipher=cipher, clock=clock, service_id=svc.id, person_id=person_id)
    # What the person declared themselves they change on My data; only an agency's fact goes back to it.
    held = [Held(v.attribute_key, plain.data_name(v.attribute_name),
                 plain.value(v.value, catalogue[v.attribute_key].value_type.value), _(v.source_name),
                 catalogue[v.attribute_key].source_agency_id is not None and v.source_name != vault.SELF)
            for v in prefill.known]
    questions = [Question(key, field_id(key), plain.data_name(catalogue[key].name),
                          _(catalogue[key].description) if catalogue[key].description else "",
                          catalogue[key].value_type.value, key in required) for key in prefill.missing]
    return held, questions


def _apply_page(request: Request, session: Session, cipher, clock, svc, person_id: UUID,  # noqa: ANN001
                values: dict[str, str] | None = None, message: str = "",
                errors: dict[str, str] | None = None) -> Response:
    held, questions = _application_form(session, cipher, clock, svc, person_id)
    agency = registry.get_agency(session=session, agency_id=svc.agency_id)
    return render(request, "crm/apply.html", {
        "service": svc, "agency": agency, "held": held, "questions": questions, "values": values or {},
        "message": message, "errors": errors or {},
    }, status_code=400 if errors else 200)


@router.get("/services/{ref}/apply")
def application_form(request: Request, ref: str, me: CurrentCitizen, session: SessionDep, cipher: CipherDep,
                     clock: ClockDep) -> Response:
    svc = registry.find_service(session=session, ref=ref)
    return _apply_page(request, session, cipher, clock, svc, me.person_id)


@router.post("/services/{ref}/apply", dependencies=[CsrfProtected])
def apply(
    request: Request, ref: str, me: CurrentCitizen, session: SessionDep, cipher: CipherDep, clock: ClockDep,
    # Bounded by ApplicationCreate (100 answers of 4,000 characters at most), checked below.
    key: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    value: Annotated[list[str], Form()] = [],  # noqa: B006
    message: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:
    svc = registry.find_service(session=session, ref=ref)
    if len(key) != len(value):
        raise Invalid("Each answer comes with the name of what it answers.")
    answers = dict(zip(key, value, strict=True))
    try:
        data = schemas.ApplicationCreate(answers=answers, message=message)
        case = applications.file_application(session=session, clock=clock, cipher=cipher, person_id=me.person_id,
                                        service_id=svc.id, answers=data.answers, message=data.message)
    except ValidationError:
        return _apply_page(request, session, cipher, clock, svc, me.person_id, answers, message, errors={
            "message": _("Keep your answers under 4,000 characters and your message under 2,000.")})
    except applications.AnswersInvalid as refused:
        names = registry.attribute_names(session=session, wanted=set(refused.fields))
        types = {k: a.value_type.value for k, a in vault.catalogue(session=session).items()}
        errors = {field_id(k): _(ANSWER_ERRORS[code]) % {
            "name": plain.data_name(names.get(k, k)), "hint": _(FORMAT_HINTS.get(types.get(k, ""), N_("a value.")))}
            for k, code in refused.fields.items()}
        return _apply_page(request, session, cipher, clock, svc, me.person_id, answers, message, errors=errors)
    return RedirectResponse(f"/me/cases/{case.id}?filed=application", status_code=303)


@router.get("/me/cases/{case_id}")
def my_case(request: Request, case_id: UUID, me: CurrentCitizen, session: SessionDep, cipher: CipherDep,
            clock: ClockDep, settings: SettingsDep) -> Response:
    case = service.get_case_of_person(session=session, case_id=case_id, person_id=me.person_id)
    view = _views(session, [case], TimelineViewer.of(me), clock.now())[0]
    agencies, _departments, _services = _names(session)
    answers = applications.answers_of(session=session, cipher=cipher, case_id=case.id)
    types = {k: a.value_type.value for k, a in vault.catalogue(session=session).items()}
    shown = [(plain.data_name(a.attribute_name), plain.value(a.value, types.get(a.attribute_key, "string")),
              _(a.source_name) if a.source_name else "") for a in answers]
    filed = request.query_params.get("filed", "")
    return render(request, "crm/my_case.html", {
        "view": view, "reference": str(case.token)[:8].upper(), "answers": shown,
        "status": _(CASE_STATUS_WORDS[case.status]), "status_words": CASE_STATUS_WORDS, "agency_names": agencies,
        "filed": _(FILED[filed]) if filed in FILED else "", "tz": settings.notify_timezone,
    })


# Staff -----------------------------------------------------------------------------------------


@router.get("/staff/persons/{person_id}/timeline")
def person_timeline(
    request: Request, person_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
    agency_id: Annotated[str, Query()] = "", channel: Annotated[str, Query()] = "",
    type: Annotated[str, Query()] = "",  # noqa: A002
) -> Response:
    authorize(staff, Scope.CRM_READ)
    person = registry.get_person(session=session, person_id=person_id)
    agencies = registry.all_agencies(session=session)
    try:
        chosen_agency = UUID(agency_id) if agency_id else None
        chosen_channel = Channel(channel) if channel else None
    except ValueError:
        raise Invalid("Choose an agency and a channel from the lists.") from None
    types = registered_types()
    if type and type not in types:
        raise Invalid("Choose a type from the list.")
    viewer = TimelineViewer.of(staff)
    timeline = service.person_timeline(
        session=session, person_id=person_id, viewer=viewer, agency_id=chosen_agency, channel=chosen_channel,
        types=[type] if type else None, limit=200,
    )
    cases = _views(session, service.cases_of_person(session=session, person_id=person_id), viewer, clock.now())
    return render(request, "crm/timeline.html", {
        "person": person, "timeline": timeline, "cases": cases, "agencies": agencies, "channels": list(Channel),
        "types": types, "chosen": {"agency_id": agency_id, "channel": channel, "type": type},
    })


def _own_agency(staff: StaffMember) -> UUID:
    if staff.agency_id is None:
        raise Invalid("Case queues belong to agencies; sign in as a member of an agency's staff.")
    return staff.agency_id


@router.get("/staff/cases")
def case_queue(
    request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
    department_id: Annotated[str, Query()] = "",
) -> Response:
    authorize(staff, Scope.CRM_READ)
    agency = registry.get_agency(session=session, agency_id=_own_agency(staff))
    try:
        department = UUID(department_id) if department_id else None
    except ValueError:
        raise Invalid("Choose a department from the list.") from None
    if department is not None and department not in {d.id for d in agency.departments}:
        raise Invalid("Choose one of your agency's departments.")
    cases = service.case_queue(session=session, agency_id=agency.id, department_id=department)
    views = _views(session, cases, TimelineViewer.of(staff), clock.now())
    counts = {label: sum(v.sla == label for v in views) for label in ("Overdue", "Due soon", "On track")}
    return render(request, "crm/queue.html", {
        "agency": agency, "cases": views, "department_id": department_id, "counts": counts,
    })


@router.get("/staff/cases/{case_id}")
def case_detail(request: Request, case_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep
                ) -> Response:
    case = service.get_case(session=session, case_id=case_id, by=staff)
    view = _views(session, [case], TimelineViewer.of(staff), clock.now())[0]
    agencies, departments, _ = _names(session)
    colleagues = accounts.list_staff(session=session, agency_id=case.agency_id)
    staff_names = {s.id: s.name for s in colleagues}
    return render(request, "crm/case.html", {
        "view": view, "owns": staff.agency_id == case.agency_id or staff.platform_wide,
        "statuses": [s for s in CaseStatus if s is not case.status], "status_labels": STATUS_LABELS,
        "agencies": registry.all_agencies(session=session), "agency_names": agencies, "department_names": departments,
        "colleagues": colleagues, "staff_names": staff_names,
    })


@router.post("/staff/cases/{case_id}/status", dependencies=[CsrfProtected])
def change_status(case_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
                  status: FormText = "", reason: FormText = "") -> Response:
    data = _form(schemas.CaseStatusChange, status=status, reason=reason)
    service.change_status(session=session, case_id=case_id, data=data, by=staff, clock=clock)
    return _see_case(case_id)


@router.post("/staff/cases/{case_id}/notes", dependencies=[CsrfProtected])
def add_note(case_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep, note: FormText = ""
             ) -> Response:
    service.add_note(session=session, case_id=case_id, data=_form(schemas.CaseNoteCreate, note=note), by=staff,
                     clock=clock)
    return _see_case(case_id)


@router.post("/staff/cases/{case_id}/transfer", dependencies=[CsrfProtected])
def transfer(case_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
             destination: FormText = "", reason: FormText = "") -> Response:
    # One select offers "agency" or "agency/department", so the form needs no script.
    agency_id, _, department_id = destination.partition("/")
    data = _form(schemas.CaseTransfer, agency_id=agency_id, department_id=department_id or None, reason=reason)
    service.transfer(session=session, case_id=case_id, data=data, by=staff, clock=clock)
    return _see_case(case_id)


@router.post("/staff/cases/{case_id}/assignment", dependencies=[CsrfProtected])
def assign(case_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep, assignee_id: FormText = ""
           ) -> Response:
    data = _form(schemas.CaseAssignment, assignee_id=assignee_id or None)
    service.assign(session=session, case_id=case_id, data=data, by=staff, clock=clock)
    return _see_case(case_id)
