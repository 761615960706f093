"""Consent changes and data uses reach the person timeline, for those allowed to see them."""

from tests.once_only import INTEREST


def _share_interest_with_tax(client, cast, key_for, as_citizen, clock):
    tax = key_for(cast.tax)
    asked = client.post("/api/v1/consents", headers=tax, json={
        "subject_id": str(cast.ana.id), "attributes": [INTEREST], "purpose": "ServiceProvision",
        "purpose_text": "Check eligibility for the interest deduction",
    }).json()
    csrf = as_citizen("NID-7700-1234")
    clock.advance(minutes=5)
    client.post(f"/api/v1/me/consents/{asked['id']}/actions", headers=csrf, json={"action": "give"})
    clock.advance(days=2)
    request = {"subject_id": str(cast.ana.id), "attributes": [INTEREST], "purpose": "ServiceProvision"}
    assert client.post("/api/v1/exchange/requests", headers=tax, json=request).status_code == 200
    client.cookies.clear()  # from here on only the agencies' keys speak


def test_the_asking_agency_sees_the_consent_and_the_data_use_on_the_timeline(client, cast, key_for, as_citizen, clock):
    _share_interest_with_tax(client, cast, key_for, as_citizen, clock)

    items = client.get(f"/api/v1/persons/{cast.ana.id}/timeline", headers=key_for(cast.tax)).json()["items"]
    titles = [(i["type"], i["title"]) for i in items]

    assert titles[0] == ("data_use", f"Tax Agency received {INTEREST}")
    assert ("consent", "Consent given") in titles and ("consent", "Consent asked for") in titles


def test_another_agency_does_not_see_who_shared_what_with_whom(client, cast, key_for, as_citizen, clock):
    _share_interest_with_tax(client, cast, key_for, as_citizen, clock)

    items = client.get(f"/api/v1/persons/{cast.ana.id}/timeline", headers=key_for(cast.transport)).json()["items"]

    assert {i["type"] for i in items}.isdisjoint({"consent", "data_use"})


def test_filtering_the_timeline_by_type_keeps_only_data_uses(client, cast, key_for, as_citizen, clock):
    _share_interest_with_tax(client, cast, key_for, as_citizen, clock)

    items = client.get(f"/api/v1/persons/{cast.ana.id}/timeline", params={"type": "data_use"},
                       headers=key_for(cast.tax)).json()["items"]

    assert [i["type"] for i in items] == ["data_use"]


def test_staff_see_which_facts_are_held_and_by_whom_but_not_the_values(client, cast, key_for):
    body = client.get(f"/api/v1/persons/{cast.ana.id}/timeline", headers=key_for(cast.transport)).json()

    held = {f["key"]: f for f in body["facts"]}

    assert held[INTEREST]["source"] == "First Bank"
    assert "412.50" not in str(body)
