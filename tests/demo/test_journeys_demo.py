"""The demo's journeys: the funnel finds the planted bottleneck; the citizen has a life event and an offer waiting."""

from __future__ import annotations

from sqlalchemy import func, select

from govcx.journeys import analytics
from govcx.journeys.models import TouchpointEvent
from govcx.journeys import service as journeys
from govcx.journeys.proactive import service as proactive
from govcx.journeys.proactive.service import Tools
from govcx.notify import service as notify
from govcx.registry import service as registry


def _effect(truth, name):  # noqa: ANN001, ANN202
    return next(e for e in truth["effects"] if e["name"] == name)


def test_on_a_small_demo_the_funnel_finds_the_planted_bottleneck(truth, uow, settings):
    planted = _effect(truth, "journey_bottleneck")

    with uow() as session:
        journey = journeys.get_journey_map(session=session, key=planted["parameters"]["journey"])
        found = analytics.funnel(session=session, journey=journey, threshold=settings.suppression_threshold)

    assert set(planted) == {"name", "domain", "description", "parameters", "measured"}
    assert found.bottleneck == planted["parameters"]["touchpoint"]
    assert truth["journeys"]["events"] > 0


def test_every_journey_has_a_year_of_events_and_the_rules_cover_three_life_events(truth, uow):
    with uow() as session:
        maps = {j.id: j.key for j in journeys.list_journey_maps(session=session)}
        spans = {maps[j]: (first, last) for j, first, last in session.execute(
            select(TouchpointEvent.journey_id, func.min(TouchpointEvent.at), func.max(TouchpointEvent.at))
            .group_by(TouchpointEvent.journey_id))}
        rules = proactive.list_rules(session=session, agency_id=None)

    assert len({r.life_event_key for r in rules}) >= 3
    assert sorted(r.code for r in rules) == sorted(truth["journeys"]["rules"])
    assert set(spans) == set(maps.values()) and len(maps) >= 8
    assert all((last - first).days > 300 for first, last in spans.values())


def test_the_demo_citizen_has_a_life_event_under_way_and_one_offer_waiting(demo, truth, uow, cipher, clock,
                                                                             settings):
    tools = Tools.of(clock=clock, settings=settings)
    with uow() as session:
        citizen = registry.find_person_by_national_id(session=session, cipher=cipher,
                                                      national_id=demo.citizen_national_id)
        offers = proactive.offers_of(session=session, person_id=citizen.id, tools=tools)
        under_way = proactive.life_events_of(session=session, person_id=citizen.id, language="en")
        messages = notify.latest_messages(session=session, person_id=citizen.id, limit=100)

    assert [o.status.value for o in offers] == ["offered"]
    assert offers[0].service_name == "Apply for child benefit" and offers[0].consent is not None
    assert "Having a child" in [e.name for e in under_way]
    assert [m.template_key for m in messages].count("proactive.offer") == 1
    assert _effect(truth, "proactive_offer_waiting")["measured"]["offers_waiting"] == 1
