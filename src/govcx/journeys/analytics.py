"""Journey analytics: the funnel, time to complete, the time tax, and channel switches.

Counts of fewer people than the suppression threshold are withheld (None), never shown.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from govcx.journeys.models import (
    ActivityKind,
    EventType,
    InstanceStatus,
    JourneyActivity,
    JourneyInstance,
    JourneyMap,
    LifeEvent,
    Touchpoint,
    TouchpointEvent,
)
from govcx.registry import service as registry_service
from govcx.registry.models import Channel

CHANNEL_SWITCH_WINDOW = timedelta(days=7)
_DONE = {EventType.SUBMIT.value, EventType.COMPLETE.value}


def _shown(count: int, threshold: int) -> int | None:
    return count if count >= threshold else None


def _hours(seconds: list[float]) -> tuple[float | None, float | None]:
    if not seconds:
        return None, None
    ordered = sorted(seconds)
    p90 = ordered[min(len(ordered) - 1, max(0, -(-9 * len(ordered) // 10) - 1))]  # nearest rank
    return round(statistics.median(ordered) / 3600, 2), round(p90 / 3600, 2)


# Funnel ------------------------------------------------------------------------------------------


class FunnelStep(BaseModel):
    key: str
    name: str
    stage: str
    reached: int | None
    continued: int | None
    dropped: int | None
    conversion: float | None   # continued / reached
    drop_off: float | None     # dropped / reached
    median_minutes: float | None  # start to submit, for those who submitted
    trust: float | None = None  # share of A-11 answers about this touchpoint that agree with the trust statement


class FunnelStage(BaseModel):
    key: str
    name: str
    reached: int | None
    continued: int | None
    dropped: int | None
    conversion: float | None
    drop_off: float | None


class Funnel(BaseModel):
    journey: str
    people: int | None
    completed: int | None
    median_days_to_complete: float | None
    p90_days_to_complete: float | None
    stages: list[FunnelStage]
    touchpoints: list[FunnelStep]
    bottleneck: str | None  # the touchpoint that loses the largest share of the people who reach it


def _rates(reached: int, continued: int, threshold: int) -> dict[str, Any]:
    shown = reached >= threshold
    dropped = reached - continued
    return {"reached": _shown(reached, threshold), "continued": continued if shown and continued >= threshold else None,
            "dropped": dropped if shown and dropped >= threshold else None,
            "conversion": round(continued / reached, 3) if shown else None,
            "drop_off": round(dropped / reached, 3) if shown else None}


def funnel(*, session: Session, journey: JourneyMap, threshold: int) -> Funnel:
    """Conversion and drop-off by stage and touchpoint of one journey, from its touchpoint events."""
    table = TouchpointEvent.__table__
    points = list(journey.touchpoints)
    position = {t.id: t.position for t in points}
    stage_of = {t.id: t.stage_id for t in points}
    seen: dict[Any, dict[UUID, list[tuple[str, datetime]]]] = defaultdict(lambda: defaultdict(list))
    for row in session.execute(select(table.c.person_id, table.c.visitor_id, table.c.touchpoint_id, table.c.type,
                                      table.c.at).where(table.c.journey_id == journey.id,
                                                        table.c.touchpoint_id.is_not(None))):
        who = row.person_id or ("visitor", row.visitor_id)
        seen[who][row.touchpoint_id].append((row.type, row.at))
    reached: dict[UUID, int] = defaultdict(int)
    continued: dict[UUID, int] = defaultdict(int)
    minutes: dict[UUID, list[float]] = defaultdict(list)
    stage_reached: dict[UUID, int] = defaultdict(int)
    stage_continued: dict[UUID, int] = defaultdict(int)
    last = max(position.values(), default=0)
    completion_days: list[float] = []
    for by_point in seen.values():
        furthest = max(position[p] for p in by_point)
        stages_reached = {stage_of[p] for p in by_point}
        for point, happenings in by_point.items():
            reached[point] += 1
            kinds = {k for k, _ in happenings}
            if kinds & _DONE or position[point] < furthest:
                continued[point] += 1
            starts = [at for k, at in happenings if k == EventType.START.value]
            dones = [at for k, at in happenings if k in _DONE]
            if starts and dones and min(dones) >= min(starts):
                minutes[point].append((min(dones) - min(starts)).total_seconds() / 60)
        stage_position = {s.id: s.position for s in journey.stages}
        furthest_stage = max(stage_position[s] for s in stages_reached)
        for stage in stages_reached:
            stage_reached[stage] += 1
            done_here = any({k for k, _ in by_point[p]} & _DONE for p in by_point if stage_of[p] == stage)
            if done_here or stage_position[stage] < furthest_stage:
                stage_continued[stage] += 1
        last_points = [p for p in by_point if position[p] == last]
        if last_points and any({k for k, _ in by_point[p]} & _DONE for p in last_points):
            first = min(at for h in by_point.values() for _, at in h)
            end = min(at for p in last_points for k, at in by_point[p] if k in _DONE)
            completion_days.append((end - first).total_seconds())
    trust = _trust_by_touchpoint(session, journey)
    stage_names = {s.id: s for s in journey.stages}
    steps = [FunnelStep(key=t.key, name=t.name, stage=stage_names[t.stage_id].key,
                        median_minutes=round(statistics.median(minutes[t.id]), 1)
                        if len(minutes[t.id]) >= threshold else None,
                        trust=trust.get(t.key), **_rates(reached[t.id], continued[t.id], threshold))
             for t in points]
    stages = [FunnelStage(key=s.key, name=s.name, **_rates(stage_reached[s.id], stage_continued[s.id], threshold))
              for s in journey.stages]
    candidates = [s for s in steps if s.drop_off is not None and s.key != (points[-1].key if points else None)]
    bottleneck = max(candidates, key=lambda s: s.drop_off or 0).key if candidates else None
    median, p90 = _hours(completion_days) if len(completion_days) >= threshold else (None, None)
    return Funnel(journey=journey.key, people=_shown(len(seen), threshold),
                  completed=_shown(len(completion_days), threshold),
                  median_days_to_complete=round(median / 24, 2) if median is not None else None,
                  p90_days_to_complete=round(p90 / 24, 2) if p90 is not None else None,
                  stages=stages, touchpoints=steps, bottleneck=bottleneck)


def _trust_by_touchpoint(session: Session, journey: JourneyMap) -> dict[str, float]:
    """Share of A-11 answers linked to each touchpoint (by key) that trust the service, from feedback."""
    from govcx.feedback import service as feedback_service

    reader = getattr(feedback_service, "trust_by_touchpoint", None)
    if reader is None:
        return {}
    return reader(session=session, touchpoints=[t.key for t in journey.touchpoints])


# Time tax ----------------------------------------------------------------------------------------


class AgencyPart(BaseModel):
    agency: str
    hours_per_person: float
    share: float


class PersonTimeTax(BaseModel):
    life_event: str
    touchpoint_hours: float
    contact_hours: float
    waiting_hours: float
    total_hours: float
    by_agency: dict[str, float]


class TimeTax(BaseModel):
    life_event: str
    people: int | None
    median_hours: float | None
    p90_hours: float | None
    agencies: list[AgencyPart]


def _person_parts(session: Session, *, life_event: LifeEvent, person_ids: set[UUID] | None,
                  now: datetime) -> dict[UUID, dict[str, dict[UUID, float]]]:
    """Per person: seconds of touchpoint time, contact time and waiting time, by agency id."""
    parts: dict[UUID, dict[str, dict[UUID, float]]] = defaultdict(
        lambda: {"touchpoint": defaultdict(float), "contact": defaultdict(float), "waiting": defaultdict(float)})
    instances = JourneyInstance.__table__
    stmt = select(instances.c.person_id, instances.c.started_at, instances.c.completed_at,
                  instances.c.abandoned_at).where(instances.c.life_event_id == life_event.id)
    if person_ids is not None:
        stmt = stmt.where(instances.c.person_id.in_(person_ids))
    windows: dict[UUID, list[tuple[datetime, datetime]]] = defaultdict(list)
    for row in session.execute(stmt):
        windows[row.person_id].append((row.started_at, row.completed_at or row.abandoned_at or now))
    if not windows:
        return {}

    def inside(person_id: UUID, at: datetime) -> bool:
        return any(start <= at <= end for start, end in windows[person_id])

    # Active time on touchpoints: each start to the first submit (or completion) after it at the same touchpoint.
    journeys = [j.id for j in session.scalars(select(JourneyMap).where(JourneyMap.life_event_id == life_event.id))]
    agency_of = dict(session.execute(select(Touchpoint.id, Touchpoint.agency_id)
                                     .where(Touchpoint.journey_id.in_(journeys))).all())
    events = TouchpointEvent.__table__
    by_point: dict[tuple[UUID, UUID], list[tuple[datetime, str]]] = defaultdict(list)
    for row in session.execute(select(events.c.person_id, events.c.touchpoint_id, events.c.type, events.c.at).where(
            events.c.journey_id.in_(journeys), events.c.person_id.in_(list(windows)),
            events.c.touchpoint_id.is_not(None),
            events.c.type.in_([EventType.START.value, *_DONE]))):
        if inside(row.person_id, row.at):
            by_point[(row.person_id, row.touchpoint_id)].append((row.at, row.type))
    for (person_id, point), happenings in by_point.items():
        open_since = None
        for at, kind in sorted(happenings):
            if kind == EventType.START.value:
                open_since = open_since or at
            elif open_since is not None:
                parts[person_id]["touchpoint"][agency_of[point]] += (at - open_since).total_seconds()
                open_since = None
    # Contact handling and case waiting, for the life event's services, inside the journey.
    codes = {item["service"] for stage in life_event.definition["stages"] for item in stage["services"]}
    services = {sid for sid, code in registry_service.service_codes(session=session).items() if code in codes}
    activity = JourneyActivity.__table__
    for row in session.execute(select(activity).where(activity.c.person_id.in_(list(windows)),
                                                      activity.c.service_id.in_(services))):
        if not inside(row.person_id, row.started_at):
            continue
        seconds = ((row.ended_at or now) - row.started_at).total_seconds()
        kind = "contact" if row.kind == ActivityKind.CONTACT.value else "waiting"
        parts[row.person_id][kind][row.agency_id] += seconds
    for person_id in windows:
        parts[person_id]  # a person on the journey who spent nothing yet still counts, at zero  # noqa: B018
    return parts


def time_tax_of(*, session: Session, life_event: LifeEvent, person_id: UUID, now: datetime) -> PersonTimeTax:
    """One person's time tax on one life event: touchpoint time + contact handling + case waiting, in hours."""
    parts = _person_parts(session, life_event=life_event, person_ids={person_id}, now=now).get(person_id)
    codes = registry_service.agency_codes(session=session)
    empty: dict[str, dict[UUID, float]] = {"touchpoint": {}, "contact": {}, "waiting": {}}
    parts = parts or empty
    by_agency: dict[str, float] = defaultdict(float)
    for kind in parts.values():
        for agency_id, seconds in kind.items():
            by_agency[codes.get(agency_id, str(agency_id))] += seconds / 3600
    sums = {k: sum(v.values()) / 3600 for k, v in parts.items()}
    return PersonTimeTax(life_event=life_event.key, touchpoint_hours=round(sums["touchpoint"], 4),
                         contact_hours=round(sums["contact"], 4), waiting_hours=round(sums["waiting"], 4),
                         total_hours=round(sum(sums.values()), 4),
                         by_agency={k: round(v, 4) for k, v in sorted(by_agency.items())})


def time_tax(*, session: Session, life_event: LifeEvent, threshold: int, now: datetime | None = None) -> TimeTax:
    """Hours per person on a life event (median, p90), and what part each agency adds."""
    from govcx.core.clock import SystemClock

    now = now or SystemClock().now()
    parts = _person_parts(session, life_event=life_event, person_ids=None, now=now)
    if len(parts) < threshold:
        return TimeTax(life_event=life_event.key, people=None, median_hours=None, p90_hours=None, agencies=[])
    totals = [sum(sum(kind.values()) for kind in person.values()) for person in parts.values()]
    by_agency: dict[UUID, float] = defaultdict(float)
    for person in parts.values():
        for kind in person.values():
            for agency_id, seconds in kind.items():
                by_agency[agency_id] += seconds
    codes = registry_service.agency_codes(session=session)
    whole = sum(by_agency.values()) or 1.0
    median, p90 = _hours(totals)
    return TimeTax(life_event=life_event.key, people=len(parts), median_hours=median, p90_hours=p90,
                   agencies=[AgencyPart(agency=codes.get(a, str(a)), hours_per_person=round(s / 3600 / len(parts), 2),
                                        share=round(s / whole, 3))
                             for a, s in sorted(by_agency.items(), key=lambda item: -item[1])])


# Channel switches --------------------------------------------------------------------------------


class ChannelSwitch(BaseModel):
    service: str
    switches: int | None
    web_abandons: int | None
    share: float | None


class ChannelSwitches(BaseModel):
    window_days: int
    total: int | None
    services: list[ChannelSwitch]


def channel_switches(*, session: Session, threshold: int) -> ChannelSwitches:
    """Failure demand: a web abandon followed by a phone or office contact for the same service within 7 days."""
    events, points = TouchpointEvent.__table__, Touchpoint.__table__
    abandons: dict[tuple[UUID, UUID], list[datetime]] = defaultdict(list)
    for row in session.execute(select(events.c.person_id, points.c.service_id, events.c.at)
                               .join(points, points.c.id == events.c.touchpoint_id)
                               .where(events.c.type == EventType.ABANDON.value, events.c.person_id.is_not(None),
                                      points.c.channel == Channel.WEB.value, points.c.service_id.is_not(None))):
        abandons[(row.person_id, row.service_id)].append(row.at)
    activity = JourneyActivity.__table__
    contacts: dict[tuple[UUID, UUID], list[datetime]] = defaultdict(list)
    if abandons:
        for row in session.execute(select(activity.c.person_id, activity.c.service_id, activity.c.started_at).where(
                activity.c.kind == ActivityKind.CONTACT.value,
                activity.c.channel.in_([Channel.PHONE.value, Channel.IN_PERSON.value]),
                activity.c.service_id.in_({s for _, s in abandons}))):
            contacts[(row.person_id, row.service_id)].append(row.started_at)
    switches: dict[UUID, int] = defaultdict(int)
    tried: dict[UUID, int] = defaultdict(int)
    for (person_id, service_id), times in abandons.items():
        tried[service_id] += len(times)
        for at in times:
            if any(at <= c <= at + CHANNEL_SWITCH_WINDOW for c in contacts.get((person_id, service_id), ())):
                switches[service_id] += 1
    names = registry_service.service_names(session=session)
    rows = [ChannelSwitch(service=names.get(s, str(s)), switches=_shown(switches[s], threshold),
                          web_abandons=_shown(tried[s], threshold),
                          share=round(switches[s] / tried[s], 3) if tried[s] >= threshold else None)
            for s in sorted(tried, key=lambda s: -switches[s])]
    return ChannelSwitches(window_days=CHANNEL_SWITCH_WINDOW.days, total=_shown(sum(switches.values()), threshold),
                           services=rows)


def instance_status_counts(*, session: Session, life_event: LifeEvent, threshold: int) -> dict[str, int | None]:
    """How many journeys of a life event are active, completed and abandoned."""
    table = JourneyInstance.__table__
    counts = {s.value: 0 for s in InstanceStatus}
    for status, in session.execute(select(table.c.status).where(table.c.life_event_id == life_event.id)):
        counts[status] += 1
    return {k: _shown(v, threshold) for k, v in counts.items()}
