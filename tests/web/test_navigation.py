"""The navigation and the pages offer each role only what it can open: every link answers 200."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from govcx.core.accounts import Role
from tests.web.helpers import sign_in_staff

ROLES = [Role.STAFF, Role.CX_ANALYST, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN]
WORKS_CASES = {Role.STAFF, Role.AGENCY_ADMIN}


def _nav_links(html: str) -> dict[str, str]:
    nav = re.search(r'<nav aria-label="[^"]*" class="usa-nav">.*?</nav>', html, re.S).group(0)
    return {label: href for href, label in re.findall(r'<a href="(/[^"]*)"[^>]*><span>([^<]+)</span>', nav)}


def _main_links(html: str) -> set[str]:
    main = re.search(r"<main.*?</main>", html, re.S).group(0)
    return {href.replace("&amp;", "&") for href in re.findall(r'<a [^>]*href="(/[^"#]*)"', main)}


@pytest.mark.parametrize("role", ROLES)
def test_every_link_the_navigation_offers_a_role_opens(client, staff_of, role):
    sign_in_staff(client, staff_of(role))

    links = _nav_links(client.get("/staff").text)
    answers = {href: client.get(href).status_code for href in links.values()}

    assert answers and set(answers.values()) == {200}, answers
    assert ("Case queue" in links) is (role in WORKS_CASES)


@pytest.mark.parametrize("role", ROLES)
def test_every_link_on_the_staff_home_and_a_persons_page_opens(client, staff_of, ana, role):
    sign_in_staff(client, staff_of(role))

    links = _main_links(client.get("/staff").text) | _main_links(client.get(f"/staff/persons/{ana.id}").text)
    answers = {href: client.get(href).status_code for href in links}

    assert answers and set(answers.values()) == {200}, answers
    assert (f"/staff/persons/{ana.id}/timeline" in links) is (role is not Role.CX_ANALYST)
    assert (f"/staff/persons/{ana.id}/cases/new" in links) is (role in WORKS_CASES)


@pytest.mark.parametrize("role", [Role.CX_ANALYST, Role.PLATFORM_ADMIN])
def test_the_queue_refuses_who_the_navigation_does_not_offer_it_to_with_a_403(client, staff_of, role):
    sign_in_staff(client, staff_of(role))

    answer = client.get("/staff/cases")

    assert answer.status_code == 403


def test_the_navigation_reads_in_spanish(client, staff_of):
    sign_in_staff(client, staff_of(Role.STAFF))

    links = _nav_links(client.get("/staff", headers={"Accept-Language": "es"}).text)

    assert {"Consola del personal", "Buscar a una persona", "Cola de trámites", "Servicios"} <= set(links)


def test_a_visitor_and_a_citizen_get_their_own_navigation_in_spanish(app, ana):
    from tests.web.helpers import sign_in_citizen

    with TestClient(app) as visitor:
        home = visitor.get("/", headers={"Accept-Language": "es"}).text
        assert '<a href="/sign-in">Acceso del personal</a>' in home and "Staff sign-in" not in home
        sign_in_citizen(visitor, "NID-7700-1234")
        assert "Mis solicitudes" in _nav_links(visitor.get("/", headers={"Accept-Language": "es"}).text)
