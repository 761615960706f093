"""Life events ship as data, load into the store once per file version, and map onto the catalogue."""

from __future__ import annotations

from sqlalchemy import func, select

from govcx.journeys import lifeevents, service
from govcx.journeys.models import JourneyMap, LifeEvent, LifeEventVersion
from tests.factories.journeys import demo_catalogue

REQUIRED = {"approaching-retirement", "recovering-from-disaster", "military-to-civilian", "having-a-child",
            "financial-shock", "starting-a-business", "moving-home", "losing-a-job"}


def test_the_shipped_file_defines_every_required_life_event_in_english_and_spanish():
    shipped = lifeevents.shipped()
    keys = {le.key for le in shipped.life_events}
    assert REQUIRED <= keys
    for le in shipped.life_events:
        assert le.names.en and le.names.es and le.names.en != le.names.es
        assert le.triggers, f"{le.key} has nothing that starts it"
        assert len({item.agency for stage in le.stages for item in stage.services}) >= 2, f"{le.key} is one agency"


def test_every_service_of_every_life_event_is_in_the_demo_catalogue(uow, clock):
    with uow() as session:
        catalogue = demo_catalogue(session, clock, load=False)
    for le in lifeevents.shipped().life_events:
        for stage in le.stages:
            for item in stage.services:
                assert item.service in catalogue.services, f"{le.key}: {item.service}"


def test_loading_twice_changes_nothing_and_each_life_event_gets_a_journey_map(uow, clock):
    with uow() as session:
        demo_catalogue(session, clock)
    with uow() as session:
        counts = service.load_life_events(session=session, clock=clock)
        assert counts["added"] == 0 and counts["updated"] == 0
        assert session.scalar(select(func.count()).select_from(LifeEventVersion)) == len(
            lifeevents.shipped().life_events)
        child = service.get_journey_map(session=session, key="having-a-child")
        assert [s.key for s in child.stages] == ["birth", "benefits", "health", "childcare"]
        assert [t.key for t in child.touchpoints][:3] == ["pop-birth", "soc-child", "soc-parental"]
        assert child.version == 1
        assert session.scalar(select(func.count()).select_from(JourneyMap)) == len(lifeevents.shipped().life_events)


def test_a_newer_file_version_updates_a_life_event_as_a_new_version_but_never_an_edited_one(uow, clock):
    with uow() as session:
        demo_catalogue(session, clock)
        moving = service.get_life_event(session=session, key="moving-home")
        edited = service.definition_of(moving).model_dump(mode="json", exclude={"key"})
        edited["names"]["en"] = "Moving house"
        service.update_life_event(session=session, key="moving-home", data=edited, expected_version=1,
                                  changed_by="analyst@gov.example", clock=clock)
    newer = lifeevents.shipped().model_copy(deep=True)
    newer.version += 1
    for le in newer.life_events:
        le.names.en += " (revised)"
    with uow() as session:
        counts = service.load_life_events(session=session, clock=clock, file=newer)
        assert counts["updated"] == len(newer.life_events) - 1
        child = service.get_life_event(session=session, key="having-a-child")
        assert (child.version, child.name_en) == (2, "Having a child (revised)")
        moving = service.get_life_event(session=session, key="moving-home")
        assert (moving.version, moving.name_en, moving.edited) == (2, "Moving house", True)
        versions = service.life_event_versions(session=session, life_event_id=child.id)
        assert [v.version for v in versions] == [2, 1]
        assert versions[1].name_en == "Having a child"
        assert session.scalar(select(func.count()).select_from(LifeEvent)) == len(newer.life_events)
