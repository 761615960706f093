"""Events between domains, durable: written with the change, delivered at least once to every handler.

`publish(session, event)` writes the event and one delivery row per durable handler subscribed to
its type into the same transaction as the change that caused it, so a committed change always
carries its reactions with it. Right after the commit the publishing process delivers those rows
itself (it claimed them when it wrote them, under a lease): reactions still happen before the
response is sent. Whatever a crash leaves behind (the process died after the commit, or a
handler failed) is delivered by `drain`, which `govcx worker` and the embedded server's background
loop run: a claim whose lease ran out is taken over, a failing handler is retried with back-off
without re-running the handlers that already succeeded. Delivery is at least once, so every durable
handler is idempotent: running it a second time changes nothing.

Two kinds of subscription, chosen on purpose:

- durable (the default, and it needs a `key`, the handler's stable name in the delivery table):
  for every reaction another domain must not lose (a notification, a survey invitation, a case);
- `local=True`: an in-process signal, delivered after the commit in the same process only and
  never stored. Only for state that lives and dies with the process, such as a cache to evict
  (`ApiKeyRevoked`): after a crash that cache is gone anyway, and a durable row could not reach
  the other processes' memory either.

No broker: the table is the queue (DESIGN §5), claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, ForeignKey, Index, String, Text, and_, delete, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column

from govcx.core.db import Base
from govcx.core.ids import new_id

log = logging.getLogger(__name__)

Handler = Callable[[Any], None]


# Tables ----------------------------------------------------------------------------------------


class StoredEvent(Base):
    """One published event, its fields serialised (ids, strings, numbers, datetimes, tuples)."""

    __tablename__ = "event"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    type: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(index=True)  # pruning reads the oldest first


class DeliveryState:
    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"  # gave up after event_max_attempts; kept for an operator to read


class EventDelivery(Base):
    """Whether one handler has reacted to one event; claimed under a lease while it runs."""

    __tablename__ = "event_delivery"
    __table_args__ = (Index("ix_event_delivery_state_due_at", "state", "due_at"),)

    event_id: Mapped[UUID] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    handler: Mapped[str] = mapped_column(String(100), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    due_at: Mapped[datetime]
    lease_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")


# Subscriptions ---------------------------------------------------------------------------------


@dataclass
class Options:
    """How deliveries are leased and retried (set from `Settings` by the app factory)."""

    lease_s: float = 60.0
    backoff_s: float = 5.0
    max_attempts: int = 10
    keep_days: float = 7.0


options = Options()

_local: dict[type, list[Handler]] = defaultdict(list)
_local_keyed: dict[tuple[type, str], Handler] = {}
_durable: dict[type, dict[str, Handler]] = defaultdict(dict)
_types: dict[str, type] = {}
_PENDING = "govcx_pending_events"


def configure(*, lease_s: float, backoff_s: float, max_attempts: int, keep_days: float) -> None:
    """Set how long a claim lasts, how failed handlers are retried, and how long delivered events are kept."""
    options.lease_s, options.backoff_s, options.max_attempts = lease_s, backoff_s, max_attempts
    options.keep_days = keep_days


def type_name(event_type: type) -> str:
    return f"{event_type.__module__}:{event_type.__qualname__}"


def subscribe(event_type: type, handler: Handler, *, key: str | None = None, local: bool = False) -> None:
    """Call `handler` with every committed event of `event_type` (wired in the app factory).

    With a `key` the handler is durable: every event of the type gets a delivery row for it, and
    subscribing again under the same key replaces it (a newer app never leaves an older one's
    handler behind). Without a key, or with `local=True`, it is an in-process signal (see above).
    """
    if key is not None and not local:
        if not dataclasses.is_dataclass(event_type):
            raise TypeError(f"{event_type.__name__} is not a dataclass; a durable event must be one.")
        _types[type_name(event_type)] = event_type
        _durable[event_type][key] = handler
        return
    if key is not None:
        previous = _local_keyed.pop((event_type, key), None)
        if previous is not None and previous in _local[event_type]:
            _local[event_type].remove(previous)
        _local_keyed[(event_type, key)] = handler
    if handler not in _local[event_type]:
        _local[event_type].append(handler)


def clear_subscriptions() -> None:
    _local.clear()
    _local_keyed.clear()
    _durable.clear()


@dataclass(frozen=True)
class _Written:
    """A durable event this process wrote and claimed, to deliver right after the commit."""

    event: Any
    event_id: UUID
    handlers: tuple[str, ...]
    token: str
    bind: Engine


def publish(session: Session, event: Any) -> None:
    """Write `event` in the unit of work around `session`; its handlers run once it commits."""
    pending = session.info.setdefault(_PENDING, [])
    if _local.get(type(event)):
        pending.append(event)
    handlers = tuple(_durable.get(type(event), {}))
    if not handlers:
        return
    now = _now()
    token = secrets.token_hex(16)
    stored = StoredEvent(id=new_id(), type=type_name(type(event)), payload=encode(event), published_at=now)
    session.add(stored)
    session.flush()  # the event row first: its deliveries refer to it
    session.add_all(
        EventDelivery(event_id=stored.id, handler=key, state=DeliveryState.PENDING, attempts=1, due_at=now,
                      lease_token=token, lease_until=now + timedelta(seconds=options.lease_s), last_error="")
        for key in handlers
    )
    pending.append(_Written(event=event, event_id=stored.id, handlers=handlers, token=token,
                            bind=session.get_bind()))  # type: ignore[arg-type]


def take_pending(session: Session) -> list[Any]:
    return session.info.pop(_PENDING, [])


def dispatch(pending: list[Any]) -> None:
    """Deliver what a unit of work just committed: local signals, then the durable rows it claimed."""
    for item in pending:
        if isinstance(item, _Written):
            for key in item.handlers:
                handler = _durable.get(type(item.event), {}).get(key)
                if handler is not None:
                    _run(item.bind, handler, item.event, event_id=item.event_id, key=key, token=item.token,
                         attempts=1)
        else:
            for handler in list(_local.get(type(item), ())):
                handler(item)


# Delivery --------------------------------------------------------------------------------------


def _now() -> datetime:
    # Leases and retries are operational time, not the domain's: the wall clock, even under a test clock.
    return datetime.now(UTC)


def _run(bind: Engine, handler: Handler, event: Any, *, event_id: UUID, key: str, token: str,
         attempts: int) -> bool:
    try:
        handler(event)
    except Exception as exc:  # noqa: BLE001 - one failing handler must not stop the others
        log.warning("event handler failed", exc_info=True,
                    extra={"event_type": type(event).__name__, "handler": key, "attempt": attempts})
        _settle(bind, event_id=event_id, key=key, token=token, attempts=attempts, error=type(exc).__name__)
        return False
    _settle(bind, event_id=event_id, key=key, token=token, attempts=attempts, error=None)
    return True


def _settle(bind: Engine, *, event_id: UUID, key: str, token: str, attempts: int, error: str | None) -> None:
    now = _now()
    if error is None:
        values: dict[str, Any] = {"state": DeliveryState.DONE, "done_at": now, "last_error": ""}
    elif attempts >= options.max_attempts:
        values = {"state": DeliveryState.DEAD, "last_error": error[:500]}
    else:
        values = {"state": DeliveryState.PENDING, "last_error": error[:500],
                  "due_at": now + timedelta(seconds=options.backoff_s * 2 ** (attempts - 1))}
    with bind.begin() as connection:
        # Only while the lease is still ours: a worker that took over after it ran out settles it instead.
        connection.execute(update(EventDelivery).where(
            EventDelivery.event_id == event_id, EventDelivery.handler == key, EventDelivery.lease_token == token,
        ).values(lease_token=None, lease_until=None, **values))


def claim(*, session: Session, limit: int) -> list[tuple[UUID, str, str, int]]:
    """Claim up to `limit` due deliveries; return (event id, handler key, lease token, attempt)."""
    now = _now()
    due = and_(EventDelivery.state == DeliveryState.PENDING, EventDelivery.due_at <= now,
               or_(EventDelivery.lease_until.is_(None), EventDelivery.lease_until < now))
    stmt = (select(EventDelivery.event_id, EventDelivery.handler, EventDelivery.lease_token, EventDelivery.attempts)
            .where(due).order_by(EventDelivery.due_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        # Rows another worker holds are passed over, so any number of workers drain side by side.
        stmt = stmt.with_for_update(skip_locked=True)
    claimed = []
    for event_id, key, old_token, attempts in session.execute(stmt).all():
        if attempts >= options.max_attempts:
            values: dict[str, Any] = {"state": DeliveryState.DEAD, "lease_token": None, "lease_until": None,
                                      "last_error": "the process died during the last attempt"}
        else:
            values = {"lease_token": secrets.token_hex(16), "attempts": attempts + 1,
                      "lease_until": now + timedelta(seconds=options.lease_s)}
        # Compare-and-set: on SQLite (no SKIP LOCKED) two workers may read the same row; one update wins.
        won = session.execute(update(EventDelivery).where(
            EventDelivery.event_id == event_id, EventDelivery.handler == key,
            EventDelivery.state == DeliveryState.PENDING,
            EventDelivery.lease_token.is_(None) if old_token is None else EventDelivery.lease_token == old_token,
        ).values(**values).execution_options(synchronize_session=False)).rowcount
        if won and "attempts" in values:
            claimed.append((event_id, key, values["lease_token"], values["attempts"]))
    return claimed


def prune(*, session: Session) -> int:
    """Forget events older than `keep_days` that every handler has reacted to; return how many.

    An event with a pending or dead delivery is kept, whatever its age, for the worker or an operator.
    """
    unsettled = select(EventDelivery.event_id).where(EventDelivery.state != DeliveryState.DONE)
    old = _now() - timedelta(days=options.keep_days)
    doomed = select(StoredEvent.id).where(StoredEvent.published_at < old, StoredEvent.id.not_in(unsettled))
    session.execute(delete(EventDelivery).where(EventDelivery.event_id.in_(doomed)))
    return session.execute(delete(StoredEvent).where(StoredEvent.id.in_(doomed))).rowcount


def drain(factory: Callable[[], Session], *, batch: int = 50) -> dict[str, int]:
    """Deliver every due delivery, batch by batch, then prune; return how many handlers succeeded and failed."""
    counts = {"delivered": 0, "failed": 0}
    with factory() as session, session.begin():
        prune(session=session)
    while True:
        with factory() as session, session.begin():
            claimed = claim(session=session, limit=batch)
            bind = session.get_bind()
            stored = {e.id: e for e in session.scalars(
                select(StoredEvent).where(StoredEvent.id.in_({event_id for event_id, *_ in claimed})))}
        if not claimed:
            return counts
        for event_id, key, token, attempts in claimed:
            record = stored[event_id]
            event_type = _types.get(record.type)
            handler = _durable.get(event_type, {}).get(key) if event_type is not None else None
            if handler is None:
                # Not subscribed in this process (a handler since removed, or another build's): retried later.
                _settle(bind, event_id=event_id, key=key, token=token, attempts=attempts,  # type: ignore[arg-type]
                        error=f"no handler {key} for {record.type} in this process")
                counts["failed"] += 1
                continue
            event = decode(event_type, record.payload)  # type: ignore[arg-type]
            ok = _run(bind, handler, event, event_id=event_id, key=key, token=token,  # type: ignore[arg-type]
                      attempts=attempts)
            counts["delivered" if ok else "failed"] += 1


# Serialising event fields ----------------------------------------------------------------------


def encode(event: Any) -> dict[str, Any]:
    return {f.name: _encode(getattr(event, f.name)) for f in dataclasses.fields(event)}


def decode(event_type: type, payload: dict[str, Any]) -> Any:
    return event_type(**{name: _decode(value) for name, value in payload.items()})


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, UUID):
        return {"$uuid": str(value)}
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("Naive datetimes are refused in events: pass a timezone-aware one.")
        return {"$datetime": value.isoformat()}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {"$dict": {str(k): _encode(v) for k, v in value.items()}}
    raise TypeError(f"An event field cannot hold a {type(value).__name__}; use ids, strings, numbers, "
                    "datetimes, tuples or dicts of them.")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    (tag, inner), = value.items()
    if tag == "$uuid":
        return UUID(inner)
    if tag == "$datetime":
        return datetime.fromisoformat(inner)
    if tag == "$tuple":
        return tuple(_decode(v) for v in inner)
    return {k: _decode(v) for k, v in inner.items()}
