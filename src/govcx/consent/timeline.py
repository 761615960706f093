"""What the consent domain adds to the person timeline: consent changes (registered in `app.py`)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from govcx.consent import service
from govcx.core.timeline import TimelineEntry, TimelineQuery

_CONSENT_WORDS = {"requested": "asked for", "active": "given", "rejected": "refused", "paused": "paused",
                  "withdrawn": "withdrawn", "expired": "expired", "revoked": "ended by the agency"}


def consent_entries(*, session: Session, query: TimelineQuery) -> Iterable[TimelineEntry]:
    """The person's consent changes as timeline entries, newest first."""
    visible, requester = query.sharing_requester()
    if not visible or query.channel is not None:  # consents are not given on a contact channel
        return
    for change in service.changes_for_subject(session=session, person_id=query.person_id,
                                              requester_agency_id=requester, before=query.before,
                                              limit=query.limit):
        yield TimelineEntry(
            at=change.at, type="consent", source="consent", agency_id=change.requester_agency_id, channel=None,
            title=f"Consent {_CONSENT_WORDS.get(change.to_status, change.to_status)}",
            detail=change.purpose_text, ref=f"/api/v1/me/consents/{change.consent_id}",
        )
