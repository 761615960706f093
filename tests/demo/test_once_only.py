"""The demo's once-only layer: the citizen sees facts, consents and a year of use; the log verifies."""

from starlette.testclient import TestClient

from govcx.core.signing import Signer
from govcx.exchange import service as exchange
from govcx.exchange.witness import witness_from
from tests.web.helpers import sign_in_citizen


def test_the_demo_citizen_sees_facts_a_standing_consent_and_a_year_of_uses(demo, credentials, truth, app):
    with TestClient(app) as browser:
        sign_in_citizen(browser, credentials["citizen"]["national_id"])
        data = {f["attribute_key"]: f["provenance"]["source_name"] for f in browser.get("/api/v1/me/data").json()["items"]}
        consents = browser.get("/api/v1/me/consents").json()["items"]
        log = browser.get("/api/v1/me/access-log").json()["items"]

    assert data["bank.interest_statement"] == "First Bank of Valdoria" and "tax.annual_income" in data
    # The tax board's standing consent (the notify layer adds the citizen's consent to personal suggestions).
    assert ("Tax and Customs Board", "active") in [(c["requester_name"], c["status"]) for c in consents]
    assert log and all(e["decision"] == "permit" and e["requester_name"] == "Tax and Customs Board" for e in log
                       if e["reason"] == "consent")


def test_the_demo_access_log_verifies_and_holds_the_planted_denials(demo, truth, settings, engine):
    with engine.connect() as connection:
        report = exchange.verify(connection=connection, jwks=Signer.from_secret(settings.secret).jwks(),
                                 witness=witness_from(settings))

    planted = next(e for e in truth["effects"] if e["name"] == "unlawful_data_requests")
    assert report.ok and report.entries == truth["once_only"]["access_log_entries"], report.problem
    assert report.witnessed_entries == report.entries  # the demo's log is witnessed to its last entry
    denials = truth["once_only"]["decisions_by_agency"][f"{planted['parameters']['agency']}:deny"]
    assert denials == planted["measured"]["denials"] > 0


def test_no_demo_agency_can_grant_itself_a_law_and_the_demo_citizen_sees_the_laws_about_her(
        demo, credentials, truth, app):
    with TestClient(app) as client:
        bases = client.get("/api/v1/legal-bases", headers={"X-API-Key": credentials["api_keys"][0]["key"]}).json()
        refused = []
        for key in credentials["api_keys"]:
            headers = {"X-API-Key": key["key"]}
            basis = bases["items"][0]
            refused += [
                client.post("/api/v1/legal-bases", headers=headers, json={
                    "title": "Made-up Act", "citation": "Made-up Act §1", "agency_id": basis["agency_id"],
                    "purpose": "LegalCompliance", "attributes": basis["attributes"],
                    "valid_from": "2020-01-01T00:00:00Z"}).status_code,
                client.patch(f"/api/v1/legal-bases/{basis['id']}", headers=headers,
                             json={"citation": "Made-up Act §2", "note": "x"}).status_code,
            ]
        history = client.get(f"/api/v1/legal-bases/{bases['items'][0]['id']}",
                             headers={"X-API-Key": credentials["api_keys"][0]["key"]}).json()["changes"]
        sign_in_citizen(client, credentials["citizen"]["national_id"])
        laws = client.get("/api/v1/me/legal-bases").json()

    assert all("legal-basis:admin" not in key["scopes"] for key in credentials["api_keys"])
    assert set(refused) == {403} and len(bases["items"]) == truth["once_only"]["legal_bases"]
    assert [c["kind"] for c in history] == ["created"]
    assert laws and all(law["in_force"] and law["changes"][0]["kind"] == "created" for law in laws)
