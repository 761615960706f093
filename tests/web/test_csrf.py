from starlette.testclient import TestClient

from govcx.core.accounts import Role
from tests.factories.registry import STAFF_PASSWORD
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
