"""Events between domains: published inside a unit of work, delivered after it commits.

Pending events ride on the session (not a context variable) because FastAPI runs
dependencies and handlers on different threads.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

Handler = Callable[[Any], None]

_handlers: dict[type, list[Handler]] = defaultdict(list)
_keyed: dict[tuple[type, str], Handler] = {}
_PENDING = "govcx_pending_events"


def subscribe(event_type: type, handler: Handler, *, key: str | None = None) -> None:
    """Call `handler` with every committed event of `event_type` (wired in the app factory).

    A handler bound to one app (its stores, its clock) comes with a `key`: subscribing again
    under the same key replaces it, so a newer app never leaves an older one's handler behind.
    """
    if key is not None:
        previous = _keyed.pop((event_type, key), None)
        if previous is not None and previous in _handlers[event_type]:
            _handlers[event_type].remove(previous)
        _keyed[(event_type, key)] = handler
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def clear_subscriptions() -> None:
    _handlers.clear()
    _keyed.clear()


def publish(session: Session, event: Any) -> None:
    """Queue `event` for delivery when the unit of work around `session` commits."""
    session.info.setdefault(_PENDING, []).append(event)


def take_pending(session: Session) -> list[Any]:
    return session.info.pop(_PENDING, [])


def dispatch(pending: list[Any]) -> None:
    for event in pending:
        for handler in _handlers.get(type(event), ()):
            handler(event)
