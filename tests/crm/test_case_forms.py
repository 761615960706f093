"""Every case form refused shows the case again: the error beside its field, what was typed kept, nothing changed."""

from __future__ import annotations

import re

import pytest

from govcx.crm.models import Case, CaseStatus
from tests.crm.test_queue import new_case
from tests.web.helpers import csrf_token, sign_in_staff


def _group(html: str, field: str) -> str:
    """The form group around `field`'s label, input and message."""
    return re.search(rf'<div class="usa-form-group[^"]*">\s*<label class="usa-label" for="{field}">.*?</div>',
                     html, re.S).group(0)


@pytest.fixture
def worked(client, uow, clock, gov, desk):
    case = new_case(uow, clock, gov, person=gov.ana)
    sign_in_staff(client, desk.me.email)
    return case, csrf_token(client, f"/staff/cases/{case.id}")


def _unchanged(uow, case: Case) -> None:
    with uow() as session:
        again = session.get(Case, case.id)
        assert again.status is CaseStatus.OPEN and len(again.events) == 1
        assert (again.agency_id, again.department_id, again.assignee_id) == (case.agency_id, case.department_id, None)


@pytest.mark.parametrize("form, data, field, message, kept", [
    ("status", {"status": "resolved", "reason": ""}, "reason", "resolving or closing a case needs a reason",
     '<option value="resolved" selected>'),
    ("status", {"status": "closed", "reason": "   "}, "reason", "resolving or closing a case needs a reason",
     '<option value="closed" selected>'),
    ("status", {"status": "lost", "reason": "Because"}, "status", "Choose the new status", 'value="Because"'),
    ("notes", {"note": "   "}, "note", "Write the note", "</textarea>"),
    ("notes", {"note": "x" * 5001}, "note", "Write the note", "x" * 5001),
    ("assignment", {"assignee_id": "not-an-id"}, "assignee_id", "Choose someone from the list", ""),
    ("transfer", {"destination": "nowhere", "reason": "Wrong desk"}, "destination", "Choose where to transfer",
     'value="Wrong desk"'),
    ("transfer", {"destination": "{roads}", "reason": "Same place"}, "destination", "The case is already there",
     'value="Same place"'),
    ("transfer", {"destination": "{licences}", "reason": "r" * 501}, "transfer-reason",
     "Keep the reason to 500 characters", "r" * 501),
])
def test_a_refused_case_form_shows_its_error_beside_the_field(client, uow, gov, worked, form, data, field, message,
                                                              kept):
    case, token = worked
    places = {"roads": f"{gov.transport.id}/{gov.roads.id}", "licences": f"{gov.transport.id}/{gov.licences.id}"}
    data = {k: v.format(**places) for k, v in data.items()}

    answer = client.post(f"/staff/cases/{case.id}/{form}", data={**data, "csrf_token": token})

    assert answer.status_code == 422
    group = _group(answer.text, field)
    assert "usa-form-group--error" in group and f'id="{field}-error"' in group and message in group
    assert f'aria-describedby="{field}-error"' in group or f'{field}-error"' in group
    assert f'href="#{field}"' in answer.text  # the summary at the top links to it
    assert kept in answer.text
    assert answer.text.count("<h1") == 1 and "History" in answer.text  # the whole case page, not a bare error
    _unchanged(uow, case)


def test_a_status_the_case_already_has_is_refused_beside_the_status(client, uow, clock, gov, desk):
    case = new_case(uow, clock, gov, status=CaseStatus.IN_PROGRESS)
    sign_in_staff(client, desk.me.email)
    token = csrf_token(client, f"/staff/cases/{case.id}")

    answer = client.post(f"/staff/cases/{case.id}/status", data={"status": "in_progress", "csrf_token": token})

    assert answer.status_code == 422 and "already has that status" in _group(answer.text, "status")


def test_the_error_reads_in_spanish(client, uow, worked):
    case, token = worked

    answer = client.post(f"/staff/cases/{case.id}/status", headers={"Accept-Language": "es"},
                         data={"status": "resolved", "csrf_token": token})

    assert answer.status_code == 422
    assert "para resolver o cerrar un caso hace falta un motivo" in _group(answer.text, "reason")
    assert "Hay un problema" in answer.text


def test_a_good_form_still_changes_the_case_and_goes_back_to_it(client, uow, worked):
    case, token = worked

    answer = client.post(f"/staff/cases/{case.id}/status", follow_redirects=False,
                         data={"status": "resolved", "reason": "Filled", "csrf_token": token})

    assert answer.status_code == 303 and answer.headers["location"] == f"/staff/cases/{case.id}"
    with uow() as session:
        assert session.get(Case, case.id).status is CaseStatus.RESOLVED
