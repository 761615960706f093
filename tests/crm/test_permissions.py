"""Acceptance point 2: other agencies' staff follow, but neither read private notes nor change cases."""

from tests.factories import crm as crm_factories
from tests.web.helpers import csrf_token, sign_in_staff


def test_staff_of_another_agency_see_its_interactions_without_its_private_notes(
    client, uow, clock, gov, staff_email
):
    with uow() as session:
        crm_factories.interaction(session, clock, gov.transport, gov.ana.id, notes="Seemed upset about the fine")
        crm_factories.interaction(session, clock, gov.transport, gov.ana.id, notes="Sent the form by post",
                                  notes_shared=True)
    sign_in_staff(client, staff_email(gov.tax))

    items = client.get(f"/api/v1/persons/{gov.ana.id}/timeline").json()["items"]

    assert len(items) == 2
    assert all(i["agency_name"] == "Transport Agency" for i in items)
    assert not any("upset" in (i["detail"] or "") for i in items)
    assert any("Sent the form by post" in (i["detail"] or "") for i in items)


def test_the_owning_agency_reads_its_own_private_notes(client, uow, clock, gov, key_for):
    with uow() as session:
        interaction = crm_factories.interaction(session, clock, gov.transport, gov.ana.id, notes="Private")

    own = client.get(f"/api/v1/interactions/{interaction.id}", headers=key_for(gov.transport))
    other = client.get(f"/api/v1/interactions/{interaction.id}", headers=key_for(gov.tax))

    assert own.json()["notes"] == "Private"
    assert other.json()["notes"] is None


def test_staff_of_another_agency_cannot_change_a_case_and_get_a_403_problem(
    client, uow, clock, gov, staff_email
):
    with uow() as session:
        case = crm_factories.case(session, clock, gov.tax, gov.pothole.id, gov.ana.id)
    sign_in_staff(client, staff_email(gov.tax))
    headers = {"X-CSRF-Token": csrf_token(client, "/staff")}

    answers = [
        client.post(f"/api/v1/cases/{case.id}/status", headers=headers, json={"status": "in_progress"}),
        client.post(f"/api/v1/cases/{case.id}/notes", headers=headers, json={"note": "hello"}),
        client.post(f"/api/v1/cases/{case.id}/transfer", headers=headers, json={"agency_id": str(gov.tax.id)}),
        client.post(f"/api/v1/cases/{case.id}/assignment", headers=headers, json={"assignee_id": None}),
    ]

    assert [a.status_code for a in answers] == [403, 403, 403, 403]
    assert all(a.headers["content-type"] == "application/problem+json" for a in answers)
    read = client.get(f"/api/v1/cases/{case.id}").json()
    assert read["status"] == "open" and [e["kind"] for e in read["events"]] == ["opened"]


def test_a_staff_write_through_the_api_without_the_csrf_token_is_refused(client, uow, clock, gov, staff_email):
    with uow() as session:
        case = crm_factories.case(session, clock, gov.transport, gov.pothole.id, gov.ana.id)
    sign_in_staff(client, staff_email(gov.transport))

    answer = client.post(f"/api/v1/cases/{case.id}/status", json={"status": "in_progress"})

    assert answer.status_code == 403
    assert client.get(f"/api/v1/cases/{case.id}").json()["status"] == "open"


def test_a_key_without_crm_scopes_cannot_read_a_timeline(client, gov, key_for):
    from govcx.core.accounts import Scope

    answer = client.get(f"/api/v1/persons/{gov.ana.id}/timeline", headers=key_for(gov.tax, Scope.REGISTRY_READ))

    assert answer.status_code == 403
    assert answer.json()["required_scope"] == "crm:read"
