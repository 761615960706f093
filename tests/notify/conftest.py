"""Fixtures for notify: the once-only cast, the shipped templates, and a real SMTP server."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message as Email
from email.policy import default

import pytest
from aiosmtpd.controller import Controller

from govcx.core.db import make_session_factory
from govcx.notify.worker import Worker
from tests.factories import notify as notify_factories
from tests.once_only import *  # noqa: F403 - the shared cast of the once-only tests


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepted."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], Email]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 - aiosmtpd's hook
        with self._lock:
            self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=default)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Email]:
        with self._lock:
            return [mail for rcpts, mail in self.received if address in rcpts]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on a local port, for as long as the test runs."""
    mailbox, port = Mailbox(), _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture
def mailbox(smtp_server, settings) -> Mailbox:  # noqa: ANN001
    """The test's SMTP server, with govcx's settings pointing at it."""
    box, port = smtp_server
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    return box


@pytest.fixture
def templates(uow, clock) -> None:  # noqa: ANN001
    with uow() as session:
        notify_factories.templates(session, clock)


@pytest.fixture
def worker(engine, clock, settings) -> Worker:  # noqa: ANN001
    return Worker(session_factory=make_session_factory(engine), clock=clock, settings=settings)
