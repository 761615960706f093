"""Notify figures: messages per second through govcx's outbox to a local SMTP server, beside plain smtplib.

(a) govcx accept: `notify.service.send` accepts N messages (render, preferences, cap, dedup, outbox row),
    200 per unit of work;
(b) govcx outbox → SMTP: `govcx worker`'s loop (`Worker.drain`) claims them in batches under leases,
    hands each batch to the server over one SMTP connection and records the batch's answers in one commit;
(c) baseline: plain `smtplib` sends the same N already-rendered messages to the same server, one
    connection per message, with no database at all.

Both go to one aiosmtpd server on 127.0.0.1 that counts what it accepted; the rounds alternate so
noise falls on both alike. Per message: smtplib's is one message's connect-send-quit; the outbox's is
one batch's claim, hand-over and commit divided by its size (what each message of the batch cost);
accept's is one `send` call. The worker's peak memory is traced (tracemalloc) in one more, untimed round.

    python benchmarks/notify.py [--messages 1000] [--rounds 2] [--store sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shlex
import smtplib
import socket
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from foundation import Timings, postgres_schema  # benchmarks/ is on the path when a script runs from it
from sqlalchemy import select

from govcx.core.clock import SystemClock
from govcx.core.config import Environment, Settings
from govcx.core.crypto import FieldCipher
from govcx.core.db import make_engine, make_session_factory, unit_of_work
from govcx.core.migrations import upgrade
from govcx.notify import defaults, outbox, schemas, service
from govcx.notify.models import Message
from govcx.notify.worker import Worker
from govcx.registry import schemas as registry_schemas
from govcx.registry import service as registry

HOST = "127.0.0.1"
BATCH = 200


class Counter:
    def __init__(self) -> None:
        self.accepted = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        self.accepted += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _store(kind: str, folder: Path):  # noqa: ANN202
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'govcx.db'}"
        return
    with postgres_schema() as url:
        yield url


def _people(factory, settings: Settings, n: int) -> list:  # noqa: ANN001
    clock, cipher = SystemClock(), FieldCipher.from_secret(settings.secret, settings.encryption_key_id)
    with unit_of_work(factory) as session:
        ids = registry.import_persons(session=session, cipher=cipher, clock=clock, rows=[
            registry_schemas.PersonCreate(national_id=f"BENCH{i:08d}", given_name=f"Ana{i}", family_name="Lopez",
                                          birth_date=date(1980, 1, 1), email=f"ana{i}@example.org")
            for i in range(n)])
        defaults.install_default_templates(session=session, clock=clock)
        service.import_preferences(session=session, clock=clock, rows=[
            {"person_id": i, "channels": ["email"], "language": "es" if k % 2 else "en"} for k, i in enumerate(ids)])
    return ids


class TimedWorker(Worker):
    """The real worker, timing each batch: its claim, hand-over and commit."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.per_message: list[float] = []

    def drain(self) -> dict[str, int]:
        claim, hand_over = outbox.claim, outbox.hand_over
        started = [0.0]

        def timed_claim(**kw):  # noqa: ANN003, ANN202
            started[0] = time.perf_counter()
            return claim(**kw)

        def timed_hand_over(**kw):  # noqa: ANN003, ANN202
            done = hand_over(**kw)
            n = len(kw["batch"].ids)
            # The commit comes after hand_over returns; it is counted in the next claim's gap, and in the total.
            self.per_message.extend([(time.perf_counter() - started[0]) / n] * n)
            return done

        outbox.claim, outbox.hand_over = timed_claim, timed_hand_over
        try:
            return super().drain()
        finally:
            outbox.claim, outbox.hand_over = claim, hand_over


def _accept(factory, settings: Settings, people: list, tag: str, timings: list[float]) -> None:  # noqa: ANN001
    clock = SystemClock()
    why = schemas.Why(rule="Benchmark reminder.", data=["Driving licence"])
    for start in range(0, len(people), BATCH):
        with unit_of_work(factory) as session:
            for person_id in people[start:start + BATCH]:
                began = time.perf_counter()
                service.send(session=session, clock=clock, settings=settings, person_id=person_id,
                             template_key="reminder.renewal", why=why, dedup_key=f"{tag}:{person_id}",
                             facts={"document_name": "driving licence", "expiry_date": "30 June"})
                timings.append(time.perf_counter() - began)


def _govcx_round(factory, settings: Settings, people: list, tag: str, accept: list[float],  # noqa: ANN001
                 deliver: list[float]) -> tuple[float, float]:
    started = time.perf_counter()
    _accept(factory, settings, people, tag, accept)
    accepted = time.perf_counter()
    worker = TimedWorker(session_factory=factory, clock=SystemClock(), settings=settings)
    counts = worker.drain()
    done = time.perf_counter()
    assert counts == {"sent": len(people)}, counts
    deliver.extend(worker.per_message)
    return accepted - started, done - accepted


def _worker_peak(factory, settings: Settings, people: list) -> int:  # noqa: ANN001
    _accept(factory, settings, people, "memory", [])
    worker = Worker(session_factory=factory, clock=SystemClock(), settings=settings)
    tracemalloc.start()
    try:
        worker.drain()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _rendered(factory) -> list[tuple[str, str, str, str]]:  # noqa: ANN001
    with unit_of_work(factory) as session:
        rows = session.execute(select(Message.person_id, Message.subject, Message.text_body, Message.html_body)
                               .order_by(Message.id)).all()
        emails = {p.id: p.email for p in (registry.get_person(session=session, person_id=r[0]) for r in rows)}
    seen: dict = {}
    for person_id, subject, text_body, html in rows:
        seen.setdefault(person_id, (emails[person_id], subject, text_body, html))
    return list(seen.values())


def _smtplib_round(messages: list[tuple[str, str, str, str]], port: int, timings: list[float]) -> float:
    started = time.perf_counter()
    for to, subject, text_body, html in messages:
        began = time.perf_counter()
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "govcx <no-reply@govcx.example>", to, subject
        mail.set_content(text_body)
        mail.add_alternative(html, subtype="html")
        with smtplib.SMTP(HOST, port, timeout=10) as smtp:
            smtp.send_message(mail)
        timings.append(time.perf_counter() - began)
    return time.perf_counter() - started


def _ms(t: Timings) -> str:
    return f"p50 {t.quantile(0.5) * 1000:6.2f} ms   p99 {t.quantile(0.99) * 1000:6.2f} ms"


def run(store: str, messages: int, rounds: int, counter: Counter, port: int) -> None:
    before = counter.accepted
    with tempfile.TemporaryDirectory() as tmp, _store(store, Path(tmp)) as url:
        settings = Settings(env=Environment.TEST, data_dir=Path(tmp), database_url=url, smtp_host=HOST,
                            smtp_port=port, secret_key="benchmark-secret-key-long-enough-0123456789",
                            notify_frequency_cap=10 * (rounds + 1), log_level="WARNING")
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        people = _people(factory, settings, messages)
        accept_s = deliver_s = baseline_s = 0.0
        accept, deliver, baseline = Timings("accept", []), Timings("outbox", []), Timings("smtplib", [])
        for n in range(rounds):
            accepted, delivered = _govcx_round(factory, settings, people, f"round{n}", accept.seconds,
                                               deliver.seconds)
            accept_s, deliver_s = accept_s + accepted, deliver_s + delivered
            if n == 0:
                rendered = _rendered(factory)
            baseline_s += _smtplib_round(rendered, port, baseline.seconds)
        peak = _worker_peak(factory, settings, people)
        engine.dispose()
    sent = messages * rounds
    assert counter.accepted - before == 2 * sent + messages, (counter.accepted - before, sent)
    rate = lambda seconds: sent / seconds  # noqa: E731
    total_s = accept_s + deliver_s
    print(f"store {store}: {sent:,} messages each, {rounds} alternating rounds, worker batch {settings.worker_batch}")
    print(f"  {'govcx accept (send → outbox)':<36}{rate(accept_s):>8,.0f} msg/s   {_ms(accept)}")
    print(f"  {'govcx outbox → SMTP (worker)':<36}{rate(deliver_s):>8,.0f} msg/s   {_ms(deliver)}   (per message of a batch)")
    print(f"  {'govcx accept + outbox, end to end':<36}{rate(total_s):>8,.0f} msg/s")
    print(f"  {'plain smtplib, a connection each':<36}{rate(baseline_s):>8,.0f} msg/s   {_ms(baseline)}")
    print(f"  {'ratio outbox → SMTP / smtplib':<36}{baseline_s / deliver_s:>8.2f}x  throughput")
    print(f"  {'ratio end to end / smtplib':<36}{baseline_s / total_s:>8.2f}x  throughput")
    print(f"  {'peak memory of the worker':<36}{peak / 1e6:>8.1f} MB  (Python heap, tracemalloc, draining "
          f"{messages:,} messages)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--store", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    print("$ python " + " ".join(shlex.quote(a) for a in sys.argv))
    print(f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} CPUs")
    counter, port = Counter(), _free_port()
    controller = Controller(counter, hostname=HOST, port=port)
    controller.start()
    try:
        for store in ("sqlite", "postgresql") if args.store == "both" else (args.store,):
            run(store, args.messages, args.rounds, counter, port)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
