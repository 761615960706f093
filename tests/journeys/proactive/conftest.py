"""The proactive-services cast: a population register, a benefits agency, a tax office, a parent.

Everything is built through the real services, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from govcx.core.accounts import Role, Scope
from govcx.core.db import make_session_factory
from govcx.notify.worker import Worker
from govcx.registry.models import ValueType
from govcx.vault import service as vault
from tests.factories import notify as notify_factories
from tests.factories import registry as factories
from tests.factories import vault as vault_factories

BIRTH = "person.child_birth"
FORM = ["person.name", "person.address", BIRTH, "tax.residency"]
CONDITION = 'tax.residency == "resident" and days_since(event.value) < 365'
PARENT_ID = "NID-4410-0001"
REASON = "A birth was registered in your family, and families who live here get the child benefit."


@dataclass
class Cast:
    population: object
    benefits: object
    tax: object
    child_benefit: object
    parent: object
    benefits_admin: object
    population_key: str
    benefits_key: str


@pytest.fixture
def cast(uow, clock, cipher) -> Cast:  # noqa: ANN001
    return build_cast(uow, clock, cipher)


def build_cast(uow, clock, cipher) -> Cast:  # noqa: ANN001
    """The cast, each part through its own service, in one unit of work (`uow()` opens it)."""
    with uow() as session:
        population = factories.agency(session, clock, code="POP", name="Population Register")
        benefits = factories.agency(session, clock, code="SOC", name="Social Insurance Board")
        tax = factories.agency(session, clock, code="TAX", name="Tax Board")
        for key in ("person.name", "person.address"):
            vault_factories.attribute(session, clock, key, agency=population)
        vault_factories.attribute(session, clock, BIRTH, agency=population, value_type=ValueType.DATE)
        vault_factories.attribute(session, clock, "tax.residency", agency=tax)
        vault_factories.attribute(session, clock, "tax.annual_income", agency=tax, value_type=ValueType.MONEY)
        child_benefit = factories.catalogue_service(session, clock, benefits, code="SOC-CHILD")
        child_benefit.name = "Child benefit"
        vault.set_form(session=session, service_id=child_benefit.id, attributes=FORM)
        parent = factories.person(session, clock, cipher, given_name="Maria", family_name="Tamm",
                                  national_id=PARENT_ID)
        for key, value, agency in (("person.name", "Maria Tamm", population),
                                   ("person.address", "Pikk 12, Aurelia", population),
                                   ("tax.residency", "resident", tax)):
            vault_factories.fact(session, clock, cipher, subject_id=parent.id, key=key, value=value, agency=agency)
        admin = factories.staff(session, clock, benefits, role=Role.AGENCY_ADMIN)
        notify_factories.templates(session, clock)
        population_key = factories.api_key(session, clock, population, [Scope.VAULT_WRITE])
        benefits_key = factories.api_key(session, clock, benefits, [Scope.PROACTIVE_ADMIN, Scope.CX_READ,
                                                                    Scope.CRM_READ])
    return Cast(population, benefits, tax, child_benefit, parent, admin, population_key, benefits_key)


def child_benefit_rule(cast: Cast, **changes: object) -> dict:
    return {"code": "child-benefit-on-birth", "name": "Child benefit after a birth", "life_event_key": "having-a-child",
            "trigger": "fact_recorded", "trigger_key": BIRTH, "condition": CONDITION,
            "service_id": str(cast.child_benefit.id), "consent_attributes": [BIRTH, "tax.residency"],
            "reason": REASON, "offer_days": 30, **changes}


def record_birth(client, cast: Cast, born: date):  # noqa: ANN001, ANN201
    """The population register records a birth on the parent, as its own system does, through the API."""
    return client.post("/api/v1/vault/facts", headers={"X-API-Key": cast.population_key}, json={
        "subject_id": str(cast.parent.id), "attribute_key": BIRTH, "value": born.isoformat(), "verified": True,
        "evidence": "birth register entry"})


@pytest.fixture
def worker(engine, clock, settings) -> Worker:  # noqa: ANN001
    return Worker(session_factory=make_session_factory(engine), clock=clock, settings=settings)
