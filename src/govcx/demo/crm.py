"""A year of contacts and cases for the demo country, with one planted effect.

Planted: the offices of one region are understaffed, so contacts there by phone and in person take
longer, and cases about people there take longer to resolve (more SLA breaches). The truth file
records the region, the multipliers and what was measured in the generated rows.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session, sessionmaker

from govcx.core.db import unit_of_work
from govcx.crm import service as crm
from govcx.crm.models import CaseEventKind, CaseStatus, Outcome, Priority
from govcx.crm.service import STATUS_WORDS
from govcx.demo.population import seeded
from govcx.registry import service as registry
from govcx.registry.models import Channel

# Share of contacts per channel, and the median minutes a contact takes on it.
CHANNEL_MIX = {
    Channel.WEB: 0.38, Channel.APP: 0.14, Channel.PHONE: 0.2, Channel.IN_PERSON: 0.11, Channel.EMAIL: 0.08,
    Channel.CHAT: 0.05, Channel.MAIL: 0.03, Channel.SOCIAL: 0.01,
}
MEDIAN_MINUTES = {
    Channel.WEB: 9, Channel.APP: 6, Channel.PHONE: 14, Channel.IN_PERSON: 28, Channel.EMAIL: 12,
    Channel.CHAT: 11, Channel.MAIL: 20, Channel.SOCIAL: 6,
}
OUTCOMES = {Outcome.RESOLVED: 0.7, Outcome.REFERRED: 0.1, Outcome.FOLLOW_UP: 0.12, Outcome.ABANDONED: 0.08}
CONTACTS_PER_PERSON = 1.6   # a year
CASES_PER_PERSON = 0.25     # a year
COMPLAINT_SHARE = 0.18
FILED_ELSEWHERE_SHARE = 0.12  # complaints and requests made at another agency than the owner
RESOLUTION_MEDIAN_SHARE_OF_SLA = 0.55
RESOLUTION_SIGMA = 0.6
DURATION_SIGMA = 0.5
STAFFED_CHANNELS = (Channel.PHONE, Channel.IN_PERSON)
UNDERSTAFFED_DURATION = 1.7
UNDERSTAFFED_RESOLUTION = 1.9
REPEAT_ASK_CHANNELS = (Channel.PHONE, Channel.IN_PERSON, Channel.EMAIL, Channel.MAIL, Channel.CHAT)
REPEAT_FIELDS = ("street_address", "phone", "email", "postal_code")
CLOSE_REASONS = ("Done as asked", "Fixed on site", "Answered by letter", "Payment made", "Duplicate request")
BATCH = 5_000
# Status changes this recent are told to the person (a case.updated message), as the app does when staff move a case.
TOLD_DAYS = 7
# Public reports (Open311): about a place in the capital, filed by no one in particular.
PUBLIC_REPORTS_PER_PERSON = 1 / 100
MIN_PUBLIC_REPORTS = 40
PUBLIC_REPORT_SERVICE = "AURELIA-STREET"
PUBLIC_PROBLEMS = ("Pothole in the road", "Broken street light", "Graffiti on a wall", "Overflowing litter bin",
                   "Fallen tree branch blocking the pavement", "Blocked drain")
PUBLIC_STREETS = ("Harbour Street", "Market Square", "Station Road", "Castle Hill", "River Lane", "Mill Street",
                  "Park Avenue", "Chapel Row")
PUBLIC_CHANNELS = {Channel.WEB: 0.45, Channel.APP: 0.35, Channel.PHONE: 0.15, Channel.SOCIAL: 0.05}


@dataclass(frozen=True)
class StatusChange:
    """A recent move of a person's case, which the person was told about."""

    person_id: UUID
    case_id: UUID
    reference: str
    agency_id: UUID
    status: CaseStatus
    at: datetime

    @property
    def words(self) -> str:
        return STATUS_WORDS[self.status]


def case_reference(token: UUID) -> str:
    """The reference a person is given for their case (what the app's case.updated message cites)."""
    return str(token)[:8].upper()


@dataclass(frozen=True)
class ServiceRow:
    id: UUID
    code: str
    agency_id: UUID
    department_id: UUID | None
    sla_hours: int


def _pick(rng: random.Random, weights: dict[Any, float]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


class CrmHistory:
    def __init__(self, *, rng: random.Random, ids: Any, now: datetime, services: list[ServiceRow],
                 agencies: list[UUID], slow_region: UUID) -> None:
        self.rng, self.ids, self.now = rng, ids, now
        self.start = now - timedelta(days=365)
        self.services, self.agencies, self.slow_region = services, agencies, slow_region
        # Some services ask again far more than others: the once-only metric has a story to tell.
        self.repeat_rate = {s.code: rng.choice((0.02, 0.05, 0.1, 0.25)) for s in services}
        self.interactions: list[dict] = []
        self.cases: list[dict] = []
        self.events: list[dict] = []
        self.repeat_asks: list[dict] = []
        self.durations: dict[bool, list[float]] = {True: [], False: []}   # staffed channels, by slow region
        self.breaches: dict[bool, Counter[str]] = {True: Counter(), False: Counter()}
        self.channels: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self.told: list[StatusChange] = []

    def _when(self) -> datetime:
        return self.start + timedelta(seconds=self.rng.uniform(0, 365 * 86400 - 3600))

    def person(self, person_id: UUID, region_id: UUID | None) -> None:
        slow = region_id == self.slow_region
        for _ in range(self._count(CONTACTS_PER_PERSON)):
            self._contact(person_id, slow)
        for _ in range(self._count(CASES_PER_PERSON)):
            self._case(person_id, region_id, slow)

    def _count(self, mean: float) -> int:
        # Poisson by inversion: a few people contact government often, most rarely.
        limit, k, p = math.exp(-mean), 0, self.rng.random()
        while p > limit:
            k += 1
            p *= self.rng.random()
        return k

    def _contact(self, person_id: UUID, slow: bool) -> None:
        rng = self.rng
        channel = _pick(rng, CHANNEL_MIX)
        svc = rng.choice(self.services)
        minutes = _lognormal(rng, MEDIAN_MINUTES[channel], DURATION_SIGMA)
        if slow and channel in STAFFED_CHANNELS:
            minutes *= UNDERSTAFFED_DURATION
        if channel in STAFFED_CHANNELS:
            self.durations[slow].append(minutes)
        started = self._when()
        [interaction_id] = self.ids.take(1)
        self.interactions.append({
            "id": interaction_id, "person_id": person_id, "organization_id": None, "agency_id": svc.agency_id,
            "service_id": svc.id, "touchpoint": None, "staff_id": None, "channel": channel, "started_at": started,
            "ended_at": started + timedelta(minutes=minutes), "outcome": _pick(rng, OUTCOMES), "notes": "",
            "notes_shared": False, "case_id": None, "created_at": started,
        })
        self.channels[channel.value] += 1
        if channel in REPEAT_ASK_CHANNELS and rng.random() < self.repeat_rate[svc.code]:
            [ask_id] = self.ids.take(1)
            self.repeat_asks.append({
                "id": ask_id, "person_id": person_id, "agency_id": svc.agency_id, "service_id": svc.id,
                "interaction_id": interaction_id, "field": rng.choice(REPEAT_FIELDS), "channel": channel,
                "at": started,
            })

    def _case(self, person_id: UUID | None, region_id: UUID | None, slow: bool, *, svc: ServiceRow | None = None,
              opened: datetime | None = None, public: dict[str, Any] | None = None) -> None:
        rng = self.rng
        svc = svc or rng.choice(self.services)
        opened = opened or self._when()
        due = opened + timedelta(hours=svc.sla_hours)
        hours = _lognormal(rng, svc.sla_hours * RESOLUTION_MEDIAN_SHARE_OF_SLA, RESOLUTION_SIGMA)
        if slow:
            hours *= UNDERSTAFFED_RESOLUTION
        done_at = opened + timedelta(hours=hours)
        complaint = rng.random() < COMPLAINT_SHARE and public is None
        filed_by = rng.choice(self.agencies) if rng.random() < FILED_ELSEWHERE_SHARE else svc.agency_id
        case_id, token = self.ids.take(2)
        started_work = opened + timedelta(hours=hours * 0.1)
        if done_at <= self.now:
            status = CaseStatus.RESOLVED if rng.random() < 0.7 else CaseStatus.CLOSED
            reason, resolved_at = rng.choice(CLOSE_REASONS), done_at
            self.breaches[slow]["breached" if done_at > due else "met"] += 1
        else:
            status = rng.choice((CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.WAITING_ON_CUSTOMER))
            reason, resolved_at = "", None
            if started_work > self.now:
                status = CaseStatus.OPEN  # nobody has started on it yet
        # The history is the story; the case's status is its last line.
        steps = [(opened, CaseEventKind.OPENED, CaseStatus.OPEN, "", filed_by)]
        if status is not CaseStatus.OPEN:
            steps.append((started_work, CaseEventKind.STATUS, CaseStatus.IN_PROGRESS, "", svc.agency_id))
        if status is CaseStatus.WAITING_ON_CUSTOMER:
            steps.append((started_work + (self.now - started_work) / 2, CaseEventKind.STATUS, status,
                          "Waiting for a document from you", svc.agency_id))
        if resolved_at is not None:
            steps.append((resolved_at, CaseEventKind.STATUS, status, reason, svc.agency_id))
        self._write_case(person_id=person_id, region_id=region_id, svc=svc, case_id=case_id, token=token,
                         complaint=complaint, filed_by=filed_by, due=due, steps=steps, public=public)

    def _write_case(self, *, person_id: UUID | None, region_id: UUID | None, svc: ServiceRow, case_id: UUID,
                    token: UUID, complaint: bool, filed_by: UUID, due: datetime,
                    steps: list[tuple[datetime, CaseEventKind, CaseStatus, str, UUID]],
                    public: dict[str, Any] | None = None) -> None:
        last_at, _, status, reason, _ = steps[-1]
        resolved = status in (CaseStatus.RESOLVED, CaseStatus.CLOSED)
        self.statuses[status.value] += 1
        where = public or {"lat": None, "lon": None, "address": None}
        self.cases.append({
            "id": case_id, "token": token, "person_id": person_id, "organization_id": None, "service_id": svc.id,
            "description": where.get("description") or (
                "A complaint about how this was handled" if complaint else "A request for this service"),
            "lat": where["lat"], "lon": where["lon"], "address": where["address"], "region_id": region_id,
            "channel": where.get("channel") or _pick(self.rng, CHANNEL_MIX), "is_complaint": complaint,
            "status": status, "status_reason": reason, "agency_id": svc.agency_id,
            "department_id": svc.department_id, "assignee_id": None,
            "priority": Priority.HIGH if complaint else Priority.NORMAL, "filed_by_agency_id": filed_by,
            "routing_rule_id": None, "opened_at": steps[0][0], "sla_due_at": due, "updated_at": last_at,
            "resolved_at": last_at if resolved else None,
        })
        for at, kind, step_status, step_reason, agency_id in steps:
            [event_id] = self.ids.take(1)
            self.events.append({
                "id": event_id, "case_id": case_id, "at": at, "kind": kind, "agency_id": agency_id, "staff_id": None,
                "status": step_status, "reason": step_reason,
                "to_agency_id": svc.agency_id if kind is CaseEventKind.OPENED else None,
                "to_department_id": svc.department_id if kind is CaseEventKind.OPENED else None,
                "assignee_id": None,
            })
            if (person_id is not None and kind is CaseEventKind.STATUS
                    and at >= self.now - timedelta(days=TOLD_DAYS)):
                self.told.append(StatusChange(person_id=person_id, case_id=case_id, reference=case_reference(token),
                                              agency_id=svc.agency_id, status=step_status, at=at))

    def public_reports(self, *, count: int, region_id: UUID, centroid: tuple[float, float], city: str) -> None:
        """File reports about places in the capital (potholes, lights), the kind Open311 lists publicly."""
        rng = self.rng
        svc = next((s for s in self.services if s.code == PUBLIC_REPORT_SERVICE), self.services[0])
        for _ in range(count):
            lon = round(centroid[0] + rng.uniform(-0.01, 0.01), 6)
            lat = round(centroid[1] + rng.uniform(-0.01, 0.01), 6)
            problem = rng.choice(PUBLIC_PROBLEMS)
            address = f"{rng.randrange(1, 120)} {rng.choice(PUBLIC_STREETS)}, {city}"
            self._case(None, region_id, False, svc=svc, public={
                "lat": lat, "lon": lon, "address": address, "description": f"{problem} at {address}",
                "channel": _pick(rng, PUBLIC_CHANNELS)})

    def citizen(self, person_id: UUID, region_id: UUID | None) -> None:
        """The demo citizen's own story, running to today: a benefit claim being worked, a collection done,
        and the contacts that went with them."""
        by_code = {s.code: s for s in self.services}
        claim = by_code.get("EMPLOY-BENEFIT", self.services[0])
        bulky = by_code.get("AURELIA-BULKY", self.services[-1])
        now = self.now
        for svc, channel, days_ago, minutes, outcome in (
                (claim, Channel.PHONE, 40, 18, Outcome.CASE_OPENED),
                (bulky, Channel.WEB, 90, 6, Outcome.CASE_OPENED),
                (claim, Channel.WEB, 5, 9, Outcome.FOLLOW_UP), (claim, Channel.APP, 0, 4, Outcome.RESOLVED)):
            started = now - timedelta(days=days_ago, hours=3)
            [interaction_id] = self.ids.take(1)
            self.interactions.append({
                "id": interaction_id, "person_id": person_id, "organization_id": None, "agency_id": svc.agency_id,
                "service_id": svc.id, "touchpoint": None, "staff_id": None, "channel": channel,
                "started_at": started, "ended_at": started + timedelta(minutes=minutes), "outcome": outcome,
                "notes": "", "notes_shared": False, "case_id": None, "created_at": started,
            })
            self.channels[channel.value] += 1
        claimed, ordered = now - timedelta(days=40, hours=2), now - timedelta(days=90, hours=3)
        for svc, story in (
                (claim, [(claimed, CaseStatus.OPEN, ""), (claimed + timedelta(days=1), CaseStatus.IN_PROGRESS, ""),
                         (now - timedelta(days=5), CaseStatus.WAITING_ON_CUSTOMER, "Waiting for your last pay slip"),
                         (now - timedelta(hours=1), CaseStatus.IN_PROGRESS, "Pay slip received")]),
                (bulky, [(ordered, CaseStatus.OPEN, ""), (ordered + timedelta(days=1), CaseStatus.IN_PROGRESS, ""),
                         (ordered + timedelta(days=3), CaseStatus.RESOLVED, "Collected from your door")])):
            case_id, token = self.ids.take(2)
            steps = [(at, CaseEventKind.STATUS if n else CaseEventKind.OPENED, status, reason, svc.agency_id)
                     for n, (at, status, reason) in enumerate(story)]
            self._write_case(person_id=person_id, region_id=region_id, svc=svc, case_id=case_id, token=token,
                             complaint=False, filed_by=svc.agency_id, due=story[0][0] + timedelta(hours=svc.sla_hours),
                             steps=steps)

    def flush(self, session: Session) -> None:
        crm.import_history(session=session, interactions=self.interactions, cases=self.cases,
                           case_events=self.events, repeat_asks=self.repeat_asks)
        self.interactions, self.cases, self.events, self.repeat_asks = [], [], [], []


def _rate(counts: Counter[str]) -> float:
    total = counts["met"] + counts["breached"]
    return round(counts["breached"] / total, 4) if total else 0.0


def generate_crm(
    *, factory: sessionmaker[Session], rng: random.Random, ids: Any, now: datetime,
    persons: list[tuple[UUID, UUID | None]], services: list[ServiceRow], agencies: list[UUID],
    regions: dict[str, UUID], understaffed: str, citizen_id: UUID | None = None,
    capital: tuple[str, tuple[float, float], str] | None = None,
    start: Callable[[str, int], Any] = lambda *_: None, advance: Callable[[Any, int], None] = lambda *_: None,
) -> dict[str, Any]:
    """Write a year of contacts, cases, public reports and repeat asks; return the truth file's crm part and
    effects, and (under `told`, for the notify step) the recent status changes people were told about."""
    slow_code = understaffed
    history = CrmHistory(rng=rng, ids=ids, now=now, services=services, agencies=agencies,
                         slow_region=regions[slow_code])
    totals: Counter[str] = Counter()
    reports = max(MIN_PUBLIC_REPORTS, round(len(persons) * PUBLIC_REPORTS_PER_PERSON)) if capital else 0
    task = start("A year of contacts and cases", len(persons) + reports)
    citizen_region = dict(persons).get(citizen_id) if citizen_id is not None else None
    with unit_of_work(factory) as session:  # one transaction for the layer
        for first in range(0, len(persons), BATCH):
            for person_id, region_id in persons[first:first + BATCH]:
                history.person(person_id, region_id)
            if first + BATCH >= len(persons):  # the last batch: the demo citizen's story and the public reports
                if citizen_id is not None:
                    history.citizen(citizen_id, citizen_region)
                if capital is not None:
                    code, centroid, city = capital
                    history.public_reports(count=reports, region_id=regions[code], centroid=centroid, city=city)
            totals.update(interactions=len(history.interactions), cases=len(history.cases),
                          repeat_asks=len(history.repeat_asks),
                          complaints=sum(c["is_complaint"] for c in history.cases),
                          public_reports=sum(c["person_id"] is None for c in history.cases))
            history.flush(session)
            advance(task, len(persons[first:first + BATCH]) + (reports if first + BATCH >= len(persons) else 0))
    median = {slow: round(statistics.median(d), 2) if d else None for slow, d in history.durations.items()}
    effect = {
        "name": "understaffed_offices",
        "domain": "crm",
        "region": slow_code,
        "description": "Offices in this region are understaffed: phone and in-person contacts take longer, and cases "
                "about people living there take longer to resolve, so more of them breach their SLA.",
        "parameters": {"duration_multiplier": UNDERSTAFFED_DURATION, "channels": [c.value for c in STAFFED_CHANNELS],
                       "resolution_time_multiplier": UNDERSTAFFED_RESOLUTION},
        "measured": {
            "median_staffed_contact_minutes": {"region": median[True], "elsewhere": median[False]},
            "sla_breach_rate": {"region": _rate(history.breaches[True]), "elsewhere": _rate(history.breaches[False])},
        },
    }
    return {
        "crm": {
            "window_days": 365,
            **dict(totals),
            "channels": dict(sorted(history.channels.items())),
            "case_statuses": dict(sorted(history.statuses.items())),
            "sla_breach_rate": _rate(history.breaches[True] + history.breaches[False]),
            "repeat_ask_rate_by_service": dict(sorted(history.repeat_rate.items())),
        },
        "effects": [effect],
        "told": sorted(history.told, key=lambda change: change.at),
    }


def run(*, factory: sessionmaker[Session], seed: int, region_ids: dict[str, UUID], understaffed: str,
        now: datetime, ids: Any, citizen_id: UUID | None = None,
        capital: tuple[str, tuple[float, float], str] | None = None,
        start: Callable[[str, int], Any] = lambda *_: None,
        advance: Callable[[Any, int], None] = lambda *_: None) -> dict[str, Any]:
    """Give the demo country a year of CRM history (the generator's CRM step)."""
    with unit_of_work(factory) as session:
        services = [ServiceRow(s.id, s.code, s.agency_id, s.department_id, s.sla_hours)
                    for _, ss in registry.catalogue(session=session) for s in ss]
        agencies = [a.id for a in registry.all_agencies(session=session)]
        # Read in id order so the same seed draws the same history for the same people.
        persons = [(r.id, r.region_id) for r in registry.person_records(session=session)]
    return generate_crm(factory=factory, rng=seeded(seed, "crm"), ids=ids, now=now, persons=persons,
                        services=services, agencies=agencies, regions=region_ids,
                        understaffed=understaffed, citizen_id=citizen_id, capital=capital, start=start,
                        advance=advance)
