"""A case goes only to someone who can work it: staff of the owning agency, active, in a role that works cases."""

from __future__ import annotations

import re

import pytest

from govcx.crm import schemas, service
from govcx.crm.models import Case
from govcx.core.errors import Invalid
from tests.crm.test_queue import new_case
from tests.factories import crm as crm_factories
from tests.web.helpers import csrf_token, sign_in_staff


def _choices(html: str) -> list[str]:
    select = re.search(r'<select[^>]*id="assignee_id".*?</select>', html, re.S).group(0)
    return [name.strip() for name in re.findall(r'<option value="[^"]*"[^>]*>([^<(]+)', select)]


def test_the_assignee_choice_lists_only_staff_who_can_work_the_case(client, uow, clock, gov, desk):
    case = new_case(uow, clock, gov)
    sign_in_staff(client, desk.me.email)

    choices = _choices(client.get(f"/staff/cases/{case.id}").text)

    assert choices == ["Nobody", "Ada Boss", "Colin Park", "Maria Quintero"]


@pytest.mark.parametrize("who", ["analyst", "retired", "taxman"])
def test_the_service_refuses_anyone_who_cannot_work_the_case(uow, clock, gov, desk, who):
    case = new_case(uow, clock, gov)

    with uow() as session, pytest.raises(Invalid, match="someone who can work it"):
        service.assign(session=session, case_id=case.id, by=crm_factories.system_of(gov.transport), clock=clock,
                       data=schemas.CaseAssignment(assignee_id=getattr(desk, who).id))
    with uow() as session:
        assert session.get(Case, case.id).assignee_id is None and len(session.get(Case, case.id).events) == 1


def test_the_api_refuses_it_with_a_clear_problem(client, uow, clock, gov, desk, key_for):
    case = new_case(uow, clock, gov)

    answer = client.post(f"/api/v1/cases/{case.id}/assignment", headers=key_for(gov.transport),
                         json={"assignee_id": str(desk.analyst.id)})

    assert answer.status_code == 422
    assert "an active member of the owning agency's staff whose role works cases" in answer.json()["detail"]


def test_the_page_refuses_it_beside_the_field_and_keeps_the_choice(client, uow, clock, gov, desk):
    case = new_case(uow, clock, gov)
    sign_in_staff(client, desk.me.email)
    token = csrf_token(client, f"/staff/cases/{case.id}")

    answer = client.post(f"/staff/cases/{case.id}/assignment",
                         data={"assignee_id": str(desk.analyst.id), "csrf_token": token})

    assert answer.status_code == 422
    assert 'id="assignee_id-error"' in answer.text and "someone who can work it" in answer.text
    assert 'href="#assignee_id"' in answer.text
    with uow() as session:
        assert session.get(Case, case.id).assignee_id is None


def test_the_history_names_the_assignee_even_after_a_transfer(client, uow, clock, gov, desk):
    case = new_case(uow, clock, gov, assignee=desk.colleague)
    with uow() as session:
        service.transfer(session=session, case_id=case.id, by=crm_factories.system_of(gov.transport), clock=clock,
                         data=schemas.CaseTransfer(agency_id=gov.tax.id))
    sign_in_staff(client, desk.taxman.email)

    page = client.get(f"/staff/cases/{case.id}").text

    assert "assigned to Colin Park" in page and "someone" not in page
    assert _choices(page) == ["Nobody", "Tom Tax"]


def test_a_colleague_assigns_through_the_form(client, uow, clock, gov, desk):
    case = new_case(uow, clock, gov)
    sign_in_staff(client, desk.admin.email)
    token = csrf_token(client, f"/staff/cases/{case.id}")

    answer = client.post(f"/staff/cases/{case.id}/assignment", follow_redirects=False,
                         data={"assignee_id": str(desk.me.id), "csrf_token": token})
    page = client.get(f"/staff/cases/{case.id}").text

    assert answer.status_code == 303
    assert "assigned to Maria Quintero" in page and "(by Ada Boss)" in page
