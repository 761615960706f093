"""CRM figures: the person timeline, and Open311 filing beside the service layer.

(a) `GET /api/v1/persons/{id}/timeline` (the newest 100 entries) for a person with 1,000 and one
    with 10,000 entries behind it (70 % contacts, 10 % cases with 3 history lines each), on the
    real govcx app under uvicorn, each beside `GET /api/v1/persons/{id}` of the same person on the
    same server (the cheapest read govcx has), the two requests alternating: sequential keep-alive
    requests, after a warm-up.
(b) Open311 `POST /open311/v2/requests.json` (form-encoded, api_key) on the same server, beside
    `crm.service.file_case` of the same case called in-process, one unit of work (one commit) per
    case: the bare insert through the service layer, with routing and SLA but no HTTP.

    python benchmarks/crm.py [--people 2000] [--requests 1000] [--entries 1000,10000] [--store sqlite|postgresql]

Everything runs on 127.0.0.1 in a temporary directory (or PostgreSQL schema), removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shlex
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from foundation import Timings, postgres_schema, server  # noqa: E402

from govcx.core.accounts import Scope  # noqa: E402
from govcx.core.auth import AgencyClient  # noqa: E402
from govcx.core.clock import SystemClock  # noqa: E402
from govcx.core.config import Environment, Settings  # noqa: E402
from govcx.core.crypto import FieldCipher  # noqa: E402
from govcx.core.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from govcx.core.ids import new_id  # noqa: E402
from govcx.crm import schemas, service  # noqa: E402
from govcx.crm.models import CaseEventKind, CaseStatus, Outcome  # noqa: E402
from govcx.demo.generator import generate  # noqa: E402
from govcx.registry import schemas as registry_schemas  # noqa: E402
from govcx.registry import service as registry  # noqa: E402
from govcx.registry.models import Channel  # noqa: E402

WARM_UP = 50


def give_history(factory, person_id: UUID, svc, entries: int = 1_000) -> None:  # noqa: ANN001
    """Give one person `entries` timeline entries over the last year, in bulk (70 % contacts, 30 % case lines)."""
    rng, now = random.Random(3), datetime.now(UTC)
    interactions, cases, events = [], [], []
    contacts, case_count = entries * 7 // 10, entries // 10
    for _ in range(contacts):
        at = now - timedelta(minutes=rng.uniform(0, 525_600))
        interactions.append({"id": new_id(), "person_id": person_id, "organization_id": None,
                             "agency_id": svc.agency_id, "service_id": svc.id, "touchpoint": None, "staff_id": None,
                             "channel": rng.choice(list(Channel)), "started_at": at,
                             "ended_at": at + timedelta(minutes=10), "outcome": Outcome.RESOLVED, "notes": "n",
                             "notes_shared": False, "case_id": None, "created_at": at})
    for _ in range(case_count):
        at = now - timedelta(minutes=rng.uniform(0, 525_600))
        case_id = new_id()
        cases.append({"id": case_id, "token": new_id(), "person_id": person_id, "organization_id": None,
                      "service_id": svc.id, "description": "d", "lat": None, "lon": None, "address": None,
                      "region_id": None, "channel": Channel.PHONE, "is_complaint": False,
                      "status": CaseStatus.RESOLVED, "status_reason": "done", "agency_id": svc.agency_id,
                      "department_id": svc.department_id, "assignee_id": None, "priority": "normal",
                      "filed_by_agency_id": svc.agency_id, "routing_rule_id": None, "opened_at": at,
                      "sla_due_at": at + timedelta(hours=svc.sla_hours), "updated_at": at, "resolved_at": at})
        for step, (kind, status) in enumerate(((CaseEventKind.OPENED, CaseStatus.OPEN),
                                               (CaseEventKind.STATUS, CaseStatus.IN_PROGRESS),
                                               (CaseEventKind.STATUS, CaseStatus.RESOLVED))):
            events.append({"id": new_id(), "case_id": case_id, "at": at + timedelta(hours=step), "kind": kind,
                           "agency_id": svc.agency_id, "staff_id": None, "status": status, "reason": "",
                           "to_agency_id": None, "to_department_id": None, "assignee_id": None})
    with unit_of_work(factory) as session:
        service.import_history(session=session, interactions=interactions, cases=cases, case_events=events,
                               repeat_asks=[])


def walk_all(client: httpx.Client, path: str) -> int:
    """Count a timeline's entries, page by page (500 at a time)."""
    count, params = 0, {"limit": 500}
    while True:
        answer = client.get(path, params=params)
        if answer.status_code != 200:
            raise SystemExit(f"{path} answered {answer.status_code}: {answer.text[:300]}")
        page = answer.json()
        count += len(page["items"])
        if page["next_before"] is None:
            return count
        params = {"limit": 500, "before": page["next_before"]}


def timeline_beside_person(client: httpx.Client, person_id: UUID, entries: int,
                           requests: int) -> tuple[Timings, Timings]:
    """The newest 100 of `entries` and the same person's record, alternating on one connection."""
    timeline, person = f"/api/v1/persons/{person_id}/timeline", f"/api/v1/persons/{person_id}"
    if walk_all(client, timeline) != entries or len(client.get(timeline).json()["items"]) != min(entries, 100):
        raise SystemExit(f"The person's timeline does not hold {entries:,} entries.")
    t_page, t_person = Timings(f"timeline, newest 100 of {entries:,}", []), Timings("person", [])
    for _ in range(WARM_UP):
        client.get(timeline).raise_for_status()
        client.get(person).raise_for_status()
    for _ in range(requests):
        for path, timings in ((timeline, t_page), (person, t_person)):
            started = time.perf_counter()
            answer = client.get(path)
            timings.seconds.append(time.perf_counter() - started)
            if answer.status_code != 200:
                raise SystemExit(f"{path} answered {answer.status_code}: {answer.text[:300]}")
    return t_page, t_person


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=1_000)
    parser.add_argument("--entries", default="1000,10000", help="timeline sizes, comma-separated")
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    sizes = [int(n) for n in args.entries.split(",")]
    command = shlex.join(["python", "benchmarks/crm.py", "--people", str(args.people), "--requests",
                          str(args.requests), "--entries", args.entries, "--store", args.store])

    with tempfile.TemporaryDirectory(prefix="govcx-bench-") as tmp, (
        postgres_schema() if args.store == "postgresql" else contextlib.nullcontext(None)
    ) as database_url:
        data_dir = Path(tmp) / "data"
        settings = Settings(env=Environment.DEVELOPMENT, data_dir=data_dir, database_url=database_url)
        result = generate(settings=settings, people=args.people, seed=7)
        engine = make_engine(settings.resolved_database_url)
        factory = make_session_factory(engine)
        cipher = FieldCipher.from_secret(settings.secret, settings.encryption_key_id)
        people: dict[int, UUID] = {}
        for number, entries in enumerate(sizes, start=1):
            with unit_of_work(factory) as session:
                # A person of their own for each size, so each figure is for exactly that many entries.
                people[entries] = registry.create_person(session=session, cipher=cipher, clock=SystemClock(), data=(
                    registry_schemas.PersonCreate(national_id=f"BENCH-{number:04d}", given_name="Bea",
                                                  family_name="Bench", birth_date=date(1980, 1, 1)))).id
                svc = next(s for _, ss in registry.catalogue(session=session) for s in ss if s.department_id)
            give_history(factory, people[entries], svc, entries)
        key = json.loads(result.credentials_path.read_text())["api_keys"][0]

        env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVCX_", "BARE_"))}
        govcx_env = {**env, "GOVCX_DATA_DIR": str(data_dir)}
        if database_url:
            govcx_env["GOVCX_DATABASE_URL"] = database_url
        with contextlib.ExitStack() as running:
            base = running.enter_context(server("govcx", ["govcx.app:create_app", "--factory"], env=govcx_env,
                                                log=Path(tmp) / "govcx.log"))
            client = running.enter_context(httpx.Client(base_url=base, headers={"X-API-Key": key["key"]}, timeout=30))
            timelines = {entries: timeline_beside_person(client, person_id, entries, args.requests)
                         for entries, person_id in people.items()}

            # Open311 over HTTP, then the same case through the service layer in-process.
            form = {"api_key": key["key"], "service_code": svc.code, "lat": "60.1", "long": "24.9",
                    "description": "Benchmark pothole"}
            for _ in range(WARM_UP):
                client.post("/open311/v2/requests.json", data=form).raise_for_status()
            t_post = Timings("open311", [])
            for _ in range(args.requests):
                started = time.perf_counter()
                answer = client.post("/open311/v2/requests.json", data=form)
                t_post.seconds.append(time.perf_counter() - started)
                if answer.status_code != 201:
                    raise SystemExit(f"Open311 answered {answer.status_code}: {answer.text[:300]}")
        with unit_of_work(factory) as session:
            agency_id = registry.get_agency_by_code(session=session, code=key["agency"]).id
        actor = AgencyClient(key_id=UUID(int=0), agency_id=agency_id, scopes=frozenset(Scope(s) for s in key["scopes"]))
        data = schemas.CaseCreate(service_id=svc.id, description="Benchmark pothole",
                                  location=schemas.Location(lat=60.1, lon=24.9))
        clock = SystemClock()
        t_bare = Timings("service", [])
        for _ in range(args.requests):
            started = time.perf_counter()
            with unit_of_work(factory) as session:
                service.file_case(session=session, data=data, by=actor, clock=clock)
            t_bare.seconds.append(time.perf_counter() - started)
        engine.dispose()

    def line(label: str, t: Timings) -> str:
        return (f"{label:44s} {t.per_second:7,.0f} req/s   p50 {t.quantile(0.5) * 1000:6.2f} ms   "
                f"p99 {t.quantile(0.99) * 1000:6.2f} ms")

    print(f"$ {command}")
    print(f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, {args.store} "
          f"store, {args.people:,}-person demo country, sequential keep-alive requests, one uvicorn worker")
    for entries, (t_page, t_person) in timelines.items():
        print(line(f"GET timeline, newest 100 of {entries:,} entries", t_page))
        print(line("GET /api/v1/persons/{id}, same person", t_person))
        print(f"{'timeline newest 100 / person read':44s} p50 {t_page.quantile(0.5) / t_person.quantile(0.5):6.2f}x"
              f"       p99 {t_page.quantile(0.99) / t_person.quantile(0.99):6.2f}x")
    print(line("Open311 POST /requests.json", t_post))
    print(line("crm.service.file_case, one commit each", t_bare))
    print(f"{'Open311 / service layer':44s} {t_post.per_second / t_bare.per_second:6.2f}x req/s   "
          f"p50 {t_post.quantile(0.5) / t_bare.quantile(0.5):6.2f}x")


if __name__ == "__main__":
    main()
