"""The CRM rules: interactions, routed cases with SLAs and history, repeat asks, timeline entries."""

from __future__ import annotations

import math
from dataclasses import dataclass
from collections.abc import Collection, Iterable, Mapping
from typing import Any
from datetime import datetime, timedelta
from uuid import UUID, uuid5

from sqlalchemy import ColumnElement, Select, and_, case as when, func, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from govcx.core import accounts
from govcx.core.access import WORK_CASES
from govcx.core.accounts import Scope, StaffAccount
from govcx.core.auth import Actor, StaffMember, authorize
from govcx.core.clock import Clock
from govcx.core.db import get_or_404, unit_of_work
from govcx.core.errors import Conflict, Invalid, NotFound
from govcx.core.events import publish
from govcx.core.messages import N_
from govcx.core.ids import new_id
from govcx.core.pagination import PageParams, paginate
from govcx.crm import schemas
from govcx.crm.events import CaseOpened, CaseStatusChanged, FollowUpCaseOpened, InteractionRecorded
from govcx.crm.models import (
    Case, CaseEvent, CaseEventKind, CaseStatus, Interaction, Outcome, RepeatAsk, RoutingRule,
)
from govcx.core.timeline import TimelineQuery, TimelineViewer
from govcx.core.timeline import entries as timeline_entries
from govcx.core.timeline import facts as timeline_facts
from govcx.feedback.events import FollowUpNeeded
from govcx.notify.events import NotificationRequested
from govcx.registry import service as registry
from govcx.registry.models import Channel, Service

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
    due_soon = case.due_soon_at or due_soon_from(opened_at=case.opened_at, sla_due_at=case.sla_due_at)
    return "due_soon" if now >= due_soon else "on_track"


def due_soon_from(*, opened_at: datetime, sla_due_at: datetime) -> datetime:
    """The moment a case enters the last fifth of its SLA window."""
    return sla_due_at - (sla_due_at - opened_at) * DUE_SOON_SHARE


def _sla_condition(state: schemas.SlaState, now: datetime) -> ColumnElement[bool]:
    """`sla_state(case) == state`, said in SQL (the queue filters by it on both stores)."""
    is_open = Case.status.in_(OPEN_STATUSES)
    done = func.coalesce(Case.resolved_at, Case.updated_at)
    return {
        schemas.SlaState.OVERDUE: and_(is_open, Case.sla_due_at < now),
        schemas.SlaState.DUE_SOON: and_(is_open, Case.sla_due_at >= now, Case.due_soon_at <= now),
        schemas.SlaState.ON_TRACK: and_(is_open, Case.due_soon_at > now),
        schemas.SlaState.MET: and_(Case.status.not_in(OPEN_STATUSES), done <= Case.sla_due_at),
        schemas.SlaState.BREACHED: and_(Case.status.not_in(OPEN_STATUSES), done > Case.sla_due_at),
    }[state]


# References ------------------------------------------------------------------------------------

REFERENCE_LENGTH = 10


def reference_of(token: UUID) -> str:
    """A case's reference from its token: the last ten hex digits, random in a UUIDv7 ('9C3E0A71F2')."""
    return token.hex[-REFERENCE_LENGTH:].upper()


def reference(case: Case) -> str:
    """The case's reference as people quote it."""
    return case.reference or reference_of(case.token)


def _reference_condition(text: str) -> ColumnElement[bool] | None:
    """The cases a quoted reference names: 4 to 10 of its hex digits from the start (any case, dashes and
    spaces ignored), or the whole 32-digit token; None when it cannot be a reference."""
    digits = text.strip().lstrip("#").replace("-", "").replace(" ", "").upper()
    if any(c not in "0123456789ABCDEF" for c in digits):
        return None
    if len(digits) == 32:
        return Case.token == UUID(digits)
    if not 4 <= len(digits) <= REFERENCE_LENGTH:
        return None
    # References are upper-case hex of one length, which sorts alike in every collation: a prefix is a range.
    return Case.reference.between(digits.ljust(REFERENCE_LENGTH, "0"), digits.ljust(REFERENCE_LENGTH, "F"))


def is_reference(text: str) -> bool:
    return _reference_condition(text) is not None


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


def agency_routing_rules(*, session: Session, agency_id: UUID) -> list[RoutingRule]:
    """Return an agency's routing rules in the order `route` weighs them (for its admin)."""
    return list(session.scalars(select(RoutingRule).where(RoutingRule.agency_id == agency_id)
                                .order_by(RoutingRule.rank, RoutingRule.id)))


def get_routing_rule(*, session: Session, rule_id: UUID) -> RoutingRule:
    return get_or_404(session, RoutingRule, rule_id, what="routing rule")


def delete_routing_rule(*, session: Session, rule_id: UUID, by: Actor) -> None:
    """Remove one of the caller's agency's routing rules; cases already routed keep their department."""
    rule = get_routing_rule(session=session, rule_id=rule_id)
    authorize(by, Scope.CRM_WRITE, agency_id=rule.agency_id)
    # The cases it routed stay where they are; only the pointer to a rule that no longer exists goes.
    session.execute(update(Case).where(Case.routing_rule_id == rule.id).values(routing_rule_id=None))
    session.delete(rule)
    session.flush()


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
    token = new_id()
    case = Case(
        **({"id": case_id} if case_id is not None else {}), token=token, reference=reference_of(token), person_id=data.person_id, organization_id=data.organization_id, service_id=service.id,
        description=data.description, lat=location.lat, lon=location.lon, address=location.address,
        region_id=region_id, channel=data.channel, is_complaint=data.is_complaint, status=CaseStatus.OPEN,
        agency_id=service.agency_id, department_id=department_id, priority=data.priority,
        filed_by_agency_id=agency_id, routing_rule_id=rule_id, opened_at=now,
        sla_due_at=now + timedelta(hours=service.sla_hours), updated_at=now, events=[],
    )
    case.due_soon_at = due_soon_from(opened_at=case.opened_at, sla_due_at=case.sla_due_at)
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
        raise Conflict(N_("The case is closed; open a new case instead."))
    if data.status is case.status:
        raise Conflict(N_("The case already has that status."))
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
            facts={"case_reference": reference(case), "agency_name": agency.name,
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
        raise Conflict(N_("Only an open case can be transferred."))
    agency = registry.get_agency(session=session, agency_id=data.agency_id)
    if data.department_id is not None and registry.get_department(
            session=session, department_id=data.department_id).agency_id != agency.id:
        raise Invalid(N_("The department is not one of that agency's."))
    if (agency.id, data.department_id) == (case.agency_id, case.department_id):
        raise Conflict(N_("The case is already there."))
    now = clock.now()
    _event(case, CaseEventKind.TRANSFER, agency_id=case.agency_id, staff_id=_staff_id(by), at=now,
           reason=data.reason, to_agency_id=agency.id, to_department_id=data.department_id)
    if agency.id != case.agency_id:
        case.assignee_id = None
    case.agency_id, case.department_id, case.updated_at = agency.id, data.department_id, now
    session.flush()
    return case


ASSIGNEE_NOT_ELIGIBLE = N_("Assign the case to someone who can work it: an active member of the owning agency's "
                           "staff whose role works cases.")


def can_work_cases(account: StaffAccount, *, agency_id: UUID) -> bool:
    """Whether a staff account can work the cases of `agency_id`: active, of that agency, a role that works cases."""
    return account.is_active and account.agency_id == agency_id and WORK_CASES.allows(account)


def eligible_assignees(*, session: Session, agency_id: UUID) -> list[StaffAccount]:
    """The staff an agency's cases can be given to: those who can open and work them, by name."""
    return [a for a in accounts.list_staff(session=session, agency_id=agency_id)
            if can_work_cases(a, agency_id=agency_id)]


def assign(*, session: Session, case_id: UUID, data: schemas.CaseAssignment, by: Actor, clock: Clock) -> Case:
    """Give a case to a member of the owning agency's staff who can work it (or to nobody)."""
    case = _owned_case(session, case_id, by)
    if data.assignee_id is not None:
        account = accounts.get_staff(session=session, staff_id=data.assignee_id)
        if account is None or not can_work_cases(account, agency_id=case.agency_id):
            raise Invalid(ASSIGNEE_NOT_ELIGIBLE)
    now = clock.now()
    case.assignee_id, case.updated_at = data.assignee_id, now
    _event(case, CaseEventKind.ASSIGNMENT, agency_id=case.agency_id, staff_id=_staff_id(by), at=now,
           assignee_id=data.assignee_id)
    session.flush()
    return case


def staff_names(*, session: Session, ids: Iterable[UUID | None]) -> dict[UUID, str]:
    """The names of the staff accounts a case's history mentions, whichever agency they work for now."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(session.execute(select(StaffAccount.id, StaffAccount.name).where(StaffAccount.id.in_(wanted))).all())


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


def repeat_asks_of(*, session: Session, person_ids: Collection[UUID],
                   service_ids: Collection[UUID]) -> list[tuple[UUID, UUID, datetime]]:
    """Each repeat ask of these people about these services: (person, service, when)."""
    if not person_ids or not service_ids:
        return []
    return [tuple(row) for row in session.execute(  # type: ignore[misc]
        select(RepeatAsk.person_id, RepeatAsk.service_id, RepeatAsk.at).where(
            RepeatAsk.person_id.in_(list(person_ids)), RepeatAsk.service_id.in_(list(service_ids))))]


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


QUEUE_SORTS = {
    schemas.QueueSort.DUE: (Case.sla_due_at,),
    schemas.QueueSort.OPENED: (Case.opened_at,),
    # Statuses sort in the order a case moves through them, not alphabetically.
    schemas.QueueSort.STATUS: (when(*((Case.status == s, i) for i, s in enumerate(CaseStatus))), Case.sla_due_at),
}


def _queue_statement(*, agency_id: UUID, query: schemas.CaseQueueQuery, me: UUID, now: datetime) -> Select[Any]:
    stmt = select(Case).where(Case.agency_id == agency_id)
    if query.department_id is not None:
        stmt = stmt.where(Case.department_id == query.department_id)
    if query.status == schemas.QueueStatus.OPEN:
        stmt = stmt.where(Case.status.in_(OPEN_STATUSES))
    elif query.status == schemas.QueueStatus.DONE:
        stmt = stmt.where(Case.status.not_in(OPEN_STATUSES))
    elif query.status.status is not None:
        stmt = stmt.where(Case.status == query.status.status)
    if query.assignee == schemas.MINE:
        stmt = stmt.where(Case.assignee_id == me)
    elif query.assignee == schemas.UNASSIGNED:
        stmt = stmt.where(Case.assignee_id.is_(None))
    elif query.assignee:
        stmt = stmt.where(Case.assignee_id == UUID(query.assignee))
    if query.sla is not None:
        stmt = stmt.where(_sla_condition(query.sla, now))
    if query.reference:
        condition = _reference_condition(query.reference)
        if condition is None:
            raise Invalid(N_("Enter a case reference: at least 4 of its letters and digits, such as 9C3E0A71F2."))
        stmt = stmt.where(condition)
    return stmt


def _count(session: Session, stmt: Select[Any]) -> int:
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def queue(
    *, session: Session, agency_id: UUID, query: schemas.CaseQueueQuery, me: UUID, now: datetime, per_page: int = 25,
) -> tuple[list[Case], int]:
    """Return one page of an agency's cases, filtered, searched and sorted as asked, and how many match."""
    stmt = _queue_statement(agency_id=agency_id, query=query, me=me, now=now)
    keys = QUEUE_SORTS[query.sort]
    order = [k.desc() for k in keys] if query.descending else list(keys)
    rows = session.scalars(stmt.order_by(*order, Case.id).offset((query.page - 1) * per_page).limit(per_page))
    return list(rows), _count(session, stmt)


def sla_counts(*, session: Session, agency_id: UUID, query: schemas.CaseQueueQuery, me: UUID, now: datetime
               ) -> dict[str, int]:
    """How many of the open cases the other filters pick are overdue, due soon and on track."""
    if query.status in (schemas.QueueStatus.DONE, schemas.QueueStatus.RESOLVED, schemas.QueueStatus.CLOSED):
        return {}
    counts = {}
    for state in (schemas.SlaState.OVERDUE, schemas.SlaState.DUE_SOON, schemas.SlaState.ON_TRACK):
        each = query.model_copy(update={"sla": state})
        counts[state.value] = _count(session, _queue_statement(agency_id=agency_id, query=each, me=me, now=now))
    return counts


@dataclass(frozen=True)
class MyWork:
    """A member of staff's own open cases, those due soon and those past due (each soonest due first), counted."""

    open: list[Case]
    due_soon: list[Case]
    overdue: list[Case]
    counts: dict[str, int]


def my_work(*, session: Session, agency_id: UUID, me: UUID, now: datetime, limit: int = 10) -> MyWork:
    """A member of staff's own work: their open cases, those due soon and those past due, with counts."""
    lists = {}
    for name, sla in (("open", None), ("due_soon", schemas.SlaState.DUE_SOON), ("overdue", schemas.SlaState.OVERDUE)):
        query = schemas.CaseQueueQuery(assignee=schemas.MINE, status=schemas.QueueStatus.OPEN, sla=sla)
        lists[name] = queue(session=session, agency_id=agency_id, query=query, me=me, now=now, per_page=limit)
    return MyWork(**{name: rows for name, (rows, _total) in lists.items()},
                          counts={name: total for name, (_rows, total) in lists.items()})


def recent_contacts(*, session: Session, staff_id: UUID, limit: int = 10) -> list[Interaction]:
    """The contacts a member of staff recorded, newest first."""
    return list(session.scalars(select(Interaction).where(Interaction.staff_id == staff_id)
                                .order_by(Interaction.started_at.desc(), Interaction.id.desc()).limit(limit)))


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
    cases = [c if c.get("due_soon_at") else {**c, "due_soon_at": due_soon_from(
        opened_at=c["opened_at"], sla_due_at=c["sla_due_at"])} for c in cases]
    cases = [c if c.get("reference") else {**c, "token": (token := c.get("token") or new_id()),
                                           "reference": reference_of(token)} for c in cases]
    for model, rows in ((Case, cases), (CaseEvent, case_events), (Interaction, interactions),
                        (RepeatAsk, repeat_asks)):
        if rows:
            session.execute(insert(model.__table__), rows)


# Applications and questions from the person ----------------------------------------------------


def get_case_of_person(*, session: Session, case_id: UUID, person_id: UUID) -> Case:
    """Return one of the person's own cases; anyone else's answers exactly like a missing one."""
    case = session.get(Case, case_id)
    if case is None or case.person_id != person_id:
        raise NotFound(f"No case with id {case_id}.")
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
