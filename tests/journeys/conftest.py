from dataclasses import dataclass

import pytest

from govcx.core.accounts import Scope
from govcx.registry.models import Agency, Person
from tests.factories import registry as factories
from tests.factories.journeys import Catalogue, demo_catalogue


@dataclass
class Country:
    catalogue: Catalogue
    soc: Agency
    pop: Agency
    ana: Person
    ben: Person


@pytest.fixture
def country(uow, clock, cipher) -> Country:
    with uow() as session:
        catalogue = demo_catalogue(session, clock)
        ana = factories.person(session, clock, cipher, given_name="Ana")
        ben = factories.person(session, clock, cipher, given_name="Ben")
        soc = session.get(Agency, catalogue.agencies["SOC"])
        pop = session.get(Agency, catalogue.agencies["POP"])
        session.expunge_all()
        return Country(catalogue, soc, pop, ana, ben)


@pytest.fixture
def events_key(uow, clock, country) -> dict[str, str]:
    with uow() as session:
        return {"X-API-Key": factories.api_key(session, clock, country.soc, [Scope.EVENTS_WRITE])}
