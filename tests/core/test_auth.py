from sqlalchemy import select

from govcx.core import accounts
from govcx.core.accounts import KEY_SCOPES, Role, Scope, StaffAccount
from tests.factories import registry as factories


def test_no_key_is_a_401_problem(client):
    answer = client.get("/api/v1/persons", params={"q": "ana"})

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 401
    assert "X-API-Key" in answer.json()["detail"]


def test_an_unknown_or_malformed_key_is_a_401(client, uow, clock):
    with uow() as session:
        agency = factories.agency(session, clock)
        real = factories.api_key(session, clock, agency, [Scope.REGISTRY_READ])
    forged = real[:-4] + "AAAA"

    for key in (forged, "nonsense", "gcx_x_y"):
        assert client.get("/api/v1/persons", params={"q": "ana"}, headers={"X-API-Key": key}).status_code == 401


def test_a_key_without_the_scope_is_a_403_problem_naming_the_scope(client, uow, clock):
    with uow() as session:
        agency = factories.agency(session, clock)
        key = factories.api_key(session, clock, agency, [Scope.REGISTRY_WRITE])

    answer = client.get("/api/v1/persons", params={"q": "ana"}, headers={"X-API-Key": key})

    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["required_scope"] == "registry:read"


def test_a_revoked_key_stops_working(client, uow, clock):
    with uow() as session:
        agency = factories.agency(session, clock)
        row, key = accounts.create_api_key(session=session, agency_id=agency.id, scopes=[Scope.REGISTRY_READ],
                                           label="t", clock=clock)
    assert client.get("/api/v1/persons", params={"q": "ana"}, headers={"X-API-Key": key}).status_code == 200

    with uow() as session:
        accounts.revoke_api_key(session=session, key_id=row.id, clock=clock)

    assert client.get("/api/v1/persons", params={"q": "ana"}, headers={"X-API-Key": key}).status_code == 401


def test_keys_are_stored_only_as_hashes(uow, clock, engine):
    with uow() as session:
        agency = factories.agency(session, clock)
        key = factories.api_key(session, clock, agency, [Scope.REGISTRY_READ])

    with uow() as session:
        stored = session.scalars(select(accounts.ApiKey)).one()
    assert key.split("_", 2)[2] not in stored.secret_sha256


def test_staff_passwords_are_argon2_hashes_and_only_the_right_one_opens(uow, clock):
    with uow() as session:
        agency = factories.agency(session, clock)
        factories.staff(session, clock, agency, email="Sam@Gov.example")

    with uow() as session:
        stored = session.scalars(select(StaffAccount)).one()
        right = accounts.authenticate_staff(session=session, email="sam@gov.example",
                                            password=factories.STAFF_PASSWORD, clock=clock)
        wrong = accounts.authenticate_staff(session=session, email="sam@gov.example", password="x" * 12, clock=clock)
        nobody = accounts.authenticate_staff(session=session, email="no@gov.example",
                                             password=factories.STAFF_PASSWORD, clock=clock)

    assert stored.password_hash.startswith("$argon2id$")
    assert factories.STAFF_PASSWORD not in stored.password_hash
    assert right is not None and right.last_sign_in_at == clock.now()
    assert wrong is None and nobody is None


def test_an_agency_key_cannot_act_for_another_agency(client, uow, clock):
    with uow() as session:
        tax = factories.agency(session, clock, code="TAX")
        transport = factories.agency(session, clock, code="TRN")
        key = factories.api_key(session, clock, tax, list(KEY_SCOPES))
    service = {"code": "LICENCE", "agency_id": str(transport.id), "name": "Driving licence",
               "channels": ["web"], "target_completion_minutes": 15, "sla_hours": 48}

    answer = client.post("/api/v1/services", json=service, headers={"X-API-Key": key})
    own = client.post("/api/v1/services", json=service | {"agency_id": str(tax.id)}, headers={"X-API-Key": key})

    assert answer.status_code == 403
    assert "another agency" in answer.json()["detail"]
    assert own.status_code == 201


def test_roles_grant_only_their_scopes():
    assert Scope.REGISTRY_WRITE not in accounts.ROLE_SCOPES[Role.CX_ANALYST]
    assert Scope.STAFF_MANAGE in accounts.ROLE_SCOPES[Role.AGENCY_ADMIN]
    assert accounts.ROLE_SCOPES[Role.PLATFORM_ADMIN] == frozenset(Scope)


def test_a_key_revoked_by_another_process_stops_working_within_the_cache_window(client, uow, clock, engine):
    with uow() as session:
        agency = factories.agency(session, clock)
        key = factories.api_key(session, clock, agency, [Scope.REGISTRY_READ])
    assert client.get("/api/v1/persons", params={"q": "ana"}, headers={"X-API-Key": key}).status_code == 200

    # As the CLI on another machine would: straight to the store, no event reaches this process.
    with engine.begin() as connection:
        connection.execute(accounts.ApiKey.__table__.update().values(revoked_at=clock.now()))
    clock.advance(seconds=31)

    assert client.get("/api/v1/persons", params={"q": "ana"}, headers={"X-API-Key": key}).status_code == 401
