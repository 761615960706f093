"""A page per service: what it is, who provides it, what it asks, and a Start now that leads somewhere."""

from __future__ import annotations

import pytest

from tests.factories.selfservice import town
from tests.web.helpers import h1_count, sign_in_citizen


@pytest.fixture
def place(uow, clock, cipher):
    with uow() as session:
        return town(session, clock, cipher)


def test_a_service_page_says_what_it_is_who_provides_it_and_what_its_form_asks(client, place):
    page = client.get("/services/SOC-CHILD")

    assert page.status_code == 200 and h1_count(page.text) == 1
    assert "Apply for child benefit" in page.text and "Monthly support for each child under 17." in page.text
    assert "Social Insurance" in page.text and "Annual income" in page.text and "Children count" in page.text
    # A visitor signs in first, then lands on the application.
    assert 'href="/citizen/sign-in?next=%2Fservices%2FSOC-CHILD%2Fapply"' in page.text


def test_a_service_page_answers_by_id_and_by_code_and_start_now_opens_the_application(client, place):
    sign_in_citizen(client, "NID-7700-1234")

    by_id = client.get(f"/services/{place.benefit.id}")
    by_code = client.get("/services/soc-child")

    assert by_id.status_code == by_code.status_code == 200
    assert 'href="/services/SOC-CHILD/apply"' in by_id.text
    assert client.get("/services/NO-SUCH-SERVICE").status_code == 404


def test_the_catalogue_search_finds_services_by_any_word_ignoring_accents_and_case(client, place):
    found = client.get("/services", params={"q": "CHÍLD benefit"}).text
    none = client.get("/services", params={"q": "pothole"}).text

    assert "1 service matches" in found and 'href="/services/SOC-CHILD"' in found
    assert "0 services match" in none and 'href="/services/SOC-CHILD"' not in none


def test_the_service_page_and_search_read_in_spanish(client, place):
    page = client.get("/services/SOC-CHILD", headers={"Accept-Language": "es"}).text

    assert '<html lang="es">' in page and "Empezar ahora" in page and "Quién lo presta" in page
