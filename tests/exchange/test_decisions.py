import pytest

from govcx.consent.models import Purpose
from govcx.consent.schemas import ConsentAction
from govcx.consent import service as consent_service
from tests.factories import consent as consent_factories
from tests.factories import registry as factories
from tests.once_only import ADDRESS, INTEREST


def _ask(client, key, subject, attributes=(INTEREST,), purpose="ServiceProvision", **extra):
    return client.post("/api/v1/exchange/requests", headers=key, json={
        "subject_id": str(subject.id), "attributes": list(attributes), "purpose": purpose, **extra})


def _log(client, as_citizen, national_id="NID-7700-1234"):
    as_citizen(national_id)
    return [(e["decision"], e["reason"]) for e in client.get("/api/v1/me/access-log").json()["items"]]


def _consent(uow, clock, cast, **kwargs):
    with uow() as session:
        return consent_factories.consent(session, clock, subject_id=cast.ana.id, requester_id=cast.tax.id,
                                         attributes=[INTEREST], **kwargs)


def _act(uow, clock, consent, action):
    with uow() as session:
        consent_service.act(session=session, consent_id=consent.id, action=action, clock=clock,
                            signer=consent_factories.SIGNER, person_id=consent.subject_id)


@pytest.mark.parametrize(("arrange", "ask", "reason"), [
    (None, {}, "no_consent_or_legal_basis"),
    ("consent", {"attributes": [INTEREST, "bank.mortgage_balance"]}, "attribute_not_covered"),
    ("paused", {}, "consent_paused"),
    ("expired", {}, "consent_expired"),
    ("withdrawn", {}, "consent_withdrawn"),
    ("consent", {"purpose": "ResearchAndDevelopment"}, "purpose_mismatch"),
    ("requested", {}, "consent_not_given"),
])
def test_a_request_without_a_fitting_active_consent_is_denied_with_its_reason_and_logged(
    client, cast, key_for, uow, clock, as_citizen, arrange, ask, reason
):
    if arrange is not None:
        consent = _consent(uow, clock, cast, give=arrange != "requested",
                           valid_until=clock.now().replace(year=2027) if arrange == "expired" else None)
        if arrange == "paused":
            _act(uow, clock, consent, ConsentAction.PAUSE)
        if arrange == "withdrawn":
            _act(uow, clock, consent, ConsentAction.WITHDRAW)
        if arrange == "expired":
            clock.advance(days=400)

    denied = _ask(client, key_for(cast.tax), cast.ana, **ask)

    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"
    assert denied.json()["reason"] == reason and "facts" not in denied.json()
    assert _log(client, as_citizen) == [("deny", reason)]


def test_agency_a_cannot_use_agency_bs_consent_even_by_citing_it(client, cast, key_for, uow, clock, as_citizen):
    consent = _consent(uow, clock, cast)

    denied = _ask(client, key_for(cast.transport), cast.ana, consent_id=str(consent.id))

    assert denied.status_code == 403 and denied.json()["reason"] == "no_consent_or_legal_basis"
    assert _log(client, as_citizen) == [("deny", "no_consent_or_legal_basis")]


def test_a_consent_from_one_person_opens_nothing_about_another(client, cast, key_for, uow, clock, as_citizen):
    consent = _consent(uow, clock, cast)

    denied = _ask(client, key_for(cast.tax), cast.bob, consent_id=str(consent.id))

    assert denied.status_code == 403
    assert _log(client, as_citizen, "NID-8800-5678") == [("deny", "no_consent_or_legal_basis")]
    assert _log(client, as_citizen, "NID-7700-1234") == []


def test_a_legal_basis_permits_without_consent_and_the_person_sees_the_law_cited(
    client, cast, key_for, uow, clock, as_citizen
):
    with uow() as session:
        svc = factories.catalogue_service(session, clock, cast.tax)
        consent_factories.legal_basis(session, clock, agency_id=cast.tax.id, attributes=[INTEREST, ADDRESS],
                                      service_id=svc.id)

    answer = _ask(client, key_for(cast.tax), cast.ana, purpose="LegalCompliance", service_id=str(svc.id))
    other_service = _ask(client, key_for(cast.tax), cast.ana, purpose="LegalCompliance")

    assert answer.status_code == 200 and answer.json()["reason"] == "legal_basis"
    assert [f["attribute_key"] for f in answer.json()["facts"]] == [INTEREST]
    assert other_service.status_code == 403
    as_citizen("NID-7700-1234")
    permit = client.get("/api/v1/me/access-log").json()["items"][-1]
    assert permit["basis"] == "Income Tax Act §12(3)"


def test_bad_input_is_a_422_and_nothing_is_logged(client, cast, key_for, as_citizen):
    key = key_for(cast.tax)
    unknown_attribute = _ask(client, key, cast.ana, attributes=["bank.secret_stash"])
    bad_purpose = _ask(client, key, cast.ana, purpose="Curiosity")
    nobody = client.post("/api/v1/exchange/requests", headers=key, json={
        "subject_id": str(cast.tax.id), "attributes": [INTEREST], "purpose": "ServiceProvision"})

    assert [r.status_code for r in (unknown_attribute, bad_purpose, nobody)] == [422, 422, 422]
    assert _log(client, as_citizen) == []


def test_a_key_without_the_exchange_scope_cannot_ask(client, cast, key_for, uow, clock, as_citizen):
    from govcx.core.accounts import Scope

    _consent(uow, clock, cast)

    refused = _ask(client, key_for(cast.tax, Scope.REGISTRY_READ), cast.ana)

    assert refused.status_code == 403
    assert _log(client, as_citizen) == []


def test_a_one_off_request_waits_for_the_persons_preview_then_shares_once(
    client, cast, key_for, uow, clock, as_citizen
):
    _consent(uow, clock, cast, one_off=True, requires_preview=True)
    tax = key_for(cast.tax)

    pending = _ask(client, tax, cast.ana)
    csrf = as_citizen("NID-7700-1234")
    preview = client.get("/api/v1/me/data-requests").json()["items"]
    settled = client.post(f"/api/v1/me/data-requests/{pending.json()['request_id']}", headers=csrf,
                          json={"share": True})
    fetched = client.get(f"/api/v1/exchange/requests/{pending.json()['request_id']}", headers=tax)
    again = _ask(client, tax, cast.ana)

    assert pending.status_code == 202 and pending.json()["facts"] == []
    assert [(p["requester_name"], [f["value"] for f in p["facts"]]) for p in preview] == [("Tax Agency", ["412.50"])]
    assert settled.json()["status"] == "answered"
    assert [f["value"] for f in fetched.json()["facts"]] == ["412.50"]
    assert again.status_code == 403 and again.json()["reason"] == "consent_expired"
    assert _log(client, as_citizen) == [("deny", "consent_expired"), ("permit", "consent")]


def test_a_person_who_declines_the_preview_shares_nothing_and_it_is_logged(
    client, cast, key_for, uow, clock, as_citizen
):
    _consent(uow, clock, cast, one_off=True, requires_preview=True)
    tax = key_for(cast.tax)
    pending = _ask(client, tax, cast.ana).json()
    csrf = as_citizen("NID-7700-1234")

    client.post(f"/api/v1/me/data-requests/{pending['request_id']}", headers=csrf, json={"share": False})

    assert client.get(f"/api/v1/exchange/requests/{pending['request_id']}", headers=tax).json()["facts"] == []
    assert _log(client, as_citizen) == [("deny", "declined_by_person")]


def test_the_access_log_is_paged_newest_first(client, cast, key_for, as_citizen):
    for _ in range(3):
        _ask(client, key_for(cast.tax), cast.ana)
    as_citizen("NID-7700-1234")

    first = client.get("/api/v1/me/access-log", params={"limit": 2}).json()
    second = client.get("/api/v1/me/access-log", params={"limit": 2, "cursor": first["next_cursor"]}).json()

    seqs = [e["seq"] for e in first["items"] + second["items"]]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 3 and second["next_cursor"] is None


def test_a_purpose_is_a_dpv_name():
    assert Purpose("ServiceProvision") is Purpose.SERVICE_PROVISION
