"""Notify figures: messages per second through govcx's outbox to a local SMTP server, beside plain smtplib.

(a) govcx: `notify.service.send` accepts N messages (render, preferences, cap, dedup, outbox row), then
    `govcx worker`'s loop (`Worker.drain`) claims them under leases and delivers each over SMTP,
    recording the server's answer in its own transaction.
(b) baseline: plain `smtplib` sends the same N already-rendered messages to the same server, one
    connection per message (as govcx's sender does), with no database at all.

Both go to one aiosmtpd server on 127.0.0.1 that counts what it accepted; the rounds alternate so
noise falls on both alike.

    python benchmarks/notify.py [--messages 1000] [--rounds 2] [--store sqlite|postgresql]
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
from datetime import date
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from foundation import postgres_schema  # benchmarks/ is on the path when a script runs from it
from sqlalchemy import select

from govcx.core.clock import SystemClock
from govcx.core.config import Environment, Settings
from govcx.core.crypto import FieldCipher
from govcx.core.db import make_engine, make_session_factory, unit_of_work
from govcx.core.migrations import upgrade
from govcx.notify import defaults, schemas, service
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


def _govcx_round(factory, settings: Settings, people: list, tag: str) -> tuple[float, float]:  # noqa: ANN001
    clock = SystemClock()
    why = schemas.Why(rule="Benchmark reminder.", data=["Driving licence"])
    started = time.perf_counter()
    for start in range(0, len(people), BATCH):
        with unit_of_work(factory) as session:
            for person_id in people[start:start + BATCH]:
                service.send(session=session, clock=clock, settings=settings, person_id=person_id,
                             template_key="reminder.renewal", why=why, dedup_key=f"{tag}:{person_id}",
                             facts={"document_name": "driving licence", "expiry_date": "30 June"})
    accepted = time.perf_counter() - started
    counts = Worker(session_factory=factory, clock=clock, settings=settings).drain()
    total = time.perf_counter() - started
    assert counts == {"sent": len(people)}, counts
    return accepted, total


def _rendered(factory) -> list[tuple[str, str, str, str]]:  # noqa: ANN001
    with unit_of_work(factory) as session:
        rows = session.execute(select(Message.person_id, Message.subject, Message.text_body, Message.html_body)
                               .order_by(Message.id)).all()
        emails = {p.id: p.email for p in (registry.get_person(session=session, person_id=r[0]) for r in rows)}
    seen: dict = {}
    for person_id, subject, text_body, html in rows:
        seen.setdefault(person_id, (emails[person_id], subject, text_body, html))
    return list(seen.values())


def _smtplib_round(messages: list[tuple[str, str, str, str]], port: int) -> float:
    started = time.perf_counter()
    for to, subject, text_body, html in messages:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = "govcx <no-reply@govcx.example>", to, subject
        mail.set_content(text_body)
        mail.add_alternative(html, subtype="html")
        with smtplib.SMTP(HOST, port, timeout=10) as smtp:
            smtp.send_message(mail)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    print("$ python " + " ".join(shlex.quote(a) for a in sys.argv))
    print(f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} CPUs; store {args.store}")

    counter, port = Counter(), _free_port()
    controller = Controller(counter, hostname=HOST, port=port)
    controller.start()
    with tempfile.TemporaryDirectory() as tmp, _store(args.store, Path(tmp)) as url:
        settings = Settings(env=Environment.TEST, data_dir=Path(tmp), database_url=url, smtp_host=HOST,
                            smtp_port=port, secret_key="benchmark-secret-key-long-enough-0123456789",
                            notify_frequency_cap=10 * args.rounds, log_level="WARNING")
        engine = make_engine(url)
        upgrade(engine)
        factory = make_session_factory(engine)
        people = _people(factory, settings, args.messages)
        govcx_accept = govcx_total = baseline = 0.0
        for n in range(args.rounds):
            accepted, total = _govcx_round(factory, settings, people, tag=f"round{n}")
            govcx_accept, govcx_total = govcx_accept + accepted, govcx_total + total
            if n == 0:
                messages = _rendered(factory)
            baseline += _smtplib_round(messages, port)
        engine.dispose()
    controller.stop()
    sent = args.messages * args.rounds
    assert counter.accepted == 2 * sent, (counter.accepted, sent)
    rate = lambda seconds: sent / seconds  # noqa: E731
    print(f"{'govcx accept (send → outbox)':<38}{rate(govcx_accept):>10,.0f} msg/s")
    print(f"{'govcx outbox → SMTP, end to end':<38}{rate(govcx_total):>10,.0f} msg/s")
    print(f"{'plain smtplib, same messages':<38}{rate(baseline):>10,.0f} msg/s")
    print(f"{'ratio govcx / smtplib (throughput)':<38}{baseline / govcx_total:>10.2f}x   ({sent:,} messages each, "
          f"{args.rounds} alternating rounds; server accepted {counter.accepted:,})")
    print(f"{'time per message, govcx − smtplib':<38}{(govcx_total - baseline) / sent * 1000:>10.2f} ms "
          f"(render, preferences, cap, dedup, outbox row, lease, answer recorded)")


if __name__ == "__main__":
    main()
