"""Fixtures shared by the vault, consent and exchange tests: a person, her bank, the tax agency."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from govcx.core.accounts import Scope
from govcx.registry.models import Sensitivity
from tests.factories import registry as factories
from tests.factories import vault as vault_factories
from tests.web.helpers import csrf_token, sign_in_citizen

__all__ = ["cast", "key_for", "as_citizen", "Cast"]

INTEREST = "bank.interest_statement"
INCOME = "tax.annual_income"
EMAIL = "person.email"
ADDRESS = "person.address"


@dataclass
class Cast:
    tax: object
    pop: object
    transport: object
    bank: object
    ana: object
    bob: object


@pytest.fixture
def cast(uow, clock, cipher) -> Cast:
    """Ana banks with First Bank; the tax and population agencies and the bank hold facts about her."""
    with uow() as session:
        tax = factories.agency(session, clock, code="TAX", name="Tax Agency")
        pop = factories.agency(session, clock, code="POP", name="Population Register")
        transport = factories.agency(session, clock, code="TRN", name="Transport Agency")
        bank = vault_factories.bank(session, clock)
        vault_factories.attribute(session, clock, INTEREST, organization=bank)
        vault_factories.attribute(session, clock, "bank.mortgage_balance", organization=bank)
        vault_factories.attribute(session, clock, INCOME, agency=tax, sensitivity=Sensitivity.SENSITIVE)
        vault_factories.attribute(session, clock, ADDRESS, agency=pop)
        vault_factories.attribute(session, clock, EMAIL, agency=pop, self_declarable=True)
        ana = factories.person(session, clock, cipher, given_name="Ana", family_name="Lopez",
                               national_id="NID-7700-1234")
        bob = factories.person(session, clock, cipher, given_name="Bob", family_name="Park",
                               national_id="NID-8800-5678")
        for who, interest in ((ana, "412.50"), (bob, "97.10")):
            vault_factories.fact(session, clock, cipher, subject_id=who.id, key=INTEREST, value=interest,
                                 organization=bank)
            vault_factories.fact(session, clock, cipher, subject_id=who.id, key="bank.mortgage_balance",
                                 value="150000.00", organization=bank)
            vault_factories.fact(session, clock, cipher, subject_id=who.id, key=ADDRESS, value="1 Main St",
                                 agency=pop)
        return Cast(tax=tax, pop=pop, transport=transport, bank=bank, ana=ana, bob=bob)


@pytest.fixture
def key_for(uow, clock):
    """An API key of `agency` holding `scopes` (every scope but the platform's legal-basis register by default)."""

    def make(agency, *scopes: Scope) -> dict[str, str]:
        wanted = list(scopes) or [s for s in Scope if s is not Scope.LEGAL_BASIS_ADMIN]
        with uow() as session:
            return {"X-API-Key": factories.api_key(session, clock, agency, wanted)}

    return make


@pytest.fixture
def as_citizen(client):
    """Sign `client` in as a person; return the headers a JSON action needs (the CSRF token)."""

    def sign_in(national_id: str) -> dict[str, str]:
        sign_in_citizen(client, national_id)
        return {"X-CSRF-Token": csrf_token(client, "/me")}

    return sign_in
