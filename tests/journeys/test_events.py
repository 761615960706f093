"""POST /api/v1/events: batches of touchpoint events, idempotent per agency, bad events named by index."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from govcx.core.accounts import Scope
from govcx.journeys.models import InstanceStatus, JourneyInstance, TouchpointEvent, VisitorLink
from tests.conftest import START
from tests.factories import registry as factories


def _event(n: int, *, person=None, visitor="v-1", touchpoint="soc-child", kind="view", at=None,
           journey="having-a-child"):
    return {"id": f"e-{n}", "person_id": str(person) if person else None, "visitor_id": visitor,
            "journey": journey, "touchpoint": touchpoint, "type": kind,
            "at": at if isinstance(at, str) else (at or START - timedelta(minutes=60 - n)).isoformat()}


def _count(uow) -> int:
    with uow() as session:
        return session.scalar(select(func.count()).select_from(TouchpointEvent))


def test_resending_a_batch_changes_nothing(client, uow, events_key):
    batch = {"events": [_event(n) for n in range(5)]}
    first = client.post("/api/v1/events", json=batch, headers=events_key)
    again = client.post("/api/v1/events", json=batch, headers=events_key)
    assert first.status_code == 200 and first.json() == {"accepted": 5, "duplicates": 0, "errors": []}
    assert again.status_code == 200 and again.json() == {"accepted": 0, "duplicates": 5, "errors": []}
    assert _count(uow) == 5


def test_the_same_client_id_from_another_agency_is_another_event(client, uow, clock, country, events_key):
    with uow() as session:
        other = {"X-API-Key": factories.api_key(session, clock, country.pop, [Scope.EVENTS_WRITE])}
    batch = {"events": [_event(1)]}
    client.post("/api/v1/events", json=batch, headers=events_key)
    assert client.post("/api/v1/events", json=batch, headers=other).json()["accepted"] == 1
    assert _count(uow) == 2


def test_a_batch_with_bad_events_keeps_the_good_ones_and_names_each_bad_one_by_index(client, uow, events_key):
    batch = {"events": [
        _event(0),
        _event(1, kind="teleport"),
        _event(2, journey="no-such-journey"),
        _event(3),
        _event(4, at="yesterday"),
        "not an event",
        _event(6, touchpoint="no-such-touchpoint"),
        _event(7, visitor=None),
        _event(8, person="00000000-0000-7000-8000-000000000000"),
    ]}
    answer = client.post("/api/v1/events", json=batch, headers=events_key)
    assert answer.status_code == 200
    body = answer.json()
    assert body["accepted"] == 2
    assert [e["index"] for e in body["errors"]] == [1, 2, 4, 5, 6, 7, 8]
    assert body["errors"][0]["id"] == "e-1" and "type" in body["errors"][0]["errors"][0]
    assert "no-such-journey" in body["errors"][1]["errors"][0]
    assert body["errors"][3]["id"] is None
    assert _count(uow) == 2


def test_a_malformed_batch_writes_nothing(client, uow, events_key):
    for body in (b"{not json", b'[{"id": "x"}]', b'{"events": "many"}', b'{"events": []}',
                 b'{"events": [], "extra": 1}'):
        answer = client.post("/api/v1/events", content=body, headers={**events_key,
                                                                     "Content-Type": "application/json"})
        assert answer.status_code == 422, body
        assert answer.headers["content-type"] == "application/problem+json"
    assert _count(uow) == 0


def test_an_oversized_batch_is_refused_whole_with_a_413(client, uow, events_key):
    answer = client.post("/api/v1/events", json={"events": [_event(n) for n in range(10_001)]}, headers=events_key)
    assert answer.status_code == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert "10,000" in answer.json()["detail"]
    assert _count(uow) == 0


def test_events_need_the_events_write_scope(client, uow, clock, country):
    with uow() as session:
        crm_only = {"X-API-Key": factories.api_key(session, clock, country.soc, [Scope.CRM_WRITE])}
    assert client.post("/api/v1/events", json={"events": [_event(0)]}, headers=crm_only).status_code == 403
    assert client.post("/api/v1/events", json={"events": [_event(0)]}).status_code == 401
    assert _count(uow) == 0


def test_a_beacon_may_carry_its_key_in_the_body(client, uow, events_key):
    body = {"key": events_key["X-API-Key"], "events": [_event(0)]}
    import json
    answer = client.post("/api/v1/events", content=json.dumps(body), headers={"Content-Type": "text/plain"})
    assert answer.status_code == 200 and answer.json()["accepted"] == 1


def test_a_visitor_id_is_linked_to_the_person_on_sign_in_and_their_earlier_events_become_theirs(
        client, uow, country, events_key):
    client.post("/api/v1/events", json={"events": [_event(0, visitor="v-9"), _event(1, visitor="v-9")]},
                headers=events_key)
    # The agency's form signs Ana in and says so: her visitor id and her person id on one event.
    client.post("/api/v1/events", json={"events": [_event(2, visitor="v-9", person=country.ana.id)]},
                headers=events_key)
    client.post("/api/v1/events", json={"events": [_event(3, visitor="v-9")]}, headers=events_key)
    with uow() as session:
        owners = set(session.scalars(select(TouchpointEvent.person_id)))
        assert owners == {country.ana.id}
        assert session.scalar(select(VisitorLink.person_id).where(VisitorLink.visitor_id == "v-9")) == country.ana.id


def test_events_of_a_person_start_and_move_their_life_event_on(client, uow, country, events_key):
    ana = country.ana.id
    client.post("/api/v1/events", json={"events": [
        _event(0, person=ana, touchpoint="pop-birth", kind="start"),
        _event(1, person=ana, touchpoint="pop-birth", kind="complete"),
        _event(2, person=ana, touchpoint="soc-child", kind="start"),
    ]}, headers=events_key)
    with uow() as session:
        instance = session.scalars(select(JourneyInstance)).one()
        assert instance.person_id == ana and instance.status is InstanceStatus.ACTIVE
        assert instance.current_stage == "benefits"
        assert set(instance.agencies) == {"POP", "SOC"}
        assert set(instance.services_done) == {"POP-BIRTH"}
