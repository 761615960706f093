"""The person's consents: a receipt to read and download, a confirmation before withdrawing, giving again."""

from __future__ import annotations

import pytest

from govcx.consent.models import Consent, ConsentStatus
from tests.factories import consent as consent_factories
from tests.factories.consent import SIGNER
from tests.once_only import INTEREST
from tests.web.helpers import csrf_token, h1_count, sign_in_citizen


@pytest.fixture
def given(uow, clock, cast):
    with uow() as session:
        return consent_factories.consent(session, clock, subject_id=cast.ana.id, requester_id=cast.tax.id,
                                         attributes=[INTEREST]).id


def _statuses(uow, subject_id) -> list[ConsentStatus]:  # noqa: ANN001
    with uow() as session:
        return sorted(c.status for c in session.query(Consent).filter(Consent.subject_id == subject_id))


def test_the_consents_page_says_the_purpose_in_plain_words_and_links_the_receipt(client, cast, given):
    sign_in_citizen(client, "NID-7700-1234")

    page = client.get("/me/consents").text

    assert "Providing a service" in page and "To give you a service you applied for" in page
    assert "ServiceProvision" not in page and INTEREST not in page and "Interest statement" in page
    assert f'href="/me/consents/{given}/receipt"' in page
    assert f'href="/me/consents/{given}/withdraw"' in page  # withdrawing asks first


def test_the_receipt_reads_plainly_and_downloads_as_the_signed_file(client, given):
    sign_in_citizen(client, "NID-7700-1234")

    page = client.get(f"/me/consents/{given}/receipt")
    file = client.get(f"/me/consents/{given}/receipt.jws")

    assert page.status_code == 200 and h1_count(page.text) == 1 and str(given) in page.text
    assert "Active" in page.text and "Tax Agency" in page.text
    assert file.status_code == 200 and file.headers["content-type"].startswith("application/jose")
    assert f'filename="consent-receipt-{given}.jws"' in file.headers["content-disposition"]
    assert SIGNER.verify(file.text)["consentReceiptID"] == str(given)


def test_another_persons_receipt_answers_like_a_missing_one(client, given):
    sign_in_citizen(client, "NID-8800-5678")

    assert client.get(f"/me/consents/{given}/receipt").status_code == 404
    assert client.get(f"/me/consents/{given}/receipt.jws").status_code == 404
    assert client.get(f"/me/consents/{given}/withdraw").status_code == 404


def test_withdrawing_asks_first_then_the_consent_can_be_given_again(client, uow, cast, given):
    sign_in_citizen(client, "NID-7700-1234")

    confirm = client.get(f"/me/consents/{given}/withdraw")
    token = csrf_token(client, "/me/consents")
    statuses_after_looking = _statuses(uow, cast.ana.id)
    client.post(f"/me/consents/{given}", data={"csrf_token": token, "action": "withdraw"})
    withdrawn_page = client.get("/me/consents").text
    again = client.post(f"/me/consents/{given}/give-again", data={"csrf_token": token}, follow_redirects=False)

    assert confirm.status_code == 200 and "Yes, withdraw my consent" in confirm.text
    assert statuses_after_looking == [ConsentStatus.ACTIVE]  # looking at the question changes nothing
    assert "Give consent again" in withdrawn_page
    assert again.status_code == 303 and "gave your consent again" in client.get(again.headers["location"]).text
    assert _statuses(uow, cast.ana.id) == sorted([ConsentStatus.WITHDRAWN, ConsentStatus.ACTIVE])


def test_an_active_consent_cannot_be_given_again_and_a_forged_post_changes_nothing(client, uow, cast, given):
    sign_in_citizen(client, "NID-7700-1234")
    token = csrf_token(client, "/me/consents")

    active = client.post(f"/me/consents/{given}/give-again", data={"csrf_token": token})
    forged = client.post(f"/me/consents/{given}/give-again", data={})

    assert active.status_code == 409 and forged.status_code == 403
    assert _statuses(uow, cast.ana.id) == [ConsentStatus.ACTIVE]


def test_the_api_gives_a_withdrawn_consent_again_and_refuses_an_active_one(client, uow, cast, given):
    sign_in_citizen(client, "NID-7700-1234")
    headers = {"X-CSRF-Token": csrf_token(client, "/me")}

    active = client.post(f"/api/v1/me/consents/{given}/give-again", headers=headers)
    client.post(f"/api/v1/me/consents/{given}/actions", headers=headers, json={"action": "withdraw"})
    again = client.post(f"/api/v1/me/consents/{given}/give-again", headers=headers)

    assert active.status_code == 409
    assert again.status_code == 201 and again.json()["status"] == "active" and again.json()["id"] != str(given)
    assert again.json()["attributes"] == [INTEREST]
