"""CX pages for journeys: the map with its measures, the funnel, time tax, channel switches, life event edits."""

from __future__ import annotations

import re

import pytest

from govcx.core.accounts import Role
from tests.factories import registry as factories
from tests.web.helpers import csrf_token, h1_count, sign_in_staff


@pytest.fixture
def analyst(client, uow, clock, country):
    with uow() as session:
        email = factories.staff(session, clock, country.soc, Role.CX_ANALYST).email
    sign_in_staff(client, email)
    return client


def test_the_index_lists_every_life_event_with_a_link_to_its_map(analyst):
    html = analyst.get("/cx/journeys").text
    assert h1_count(html) == 1
    assert "Having a child" in html and 'href="/cx/journeys/having-a-child"' in html
    assert 'href="/cx/life-events/losing-a-job"' in html


def test_the_pages_speak_spanish(analyst):
    html = analyst.get("/cx/journeys", headers={"Accept-Language": "es"}).text
    assert "Tener un hijo" in html and "Eventos vitales y recorridos" in html
    journey = analyst.get("/cx/journeys/having-a-child", headers={"Accept-Language": "es"}).text
    assert "Mapa del recorrido" in journey and "Tener un hijo" in journey


def test_the_map_draws_stages_as_columns_and_touchpoints_as_cards(analyst):
    html = analyst.get("/cx/journeys/having-a-child").text
    assert html.index("Register the birth") < html.index("Family benefits") < html.index("Early childhood")
    assert html.count('class="usa-card grid-col-12"') == 5
    assert "Funnel by touchpoint" in html and "Time tax" in html


def test_front_line_staff_cannot_open_the_journey_pages(client, uow, clock, country):
    with uow() as session:
        email = factories.staff(session, clock, country.soc, Role.STAFF).email
    sign_in_staff(client, email)
    assert client.get("/cx/journeys").status_code == 403


def test_editing_a_life_event_saves_a_new_version(analyst):
    page = "/cx/life-events/moving-home"
    html = analyst.get(page).text
    stages = re.search(r'<textarea[^>]*id="stages"[^>]*>([^<]*)</textarea>', html).group(1)
    import html as html_lib
    form = {"csrf_token": csrf_token(analyst, page), "version": "1", "name_en": "Moving house",
            "name_es": "Mudarse de casa", "description_en": "", "description_es": "",
            "stages": html_lib.unescape(stages), "triggers": "[]"}
    answer = analyst.post(page, data=form, follow_redirects=False)
    assert answer.status_code == 303
    saved = analyst.get(answer.headers["location"]).text
    assert "Saved as version 2" in saved and "<h1>Moving house</h1>" in saved


def test_a_bad_edit_shows_the_error_beside_its_field_and_keeps_what_was_typed(analyst):
    page = "/cx/life-events/moving-home"
    form = {"csrf_token": csrf_token(analyst, page), "version": "1", "name_en": "Moving house", "name_es": "",
            "stages": "[{not json", "triggers": "[]"}
    answer = analyst.post(page, data=form)
    assert answer.status_code == 400
    assert 'id="name_es-error"' in answer.text and 'id="stages-error"' in answer.text
    assert "[{not json" in answer.text and 'value="Moving house"' in answer.text
    assert "<h1>Moving home</h1>" in analyst.get(page).text


def test_an_edit_naming_a_service_not_in_the_catalogue_is_refused_inline(analyst):
    page = "/cx/life-events/moving-home"
    stages = '[{"key": "move", "names": {"en": "Move", "es": "Mudanza"}, "services": [{"service": "NOPE-1", "agency": "POP"}]}]'
    form = {"csrf_token": csrf_token(analyst, page), "version": "1", "name_en": "Moving home",
            "name_es": "Mudarse de casa", "stages": stages, "triggers": "[]"}
    answer = analyst.post(page, data=form)
    assert answer.status_code == 400 and "NOPE-1" in answer.text
