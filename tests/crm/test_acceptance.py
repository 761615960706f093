"""The issue's first acceptance point, end to end through the API and the pages."""

from tests.web.helpers import sign_in_citizen, sign_in_staff


def test_a_phone_complaint_at_one_agency_reaches_the_other_agencys_queue_and_both_sides_see_it_resolved(
    client, gov, key_for, staff_email
):
    tax, transport = key_for(gov.tax), key_for(gov.transport)

    # Ana phones the tax agency to complain about a pothole (a transport service).
    recorded = client.post("/api/v1/interactions", headers=tax, json={
        "person_id": str(gov.ana.id), "channel": "phone", "outcome": "referred",
        "started_at": "2026-03-16T09:00:00Z", "ended_at": "2026-03-16T09:12:00Z",
        "complaint": {"service_id": str(gov.pothole.id), "description": "A pothole broke my wheel on Elm Road"},
    })
    assert recorded.status_code == 201
    case_id = recorded.json()["case_id"]

    # It waits in the transport agency's roads queue.
    queue = client.get("/api/v1/cases", headers=transport, params={
        "agency_id": str(gov.transport.id), "department_id": str(gov.roads.id), "open_only": "true"})
    assert [c["id"] for c in queue.json()["items"]] == [case_id]
    assert queue.json()["items"][0]["is_complaint"] is True

    # Transport resolves it.
    resolved = client.post(f"/api/v1/cases/{case_id}/status", headers=transport,
                           json={"status": "resolved", "reason": "Elm Road resurfaced"})
    assert resolved.status_code == 200

    # The tax agency's staff see it resolved on Ana's timeline...
    sign_in_staff(client, staff_email(gov.tax))
    timeline = client.get(f"/api/v1/persons/{gov.ana.id}/timeline").json()["items"]
    assert timeline[0]["title"] == "Complaint about Report a pothole resolved"
    assert timeline[0]["agency_name"] == "Transport Agency"
    assert timeline[0]["detail"] == "Elm Road resurfaced"
    client.cookies.clear()  # a fresh browser

    # ...and so does Ana on her own page.
    sign_in_citizen(client, "NID-7700-1234")
    page = client.get("/me/cases")
    assert page.status_code == 200
    assert "Report a pothole" in page.text and "Resolved" in page.text and "Elm Road resurfaced" in page.text
