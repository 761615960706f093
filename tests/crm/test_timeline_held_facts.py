"""Held facts say which attribute government holds, from whom, since when: never its value, on any route."""

from datetime import date

import pytest

from govcx.core.accounts import Scope
from tests.factories import crm as crm_factories
from tests.factories import vault as vault_factories
from tests.web.helpers import sign_in_staff

INCOME = "tax.annual_income"


@pytest.fixture
def held(uow, clock, cipher, gov):
    """Ana as the registry and the vault hold her, with a case and an interaction on her timeline."""
    with uow() as session:
        vault_factories.attribute(session, clock, INCOME, agency=gov.tax)
        vault_factories.fact(session, clock, cipher, subject_id=gov.ana.id, key=INCOME, value="48213.77",
                             agency=gov.tax)
        crm_factories.interaction(session, clock, gov.tax, gov.ana.id)
        crm_factories.case(session, clock, gov.transport, gov.pothole.id, gov.ana.id)
    birth: date = gov.ana.birth_date
    return {
        "e-mail": gov.ana.email, "phone": gov.ana.phone, "street address": gov.ana.street_address,
        "national id": "NID-7700-1234", "birth date (ISO)": birth.isoformat(),
        "birth date (words)": f"{birth:%d %B %Y}", "birth date (US)": f"{birth:%m/%d/%Y}",
        "vault value": "48213.77",
    }


def _timeline_routes(app) -> tuple[list[str], list[str]]:  # noqa: ANN001
    """Every GET route about one person's timeline: (API paths, page paths)."""
    # FastAPI keeps included routers nested; each one lists the routes it serves, with their full paths.
    routes = [c for r in app.routes for c in (r.effective_route_contexts() if hasattr(r, "effective_route_contexts")
                                              else [r])]
    paths = {route.path for route in routes
             if "timeline" in getattr(route, "path", "") and "{person_id}" in route.path
             and "GET" in (getattr(route, "methods", None) or ())}
    api = sorted(p for p in paths if p.startswith("/api/"))
    pages = sorted(p for p in paths if not p.startswith("/api/"))
    return api, pages


def test_no_timeline_route_or_page_shows_a_held_value_to_staff_or_agencies_without_consent(
        app, client, gov, held, key_for, staff_email):
    api, pages = _timeline_routes(app)
    assert api and pages  # the attack covers whatever timeline routes exist, at least the API and the page

    bodies: dict[str, str] = {}
    for agency in (gov.tax, gov.transport):  # the source of the vault fact, and an agency that is not
        headers = key_for(agency, Scope.CRM_READ)
        for path in api:
            answer = client.get(path.format(person_id=gov.ana.id), headers=headers)
            assert answer.status_code == 200, (path, answer.text)
            bodies[f"{agency.code} key {path}"] = answer.text
    for agency in (gov.tax, gov.transport):
        client.cookies.clear()
        assert sign_in_staff(client, staff_email(agency)).status_code == 303
        for path in pages:
            answer = client.get(path.format(person_id=gov.ana.id))
            assert answer.status_code == 200, (path, answer.text[:500])
            bodies[f"{agency.code} staff {path}"] = answer.text

    leaks = [(where, what) for where, body in bodies.items() for what, value in held.items() if value in body]
    assert leaks == []
    # ... and they do say what is held, so nobody asks for it again.
    assert all("Population register" in body and "annual income" in body.lower() for body in bodies.values())
