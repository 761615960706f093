"""Feedback that needs a follow-up reaches the responsible department as a case."""

from govcx.core.accounts import Scope
from tests.factories import feedback as feedback_factories


def test_a_negative_answer_about_a_service_becomes_a_complaint_case_in_its_department(
    client, uow, clock, gov, key_for
):
    with uow() as session:
        survey = feedback_factories.survey(session, clock, gov.transport.id)
    transport = key_for(gov.transport, Scope.CRM_READ, Scope.CRM_WRITE, Scope.FEEDBACK_WRITE, Scope.CX_READ)
    client.post("/api/v1/feedback/follow-up-rules", headers=transport, json={
        "name": "Low trust with a comment", "question": "trust", "max_value": 2})

    client.post("/api/v1/feedback/responses", json={
        "survey_id": str(survey.id), "service_id": str(gov.pothole.id),
        "answers": {"trust": 1, "comments": "The hole is still there, call me on +1 555 010 0199"}})

    queue = client.get("/api/v1/cases", params={"agency_id": str(gov.transport.id),
                                                "department_id": str(gov.roads.id)}, headers=transport).json()
    follow_ups = client.get("/api/v1/feedback/follow-ups", headers=transport)
    assert follow_ups.status_code == 200, follow_ups.text
    follow_up = follow_ups.json()["items"][0]
    public = client.get("/open311/v2/requests.json").json()

    assert [(c["is_complaint"], c["status"]) for c in queue["items"]] == [(True, "open")]
    assert "The hole is still there" in queue["items"][0]["description"]
    assert "555" not in queue["items"][0]["description"]
    assert follow_up["state"] == "in_progress" and follow_up["case_ref"] == queue["items"][0]["id"]
    assert public == []


def test_the_person_hears_in_their_language_when_their_case_changes(
    client, uow, clock, settings, gov, key_for
):
    from sqlalchemy import select

    from govcx.notify.models import Message
    from govcx.registry import schemas as registry_schemas
    from govcx.registry import service as registry
    from tests.factories import notify as notify_factories

    with uow() as session:
        notify_factories.templates(session, clock)
        registry.update_person(session=session, person_id=gov.ana.id, clock=clock,
                               data=registry_schemas.PersonUpdate(preferred_language="es"))
    transport = key_for(gov.transport)
    case = client.post("/api/v1/cases", headers=transport, json={
        "person_id": str(gov.ana.id), "service_id": str(gov.pothole.id), "description": "Hole on Elm Road"}).json()

    client.post(f"/api/v1/cases/{case['id']}/status", headers=transport,
                json={"status": "resolved", "reason": "Elm Road resurfaced"})

    with uow() as session:
        [message] = session.scalars(select(Message).where(Message.person_id == gov.ana.id)).all()
    assert message.subject.startswith("Su solicitud") and message.subject.endswith("está ahora resuelta")
    assert message.why_rule == "You made this request; we tell you when its status changes."


def test_a_resolved_case_invites_its_person_to_the_survey_once_by_a_link_that_works(
    client, uow, clock, settings, gov, key_for
):
    import re
    from urllib.parse import urlsplit

    from sqlalchemy import select

    from govcx.notify.models import Message
    from tests.factories import notify as notify_factories

    with uow() as session:
        notify_factories.templates(session, clock)
        feedback_factories.survey(session, clock, gov.transport.id)
    transport = key_for(gov.transport)
    case = client.post("/api/v1/cases", headers=transport, json={
        "person_id": str(gov.ana.id), "service_id": str(gov.pothole.id), "description": "Hole on Elm Road"}).json()

    client.post(f"/api/v1/cases/{case['id']}/status", headers=transport, json={"status": "in_progress"})
    client.post(f"/api/v1/cases/{case['id']}/status", headers=transport,
                json={"status": "resolved", "reason": "Elm Road resurfaced"})

    with uow() as session:
        invitations = session.scalars(select(Message).where(Message.template_key == "survey.invitation")).all()
    [invitation] = invitations
    assert invitation.subject == "How was Report a pothole?"
    link = urlsplit(re.search(r"https?://\S+/survey/i/\S+", invitation.text_body).group(0))
    assert client.get(f"{link.path}?{link.query}").status_code == 200
