"""Journeys figures: touchpoint events per second through `POST /api/v1/events`, beside a bare insert.

(a) govcx: batches of 1,000 events sent by one client (httpx, keep-alive, sequential) to the real
    govcx app under uvicorn (one worker, 127.0.0.1, an agency API key holding events:write). Each
    batch is parsed, checked event by event, deduplicated against the store, written with one Core
    executemany, and the journeys of the people in it are moved on, in one unit of work.
(b) baseline: the same number of rows, built the same way, inserted into the same table of the same
    store by a bare `executemany` (SQLAlchemy Core, one transaction per 1,000 rows), no HTTP, no checks.

Rounds alternate between the two so that noise on the machine falls on both alike. The server's peak
memory is its resident set high-water mark (VmHWM) once every batch is in.

    python benchmarks/journeys.py [--batches 40] [--people 300] [--store sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from foundation import HOST, free_port, postgres_schema, stop, wait_until_answering
from sqlalchemy import insert, select

from govcx.core.clock import SystemClock
from govcx.core.config import Environment, Settings
from govcx.core.db import make_engine, make_session_factory, unit_of_work
from govcx.core.ids import new_id
from govcx.demo.generator import generate
from govcx.journeys import service
from govcx.journeys.models import TouchpointEvent
from govcx.registry.models import Agency, Person

BATCH = 1_000
TYPES = ("view", "start", "step", "submit", "complete", "abandon", "error")


def _events(batch: int, people: list[str], journeys: dict[str, list[str]], rng: random.Random) -> list[dict]:
    """One batch of realistic events: a third from signed-in people, the rest from pseudonymous visitors."""
    now = datetime.now(UTC)
    out = []
    keys = list(journeys)
    for n in range(BATCH):
        journey = rng.choice(keys)
        # A signed-in person browses under their own visitor id (linked to them once, at their first sign-in).
        person = rng.choice(people) if rng.random() < 0.33 else None
        out.append({"id": f"b{batch}-{n}", "person_id": person,
                    "visitor_id": f"p-{person[:8]}" if person else f"v-{rng.randrange(50_000)}", "journey": journey,
                    "touchpoint": rng.choice(journeys[journey]), "type": rng.choice(TYPES),
                    "at": (now - timedelta(minutes=rng.randrange(100_000))).isoformat(),
                    "properties": {"step": rng.randrange(1, 6), "form": "v2"}})
    return out


def _bare_rows(events: list[dict], agency_id: Any, ids: dict[str, Any], points: dict[tuple[str, str], Any],
               tag: str) -> list[dict]:
    now = datetime.now(UTC)
    return [{"id": new_id(), "agency_id": agency_id, "client_event_id": f"{tag}{e['id']}",
             "person_id": ids.get(e["person_id"]), "visitor_id": e["visitor_id"], "journey_id": ids[e["journey"]],
             "touchpoint_id": points[(e["journey"], e["touchpoint"])], "type": e["type"],
             "at": datetime.fromisoformat(e["at"]), "properties": e["properties"], "received_at": now}
            for e in events]


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def run(store: str, batches: int, people: int) -> dict[str, Any]:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="govcx-bench-") as tmp, (
        postgres_schema() if store == "postgresql" else contextlib.nullcontext(None)
    ) as database_url:
        data_dir = Path(tmp) / "data"
        settings = Settings(env=Environment.DEVELOPMENT, data_dir=data_dir, database_url=database_url)
        result = generate(settings=settings, people=people, seed=7)
        engine = make_engine(settings.resolved_database_url)
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:
            service.load_life_events(session=session, clock=SystemClock())
        with unit_of_work(factory) as session:
            person_ids = [str(p) for p in session.scalars(select(Person.id))]
            maps = service.list_journey_maps(session=session)
            journeys = {j.key: [t.key for t in j.touchpoints] for j in maps}
            ids: dict[str, Any] = {j.key: j.id for j in maps} | {p: p for p in person_ids}
            points = {(j.key, t.key): t.id for j in maps for t in j.touchpoints}
            key = next(k for k in json.loads(result.credentials_path.read_text())["api_keys"]
                       if "events:write" in k["scopes"])
            agency_id = session.scalar(select(Agency.id).where(Agency.code == key["agency"]))
        from uuid import UUID
        ids.update({p: UUID(p) for p in person_ids})

        env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVCX_", "BARE_"))}
        env |= {"GOVCX_DATA_DIR": str(data_dir)} | ({"GOVCX_DATABASE_URL": database_url} if database_url else {})
        port = free_port()
        log = Path(tmp) / "govcx.log"
        with log.open("wb") as out:
            process = subprocess.Popen([sys.executable, "-m", "uvicorn", "govcx.app:create_app", "--factory",
                                        "--host", HOST, "--port", str(port), "--workers", "1", "--log-level",
                                        "warning"], env=env, stdout=out, stderr=subprocess.STDOUT)
        base = f"http://{HOST}:{port}"
        api, bare = [], []
        try:
            wait_until_answering("govcx", process, base, log)
            with httpx.Client(base_url=base, headers={"X-API-Key": key["key"]}, timeout=60) as client:
                warm = _events(-1, person_ids, journeys, rng)
                client.post("/api/v1/events", json={"events": warm}).raise_for_status()
                for batch in range(batches):
                    events = _events(batch, person_ids, journeys, rng)
                    body = json.dumps({"events": events}).encode()
                    started = time.perf_counter()
                    answer = client.post("/api/v1/events", content=body,
                                         headers={"Content-Type": "application/json"})
                    api.append(time.perf_counter() - started)
                    if answer.status_code != 200 or answer.json()["accepted"] != BATCH:
                        raise SystemExit(f"govcx answered {answer.status_code}: {answer.text[:500]}")
                    rows = _bare_rows(events, agency_id, ids, points, tag="bare-")
                    started = time.perf_counter()
                    with engine.begin() as connection:
                        connection.execute(insert(TouchpointEvent.__table__), rows)
                    bare.append(time.perf_counter() - started)
            peak = _peak_kib(process.pid)
        finally:
            stop(process)
            engine.dispose()
    n = batches * BATCH
    return {"store": store, "api": n / sum(api), "bare": n / sum(bare), "peak_mib": peak / 1024,
            "p50_ms": sorted(api)[len(api) // 2] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    stores = ("sqlite", "postgresql") if args.store == "both" else (args.store,)
    results = [run(store, args.batches, args.people) for store in stores]
    print("$ " + shlex.join(["python", "benchmarks/journeys.py", "--batches", str(args.batches), "--people",
                             str(args.people), "--store", args.store]))
    print(f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"{args.batches * BATCH:,} events in batches of {BATCH:,}, one client, one uvicorn worker")
    for r in results:
        print(f"{r['store']:10s} POST /api/v1/events   {r['api']:9,.0f} events/s   p50 {r['p50_ms']:6.1f} ms/batch   "
              f"server peak {r['peak_mib']:5.0f} MiB")
        print(f"{r['store']:10s} bare executemany      {r['bare']:9,.0f} events/s")
        print(f"{r['store']:10s} ratio bare / API      {r['bare'] / r['api']:9.2f}x")


if __name__ == "__main__":
    main()
