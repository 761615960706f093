from starlette.testclient import TestClient

from govcx.core.accounts import Role
from tests.factories.registry import STAFF_PASSWORD
from tests.routes import address, routes
from tests.web.helpers import csrf_token, sign_in_staff


def test_a_sign_in_without_a_csrf_token_is_refused_and_signs_no_one_in(client, staff_of):
    email = staff_of(Role.STAFF)
    client.get("/sign-in")

    answer = client.post("/sign-in", data={"email": email, "password": STAFF_PASSWORD})

    assert answer.status_code == 403
    assert "did not come from govcx" in answer.text
    assert client.get("/staff").status_code == 401


def test_a_post_with_a_wrong_csrf_token_is_refused_and_changes_nothing(client, staff_of):
    sign_in_staff(client, staff_of(Role.STAFF))
    token = csrf_token(client, "/staff")

    forged = client.post("/sign-out", data={"csrf_token": token[:-2] + "xx"})

    assert forged.status_code == 403
    assert client.get("/staff").status_code == 200


def test_a_token_from_another_session_is_refused(client, app, staff_of):
    with TestClient(app) as attacker:
        theirs = csrf_token(attacker)
    email = staff_of(Role.STAFF)
    client.get("/sign-in")

    answer = client.post("/sign-in", data={"email": email, "password": STAFF_PASSWORD, "csrf_token": theirs})

    assert answer.status_code == 403
    assert client.get("/staff").status_code == 401


def test_htmx_requests_may_send_the_token_as_a_header(client, staff_of):
    sign_in_staff(client, staff_of(Role.STAFF))

    answer = client.post("/sign-out", headers={"X-CSRF-Token": csrf_token(client, "/staff")},
                         follow_redirects=False)

    assert answer.status_code == 303
    assert client.get("/staff").status_code == 401


def _my_api(app) -> list[tuple[str, str]]:  # noqa: ANN001
    return sorted({(method, address(r.path)) for r in routes(app) if r.path.startswith("/api/v1/me/")
                   for method in r.methods or ()})


def test_every_call_to_my_api_without_a_session_is_a_401_that_says_to_sign_in(client, app):
    calls = _my_api(app)
    anonymous = [(m, p, client.request(m, p, json={})) for m, p in calls]
    visitor_token = csrf_token(client, "/sign-in")  # a visitor's cookie: a CSRF token, nobody signed in
    visitor = [(m, p, client.request(m, p, json={}, headers={"X-CSRF-Token": visitor_token})) for m, p in calls]

    assert {m for m, _ in calls} >= {"GET", "POST", "PUT"}
    for method, path, answer in anonymous + visitor:
        assert answer.status_code == 401, (method, path, answer.status_code)
        assert answer.headers["content-type"] == "application/problem+json"
        assert "Sign in" in answer.json()["detail"], (method, path)
