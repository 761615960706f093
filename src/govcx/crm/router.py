"""CRM REST API: interactions, cases, routing rules, the person timeline and repeat asks."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response
from pydantic import Field

from govcx.core.bounded import AwareDatetime
from govcx.core.accounts import Scope
from govcx.core.auth import CurrentActor, CurrentCitizen, authorize
from govcx.core.config import API_PREFIX
from govcx.core.deps import CipherDep, ClockDep, SessionDep
from govcx.core.errors import problem_responses
from govcx.core.pagination import PageParamsDep
from govcx.crm import applications, schemas, service
from govcx.crm.schemas import Blank
from govcx.crm.models import Case, CaseStatus
from govcx.core.timeline import TimelineViewer
from govcx.registry.models import Channel
from govcx.web.csrf import CsrfProtected

router = APIRouter(prefix=API_PREFIX, tags=["crm"], responses=problem_responses(401, 403, 422))

TIMELINE_PAGE = 100


def _case(case: Case, by: CurrentActor, clock: ClockDep) -> schemas.CaseRead:
    return service.case_read(case, viewer=TimelineViewer.of(by), now=clock.now())


# Interactions ----------------------------------------------------------------------------------


@router.post("/interactions", response_model=schemas.InteractionRead, status_code=201,
             operation_id="record_interaction", responses=problem_responses(404))
def record_interaction(
    data: schemas.InteractionCreate, session: SessionDep, clock: ClockDep, by: CurrentActor
) -> schemas.InteractionRead:
    """Record a contact on any channel; a complaint in it becomes a case routed to the right desk."""
    interaction = service.record_interaction(session=session, data=data, by=by, clock=clock)
    return service.interaction_read(session=session, interaction=interaction, viewer=TimelineViewer.of(by))


@router.get("/interactions/{interaction_id}", response_model=schemas.InteractionRead,
            operation_id="get_interaction", responses=problem_responses(404))
def get_interaction(interaction_id: UUID, session: SessionDep, by: CurrentActor) -> schemas.InteractionRead:
    interaction = service.get_interaction(session=session, interaction_id=interaction_id, by=by)
    return service.interaction_read(session=session, interaction=interaction, viewer=TimelineViewer.of(by))


# Cases -----------------------------------------------------------------------------------------


@router.post("/cases", response_model=schemas.CaseRead, status_code=201, operation_id="file_case",
             responses=problem_responses(404))
def file_case(data: schemas.CaseCreate, session: SessionDep, clock: ClockDep, by: CurrentActor) -> schemas.CaseRead:
    """File a case; it is routed to the department responsible for the service."""
    return _case(service.file_case(session=session, data=data, by=by, clock=clock), by, clock)


@router.get("/cases", response_model=schemas.CasePage, operation_id="list_cases")
def list_cases(
    session: SessionDep, clock: ClockDep, by: CurrentActor, page: PageParamsDep,
    agency_id: UUID | None = None, department_id: UUID | None = None, status: CaseStatus | None = None,
    open_only: bool = False, person_id: UUID | None = None,
) -> schemas.CasePage:
    """List cases, e.g. a department's queue: agency_id, department_id and open_only=true."""
    authorize(by, Scope.CRM_READ)
    rows, next_cursor = service.list_cases(
        session=session, agency_id=agency_id, department_id=department_id, status=status, open_only=open_only,
        person_id=person_id, page=page,
    )
    return schemas.CasePage(items=[_case(c, by, clock) for c in rows], next_cursor=next_cursor)


@router.get("/cases/{case_id}", response_model=schemas.CaseRead, operation_id="get_case",
            responses=problem_responses(404))
def get_case(case_id: UUID, session: SessionDep, clock: ClockDep, by: CurrentActor) -> schemas.CaseRead:
    return _case(service.get_case(session=session, case_id=case_id, by=by), by, clock)


@router.post("/cases/{case_id}/status", response_model=schemas.CaseRead, operation_id="change_case_status",
             responses=problem_responses(404, 409))
def change_case_status(
    case_id: UUID, data: schemas.CaseStatusChange, session: SessionDep, clock: ClockDep, by: CurrentActor
) -> schemas.CaseRead:
    """Move a case to a new status with a reason; only the owning agency may."""
    return _case(service.change_status(session=session, case_id=case_id, data=data, by=by, clock=clock), by, clock)


@router.post("/cases/{case_id}/notes", response_model=schemas.CaseRead, operation_id="add_case_note",
             responses=problem_responses(404))
def add_case_note(
    case_id: UUID, data: schemas.CaseNoteCreate, session: SessionDep, clock: ClockDep, by: CurrentActor
) -> schemas.CaseRead:
    return _case(service.add_note(session=session, case_id=case_id, data=data, by=by, clock=clock), by, clock)


@router.post("/cases/{case_id}/transfer", response_model=schemas.CaseRead, operation_id="transfer_case",
             responses=problem_responses(404, 409))
def transfer_case(
    case_id: UUID, data: schemas.CaseTransfer, session: SessionDep, clock: ClockDep, by: CurrentActor
) -> schemas.CaseRead:
    """Hand a case to another agency or department; the history goes with it."""
    return _case(service.transfer(session=session, case_id=case_id, data=data, by=by, clock=clock), by, clock)


@router.post("/cases/{case_id}/assignment", response_model=schemas.CaseRead, operation_id="assign_case",
             responses=problem_responses(404))
def assign_case(
    case_id: UUID, data: schemas.CaseAssignment, session: SessionDep, clock: ClockDep, by: CurrentActor
) -> schemas.CaseRead:
    return _case(service.assign(session=session, case_id=case_id, data=data, by=by, clock=clock), by, clock)


# Routing rules ---------------------------------------------------------------------------------


@router.post("/routing-rules", response_model=schemas.RoutingRuleRead, status_code=201,
             operation_id="create_routing_rule", responses=problem_responses(404))
def create_routing_rule(
    data: schemas.RoutingRuleCreate, session: SessionDep, clock: ClockDep, by: CurrentActor
) -> schemas.RoutingRuleRead:
    """Add a rule that routes cases of the caller's agency by service, keywords and region."""
    rule = service.create_routing_rule(session=session, data=data, by=by, clock=clock)
    return schemas.RoutingRuleRead.model_validate(rule)


@router.get("/routing-rules", response_model=schemas.RoutingRulePage, operation_id="list_routing_rules")
def list_routing_rules(session: SessionDep, by: CurrentActor, page: PageParamsDep) -> schemas.RoutingRulePage:
    authorize(by, Scope.CRM_READ)
    rows, next_cursor = service.list_routing_rules(session=session, agency_id=by.agency_id, page=page)
    return schemas.RoutingRulePage(items=[schemas.RoutingRuleRead.model_validate(r) for r in rows],
                                   next_cursor=next_cursor)


# Timeline and repeat asks ----------------------------------------------------------------------


@router.get("/persons/{person_id}/timeline", response_model=schemas.TimelineRead, operation_id="person_timeline",
            responses=problem_responses(404))
def person_timeline(
    person_id: UUID, session: SessionDep, by: CurrentActor,
    agency_id: Annotated[UUID | None, Blank, Query(description="Only this agency's entries; empty: every agency.")]
    = None,
    channel: Annotated[Channel | None, Blank, Query(description="Only this channel; empty: every channel.")] = None,
    type: Annotated[list[str] | None, Query(description="Only these entry types; empty: every type.")] = None,  # noqa: A002
    before: Annotated[AwareDatetime | None, Blank, Query(description="Entries before this moment; empty: now.")]
    = None,
    limit: Annotated[Annotated[int, Field(ge=1, le=500)] | None, Blank,
                     Query(description="Entries per page, 1 to 500 (100 when empty).")] = None,
) -> Response:
    """Everything a person did with government that the caller may see, newest first, with held facts.

    A parameter sent empty (`?agency_id=&channel=&type=&before=`) means what leaving it out means.
    """
    authorize(by, Scope.CRM_READ)
    types = [t for t in type or [] if t.strip()] or None
    timeline = service.person_timeline(session=session, person_id=person_id, viewer=TimelineViewer.of(by),
                                       agency_id=agency_id, channel=channel, types=types, before=before,
                                       limit=limit or TIMELINE_PAGE)
    # Serialized once: the page is already a checked TimelineRead, and checking 500 entries again costs.
    return Response(timeline.model_dump_json(), media_type="application/json")


@router.get("/repeat-asks/by-service", response_model=schemas.RepeatAskReport, operation_id="repeat_asks_by_service")
def repeat_asks_by_service(session: SessionDep, by: CurrentActor, since: AwareDatetime | None = None
                           ) -> schemas.RepeatAskReport:
    """How often each service asked people for what government already held (the once-only metric)."""
    authorize(by, Scope.CRM_READ)
    return schemas.RepeatAskReport(items=service.repeat_asks_by_service(session=session, since=since))


# The person's own applications and cases ---------------------------------------------------------


@router.post("/me/services/{service_id}/applications", response_model=schemas.ApplicationRead, status_code=201,
             operation_id="apply_for_service", dependencies=[CsrfProtected], responses=problem_responses(404))
def apply_for_service(
    service_id: UUID, data: schemas.ApplicationCreate, me: CurrentCitizen, session: SessionDep, clock: ClockDep,
    cipher: CipherDep,
) -> schemas.ApplicationRead:
    """Apply for a service: what government holds is prefilled from the vault, `answers` gives the rest.

    Send the X-CSRF-Token header. A 422 names each field in error in `fields` (`missing`, `format`,
    `held`: government holds it already, `unknown`: the form does not ask it); nothing is filed then.
    """
    case = applications.file_application(session=session, clock=clock, cipher=cipher, person_id=me.person_id,
                                    service_id=service_id, answers=data.answers, message=data.message)
    return _application(session, cipher, case, me, clock)


@router.get("/me/cases/{case_id}", response_model=schemas.ApplicationRead, operation_id="get_my_case",
            responses=problem_responses(404))
def get_my_case(case_id: UUID, me: CurrentCitizen, session: SessionDep, clock: ClockDep,
                cipher: CipherDep) -> schemas.ApplicationRead:
    """One of your own cases, with the values it was filed with and where each came from."""
    case = service.get_case_of_person(session=session, case_id=case_id, person_id=me.person_id)
    return _application(session, cipher, case, me, clock)


def _application(session, cipher, case: Case, me, clock) -> schemas.ApplicationRead:  # noqa: ANN001
    return schemas.ApplicationRead(case=service.case_read(case, viewer=TimelineViewer.of(me), now=clock.now()),
                                   answers=applications.answers_of(session=session, cipher=cipher, case_id=case.id))
