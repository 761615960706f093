"""The CRM rules: interactions, routed cases with SLAs and history, repeat asks, timeline entries."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from uuid import UUID, uuid5

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from govcx.core import accounts
from govcx.core.accounts import Scope
from govcx.core.auth import Actor, StaffMember, authorize
from govcx.core.clock import Clock
from govcx.core.db import get_or_404, unit_of_work
from govcx.core.crypto import FieldCipher, Sealed
from govcx.core.errors import Conflict, Invalid, NotFound
from govcx.core.events import publish
from govcx.core.pagination import PageParams, paginate
from govcx.crm import schemas
from govcx.crm.events import CaseOpened, CaseStatusChanged, FollowUpCaseOpened, InteractionRecorded
from govcx.crm.models import (
    Case, CaseAnswer, CaseEvent, CaseEventKind, CaseStatus, Interaction, Outcome, RepeatAsk, RoutingRule,
)
from govcx.core.timeline import TimelineQuery, TimelineViewer
from govcx.core.timeline import entries as timeline_entries
from govcx.core.timeline import facts as timeline_facts
from govcx.feedback.events import FollowUpNeeded
from govcx.notify.events import NotificationRequested
from govcx.registry import service as registry
from govcx.registry.models import Channel, DataAttribute, Sensitivity, Service, ValueType
from govcx.vault import schemas as vault_schemas
from govcx.vault import service as vault

OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.WAITING_ON_CUSTOMER)
DUE_SOON_SHARE = 0.2  # the last fifth of the SLA window is "due soon"

# The registry person fields staff may type in, and how to compare them (the vault replaces these).
PERSON_FIELDS: dict[str, str] = {
    "email": "E-mail", "phone": "Phone", "street_address": "Street address", "postal_code": "Postal code",
    "locality": "Locality", "given_name": "Given name", "family_name": "Family name",
}


def _acting_agency(by: Actor) -> UUID:
    if by.agency_id is None:
        raise Invalid("Act for an agency: a platform account cannot record interactions or file cases.")
    return by.agency_id


def _staff_id(by: Actor) -> UUID | None:
    return by.id if isinstance(by, StaffMember) else None


def _party(session: Session, person_id: UUID | None, organization_id: UUID | None) -> None:
    if person_id is not None:
        registry.get_person(session=session, person_id=person_id)
    if organization_id is not None:
        registry.get_organization(session=session, organization_id=organization_id)


# SLA -------------------------------------------------------------------------------------------


def sla_state(case: Case, *, now: datetime) -> str:
    """Say where a case stands against its SLA: on_track, due_soon, overdue; met or breached once done."""
    if case.status not in OPEN_STATUSES:
        done = case.resolved_at or case.updated_at
        return "met" if done <= case.sla_due_at else "breached"
    if now > case.sla_due_at:
        return "overdue"
    window = (case.sla_due_at - case.opened_at).total_seconds()
    return "due_soon" if (case.sla_due_at - now).total_seconds() <= window * DUE_SOON_SHARE else "on_track"


# Routing ---------------------------------------------------------------------------------------


def region_near(*, session: Session, lat: float, lon: float) -> UUID | None:
    """Return the region whose centre is nearest to a point (rough, but enough to route by)."""
    best, best_distance = None, math.inf
    for region in registry.all_regions(session=session):
        if region.centroid_lat is None or region.centroid_lon is None:
            continue
        d = (region.centroid_lat - lat) ** 2 + ((region.centroid_lon - lon) * math.cos(math.radians(lat))) ** 2
        if d < best_distance:
            best, best_distance = region.id, d
    return best


def route(
    *, session: Session, service: Service, description: str, region_id: UUID | None
) -> tuple[UUID | None, UUID | None]:
    """Pick the department for a case: the most specific matching rule of the service's agency, else
    the service's own department. Returns (department_id, rule_id)."""
    words = description.lower()
    rules = session.scalars(
        select(RoutingRule).where(RoutingRule.agency_id == service.agency_id).order_by(RoutingRule.rank,
                                                                                        RoutingRule.id)
    )
    best: tuple[int, int, RoutingRule] | None = None
    for rule in rules:
        if rule.service_id is not None and rule.service_id != service.id:
            continue
        if rule.region_id is not None and rule.region_id != region_id:
            continue
        if rule.keywords and not any(k in words for k in rule.keywords):
            continue
        specificity = (rule.service_id is not None) + (rule.region_id is not None) + bool(rule.keywords)
        key = (-specificity, rule.rank)
        if best is None or key < best[:2]:
            best = (*key, rule)
    if best is not None:
        return best[2].department_id, best[2].id
    return service.department_id, None


def create_routing_rule(*, session: Session, data: schemas.RoutingRuleCreate, by: Actor, clock: Clock) -> RoutingRule:
    """Add a routing rule for the caller's agency."""
    agency_id = _acting_agency(by)
    authorize(by, Scope.CRM_WRITE, agency_id=agency_id)
    if registry.get_department(session=session, department_id=data.department_id).agency_id != agency_id:
        raise Invalid("A routing rule sends cases to a department of its own agency.")
    if data.service_id is not None and registry.get_service(
            session=session, service_id=data.service_id).agency_id != agency_id:
        raise Invalid("A routing rule covers services of its own agency.")
    if data.region_id is not None:
        registry.get_region(session=session, region_id=data.region_id)
    rule = RoutingRule(agency_id=agency_id, **data.model_dump(), created_at=clock.now())
    session.add(rule)
    session.flush()
    return rule


def list_routing_rules(*, session: Session, agency_id: UUID, page: PageParams) -> tuple[list[RoutingRule], str | None]:
    return paginate(session, select(RoutingRule).where(RoutingRule.agency_id == agency_id),
                    id_column=RoutingRule.id, page=page)


# Cases -----------------------------------------------------------------------------------------


def _event(case: Case, kind: CaseEventKind, *, agency_id: UUID, staff_id: UUID | None, at: datetime,
           **fields: object) -> CaseEvent:
    event = CaseEvent(case_id=case.id, person_id=case.person_id, kind=kind, agency_id=agency_id, staff_id=staff_id,
                      at=at, **fields)
    case.events.append(event)
    return event


def open_case(
    *, session: Session, data: schemas.CaseCreate, agency_id: UUID, staff_id: UUID | None, clock: Clock,
    case_id: UUID | None = None,
) -> Case:
    """File a case and route it to the responsible department; its SLA comes from the catalogue."""
    service = registry.get_service(session=session, service_id=data.service_id)
    if not service.is_active:
        raise Invalid(f"The service {service.code} is no longer offered.")
    _party(session, data.person_id, data.organization_id)
    location = data.location or schemas.Location()
    region_id = None
    if location.lat is not None and location.lon is not None:
        region_id = region_near(session=session, lat=location.lat, lon=location.lon)
    elif data.person_id is not None:
        region_id = registry.get_person(session=session, person_id=data.person_id).region_id
    department_id, rule_id = route(session=session, service=service, description=data.description,
                                   region_id=region_id)
    now = clock.now()
    case = Case(
        **({"id": case_id} if case_id is not None else {}), person_id=data.person_id, organization_id=data.organization_id, service_id=service.id,
        description=data.description, lat=location.lat, lon=location.lon, address=location.address,
        region_id=region_id, channel=data.channel, is_complaint=data.is_complaint, status=CaseStatus.OPEN,
        agency_id=service.agency_id, department_id=department_id, priority=data.priority,
        filed_by_agency_id=agency_id, routing_rule_id=rule_id, opened_at=now,
        sla_due_at=now + timedelta(hours=service.sla_hours), updated_at=now, events=[],
    )
    session.add(case)
    session.flush()
    _event(case, CaseEventKind.OPENED, agency_id=agency_id, staff_id=staff_id, at=now, status=CaseStatus.OPEN,
           to_agency_id=case.agency_id, to_department_id=department_id)
    session.flush()
    publish(session, CaseOpened(case_id=case.id, agency_id=case.agency_id, department_id=department_id,
                                person_id=case.person_id, service_id=service.id))
    return case


def file_case(*, session: Session, data: schemas.CaseCreate, by: Actor, clock: Clock) -> Case:
    """File a case on behalf of the caller's agency (any agency may file about any service)."""
    authorize(by, Scope.CRM_WRITE)
    return open_case(session=session, data=data, agency_id=_acting_agency(by), staff_id=_staff_id(by), clock=clock)


def get_case(*, session: Session, case_id: UUID, by: Actor) -> Case:
    """Read a case: any agency's staff may follow it, only its owner may change it."""
    authorize(by, Scope.CRM_READ)
    return get_or_404(session, Case, case_id, what="case")


def get_case_by_token(*, session: Session, token: UUID) -> Case | None:
    return session.scalars(select(Case).where(Case.token == token)).one_or_none()


def _owned_case(session: Session, case_id: UUID, by: Actor) -> Case:
    case = get_or_404(session, Case, case_id, what="case")
    authorize(by, Scope.CRM_WRITE, agency_id=case.agency_id)
    return case


def change_status(*, session: Session, case_id: UUID, data: schemas.CaseStatusChange, by: Actor,
                  clock: Clock) -> Case:
    """Move a case to a new status, with the reason; only the owning agency may."""
    case = _owned_case(session, case_id, by)
    if case.status is CaseStatus.CLOSED:
        raise Conflict("The case is closed; open a new case instead.")
    if data.status is case.status:
        raise Conflict(f"The case is already {case.status.value}.")
    now = clock.now()
    previous = case.status
    case.status, case.status_reason, case.updated_at = data.status, data.reason, now
    if data.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED):
        case.resolved_at = case.resolved_at or now
    else:
        case.resolved_at = None
    _event(case, CaseEventKind.STATUS, agency_id=case.agency_id, staff_id=_staff_id(by), at=now,
           status=data.status, reason=data.reason)
    session.flush()
    publish(session, CaseStatusChanged(case_id=case.id, agency_id=case.agency_id, person_id=case.person_id,
                                       service_id=case.service_id, previous=previous.value,
                                       status=data.status.value))
    if case.person_id is not None:
        # The person follows their request wherever they are: notify picks their channel and language.
        agency = registry.get_agency(session=session, agency_id=case.agency_id)
        publish(session, NotificationRequested(
            person_id=case.person_id, template_key="case.updated",
            why_rule="You made this request; we tell you when its status changes.", why_data=("case.status",),
            facts={"case_reference": str(case.token)[:8].upper(), "agency_name": agency.name,
                   "case_status": STATUS_WORDS[data.status]},
            dedup_key=f"case-status:{case.id}:{now.isoformat()}", sender_agency_id=case.agency_id,
        ))
    return case


def add_note(*, session: Session, case_id: UUID, data: schemas.CaseNoteCreate, by: Actor, clock: Clock) -> Case:
    """Add a note to a case's history; only the owning agency may."""
    case = _owned_case(session, case_id, by)
    now = clock.now()
    case.updated_at = now
    _event(case, CaseEventKind.NOTE, agency_id=case.agency_id, staff_id=_staff_id(by), at=now, reason=data.note)
    session.flush()
    return case


def transfer(*, session: Session, case_id: UUID, data: schemas.CaseTransfer, by: Actor, clock: Clock) -> Case:
    """Hand a case to another agency or department; its history goes with it."""
    case = _owned_case(session, case_id, by)
    if case.status not in OPEN_STATUSES:
        raise Conflict("Only an open case can be transferred.")
    agency = registry.get_agency(session=session, agency_id=data.agency_id)
    if data.department_id is not None and registry.get_department(
            session=session, department_id=data.department_id).agency_id != agency.id:
        raise Invalid("The department is not one of that agency's.")
    if (agency.id, data.department_id) == (case.agency_id, case.department_id):
        raise Conflict("The case is already there.")
    now = clock.now()
    _event(case, CaseEventKind.TRANSFER, agency_id=case.agency_id, staff_id=_staff_id(by), at=now,
           reason=data.reason, to_agency_id=agency.id, to_department_id=data.department_id)
    if agency.id != case.agency_id:
        case.assignee_id = None
    case.agency_id, case.department_id, case.updated_at = agency.id, data.department_id, now
    session.flush()
    return case


def assign(*, session: Session, case_id: UUID, data: schemas.CaseAssignment, by: Actor, clock: Clock) -> Case:
    """Give a case to a member of the owning agency's staff (or to nobody)."""
    case = _owned_case(session, case_id, by)
    if data.assignee_id is not None:
        account = accounts.get_staff(session=session, staff_id=data.assignee_id)
        if account is None or not account.is_active or account.agency_id != case.agency_id:
            raise Invalid("Assign the case to an active member of the owning agency's staff.")
    now = clock.now()
    case.assignee_id, case.updated_at = data.assignee_id, now
    _event(case, CaseEventKind.ASSIGNMENT, agency_id=case.agency_id, staff_id=_staff_id(by), at=now,
           assignee_id=data.assignee_id)
    session.flush()
    return case


def list_cases(
    *, session: Session, agency_id: UUID | None = None, department_id: UUID | None = None,
    status: CaseStatus | None = None, open_only: bool = False, person_id: UUID | None = None,
    service_id: UUID | None = None, opened_from: datetime | None = None, opened_to: datetime | None = None,
    page: PageParams,
) -> tuple[list[Case], str | None]:
    """List cases in filing order, filtered; a department's queue is its agency, department and open."""
    stmt = select(Case)
    for column, value in ((Case.agency_id, agency_id), (Case.department_id, department_id),
                          (Case.status, status), (Case.person_id, person_id), (Case.service_id, service_id)):
        if value is not None:
            stmt = stmt.where(column == value)
    if open_only:
        stmt = stmt.where(Case.status.in_(OPEN_STATUSES))
    if opened_from is not None:
        stmt = stmt.where(Case.opened_at >= opened_from)
    if opened_to is not None:
        stmt = stmt.where(Case.opened_at <= opened_to)
    return paginate(session, stmt, id_column=Case.id, page=page)


def case_read(case: Case, *, viewer: TimelineViewer, now: datetime) -> schemas.CaseRead:
    """Shape a case for a viewer: another agency's notes are left out of its history."""
    events = [
        schemas.CaseEventRead.model_validate(e) for e in case.events
        if e.kind is not CaseEventKind.NOTE or viewer.sees_private_of(e.agency_id)
    ]
    return schemas.CaseRead.model_validate(
        {**{c: getattr(case, c) for c in schemas.CaseRead.model_fields if hasattr(case, c) and c != "events"},
         "sla_state": sla_state(case, now=now), "events": events}
    )


# Interactions ----------------------------------------------------------------------------------


def record_interaction(*, session: Session, data: schemas.InteractionCreate, by: Actor, clock: Clock) -> Interaction:
    """Record a contact on any channel; a complaint in it becomes a routed case, typed-in values that
    government already held become repeat asks."""
    authorize(by, Scope.CRM_WRITE)
    agency_id = _acting_agency(by)
    _party(session, data.person_id, data.organization_id)
    if data.service_id is not None:
        registry.get_service(session=session, service_id=data.service_id)
    if data.values_given and data.person_id is None:
        raise Invalid("values_given is about a person: give person_id.")
    interaction = Interaction(
        **data.model_dump(exclude={"complaint", "values_given"}), agency_id=agency_id, staff_id=_staff_id(by),
        created_at=clock.now(),
    )
    if data.complaint is not None:
        complaint = data.complaint
        case = open_case(
            session=session, agency_id=agency_id, staff_id=_staff_id(by), clock=clock,
            data=schemas.CaseCreate(
                person_id=data.person_id, organization_id=data.organization_id, service_id=complaint.service_id,
                description=complaint.description, location=complaint.location, channel=data.channel,
                priority=complaint.priority, is_complaint=True,
            ),
        )
        interaction.case_id = case.id
        interaction.outcome = Outcome.CASE_OPENED
    session.add(interaction)
    session.flush()
    if data.person_id is not None:
        publish(session, InteractionRecorded(
            interaction_id=interaction.id, agency_id=agency_id, person_id=data.person_id, service_id=data.service_id,
            channel=interaction.channel.value, started_at=interaction.started_at, ended_at=interaction.ended_at))
    if data.values_given and data.person_id is not None:
        record_values_given(
            session=session, person_id=data.person_id, agency_id=agency_id, service_id=data.service_id,
            channel=data.channel, values=data.values_given, interaction_id=interaction.id, clock=clock,
        )
    return interaction


def get_interaction(*, session: Session, interaction_id: UUID, by: Actor) -> Interaction:
    authorize(by, Scope.CRM_READ)
    return get_or_404(session, Interaction, interaction_id, what="interaction")


def duration_minutes(interaction: Interaction) -> float | None:
    if interaction.ended_at is None:
        return None
    return round((interaction.ended_at - interaction.started_at).total_seconds() / 60, 1)


def interaction_read(*, session: Session, interaction: Interaction, viewer: TimelineViewer) -> schemas.InteractionRead:
    """Shape an interaction for a viewer: private notes only for the agency that wrote them."""
    visible = interaction.notes_shared or viewer.sees_private_of(interaction.agency_id)
    # Which typed-in values matched what government holds is never shown: it would confirm a guess.
    return schemas.InteractionRead.model_validate({
        **{c: getattr(interaction, c) for c in schemas.InteractionRead.model_fields if hasattr(interaction, c)},
        "notes": interaction.notes if visible else None,
        "duration_minutes": duration_minutes(interaction),
    })


# Repeat asks -----------------------------------------------------------------------------------


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def record_values_given(
    *, session: Session, person_id: UUID, agency_id: UUID, service_id: UUID | None, channel: Channel,
    values: Mapping[str, str], clock: Clock, interaction_id: UUID | None = None,
) -> list[str]:
    """Note values staff typed in for a person; each one government already held is a repeat ask.

    Returns the fields that were asked again, for the once-only metric only: never hand them to the
    caller that sent the values, or a repeat ask becomes an oracle that confirms a guessed value.
    """
    unknown = sorted(set(values) - set(PERSON_FIELDS))
    if unknown:
        raise Invalid(f"Unknown person fields: {', '.join(unknown)}. Known: {', '.join(PERSON_FIELDS)}.")
    person = registry.get_person(session=session, person_id=person_id)
    repeated = [
        field for field, value in sorted(values.items())
        if (held := getattr(person, field)) and _same(held, value)
    ]
    now = clock.now()
    session.add_all(
        RepeatAsk(person_id=person_id, agency_id=agency_id, service_id=service_id, interaction_id=interaction_id,
                  field=field, channel=channel, at=now)
        for field in repeated
    )
    session.flush()
    return repeated


def repeat_asks_by_service(*, session: Session, since: datetime | None = None) -> list[schemas.RepeatAskCount]:
    """Count repeat asks per service, most first: the once-only metric."""
    stmt = select(RepeatAsk.service_id, func.count()).group_by(RepeatAsk.service_id)
    if since is not None:
        stmt = stmt.where(RepeatAsk.at >= since)
    names = {}
    counts = []
    for service_id, count in session.execute(stmt):
        if service_id is not None and service_id not in names:
            names[service_id] = registry.get_service(session=session, service_id=service_id).name
        counts.append(schemas.RepeatAskCount(service_id=service_id, count=count,
                                             service_name=names.get(service_id, "No service named")))
    return sorted(counts, key=lambda c: (-c.count, c.service_name))


# Timeline ----------------------------------------------------------------------------

STATUS_WORDS = {
    CaseStatus.OPEN: "reopened", CaseStatus.IN_PROGRESS: "in progress",
    CaseStatus.WAITING_ON_CUSTOMER: "waiting on the person", CaseStatus.RESOLVED: "resolved",
    CaseStatus.CLOSED: "closed",
}


def cases_of_person(*, session: Session, person_id: UUID) -> list[Case]:
    """Return a person's cases, newest first (for the person's own page)."""
    return list(session.scalars(select(Case).where(Case.person_id == person_id).order_by(Case.opened_at.desc())))


def handled_case(*, session: Session, agency_id: UUID, person_id: UUID) -> Case | None:
    """The newest open case the agency handles for the person: the ground to read their contact details on."""
    return session.scalars(select(Case).where(
        Case.agency_id == agency_id, Case.person_id == person_id, Case.status.in_(OPEN_STATUSES),
    ).order_by(Case.opened_at.desc(), Case.id.desc()).limit(1)).first()


def case_queue(*, session: Session, agency_id: UUID, department_id: UUID | None, limit: int = 200) -> list[Case]:
    """Return an agency's open cases, optionally of one department, most urgent SLA first."""
    stmt = select(Case).where(Case.agency_id == agency_id, Case.status.in_(OPEN_STATUSES))
    if department_id is not None:
        stmt = stmt.where(Case.department_id == department_id)
    return list(session.scalars(stmt.order_by(Case.sla_due_at, Case.id).limit(limit)))


def person_timeline(
    *, session: Session, person_id: UUID, viewer: TimelineViewer, agency_id: UUID | None = None,
    channel: Channel | None = None, types: list[str] | None = None, before: datetime | None = None,
    limit: int = 100,
) -> schemas.TimelineRead:
    """Merge every domain's entries about a person, newest first, with the facts held (never their values)."""
    # Held while the page is built: the registry's facts read the same person from the session, not again.
    _person = registry.get_person(session=session, person_id=person_id)
    query = TimelineQuery(person_id=person_id, viewer=viewer, agency_id=agency_id, channel=channel,
                          types=frozenset(types) if types else None, before=before, limit=limit)
    entries = timeline_entries(session=session, query=query)
    names = registry.agency_names(session=session, wanted={e.agency_id for e in entries if e.agency_id is not None})
    return schemas.TimelineRead(
        person_id=person_id,
        # Entries are typed by their providers already; checking a page of them again field by field costs.
        items=[schemas.TimelineEntryRead.model_construct(**e.__dict__, agency_name=names.get(e.agency_id, ""))
               for e in entries],
        facts=[schemas.HeldFactRead(**f.__dict__) for f in timeline_facts(session=session, person_id=person_id,
                                                                           viewer=viewer)],
        next_before=entries[-1].at if len(entries) == limit else None,
    )


def public_reports(
    *, session: Session, ids: list[UUID] | None = None, service_id: UUID | None = None,
    opened_from: datetime | None = None, opened_to: datetime | None = None,
    statuses: Iterable[CaseStatus] | None = None, limit: int = 1000,
) -> list[Case]:
    """Return public reports (cases about no one in particular), newest first: what Open311 lists.

    A case about a person or an organization is never public, and neither is a complaint.
    """
    stmt = select(Case).where(Case.person_id.is_(None), Case.organization_id.is_(None),
                              Case.is_complaint.is_(False))
    if ids is not None:
        stmt = stmt.where(Case.id.in_(ids))
    if service_id is not None:
        stmt = stmt.where(Case.service_id == service_id)
    if opened_from is not None:
        stmt = stmt.where(Case.opened_at >= opened_from)
    if opened_to is not None:
        stmt = stmt.where(Case.opened_at <= opened_to)
    if statuses is not None:
        stmt = stmt.where(Case.status.in_(list(statuses)))
    return list(session.scalars(stmt.order_by(Case.opened_at.desc(), Case.id.desc()).limit(limit)))


def import_history(
    *, session: Session, interactions: list[dict], cases: list[dict], case_events: list[dict],
    repeat_asks: list[dict],
) -> None:
    """Load already-checked history in bulk (the demo country, a migration from an old CRM).

    Rows are column dicts with their ids; no routing, SLA or permission rules run here. A history
    line without `person_id` gets its case's.
    """
    persons = {c["id"]: c.get("person_id") for c in cases}
    unknown = {e["case_id"] for e in case_events if "person_id" not in e and e["case_id"] not in persons}
    if unknown:
        persons.update(session.execute(select(Case.id, Case.person_id).where(Case.id.in_(unknown))).all())
    case_events = [e if "person_id" in e else {**e, "person_id": persons.get(e["case_id"])} for e in case_events]
    for model, rows in ((Case, cases), (CaseEvent, case_events), (Interaction, interactions),
                        (RepeatAsk, repeat_asks)):
        if rows:
            session.execute(insert(model.__table__), rows)


# Applications and questions from the person ----------------------------------------------------


class AnswersInvalid(Invalid):
    """Some answers of an application cannot be filed; `fields` says which and why (a code per field).

    Codes: `unknown` (the form does not ask it), `held` (government holds it already: it is prefilled),
    `missing` (required and not given), `format` (not a value of the attribute's type).
    """

    def __init__(self, detail: str, fields: dict[str, str]) -> None:
        super().__init__(detail, fields=fields)
        self.fields = fields


def _answer_context(case_id: UUID, key: str) -> str:
    # Binds a sealed answer to its case and attribute, so a blob moved to another row fails to open.
    return f"case-answer:{case_id}:{key}"


def _well_formed(attribute: DataAttribute, value: str) -> bool:
    try:
        if attribute.value_type is ValueType.DATE:
            datetime.strptime(value, "%Y-%m-%d")
        elif attribute.value_type is ValueType.INTEGER:
            int(value)
        elif attribute.value_type in (ValueType.DECIMAL, ValueType.MONEY):
            return math.isfinite(float(value.replace(",", "")))
        elif attribute.value_type is ValueType.BOOLEAN:
            return value.lower() in ("yes", "no", "true", "false")
    except ValueError:
        return False
    return True


def _store_answer(cipher: FieldCipher, attribute: DataAttribute | None, case_id: UUID, key: str,
                  value: str) -> dict[str, object]:
    if attribute is None or attribute.sensitivity is not Sensitivity.SENSITIVE:
        return {"value": value, "sealed": None, "key_id": None}
    sealed = cipher.seal(value, context=_answer_context(case_id, key))
    return {"value": None, "sealed": sealed.blob, "key_id": sealed.key_id}


def file_application(
    *, session: Session, clock: Clock, cipher: FieldCipher, person_id: UUID, service_id: UUID,
    answers: Mapping[str, str], message: str = "", channel: Channel = Channel.WEB,
) -> Case:
    """File a person's application for a service as a case at the providing agency, with its values.

    What the service's form asks and government already holds is taken from the vault (the person never
    types it); `answers` gives the rest. Nothing is written unless every answer can be filed: otherwise
    `AnswersInvalid` names each field in error. A self-declarable answer is also kept in the person's vault,
    so no form asks for it again.
    """
    service = registry.get_service(session=session, service_id=service_id)
    form = vault.form_of(session=session, service_id=service.id)
    required = vault.required_of(session=session, service_id=service.id)
    held = {f.attribute_key: f for f in vault.current_facts(session=session, cipher=cipher, subject_id=person_id,
                                                            keys=form)}
    catalogue = vault.catalogue(session=session)
    given = {k: v.strip() for k, v in answers.items()}
    fields: dict[str, str] = {}
    for key, value in given.items():
        if key not in form:
            fields[key] = "unknown"
        elif key in held:
            fields[key] = "held"
        elif value and not _well_formed(catalogue[key], value):
            fields[key] = "format"
    for key in form:
        if key in required and key not in held and not given.get(key):
            fields.setdefault(key, "missing")
    if fields:
        raise AnswersInvalid(f"Some answers cannot be filed: {', '.join(sorted(fields))}.", fields)
    description = f"Application: {service.name}" + (f"\n\n{message}" if message else "")
    case = open_case(session=session, agency_id=service.agency_id, staff_id=None, clock=clock,
                     data=schemas.CaseCreate(person_id=person_id, service_id=service.id, description=description,
                                             channel=channel))
    for position, key in enumerate(form):
        fact, value = held.get(key), given.get(key, "")
        if fact is None and not value:
            continue
        session.add(CaseAnswer(
            case_id=case.id, position=position, attribute_key=key, fact_id=fact.id if fact else None,
            source_name=fact.provenance.source_name if fact else "",
            **_store_answer(cipher, catalogue.get(key), case.id, key, fact.value if fact else value)))
        if fact is None and catalogue[key].self_declarable:
            vault.record_fact(session=session, cipher=cipher, clock=clock, by=vault.Source(person_id=person_id),
                              data=vault_schemas.FactCreate(subject_id=person_id, attribute_key=key, value=value,
                                                            verified=False, evidence="given on an application"))
    session.flush()
    return case


def answers_of(*, session: Session, cipher: FieldCipher, case_id: UUID) -> list[schemas.CaseAnswerRead]:
    """Return the values a case was filed with, in the form's order, each with where it came from."""
    rows = session.scalars(select(CaseAnswer).where(CaseAnswer.case_id == case_id)
                           .order_by(CaseAnswer.position)).all()
    names = registry.attribute_names(session=session, wanted={r.attribute_key for r in rows})
    return [schemas.CaseAnswerRead(
        attribute_key=r.attribute_key, attribute_name=names.get(r.attribute_key, r.attribute_key),
        value=r.value if r.sealed is None else cipher.open(Sealed(r.key_id or "", r.sealed),
                                                           context=_answer_context(r.case_id, r.attribute_key)),
        source_name=r.source_name, from_vault=r.fact_id is not None,
    ) for r in rows]


def get_case_of_person(*, session: Session, case_id: UUID, person_id: UUID) -> Case:
    """Return one of the person's own cases; anyone else's answers exactly like a missing one."""
    case = session.get(Case, case_id)
    if case is None or case.person_id != person_id:
        raise NotFound(f"No case with id {case_id}.")
    return case


def request_correction(
    *, session: Session, clock: Clock, cipher: FieldCipher, person_id: UUID, data: schemas.CorrectionCreate,
) -> Case:
    """Ask the authoritative source of a fact held about the person to correct it: a case at that agency."""
    fact = next(iter(vault.current_facts(session=session, cipher=cipher, subject_id=person_id,
                                         keys=[data.attribute_key])), None)
    attribute = vault.catalogue(session=session).get(data.attribute_key)
    if fact is None or attribute is None:
        raise NotFound(f"Government holds no {data.attribute_key} about you.")
    if attribute.source_agency_id is None:
        raise Invalid(f"{attribute.name} comes from an organization, not an agency: ask them to correct it.")
    if not _well_formed(attribute, data.proposed_value):
        raise AnswersInvalid("The corrected value is not in the right form.", {"proposed_value": "format"})
    service = registry.data_questions_service(session=session, agency_id=attribute.source_agency_id, clock=clock)
    description = f"Correction request: {attribute.name} (version {fact.version})" + (
        f"\n\n{data.explanation}" if data.explanation else "")
    case = open_case(session=session, agency_id=service.agency_id, staff_id=None, clock=clock,
                     data=schemas.CaseCreate(person_id=person_id, service_id=service.id, description=description))
    session.add(CaseAnswer(case_id=case.id, position=0, attribute_key=attribute.key, fact_id=None, source_name="",
                           **_store_answer(cipher, attribute, case.id, attribute.key, data.proposed_value)))
    session.flush()
    return case


def ask_agency(
    *, session: Session, clock: Clock, person_id: UUID, agency_id: UUID, about: str, data: schemas.QuestionCreate,
) -> Case:
    """File a person's question to an agency (about a use of their data, `about` says which) as a case there."""
    service = registry.data_questions_service(session=session, agency_id=agency_id, clock=clock)
    return open_case(session=session, agency_id=service.agency_id, staff_id=None, clock=clock,
                     data=schemas.CaseCreate(person_id=person_id, service_id=service.id,
                                             description=f"Question about {about}\n\n{data.question}"))


# Voice of the customer: feedback that needs a follow-up becomes a case --------------------------


def open_follow_up_case(event: FollowUpNeeded, *, factory: sessionmaker[Session], clock: Clock) -> None:
    """Open a complaint case in the responsible department for a feedback follow-up.

    Runs after the feedback was committed, in its own unit of work, and says so with
    `FollowUpCaseOpened` (feedback notes the case on its follow-up). Feedback about no particular
    service stays an open follow-up for the team: there is nothing to route it by. Idempotent: the
    case's id is derived from the follow-up's, so a redelivery finds the case and opens no second one.
    """
    if event.service_id is None:
        return
    case_id = uuid5(_FOLLOW_UP_CASES, str(event.follow_up_id))
    comment = event.comment or "(no comment given)"
    with unit_of_work(factory) as session:
        if session.get(Case, case_id) is not None:
            return
        case = open_case(session=session, agency_id=event.agency_id, staff_id=None, clock=clock, case_id=case_id,
                         data=schemas.CaseCreate(service_id=event.service_id, is_complaint=True,
                                                 description=f"Feedback follow-up ({event.rule}): {comment}"))
        publish(session, FollowUpCaseOpened(follow_up_id=event.follow_up_id, case_id=case.id,
                                            agency_id=case.agency_id))


_FOLLOW_UP_CASES = UUID("6f1d0c1e-3a52-5b8e-9d0a-2f4c8e7b1a90")  # namespace of the ids of follow-up cases
