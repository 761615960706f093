"""Journey analytics on small fixtures whose answers are worked out by hand."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from govcx.core.timeline import TimelineQuery, TimelineViewer, entries
from govcx.crm import schemas as crm_schemas
from govcx.crm import service as crm_service
from govcx.crm.models import CaseStatus, Outcome
from govcx.journeys import analytics, service
from govcx.registry.models import Channel
from tests.conftest import START
from tests.factories.crm import system_of
from tests.factories import registry as factories

DAY1 = START.replace(hour=9, minute=0)


def _ev(n, person, touchpoint, kind, at: datetime, journey="having-a-child"):
    return {"id": f"h-{n}", "person_id": str(person), "journey": journey, "touchpoint": touchpoint,
            "type": kind, "at": at.isoformat()}


def _ingest(uow, clock, agency_id, events):
    with uow() as session:
        result = service.ingest(session=session, agency_id=agency_id, events_in=events, clock=clock)
        assert not result.errors, result.errors


def _contact(uow, clock, agency_id, person_id, service_id, channel, start, minutes):
    with uow() as session:
        crm_service.record_interaction(session=session, by=system_of(agency_id), clock=clock,
                                       data=crm_schemas.InteractionCreate(
                                           person_id=person_id, service_id=service_id, channel=channel,
                                           started_at=start, ended_at=start + timedelta(minutes=minutes),
                                           outcome=Outcome.RESOLVED))


def test_the_time_tax_of_one_life_event_matches_a_hand_computation(app, uow, clock, country):
    ana, c = country.ana.id, country.catalogue
    clock.set(DAY1 + timedelta(days=3))  # events must not be in the future
    # Web: 20 minutes registering the birth at POP (start 09:00, submit 09:20), 45 at SOC (10:00-10:45).
    # A view and a step do not count; only start to submit does.
    _ingest(uow, clock, c.agencies["POP"], [
        _ev(1, ana, "pop-birth", "view", DAY1 - timedelta(minutes=5)),
        _ev(2, ana, "pop-birth", "start", DAY1),
        _ev(3, ana, "pop-birth", "step", DAY1 + timedelta(minutes=7)),
        _ev(4, ana, "pop-birth", "submit", DAY1 + timedelta(minutes=20)),
        _ev(5, ana, "pop-birth", "complete", DAY1 + timedelta(minutes=21)),
        _ev(6, ana, "soc-child", "start", DAY1 + timedelta(hours=1)),
        _ev(7, ana, "soc-child", "submit", DAY1 + timedelta(hours=1, minutes=45)),
    ])
    # Contacts: 30 minutes on the phone with SOC about child benefit, 15 at HEALTH choosing a doctor;
    # an hour about a tax return is another life event's and does not count.
    _contact(uow, clock, c.agencies["SOC"], ana, c.services["SOC-CHILD"], Channel.PHONE, DAY1 + timedelta(hours=2), 30)
    _contact(uow, clock, c.agencies["HEALTH"], ana, c.services["HEALTH-DOCTOR"], Channel.IN_PERSON,
             DAY1 + timedelta(hours=4), 15)
    _contact(uow, clock, c.agencies["TAX"], ana, c.services["TAX-RETURN"], Channel.PHONE, DAY1 + timedelta(hours=5), 60)
    # A case at SOC about child benefit: opened at 12:00 on day one, resolved 48 hours later.
    clock.set(DAY1 + timedelta(hours=3))
    with uow() as session:
        case = crm_service.file_case(session=session, by=system_of(c.agencies["SOC"]), clock=clock,
                                     data=crm_schemas.CaseCreate(person_id=ana, service_id=c.services["SOC-CHILD"],
                                                                 description="Child benefit for Leo"))
    clock.set(DAY1 + timedelta(hours=51))
    with uow() as session:
        crm_service.change_status(session=session, case_id=case.id, by=system_of(c.agencies["SOC"]), clock=clock,
                                  data=crm_schemas.CaseStatusChange(status=CaseStatus.RESOLVED, reason="Paid"))

    with uow() as session:
        life_event = service.get_life_event(session=session, key="having-a-child")
        tax = analytics.time_tax_of(session=session, life_event=life_event, person_id=ana, now=clock.now())

    assert tax.touchpoint_hours == pytest.approx((20 + 45) / 60, abs=1e-4)
    assert tax.contact_hours == pytest.approx((30 + 15) / 60, abs=1e-4)
    assert tax.waiting_hours == pytest.approx(48, abs=1e-4)
    assert tax.total_hours == pytest.approx(65 / 60 + 45 / 60 + 48, abs=1e-4)
    assert tax.by_agency == pytest.approx({"POP": 20 / 60, "SOC": 45 / 60 + 30 / 60 + 48, "HEALTH": 15 / 60},
                                          abs=1e-4)


def test_the_time_tax_across_people_is_withheld_below_the_threshold_and_shown_above(uow, clock, cipher, country):
    c = country.catalogue
    clock.set(DAY1 + timedelta(days=3))
    people = []
    with uow() as session:
        people = [factories.person(session, clock, cipher).id for _ in range(10)]
    # Person k spends k*6 minutes at POP: 6, 12, ... 60 minutes.
    _ingest(uow, clock, c.agencies["POP"], [e for k, p in enumerate(people, start=1) for e in (
        _ev(f"{k}s", p, "pop-birth", "start", DAY1), _ev(f"{k}e", p, "pop-birth", "submit",
                                                          DAY1 + timedelta(minutes=6 * k)))])
    with uow() as session:
        life_event = service.get_life_event(session=session, key="having-a-child")
        shown = analytics.time_tax(session=session, life_event=life_event, threshold=10, now=clock.now())
        withheld = analytics.time_tax(session=session, life_event=life_event, threshold=11, now=clock.now())
    assert shown.people == 10
    assert shown.median_hours == pytest.approx((30 + 36) / 2 / 60, abs=0.01)
    assert shown.p90_hours == pytest.approx(54 / 60, abs=0.01)
    assert [(a.agency, a.share) for a in shown.agencies] == [("POP", 1.0)]
    assert withheld.people is None and withheld.median_hours is None and withheld.agencies == []


def test_the_funnel_finds_the_step_that_loses_people_and_withholds_small_groups(uow, clock, cipher, country):
    c = country.catalogue
    clock.set(DAY1 + timedelta(days=30))
    with uow() as session:
        people = [factories.person(session, clock, cipher).id for _ in range(40)]
    events = []
    for k, p in enumerate(people):
        at = DAY1 + timedelta(minutes=k)
        events += [_ev(f"{k}a", p, "pop-birth", "start", at), _ev(f"{k}b", p, "pop-birth", "complete", at)]
        if k < 36:  # 4 of 40 stop after the birth (done with it: no drop-off there)
            events.append(_ev(f"{k}c", p, "soc-child", "start", at + timedelta(days=1)))
        if k < 12:  # only 12 of the 36 get through child benefit: the bottleneck
            events.append(_ev(f"{k}d", p, "soc-child", "complete", at + timedelta(days=1, minutes=30)))
    _ingest(uow, clock, c.agencies["POP"], events)
    with uow() as session:
        journey = service.get_journey_map(session=session, key="having-a-child")
        funnel = analytics.funnel(session=session, journey=journey, threshold=5)
    steps = {s.key: s for s in funnel.touchpoints}
    assert (steps["pop-birth"].reached, steps["pop-birth"].continued, steps["pop-birth"].dropped) == (40, 40, None)
    assert (steps["soc-child"].reached, steps["soc-child"].continued, steps["soc-child"].dropped) == (36, 12, 24)
    assert steps["soc-child"].drop_off == pytest.approx(24 / 36, abs=0.001)
    assert steps["soc-child"].median_minutes == 30.0
    assert funnel.bottleneck == "soc-child"
    assert steps["soc-parental"].reached is None  # nobody: fewer than the threshold
    stages = {s.key: s for s in funnel.stages}
    assert stages["benefits"].reached == 36 and stages["benefits"].continued == 12


def test_a_web_abandon_then_a_phone_call_within_a_week_is_a_channel_switch(app, uow, clock, cipher, country):
    c = country.catalogue
    clock.set(DAY1 + timedelta(days=30))
    with uow() as session:
        people = [factories.person(session, clock, cipher).id for _ in range(6)]
    _ingest(uow, clock, c.agencies["SOC"], [
        _ev(f"ab{k}", p, "soc-child", "abandon", DAY1) for k, p in enumerate(people)])
    for k, p in enumerate(people):
        # Five phone within the week; the sixth only after eight days.
        start = DAY1 + timedelta(days=2 if k < 5 else 8)
        _contact(uow, clock, c.agencies["SOC"], p, c.services["SOC-CHILD"], Channel.PHONE, start, 10)
    with uow() as session:
        report = analytics.channel_switches(session=session, threshold=5)
        small = analytics.channel_switches(session=session, threshold=7)
    row = report.services[0]
    assert (row.web_abandons, row.switches, report.total) == (6, 5, 5)
    assert small.total is None and small.services[0].switches is None


def test_a_journey_appears_on_the_person_timeline_for_those_who_took_part(app, uow, clock, country):
    ana, c = country.ana.id, country.catalogue
    clock.set(DAY1 + timedelta(days=1))
    _ingest(uow, clock, c.agencies["POP"], [_ev(1, ana, "pop-birth", "start", DAY1)])
    with uow() as session:
        mine = entries(session=session, query=TimelineQuery(person_id=ana, viewer=TimelineViewer(
            agency_id=None, is_subject=True), types=frozenset({"journey"})))
        pop = entries(session=session, query=TimelineQuery(person_id=ana, viewer=TimelineViewer(
            agency_id=c.agencies["POP"]), types=frozenset({"journey"})))
        tax = entries(session=session, query=TimelineQuery(person_id=ana, viewer=TimelineViewer(
            agency_id=c.agencies["TAX"]), types=frozenset({"journey"})))
    assert [e.title for e in mine] == ["Started: Having a child"]
    assert len(pop) == 1 and tax == []
