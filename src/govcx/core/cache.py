"""Per-store caches of what rarely changes: names of agencies, services, catalogue entries.

A hot read (a person's timeline names an agency and a service on every line) should not read the
whole catalogue again on every request. A `RarelyChanging` map is read once per store and process
and kept for `ttl` seconds. Asked for a key it lacks, it reads the store again at once, so a row
added since (a new agency, service or attribute) is seen immediately; a changed value (a rename)
is seen after `forget(session)`, which the service that makes the change calls, and in any other process
within `ttl` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

K = TypeVar("K")
V = TypeVar("V")


class RarelyChanging(Generic[K, V]):
    """A map read from the store at most every `ttl` seconds, and again whenever a key is missing."""

    def __init__(self, load: Callable[[Session], Mapping[K, V]], *, ttl: float = 30.0) -> None:
        self._load = load
        self._ttl = ttl
        self._held: WeakKeyDictionary[Engine, tuple[float, Mapping[K, V]]] = WeakKeyDictionary()

    def get(self, session: Session, wanted: Collection[K] = ()) -> Mapping[K, V]:
        """Return the map for the session's store, read again if it is old or lacks any of `wanted`."""
        engine = session.get_bind().engine
        held = self._held.get(engine)
        now = time.monotonic()
        if held is None or now - held[0] > self._ttl or any(key not in held[1] for key in wanted):
            held = (now, self._load(session))
            self._held[engine] = held
        return held[1]

    def forget(self, session: Session) -> None:
        """Drop every store's copy now and again when `session` commits (call it after changing a value).

        Dropped twice: a request that reads between the change and its commit caches the old value.
        """
        self._held.clear()
        event.listen(session, "after_commit", lambda _session: self._held.clear(), once=True)
