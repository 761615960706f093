"""A small country for the citizen's self-service: a service whose form government can mostly prefill."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from govcx.core.clock import Clock
from govcx.core.crypto import FieldCipher
from govcx.registry.models import Agency, Person, Sensitivity, Service, ValueType
from govcx.vault import service as vault
from tests.factories import registry as factories
from tests.factories import vault as vault_factories

NAME, ADDRESS, EMAIL = "person.name", "person.address", "person.email"
INCOME, CHILDREN, PHONE = "tax.annual_income", "social.children_count", "person.phone"
FORM = [NAME, ADDRESS, INCOME, EMAIL, CHILDREN]


@dataclass
class Town:
    pop: Agency
    tax: Agency
    soc: Agency
    benefit: Service  # Social Insurance's child benefit: its form asks FORM
    ana: Person  # government holds her name, address and income; not her e-mail or her children
    bob: Person


def town(session: Session, clock: Clock, cipher: FieldCipher) -> Town:
    pop = factories.agency(session, clock, code="POP", name="Population Register")
    tax = factories.agency(session, clock, code="TAX", name="Tax Agency")
    soc = factories.agency(session, clock, code="SOC", name="Social Insurance")
    vault_factories.attribute(session, clock, NAME, agency=pop)
    vault_factories.attribute(session, clock, ADDRESS, agency=pop)
    vault_factories.attribute(session, clock, EMAIL, agency=pop, self_declarable=True)
    vault_factories.attribute(session, clock, PHONE, agency=pop, self_declarable=True)
    vault_factories.attribute(session, clock, INCOME, agency=tax, sensitivity=Sensitivity.SENSITIVE,
                              value_type=ValueType.MONEY)
    vault_factories.attribute(session, clock, CHILDREN, agency=soc, value_type=ValueType.INTEGER)
    benefit = factories.catalogue_service(session, clock, soc, code="SOC-CHILD")
    benefit.name, benefit.description = "Apply for child benefit", "Monthly support for each child under 17."
    vault.set_form(session=session, service_id=benefit.id, attributes=FORM)
    ana = factories.person(session, clock, cipher, given_name="Ana", family_name="Lopez", national_id="NID-7700-1234")
    bob = factories.person(session, clock, cipher, given_name="Bob", family_name="Park", national_id="NID-8800-5678")
    for who, name, income in ((ana, "Ana Lopez", "48250.00"), (bob, "Bob Park", "31000.00")):
        vault_factories.fact(session, clock, cipher, subject_id=who.id, key=NAME, value=name, agency=pop)
        vault_factories.fact(session, clock, cipher, subject_id=who.id, key=ADDRESS, value="1 Main St", agency=pop)
        vault_factories.fact(session, clock, cipher, subject_id=who.id, key=INCOME, value=income, agency=tax)
    session.flush()
    return Town(pop=pop, tax=tax, soc=soc, benefit=benefit, ana=ana, bob=bob)
