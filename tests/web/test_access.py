import re

import pytest
from starlette.testclient import TestClient

from govcx.core.accounts import Role
from tests.web.helpers import sign_in_citizen, sign_in_staff

STAFF_PAGES = ["/staff", "/staff/persons?q=lopez", "/cx/regions"]


def _nav(html: str) -> str:
    return re.search(r'<nav aria-label="Primary navigation".*?</nav>', html, re.S).group(0)


def test_a_citizen_cannot_open_staff_pages(client, ana):
    sign_in_citizen(client, "NID-7700-1234")

    answers = [client.get(page) for page in [*STAFF_PAGES, f"/staff/persons/{ana.id}"]]

    assert [a.status_code for a in answers] == [401] * 4
    assert all("Sign in to continue" in a.text and "1985" not in a.text for a in answers)


def test_a_visitor_is_invited_to_sign_in(client):
    answer = client.get("/me")

    assert answer.status_code == 401
    assert answer.headers["content-type"].startswith("text/html")
    assert 'href="/citizen/sign-in?next=/me"' in answer.text


def test_cx_pages_refuse_plain_staff(client, staff_of):
    sign_in_staff(client, staff_of(Role.STAFF))

    answer = client.get("/cx/regions")

    assert answer.status_code == 403
    assert "cx:read" in answer.text


@pytest.mark.parametrize("role", [Role.CX_ANALYST, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN])
def test_cx_roles_open_cx_pages(client, staff_of, role):
    sign_in_staff(client, staff_of(role))

    assert client.get("/cx/regions").status_code == 200


def test_the_navigation_fits_who_is_looking(client, app, staff_of, ana):
    visitor = _nav(client.get("/").text)
    sign_in_citizen(client, "NID-7700-1234")
    citizen = _nav(client.get("/").text)
    with TestClient(app) as other:
        sign_in_staff(other, staff_of(Role.STAFF))
        staff = _nav(other.get("/").text)
        sign_in_staff(other, staff_of(Role.CX_ANALYST))
        cx = _nav(other.get("/").text)

    assert "Staff sign-in" in visitor and "My details" not in visitor and "Sign out" not in visitor
    assert "My details" in citizen and "Sign out" in citizen and "Find a person" not in citizen
    assert "Find a person" in staff and "Regions" not in staff and "Sign out" in staff
    assert "Find a person" in cx and "Regions" in cx


def test_the_current_page_is_marked_in_the_navigation(client, staff_of):
    sign_in_staff(client, staff_of(Role.STAFF))

    nav = _nav(client.get("/staff/persons").text)

    assert re.findall(r'aria-current="page"><span>([^<]+)', nav) == ["Find a person"]
