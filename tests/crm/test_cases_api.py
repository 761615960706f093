from datetime import timedelta

from tests.factories import crm as crm_factories


def _file(client, headers, gov, **extra):
    body = {"person_id": str(gov.ana.id), "service_id": str(gov.pothole.id),
            "description": "Pothole on Elm Road", **extra}
    return client.post("/api/v1/cases", headers=headers, json=body)


def test_a_case_is_routed_to_the_services_department_with_its_sla(client, gov, key_for, clock):
    answer = _file(client, key_for(gov.tax), gov)

    case = answer.json()
    assert answer.status_code == 201
    assert case["agency_id"] == str(gov.transport.id) and case["department_id"] == str(gov.roads.id)
    assert case["filed_by_agency_id"] == str(gov.tax.id)
    assert case["sla_due_at"] == (clock.now() + timedelta(hours=48)).isoformat().replace("+00:00", "Z")
    assert case["sla_state"] == "on_track"


def test_a_routing_rule_sends_cases_mentioning_its_keywords_to_its_department(client, gov, key_for):
    transport = key_for(gov.transport)
    rule = client.post("/api/v1/routing-rules", headers=transport, json={
        "service_id": str(gov.pothole.id), "keywords": ["Licence"], "department_id": str(gov.licences.id)})
    assert rule.status_code == 201

    mentioning = _file(client, transport, gov, description="My licence was damaged in a pothole").json()
    other = _file(client, transport, gov).json()

    assert mentioning["department_id"] == str(gov.licences.id)
    assert other["department_id"] == str(gov.roads.id)


def test_a_routing_rule_for_a_region_routes_cases_located_there(client, uow, clock, gov, key_for):
    from govcx.registry import schemas as registry_schemas
    from govcx.registry import service as registry

    with uow() as session:
        north = registry.create_region(session=session, clock=clock, data=registry_schemas.RegionCreate(
            code="N", name="North", centroid_lat=60.0, centroid_lon=25.0))
        registry.create_region(session=session, clock=clock, data=registry_schemas.RegionCreate(
            code="S", name="South", centroid_lat=40.0, centroid_lon=25.0))
    transport = key_for(gov.transport)
    client.post("/api/v1/routing-rules", headers=transport, json={
        "region_id": str(north.id), "department_id": str(gov.licences.id)})

    up_north = _file(client, transport, gov, location={"lat": 59.5, "lon": 24.0}).json()
    down_south = _file(client, transport, gov, location={"lat": 41.0, "lon": 24.0}).json()

    assert up_north["region_id"] == str(north.id) and up_north["department_id"] == str(gov.licences.id)
    assert down_south["department_id"] == str(gov.roads.id)


def test_the_sla_state_moves_from_on_track_to_due_soon_to_overdue(client, uow, clock, gov, key_for):
    with uow() as session:
        case = crm_factories.case(session, clock, gov.transport, gov.pothole.id, gov.ana.id)
    headers = key_for(gov.transport)

    states = []
    for hours in (0, 40, 9):
        clock.advance(hours=hours)
        states.append(client.get(f"/api/v1/cases/{case.id}", headers=headers).json()["sla_state"])

    assert states == ["on_track", "due_soon", "overdue"]


def test_resolving_without_a_reason_is_refused_and_changes_nothing(client, uow, clock, gov, key_for):
    with uow() as session:
        case = crm_factories.case(session, clock, gov.transport, gov.pothole.id, gov.ana.id)
    headers = key_for(gov.transport)

    answer = client.post(f"/api/v1/cases/{case.id}/status", headers=headers, json={"status": "resolved"})

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert client.get(f"/api/v1/cases/{case.id}", headers=headers).json()["status"] == "open"


def test_a_transfer_moves_the_case_with_its_whole_history(client, uow, clock, gov, key_for):
    with uow() as session:
        case = crm_factories.case(session, clock, gov.transport, gov.pothole.id, gov.ana.id)
    transport = key_for(gov.transport)
    client.post(f"/api/v1/cases/{case.id}/notes", headers=transport, json={"note": "Not a road: a tax matter"})

    moved = client.post(f"/api/v1/cases/{case.id}/transfer", headers=transport,
                        json={"agency_id": str(gov.tax.id), "reason": "Tax matter"})
    tax_view = client.get(f"/api/v1/cases/{case.id}", headers=key_for(gov.tax)).json()

    assert moved.status_code == 200
    assert tax_view["agency_id"] == str(gov.tax.id) and tax_view["department_id"] is None
    assert [e["kind"] for e in moved.json()["events"]] == ["opened", "note", "transfer"]
    # The tax agency now owns the case, but transport's note stays transport's.
    assert [e["kind"] for e in tax_view["events"]] == ["opened", "transfer"]
    assert client.post(f"/api/v1/cases/{case.id}/status", headers=transport,
                       json={"status": "in_progress"}).status_code == 403


def test_a_case_is_assigned_only_to_the_owning_agencys_staff(client, uow, clock, gov, key_for):
    from tests.factories import registry as factories

    with uow() as session:
        case = crm_factories.case(session, clock, gov.transport, gov.pothole.id, gov.ana.id)
        mine = factories.staff(session, clock, gov.transport)
        theirs = factories.staff(session, clock, gov.tax)
    headers = key_for(gov.transport)

    refused = client.post(f"/api/v1/cases/{case.id}/assignment", headers=headers,
                          json={"assignee_id": str(theirs.id)})
    assigned = client.post(f"/api/v1/cases/{case.id}/assignment", headers=headers,
                           json={"assignee_id": str(mine.id)})

    assert refused.status_code == 422
    assert assigned.json()["assignee_id"] == str(mine.id)


def test_a_case_for_an_unknown_service_is_a_404_and_files_nothing(client, gov, key_for):
    headers = key_for(gov.tax)

    answer = client.post("/api/v1/cases", headers=headers, json={
        "person_id": str(gov.ana.id), "service_id": "00000000-0000-7000-8000-000000000000",
        "description": "Something"})

    assert answer.status_code == 404
    assert client.get("/api/v1/cases", headers=headers).json()["items"] == []
