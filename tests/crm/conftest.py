from dataclasses import dataclass

import pytest

from govcx.core.accounts import Scope
from govcx.registry.models import Agency, Department, Person, Service
from tests.factories import crm as crm_factories
from tests.factories import registry as factories


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
