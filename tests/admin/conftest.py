"""Two agencies with a department and a service each, a region, and an administrator of each kind."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from uuid import UUID

import pytest

from govcx.core import accounts
from govcx.core.accounts import Role
from govcx.registry import schemas, service
from govcx.registry.models import Agency
from tests.factories import registry as factories


@dataclass(frozen=True)
class Country:
    tax: Agency
    transport: Agency
    tax_department: UUID
    transport_department: UUID
    tax_service: UUID
    region: UUID
    platform_admin: str
    tax_admin: str
    transport_admin: str
    tax_staff: str
    tax_analyst: str


@functools.cache
def _hashed_password() -> accounts.HashedPassword:
    return accounts.hash_password(factories.STAFF_PASSWORD)


@pytest.fixture
def country(uow, clock) -> Country:
    admin = factories._platform_actor()
    with uow() as session:
        tax = factories.agency(session, clock, code="TAX", name="Tax Agency")
        transport = factories.agency(session, clock, code="TRN", name="Transport Agency")
        departments = {
            a.code: service.create_department(session=session, agency_id=a.id, by=admin, clock=clock,
                                              data=schemas.DepartmentCreate(code="DESK", name=f"{a.name} desk")).id
            for a in (tax, transport)
        }
        refund = factories.catalogue_service(session, clock, tax, code="TAX-REFUND")
        region = service.create_region(session=session, clock=clock, data=schemas.RegionCreate(code="N", name="North"))
        # One argon2 hash for every account (hashing is slow on purpose; the accounts are still real).
        hashed = _hashed_password()
        emails = {
            name: accounts.create_staff(session=session, email=f"{name}@gov.example", name=f"{name.title()} Person",
                                        password=hashed, role=role, agency_id=agency.id if agency else None,
                                        clock=clock).email
            for name, agency, role in (
                ("platform", None, Role.PLATFORM_ADMIN), ("tax-admin", tax, Role.AGENCY_ADMIN),
                ("transport-admin", transport, Role.AGENCY_ADMIN), ("tax-staff", tax, Role.STAFF),
                ("tax-analyst", tax, Role.CX_ANALYST),
            )
        }
    return Country(tax=tax, transport=transport, tax_department=departments["TAX"],
                   transport_department=departments["TRN"], tax_service=refund.id, region=region.id,
                   platform_admin=emails["platform"], tax_admin=emails["tax-admin"],
                   transport_admin=emails["transport-admin"], tax_staff=emails["tax-staff"],
                   tax_analyst=emails["tax-analyst"])
