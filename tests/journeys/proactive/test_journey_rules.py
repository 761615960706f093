"""Journey rules: a touchpoint event of a known person brings an offer; My life events shows the journey."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from govcx.core.accounts import Scope
from govcx.core.db import make_session_factory
from govcx.journeys.proactive.models import Offer
from govcx.journeys.proactive.service import JourneyWatch
from govcx.registry import service as registry
from tests.conftest import START
from tests.factories import notify as notify_factories
from tests.factories import registry as factories
from tests.web.helpers import sign_in_citizen

RULE = {"code": "parental-leave-after-child-benefit", "name": "Parental leave benefit after the child benefit",
        "life_event_key": "having-a-child", "trigger": "journey_event", "trigger_key": "having-a-child/soc-child",
        "condition": 'event.type == "complete"', "reason": "You finished your child benefit application.",
        "offer_days": 30}


def _event(n: int, person, kind: str) -> dict:  # noqa: ANN001
    return {"id": f"e-{n}", "person_id": str(person.id), "journey": "having-a-child", "touchpoint": "soc-child",
            "type": kind, "at": (START - timedelta(minutes=30 - n)).isoformat()}


def test_a_completed_touchpoint_brings_the_next_service_once_and_my_life_events_shows_the_journey(
        client, uow, clock, cipher, settings, engine, country, events_key):
    with uow() as session:
        admin_key = factories.api_key(session, clock, country.soc, [Scope.PROACTIVE_ADMIN])
        notify_factories.templates(session, clock)
        national_id = registry.national_id_of(cipher=cipher, person=registry.get_person(
            session=session, person_id=country.ana.id))
    rule = client.post("/api/v1/proactive/rules", headers={"X-API-Key": admin_key},
                       json={**RULE, "service_id": str(country.catalogue.services["SOC-PARENTAL"])})
    watch = JourneyWatch(session_factory=make_session_factory(engine), clock=clock, settings=settings)
    watch.drain()  # the background loop has been looking since before these events

    client.post("/api/v1/events", headers=events_key,
                json={"events": [_event(1, country.ana, "start"), _event(2, country.ana, "complete"),
                                 _event(3, country.ben, "view")]})
    made = [watch.drain(), watch.drain()]
    sign_in_citizen(client, national_id)
    page = client.get("/me/life-events").text

    assert rule.status_code == 201, rule.text
    assert made == [{"offers": 1}, {"offers": 0}]
    with uow() as session:
        offers = session.scalars(select(Offer)).all()
        assert [(o.person_id, o.service_id) for o in offers] == [(country.ana.id, country.catalogue.services[
            "SOC-PARENTAL"])]
    assert "Having a child" in page and "Apply for parental leave benefit" in page
    assert "What comes next:" in page


def test_a_journey_rule_names_a_journey_and_touchpoint_that_exist(client, uow, clock, country):
    with uow() as session:
        admin_key = factories.api_key(session, clock, country.soc, [Scope.PROACTIVE_ADMIN])
    service_id = str(country.catalogue.services["SOC-PARENTAL"])

    for key in ("no-such-journey", "having-a-child/no-such-touchpoint"):
        answer = client.post("/api/v1/proactive/rules", headers={"X-API-Key": admin_key},
                             json={**RULE, "trigger_key": key, "service_id": service_id})
        assert answer.status_code == 422, key
