"""CRM rows built through the real services, for tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.orm import Session

from govcx.core.accounts import Role, Scope
from govcx.core.auth import AgencyClient, StaffMember
from govcx.core.clock import Clock
from govcx.crm import schemas, service
from govcx.crm.models import Case, Interaction, Outcome
from govcx.registry import schemas as registry_schemas
from govcx.registry import service as registry
from govcx.registry.models import Agency, Channel, Department
from tests.factories.registry import _platform_actor


def system_of(agency: Agency | UUID) -> AgencyClient:
    """The agency's own system, acting with every CRM scope."""
    return AgencyClient(key_id=UUID(int=1), agency_id=agency if isinstance(agency, UUID) else agency.id,
                        scopes=frozenset({Scope.CRM_READ, Scope.CRM_WRITE}))


def staff_member(account) -> StaffMember:  # noqa: ANN001
    return StaffMember(id=account.id, name=account.name, email=account.email, role=Role(account.role),
                       agency_id=account.agency_id)


def department(session: Session, clock: Clock, agency: Agency, code: str, name: str | None = None) -> Department:
    return registry.create_department(
        session=session, agency_id=agency.id, data=registry_schemas.DepartmentCreate(code=code, name=name or code),
        by=_platform_actor(), clock=clock,
    )


def interaction(
    session: Session, clock: Clock, agency: Agency, person_id: UUID, *, channel: Channel = Channel.PHONE,
    started_at: datetime | None = None, minutes: int = 10, notes: str = "", notes_shared: bool = False,
    service_id: UUID | None = None,
) -> Interaction:
    start = started_at or clock.now()
    data = schemas.InteractionCreate(
        person_id=person_id, channel=channel, started_at=start, ended_at=start + timedelta(minutes=minutes),
        outcome=Outcome.RESOLVED, notes=notes, notes_shared=notes_shared, service_id=service_id,
    )
    return service.record_interaction(session=session, data=data, by=system_of(agency), clock=clock)


def case(session: Session, clock: Clock, agency: Agency, service_id: UUID, person_id: UUID | None, *,
         description: str = "A deep pothole outside number 12") -> Case:
    data = schemas.CaseCreate(person_id=person_id, service_id=service_id, description=description,
                              channel=Channel.WEB)
    return service.file_case(session=session, data=data, by=system_of(agency), clock=clock)


def complaint_with_history(session: Session, clock: Clock, at: Agency, other: Agency, person_id: UUID,
                           service_id: UUID) -> Case:
    """A phone complaint made at `at` about a service, worked a little by its owner; and a contact with
    `other` agency before it."""
    data = schemas.InteractionCreate(
        person_id=person_id, channel=Channel.PHONE, started_at=clock.now() - timedelta(hours=2),
        ended_at=clock.now() - timedelta(hours=1, minutes=50), outcome=Outcome.REFERRED, notes="Called twice",
        complaint=schemas.ComplaintCreate(service_id=service_id, description="My refund is three months late"),
    )
    interaction(session, clock, other, person_id, channel=Channel.WEB, started_at=clock.now() - timedelta(days=3),
                notes="Asked about a licence", notes_shared=True)
    recorded = service.record_interaction(session=session, data=data, by=system_of(at), clock=clock)
    owner = system_of(session.get(Case, recorded.case_id).agency_id)
    service.add_note(session=session, case_id=recorded.case_id, by=owner, clock=clock,
                     data=schemas.CaseNoteCreate(note="Checked the payment run"))
    return service.change_status(session=session, case_id=recorded.case_id, by=owner, clock=clock,
                                 data=schemas.CaseStatusChange(status="in_progress"))
