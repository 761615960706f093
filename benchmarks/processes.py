"""More than one process: throughput of `govcx serve --workers 2` beside `--workers 1`, on PostgreSQL.

`GET /api/v1/persons/{id}` (an agency API key, random ids of a small demo country) from `--connections`
concurrent keep-alive connections on 127.0.0.1, each reconnecting every `RECONNECT` requests so that the
kernel spreads connections over the processes that share the port. The same load, in the same run, goes
to the bare baseline (`bare_app.py`: the same framework and uvicorn serving the same row by one plain
SQL select) with one and with two processes: the bare ratio is what this machine gives any app going
from one process to two, the floor govcx's own ratio is read against. Rounds alternate between the
four servers so that noise falls on all alike. The load generator is a few lines of asyncio over raw
sockets (no HTTP library), so that it takes little of the CPU the servers need; its share is printed.

The embedded SQLite store is served by one process only (`govcx serve --workers 2` refuses it), so
this benchmark runs on PostgreSQL alone.

    python benchmarks/processes.py [--requests 2000] [--rounds 4] [--connections 16] [--people 500]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import resource
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
from foundation import HERE, HOST, Timings, free_port, postgres_schema, stop, wait_until_answering  # noqa: E402

from govcx.core.config import Environment, Settings  # noqa: E402
from govcx.demo.generator import generate  # noqa: E402
from govcx.registry.models import Person  # noqa: E402

RECONNECT = 50
WARM_UP = 200


TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and every process below it (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = [int(c) for task in Path(f"/proc/{pid}/task").iterdir()
                    for c in (task / "children").read_text().split()]
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK + sum(tree_cpu(child) for child in children)


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy, all CPUs together (Linux /proc/stat)."""
    user, nice, system, idle, iowait, *rest = (int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:])
    return (user + nice + system + sum(rest[:3])) / TICK


@contextlib.contextmanager
def serving(name: str, command: list[str], *, env: dict[str, str], log: Path) -> Iterator[tuple[int, int]]:
    """Run a server command until the block ends; yield (port, pid) once it answers /healthz."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen([*command, "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_answering(name, process, f"http://{HOST}:{port}", log, seconds=120)
        yield port, process.pid
    finally:
        stop(process, seconds=30)


async def _read_answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    headers = {k.strip().lower(): v.strip() for k, v in headers.items()}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    else:  # chunked
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")
    return status


async def _connection(port: int, paths: list[str], key: str, seconds: list[float]) -> None:
    reader = writer = None
    for i, path in enumerate(paths):
        if i % RECONNECT == 0:
            if writer is not None:
                writer.close()
            reader, writer = await asyncio.open_connection(HOST, port)
        started = time.perf_counter()
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nX-API-Key: {key}\r\n\r\n".encode())
        status = await _read_answer(reader)
        seconds.append(time.perf_counter() - started)
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
    if writer is not None:
        writer.close()


def load(port: int, ids: list[str], *, requests: int, connections: int, key: str) -> tuple[float, list[float]]:
    """Send `requests` requests over `connections` concurrent connections; return (wall seconds, latencies)."""
    paths = [f"/api/v1/persons/{random.choice(ids)}" for _ in range(requests)]
    seconds: list[float] = []

    async def run() -> None:
        await asyncio.gather(*(_connection(port, paths[i::connections], key, seconds) for i in range(connections)))

    started = time.perf_counter()
    asyncio.run(run())
    return time.perf_counter() - started, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2_000, help="Requests per round per server.")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--people", type=int, default=500)
    args = parser.parse_args()
    command = shlex.join(["python", "benchmarks/processes.py", "--requests", str(args.requests), "--rounds",
                          str(args.rounds), "--connections", str(args.connections), "--people", str(args.people)])

    with tempfile.TemporaryDirectory(prefix="govcx-bench-") as tmp, postgres_schema() as database_url:
        data_dir = Path(tmp) / "data"
        settings = Settings(env=Environment.DEVELOPMENT, data_dir=data_dir, database_url=database_url)
        result = generate(settings=settings, people=args.people, seed=7)
        engine = create_engine(database_url)
        with engine.connect() as connection:
            ids = [str(i) for i in connection.scalars(select(Person.id))]
        engine.dispose()
        key = json.loads(result.credentials_path.read_text())["api_keys"][0]["key"]

        env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVCX_", "BARE_"))}
        # Rate limits are not on this route; memory:// keeps the comparison about the processes alone.
        govcx_env = {**env, "GOVCX_DATA_DIR": str(data_dir), "GOVCX_DATABASE_URL": database_url}
        bare_env = {**env, "BARE_DATABASE_URL": database_url}
        servers = {}
        with contextlib.ExitStack() as running:
            for n in (1, 2):
                servers[f"govcx, {n} process{'es' if n > 1 else ''}"] = running.enter_context(serving(
                    f"govcx x{n}", [sys.executable, "-m", "govcx.cli", "serve", "--workers", str(n)],
                    env=govcx_env, log=Path(tmp) / f"govcx{n}.log"))
                servers[f"bare FastAPI, {n} process{'es' if n > 1 else ''}"] = running.enter_context(serving(
                    f"bare x{n}", [sys.executable, "-m", "uvicorn", "bare_app:app", "--app-dir", str(HERE),
                                   "--host", HOST, "--workers", str(n), "--log-level", "warning"],
                    env=bare_env, log=Path(tmp) / f"bare{n}.log"))
            for port, _ in servers.values():
                load(port, ids, requests=WARM_UP, connections=args.connections, key=key)
            walls = {label: 0.0 for label in servers}
            server_cpu = {label: 0.0 for label in servers}
            busy = {label: 0.0 for label in servers}
            latencies: dict[str, list[float]] = {label: [] for label in servers}
            client_cpu = 0.0
            for _ in range(args.rounds):
                for label, (port, pid) in servers.items():
                    before, cpu, machine = resource.getrusage(resource.RUSAGE_SELF), tree_cpu(pid), machine_busy()
                    wall, seconds = load(port, ids, requests=args.requests, connections=args.connections, key=key)
                    after = resource.getrusage(resource.RUSAGE_SELF)
                    server_cpu[label] += tree_cpu(pid) - cpu
                    busy[label] += machine_busy() - machine
                    client_cpu += (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                    walls[label] += wall
                    latencies[label] += seconds

    total = args.requests * args.rounds
    rate = {label: total / wall for label, wall in walls.items()}
    print(f"$ {command}")
    print(f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, postgresql "
          f"store, {total:,} requests per server in {args.rounds} alternating rounds, {args.connections} "
          f"concurrent connections (reconnecting every {RECONNECT}), GET /api/v1/persons/{{id}}")
    for label in servers:
        t = Timings(label, latencies[label])
        print(f"{label:28s} {rate[label]:7,.0f} req/s   p50 {t.quantile(0.5) * 1000:6.2f} ms   "
              f"p99 {t.quantile(0.99) * 1000:6.2f} ms   server {server_cpu[label] / walls[label]:.2f} CPUs, "
              f"machine {busy[label] / walls[label]:.2f} CPUs busy")
    govcx = rate["govcx, 2 processes"] / rate["govcx, 1 process"]
    bare = rate["bare FastAPI, 2 processes"] / rate["bare FastAPI, 1 process"]
    print(f"{'two processes / one':28s} govcx {govcx:.2f}x   bare FastAPI {bare:.2f}x   (aim: govcx 1.6x)")
    print("# server: CPU of the server's processes while its rounds ran; machine: every CPU's busy time in "
          "that while (the servers, PostgreSQL, the load generator, and anything else running)")
    print(f"# the load generator used {client_cpu / sum(walls.values()) * 100:.0f} % of one CPU while it ran; "
          "PostgreSQL shares the same CPUs")


if __name__ == "__main__":
    main()
