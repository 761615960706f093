from tests.factories import registry as f


def test_tmp(client, uow, clock, cipher):
    with uow() as s:
        a = f.agency(s, clock)
        f.person(s, clock, cipher, given_name="Maria", family_name="Garcia")
        key = f.api_key(s, clock, a, [f.Scope.REGISTRY_READ])
    r = client.get("/api/v1/persons", params={"q": "maria"}, headers={"X-API-Key": key})
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["given_name"] == "Maria"
