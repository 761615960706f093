"""The person's API for applications: filed with the vault's values and their own, followed by id, only theirs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from govcx.crm.models import Case
from tests.factories.selfservice import CHILDREN, EMAIL, NAME, town
from tests.web.helpers import csrf_token, sign_in_citizen


@pytest.fixture
def place(uow, clock, cipher):
    with uow() as session:
        return town(session, clock, cipher)


def _signed_in(client, national_id: str) -> dict[str, str]:
    sign_in_citizen(client, national_id)
    return {"X-CSRF-Token": csrf_token(client, "/me")}


def test_an_application_through_the_api_is_a_case_with_each_values_source(client, place):
    headers = _signed_in(client, "NID-7700-1234")

    filed = client.post(f"/api/v1/me/services/{place.benefit.id}/applications", headers=headers,
                        json={"answers": {CHILDREN: "3", EMAIL: "ana@example.org"}})
    read = client.get(f"/api/v1/me/cases/{filed.json()['case']['id']}")

    assert filed.status_code == 201 and read.status_code == 200
    answers = {a["attribute_key"]: a for a in read.json()["answers"]}
    assert answers[NAME] == {"attribute_key": NAME, "attribute_name": "Name", "value": "Ana Lopez",
                             "source_name": "Population Register", "from_vault": True}
    assert answers[CHILDREN]["value"] == "3" and not answers[CHILDREN]["from_vault"]
    assert read.json()["case"]["agency_id"] == str(place.soc.id)


def test_bad_answers_are_a_problem_detail_naming_each_field_and_file_nothing(client, uow, place):
    headers = _signed_in(client, "NID-7700-1234")

    refused = client.post(f"/api/v1/me/services/{place.benefit.id}/applications", headers=headers,
                          json={"answers": {NAME: "Someone Else", CHILDREN: "many"}})
    forged = client.post(f"/api/v1/me/services/{place.benefit.id}/applications",
                         json={"answers": {CHILDREN: "1", EMAIL: "a@example.org"}})

    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["fields"] == {NAME: "held", CHILDREN: "format", EMAIL: "missing"}
    assert forged.status_code == 403
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_another_persons_case_is_not_found(client, place):
    headers = _signed_in(client, "NID-7700-1234")
    case_id = client.post(f"/api/v1/me/services/{place.benefit.id}/applications", headers=headers,
                          json={"answers": {CHILDREN: "1", EMAIL: "a@example.org"}}).json()["case"]["id"]
    client.post("/sign-out", data={"csrf_token": headers["X-CSRF-Token"]})
    _signed_in(client, "NID-8800-5678")

    assert client.get(f"/api/v1/me/cases/{case_id}").status_code == 404
