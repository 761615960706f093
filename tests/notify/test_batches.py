"""The outbox sends in batches over one SMTP connection, and a batch keeps every guarantee one message had:
nothing lost, nothing sent twice beyond at-least-once, a dropped connection replaced, several workers
never sending one message twice, opt-outs and consent cancellations honoured at the moment of sending."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from uuid import uuid4

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from govcx.core.db import make_session_factory
from govcx.notify import outbox, schemas, service
from govcx.notify.models import Message, MessageStatus, NotifyChannel, Topic
from govcx.notify.worker import Worker
from tests.factories import notify as f
from tests.notify.conftest import Mailbox, _free_port


class CountingMailbox(Mailbox):
    """A real SMTP server that also counts the connections that brought mail, and can drop some of them
    in the middle of a conversation: after keeping message n (`drop_after`, the answer is lost), or
    before keeping it (`drop_before`)."""

    def __init__(self, *, drop_after: tuple[int, ...] = (), drop_before: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.sessions: list[object] = []
        self.drop_after, self.drop_before, self.data_commands = set(drop_after), set(drop_before), 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: ANN001, ANN201, N802
        self.sessions.append(session)
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 - aiosmtpd's hook
        self.data_commands += 1
        if self.data_commands in self.drop_before:
            server.transport.abort()
            return "421 gone"
        answer = await super().handle_DATA(server, session, envelope)
        if self.data_commands in self.drop_after:
            server.transport.abort()
        return answer

    @property
    def connections(self) -> int:
        return len(self.sessions)


def _server(settings, box: CountingMailbox) -> Iterator[CountingMailbox]:  # noqa: ANN001
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    yield box
    controller.stop()


@pytest.fixture
def counting(settings) -> Iterator[CountingMailbox]:  # noqa: ANN001
    yield from _server(settings, CountingMailbox())


@pytest.fixture
def dropping(settings) -> Iterator[CountingMailbox]:  # noqa: ANN001
    yield from _server(settings, CountingMailbox(drop_after=(5,), drop_before=(14,)))


def _queue(uow, clock, settings, person, n: int, **why) -> list[Message]:  # noqa: ANN001
    settings.notify_frequency_cap = 10_000
    with uow() as session:
        f.preferences(session, clock, person.id, channels=(NotifyChannel.EMAIL,))
        return [service.send(session=session, clock=clock, settings=settings, person_id=person.id,
                             template_key=f.RENEWAL, facts=f.RENEWAL_FACTS, why=schemas.Why(rule="r", **why))
                for _ in range(n)]


def _statuses(uow, messages) -> Counter:  # noqa: ANN001
    with uow() as session:
        return Counter(session.scalars(select(Message.status).where(Message.id.in_([m.id for m in messages]))))


def _message_ids(box: Mailbox) -> Counter:
    return Counter(mail["Message-ID"] for _rcpts, mail in box.received)


def test_a_batch_of_messages_goes_out_over_one_smtp_connection(uow, clock, settings, cast, templates, counting,
                                                               worker):
    settings.worker_batch = 50
    queued = _queue(uow, clock, settings, cast.ana, 40)

    assert worker.drain() == {"sent": 40}

    assert counting.connections == 1
    assert sorted(_message_ids(counting).values()) == [1] * 40
    assert _statuses(uow, queued) == {MessageStatus.SENT: 40}


def test_each_claimed_batch_opens_one_connection_and_closes_it(uow, clock, settings, cast, templates, counting,
                                                               worker):
    settings.worker_batch = 10
    _queue(uow, clock, settings, cast.ana, 35)

    worker.drain()

    assert counting.connections == 4  # 10 + 10 + 10 + 5
    assert len(counting.received) == 35


def test_a_connection_dropped_mid_batch_loses_nothing_and_duplicates_only_the_message_in_flight(
        uow, clock, settings, cast, templates, dropping, worker):
    settings.worker_batch = 50
    queued = _queue(uow, clock, settings, cast.ana, 20)

    worker.drain()

    # The 5th message was kept but its answer lost with the connection: it is sent again, with the same
    # Message-ID, over a new connection (at least once). The 14th was lost with the connection before
    # the server kept it: sent again, once. Every other message arrives exactly once.
    copies = _message_ids(dropping)
    assert set(copies) == {f"<{m.id}@govcx.example>" for m in queued}
    assert sorted(copies.values()) == [1] * 19 + [2]
    assert dropping.connections == 3
    assert _statuses(uow, queued) == {MessageStatus.SENT: 20}


def test_a_server_that_cannot_be_reached_fails_the_batch_fast_and_keeps_it_for_a_retry(
        uow, clock, settings, cast, templates, counting, worker):
    queued = _queue(uow, clock, settings, cast.ana, 30)
    port = settings.smtp_port
    settings.smtp_port = port + 1 if port < 65535 else port - 1  # nobody listens there

    assert worker.drain() == {"queued": 30}

    settings.smtp_port = port
    clock.advance(seconds=settings.notify_backoff_s)
    assert worker.drain() == {"sent": 30}
    assert len(counting.received) == 30 and counting.connections == 1
    assert _statuses(uow, queued) == {MessageStatus.SENT: 30}


def test_several_workers_draining_one_outbox_never_send_a_message_twice(
        uow, engine, clock, settings, cast, templates, counting):
    settings.worker_batch = 7
    queued = _queue(uow, clock, settings, cast.ana, 120) + _queue(uow, clock, settings, cast.bob, 120)
    workers = [Worker(session_factory=make_session_factory(engine), clock=clock, settings=settings)
               for _ in range(3)]
    results: list[dict[str, int]] = []
    threads = [threading.Thread(target=lambda w=w: results.append(w.drain())) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sum(r.get("sent", 0) for r in results) == 240
    assert sorted(_message_ids(counting).values()) == [1] * 240
    assert _statuses(uow, queued) == {MessageStatus.SENT: 240}


def test_opting_out_after_a_message_was_accepted_stops_it_at_the_moment_of_sending(
        uow, clock, settings, cast, templates, counting, worker):
    [queued] = _queue(uow, clock, settings, cast.ana, 1)
    with uow() as session:
        service.stop_topic(session=session, person_id=cast.ana.id, topic=Topic.REMINDERS, clock=clock)

    assert worker.drain() == {"skipped": 1}

    assert counting.received == []
    with uow() as session:
        skipped = session.get(Message, queued.id)
    assert skipped.status is MessageStatus.SKIPPED
    assert skipped.skip_reason.startswith("opted out: the person opted out of reminders")


def test_a_consent_ended_after_a_worker_claimed_the_message_still_stops_it(
        uow, clock, settings, cast, templates, counting, worker):
    consent_id = uuid4()
    [caused] = _queue(uow, clock, settings, cast.ana, 1, consent_ids=[consent_id])
    [other] = _queue(uow, clock, settings, cast.ana, 1)
    with uow() as session:
        batch = outbox.claim(session=session, clock=clock, settings=settings, limit=10)
    assert sorted(batch.ids) == sorted([caused.id, other.id])

    with uow() as session:
        assert service.cancel_for_consent(session=session, person_id=cast.ana.id, consent_id=consent_id,
                                          status="withdrawn") == 1
    with uow() as session:
        done = outbox.hand_over(session=session, clock=clock, settings=settings, senders=worker.senders,
                                batch=batch)

    assert done == {"sent": 1}
    assert list(_message_ids(counting)) == [f"<{other.id}@govcx.example>"]
    with uow() as session:
        cancelled = session.get(Message, caused.id)
    assert cancelled.status is MessageStatus.SKIPPED and cancelled.skip_reason.startswith("consent withdrawn")
