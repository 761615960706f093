import pytest

from govcx.core.accounts import KEY_SCOPES, Scope
from tests.factories import registry as factories


@pytest.fixture
def tax(uow, clock):
    with uow() as session:
        return factories.agency(session, clock, code="TAX", name="Tax Agency")


@pytest.fixture
def transport(uow, clock):
    with uow() as session:
        return factories.agency(session, clock, code="TRN", name="Transport Agency")


@pytest.fixture
def key_for(uow, clock):
    """An API key of `agency` holding `scopes` (every scope by default)."""

    def make(agency, *scopes: Scope) -> dict[str, str]:
        with uow() as session:
            return {"X-API-Key": factories.api_key(session, clock, agency, list(scopes or KEY_SCOPES))}

    return make
