"""The closed loop: a negative answer with a comment opens a follow-up, tells the CRM, and is timed."""

from govcx.core import events
from govcx.feedback.events import FollowUpNeeded


def _rule(client, key, **body):
    return client.post("/api/v1/feedback/follow-up-rules", headers=key, json={
        "name": "Low trust with a comment", "question": "trust", "max_value": 2, **body})


def test_a_negative_answer_with_a_comment_opens_a_follow_up_and_publishes_follow_up_needed(
    client, tax_key, survey
):
    heard: list[FollowUpNeeded] = []
    events.subscribe(FollowUpNeeded, heard.append)
    assert _rule(client, tax_key).status_code == 201

    client.post("/api/v1/feedback/responses", json={
        "survey_id": str(survey.id), "answers": {"trust": 1, "comments": "Nobody answered; mail me at a@b.example"},
        "interaction_ref": "INT-7"})
    client.post("/api/v1/feedback/responses", json={"survey_id": str(survey.id), "answers": {"trust": 1}})
    client.post("/api/v1/feedback/responses", json={
        "survey_id": str(survey.id), "answers": {"trust": 5, "comments": "Great"}})

    follow_ups = client.get("/api/v1/feedback/follow-ups", headers=tax_key).json()["items"]
    assert len(follow_ups) == 1 and follow_ups[0]["state"] == "open"
    assert len(heard) == 1
    assert heard[0].comment == "Nobody answered; mail me at [email]" and heard[0].interaction_ref == "INT-7"


def test_closing_a_follow_up_records_how_long_it_took(client, tax_key, survey, clock):
    _rule(client, tax_key)
    client.post("/api/v1/feedback/responses", json={
        "survey_id": str(survey.id), "answers": {"trust": 2, "comments": "Too slow"}})
    follow_up = client.get("/api/v1/feedback/follow-ups", headers=tax_key).json()["items"][0]

    clock.advance(hours=3)
    client.patch(f"/api/v1/feedback/follow-ups/{follow_up['id']}", headers=tax_key,
                 json={"state": "in_progress", "case_ref": "CASE-1"})
    clock.advance(hours=2)
    closed = client.patch(f"/api/v1/feedback/follow-ups/{follow_up['id']}", headers=tax_key,
                          json={"state": "closed"}).json()
    reopened = client.patch(f"/api/v1/feedback/follow-ups/{follow_up['id']}", headers=tax_key,
                            json={"state": "open"})

    assert closed["hours_to_close"] == 5.0 and closed["case_ref"] == "CASE-1"
    assert reopened.status_code == 409
