import pytest

from govcx.core.accounts import Role, Scope
from tests.factories import feedback as feedback_factories
from tests.factories import registry as factories
from tests.web.helpers import sign_in_staff


@pytest.fixture
def tax(uow, clock):
    with uow() as session:
        return factories.agency(session, clock, code="TAX", name="Tax Agency")


@pytest.fixture
def refund(uow, clock, tax):
    with uow() as session:
        return factories.catalogue_service(session, clock, tax, code="TAX-REFUND")


@pytest.fixture
def tax_key(uow, clock, tax):
    with uow() as session:
        return {"X-API-Key": factories.api_key(session, clock, tax, [Scope.FEEDBACK_WRITE, Scope.CX_READ])}


@pytest.fixture
def survey(uow, clock, tax):
    """An open A-11 v2 survey of the tax agency (trust on 5 points)."""
    with uow() as session:
        return feedback_factories.survey(session, clock, tax.id)


@pytest.fixture
def analyst(uow, clock, tax, client):
    """The test client, signed in as a CX analyst of the tax agency."""
    with uow() as session:
        email = factories.staff(session, clock, tax, Role.CX_ANALYST).email
    assert sign_in_staff(client, email).status_code == 303
    return client


@pytest.fixture
def settings(settings):
    """Feedback tests use a suppression threshold of 2, so small fixtures show figures."""
    settings.suppression_threshold = 2
    return settings
