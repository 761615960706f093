"""Exchange figures: what consent checking and the access log cost per request, and how fast the log verifies.

(a) `POST /api/v1/exchange/requests` on the real govcx app under uvicorn (one worker, 127.0.0.1, the tax
    agency's API key): a consent-checked, minimised, hash-chain-logged request for a person's bank interest
    statement under their standing consent, beside benchmarks/bare_exchange_app.py (same framework, same
    uvicorn settings, the same facts by one plain select, no checks, no log). Same client, keep-alive,
    sequential, random people with a consent, after a warm-up, alternating rounds.
(b) `govcx audit verify`'s check (exchange.service.verify) over the whole access log and its witness after
    topping it up to --log-entries entries (each signed head written to the witness file, as the app does):
    entries per second.

    python benchmarks/exchange.py [--people 5000] [--requests 2000] [--log-entries 1000000] [--store sqlite|postgresql]
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
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from foundation import HERE, measure, postgres_schema, server  # noqa: E402

from govcx.core.config import Environment, Settings  # noqa: E402
from govcx.core.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from govcx.core.ids import new_id  # noqa: E402
from govcx.core.signing import Signer  # noqa: E402
from govcx.demo.generator import generate  # noqa: E402
from govcx.exchange import service as exchange  # noqa: E402
from govcx.exchange import witness  # noqa: E402

ATTRIBUTE = "bank.interest_statement"
APPEND_BATCH = 50_000


def _body(subject: str) -> dict:
    return {"subject_id": subject, "attributes": [ATTRIBUTE], "purpose": "ServiceProvision"}


def _ask(client: httpx.Client, subject: str) -> httpx.Response:
    return client.post("/api/v1/exchange/requests", json=_body(subject))


def _one_fact(answer: httpx.Response) -> bool:
    return answer.status_code == 200 and len(answer.json()["facts"]) == 1


def top_up(url: str, settings: Settings, total: int) -> tuple[int, float]:
    """Append synthetic entries until the log holds `total`; return how many were added and how long it took."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    witness.bind(factory, witness.Publisher(witness.witness_from(settings)))  # as the app does: heads witnessed
    signer = Signer.from_secret(settings.secret)
    with engine.connect() as connection:
        have = connection.execute(text("SELECT COUNT(*) FROM access_log_entry")).scalar_one()
        template = connection.execute(text(
            "SELECT subject_id, requester_agency_id, consent_id FROM access_log_entry WHERE consent_id IS NOT NULL "
            "LIMIT 1")).first()
    subject, agency, consent = (v if isinstance(v, UUID) else UUID(v) for v in template)
    started, added, at_us = time.perf_counter(), 0, exchange.to_micros(datetime.now(UTC))
    while have + added < total:
        n = min(APPEND_BATCH, total - have - added)
        entries = [{"at_us": at_us + added + i, "subject_id": subject, "requester_agency_id": agency,
                    "service_id": None, "purpose": "ServiceProvision", "attributes": ATTRIBUTE, "decision": "permit",
                    "reason": "consent", "consent_id": consent, "legal_basis_id": None, "request_id": new_id()}
                   for i in range(n)]
        with unit_of_work(factory) as session:
            exchange.append(session=session, signer=signer, entries=entries, at=datetime.now(UTC))
        added += n
    with unit_of_work(factory) as session:  # what the server's loop does for the newest entries
        exchange.checkpoint(session=session, signer=signer, at=datetime.now(UTC))
    engine.dispose()
    return added, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--log-entries", type=int, default=1_000_000)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    command = shlex.join(["python", "benchmarks/exchange.py", "--people", str(args.people), "--requests",
                          str(args.requests), "--log-entries", str(args.log_entries), "--store", args.store])

    with tempfile.TemporaryDirectory(prefix="govcx-bench-") as tmp, (
        postgres_schema() if args.store == "postgresql" else contextlib.nullcontext(None)
    ) as database_url:
        data_dir = Path(tmp) / "data"
        settings = Settings(env=Environment.DEVELOPMENT, data_dir=data_dir, database_url=database_url)
        result = generate(settings=settings, people=args.people, seed=args.seed)
        url = settings.resolved_database_url
        credentials = json.loads(result.credentials_path.read_text())
        key = next(k["key"] for k in credentials["api_keys"] if k["agency"] == "TAX")
        engine = create_engine(url)
        with engine.connect() as connection:
            subjects = [str(UUID(str(s))) for s in
                        connection.scalars(text("SELECT subject_id FROM consent WHERE status = 'active'"))]
        engine.dispose()
        random.Random(2).shuffle(subjects)

        env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVCX_", "BARE_"))}
        govcx_env = {**env, "GOVCX_DATA_DIR": str(data_dir)}
        if database_url:
            govcx_env["GOVCX_DATABASE_URL"] = database_url
        with contextlib.ExitStack() as running:
            a = running.enter_context(server("govcx", ["govcx.app:create_app", "--factory"], env=govcx_env,
                                             log=Path(tmp) / "govcx.log"))
            b = running.enter_context(server("bare", ["bare_exchange_app:app", "--app-dir", str(HERE)],
                                             env={**env, "BARE_DATABASE_URL": url}, log=Path(tmp) / "bare.log"))
            clients = {
                "govcx": running.enter_context(httpx.Client(base_url=a, headers={"X-API-Key": key}, timeout=10)),
                "bare": running.enter_context(httpx.Client(base_url=b, timeout=10)),
            }
            values = [c.post("/api/v1/exchange/requests", json=_body(subjects[0])).json()["facts"][0]["value"]
                      for c in clients.values()]
            if values[0] != values[1]:
                raise SystemExit("The two servers disagree about a fact: they do not read the same store.")
            timings = measure(clients, subjects, args.requests, send=_ask, ok=_one_fact)

        added, append_seconds = top_up(url, settings, args.log_entries)
        engine = make_engine(url)
        with engine.connect() as connection:
            report = exchange.verify(connection=connection, jwks=Signer.from_secret(settings.secret).jwks(),
                                     witness=witness.witness_from(settings))
        engine.dispose()
        if not report.ok:
            raise SystemExit(f"verification failed: {report.problem}")

    govcx, bare = timings["govcx"], timings["bare"]
    print(f"$ {command}")
    print(f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, {args.store} "
          f"store, {args.requests:,} sequential keep-alive requests per server, {len(subjects):,} people with a "
          f"standing consent")
    for label, t in (("consent-checked, logged exchange", govcx), ("same facts, bare (no checks, no log)", bare)):
        print(f"{label:38s} {t.per_second:7,.0f} req/s   p50 {t.quantile(0.5) * 1000:.2f} ms   "
              f"p99 {t.quantile(0.99) * 1000:.2f} ms")
    p50, p99 = govcx.quantile(0.5) / bare.quantile(0.5), govcx.quantile(0.99) / bare.quantile(0.99)
    print(f"{'overhead ratio, govcx / bare':38s} {bare.per_second / govcx.per_second:6.2f}x time/req   "
          f"p50 {p50:.2f}x   p99 {p99:.2f}x")
    print(f"{'access log append (bulk, synthetic)':38s} {added / append_seconds:7,.0f} entries/s   "
          f"{added:,} entries in {append_seconds:.1f} s")
    print(f"{'govcx audit verify, whole chain':38s} {report.entries / report.seconds:7,.0f} entries/s   "
          f"{report.entries:,} entries, {report.checkpoints:,} signed checkpoints, {report.witness_heads:,} "
          f"witnessed heads in {report.seconds:.2f} s")


if __name__ == "__main__":
    main()
