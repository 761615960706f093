"""The README's timeline example: parameters sent empty mean "every" and the defaults, on the API and the page."""

from datetime import timedelta

import pytest

from govcx.registry.models import Channel
from tests.factories import crm as crm_factories
from tests.web.helpers import sign_in_staff


def _history(uow, clock, gov) -> None:
    with uow() as session:
        crm_factories.interaction(session, clock, gov.tax, gov.ana.id, started_at=clock.now() - timedelta(days=2))
        crm_factories.interaction(session, clock, gov.transport, gov.ana.id, channel=Channel.WEB,
                                  started_at=clock.now() - timedelta(days=1))
        crm_factories.case(session, clock, gov.transport, gov.pothole.id, gov.ana.id)


def test_the_readme_example_with_empty_parameters_answers_the_whole_timeline(client, uow, clock, gov, key_for):
    _history(uow, clock, gov)
    path = f"/api/v1/persons/{gov.ana.id}/timeline"

    empty = client.get(f"{path}?agency_id=&channel=&type=&before=&limit=", headers=key_for(gov.tax))
    plain = client.get(path, headers=key_for(gov.tax))

    assert empty.status_code == 200, empty.text
    assert empty.json() == plain.json()
    assert [i["type"] for i in empty.json()["items"]] == ["case", "interaction", "interaction"]


def test_a_parameter_given_still_filters_beside_empty_ones(client, uow, clock, gov, key_for):
    _history(uow, clock, gov)

    answer = client.get(f"/api/v1/persons/{gov.ana.id}/timeline?agency_id=&channel=phone&type=&before=",
                        headers=key_for(gov.tax))

    assert answer.status_code == 200
    assert [(i["type"], i["agency_name"]) for i in answer.json()["items"]] == [("interaction", "Tax Agency")]


@pytest.mark.parametrize("query", ["channel=pigeon", "agency_id=tax", "limit=0", "limit=501", "before=yesterday"])
def test_a_wrong_parameter_is_still_a_422(client, gov, key_for, query):
    answer = client.get(f"/api/v1/persons/{gov.ana.id}/timeline?{query}", headers=key_for(gov.tax))

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_the_staff_timeline_page_submitted_with_its_defaults_shows_everything(client, uow, clock, gov,
                                                                             staff_email):
    _history(uow, clock, gov)
    sign_in_staff(client, staff_email(gov.tax))

    page = client.get(f"/staff/persons/{gov.ana.id}/timeline?agency_id=&channel=&type=")

    assert page.status_code == 200
    assert page.text.count('class="usa-process-list__item"') == 3
