from sqlalchemy import select

from govcx.vault.models import Fact
from tests.once_only import ADDRESS, EMAIL, INCOME


def test_only_the_authoritative_source_records_a_fact_and_a_refusal_changes_nothing(client, cast, key_for):
    fact = {"subject_id": str(cast.ana.id), "attribute_key": ADDRESS, "value": "9 Elm Road"}

    refused = client.post("/api/v1/vault/facts", json=fact, headers=key_for(cast.tax))
    mine = client.get("/api/v1/me/data")  # not signed in: nobody's data leaks either

    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert mine.status_code == 401
    history = client.get(f"/api/v1/vault/facts/{cast.ana.id}/{ADDRESS}/history", headers=key_for(cast.pop)).json()
    assert [v["value"] for v in history["items"]] == ["1 Main St"]


def test_a_new_value_becomes_current_and_the_old_one_stays_in_the_history(client, cast, key_for):
    pop = key_for(cast.pop)
    recorded = client.post("/api/v1/vault/facts", headers=pop, json={
        "subject_id": str(cast.ana.id), "attribute_key": ADDRESS, "value": "9 Elm Road", "evidence": "move notice 77"})

    history = client.get(f"/api/v1/vault/facts/{cast.ana.id}/{ADDRESS}/history", headers=pop).json()["items"]
    assert recorded.status_code == 201
    assert recorded.json()["provenance"] | {"recorded_at": None} == {
        "source_kind": "agency", "source_id": str(cast.pop.id), "source_name": "Population Register",
        "evidence": "move notice 77", "verified": True, "self_declared": False, "valid_from": None,
        "valid_to": None, "recorded_at": None}
    assert [(v["version"], v["value"]) for v in history] == [(2, "9 Elm Road"), (1, "1 Main St")]


def test_a_fact_about_nobody_or_outside_the_catalogue_is_refused(client, cast, key_for):
    pop = key_for(cast.pop)
    nobody = client.post("/api/v1/vault/facts", headers=pop, json={
        "subject_id": str(cast.tax.id), "attribute_key": ADDRESS, "value": "x"})
    unknown = client.post("/api/v1/vault/facts", headers=pop, json={
        "subject_id": str(cast.ana.id), "attribute_key": "pop.shoe_size", "value": "42"})

    assert (nobody.status_code, unknown.status_code) == (422, 422)


def test_sensitive_values_are_sealed_at_rest_with_their_key_id(client, cast, key_for, uow):
    client.post("/api/v1/vault/facts", headers=key_for(cast.tax), json={
        "subject_id": str(cast.ana.id), "attribute_key": INCOME, "value": "48250.00"})

    with uow() as session:
        row = session.scalars(select(Fact).where(Fact.attribute_key == INCOME)).one()
    assert row.value is None and row.key_id == "k1" and b"48250" not in row.sealed


def test_a_person_sees_every_fact_with_its_source_and_may_declare_only_self_declarable_ones(
    client, cast, as_citizen
):
    csrf = as_citizen("NID-7700-1234")

    declared = client.post("/api/v1/me/data", headers=csrf, json={"attribute_key": EMAIL, "value": "ana@example.org"})
    not_mine = client.post("/api/v1/me/data", headers=csrf, json={"attribute_key": ADDRESS, "value": "Castle"})
    no_token = client.post("/api/v1/me/data", json={"attribute_key": EMAIL, "value": "evil@example.org"})

    data = {f["attribute_key"]: (f["value"], f["provenance"]["source_name"])
            for f in client.get("/api/v1/me/data").json()["items"]}
    assert (declared.status_code, not_mine.status_code, no_token.status_code) == (201, 403, 403)
    assert data == {"bank.interest_statement": ("412.50", "First Bank"),
                    "bank.mortgage_balance": ("150000.00", "First Bank"),
                    ADDRESS: ("1 Main St", "Population Register"), EMAIL: ("ana@example.org", "You (self-declared)")}


def test_prefill_gives_known_values_with_source_and_age_and_lists_what_is_missing(
    client, cast, key_for, uow, clock, as_citizen
):
    from tests.factories import registry as factories

    with uow() as session:
        svc = factories.catalogue_service(session, clock, cast.tax)
    form = client.put(f"/api/v1/vault/services/{svc.id}/form", headers=key_for(cast.tax),
                      json={"attributes": [ADDRESS, "bank.interest_statement", EMAIL]})
    clock.advance(days=3)
    as_citizen("NID-7700-1234")

    prefill = client.get(f"/api/v1/me/prefill/{svc.id}").json()

    assert form.status_code == 200
    assert [(k["attribute_key"], k["value"], k["source_name"], k["age_days"]) for k in prefill["known"]] == [
        (ADDRESS, "1 Main St", "Population Register", 3), ("bank.interest_statement", "412.50", "First Bank", 3)]
    assert prefill["missing"] == [EMAIL]


def test_only_the_services_own_agency_sets_its_form(client, cast, key_for, uow, clock):
    from tests.factories import registry as factories

    with uow() as session:
        svc = factories.catalogue_service(session, clock, cast.tax)
    refused = client.put(f"/api/v1/vault/services/{svc.id}/form", headers=key_for(cast.pop),
                         json={"attributes": [ADDRESS]})

    assert refused.status_code == 403
    assert client.get(f"/api/v1/vault/services/{svc.id}/form", headers=key_for(cast.pop)).json()["attributes"] == []
