import pytest
from starlette.testclient import TestClient

from govcx.app import create_app
from govcx.core.accounts import Role
from tests.web.helpers import csrf_token, sign_in_staff

WRONG = "That e-mail address and password do not match an active staff account."


def test_staff_sign_in_opens_the_staff_console(client, staff_of):
    email = staff_of(Role.STAFF)

    answer = sign_in_staff(client, email)
    console = client.get("/staff")

    assert answer.status_code == 303 and answer.headers["location"] == "/staff"
    assert console.status_code == 200
    assert "Signed in as Sam Staff" in console.text


def test_a_wrong_password_and_an_unknown_email_get_the_same_clear_error(client, staff_of):
    email = staff_of(Role.STAFF)

    wrong_password = sign_in_staff(client, email, password="not the password at all")
    unknown_email = sign_in_staff(client, "nobody@gov.example")

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert WRONG in wrong_password.text and WRONG in unknown_email.text
    assert f'value="{email}"' in wrong_password.text  # what was typed stays, the password does not
    assert client.get("/staff").status_code == 401


def test_an_empty_form_asks_for_both_fields(client):
    answer = client.post("/sign-in", data={"email": "", "password": "", "csrf_token": csrf_token(client)})

    assert answer.status_code == 422
    assert "Enter your e-mail address and your password." in answer.text


def test_sign_in_returns_to_the_page_asked_for_but_never_off_the_site(client, staff_of):
    email = staff_of(Role.STAFF)
    token = csrf_token(client)
    form = {"email": email, "password": "correct horse battery staple", "csrf_token": token}

    inside = client.post("/sign-in", data=form | {"next": "/staff/persons?q=ana"}, follow_redirects=False)
    client.cookies.clear()
    form["csrf_token"] = csrf_token(client)
    outside = client.post("/sign-in", data=form | {"next": "//evil.example/x"}, follow_redirects=False)

    assert inside.headers["location"] == "/staff/persons?q=ana"
    assert outside.headers["location"] == "/staff"


def test_signing_out_ends_the_session(client, staff_of):
    sign_in_staff(client, staff_of(Role.STAFF))

    answer = client.post("/sign-out", data={"csrf_token": csrf_token(client, "/staff")}, follow_redirects=False)

    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert client.get("/staff").status_code == 401


@pytest.fixture
def strict_client(settings, clock, engine):
    with TestClient(create_app(settings.model_copy(update={"rate_limit_sign_in": "3/minute"}), clock=clock)) as c:
        yield c


def test_too_many_sign_in_attempts_from_one_address_get_a_429(strict_client, staff_of):
    email = staff_of(Role.STAFF)
    attempts = [sign_in_staff(strict_client, email, password="wrong password here").status_code for _ in range(3)]

    blocked = sign_in_staff(strict_client, email)  # even the right password waits now

    assert attempts == [401, 401, 401]
    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1
    assert "Too many sign-in attempts" in blocked.text
    assert strict_client.get("/staff").status_code == 401
