"""The demo's journeys and proactive services: a year of touchpoint events, rules, and the citizen's offer.

Every life event's journey map gets a year of people walking its touchpoints in order, each step
losing a few of them, and one planted step (the bottleneck) losing far more: the funnel has to find
it. Agencies keep proactive rules for several life events, and the demo citizen has a child: the
birth is registered, the having-a-child journey is under way and the child benefit waits for them.
Everything planted goes into the truth file.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session, sessionmaker

from govcx.core.accounts import Role
from govcx.core.auth import StaffMember
from govcx.core.clock import Clock
from govcx.core.config import Settings
from govcx.core.crypto import FieldCipher
from govcx.core.db import unit_of_work
from govcx.journeys import service as journeys
from govcx.journeys.proactive import schemas as proactive_schemas
from govcx.journeys.proactive import service as proactive
from govcx.journeys.proactive.models import Trigger
from govcx.notify.worker import Reactions as NotifyReactions
from govcx.registry import schemas as registry_schemas
from govcx.registry import service as registry
from govcx.registry.models import Sensitivity, SubjectKind, ValueType
from govcx.vault import schemas as vault_schemas
from govcx.vault import service as vault
from govcx.vault.events import FactRecorded

BIRTH = "person.child_birth"
MIN_JOURNEYS = 100  # per map: enough that every step's counts clear the suppression threshold
PEOPLE_PER_JOURNEY = 10
BASE_DROP_OFF = (0.03, 0.09)  # what an ordinary step loses
BOTTLENECK_DROP_OFF = 0.40  # what the planted step loses
BATCH = 5_000

# (code, name, agency, life event, trigger, trigger key, condition, service, consent attributes, reason)
RULES: tuple[tuple[str, str, str, str, Trigger, str, str, str, list[str], str], ...] = (
    ("child-benefit-on-birth", "Child benefit after a birth", "SOC", "having-a-child", Trigger.FACT_RECORDED, BIRTH,
     'days_since(event.value) < 365 and tax.residency == "resident"', "SOC-CHILD",
     ["person.household_members"], "A birth was registered in your family, and families living here get the "
     "child benefit."),
    ("parental-leave-after-child-benefit", "Parental leave benefit after the child benefit", "SOC", "having-a-child", Trigger.JOURNEY_EVENT,
     "having-a-child/soc-child", 'event.type == "complete"', "SOC-PARENTAL", [],
     "You finished your child benefit application; parents caring for a new child can also be paid."),
    ("unemployment-benefit-on-job-loss", "Unemployment benefit on registering as a jobseeker", "EMPLOY", "losing-a-job", Trigger.FACT_RECORDED, "employment.status",
     'event.value == "jobseeker"', "EMPLOY-BENEFIT", ["tax.annual_income"],
     "You registered as a jobseeker, and people who lose their job can get income support."),
    ("payment-plan-on-income-drop", "Tax payment plan after an income drop", "TAX", "financial-shock", Trigger.FACT_RECORDED, "tax.annual_income",
     "event.previous != None and event.value < event.previous * 0.7", "TAX-PLAN", [],
     "Your assessed income fell by more than a third; a payment plan spreads what you owe."),
    ("parking-permit-after-move", "Parking permit after a move to Aurelia", "AURELIA", "moving-home", Trigger.CASE_RESOLVED, "POP-MOVE", "",
     "AURELIA-PARKING", ["person.address"], "You moved home; residents can park near their new address."),
)


@dataclass(frozen=True)
class Point:
    """A touchpoint as the walk needs it, read once."""

    id: UUID
    key: str
    agency_id: UUID
    service_id: UUID | None


def _birth_attribute(session: Session, clock: Clock, population: UUID) -> None:
    # The register of births is the population register's; the catalogue gets the attribute if it lacks it.
    if BIRTH in vault.catalogue(session=session):
        return
    registry.create_data_attribute(session=session, clock=clock, data=registry_schemas.DataAttributeCreate(
        key=BIRTH, name="Birth of a child", description="The birth date of the newest child registered to the "
        "person.", subject_kind=SubjectKind.PERSON, value_type=ValueType.DATE, sensitivity=Sensitivity.PERSONAL,
        source_agency_id=population))
    session.info.pop("govcx_vault_catalogue", None)  # read again with the new attribute


def _rules(session: Session, clock: Clock, agencies: dict[str, UUID], services: dict[str, UUID]) -> list[str]:
    made = []
    for code, name, agency, life_event, trigger, key, condition, service, consent, reason in RULES:
        admin = StaffMember(id=UUID(int=0), name="demo generator", email="generator@demo.example",
                            role=Role.AGENCY_ADMIN, agency_id=agencies[agency])
        proactive.create_rule(session=session, by=admin, clock=clock, data=proactive_schemas.RuleCreate(
            code=code, name=name, life_event_key=life_event, trigger=trigger,
            trigger_key=key, condition=condition, service_id=services[service], consent_attributes=consent,
            reason=reason, offer_days=30))
        made.append(code)
    return made


def _walk(rng: random.Random, points: list[Point], drop: dict[UUID, float], start: datetime, now: datetime,
          minutes: dict[UUID, int]) -> list[tuple[Point, str, datetime]]:
    """One person's way through a journey: (touchpoint, event type, time), until they drop off or finish."""
    happened: list[tuple[Point, str, datetime]] = []
    at = start
    for point in points:
        if at >= now:
            break  # still on their way: nothing has happened yet past today
        happened.append((point, "view", at))
        happened.append((point, "start", at + timedelta(minutes=1)))
        spent = timedelta(minutes=max(2.0, rng.gauss(minutes[point.id], minutes[point.id] / 3)))
        if rng.random() < drop[point.id]:
            if rng.random() < 0.3:
                happened.append((point, "error", at + spent / 2))
            happened.append((point, "abandon", at + spent))
            break
        happened.append((point, "step", at + spent / 2))
        happened.append((point, "complete", at + spent))
        at += spent + timedelta(days=rng.uniform(0.5, 20))
    return [(p, kind, when) for p, kind, when in happened if when < now]


def _send(session: Session, *, clock: Clock, by_agency: dict[UUID, list[dict[str, Any]]]) -> int:
    accepted = 0
    for agency_id, rows in by_agency.items():
        for i in range(0, len(rows), BATCH):
            accepted += journeys.ingest(session=session, agency_id=agency_id, events_in=rows[i:i + BATCH],
                                        clock=clock).accepted
    return accepted


def generate(
    *, settings: Settings, factory: sessionmaker[Session], clock: Clock, cipher: FieldCipher, seed: int,
    people: int, citizen_national_id: str | None, start: Callable[[str, int], Any],
    advance: Callable[[Any, int], None],
) -> dict[str, Any]:
    """Fill journeys and proactive services; return what the truth file says about them (with `effects`)."""
    rng = random.Random(f"govcx-demo:{seed}:journeys")
    now = clock.now()
    with unit_of_work(factory) as session:
        journeys.load_life_events(session=session, clock=clock)
        agencies = {a.code: a.id for a in registry.all_agencies(session=session)}
        services = {s.code: s.id for _, listed in registry.catalogue(session=session) for s in listed}
        _birth_attribute(session, clock, agencies["POP"])
        rules = _rules(session, clock, agencies, services)
        maps = sorted(journeys.list_journey_maps(session=session), key=lambda j: j.key)
        shapes = [(j.key, [Point(t.id, t.key, t.agency_id, t.service_id) for t in j.touchpoints])
                  for j in maps if len(j.touchpoints) >= 2]
        minutes = {s.id: s.target_completion_minutes for _, listed in registry.catalogue(session=session)
                   for s in listed}
        person_ids = [r.id for r in registry.person_records(session=session)]
        found = registry.find_person_by_national_id(session=session, cipher=cipher,
                                                    national_id=citizen_national_id) if citizen_national_id else None
        citizen = (found.id, f"{found.given_name} {found.family_name}") if found else None
    # The planted bottleneck: one step of one journey, never its last (the funnel reads drop-off before the end).
    planted_journey, planted_points = rng.choice(shapes)
    planted = rng.choice(planted_points[:-1])
    per_map = max(MIN_JOURNEYS, people // PEOPLE_PER_JOURNEY)
    task = start("A year of journeys, and proactive offers", per_map * len(shapes) + 1)
    reached: Counter[str] = Counter()
    dropped: Counter[str] = Counter()
    events = 0
    for key, points in shapes:
        drop = {p.id: (BOTTLENECK_DROP_OFF if p.id == planted.id else rng.uniform(*BASE_DROP_OFF)) for p in points}
        spent = {p.id: minutes.get(p.service_id, 15) for p in points}
        by_agency: dict[UUID, list[dict[str, Any]]] = defaultdict(list)
        for n in range(per_map):
            person = rng.choice(person_ids)
            began = now - timedelta(days=rng.uniform(0, 365), minutes=rng.uniform(0, 600))
            walked = _walk(rng, points, drop, began, now, spent)
            for i, (point, kind, at) in enumerate(walked):
                by_agency[point.agency_id].append({
                    "id": f"demo-{key}-{n}-{i}", "person_id": str(person), "journey": key, "touchpoint": point.key,
                    "type": kind, "at": at.isoformat()})
            if key == planted_journey:
                touched = {p.key for p, _, _ in walked}
                if planted.key in touched:
                    reached[planted.key] += 1
                    dropped[planted.key] += any(p.key == planted.key and k == "abandon" for p, k, _ in walked)
        with unit_of_work(factory) as session:
            events += _send(session, clock=clock, by_agency=by_agency)
        advance(task, per_map)
    waiting = _citizen_story(settings=settings, factory=factory, clock=clock, cipher=cipher, citizen=citizen,
                             agencies=agencies)
    advance(task, 1)
    return {
        "events": events, "journeys_per_map": per_map, "rules": rules,
        "citizen": {"life_event": "having-a-child", "offers_waiting": waiting},
        "effects": [
            {"name": "journey_bottleneck", "domain": "journeys",
             "description": f"One step of the {planted_journey} journey loses far more people than any other: "
                            "the funnel's bottleneck.",
             "parameters": {"journey": planted_journey, "touchpoint": planted.key,
                            "drop_off": BOTTLENECK_DROP_OFF, "other_steps_drop_off": list(BASE_DROP_OFF)},
             "measured": {"reached": reached[planted.key], "dropped": dropped[planted.key],
                          "drop_off": round(dropped[planted.key] / reached[planted.key], 3)
                          if reached[planted.key] else None}},
            {"name": "proactive_offer_waiting", "domain": "journeys",
             "description": "The demo citizen's child was born ten days ago: the having-a-child journey is under "
                            "way and the child benefit is offered, prefilled, waiting for them to accept.",
             "parameters": {"rules": rules, "life_events": sorted({r[3] for r in RULES}),
                            "citizen_rule": RULES[0][0]},
             "measured": {"offers_waiting": waiting}},
        ],
    }


def _citizen_story(*, settings: Settings, factory: sessionmaker[Session], clock: Clock, cipher: FieldCipher,
                   citizen: tuple[UUID, str] | None, agencies: dict[str, UUID]) -> int:
    """Register the citizen's newborn as the population register does; the offer follows as in the running app."""
    if citizen is None:
        return 0
    citizen_id, citizen_name = citizen
    now = clock.now()
    born = (now - timedelta(days=10)).date()
    tools = proactive.Tools.of(clock=clock, settings=settings)
    population = vault.Source(agency_id=agencies["POP"])
    with unit_of_work(factory) as session:
        journeys.ingest(session=session, agency_id=agencies["POP"], clock=clock, events_in=[
            {"id": f"demo-citizen-birth-{kind}", "person_id": str(citizen_id), "journey": "having-a-child",
             "touchpoint": journeys.touchpoint_key("POP-BIRTH"), "type": kind,
             "at": (now - timedelta(days=9, minutes=m)).isoformat()}
            for m, kind in ((30, "view"), (29, "start"), (10, "complete"))])
        for key, value in (("person.household_members", f"{citizen_name}; a child born {born.isoformat()}"),
                           (BIRTH, born.isoformat())):
            fact = vault.record_fact(session=session, cipher=cipher, clock=clock, by=population,
                                     data=vault_schemas.FactCreate(subject_id=citizen_id, attribute_key=key,
                                                                   value=value, evidence="birth register entry"))
        offers = proactive.offers_for_fact(session=session, tools=tools, event=FactRecorded(
            fact_id=fact.id, subject_id=citizen_id, attribute_key=BIRTH, version=fact.version,
            previous_fact_id=None, recorded_at=fact.recorded_at))
        notices = [proactive.offer_notice(session=session, offer=o, why_keys={BIRTH}) for o in offers]
    # The message notify would send once the offer committed, sent the same way (its dedup key makes it one).
    reactions = NotifyReactions(session_factory=factory, clock=clock, settings=settings)
    for notice in notices:
        reactions.on_notification_requested(notice)
    return len(offers)

