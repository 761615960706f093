"""Surveys: the A-11 templates with their exact wordings, both languages, versions, custom questions."""

from sqlalchemy import func, select

from govcx.feedback.models import Survey


def _create(client, key, **body):
    return client.post("/api/v1/feedback/surveys", headers=key,
                       json={"code": "post-visit", "kind": "a11_v2", "provider": "the Tax Agency", **body})


def test_the_a11_v2_survey_asks_trust_first_then_the_drivers_then_comments_in_english_and_spanish(client, tax_key):
    survey = _create(client, tax_key, thumbs=True).json()

    keys = [q["key"] for q in survey["questions"]]
    assert keys == ["trust", "went_well", "went_badly", "comments"]
    trust = survey["questions"][0]
    assert trust["type"] == "thumbs"
    assert trust["prompt"]["en"] == "This interaction increased my trust in {provider}."
    assert trust["prompt"]["es"].startswith("Esta interacción aumentó mi confianza")
    assert survey["questions"][1]["prompt"]["en"] == "What went well?"
    assert survey["questions"][2]["prompt"]["en"] == "What didn't go so well?"
    assert [o["key"] for o in survey["questions"][2]["options"]] == [
        "effectiveness", "ease", "efficiency", "transparency", "humanity", "employee", "other"]


def test_the_a11_v1_survey_uses_the_sample_wordings_on_five_point_agreement(client, tax_key):
    survey = _create(client, tax_key, kind="a11_v1").json()

    prompts = {q["key"]: q["prompt"]["en"] for q in survey["questions"]}
    assert prompts["satisfaction"] == "I am satisfied with the service I received from {provider}."
    assert prompts["effectiveness"] == "My need was addressed."
    assert prompts["ease"] == "It was easy to complete what I needed to do."
    assert prompts["efficiency"] == "It took a reasonable amount of time to do what I needed to do."
    assert prompts["equity"] == "I was treated fairly."
    assert prompts["employee"] == "Employees I interacted with were helpful."
    assert {q["type"] for q in survey["questions"] if q["key"] != "comments"} == {"agreement"}


def test_creating_a_survey_with_a_code_in_use_makes_its_next_version(client, tax_key):
    first = _create(client, tax_key).json()
    second = _create(client, tax_key, kind="csat").json()

    assert (first["version"], second["version"]) == (1, 2)
    assert second["questions"][0]["type"] == "csat"


def test_a_custom_question_without_a_spanish_wording_is_refused_and_nothing_is_stored(client, tax_key, uow):
    answer = _create(client, tax_key, kind="custom", questions=[
        {"key": "queue", "type": "single", "prompt": {"en": "How did you queue?"},
         "options": [{"key": "online", "label": {"en": "Online", "es": "En línea"}}]}])

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert "no es wording" in answer.json()["detail"]
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(Survey)) == 0


def test_creating_a_survey_needs_the_feedback_write_permission(client, uow, clock, tax):
    from govcx.core.accounts import Scope
    from tests.factories import registry as factories

    with uow() as session:
        key = {"X-API-Key": factories.api_key(session, clock, tax, [Scope.CX_READ])}

    assert _create(client, key).status_code == 403
