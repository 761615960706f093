"""Attacks with dates at the edges of the calendar: every route that takes one answers 422, never 500."""

from __future__ import annotations

import uuid

import pytest

from govcx.core.accounts import KEY_SCOPES, Role
from govcx.core.bounded import fiscal_quarter_bounds, parse_datetime
from tests.factories import registry as factories
from tests.web.helpers import csrf_token, sign_in_staff

EDGES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00", "9999-12-31"]
DAY_EDGES = ["0001-01-01", "9999-12-31"]


def _has_date(document, schema, seen=()) -> bool:  # noqa: ANN001
    if isinstance(schema, dict):
        if schema.get("format") in ("date-time", "date"):
            return True
        if "$ref" in schema:
            name = schema["$ref"].split("/")[-1]
            return name not in seen and _has_date(document, document["components"]["schemas"][name], (*seen, name))
        return any(_has_date(document, value, seen) for value in schema.values())
    if isinstance(schema, list):
        return any(_has_date(document, value, seen) for value in schema)
    return False


def _date_fields(document, schema) -> dict[str, str]:  # noqa: ANN001
    """The top-level fields of a request body that are dates or date-times, with their format."""
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].split("/")[-1]]
    found = {}
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf", [prop])
        for option in options:
            if option.get("format") in ("date-time", "date"):
                found[name] = option["format"]
    return found


def _operations_taking_dates(document):  # noqa: ANN001, ANN202
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            params = {p["name"]: p["schema"] for p in operation.get("parameters", []) if _has_date(document, p["schema"])}
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            fields = _date_fields(document, body) if body and _has_date(document, body) else {}
            if params or fields:
                yield method.upper(), path, params, fields


@pytest.fixture
def every_scope(uow, clock, client):
    """An agency key with every scope a key may hold, on a client signed in as a platform admin.

    Routes that take a key use the key; those only a signed-in platform admin may call (legal bases)
    use the session, with its CSRF token.
    """
    with uow() as session:
        agency = factories.agency(session, clock, code="TAX", name="Tax Agency")
        key = factories.api_key(session, clock, agency, sorted(KEY_SCOPES))
        admin = factories.staff(session, clock, None, Role.PLATFORM_ADMIN)
    sign_in_staff(client, admin.email)
    return {"X-API-Key": key, "X-CSRF-Token": csrf_token(client, "/staff")}


def test_every_route_that_takes_a_date_refuses_one_at_the_edge_of_the_calendar(app, client, every_scope):
    operations = list(_operations_taking_dates(app.openapi()))
    # Interactions, consents, legal bases, facts, persons, the timeline, repeat asks and KPIs, at least.
    assert len(operations) >= 8
    for method, path, params, fields in operations:
        url = path.replace("{person_id}", str(uuid.uuid4()))
        for name, schema in params.items():
            for edge in DAY_EDGES if "date-time" not in str(schema) else EDGES:
                answer = client.request(method, url, params={name: edge}, headers=every_scope)
                assert answer.status_code == 422, (method, path, name, edge, answer.status_code)
                assert any(e["location"][-1] == name for e in answer.json()["errors"]), (path, name, edge)
        for name, kind in fields.items():
            for edge in DAY_EDGES if kind == "date" else EDGES:
                answer = client.request(method, url, json={name: edge}, headers=every_scope)
                assert answer.status_code == 422, (method, path, name, edge, answer.status_code)
                located = [e for e in answer.json()["errors"] if e["location"][-1] == name]
                assert located, (method, path, name, edge, answer.json())


def test_an_interaction_at_the_edge_is_refused_and_an_ordinary_one_is_kept(client, every_scope, uow, clock, cipher):
    with uow() as session:
        person = factories.person(session, clock, cipher)
    body = {"person_id": str(person.id), "channel": "phone", "outcome": "resolved",
            "started_at": "9999-12-31T23:59:59-14:00"}

    edge = client.post("/api/v1/interactions", json=body, headers=every_scope)
    ordinary = client.post("/api/v1/interactions", json={**body, "started_at": "2026-03-16T09:00:00+14:00"},
                           headers=every_scope)

    assert edge.status_code == 422
    assert ordinary.status_code == 201, ordinary.json()
    assert ordinary.json()["started_at"].startswith("2026-03-15T19:00:00")


def test_the_public_open311_list_answers_an_edge_date_with_its_error_list(client):
    for edge in EDGES:
        answer = client.get("/open311/v2/requests.json", params={"start_date": edge})
        assert answer.status_code == 400, (edge, answer.text)
        assert answer.json()[0]["code"] == 400 and "start_date" in answer.json()[0]["description"]
    xml = client.get("/open311/v2/requests.xml", params={"end_date": EDGES[1]})
    assert xml.status_code == 400 and b"<errors>" in xml.content


def test_a_quarter_outside_the_calendar_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="fiscal year between"):
        fiscal_quarter_bounds("FY0000Q1", 10)
    with pytest.raises(ValueError, match="not a fiscal quarter"):
        fiscal_quarter_bounds("FY2026Q5", 10)
    assert fiscal_quarter_bounds("fy2026q1", 10)[2:] == (__import__("datetime").date(2025, 10, 1),
                                                         __import__("datetime").date(2026, 1, 1))


def test_parse_datetime_reads_naive_as_utc_and_refuses_the_edges():
    assert parse_datetime("2026-03-16T09:30:00").isoformat() == "2026-03-16T09:30:00+00:00"
    for edge in EDGES:
        with pytest.raises(ValueError):
            parse_datetime(edge)
