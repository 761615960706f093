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
