"""Durable events: written with the change, delivered at least once to each handler, retried alone."""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from sqlalchemy import select

from govcx.core import events
from govcx.core.db import finish, make_session_factory
from govcx.core.events import DeliveryState, EventDelivery, StoredEvent
from govcx.registry.models import Agency
from tests.factories import registry as factories


@dataclass(frozen=True)
class AgencyOpened:
    agency_id: UUID
    code: str
    at: datetime
    tags: tuple[str, ...] = ()
    facts: dict[str, str | int | float | None] = field(default_factory=dict)
    note: str | None = None


class Recorder:
    """A durable handler that records what it heard, and fails the first `failures` times."""

    def __init__(self, failures: int = 0) -> None:
        self.heard: list[AgencyOpened] = []
        self.failures = failures

    def __call__(self, event: AgencyOpened) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the other side is down")
        self.heard.append(event)


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setattr(events.options, "lease_s", 1.0)
    monkeypatch.setattr(events.options, "backoff_s", 0.05)
    monkeypatch.setattr(events.options, "max_attempts", 3)
    yield
    events.clear_subscriptions()


@pytest.fixture
def factory(engine):
    return make_session_factory(engine)


def _opened(code: str = "TAX") -> AgencyOpened:
    return AgencyOpened(agency_id=uuid4(), code=code, at=datetime(2026, 3, 16, 9, 30, tzinfo=UTC),
                        tags=("new", "federal"), facts={"staff": 12, "ratio": 0.5, "name": "Tax", "none": None})


def _deliveries(factory) -> dict[str, EventDelivery]:
    with factory() as session:
        return {d.handler: d for d in session.scalars(select(EventDelivery))}


def test_an_event_is_written_with_the_change_and_its_handlers_run_right_after_the_commit(
        uow, clock, fast_retries, factory):
    first, second = Recorder(), Recorder()
    events.subscribe(AgencyOpened, first, key="test.first")
    events.subscribe(AgencyOpened, second, key="test.second")
    event = _opened()

    with uow() as session:
        factories.agency(session, clock, code="TAX")
        events.publish(session, event)
        assert first.heard == []

    assert first.heard == [event] and second.heard == [event]  # ids, datetimes, tuples and dicts survive
    assert {k: d.state for k, d in _deliveries(factory).items()} == {"test.first": "done", "test.second": "done"}
    assert events.drain(factory) == {"delivered": 0, "failed": 0}


def test_a_crash_between_the_commit_and_the_reaction_loses_nothing_the_worker_delivers_it(
        engine, clock, fast_retries, factory):
    handler = Recorder()
    events.subscribe(AgencyOpened, handler, key="test.first")
    event = _opened()

    session = factory()
    factories.agency(session, clock, code="TAX")
    events.publish(session, event)
    finish(session, failed=False)  # committed; the process "dies" before it delivers what it wrote

    assert handler.heard == []
    assert events.drain(factory) == {"delivered": 0, "failed": 0}  # the dead process still holds its lease

    time.sleep(1.1)
    assert events.drain(factory) == {"delivered": 1, "failed": 0}
    assert handler.heard == [event]
    assert events.drain(factory) == {"delivered": 0, "failed": 0}  # and only once


def test_a_failing_handler_is_retried_with_back_off_without_running_the_others_again(
        uow, clock, fast_retries, factory):
    steady, flaky = Recorder(), Recorder(failures=1)
    events.subscribe(AgencyOpened, steady, key="test.steady")
    events.subscribe(AgencyOpened, flaky, key="test.flaky")

    with uow() as session:
        events.publish(session, _opened())

    deliveries = _deliveries(factory)
    assert (deliveries["test.steady"].state, deliveries["test.flaky"].state) == ("done", "pending")
    assert deliveries["test.flaky"].last_error == "RuntimeError"  # the error's kind, never its (personal) text
    with factory() as session:
        published = session.scalars(select(StoredEvent.published_at)).one()
    assert deliveries["test.flaky"].due_at - published >= timedelta(seconds=events.options.backoff_s)  # backed off
    time.sleep(max(0.0, (deliveries["test.flaky"].due_at - datetime.now(UTC)).total_seconds()) + 0.05)
    assert events.drain(factory) == {"delivered": 1, "failed": 0}
    assert len(steady.heard) == 1 and len(flaky.heard) == 1
    assert {d.state for d in _deliveries(factory).values()} == {"done"}


def test_a_handler_that_keeps_failing_ends_dead_for_an_operator_to_read(uow, clock, fast_retries, factory):
    events.subscribe(AgencyOpened, Recorder(failures=99), key="test.broken")
    with uow() as session:
        events.publish(session, _opened())

    for _ in range(4):
        time.sleep(0.25)
        events.drain(factory)
    (delivery,) = _deliveries(factory).values()
    assert (delivery.state, delivery.attempts) == (DeliveryState.DEAD, 3)


def test_a_rolled_back_change_writes_no_event(uow, clock, fast_retries, factory):
    handler = Recorder()
    events.subscribe(AgencyOpened, handler, key="test.first")
    with pytest.raises(RuntimeError), uow() as session:
        factories.agency(session, clock, code="TAX")
        events.publish(session, _opened())
        raise RuntimeError("boom")
    with factory() as session:
        assert session.scalars(select(StoredEvent)).all() == [] and session.scalars(select(Agency)).all() == []
    assert handler.heard == []


def test_a_local_signal_is_delivered_after_the_commit_but_never_stored(uow, clock, fast_retries, factory):
    heard: list[AgencyOpened] = []
    events.subscribe(AgencyOpened, heard.append, key="test.cache", local=True)
    with uow() as session:
        events.publish(session, _opened())
    assert len(heard) == 1
    with factory() as session:
        assert session.scalars(select(StoredEvent)).all() == []


def test_an_event_field_that_cannot_be_stored_is_refused_when_published(uow, fast_retries):
    @dataclass(frozen=True)
    class Odd:
        thing: object

    events.subscribe(Odd, Recorder(), key="test.odd")
    with pytest.raises(TypeError), uow() as session:
        events.publish(session, Odd(thing=object()))


def test_delivered_events_are_forgotten_after_the_keep_period_but_undelivered_ones_are_kept(
        uow, clock, fast_retries, factory, monkeypatch):
    events.subscribe(AgencyOpened, Recorder(), key="test.steady")
    events.subscribe(AgencyOpened, Recorder(failures=99), key="test.broken")
    with uow() as session:
        events.publish(session, _opened("OLD"))  # one handler done, one not: kept
    events.clear_subscriptions()
    events.subscribe(AgencyOpened, Recorder(), key="test.steady")
    with uow() as session:
        events.publish(session, _opened("DONE"))  # every handler done: forgotten once old enough

    events.drain(factory)
    with factory() as session:
        assert len(session.scalars(select(StoredEvent)).all()) == 2  # not old enough yet
    monkeypatch.setattr(events.options, "keep_days", 0.0)
    events.drain(factory)

    with factory() as session:
        kept = session.scalars(select(StoredEvent)).all()
        assert [e.payload["code"] for e in kept] == ["OLD"]
        assert {d.handler for d in session.scalars(select(EventDelivery))} == {"test.steady", "test.broken"}
