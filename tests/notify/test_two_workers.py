"""Two `govcx worker` processes drain one outbox on PostgreSQL: every message sent once, none lost."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from govcx.notify import service
from govcx.notify.models import Message, MessageStatus, NotifyChannel
from tests.conftest import TEST_SECRET
from tests.factories import notify as f

SRC = Path(__file__).resolve().parents[2] / "src"
MESSAGES = 240


def _worker(settings, port: int, name: str) -> subprocess.Popen:  # noqa: ANN001
    env = {
        **os.environ, "PYTHONPATH": str(SRC), "GOVCX_ENV": "test", "GOVCX_DATABASE_URL": settings.database_url,
        "GOVCX_SECRET_KEY": TEST_SECRET, "GOVCX_DATA_DIR": str(settings.data_dir), "GOVCX_AUTO_UPGRADE": "false",
        "GOVCX_SMTP_HOST": "127.0.0.1", "GOVCX_SMTP_PORT": str(port), "GOVCX_WORKER_BATCH": "4",
        "GOVCX_WORKER_POLL_S": "0.05", "GOVCX_NOTIFY_FREQUENCY_CAP": str(MESSAGES * 2),
        # Which worker sent an e-mail shows in its sender's domain.
        "GOVCX_MAIL_FROM": f"govcx <no-reply@{name}.example>",
    }
    return subprocess.Popen([sys.executable, "-m", "govcx.cli", "worker"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_worker_processes_drain_one_outbox_sending_every_message_exactly_once(
        uow, clock, settings, cast, templates, smtp_server):
    mailbox, port = smtp_server
    settings.notify_frequency_cap = MESSAGES * 2
    with uow() as session:
        f.preferences(session, clock, cast.ana.id, channels=(NotifyChannel.EMAIL,))
    workers = [_worker(settings, port, name) for name in ("first", "second")]
    try:
        for process in workers:  # both are polling before the first message is accepted
            assert "draining" in process.stderr.readline(), process.stderr.read()
        with uow() as session:
            accepted = {str(service.send(session=session, clock=clock, settings=settings, person_id=cast.ana.id,
                                         template_key=f.RENEWAL, facts=f.RENEWAL_FACTS, why=f.why()).id)
                        for _ in range(MESSAGES)}
        deadline = time.monotonic() + 120
        while len(mailbox.received) < MESSAGES and time.monotonic() < deadline:
            assert all(p.poll() is None for p in workers), "a worker stopped"
            time.sleep(0.1)
        time.sleep(1)  # room for a duplicate to arrive, were one on its way
    finally:
        for process in workers:
            process.terminate()
            process.wait(timeout=30)

    received = Counter(mail["Message-ID"].strip("<>").split("@")[0] for _, mail in mailbox.received)
    assert set(received) == accepted  # none lost
    assert max(received.values()) == 1  # none sent twice
    senders = Counter(mail["From"].addresses[0].domain for _, mail in mailbox.received)
    assert set(senders) == {"first.example", "second.example"}, senders  # both took a share
    with uow() as session:
        statuses = dict(session.execute(select(Message.status, func.count()).group_by(Message.status)).all())
        assert statuses == {MessageStatus.SENT: MESSAGES}
        assert set(session.scalars(select(Message.attempts))) == {1}
