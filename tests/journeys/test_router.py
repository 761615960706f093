"""The life events and journey maps API: read, change as new versions, refuse stale or bad changes."""

from __future__ import annotations

import pytest

from govcx.core.accounts import Scope
from tests.factories import registry as factories


@pytest.fixture
def keys(uow, clock, country):
    with uow() as session:
        return {
            "reader": {"X-API-Key": factories.api_key(session, clock, country.soc, [Scope.REGISTRY_READ,
                                                                                   Scope.CX_READ])},
            "soc": {"X-API-Key": factories.api_key(session, clock, country.soc, [Scope.JOURNEYS_WRITE,
                                                                                Scope.CX_READ])},
            "pop": {"X-API-Key": factories.api_key(session, clock, country.pop, [Scope.JOURNEYS_WRITE,
                                                                                Scope.CX_READ])},
        }


def _body(life_event: dict) -> dict:
    return {k: life_event[k] for k in ("names", "description", "triggers", "stages")}


def test_life_events_are_read_and_changed_as_new_versions(client, keys):
    listed = client.get("/api/v1/life-events", headers=keys["reader"]).json()
    assert {"having-a-child", "losing-a-job"} <= {le["key"] for le in listed}
    moving = client.get("/api/v1/life-events/moving-home", headers=keys["reader"]).json()
    body = _body(moving) | {"version": 1}
    body["names"]["en"] = "Moving house"
    changed = client.put("/api/v1/life-events/moving-home", json=body, headers=keys["soc"])
    assert changed.status_code == 200 and changed.json()["version"] == 2 and changed.json()["edited"]
    stale = client.put("/api/v1/life-events/moving-home", json=body, headers=keys["soc"])
    assert stale.status_code == 409
    versions = client.get("/api/v1/life-events/moving-home/versions", headers=keys["reader"]).json()
    assert [v["version"] for v in versions] == [2, 1] and versions[1]["name_en"] == "Moving home"
    assert client.put("/api/v1/life-events/moving-home", json=body, headers=keys["reader"]).status_code == 403


def test_a_life_event_with_a_bad_order_or_an_unknown_service_is_refused_and_nothing_changes(client, keys):
    moving = client.get("/api/v1/life-events/moving-home", headers=keys["reader"]).json()
    later_first = _body(moving)
    later_first["stages"][0]["services"][0]["depends_on"] = ["HEALTH-DOCTOR"]  # comes after it
    unknown = _body(moving)
    unknown["stages"][0]["services"][0]["service"] = "NOPE-1"
    for body in (later_first, unknown):
        answer = client.put("/api/v1/life-events/moving-home", json=body, headers=keys["soc"])
        assert answer.status_code == 422 and answer.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/life-events/moving-home", headers=keys["reader"]).json()["version"] == 1


def test_a_new_life_event_gets_its_journey_map(client, keys):
    body = {"key": "caring-for-a-relative", "names": {"en": "Caring for a relative", "es": "Cuidar de un familiar"},
            "stages": [{"key": "support", "names": {"en": "Support", "es": "Apoyo"},
                        "services": [{"service": "SOC-DISABILITY", "agency": "SOC"},
                                     {"service": "AURELIA-BADGE", "agency": "AURELIA"}]}]}
    created = client.post("/api/v1/life-events", json=body, headers=keys["soc"])
    assert created.status_code == 201
    again = client.post("/api/v1/life-events", json=body, headers=keys["soc"])
    assert again.status_code == 409
    journey = client.get("/api/v1/journeys/caring-for-a-relative", headers=keys["reader"]).json()
    assert journey["life_event"] == "caring-for-a-relative"
    assert [t["key"] for t in journey["touchpoints"]] == ["soc-disability", "aurelia-badge"]


def test_a_touchpoint_is_added_and_owned_by_its_agency_only(client, uow, clock, country, keys):
    with uow() as session:
        owner = factories.staff(session, clock, country.soc)
    phone = {"key": "soc-child-phone", "name": "Child benefit helpline", "stage": "benefits", "channel": "phone",
             "service_id": str(country.catalogue.services["SOC-CHILD"]), "agency_id": str(country.soc.id),
             "owner_staff_id": str(owner.id)}
    added = client.post("/api/v1/journeys/having-a-child/touchpoints", json=phone, headers=keys["soc"])
    assert added.status_code == 201 and added.json()["version"] == 2
    card = next(t for t in added.json()["touchpoints"] if t["key"] == "soc-child-phone")
    assert card["stage"] == "benefits" and card["owner_staff_id"] == str(owner.id)
    # Another agency may not add to SOC's name, nor change SOC's touchpoint.
    assert client.post("/api/v1/journeys/having-a-child/touchpoints", json=phone | {"key": "x-1"},
                       headers=keys["pop"]).status_code == 403
    assert client.patch("/api/v1/journeys/having-a-child/touchpoints/soc-child-phone", json={"name": "Hotline"},
                        headers=keys["pop"]).status_code == 403
    renamed = client.patch("/api/v1/journeys/having-a-child/touchpoints/soc-child-phone", json={"name": "Hotline"},
                           headers=keys["soc"])
    assert renamed.status_code == 200 and renamed.json()["version"] == 3
    versions = client.get("/api/v1/journeys/having-a-child/versions", headers=keys["reader"]).json()
    assert [v["version"] for v in versions] == [3, 2, 1]
    assert not any(t["key"] == "soc-child-phone" for t in versions[2]["snapshot"]["touchpoints"])
    bad_stage = client.post("/api/v1/journeys/having-a-child/touchpoints", json=phone | {"key": "y-1",
                                                                                        "stage": "nowhere"},
                            headers=keys["soc"])
    assert bad_stage.status_code == 422


def test_the_funnel_time_tax_and_channel_switch_reports_answer_through_the_api(client, keys):
    funnel = client.get("/api/v1/journeys/having-a-child/funnel", headers=keys["reader"])
    tax = client.get("/api/v1/life-events/having-a-child/time-tax", headers=keys["reader"])
    switches = client.get("/api/v1/channel-switches", headers=keys["reader"])
    assert funnel.status_code == 200 and funnel.json()["people"] is None  # nobody yet: withheld
    assert tax.status_code == 200 and tax.json()["people"] is None
    assert switches.status_code == 200 and switches.json()["window_days"] == 7
    assert client.get("/api/v1/journeys/nope/funnel", headers=keys["reader"]).status_code == 404
