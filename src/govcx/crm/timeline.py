"""What the CRM adds to the person timeline: interactions and cases (registered in `app.py`).

Hot path: both read the newest rows of one person straight off an index with Core statements
built once per combination of filters, and name services from the registry's cached names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any
from uuid import UUID

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from govcx.core.timeline import TimelineEntry, TimelineQuery
from govcx.crm.models import Case, CaseEvent, CaseEventKind, Interaction
from govcx.crm.service import STATUS_WORDS
from govcx.registry import service as registry

_I, _C, _E = Interaction.__table__.c, Case.__table__.c, CaseEvent.__table__.c


def _newest_first(stmt: Select[Any], *, agency: Any, channel: Any, at: Any, tiebreak: tuple[Any, ...],  # noqa: ANN401
                  filters: tuple[bool, bool, bool]) -> Select[Any]:
    """The person's rows, with the filters asked for, newest first, one page (all values bound per call)."""
    by_agency, by_channel, before = filters
    if by_agency:
        stmt = stmt.where(agency == bindparam("agency_id"))
    if by_channel:
        stmt = stmt.where(channel == bindparam("channel"))
    if before:
        stmt = stmt.where(at < bindparam("before"))
    return stmt.order_by(at.desc(), *tiebreak).limit(bindparam("limit"))


@cache
def _interactions(*filters: bool) -> Select[Any]:
    return _newest_first(
        select(_I.id, _I.agency_id, _I.service_id, _I.channel, _I.started_at, _I.ended_at, _I.outcome, _I.notes,
               _I.notes_shared).where(_I.person_id == bindparam("person_id")),
        agency=_I.agency_id, channel=_I.channel, at=_I.started_at, tiebreak=(), filters=filters)


@cache
def _case_events(*filters: bool) -> Select[Any]:
    # Only the case columns an entry shows, and the person's lines off their own index (never every case joined).
    return _newest_first(
        select(_E.at, _E.kind, _E.agency_id, _E.status, _E.reason, _C.id, _C.service_id, _C.is_complaint,
               _C.description, _C.channel)
        .join_from(CaseEvent.__table__, Case.__table__, _C.id == _E.case_id)
        .where(_E.person_id == bindparam("person_id"), _E.kind != CaseEventKind.ASSIGNMENT),
        agency=_E.agency_id, channel=_C.channel, at=_E.at, tiebreak=(_E.id.desc(),), filters=filters)


def _rows(session: Session, statement: Any, query: TimelineQuery) -> Any:  # noqa: ANN401
    stmt = statement(query.agency_id is not None, query.channel is not None, query.before is not None)
    return session.connection().execute(stmt, {"person_id": query.person_id, "agency_id": query.agency_id,
                                               "channel": query.channel, "before": query.before,
                                               "limit": query.limit})


def _service_namer(session: Session) -> Callable[[UUID | None], str | None]:
    names = registry.service_names(session=session)

    def name(service_id: UUID | None) -> str | None:
        if service_id is None:
            return None
        return names.get(service_id) or registry.service_names(session=session, wanted=(service_id,)).get(service_id)
    return name


def interaction_entries(*, session: Session, query: TimelineQuery) -> Iterator[TimelineEntry]:
    """The person's interactions as timeline entries, newest first."""
    service_name, viewer = _service_namer(session), query.viewer
    for id_, agency_id, service_id, channel, started_at, ended_at, outcome, notes, notes_shared in _rows(
            session, _interactions, query):
        name = service_name(service_id)
        detail = [f"Outcome: {outcome.value.replace('_', ' ')}"]
        if ended_at is not None:
            detail.append(f"{round((ended_at - started_at).total_seconds() / 60, 1):g} minutes")
        if notes and (notes_shared or viewer.sees_private_of(agency_id)):
            detail.append(f"Notes: {notes}")
        yield TimelineEntry(at=started_at, type="interaction", source="crm", agency_id=agency_id, channel=channel,
                            title=f"Contact by {channel.value.replace('_', ' ')}{f' about {name}' if name else ''}",
                            detail=". ".join(detail), ref=f"/api/v1/interactions/{id_}")


def case_entries(*, session: Session, query: TimelineQuery) -> Iterator[TimelineEntry]:
    """The person's cases as timeline entries (opened, status changes, transfers), newest first."""
    service_name = _service_namer(session)
    for at, kind, agency_id, status, reason, case_id, service_id, is_complaint, description, channel in _rows(
            session, _case_events, query):
        what = f"{'Complaint' if is_complaint else 'Case'} about {service_name(service_id) or 'a service'}"
        detail: str | None = reason or None
        if kind is CaseEventKind.OPENED:
            title, detail = f"{what} filed", description
        elif kind is CaseEventKind.STATUS:
            title = f"{what} {STATUS_WORDS[status]}"
        elif kind is CaseEventKind.TRANSFER:
            title = f"{what} transferred"
        else:
            title = f"Note on {what.lower()}"
            detail = reason if query.viewer.sees_private_of(agency_id) else None
        yield TimelineEntry(at=at, type="case", source="crm", agency_id=agency_id,
                            channel=channel, title=title, detail=detail, ref=f"/api/v1/cases/{case_id}")
