"""The person timeline: entries from any domain, merged newest first, as the viewer may see them.

Domains contribute through two small interfaces, registered once in the composition root:

- `register_entries(types, provider)`: `provider(session=..., query=...)` returns at most
  `query.limit` `TimelineEntry`s of the given types, newest first, honouring `query`'s filters and
  what `query.viewer` may see (consent changes, data uses and feedback plug in here).
- `register_facts(provider)`: `provider(session=..., person_id=..., viewer=...)` returns the
  `HeldFact`s government already holds about the person, shown beside the timeline (the vault
  plugs in here; until then the registry's own person fields are the held facts).
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
from govcx.registry.models import Channel


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
    channel: Channel | None = None
    types: frozenset[str] | None = None  # None: every type
    before: datetime | None = None
    limit: int = 100


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    type: str          # interaction, case, consent, data_use, feedback...
    source: str        # the domain that contributed it
    agency_id: UUID | None
    channel: Channel | None
    title: str
    detail: str | None = None
    ref: str | None = None  # an API path to read more


@dataclass(frozen=True)
class HeldFact:
    key: str
    label: str
    value: str
    source: str


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
    """Return the newest `query.limit` entries from every provider, merged newest first."""
    streams = [
        list(provider(session=session, query=query))
        for types, provider in _entries
        if query.types is None or types & query.types
    ]
    merged = heapq.merge(*streams, key=_newest_first_key)
    return list(itertools.islice(merged, query.limit))


def facts(*, session: Session, person_id: UUID, viewer: TimelineViewer) -> list[HeldFact]:
    """Return what government already holds about the person, from every facts provider."""
    return [fact for provider in _facts for fact in provider(session=session, person_id=person_id, viewer=viewer)]


def _newest_first_key(entry: TimelineEntry) -> float:
    return -entry.at.timestamp()




def unregister_entries(provider: EntriesProvider) -> None:
    """Stop showing a provider's entries (for tests and for switching a domain off)."""
    _entries[:] = [(types, p) for types, p in _entries if p is not provider]
