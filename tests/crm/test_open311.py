"""Acceptance point 3: a GeoReport v2 client lists, defines, posts, resolves a token and reads back."""

import pytest

from tests.crm.open311_client import GeoReportClient

ENDPOINT = "/open311/v2"


@pytest.fixture(params=["json", "xml"])
def geo(request, client, gov, key_for):
    return GeoReportClient(client, ENDPOINT, format=request.param, api_key=key_for(gov.tax)["X-API-Key"])


def test_a_client_lists_defines_posts_resolves_a_token_and_reads_the_request_back(geo, gov):
    assert geo.discovery()  # the endpoint describes itself
    services = {s["service_code"]: s for s in geo.services()}
    assert services["POTHOLE"]["service_name"] == "Report a pothole"
    assert geo.service_definition("POTHOLE")["service_code"] == "POTHOLE"

    status, receipts = geo.post_request(service_code="POTHOLE", lat="60.17", long="24.94",
                                        description="Deep pothole by the tram stop", email="a@example.org")
    assert status == 201
    token = receipts[0]["token"]

    resolved = geo.token(token)
    request_id = resolved[0]["service_request_id"]
    assert resolved[0]["token"] == token

    [read] = geo.request(request_id)
    assert read["service_code"] == "POTHOLE" and read["status"] == "open"
    assert read["description"] == "Deep pothole by the tram stop"
    assert read["agency_responsible"] == "Transport Agency"
    assert float(read["lat"]) == 60.17 and float(read["long"]) == 24.94
    assert read["requested_datetime"].endswith("+00:00")
    assert [r["service_request_id"] for r in geo.requests(status="open")] == [request_id]
    assert geo.requests(status="closed") == []
    assert [r["service_request_id"] for r in geo.requests(service_request_id=request_id)] == [request_id]


def test_a_posted_request_is_a_case_in_the_responsible_departments_queue(client, geo, gov, key_for):
    _, receipts = geo.post_request(service_code="POTHOLE", address_string="12 Elm Road")

    queue = client.get("/api/v1/cases", headers=key_for(gov.transport),
                       params={"department_id": str(gov.roads.id), "open_only": "true"}).json()["items"]

    assert [c["id"] for c in queue] == [receipts[0]["service_request_id"]]
    assert queue[0]["address"] == "12 Elm Road" and queue[0]["person_id"] is None


def test_closing_the_case_shows_the_request_closed_with_its_notes(client, geo, gov, key_for):
    _, receipts = geo.post_request(service_code="POTHOLE", address_string="12 Elm Road")
    request_id = receipts[0]["service_request_id"]
    client.post(f"/api/v1/cases/{request_id}/status", headers=key_for(gov.transport),
                json={"status": "resolved", "reason": "Filled"})

    [read] = geo.request(request_id)

    assert read["status"] == "closed" and read["status_notes"] == "Filled"


def test_posting_without_a_valid_api_key_is_a_403_error_and_files_nothing(geo, client, gov, key_for):
    geo.api_key = "gcx_nope_nope"

    status, errors = geo.raw("POST", "requests", data={"service_code": "POTHOLE", "address_string": "Elm Road"})

    assert status == 403
    assert int(errors[0]["code"]) == 403
    assert client.get("/api/v1/cases", headers=key_for(gov.tax)).json()["items"] == []


def test_posting_without_a_location_is_a_400_error(geo):
    status, errors = geo.raw("POST", "requests", data={"api_key": geo.api_key, "service_code": "POTHOLE"})

    assert status == 400
    assert "location" in errors[0]["description"]


def test_an_unknown_service_is_a_404_error(geo):
    status, errors = geo.raw("GET", "services/NOPE")

    assert status == 404 and int(errors[0]["code"]) == 404


def test_a_case_about_a_person_is_never_listed_publicly(client, uow, clock, gov, geo):
    from tests.factories import crm as crm_factories

    with uow() as session:
        case = crm_factories.case(session, clock, gov.transport, gov.pothole.id, gov.ana.id)

    assert geo.requests() == []
    status, _ = geo.raw("GET", f"requests/{case.id}")
    assert status == 404


def test_published_requests_redact_personal_data_and_stay_parseable(geo, gov, uow):
    from sqlalchemy import update

    from govcx.crm.models import Case

    status, receipts = geo.post_request(
        service_code="POTHOLE", lat="60.17", long="24.94",
        description="Call me on +358 40 123 4567 or mail ana@example.org, id 010190-123A.\x00\x07\x1b bell")
    assert status == 201
    request_id = receipts[0]["service_request_id"] if "service_request_id" in receipts[0] else None
    request_id = request_id or geo.token(receipts[0]["token"])[0]["service_request_id"]
    [read] = geo.request(request_id)
    assert "123 4567" not in read["description"] and "[phone]" in read["description"]
    assert "ana@example.org" not in read["description"] and "010190-123A" not in read["description"]
    assert not any(ord(c) < 32 for c in read["description"])

    # A row stored before control characters were refused at the door is still published cleanly.
    with uow() as session:
        session.execute(update(Case).values(description="Old \x01 report\x0b with \x1f controls",
                                            status_reason="note \x02"))
    [old] = geo.request(request_id)
    assert old["description"] == "Old  report with  controls"
    assert all(not any(ord(c) < 32 for c in r["description"]) for r in geo.requests())
