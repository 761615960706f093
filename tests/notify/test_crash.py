"""A crash between accepting and sending loses nothing and sends nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from govcx.notify import service
from govcx.notify.models import Message, MessageStatus, NotifyChannel
from tests.conftest import TEST_SECRET
from tests.factories import notify as f

SRC = Path(__file__).resolve().parents[2] / "src"


def _worker(settings, port: int, **extra: str) -> subprocess.Popen:  # noqa: ANN001
    env = {
        **os.environ, "PYTHONPATH": str(SRC), "GOVCX_ENV": "test", "GOVCX_DATABASE_URL": settings.database_url,
        "GOVCX_SECRET_KEY": TEST_SECRET, "GOVCX_DATA_DIR": str(settings.data_dir), "GOVCX_AUTO_UPGRADE": "false",
        "GOVCX_SMTP_HOST": "127.0.0.1", "GOVCX_SMTP_PORT": str(port), "GOVCX_NOTIFY_LEASE_S": "1", **extra,
    }
    return subprocess.Popen([sys.executable, "-m", "govcx.cli", "worker", "--once"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait_for(path: Path, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.stdout.read().decode()
        assert time.monotonic() < deadline, "the worker never claimed the message"
        time.sleep(0.05)


def test_killing_the_worker_after_accepting_and_before_sending_then_restarting_sends_exactly_once(
        uow, clock, settings, cast, templates, smtp_server, tmp_path):
    mailbox, port = smtp_server
    with uow() as session:
        f.preferences(session, clock, cast.ana.id, channels=(NotifyChannel.EMAIL,))
        accepted = service.send(session=session, clock=clock, settings=settings, person_id=cast.ana.id,
                                template_key=f.RENEWAL, facts=f.RENEWAL_FACTS, why=f.why())
    claimed = tmp_path / "claimed"

    doomed = _worker(settings, port, GOVCX_WORKER_PAUSE_AFTER_CLAIM=str(claimed))
    _wait_for(claimed, doomed)
    doomed.send_signal(signal.SIGKILL)
    assert doomed.wait(timeout=30) == -signal.SIGKILL
    with uow() as session:
        assert session.get(Message, accepted.id).status is MessageStatus.SENDING
    assert mailbox.received == []

    time.sleep(1.2)  # the dead worker's lease runs out
    for _ in range(2):  # a second run sends it; a third finds nothing left to send
        survivor = _worker(settings, port)
        output = survivor.communicate(timeout=60)[0].decode()
        assert survivor.returncode == 0, output

    assert len(mailbox.to(cast.ana.email)) == 1
    with uow() as session:
        sent = session.get(Message, accepted.id)
        assert (sent.status, sent.attempts) == (MessageStatus.SENT, 2)
