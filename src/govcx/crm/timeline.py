"""What the CRM adds to the person timeline: interactions and cases (registered in `app.py`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from govcx.core.timeline import TimelineEntry, TimelineQuery
from govcx.crm.models import Case, CaseEvent, CaseEventKind, Interaction
from govcx.crm.service import STATUS_WORDS, duration_minutes, service_names


def interaction_entries(*, session: Session, query: TimelineQuery) -> Iterable[TimelineEntry]:
    """The person's interactions as timeline entries, newest first."""
    stmt = select(Interaction).where(Interaction.person_id == query.person_id)
    if query.agency_id is not None:
        stmt = stmt.where(Interaction.agency_id == query.agency_id)
    if query.channel is not None:
        stmt = stmt.where(Interaction.channel == query.channel)
    if query.before is not None:
        stmt = stmt.where(Interaction.started_at < query.before)
    names = service_names(session)
    for i in session.scalars(stmt.order_by(Interaction.started_at.desc()).limit(query.limit)):
        visible = i.notes_shared or query.viewer.sees_private_of(i.agency_id)
        minutes = duration_minutes(i)
        about = f" about {names[i.service_id]}" if i.service_id in names else ""
        detail = [f"Outcome: {i.outcome.value.replace('_', ' ')}"]
        if minutes is not None:
            detail.append(f"{minutes:g} minutes")
        if visible and i.notes:
            detail.append(f"Notes: {i.notes}")
        yield TimelineEntry(at=i.started_at, type="interaction", source="crm", agency_id=i.agency_id,
                            channel=i.channel, title=f"Contact by {i.channel.value.replace('_', ' ')}{about}",
                            detail=". ".join(detail), ref=f"/api/v1/interactions/{i.id}")


def case_entries(*, session: Session, query: TimelineQuery) -> Iterable[TimelineEntry]:
    """The person's cases as timeline entries (opened, status changes, transfers), newest first."""
    # Only the case columns an entry shows: loading whole cases would load every case's history too.
    stmt = (select(CaseEvent, Case.id, Case.service_id, Case.is_complaint, Case.description, Case.channel)
            .join(Case, Case.id == CaseEvent.case_id)
            .where(Case.person_id == query.person_id, CaseEvent.kind != CaseEventKind.ASSIGNMENT))
    if query.agency_id is not None:
        stmt = stmt.where(CaseEvent.agency_id == query.agency_id)
    if query.channel is not None:
        stmt = stmt.where(Case.channel == query.channel)
    if query.before is not None:
        stmt = stmt.where(CaseEvent.at < query.before)
    names = service_names(session)
    rows = session.execute(stmt.order_by(CaseEvent.at.desc(), CaseEvent.id.desc()).limit(query.limit))
    for event, case_id, service_id, is_complaint, description, channel in rows:
        what = f"{'Complaint' if is_complaint else 'Case'} about {names.get(service_id, 'a service')}"
        detail: str | None = event.reason or None
        if event.kind is CaseEventKind.OPENED:
            title, detail = f"{what} filed", description
        elif event.kind is CaseEventKind.STATUS:
            title = f"{what} {STATUS_WORDS[event.status]}"
        elif event.kind is CaseEventKind.TRANSFER:
            title = f"{what} transferred"
        else:
            title = f"Note on {what.lower()}"
            detail = event.reason if query.viewer.sees_private_of(event.agency_id) else None
        yield TimelineEntry(at=event.at, type="case", source="crm", agency_id=event.agency_id,
                            channel=channel, title=title, detail=detail, ref=f"/api/v1/cases/{case_id}")
