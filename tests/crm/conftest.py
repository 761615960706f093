import functools
from dataclasses import dataclass

import pytest

from govcx.core import accounts
from govcx.core.accounts import Role, Scope, StaffAccount
from govcx.registry.models import Agency, Department, Person, Service
from tests.factories import crm as crm_factories
from tests.factories import registry as factories
from tests.factories import vault as vault_factories


@dataclass
class Government:
    tax: Agency
    transport: Agency
    roads: Department
    licences: Department
    pothole: Service     # a service of transport, answered by roads
    tax_return: Service  # a service of tax
    ana: Person


@pytest.fixture
def gov(uow, clock, cipher) -> Government:
    with uow() as session:
        tax = factories.agency(session, clock, code="TAX", name="Tax Agency")
        transport = factories.agency(session, clock, code="TRN", name="Transport Agency")
        roads = crm_factories.department(session, clock, transport, "ROADS", "Roads")
        licences = crm_factories.department(session, clock, transport, "LIC", "Licences")
        pothole = factories.catalogue_service(session, clock, transport, code="POTHOLE")
        pothole.name, pothole.department_id, pothole.sla_hours = "Report a pothole", roads.id, 48
        tax_return = factories.catalogue_service(session, clock, tax, code="TAXRET")
        tax_return.name = "File a tax return"
        ana = factories.person(session, clock, cipher, given_name="Ana", family_name="Lopez",
                               national_id="NID-7700-1234")
        ana.phone, ana.street_address = "+15550100", "1 Main Street"
        session.flush()
        return Government(tax, transport, roads, licences, pothole, tax_return, ana)


@pytest.fixture
def key_for(uow, clock):
    """An API key of `agency` holding `scopes` (the CRM scopes by default)."""

    def make(agency, *scopes: Scope) -> dict[str, str]:
        with uow() as session:
            return {"X-API-Key": factories.api_key(session, clock, agency,
                                                   list(scopes or (Scope.CRM_READ, Scope.CRM_WRITE)))}

    return make


@pytest.fixture
def staff_email(uow, clock):
    def make(agency) -> str:
        with uow() as session:
            return factories.staff(session, clock, agency).email

    return make


@dataclass
class Desk:
    """The transport agency's desk: its people by role, a colleague elsewhere, and names in the vault."""

    me: StaffAccount          # staff, who works cases
    colleague: StaffAccount   # staff too
    admin: StaffAccount       # agency_admin: works cases as well
    analyst: StaffAccount     # cx_analyst: cannot open a case
    retired: StaffAccount     # staff, but no longer active
    taxman: StaffAccount      # staff of another agency
    bo: Person


@functools.cache
def _hashed() -> accounts.HashedPassword:
    # Hashed once for every account of every test: argon2 is slow on purpose.
    return accounts.hash_password(factories.STAFF_PASSWORD)


def _account(session, clock, agency, role: Role, name: str, email: str) -> StaffAccount:
    return accounts.create_staff(session=session, email=email, name=name, password=_hashed(), role=role,
                                 agency_id=agency.id, clock=clock)


@pytest.fixture
def desk(uow, clock, cipher, gov) -> Desk:
    with uow() as session:
        me = _account(session, clock, gov.transport, Role.STAFF, "Maria Quintero", "maria@transport.example")
        colleague = _account(session, clock, gov.transport, Role.STAFF, "Colin Park", "colin@transport.example")
        admin = _account(session, clock, gov.transport, Role.AGENCY_ADMIN, "Ada Boss", "ada@transport.example")
        analyst = _account(session, clock, gov.transport, Role.CX_ANALYST, "Ann Alyst", "ann@transport.example")
        retired = _account(session, clock, gov.transport, Role.STAFF, "Rita Gone", "rita@transport.example")
        retired.is_active = False
        taxman = _account(session, clock, gov.tax, Role.STAFF, "Tom Tax", "tom@tax.example")
        bo = factories.person(session, clock, cipher, given_name="Bo", family_name="Brown")
        # Names are catalogued values held in the vault; the console reads them under a case, logged.
        vault_factories.attribute(session, clock, "person.name", agency=gov.tax)
        for person, name in ((gov.ana, "Ana Lopez"), (bo, "Bo Brown")):
            vault_factories.fact(session, clock, cipher, subject_id=person.id, key="person.name", value=name,
                                 agency=gov.tax)
        session.flush()
        return Desk(me, colleague, admin, analyst, retired, taxman, bo)
