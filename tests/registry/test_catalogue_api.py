from govcx.core.accounts import Scope

SQUARE = {"type": "Polygon", "coordinates": [[[10, 50], [11, 50], [11, 51], [10, 51], [10, 50]]]}


def test_an_agency_adds_departments_and_services_to_the_catalogue(client, tax, key_for):
    headers = key_for(tax)
    department = client.post(f"/api/v1/agencies/{tax.id}/departments", json={"code": "refunds", "name": "Refunds"},
                             headers=headers)
    service = client.post("/api/v1/services", headers=headers, json={
        "code": "tax-refund", "agency_id": str(tax.id), "department_id": department.json()["id"],
        "name": "Claim a tax refund", "channels": ["web", "phone"], "target_completion_minutes": 30,
        "sla_hours": 240,
    })

    listed = client.get("/api/v1/services", params={"agency_id": str(tax.id), "q": "refund"}, headers=headers)
    agency = client.get(f"/api/v1/agencies/{tax.id}", headers=headers)

    assert department.status_code == 201 and department.json()["code"] == "REFUNDS"
    assert service.status_code == 201 and service.json()["code"] == "TAX-REFUND"
    assert [s["name"] for s in listed.json()["items"]] == ["Claim a tax refund"]
    assert [d["name"] for d in agency.json()["departments"]] == ["Refunds"]


def test_a_service_needs_a_channel_and_a_department_of_its_own_agency(client, tax, transport, key_for):
    headers = key_for(tax)
    theirs = client.post(f"/api/v1/agencies/{transport.id}/departments", json={"code": "D", "name": "D"},
                         headers=key_for(transport)).json()
    base = {"code": "S1", "agency_id": str(tax.id), "name": "S", "target_completion_minutes": 5, "sla_hours": 1}

    no_channel = client.post("/api/v1/services", json=base | {"channels": []}, headers=headers)
    foreign_department = client.post("/api/v1/services", json=base | {"channels": ["web"],
                                                                      "department_id": theirs["id"]},
                                     headers=headers)

    assert no_channel.status_code == 422
    assert foreign_department.status_code == 422
    assert client.get("/api/v1/services", headers=headers).json()["items"] == []


def test_only_the_owning_agency_changes_its_service(client, tax, transport, key_for):
    created = client.post("/api/v1/services", headers=key_for(tax), json={
        "code": "S1", "agency_id": str(tax.id), "name": "File a return", "channels": ["web"],
        "target_completion_minutes": 30, "sla_hours": 24,
    }).json()

    theirs = client.patch(f"/api/v1/services/{created['id']}", json={"sla_hours": 1}, headers=key_for(transport))
    ours = client.patch(f"/api/v1/services/{created['id']}", json={"sla_hours": 12}, headers=key_for(tax))

    assert theirs.status_code == 403
    assert ours.json()["sla_hours"] == 12


def test_shared_registers_need_the_admin_scope(client, tax, key_for):
    writer = key_for(tax, Scope.REGISTRY_READ, Scope.REGISTRY_WRITE)

    region = client.post("/api/v1/regions", json={"code": "N", "name": "North"}, headers=writer)
    agency = client.post("/api/v1/agencies", json={"code": "NEW", "name": "New"}, headers=writer)

    assert region.status_code == 403 and agency.status_code == 403
    assert client.get("/api/v1/regions", headers=writer).json()["items"] == []


def test_regions_keep_their_geojson_shape(client, tax, key_for):
    headers = key_for(tax)

    created = client.post("/api/v1/regions", headers=headers, json={
        "code": "north", "name": "North", "centroid_lat": 50.5, "centroid_lon": 10.5, "shape": SQUARE,
    })
    read = client.get(f"/api/v1/regions/{created.json()['id']}", headers=headers)

    assert read.json()["shape"] == SQUARE
    assert read.json()["code"] == "NORTH"


def test_a_shape_that_is_not_a_closed_polygon_is_refused(client, tax, key_for):
    open_ring = {"type": "Polygon", "coordinates": [[[10, 50], [11, 50], [11, 51], [10, 51]]]}

    answer = client.post("/api/v1/regions", json={"code": "X", "name": "X", "shape": open_ring},
                         headers=key_for(tax))

    assert answer.status_code == 422
    assert "close" in answer.json()["detail"]


def test_every_catalogue_attribute_has_exactly_one_authoritative_source(client, tax, key_for):
    headers = key_for(tax)
    attribute = {"key": "tax.annual_income", "name": "Annual income", "subject_kind": "person",
                 "value_type": "money", "sensitivity": "personal"}

    none = client.post("/api/v1/data-attributes", json=attribute, headers=headers)
    ok = client.post("/api/v1/data-attributes", json=attribute | {"source_agency_id": str(tax.id)}, headers=headers)
    read = client.get("/api/v1/data-attributes/tax.annual_income", headers=headers)

    assert none.status_code == 422
    assert ok.status_code == 201
    assert read.json()["source_agency_id"] == str(tax.id)


def test_only_an_organization_registered_as_data_provider_can_be_a_source(client, tax, key_for):
    headers = key_for(tax)
    shop = client.post("/api/v1/organizations", json={"business_id": "B-1001", "name": "Corner Shop",
                                                      "sector": "retail"}, headers=headers).json()
    bank = client.post("/api/v1/organizations", json={"business_id": "B-2002", "name": "First Bank",
                                                      "sector": "banking", "is_data_provider": True},
                       headers=headers).json()
    attribute = {"key": "bank.interest_statement", "name": "Interest statement", "subject_kind": "person",
                 "value_type": "document", "sensitivity": "personal"}

    refused = client.post("/api/v1/data-attributes", json=attribute | {"source_organization_id": shop["id"]},
                          headers=headers)
    accepted = client.post("/api/v1/data-attributes", json=attribute | {"source_organization_id": bank["id"]},
                           headers=headers)

    assert refused.status_code == 422 and "data provider" in refused.json()["detail"]
    assert accepted.status_code == 201


def test_organizations_are_found_by_business_id_or_name_and_filtered_to_providers(client, tax, key_for):
    headers = key_for(tax)
    for business_id, name, provider in [("B-101", "First Bank", True), ("B-202", "Bank Street Cafe", False)]:
        client.post("/api/v1/organizations", headers=headers, json={
            "business_id": business_id, "name": name, "sector": "x", "is_data_provider": provider})

    by_name = client.get("/api/v1/organizations", params={"q": "bank"}, headers=headers).json()["items"]
    providers = client.get("/api/v1/organizations", params={"q": "bank", "data_providers_only": True},
                           headers=headers).json()["items"]
    by_id = client.get("/api/v1/organizations", params={"q": "b-202"}, headers=headers).json()["items"]

    assert {o["name"] for o in by_name} == {"First Bank", "Bank Street Cafe"}
    assert [o["name"] for o in providers] == ["First Bank"]
    assert [o["name"] for o in by_id] == ["Bank Street Cafe"]


def test_a_business_id_is_registered_once(client, tax, key_for):
    headers = key_for(tax)
    org = {"business_id": "B-909", "name": "A", "sector": "x"}
    client.post("/api/v1/organizations", json=org, headers=headers)

    assert client.post("/api/v1/organizations", json=org, headers=headers).status_code == 409
