import pytest

from govcx.core.accounts import Role
from tests.factories import registry as factories


@pytest.fixture
def tax(uow, clock):
    with uow() as session:
        return factories.agency(session, clock, code="TAX", name="Tax Agency")


@pytest.fixture
def staff_of(uow, clock, tax):
    """A staff account of the tax agency with `role`; returns its e-mail (the password is STAFF_PASSWORD)."""

    def make(role: Role = Role.STAFF) -> str:
        with uow() as session:
            return factories.staff(session, clock, None if role is Role.PLATFORM_ADMIN else tax, role).email

    return make


@pytest.fixture
def ana(uow, clock, cipher):
    with uow() as session:
        return factories.person(session, clock, cipher, given_name="Ana", family_name="Lopez",
                                national_id="NID-7700-1234")
