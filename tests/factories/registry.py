"""Registry rows built through the real services, for tests."""

from __future__ import annotations

import itertools
from datetime import date
from uuid import UUID

from sqlalchemy.orm import Session

from govcx.core import accounts
from govcx.core.accounts import Role, Scope
from govcx.core.clock import Clock
from govcx.core.crypto import FieldCipher
from govcx.registry import schemas, service
from govcx.registry.models import Agency, Channel, Person, Service

_seq = itertools.count(1)
STAFF_PASSWORD = "correct horse battery staple"


def agency(session: Session, clock: Clock, code: str | None = None, name: str | None = None) -> Agency:
    n = next(_seq)
    code = code or f"AG{n}"
    return service.create_agency(
        session=session, data=schemas.AgencyCreate(code=code, name=name or f"Agency {code}"), clock=clock
    )


def person(
    session: Session, clock: Clock, cipher: FieldCipher, *, given_name: str = "Ana", family_name: str = "Lopez",
    national_id: str | None = None, region_id: UUID | None = None,
) -> Person:
    n = next(_seq)
    data = schemas.PersonCreate(
        national_id=national_id or f"NID{n:08d}", given_name=given_name, family_name=family_name,
        birth_date=date(1985, 4, 2), email=f"person{n}@example.org", region_id=region_id,
    )
    return service.create_person(session=session, data=data, cipher=cipher, clock=clock)


def catalogue_service(session: Session, clock: Clock, agency: Agency, *, code: str | None = None) -> Service:
    platform = _platform_actor()
    data = schemas.ServiceCreate(
        code=code or f"SVC{next(_seq)}", agency_id=agency.id, name="Renew a driving licence",
        channels=[Channel.WEB, Channel.IN_PERSON], target_completion_minutes=20, sla_hours=72,
    )
    return service.create_service(session=session, data=data, by=platform, clock=clock)


def api_key(session: Session, clock: Clock, agency: Agency, scopes: list[Scope]) -> str:
    _, key = accounts.create_api_key(session=session, agency_id=agency.id, scopes=scopes, label="test", clock=clock)
    return key


def staff(session: Session, clock: Clock, agency: Agency | None, role: Role = Role.STAFF,
          email: str | None = None) -> accounts.StaffAccount:
    return accounts.create_staff(
        session=session, email=email or f"staff{next(_seq)}@gov.example", name="Sam Staff",
        password=STAFF_PASSWORD, role=role, agency_id=agency.id if agency else None, clock=clock,
    )


def _platform_actor():  # noqa: ANN202
    from govcx.core.auth import StaffMember

    return StaffMember(id=UUID(int=0), name="platform", email="platform@gov.example", role=Role.PLATFORM_ADMIN,
                       agency_id=None)
