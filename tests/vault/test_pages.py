"""The person's own data: each fact's history, declaring what the catalogue allows, asking for a correction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from govcx.crm import applications as crm_applications
from govcx.crm.models import Case
from govcx.vault import service
from tests.factories import vault as vault_factories
from tests.once_only import ADDRESS, EMAIL, INTEREST
from tests.web.helpers import csrf_token, h1_count, sign_in_citizen


@pytest.fixture
def moved(uow, clock, cipher, cast):
    """The Population Register recorded a second address for Ana."""
    with uow() as session:
        vault_factories.fact(session, clock, cipher, subject_id=cast.ana.id, key=ADDRESS, value="9 Harbour Rd",
                             agency=cast.pop)


def _cases(uow) -> int:
    with uow() as session:
        return session.scalar(select(func.count()).select_from(Case))


def test_my_data_offers_history_correction_and_what_i_can_declare(client, cast):
    sign_in_citizen(client, "NID-7700-1234")

    page = client.get("/me/data").text

    assert f'href="/me/data/{ADDRESS}/history"' in page and f'href="/me/data/{ADDRESS}/correct"' in page
    assert f'href="/me/data/{INTEREST}/correct"' not in page  # the bank, not an agency, is its source
    assert f'href="/me/data/{EMAIL}/declare"' in page and "Add your Email" in page


def test_a_facts_history_shows_every_version_newest_first_and_only_mine(client, cast, moved):
    sign_in_citizen(client, "NID-7700-1234")

    page = client.get(f"/me/data/{ADDRESS}/history")

    assert page.status_code == 200 and h1_count(page.text) == 1
    assert page.text.index("9 Harbour Rd") < page.text.index("1 Main St")
    assert client.get(f"/me/data/{EMAIL}/history").status_code == 404  # nothing held


def test_declaring_what_the_catalogue_allows_keeps_it_as_declared_by_me(client, uow, cipher, cast):
    sign_in_citizen(client, "NID-7700-1234")
    token = csrf_token(client, f"/me/data/{EMAIL}/declare")

    empty = client.post(f"/me/data/{EMAIL}/declare", data={"csrf_token": token, "value": "  "})
    forged = client.post(f"/me/data/{EMAIL}/declare", data={"value": "x@example.org"})
    with uow() as session:
        before = service.current_facts(session=session, cipher=cipher, subject_id=cast.ana.id, keys=[EMAIL])
    saved = client.post(f"/me/data/{EMAIL}/declare", data={"csrf_token": token, "value": "ana@example.org"},
                        follow_redirects=False)
    with uow() as session:
        after = service.current_facts(session=session, cipher=cipher, subject_id=cast.ana.id, keys=[EMAIL])

    assert empty.status_code == 400 and 'id="value-error"' in empty.text and forged.status_code == 403
    assert before == []
    assert saved.status_code == 303 and [f.value for f in after] == ["ana@example.org"]
    assert after[0].provenance.self_declared and not after[0].provenance.verified


def test_what_only_its_source_may_say_cannot_be_declared(client, cast):
    sign_in_citizen(client, "NID-7700-1234")
    token = csrf_token(client, "/me/data")

    assert client.get(f"/me/data/{ADDRESS}/declare").status_code == 404
    assert client.post(f"/me/data/{ADDRESS}/declare", data={"csrf_token": token, "value": "x"}).status_code == 404


def test_a_correction_request_becomes_a_case_at_the_source_that_the_person_follows(client, uow, cipher, cast):
    sign_in_citizen(client, "NID-7700-1234")
    token = csrf_token(client, f"/me/data/{ADDRESS}/correct")

    empty = client.post(f"/me/data/{ADDRESS}/correct", data={"csrf_token": token, "proposed_value": ""})
    cases_after_empty = _cases(uow)
    sent = client.post(f"/me/data/{ADDRESS}/correct", data={
        "csrf_token": token, "proposed_value": "9 Harbour Rd", "explanation": "I moved in March."},
        follow_redirects=False)
    page = client.get(sent.headers["location"]).text
    with uow() as session:
        case = session.scalars(select(Case)).one()
        answers = crm_applications.answers_of(session=session, cipher=cipher, case_id=case.id)

    assert empty.status_code == 400 and 'id="proposed_value-error"' in empty.text and cases_after_empty == 0
    assert sent.status_code == 303 and "Your correction request was sent" in page and "I moved in March." in page
    assert case.agency_id == cast.pop.id and case.person_id == cast.ana.id
    assert [(a.attribute_key, a.value, a.from_vault) for a in answers] == [(ADDRESS, "9 Harbour Rd", False)]


def test_a_fact_from_an_organization_or_not_held_cannot_be_sent_for_correction(client, uow, cast):
    sign_in_citizen(client, "NID-7700-1234")
    token = csrf_token(client, "/me/data")

    assert client.get(f"/me/data/{INTEREST}/correct").status_code == 404
    assert client.post(f"/me/data/{EMAIL}/correct", data={"csrf_token": token,
                                                          "proposed_value": "x"}).status_code == 404
    assert _cases(uow) == 0
