"""Answers through the API: checked against the questions, personal data redacted, spam refused."""

from sqlalchemy import func, select

from govcx.feedback.models import Response
from govcx.core.redaction import redact


def _count(uow) -> int:
    with uow() as session:
        return session.scalar(select(func.count()).select_from(Response))


def _post(client, survey, **body):
    return client.post("/api/v1/feedback/responses", json={"survey_id": str(survey.id), **body})


def test_emails_phone_numbers_and_national_ids_in_a_comment_are_redacted_before_storage(client, survey, uow):
    answer = _post(client, survey, answers={
        "trust": 2, "comments": "Call me on +999 555 12 34 or ana@example.org, my id is 020485-123X."})

    assert answer.status_code == 201
    assert answer.json()["comment"] == "Call me on [phone] or [email], my id is [national id]."
    with uow() as session:
        stored = session.scalars(select(Response)).one()
    assert "example.org" not in str(stored.answers) and "555" not in (stored.comment or "")


def test_redaction_leaves_ordinary_numbers_alone():
    assert redact("I waited 45 minutes on 3 March 2026, ticket 1234.") == (
        "I waited 45 minutes on 3 March 2026, ticket 1234.")


def test_an_answer_outside_the_scale_is_refused_and_nothing_is_stored(client, survey, uow):
    answer = _post(client, survey, answers={"trust": 9})

    assert answer.status_code == 422
    assert "from 1 to 5" in answer.json()["detail"]
    assert _count(uow) == 0


def test_a_filled_honeypot_field_is_refused_and_nothing_is_stored(client, survey, uow):
    answer = _post(client, survey, answers={"trust": 5}, website="http://spam.example")

    assert answer.status_code == 422
    assert _count(uow) == 0


def test_too_many_answers_from_one_address_are_refused_for_a_while(client, survey, app, uow):
    from govcx.feedback.spam import AnswerLimiter

    app.state.feedback_limiter = AnswerLimiter(rule="2/minute", storage_url="memory://")
    codes = [_post(client, survey, answers={"trust": 5}).status_code for _ in range(3)]

    assert codes == [201, 201, 429]
    assert _count(uow) == 2


def test_an_expired_invitation_is_refused_with_a_message(client, uow, clock, survey):
    from tests.factories import feedback as feedback_factories

    with uow() as session:
        token = feedback_factories.invitation(session, clock, survey, valid_days=1)
    clock.advance(days=2)

    answer = client.post("/api/v1/feedback/responses", json={"invitation_token": token, "answers": {"trust": 5}})

    assert answer.status_code == 409
    assert "expired" in answer.json()["detail"]


def test_an_invitation_only_survey_refuses_answers_without_one(client, uow, clock, tax):
    from tests.factories import feedback as feedback_factories

    with uow() as session:
        closed = feedback_factories.survey(session, clock, tax.id, is_open=False)

    assert _post(client, closed, answers={"trust": 5}).status_code == 422


def test_an_invitation_carries_its_service_and_channel_to_the_response(client, tax_key, survey, refund, uow):
    issued = client.post("/api/v1/feedback/invitations", headers=tax_key, json={
        "survey_id": str(survey.id), "service_id": str(refund.id), "channel": "phone", "case_ref": "CASE-42"}).json()

    client.post("/api/v1/feedback/responses", json={"invitation_token": issued["token"], "answers": {"trust": 4}})

    assert "/survey/i/" in issued["url"]
    with uow() as session:
        stored = session.scalars(select(Response)).one()
    assert (stored.service_id, stored.channel, stored.case_ref) == (refund.id, "phone", "CASE-42")
