"""The demo country: people per second for every layer, beside the registry layer alone (the floor).

For each size and store it generates, into a fresh temporary data dir (or a fresh PostgreSQL schema):

- **registry floor**: the regions, agencies and services, then the people and their households
  through the registry's bulk import (sealed national ids, blind indexes): the least work any demo
  country needs, in one run of the generator's own code;
- **whole country**: `generate` (what `govcx demo --no-serve` runs): every layer, the access log
  witnessed as it is written and verifying at once, the truth file;

and prints people per second for each and their ratio (whole / floor, in seconds per person), with
the CPU seconds this process spent (on a shared, busy machine the wall clock mostly measures the others).

    python benchmarks/demo.py                                   # 20,000 and 100,000 on SQLite, 20,000 on PostgreSQL
    python benchmarks/demo.py --sizes 20000 --stores sqlite
"""

from __future__ import annotations

import argparse
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from govcx.core.clock import SystemClock
from govcx.core.config import Environment, Settings
from govcx.core.db import make_engine, make_session_factory
from govcx.core.migrations import upgrade
from govcx.demo import generator as demo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from foundation import postgres_schema  # noqa: E402


def floor(settings: Settings, people: int, seed: int) -> float:
    """Seconds for the registry layer alone: government, then people and households."""
    started = time.perf_counter()
    engine = make_engine(settings.resolved_database_url)
    if engine.dialect.name == "sqlite" and hasattr(demo, "_bulk_load_cache"):  # as generate() does
        event.listen(engine, "connect", demo._bulk_load_cache)
    try:
        upgrade(engine)
        generator = demo._Generator(settings=settings, factory=make_session_factory(engine), seed=seed,
                                    steps=demo._Steps(None), clock=SystemClock())
        generator.government()
        generator.people(count=people)
    finally:
        engine.dispose()
    return time.perf_counter() - started


def whole(settings: Settings, people: int, seed: int) -> float:
    started = time.perf_counter()
    demo.generate(settings=settings, people=people, seed=seed)
    return time.perf_counter() - started


def run_one(store: str, people: int, seed: int) -> None:
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for name, work in (("registry floor", floor), ("whole country", whole)):
        cpu_before = time.process_time()
        with tempfile.TemporaryDirectory(prefix="govcx-bench-demo-") as tmp:
            if store == "postgresql":
                with postgres_schema() as url:
                    settings = Settings(env=Environment.DEVELOPMENT, data_dir=Path(tmp), database_url=url)
                    seconds[name] = work(settings, people, seed)
            else:
                settings = Settings(env=Environment.DEVELOPMENT, data_dir=Path(tmp))
                seconds[name] = work(settings, people, seed)
        cpu[name] = time.process_time() - cpu_before
    for name, took in seconds.items():
        print(f"{store:10s} {people:>9,} people  {name:15s} {took:7.1f} s  {people / took:8,.0f} people/s"
              f"   {cpu[name]:6.1f} s CPU (this process, all its threads)")
    print(f"{store:10s} {people:>9,} people  {'ratio':15s} {seconds['whole country'] / seconds['registry floor']:7.2f}x"
          " (whole country / registry floor)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000", help="people, comma-separated (SQLite)")
    parser.add_argument("--postgres-sizes", default="20000", help="people, comma-separated (PostgreSQL)")
    parser.add_argument("--stores", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print("$ python " + " ".join(shlex.quote(a) for a in sys.argv))
    print(f"# {platform.platform()}, Python {platform.python_version()}")
    stores = args.stores.split(",")
    if "sqlite" in stores:
        for people in (int(n) for n in args.sizes.split(",") if n):
            run_one("sqlite", people, args.seed)
    if "postgresql" in stores:
        for people in (int(n) for n in args.postgres_sizes.split(",") if n):
            run_one("postgresql", people, args.seed)


if __name__ == "__main__":
    main()
