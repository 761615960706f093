"""The seed's example from the portal, with plain forms (no JavaScript), and the three pages' basics."""

import re

from tests.once_only import INTEREST
from tests.web.helpers import h1_count

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _token(page: str) -> str:
    return _TOKEN.search(page).group(1)


def test_from_the_portal_a_person_consents_sees_the_use_and_withdrawal_stops_the_next_ask(
    client, cast, key_for, as_citizen
):
    tax = key_for(cast.tax)
    consent_id = client.post("/api/v1/consents", headers=tax, json={
        "subject_id": str(cast.ana.id), "attributes": [INTEREST], "purpose": "ServiceProvision",
        "purpose_text": "Check eligibility for the interest deduction"}).json()["id"]
    as_citizen("NID-7700-1234")

    page = client.get("/me/consents").text
    given = client.post(f"/me/consents/{consent_id}", data={"action": "give", "csrf_token": _token(page)},
                        follow_redirects=False)
    asked = client.post("/api/v1/exchange/requests", headers=tax, json={
        "subject_id": str(cast.ana.id), "attributes": [INTEREST], "purpose": "ServiceProvision"})
    used = client.get("/me/access-log").text
    page = client.get("/me/consents").text
    client.post(f"/me/consents/{consent_id}", data={"action": "withdraw", "csrf_token": _token(page)})
    denied = client.post("/api/v1/exchange/requests", headers=tax, json={
        "subject_id": str(cast.ana.id), "attributes": [INTEREST], "purpose": "ServiceProvision"})
    after = client.get("/me/access-log").text

    assert given.status_code == 303 and asked.status_code == 200 and denied.status_code == 403
    assert "Tax Agency" in used and "Shared" in used and "Check eligibility for the interest deduction" in used
    assert "Refused" in after and "You had withdrawn your consent" in after
    assert "Withdrawn" in client.get("/me/consents").text


def test_a_consent_form_posted_without_its_token_changes_nothing(client, cast, key_for, as_citizen):
    consent_id = client.post("/api/v1/consents", headers=key_for(cast.tax), json={
        "subject_id": str(cast.ana.id), "attributes": [INTEREST], "purpose": "ServiceProvision",
        "purpose_text": "Interest deduction"}).json()["id"]
    as_citizen("NID-7700-1234")

    refused = client.post(f"/me/consents/{consent_id}", data={"action": "give"})

    assert refused.status_code == 403
    assert "Waiting for you" in client.get("/me/consents").text


def test_my_data_shows_each_fact_with_its_source_and_only_mine(client, cast, as_citizen):
    as_citizen("NID-8800-5678")  # Bob

    page = client.get("/me/data").text

    assert "97.10" in page and "First Bank" in page and "412.50" not in page
    assert h1_count(page) == 1


def test_the_three_pages_need_a_signed_in_person_and_appear_in_the_citizen_navigation(client, cast, as_citizen):
    anonymous = [client.get(p).status_code for p in ("/me/data", "/me/consents", "/me/access-log")]
    as_citizen("NID-7700-1234")

    pages = [client.get(p) for p in ("/me/data", "/me/consents", "/me/access-log")]

    assert anonymous == [401, 401, 401]
    assert all(p.status_code == 200 and h1_count(p.text) == 1 for p in pages)
    assert all(link in pages[0].text for link in ('href="/me/consents"', 'href="/me/access-log"'))
