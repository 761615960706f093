"""Journeys hear the vault: a fact a life event names as its trigger starts that life event for the person."""

from __future__ import annotations

from sqlalchemy import select

from govcx.core.accounts import Scope
from govcx.core.db import make_session_factory
from govcx.journeys.models import JourneyInstance, LifeEvent
from govcx.notify.worker import Worker
from tests.factories import registry as factories
from tests.factories import vault as vault_factories

HOUSEHOLD = "person.household_members"  # having-a-child's trigger fact in the shipped life events


def _instances(uow, person_id) -> list[str]:  # noqa: ANN001
    with uow() as session:
        return sorted(session.scalars(select(LifeEvent.key).join(
            JourneyInstance, JourneyInstance.life_event_id == LifeEvent.id).where(JourneyInstance.person_id == person_id)))


def test_a_fact_that_starts_a_life_event_starts_it_once_for_the_person_and_no_one_else(
        client, uow, clock, engine, settings, country):
    with uow() as session:
        vault_factories.attribute(session, clock, HOUSEHOLD, agency=country.pop)
        vault_factories.attribute(session, clock, "person.nickname", agency=country.pop)
        key = factories.api_key(session, clock, country.pop, [Scope.VAULT_WRITE])
    worker = Worker(session_factory=make_session_factory(engine), clock=clock, settings=settings)

    def record(attribute: str, value: str) -> None:
        answer = client.post("/api/v1/vault/facts", headers={"X-API-Key": key}, json={
            "subject_id": str(country.ana.id), "attribute_key": attribute, "value": value})
        assert answer.status_code == 201, answer.text
        worker.drain()

    record("person.nickname", "Annie")
    assert _instances(uow, country.ana.id) == []  # a fact no life event names starts nothing

    record(HOUSEHOLD, "Ana; a child born 2026-03-14")
    record(HOUSEHOLD, "Ana; a child born 2026-03-14; her mother")  # the same journey, moved on, not a second

    assert _instances(uow, country.ana.id) == ["having-a-child"]
    assert _instances(uow, country.ben.id) == []
