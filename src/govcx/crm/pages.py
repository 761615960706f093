"""CRM pages: the caseworker console (home, queue, case, new contact, new case), a person's timeline,
and a person's own cases.

Thin, like the API: authorise, call the service, shape what the template shows. Every form is a
plain POST with its CSRF token that answers with a redirect; a bad one shows the same page again
with the error beside its field and what was typed kept (status 422), and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from govcx.consent import service as consent
from govcx.core.access import FIND_PERSONS, FOLLOW_CASES, WORK_CASES
from govcx.core.auth import CurrentCitizen, CurrentStaff, StaffMember
from govcx.core.clock import Clock
from govcx.core.crypto import FieldCipher
from govcx.core.deps import CipherDep, ClockDep, SessionDep, SettingsDep
from govcx.core.errors import Conflict, Invalid
from govcx.core.signing import Signer, SignerDep
from govcx.core.timeline import TimelineViewer, registered_types
from govcx.crm import applications, schemas, service
from govcx.crm.models import Case, CaseStatus, Interaction, Outcome, Priority
from govcx.exchange import service as exchange
from govcx.registry import service as registry
from govcx.registry.models import Channel
from govcx.vault import service as vault
from govcx.web import plain
from govcx.web.csrf import CsrfProtected
from govcx.web.i18n import N_
from govcx.web.i18n import gettext as _
from govcx.web.templating import page_router, render

router = page_router()

PER_PAGE = 25
# The one catalogued attribute the console reads to name a case's person, under the case (logged).
NAME = "person.name"

SLA_LABELS = {"on_track": N_("On track"), "due_soon": N_("Due soon"), "overdue": N_("Overdue"), "met": N_("Met"),
              "breached": N_("Breached")}
STATUS_LABELS = {CaseStatus.OPEN: N_("Open"), CaseStatus.IN_PROGRESS: N_("In progress"),
                 CaseStatus.WAITING_ON_CUSTOMER: N_("Waiting on the person"), CaseStatus.RESOLVED: N_("Resolved"),
                 CaseStatus.CLOSED: N_("Closed")}
QUEUE_STATUS_LABELS = {
    schemas.QueueStatus.OPEN: N_("Every open status"), schemas.QueueStatus.NEW: N_("Open, not yet started"),
    schemas.QueueStatus.IN_PROGRESS: N_("In progress"), schemas.QueueStatus.WAITING_ON_CUSTOMER:
    N_("Waiting on the person"), schemas.QueueStatus.DONE: N_("Resolved or closed"),
    schemas.QueueStatus.RESOLVED: N_("Resolved"), schemas.QueueStatus.CLOSED: N_("Closed"),
}
PRIORITY_LABELS = {Priority.LOW: N_("Low"), Priority.NORMAL: N_("Normal"), Priority.HIGH: N_("High"),
                   Priority.URGENT: N_("Urgent")}
CHANNEL_LABELS = {Channel.WEB: N_("Web"), Channel.APP: N_("Mobile app"), Channel.PHONE: N_("Phone"),
                  Channel.IN_PERSON: N_("In person"), Channel.EMAIL: N_("E-mail"), Channel.CHAT: N_("Chat"),
                  Channel.MAIL: N_("Post"), Channel.SOCIAL: N_("Social media"), Channel.SMS: N_("Text message")}
OUTCOME_LABELS = {Outcome.RESOLVED: N_("Resolved there and then"), Outcome.REFERRED: N_("Referred elsewhere"),
                  Outcome.FOLLOW_UP: N_("Needs a follow-up"), Outcome.CASE_OPENED: N_("A case was opened"),
                  Outcome.ABANDONED: N_("The person gave up")}
SORT_LABELS = {schemas.QueueSort.DUE: N_("Due"), schemas.QueueSort.OPENED: N_("Opened"),
               schemas.QueueSort.STATUS: N_("Status")}
FormText = Annotated[str, Form()]


def _labels() -> dict[str, Any]:
    """Every label map, translated into the reader's language (templates look values up in them)."""
    return {name: {k: _(v) for k, v in labels.items()} for name, labels in (
        ("sla_labels", SLA_LABELS), ("status_labels", STATUS_LABELS), ("queue_status_labels", QUEUE_STATUS_LABELS),
        ("priority_labels", PRIORITY_LABELS), ("channel_labels", CHANNEL_LABELS), ("outcome_labels", OUTCOME_LABELS),
        ("sort_labels", SORT_LABELS))}


@dataclass(frozen=True)
class CaseView:
    case: schemas.CaseRead
    reference: str
    service: str
    agency: str
    department: str
    sla: str
    status: str
    # The person's name, read for the agency handling the open case; None when it may not be read.
    person_name: str | None = None
    assignee: str = ""


def _names(session: Session) -> tuple[dict[UUID, str], dict[UUID, str], dict[UUID, str]]:
    agencies = registry.all_agencies(session=session)
    departments = {d.id: d.name for a in agencies for d in a.departments}
    services = {s.id: s.name for _agency, ss in registry.catalogue(session=session) for s in ss}
    return {a.id: a.name for a in agencies}, departments, services


def _views(session: Session, cases: list[Case], viewer: TimelineViewer, now: datetime,
           person_names: dict[UUID, str] | None = None) -> list[CaseView]:
    agencies, departments, services = _names(session)
    assignees = service.staff_names(session=session, ids=(c.assignee_id for c in cases))
    views = []
    for case in cases:
        read = service.case_read(case, viewer=viewer, now=now)
        views.append(CaseView(
            case=read, reference=service.reference(case), service=services.get(read.service_id, _("A service")),
            agency=agencies.get(read.agency_id, ""),
            department=departments.get(read.department_id, _("Not routed")) if read.department_id else _("Not routed"),
            sla=_(SLA_LABELS[read.sla_state]), status=_(STATUS_LABELS[read.status]),
            person_name=(person_names or {}).get(case.id), assignee=assignees.get(case.assignee_id, ""),
        ))
    return views


def _person_names(session: Session, cases: list[Case], staff: StaffMember, *, clock: Clock, signer: Signer,
                  cipher: FieldCipher) -> dict[UUID, str]:
    """Read the name of each shown case's person, for the agency handling that open case only.

    Every read is decided and logged by the exchange (the person sees it in their access log), like
    any other read of a catalogued attribute: the queue is no back door to who people are.
    """
    names = {}
    for case in cases:
        if case.person_id is None or case.agency_id != staff.agency_id or case.status not in service.OPEN_STATUSES:
            continue
        ground = consent.CaseGround(case_id=case.id, agency_id=case.agency_id, subject_id=case.person_id,
                                    service_id=case.service_id, open=True)
        facts = exchange.read_for_case(session=session, case=ground, attributes=[NAME], clock=clock, signer=signer,
                                       cipher=cipher).facts
        if facts:
            names[case.id] = facts[0].value
    return names


def _see_case(case_id: UUID) -> Response:
    return RedirectResponse(f"/staff/cases/{case_id}", status_code=303)


def _field_errors(exc: ValidationError, messages: dict[str, str], whole: str,
                  fields: dict[str, str] | None = None) -> dict[str, str]:
    """One translated message per form field from a schema's complaints.

    `whole` is the field a check of the whole form is about; `fields` maps schema names to form names.
    """
    errors: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else whole
        name = (fields or {}).get(name, name)
        errors.setdefault(name, _(messages.get(name, messages[whole])))
    return errors


# Citizens --------------------------------------------------------------------------------------


@router.get("/me/cases")
def my_cases(request: Request, me: CurrentCitizen, session: SessionDep, clock: ClockDep) -> Response:
    viewer = TimelineViewer.of(me)
    cases = _views(session, service.cases_of_person(session=session, person_id=me.person_id), viewer, clock.now())
    timeline = service.person_timeline(session=session, person_id=me.person_id, viewer=viewer, limit=50)
    return render(request, "crm/my_cases.html", {"cases": cases, "timeline": timeline, **_labels()})


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


# Staff: a person's timeline --------------------------------------------------------------------


@router.get("/staff/persons/{person_id}/timeline")
def person_timeline(
    request: Request, person_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
    agency_id: Annotated[str, Query()] = "", channel: Annotated[str, Query()] = "",
    type: Annotated[str, Query()] = "",  # noqa: A002
) -> Response:
    FOLLOW_CASES.require(staff)
    person = registry.get_person(session=session, person_id=person_id)
    agencies = registry.all_agencies(session=session)
    # Empty filters mean "every": the form sends each one, set to its first choice.
    try:
        chosen_agency = UUID(agency_id) if agency_id.strip() else None
        chosen_channel = Channel(channel) if channel.strip() else None
    except ValueError:
        raise Invalid(_("Choose an agency and a channel from the lists.")) from None
    types = registered_types()
    if type.strip() and type not in types:
        raise Invalid(_("Choose a type from the list."))
    viewer = TimelineViewer.of(staff)
    timeline = service.person_timeline(
        session=session, person_id=person_id, viewer=viewer, agency_id=chosen_agency, channel=chosen_channel,
        types=[type] if type.strip() else None, limit=200,
    )
    cases = _views(session, service.cases_of_person(session=session, person_id=person_id), viewer, clock.now())
    return render(request, "crm/timeline.html", {
        "person": person, "timeline": timeline, "cases": cases, "agencies": agencies, "channels": list(Channel),
        "types": types, "chosen": {"agency_id": agency_id, "channel": channel, "type": type}, **_labels(),
    })


# Staff: the queue ------------------------------------------------------------------------------

QUEUE_MESSAGES = {
    "assignee": N_("Choose whose cases to show from the list."),
    "status": N_("Choose a status from the list."),
    "sla": N_("Choose a service level from the list."),
    "department_id": N_("Choose one of your agency's departments."),
    "reference": N_("Enter a case reference: at least 4 of its letters and digits, such as 9C3E0A71F2."),
    "sort": N_("Choose how to sort from the list."),
    "descending": N_("Choose how to sort from the list."),
    "page": N_("There is no such page."),
    "query": N_("Check the filters."),
}


def _queue_url(query: schemas.CaseQueueQuery, **changes: Any) -> str:
    """The queue's address with these filters, leaving out what is at its default (links keep the filters)."""
    values = {**query.model_dump(mode="json"), **changes}
    defaults = schemas.CaseQueueQuery().model_dump(mode="json")
    kept = {k: ("" if v is None else ("true" if v is True else v)) for k, v in values.items() if v != defaults[k]}
    # A status of "any" is kept in the address: left out, the queue would fall back to open cases.
    return "/staff/cases" + (f"?{urlencode(kept)}" if kept else "")


def _parse_queue(params: dict[str, str]) -> tuple[schemas.CaseQueueQuery, dict[str, str]]:
    fields = {k: v for k, v in params.items() if k in schemas.CaseQueueQuery.model_fields}
    try:
        query = schemas.CaseQueueQuery(**fields)
    except ValidationError as exc:
        errors = _field_errors(exc, QUEUE_MESSAGES, "query")
        return schemas.CaseQueueQuery(), errors
    if query.reference and not service.is_reference(query.reference):
        return query.model_copy(update={"reference": ""}), {"reference": _(QUEUE_MESSAGES["reference"])}
    return query, {}


@router.get("/staff/cases")
def case_queue(request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep, signer: SignerDep,
               cipher: CipherDep) -> Response:
    WORK_CASES.require(staff)
    agency = registry.get_agency(session=session, agency_id=staff.agency_id)
    query, errors = _parse_queue(dict(request.query_params))
    departments = {d.id for d in agency.departments}
    if query.department_id is not None and query.department_id not in departments:
        errors["department_id"] = _(QUEUE_MESSAGES["department_id"])
        query = query.model_copy(update={"department_id": None})
    assignees = service.eligible_assignees(session=session, agency_id=agency.id)
    if query.assignee not in ("", schemas.MINE, schemas.UNASSIGNED) and UUID(query.assignee) not in {
            a.id for a in assignees}:
        errors["assignee"] = _(QUEUE_MESSAGES["assignee"])
        query = query.model_copy(update={"assignee": ""})
    now = clock.now()
    if errors:
        # A filter that cannot be understood shows nothing rather than a guess, with the error beside it.
        cases, total = [], 0
    else:
        cases, total = service.queue(session=session, agency_id=agency.id, query=query, me=staff.id, now=now,
                                     per_page=PER_PAGE)
        if not cases and total and query.page > 1:
            errors["page"] = _(QUEUE_MESSAGES["page"])
    names = _person_names(session, cases, staff, clock=clock, signer=signer, cipher=cipher)
    views = _views(session, cases, TimelineViewer.of(staff), now, names)
    counts = service.sla_counts(session=session, agency_id=agency.id, query=query, me=staff.id, now=now) \
        if not errors else {}
    pages = max(1, -(-total // PER_PAGE))
    sort_links = {
        key.value: _queue_url(query, sort=key.value, descending=(query.sort is key and not query.descending), page=1)
        for key in schemas.QueueSort
    }
    return render(request, "crm/queue.html", {
        "agency": agency, "cases": views, "query": query, "values": {
            k: ("" if v is None else v) for k, v in query.model_dump(mode="json").items()} | {
            k: v for k, v in request.query_params.items() if k in errors},
        "errors": errors, "assignees": assignees, "total": total, "pages": pages, "counts": counts,
        "sort_links": sort_links, "sla_links": {state: _queue_url(query, sla=state, page=1) for state in counts},
        "previous_page": _queue_url(query, page=query.page - 1) if query.page > 1 else None,
        "next_page": _queue_url(query, page=query.page + 1) if query.page < pages else None,
        "mine": _queue_url(schemas.CaseQueueQuery(assignee=schemas.MINE)),
        "queue_statuses": list(QUEUE_STATUS_LABELS),
        "sla_states": list(SLA_LABELS), **_labels(),
    }, status_code=422 if errors else 200)


# Staff: one case -------------------------------------------------------------------------------


def _case_page(request: Request, case_id: UUID, staff: StaffMember, session: Session, clock: Clock, signer: Signer,
               cipher: FieldCipher, *, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
               ) -> Response:
    case = service.get_case(session=session, case_id=case_id, by=staff)
    names = _person_names(session, [case], staff, clock=clock, signer=signer, cipher=cipher)
    view = _views(session, [case], TimelineViewer.of(staff), clock.now(), names)[0]
    agencies, departments, _services = _names(session)
    staff_names = service.staff_names(session=session, ids=[e.assignee_id for e in case.events]
                                      + [e.staff_id for e in case.events] + [case.assignee_id])
    return render(request, "crm/case.html", {
        "view": view, "owns": staff.agency_id == case.agency_id or staff.platform_wide,
        "handled_here": staff.agency_id == case.agency_id,
        "statuses": [s for s in CaseStatus if s is not case.status],
        "agencies": registry.all_agencies(session=session), "agency_names": agencies, "department_names": departments,
        "assignees": service.eligible_assignees(session=session, agency_id=case.agency_id), "staff_names": staff_names,
        "errors": errors or {}, "values": {"status": "", "reason": "", "note": "", "assignee_id": "",
                                           "destination": "", "transfer-reason": "", **(values or {})},
        "may_follow_person": FIND_PERSONS.allows(staff), **_labels(),
    }, status_code=422 if errors else 200)


@router.get("/staff/cases/{case_id}")
def case_detail(request: Request, case_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
                signer: SignerDep, cipher: CipherDep) -> Response:
    FOLLOW_CASES.require(staff)
    return _case_page(request, case_id, staff, session, clock, signer, cipher)


def _case_form(request: Request, case_id: UUID, staff: StaffMember, session: Session, clock: Clock, signer: Signer,
               cipher: FieldCipher, *, act: Any, values: dict[str, str], field: str,
               messages: dict[str, str]) -> Response:
    """Run one case form's change; on bad input show the case again, the error beside `field`, nothing changed."""
    try:
        act()
    except ValidationError as exc:
        errors = {name: _(message) for name, message in _field_errors(exc, messages, field).items()}
    except (Invalid, Conflict) as exc:
        # Service refusals are written once, in English, and marked for translation where they are raised.
        errors = {field: _(exc.detail)}
    else:
        return _see_case(case_id)
    session.rollback()
    return _case_page(request, case_id, staff, session, clock, signer, cipher, errors=errors, values=values)


def _case_form(request: Request, case_id: UUID, staff: StaffMember, session: Session, clock: Clock, signer: Signer,
               cipher: FieldCipher, *, act: Any, values: dict[str, str], field: str, messages: dict[str, str],
               whole: str | None = None, fields: dict[str, str] | None = None) -> Response:
    """Run one case form's change; on bad input show the case again with the error beside its field.

    `field` takes the service's refusals, `whole` a check of the whole form, `fields` renames schema
    fields to the form's. Nothing is changed when the form is refused.
    """
    try:
        act()
    except ValidationError as exc:
        errors = _field_errors(exc, messages, whole or field, fields)
    except (Invalid, Conflict) as exc:
        # Service refusals are written once, in English, and marked for translation where they are raised.
        errors = {field: _(exc.detail)}
    else:
        return _see_case(case_id)
    session.rollback()
    return _case_page(request, case_id, staff, session, clock, signer, cipher, errors=errors, values=values)


STATUS_MESSAGES = {
    "status": N_("Choose the new status from the list."),
    "reason": N_("Say why: resolving or closing a case needs a reason (up to 500 characters)."),
}
NOTE_MESSAGES = {"note": N_("Write the note: up to 5,000 characters.")}
ASSIGN_MESSAGES = {"assignee_id": N_("Choose someone from the list.")}
TRANSFER_MESSAGES = {
    "destination": N_("Choose where to transfer the case from the list."),
    "transfer-reason": N_("Keep the reason to 500 characters."),
}


@router.post("/staff/cases/{case_id}/status", dependencies=[CsrfProtected])
def change_status(request: Request, case_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
                  signer: SignerDep, cipher: CipherDep, status: FormText = "", reason: FormText = "") -> Response:
    def act() -> None:
        data = schemas.CaseStatusChange(status=status, reason=reason)
        service.change_status(session=session, case_id=case_id, data=data, by=staff, clock=clock)

    return _case_form(request, case_id, staff, session, clock, signer, cipher, act=act, field="status",
                      whole="reason", values={"status": status, "reason": reason}, messages=STATUS_MESSAGES)


@router.post("/staff/cases/{case_id}/notes", dependencies=[CsrfProtected])
def add_note(request: Request, case_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
             signer: SignerDep, cipher: CipherDep, note: FormText = "") -> Response:
    def act() -> None:
        service.add_note(session=session, case_id=case_id, data=schemas.CaseNoteCreate(note=note), by=staff,
                         clock=clock)

    return _case_form(request, case_id, staff, session, clock, signer, cipher, act=act, field="note",
                      values={"note": note}, messages=NOTE_MESSAGES)


@router.post("/staff/cases/{case_id}/transfer", dependencies=[CsrfProtected])
def transfer(request: Request, case_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
             signer: SignerDep, cipher: CipherDep, destination: FormText = "", reason: FormText = "") -> Response:
    def act() -> None:
        # One select offers "agency" or "agency/department", so the form needs no script.
        agency_id, _slash, department_id = destination.partition("/")
        data = schemas.CaseTransfer(agency_id=agency_id, department_id=department_id or None, reason=reason)
        service.transfer(session=session, case_id=case_id, data=data, by=staff, clock=clock)

    return _case_form(request, case_id, staff, session, clock, signer, cipher, act=act, field="destination",
                      values={"destination": destination, "transfer-reason": reason}, messages=TRANSFER_MESSAGES,
                      fields={"agency_id": "destination", "department_id": "destination",
                              "reason": "transfer-reason"})


@router.post("/staff/cases/{case_id}/assignment", dependencies=[CsrfProtected])
def assign(request: Request, case_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
           signer: SignerDep, cipher: CipherDep, assignee_id: FormText = "") -> Response:
    def act() -> None:
        data = schemas.CaseAssignment(assignee_id=assignee_id or None)
        service.assign(session=session, case_id=case_id, data=data, by=staff, clock=clock)

    return _case_form(request, case_id, staff, session, clock, signer, cipher, act=act, field="assignee_id",
                      values={"assignee_id": assignee_id}, messages=ASSIGN_MESSAGES)


# Staff: a contact or a case from a person's page -----------------------------------------------

CONTACT_MESSAGES = {
    "channel": N_("Choose how the person got in touch."),
    "outcome": N_("Choose how the contact ended."),
    "service_id": N_("Choose a service from the list, or none."),
    "notes": N_("Keep the notes to 5,000 characters."),
    "contact": N_("Check the contact's details."),
}
NEW_CASE_MESSAGES = {
    "service_id": N_("Choose the service the case is about."),
    "description": N_("Describe the case in 3 to 5,000 characters."),
    "priority": N_("Choose a priority from the list."),
    "channel": N_("Choose how the person asked."),
    "case": N_("Check the case's details."),
}


def _person_form(request: Request, person_id: UUID, staff: StaffMember, session: Session, template: str,
                 *, values: dict[str, str], errors: dict[str, str] | None = None) -> Response:
    person = registry.get_person(session=session, person_id=person_id)
    services = [(agency, [s for s in ss if s.is_active]) for agency, ss in registry.catalogue(session=session)]
    return render(request, template, {
        "person": person, "services": services, "values": values, "errors": errors or {},
        "channels": list(Channel), "outcomes": [o for o in Outcome if o is not Outcome.CASE_OPENED],
        "priorities": list(Priority), **_labels(),
    }, status_code=422 if errors else 200)


CONTACT_DEFAULTS = {"channel": Channel.PHONE.value, "outcome": Outcome.RESOLVED.value, "service_id": "", "notes": ""}
NEW_CASE_DEFAULTS = {"service_id": "", "description": "", "priority": Priority.NORMAL.value,
                     "channel": Channel.PHONE.value}


@router.get("/staff/persons/{person_id}/contacts/new")
def new_contact(request: Request, person_id: UUID, staff: CurrentStaff, session: SessionDep) -> Response:
    WORK_CASES.require(staff)
    return _person_form(request, person_id, staff, session, "crm/new_contact.html", values=CONTACT_DEFAULTS)


@router.post("/staff/persons/{person_id}/contacts", dependencies=[CsrfProtected])
def record_contact(request: Request, person_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
                   channel: FormText = "", outcome: FormText = "", service_id: FormText = "", notes: FormText = ""
                   ) -> Response:
    WORK_CASES.require(staff)
    values = {"channel": channel, "outcome": outcome, "service_id": service_id, "notes": notes}
    try:
        data = schemas.InteractionCreate(person_id=person_id, channel=channel, outcome=outcome, notes=notes,
                                         service_id=service_id or None, started_at=clock.now())
        if data.outcome is Outcome.CASE_OPENED:
            # A case is opened with its own form, so that it has a service and a description.
            return _person_form(request, person_id, staff, session, "crm/new_contact.html", values=values,
                                errors={"outcome": _(CONTACT_MESSAGES["outcome"])})
        service.record_interaction(session=session, data=data, by=staff, clock=clock)
    except ValidationError as exc:
        return _person_form(request, person_id, staff, session, "crm/new_contact.html", values=values,
                            errors=_field_errors(exc, CONTACT_MESSAGES, "contact"))
    return RedirectResponse(f"/staff/persons/{person_id}/timeline", status_code=303)


@router.get("/staff/persons/{person_id}/cases/new")
def new_case(request: Request, person_id: UUID, staff: CurrentStaff, session: SessionDep) -> Response:
    WORK_CASES.require(staff)
    return _person_form(request, person_id, staff, session, "crm/new_case.html", values=NEW_CASE_DEFAULTS)


@router.post("/staff/persons/{person_id}/cases", dependencies=[CsrfProtected])
def open_case(request: Request, person_id: UUID, staff: CurrentStaff, session: SessionDep, clock: ClockDep,
              service_id: FormText = "", description: FormText = "", priority: FormText = "", channel: FormText = ""
              ) -> Response:
    WORK_CASES.require(staff)
    values = {"service_id": service_id, "description": description, "priority": priority, "channel": channel}
    try:
        data = schemas.CaseCreate(person_id=person_id, service_id=service_id, description=description,
                                  priority=priority, channel=channel)
        case = service.file_case(session=session, data=data, by=staff, clock=clock)
    except ValidationError as exc:
        errors = _field_errors(exc, NEW_CASE_MESSAGES, "case")
    except Invalid as exc:
        errors = {"service_id": _(exc.detail)}
    else:
        return _see_case(case.id)
    session.rollback()
    return _person_form(request, person_id, staff, session, "crm/new_case.html", values=values, errors=errors)


# Staff: the console's home ---------------------------------------------------------------------


@dataclass(frozen=True)
class ContactView:
    contact: Interaction
    service: str


@router.get("/staff")
def staff_home(request: Request, staff: CurrentStaff, session: SessionDep, clock: ClockDep) -> Response:
    agency = registry.get_agency(session=session, agency_id=staff.agency_id).name if staff.agency_id else ""
    work = contacts = None
    if WORK_CASES.allows(staff):
        now = clock.now()
        mine = service.my_work(session=session, agency_id=staff.agency_id, me=staff.id, now=now)
        viewer = TimelineViewer.of(staff)
        work = {name: _views(session, getattr(mine, name), viewer, now) for name in ("open", "due_soon", "overdue")}
        work["counts"] = mine.counts
        _agencies, _departments, services = _names(session)
        contacts = [ContactView(c, services.get(c.service_id, "") if c.service_id else "")
                    for c in service.recent_contacts(session=session, staff_id=staff.id)]
    return render(request, "registry/staff_home.html", {
        "staff": staff, "agency": agency, "work": work, "contacts": contacts, "may": {
            "find": FIND_PERSONS.allows(staff), "work": WORK_CASES.allows(staff)},
        "mine_url": _queue_url(schemas.CaseQueueQuery(assignee=schemas.MINE)),
        "due_soon_url": _queue_url(schemas.CaseQueueQuery(assignee=schemas.MINE, sla=schemas.SlaState.DUE_SOON)),
        "overdue_url": _queue_url(schemas.CaseQueueQuery(assignee=schemas.MINE, sla=schemas.SlaState.OVERDUE)),
        **_labels(),
    })
