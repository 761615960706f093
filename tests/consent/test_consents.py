import pytest

from govcx.core.accounts import Role, Scope
from govcx.core.signing import verify_with_jwks
from tests.factories import consent as consent_factories
from tests.factories import registry as factories
from tests.once_only import INTEREST


def _ask(client, cast, key, **extra):
    return client.post("/api/v1/consents", headers=key, json={
        "subject_id": str(cast.ana.id), "attributes": [INTEREST], "purpose": "ServiceProvision",
        "purpose_text": "Check eligibility for the interest deduction", **extra}).json()


def test_a_person_gives_pauses_resumes_and_withdraws_and_each_change_is_in_the_event_log(
    client, cast, key_for, as_citizen
):
    consent = _ask(client, cast, key_for(cast.tax))
    csrf = as_citizen("NID-7700-1234")

    states = [client.post(f"/api/v1/me/consents/{consent['id']}/actions", headers=csrf, json={"action": a})
              .json()["status"] for a in ("give", "pause", "resume", "withdraw")]

    mine = client.get(f"/api/v1/me/consents/{consent['id']}").json()
    assert states == ["active", "paused", "active", "withdrawn"]
    assert [(e["from_status"], e["to_status"], e["actor"]) for e in mine["events"]] == [
        (None, "requested", "controller"), ("requested", "active", "subject"), ("active", "paused", "subject"),
        ("paused", "active", "subject"), ("active", "withdrawn", "subject")]
    assert mine["actions"] == []


def test_a_move_the_state_machine_forbids_is_a_409_and_changes_nothing(client, cast, key_for, as_citizen):
    consent = _ask(client, cast, key_for(cast.tax))
    csrf = as_citizen("NID-7700-1234")

    refused = client.post(f"/api/v1/me/consents/{consent['id']}/actions", headers=csrf, json={"action": "resume"})
    bad = client.post(f"/api/v1/me/consents/{consent['id']}/actions", headers=csrf, json={"action": "explode"})

    assert (refused.status_code, bad.status_code) == (409, 422)
    mine = client.get(f"/api/v1/me/consents/{consent['id']}").json()
    assert mine["status"] == "requested" and len(mine["events"]) == 1 and mine["actions"] == ["give", "refuse"]


def test_a_json_consent_action_without_the_csrf_header_is_refused(client, cast, key_for, as_citizen):
    consent = _ask(client, cast, key_for(cast.tax))
    as_citizen("NID-7700-1234")

    refused = client.post(f"/api/v1/me/consents/{consent['id']}/actions", json={"action": "give"})

    assert refused.status_code == 403
    assert client.get(f"/api/v1/me/consents/{consent['id']}").json()["status"] == "requested"


def test_a_standing_consent_expires_when_its_window_ends(client, cast, key_for, as_citizen, clock):
    until = clock.now().replace(year=clock.now().year + 1)
    consent = _ask(client, cast, key_for(cast.tax), valid_until=until.isoformat())
    csrf = as_citizen("NID-7700-1234")
    client.post(f"/api/v1/me/consents/{consent['id']}/actions", headers=csrf, json={"action": "give"})

    clock.advance(days=366)
    as_citizen("NID-7700-1234")  # a year later, a new session

    mine = client.get("/api/v1/me/consents").json()["items"]
    assert [(c["status"], c["events"][-1]["actor"]) for c in mine] == [("expired", "clock")]


def test_person_a_never_reads_or_acts_on_person_bs_consents(client, cast, key_for, as_citizen):
    consent = _ask(client, cast, key_for(cast.tax))
    csrf = as_citizen("NID-8800-5678")  # Bob

    assert client.get("/api/v1/me/consents").json()["items"] == []
    assert client.get(f"/api/v1/me/consents/{consent['id']}").status_code == 404
    assert client.get(f"/api/v1/me/consents/{consent['id']}/receipt").status_code == 404
    assert client.post(f"/api/v1/me/consents/{consent['id']}/actions", headers=csrf,
                       json={"action": "give"}).status_code == 404


def test_agency_a_never_reads_or_revokes_agency_bs_consent(client, cast, key_for):
    consent = _ask(client, cast, key_for(cast.tax))
    other = key_for(cast.transport)

    assert client.get(f"/api/v1/consents/{consent['id']}", headers=other).status_code == 404
    assert client.post(f"/api/v1/consents/{consent['id']}/revoke", headers=other).status_code == 404


def test_a_receipt_verifies_with_the_published_key_and_fails_after_any_change(client, cast, key_for, as_citizen):
    consent = _ask(client, cast, key_for(cast.tax))
    csrf = as_citizen("NID-7700-1234")
    client.post(f"/api/v1/me/consents/{consent['id']}/actions", headers=csrf, json={"action": "give"})

    receipt = client.get(f"/api/v1/me/consents/{consent['id']}/receipt").json()["receipt"]
    jwks = client.get("/.well-known/jwks.json").json()

    claims = verify_with_jwks(receipt, jwks)
    assert claims["consentReceiptID"] == consent["id"] and claims["status"] == "active"
    assert claims["services"][0]["purposes"][0]["piiCategory"] == [INTEREST]
    for i, char in enumerate(receipt):
        changed = receipt[:i] + ("A" if char != "A" else "B") + receipt[i + 1:]
        assert verify_with_jwks(changed, jwks) is None, f"a change at character {i} still verified"


def test_the_signing_key_survives_a_restart(app, settings, clock):
    from govcx.app import create_app

    again = create_app(settings, clock=clock)

    assert again.state.signer.jwks() == app.state.signer.jwks()


@pytest.mark.parametrize("role", list(Role))
def test_among_staff_roles_only_platform_admin_may_keep_the_legal_bases(role):
    from govcx.core.accounts import ROLE_SCOPES

    assert (Scope.LEGAL_BASIS_ADMIN in ROLE_SCOPES[role]) == (role is Role.PLATFORM_ADMIN)


def test_a_consent_for_attributes_outside_the_catalogue_is_refused_and_nothing_is_stored(
    client, cast, key_for, as_citizen
):
    refused = client.post("/api/v1/consents", headers=key_for(cast.tax), json={
        "subject_id": str(cast.ana.id), "attributes": ["bank.secret_stash"], "purpose": "ServiceProvision",
        "purpose_text": "x"})
    as_citizen("NID-7700-1234")

    assert refused.status_code == 422
    assert client.get("/api/v1/me/consents").json()["items"] == []


