"""What the exchange adds to the person timeline: every decision on a request for their data."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from govcx.core.timeline import TimelineEntry, TimelineQuery
from govcx.exchange import service


def data_use_entries(*, session: Session, query: TimelineQuery) -> Iterable[TimelineEntry]:
    """Every decision on a request for the person's data, as timeline entries, newest first."""
    visible, requester = query.sharing_requester()
    if not visible or query.channel is not None:
        return
    for use in service.uses_for_subject(session=session, person_id=query.person_id,
                                        requester_agency_id=requester, before=query.before, limit=query.limit):
        shared = ", ".join(use.attributes)
        title = (f"{use.requester_name} received {shared}" if use.decision == "permit"
                 else f"{use.requester_name} was refused {shared}")
        yield TimelineEntry(
            at=use.at, type="data_use", source="exchange", agency_id=use.requester_agency_id, channel=None,
            title=title, detail=f"Purpose: {use.purpose}. Under: {use.basis or use.reason}.",
        )
