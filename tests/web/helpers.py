"""Drive the pages the way a browser does: fetch a form, post it back with its CSRF token."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.factories.registry import STAFF_PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_H1 = re.compile(r"<h1[ >]")


def csrf_token(client: TestClient, page: str = "/sign-in") -> str:
    """Return the CSRF token of the form on `page` (the session's token)."""
    return _CSRF.search(client.get(page).text).group(1)


def sign_in_staff(client: TestClient, email: str, password: str = STAFF_PASSWORD):  # noqa: ANN201
    token = csrf_token(client, "/sign-in")
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token},
                       follow_redirects=False)


def sign_in_citizen(client: TestClient, national_id: str):  # noqa: ANN201
    token = csrf_token(client, "/citizen/sign-in")
    return client.post("/citizen/sign-in", data={"national_id": national_id, "csrf_token": token},
                       follow_redirects=False)


def h1_count(html: str) -> int:
    return len(_H1.findall(html))
