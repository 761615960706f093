"""Foundation figures: how fast the demo country is generated, and what govcx's request path costs.

(a) `generate` into a fresh temporary data dir: people per second.
(b) `GET /api/v1/persons/{id}` on the real govcx app under uvicorn (one worker, 127.0.0.1, an agency
    API key), beside benchmarks/bare_app.py (same framework, same uvicorn settings, the same row by
    one plain SQL select), measured in the same run by the same client: httpx, keep-alive,
    sequential, random ids, after a warm-up. The rounds alternate between the two servers so
    that noise on the machine falls on both alike.

    python benchmarks/foundation.py [--people 100000] [--requests 3000] [--store sqlite|postgresql]

Everything runs on 127.0.0.1 and in a temporary directory (or a temporary PostgreSQL schema),
and is removed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import shlex
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from govcx.core.config import Environment, Settings
from govcx.demo.generator import generate
from govcx.registry.models import Person

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"
ROUNDS = 6
WARM_UP = 300
# Benchmarks may read the environment; govcx code never does.
POSTGRES_URL = os.environ.get("GOVCX_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh schema in the local test database, dropped afterwards; yields a URL whose search_path is it."""
    schema = f"govcx_bench_{os.getpid()}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def server(name: str, target: list[str], *, env: dict[str, str], log: Path) -> Iterator[str]:
    """Run one uvicorn worker on 127.0.0.1 until the block ends; yield its base URL once it answers."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", *target, "--host", HOST, "--port", str(port), "--workers", "1",
               "--log-level", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://{HOST}:{port}"
    try:
        wait_until_answering(name, process, base, log)
        yield base
    finally:
        stop(process)


def wait_until_answering(name: str, process: subprocess.Popen, base: str, log: Path, *, seconds: float = 60) -> None:
    """Return once the server at `base` answers /healthz; exit with its log if it dies or takes too long."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited at start:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise SystemExit(f"{name} did not answer within {seconds:g} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def stop(process: subprocess.Popen, *, seconds: float = 10) -> None:
    """Terminate a server, and kill it if it does not stop in time."""
    process.terminate()
    try:
        process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Timings:
    label: str
    seconds: list[float]

    def quantile(self, q: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    @property
    def per_second(self) -> float:
        return len(self.seconds) / sum(self.seconds)


def _get_person(client: httpx.Client, person_id: str) -> httpx.Response:
    return client.get(f"/api/v1/persons/{person_id}")


def measure(clients: dict[str, httpx.Client], ids: list[str], requests: int,
            send: Callable[[httpx.Client, str], httpx.Response] = _get_person,
            ok: Callable[[httpx.Response], bool] = lambda answer: answer.status_code == 200) -> dict[str, Timings]:
    """Send `requests` sequential requests to each server, alternating rounds; check every answer."""
    for client in clients.values():
        for ident in ids[:WARM_UP]:
            send(client, ident).raise_for_status()
    rng = random.Random(1)
    timings = {name: Timings(name, []) for name in clients}
    per_round = -(-requests // ROUNDS)
    for round_number in range(ROUNDS):
        names = list(clients) if round_number % 2 == 0 else list(clients)[::-1]
        batch = [rng.choice(ids) for _ in range(min(per_round, requests - round_number * per_round))]
        for name in names:
            client, record = clients[name], timings[name].seconds
            for ident in batch:
                started = time.perf_counter()
                answer = send(client, ident)
                record.append(time.perf_counter() - started)
                if not ok(answer):
                    raise SystemExit(f"{name} answered {answer.status_code}: {answer.text[:300]}")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3_000)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    # The effective options, defaults included, so the line reruns the same measurement.
    command = shlex.join(["python", "benchmarks/foundation.py", "--people", str(args.people), "--requests",
                          str(args.requests), "--store", args.store, "--seed", str(args.seed)])

    with tempfile.TemporaryDirectory(prefix="govcx-bench-") as tmp, (
        postgres_schema() if args.store == "postgresql" else contextlib.nullcontext(None)
    ) as database_url:
        data_dir = Path(tmp) / "data"
        settings = Settings(env=Environment.DEVELOPMENT, data_dir=data_dir, database_url=database_url)
        result = generate(settings=settings, people=args.people, seed=args.seed)
        url = settings.resolved_database_url

        engine = create_engine(url)
        with engine.connect() as connection:
            ids = [str(i) for i in connection.scalars(select(Person.id))]
        engine.dispose()
        random.Random(2).shuffle(ids)
        key = json.loads(result.credentials_path.read_text())["api_keys"][0]["key"]

        env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVCX_", "BARE_"))}
        govcx_env = {**env, "GOVCX_DATA_DIR": str(data_dir)}
        if database_url:
            govcx_env["GOVCX_DATABASE_URL"] = database_url
        bare_env = {**env, "BARE_DATABASE_URL": url}
        logs = Path(tmp)
        with contextlib.ExitStack() as running:
            a = running.enter_context(server("govcx", ["govcx.app:create_app", "--factory"], env=govcx_env,
                                             log=logs / "govcx.log"))
            b = running.enter_context(server("bare", ["bare_app:app", "--app-dir", str(HERE)], env=bare_env,
                                             log=logs / "bare.log"))
            clients = {
                "govcx": running.enter_context(httpx.Client(base_url=a, headers={"X-API-Key": key}, timeout=10)),
                "bare": running.enter_context(httpx.Client(base_url=b, timeout=10)),
            }
            answers = [c.get(f"/api/v1/persons/{ids[0]}").json() for c in clients.values()]
            if answers[0]["family_name"] != answers[1]["family_name"]:
                raise SystemExit("The two servers disagree about a person: they do not read the same store.")
            timings = measure(clients, ids, args.requests)

    govcx, bare = timings["govcx"], timings["bare"]
    print(f"$ {command}")
    print(f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, {args.store} "
          f"store, {args.requests:,} sequential keep-alive requests per server, random ids")
    print(f"{f'demo generation, {result.people:,} people':38s} {result.people / result.seconds:7,.0f} people/s   "
          f"{result.seconds:.1f} s")
    for label, t in (("GET /api/v1/persons/{id}, govcx", govcx), ("same row, bare FastAPI + plain SQL", bare)):
        print(f"{label:38s} {t.per_second:7,.0f} req/s      p50 {t.quantile(0.5) * 1000:.2f} ms   "
              f"p99 {t.quantile(0.99) * 1000:.2f} ms")
    p50, p99 = govcx.quantile(0.5) / bare.quantile(0.5), govcx.quantile(0.99) / bare.quantile(0.99)
    print(f"{'overhead ratio, govcx / bare':38s} {govcx.per_second / bare.per_second:6.2f}x req/s      "
          f"p50 {p50:.2f}x     p99 {p99:.2f}x")


if __name__ == "__main__":
    main()
