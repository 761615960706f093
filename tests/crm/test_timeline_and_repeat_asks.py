from datetime import timedelta

import pytest

from govcx.core import timeline
from govcx.core.timeline import TimelineEntry
from govcx.registry.models import Channel
from tests.factories import crm as crm_factories


def test_the_timeline_merges_interactions_and_cases_newest_first(client, uow, clock, gov, key_for):
    start = clock.now()
    with uow() as session:
        crm_factories.interaction(session, clock, gov.tax, gov.ana.id, started_at=start - timedelta(days=3))
        crm_factories.case(session, clock, gov.transport, gov.pothole.id, gov.ana.id)
        crm_factories.interaction(session, clock, gov.transport, gov.ana.id, channel=Channel.WEB,
                                  started_at=start - timedelta(days=1))

    items = client.get(f"/api/v1/persons/{gov.ana.id}/timeline", headers=key_for(gov.tax)).json()["items"]

    assert [(i["type"], i["channel"]) for i in items] == [("case", "web"), ("interaction", "web"),
                                                         ("interaction", "phone")]


@pytest.mark.parametrize("filters, expected", [
    ({"channel": "phone"}, [("interaction", "Tax Agency")]),
    ({"type": "case"}, [("case", "Transport Agency")]),
    ({"agency": "transport"}, [("case", "Transport Agency"), ("interaction", "Transport Agency")]),
])
def test_the_timeline_filters_by_agency_channel_and_type(client, uow, clock, gov, key_for, filters, expected):
    with uow() as session:
        crm_factories.interaction(session, clock, gov.tax, gov.ana.id, started_at=clock.now() - timedelta(days=2))
        crm_factories.interaction(session, clock, gov.transport, gov.ana.id, channel=Channel.WEB,
                                  started_at=clock.now() - timedelta(days=1))
        crm_factories.case(session, clock, gov.transport, gov.pothole.id, gov.ana.id)
    params = dict(filters)
    if "agency" in params:
        params = {"agency_id": str(getattr(gov, params.pop("agency")).id)}

    items = client.get(f"/api/v1/persons/{gov.ana.id}/timeline", headers=key_for(gov.tax), params=params).json()

    assert [(i["type"], i["agency_name"]) for i in items["items"]] == expected


class FeedbackEntries:
    """A stand-in domain that contributes entries the way consent, exchange or feedback will."""

    def __init__(self, at) -> None:  # noqa: ANN001
        self.at = at

    def __call__(self, *, session, query):  # noqa: ANN001, ANN204
        yield TimelineEntry(at=self.at, type="feedback", source="feedback", agency_id=None, channel=Channel.WEB,
                            title="Rated a service 5 of 5")


def test_other_domains_add_their_entries_through_the_provider_interface(client, uow, clock, gov, key_for):
    provider = FeedbackEntries(clock.now() + timedelta(minutes=1))
    timeline.register_entries({"feedback"}, provider)
    try:
        with uow() as session:
            crm_factories.interaction(session, clock, gov.tax, gov.ana.id)
        url = f"/api/v1/persons/{gov.ana.id}/timeline"

        everything = client.get(url, headers=key_for(gov.tax)).json()["items"]
        only_interactions = client.get(url, headers=key_for(gov.tax), params={"type": "interaction"}).json()["items"]
    finally:
        timeline.unregister_entries(provider)

    assert [i["type"] for i in everything] == ["feedback", "interaction"]
    assert [i["type"] for i in only_interactions] == ["interaction"]


def test_the_timeline_shows_which_facts_government_already_holds_but_not_their_values(client, gov, key_for):
    facts = client.get(f"/api/v1/persons/{gov.ana.id}/timeline", headers=key_for(gov.tax)).json()["facts"]

    phone = next(f for f in facts if f["key"] == "person.phone")
    assert (phone["label"], phone["source"]) == ("Phone", "Population register") and phone["since"]
    assert "value" not in phone and "+15550100" not in str(facts)


def test_pages_of_the_timeline_walk_back_in_time(client, uow, clock, gov, key_for):
    with uow() as session:
        for day in range(5):
            crm_factories.interaction(session, clock, gov.tax, gov.ana.id, started_at=clock.now() - timedelta(days=day))
    url, headers = f"/api/v1/persons/{gov.ana.id}/timeline", key_for(gov.tax)

    first = client.get(url, headers=headers, params={"limit": 3}).json()
    second = client.get(url, headers=headers, params={"limit": 3, "before": first["next_before"]}).json()

    assert len(first["items"]) == 3 and len(second["items"]) == 2
    assert second["next_before"] is None


def test_a_value_typed_again_is_a_repeat_ask_counted_per_service(client, gov, key_for):
    headers = key_for(gov.tax)
    body = {"person_id": str(gov.ana.id), "channel": "in_person", "outcome": "resolved",
            "service_id": str(gov.tax_return.id), "started_at": "2026-03-16T09:00:00Z",
            "values_given": {"phone": "+1555 0100".replace(" ", ""), "street_address": " 1 main street ",
                             "email": "new@example.org"}}

    recorded = client.post("/api/v1/interactions", headers=headers, json=body)
    report = client.get("/api/v1/repeat-asks/by-service", headers=headers).json()["items"]

    assert recorded.status_code == 201
    assert report == [{"service_id": str(gov.tax_return.id), "service_name": "File a tax return", "count": 2}]


def _sameness(answer) -> str:  # noqa: ANN001
    body = answer.json()
    return repr({k: v for k, v in body.items() if k not in ("id", "started_at")})


def test_a_repeat_ask_never_tells_the_caller_whether_its_guess_matched(client, gov, key_for):
    headers = key_for(gov.tax)
    answers = []
    for n, (field, guess) in enumerate([("phone", "+15550100"), ("phone", "+15550999"),
                                        ("street_address", "1 main street"), ("street_address", "2 Other Road"),
                                        ("given_name", "ana"), ("given_name", "Anna")]):
        body = {"person_id": str(gov.ana.id), "channel": "phone", "outcome": "resolved",
                "service_id": str(gov.tax_return.id), "started_at": f"2026-03-16T09:{n:02d}:00Z",
                "values_given": {field: guess}}
        recorded = client.post("/api/v1/interactions", headers=headers, json=body)
        read = client.get(f"/api/v1/interactions/{recorded.json()['id']}", headers=headers)
        answers.append((recorded, read))

    assert {a.status_code for pair in answers for a in pair} == {200, 201}
    assert len({_sameness(recorded) for recorded, _ in answers}) == 1  # a right and a wrong guess look alike
    assert len({_sameness(read) for _, read in answers}) == 1
    report = client.get("/api/v1/repeat-asks/by-service", headers=headers).json()["items"]
    assert report == [{"service_id": str(gov.tax_return.id), "service_name": "File a tax return", "count": 3}]


def test_an_unknown_field_typed_in_is_refused_and_records_nothing(client, gov, key_for):
    headers = key_for(gov.tax)
    body = {"person_id": str(gov.ana.id), "channel": "phone", "outcome": "resolved",
            "started_at": "2026-03-16T09:00:00Z", "values_given": {"shoe_size": "42"}}

    answer = client.post("/api/v1/interactions", headers=headers, json=body)

    assert answer.status_code == 422
    assert client.get(f"/api/v1/persons/{gov.ana.id}/timeline", headers=headers).json()["items"] == []


def test_an_interaction_that_ends_before_it_starts_is_refused(client, gov, key_for):
    answer = client.post("/api/v1/interactions", headers=key_for(gov.tax), json={
        "person_id": str(gov.ana.id), "channel": "phone", "outcome": "resolved",
        "started_at": "2026-03-16T09:00:00Z", "ended_at": "2026-03-16T08:00:00Z"})

    assert answer.status_code == 422
    assert "ended_at is before started_at" in answer.json()["detail"]


def test_a_citizen_cannot_read_the_staff_timeline_api(client, gov):
    from tests.web.helpers import sign_in_citizen

    sign_in_citizen(client, "NID-7700-1234")

    assert client.get(f"/api/v1/persons/{gov.ana.id}/timeline").status_code == 401
