"""From a service page to a prefilled application to a case the person follows, as plain forms."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from govcx.crm.models import Case
from tests.factories.selfservice import town
from tests.web.helpers import csrf_token, h1_count, sign_in_citizen


@pytest.fixture
def place(uow, clock, cipher):
    with uow() as session:
        return town(session, clock, cipher)


def _cases(uow) -> int:
    with uow() as session:
        return session.scalar(select(func.count()).select_from(Case))


def _apply(client, token: str, **extra: str):  # noqa: ANN202
    form = {"csrf_token": token, "key": ["social.children_count", "person.email"],
            "value": [extra.get("children", "2"), extra.get("email", "ana@example.org")],
            "message": extra.get("message", "")}
    return client.post("/services/SOC-CHILD/apply", data=form, follow_redirects=False)


def test_the_application_shows_what_government_holds_with_its_source_and_asks_only_the_rest(client, place):
    sign_in_citizen(client, "NID-7700-1234")

    page = client.get("/services/SOC-CHILD/apply").text

    assert h1_count(page) == 1 and "<h1>Apply for child benefit</h1>" in page
    assert "Ana Lopez" in page and "Population Register" in page
    assert "$48,250.00" in page and "Tax Agency" in page  # money in the reader's language, with its source
    assert 'value="social.children_count"' in page and 'value="person.email"' in page
    assert 'value="person.name"' not in page and 'value="tax.annual_income"' not in page  # never asked again
    assert "Bob Park" not in page


def test_sending_the_application_files_a_case_at_the_agency_that_the_person_follows(client, place):
    sign_in_citizen(client, "NID-7700-1234")
    token = csrf_token(client, "/services/SOC-CHILD/apply")

    sent = _apply(client, token, message="Twins, born in May.")
    case_page = client.get(sent.headers["location"])

    assert sent.status_code == 303 and re.fullmatch(r"/me/cases/[0-9a-f-]+\?filed=application",
                                                    sent.headers["location"])
    assert "Your application was sent" in case_page.text and "Social Insurance" in case_page.text
    assert "Received" in case_page.text and "Twins, born in May." in case_page.text
    assert "Ana Lopez" in case_page.text and "Population Register" in case_page.text
    assert "Apply for child benefit" in client.get("/me/cases").text
    assert 'href="/me/cases/' in client.get("/me/cases").text


def test_a_missing_answer_comes_back_beside_its_field_with_the_values_kept_and_nothing_filed(client, uow, place):
    sign_in_citizen(client, "NID-7700-1234")
    token = csrf_token(client, "/services/SOC-CHILD/apply")

    refused = _apply(client, token, children="", email="ana@example.org", message="Kept")
    wrong = _apply(client, token, children="two")

    assert refused.status_code == 400 and 'id="answer-social-children_count-error"' in refused.text
    assert 'href="#answer-social-children_count"' in refused.text  # the error summary links to the field
    assert 'value="ana@example.org"' in refused.text and ">Kept</textarea>" in refused.text
    assert wrong.status_code == 400 and "a whole number" in wrong.text
    assert _cases(uow) == 0


def test_an_application_without_its_csrf_token_is_refused_and_files_nothing(client, uow, place):
    sign_in_citizen(client, "NID-7700-1234")

    refused = _apply(client, "not-the-token")

    assert refused.status_code == 403 and _cases(uow) == 0


def test_another_persons_case_answers_like_a_missing_one(client, place):
    sign_in_citizen(client, "NID-7700-1234")
    case_url = _apply(client, csrf_token(client, "/services/SOC-CHILD/apply")).headers["location"].split("?")[0]
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/me")})
    sign_in_citizen(client, "NID-8800-5678")

    assert client.get(case_url).status_code == 404
    assert client.get("/me/cases/00000000-0000-0000-0000-000000000000").status_code == 404


def test_the_application_reads_in_spanish(client, place):
    sign_in_citizen(client, "NID-7700-1234")

    page = client.get("/services/SOC-CHILD/apply", headers={"Accept-Language": "es"}).text

    assert '<html lang="es">' in page and "Lo que el gobierno ya tiene" in page and "Enviar solicitud" in page
    assert "48.250,00" in page  # Spanish writes the thousands and the cents its own way
