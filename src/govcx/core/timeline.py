"""The person timeline, a core facility: entries from any domain, merged newest first, as the viewer may see them.

It knows no domain. Each domain contributes from its own `timeline.py`, registered once in the
composition root (`app.py`), through two small interfaces:

- `register_entries(types, provider)`: `provider(session=..., query=...)` returns at most
  `query.limit` `TimelineEntry`s of the given types, newest first, honouring `query`'s filters and
  what `query.viewer` may see.
- `register_facts(provider)`: `provider(session=..., person_id=..., viewer=...)` returns the
  `HeldFact`s government already holds about the person, shown beside the timeline: which
  attribute, from which source, since when, and never its value (reading a value is an exchange
  request, decided and logged).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from sqlalchemy.orm import Session

from govcx.core.auth import Actor, Citizen


@dataclass(frozen=True)
class TimelineViewer:
    """Who looks at a timeline: staff or a system of one agency, a platform admin, or the person."""

    agency_id: UUID | None
    platform_wide: bool = False
    is_subject: bool = False

    def sees_private_of(self, agency_id: UUID | None) -> bool:
        """Whether this viewer may read what `agency_id` keeps to itself (private notes)."""
        return self.platform_wide or (agency_id is not None and agency_id == self.agency_id)

    @classmethod
    def of(cls, who: Actor | Citizen) -> TimelineViewer:
        if isinstance(who, Citizen):
            return cls(agency_id=None, is_subject=True)
        return cls(agency_id=who.agency_id, platform_wide=who.platform_wide)


@dataclass(frozen=True)
class TimelineQuery:
    person_id: UUID
    viewer: TimelineViewer
    agency_id: UUID | None = None
    channel: str | None = None  # a contact channel's value (web, phone...)
    types: frozenset[str] | None = None  # None: every type
    before: datetime | None = None
    limit: int = 100

    def sharing_requester(self) -> tuple[bool, UUID | None]:
        """Whose consents and data uses this viewer may see: (any at all, only this requester's).

        Who asked for a person's data is itself personal: the person and platform admins see every
        requester's; an agency sees only what it asked for and was granted.
        """
        viewer = self.viewer
        if viewer.is_subject or viewer.platform_wide:
            return True, self.agency_id
        if self.agency_id is not None and self.agency_id != viewer.agency_id:
            return False, None
        return viewer.agency_id is not None, viewer.agency_id


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    type: str          # interaction, case, consent, data_use, feedback...
    source: str        # the domain that contributed it
    agency_id: UUID | None
    channel: str | None
    title: str
    detail: str | None = None
    ref: str | None = None  # an API path to read more


@dataclass(frozen=True)
class HeldFact:
    """That government holds an attribute about the person: which, from whom, since when; no value."""

    key: str
    label: str
    source: str
    since: datetime | None = None


class EntriesProvider(Protocol):
    def __call__(self, *, session: Session, query: TimelineQuery) -> Iterable[TimelineEntry]: ...


class FactsProvider(Protocol):
    def __call__(self, *, session: Session, person_id: UUID, viewer: TimelineViewer) -> Iterable[HeldFact]: ...


_entries: list[tuple[frozenset[str], EntriesProvider]] = []
_facts: list[FactsProvider] = []


def register_entries(types: Iterable[str], provider: EntriesProvider) -> None:
    """Add a domain's entries (of `types`) to every person's timeline."""
    if all(p is not provider for _, p in _entries):
        _entries.append((frozenset(types), provider))


def register_facts(provider: FactsProvider) -> None:
    """Show a domain's held facts beside every person's timeline."""
    if provider not in _facts:
        _facts.append(provider)


def registered_types() -> list[str]:
    return sorted(set(itertools.chain.from_iterable(types for types, _ in _entries)))


def entries(*, session: Session, query: TimelineQuery) -> list[TimelineEntry]:
    """Return the newest `query.limit` entries from every provider, merged newest first.

    Streams are merged as they come: an entry a provider would give past the page is never built.
    """
    streams = [iter(provider(session=session, query=query))
               for types, provider in _entries if query.types is None or types & query.types]
    try:
        return list(itertools.islice(heapq.merge(*streams, key=_newest_first_key), query.limit))
    finally:
        for stream in streams:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # a provider's open cursor ends with the page, not whenever it is collected


def facts(*, session: Session, person_id: UUID, viewer: TimelineViewer) -> list[HeldFact]:
    """Return what government already holds about the person, from every facts provider."""
    return [fact for provider in _facts for fact in provider(session=session, person_id=person_id, viewer=viewer)]


def _newest_first_key(entry: TimelineEntry) -> float:
    return -entry.at.timestamp()


def unregister_entries(provider: EntriesProvider) -> None:
    """Stop showing a provider's entries (for tests and for switching a domain off)."""
    _entries[:] = [(types, p) for types, p in _entries if p is not provider]
