"""The seed's example, end to end over HTTP: consent, ask, see it, withdraw, denied and logged."""

from tests.once_only import INTEREST


def test_a_person_shares_bank_interest_with_the_tax_agency_sees_it_used_and_withdrawal_stops_it(
    client, cast, key_for, as_citizen
):
    tax = key_for(cast.tax)
    asked = client.post("/api/v1/consents", headers=tax, json={
        "subject_id": str(cast.ana.id), "attributes": [INTEREST], "purpose": "ServiceProvision",
        "purpose_text": "Check eligibility for the interest deduction",
    })
    assert asked.status_code == 201 and asked.json()["source_name"] == "First Bank"
    consent_id = asked.json()["id"]

    csrf = as_citizen("NID-7700-1234")
    given = client.post(f"/api/v1/me/consents/{consent_id}/actions", headers=csrf, json={"action": "give"})
    assert given.json()["status"] == "active"

    request = {"subject_id": str(cast.ana.id), "attributes": [INTEREST], "purpose": "ServiceProvision"}
    answer = client.post("/api/v1/exchange/requests", headers=tax, json=request)
    assert answer.status_code == 200
    facts = answer.json()["facts"]
    assert [(f["attribute_key"], f["value"]) for f in facts] == [(INTEREST, "412.50")]
    assert facts[0]["provenance"]["source_name"] == "First Bank"

    used = client.get("/api/v1/me/access-log").json()["items"]
    assert [(e["requester_name"], e["decision"], e["attributes"]) for e in used] == [
        ("Tax Agency", "permit", [INTEREST])]
    assert used[0]["basis"] == "Check eligibility for the interest deduction"

    client.post(f"/api/v1/me/consents/{consent_id}/actions", headers=csrf, json={"action": "withdraw"})
    denied = client.post("/api/v1/exchange/requests", headers=tax, json=request)

    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"
    assert denied.json()["reason"] == "consent_withdrawn"
    assert "withdrawn" in denied.json()["detail"]
    log = client.get("/api/v1/me/access-log").json()["items"]
    assert [(e["decision"], e["reason"]) for e in log] == [("deny", "consent_withdrawn"), ("permit", "consent")]
