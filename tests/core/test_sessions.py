"""Signed-in sessions live on the server: signing out, idling or losing the account ends every copy of the cookie."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from sqlalchemy import delete, event, select, update
from starlette.testclient import TestClient

from govcx.app import SESSION_COOKIE
from govcx.core import auth
from govcx.core.accounts import Role, StaffAccount
from govcx.core.sessions import SignedInSession
from govcx.registry.models import Person
from tests.routes import address, needs, routes
from tests.web.conftest import ana, staff_of, tax  # noqa: F401 - the web tests' people
from tests.web.helpers import csrf_token, sign_in_citizen, sign_in_staff

def _reads(app, wanted: set[object]) -> list[str]:  # noqa: ANN001
    """Every GET address whose route acts as a signed-in identity, with a random id in each placeholder."""
    return sorted({address(r.path) for r in routes(app) if "GET" in (r.methods or ()) and needs(r, wanted)})


CITIZEN = {auth._citizen}
STAFF = {auth._staff_member, auth._actor}


def _copy_of_cookie(client: TestClient, app) -> TestClient:  # noqa: ANN001
    return TestClient(app, cookies={SESSION_COOKIE: client.cookies[SESSION_COOKIE]})


def _sign_out(client: TestClient, page: str) -> None:
    answer = client.post("/sign-out", data={"csrf_token": csrf_token(client, page)}, follow_redirects=False)
    assert answer.status_code == 303


def test_every_citizen_page_and_api_read_refuses_a_cookie_copied_before_signing_out(client, app, ana):
    addresses = _reads(app, CITIZEN)
    sign_in_citizen(client, "NID-7700-1234")
    thief = _copy_of_cookie(client, app)
    before = {a: thief.get(a).status_code for a in addresses}

    _sign_out(client, "/me")

    after = {a: thief.get(a).status_code for a in addresses}
    assert any(a.startswith("/api/v1/me/") for a in addresses) and any(a.startswith("/me") for a in addresses)
    assert all(status != 401 for status in before.values()), before
    assert after == dict.fromkeys(addresses, 401)


def test_every_staff_page_and_api_read_refuses_a_cookie_copied_before_signing_out(client, app, staff_of):
    addresses = _reads(app, STAFF)
    sign_in_staff(client, staff_of(Role.PLATFORM_ADMIN))
    thief = _copy_of_cookie(client, app)
    before = {a: thief.get(a).status_code for a in addresses}

    _sign_out(client, "/staff")

    after = {a: thief.get(a).status_code for a in addresses}
    assert any(a.startswith("/api/v1/") for a in addresses) and any(a.startswith("/staff") for a in addresses)
    assert all(status != 401 for status in before.values()), before
    assert after == dict.fromkeys(addresses, 401)


def test_a_copied_cookie_cannot_write_after_signing_out_even_with_its_csrf_token(client, app, ana):
    sign_in_citizen(client, "NID-7700-1234")
    token = csrf_token(client, "/me")
    thief = _copy_of_cookie(client, app)
    _sign_out(client, "/me")

    answer = thief.put("/api/v1/me/notification-preferences", headers={"X-CSRF-Token": token},
                       json={"channels": ["email"]})

    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


def test_signing_in_as_someone_else_ends_the_session_it_replaces(client, app, ana, staff_of):
    sign_in_citizen(client, "NID-7700-1234")
    thief = _copy_of_cookie(client, app)

    sign_in_staff(client, staff_of(Role.STAFF))

    assert thief.get("/me").status_code == 401
    assert client.get("/staff").status_code == 200 and client.get("/me").status_code == 401


def test_a_session_ends_after_the_idle_time_without_a_request(client, settings, clock, ana):
    sign_in_citizen(client, "NID-7700-1234")

    clock.advance(minutes=settings.session_idle_minutes + 1)

    assert client.get("/me").status_code == 401
    assert client.get("/api/v1/me/data").status_code == 401


def test_requests_keep_a_session_alive_but_not_past_its_absolute_end(client, settings, clock, staff_of):
    sign_in_staff(client, staff_of(Role.STAFF))
    step = settings.session_idle_minutes * 2 // 3
    alive = []
    for _ in range((settings.session_max_hours * 60 - 1) // step):
        clock.advance(minutes=step)
        alive.append(client.get("/staff").status_code)

    clock.advance(minutes=step)

    assert set(alive) == {200}  # far longer than the idle time, in steps shorter than it
    assert client.get("/staff").status_code == 401


def test_a_deactivated_staff_account_loses_its_session_at_once(client, uow, staff_of):
    email = staff_of(Role.STAFF)
    sign_in_staff(client, email)
    assert client.get("/staff").status_code == 200

    with uow() as session:
        session.execute(update(StaffAccount).where(StaffAccount.email == email).values(is_active=False))

    assert client.get("/staff").status_code == 401
    assert client.get("/api/v1/cases").status_code == 401


def test_a_person_who_no_longer_exists_loses_their_session_at_once(client, uow, ana):
    sign_in_citizen(client, "NID-7700-1234")
    assert client.get("/me").status_code == 200

    with uow() as session:
        session.execute(delete(Person).where(Person.id == ana.id))

    assert client.get("/me").status_code == 401
    assert client.get("/api/v1/me/data").status_code == 401


def test_the_store_keeps_only_a_hash_of_the_cookies_token(client, uow, ana):
    sign_in_citizen(client, "NID-7700-1234")
    # Starlette's cookie: base64 JSON, then its timestamp and signature.
    data = json.loads(base64.b64decode(client.cookies[SESSION_COOKIE].split(".")[0] + "=="))

    with uow() as session:
        ids = list(session.scalars(select(SignedInSession.id)))

    assert ids == [hashlib.sha256(data["sid"].encode()).hexdigest()]


@pytest.mark.parametrize("page", ["/", "/me", "/api/v1/me/data"])
def test_a_signed_in_request_reads_its_session_once(client, app, ana, page):
    sign_in_citizen(client, "NID-7700-1234")
    client.get(page)  # the first request after signing in may record its use
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        if "signed_in_session" in statement:
            statements.append(statement.split()[0])

    event.listen(app.state.engine, "before_cursor_execute", note)
    try:
        answer = client.get(page)
    finally:
        event.remove(app.state.engine, "before_cursor_execute", note)

    assert answer.status_code == 200
    assert statements == ["SELECT"]
