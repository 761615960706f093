"""The CX page of proactive services (rules, and offers by outcome with small counts withheld)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from govcx.journeys.proactive.models import Offer, ProactiveRule
from tests.journeys.proactive.conftest import BIRTH, PARENT_ID, record_birth
from tests.web.helpers import csrf_token, h1_count, sign_in_citizen, sign_in_staff


def _form(client, **changes):  # noqa: ANN001, ANN202
    return {"code": "child-benefit-on-birth", "name": "Child benefit after a birth", "life_event_key": "having-a-child",
            "trigger": "fact_recorded", "trigger_key": BIRTH, "condition": 'tax.residency == "resident"',
            "consent_attributes": "tax.residency", "reason": "A birth was registered in your family.",
            "offer_days": "30", "csrf_token": csrf_token(client, "/cx/proactive"), **changes}


def test_an_agency_admin_adds_a_rule_through_the_page_and_the_offers_it_makes_are_counted_but_withheld_when_few(
        client, cast, uow):
    sign_in_staff(client, cast.benefits_admin.email)
    saved = client.post("/cx/proactive/rules", data=_form(client, service_id=str(cast.child_benefit.id)),
                        follow_redirects=False)
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/cx/proactive")})
    born = record_birth(client, cast, date(2026, 3, 14))
    sign_in_staff(client, cast.benefits_admin.email)
    page = client.get("/cx/proactive").text

    assert saved.status_code == 303 and born.status_code == 201
    with uow() as session:
        assert len(session.scalars(select(Offer)).all()) == 1
    assert h1_count(page) == 1 and "Proactive services" in page
    assert "child-benefit-on-birth" in page and "Child benefit after a birth" in page
    assert 'aria-label="withheld"' in page  # one offer made: below the threshold, so not shown


def test_a_rule_with_a_bad_condition_shows_the_error_beside_its_field_keeps_the_values_and_saves_nothing(
        client, cast, uow):
    sign_in_staff(client, cast.benefits_admin.email)

    answer = client.post("/cx/proactive/rules", data=_form(client, service_id=str(cast.child_benefit.id),
                                                           condition="tax.shoe_size > 40"))

    assert answer.status_code == 422
    assert 'id="condition-error"' in answer.text and "tax.shoe_size is not in the data catalogue" in answer.text
    assert "Child benefit after a birth" in answer.text  # what was typed is kept
    with uow() as session:
        assert session.scalars(select(ProactiveRule)).all() == []


def test_my_life_events_speaks_spanish(client, cast):
    sign_in_citizen(client, PARENT_ID)

    page = client.get("/me/life-events", headers={"Accept-Language": "es"}).text

    assert "Mis acontecimientos vitales" in page and "No tiene ninguna oferta pendiente." in page
