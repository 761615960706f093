"""The administration log admits only what it may hold; who may administer what."""

from __future__ import annotations

from uuid import uuid4

import pytest
from sqlalchemy import select

from govcx.admin import service
from govcx.admin.models import AdminAction, AdminVerb
from govcx.core.accounts import Role
from govcx.core.auth import StaffMember


def _member(uow, email: str) -> StaffMember:  # noqa: ANN001
    from govcx.core.accounts import StaffAccount

    with uow() as session:
        account = session.scalars(select(StaffAccount).where(StaffAccount.email == email)).one()
        return StaffMember(id=account.id, name=account.name, email=account.email, role=account.role,
                           agency_id=account.agency_id)


@pytest.mark.parametrize("detail", ["email", "password", "secret", "national_id", "given_name"])
def test_the_log_refuses_a_detail_that_could_hold_a_secret_or_a_persons_data(uow, clock, country, detail):
    by = _member(uow, country.platform_admin)

    with uow() as session, pytest.raises(ValueError, match=detail):
        service.record(session=session, by=by, verb=AdminVerb.STAFF_CREATED, object_type="staff", object_id=uuid4(),
                       agency_id=None, clock=clock, **{detail: "x"})
    with uow() as session:
        assert session.scalars(select(AdminAction)).all() == []


def test_the_log_keeps_who_when_what_and_on_which_object(uow, clock, country):
    by = _member(uow, country.tax_admin)
    target = uuid4()

    with uow() as session:
        service.record(session=session, by=by, verb=AdminVerb.KEY_REVOKED, object_type="api_key", object_id=target,
                       agency_id=country.tax.id, clock=clock, label="Feed")
    with uow() as session:
        lines = service.log(session=session, by=by)

    assert [(x.at, x.actor_name, x.actor_role, x.verb, x.object_id, x.object_name) for x in lines] == [
        (clock.now(), "Tax-Admin Person", "agency_admin", AdminVerb.KEY_REVOKED, str(target), "Feed")]


def test_only_staff_manage_roles_administer_and_each_sees_their_own_sections():
    def member(role: Role, agency: bool = True) -> StaffMember:
        return StaffMember(id=uuid4(), name="x", email="x@gov.example", role=role,
                           agency_id=uuid4() if agency else None)

    platform = {s.href for s in service.sections(by=member(Role.PLATFORM_ADMIN, agency=False))}
    agency = {s.href for s in service.sections(by=member(Role.AGENCY_ADMIN))}

    assert [service.can_administer(member(r)) for r in Role] == [False, False, True, True]
    assert service.can_administer(None) is False
    assert "/admin/agencies" in platform and "/admin/legal-bases" in platform and "/admin/surveys" not in platform
    assert {"/admin/surveys", "/admin/routing-rules", "/admin/templates"} <= agency
    assert "/admin/agencies" not in agency


def test_every_permission_has_a_name_on_the_key_and_role_pages() -> None:
    from govcx.admin.pages import SCOPE_LABELS
    from govcx.core.accounts import Scope

    assert set(SCOPE_LABELS) == set(Scope)
