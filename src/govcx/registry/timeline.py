"""What the registry adds beside the person timeline: which contact details it holds; never their values."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from sqlalchemy.orm import Session

from govcx.core.timeline import HeldFact, TimelineViewer
from govcx.registry import service

# The registry's own person fields that staff would otherwise ask for again.
HELD_FIELDS: dict[str, str] = {
    "email": "E-mail", "phone": "Phone", "street_address": "Street address", "postal_code": "Postal code",
    "locality": "Locality",
}
SOURCE = "Population register"


def registry_facts(*, session: Session, person_id: UUID, viewer: TimelineViewer) -> Iterable[HeldFact]:
    """Which contact details the registry holds about the person (that it does, not what they are)."""
    person = service.get_person(session=session, person_id=person_id)
    for field, label in HELD_FIELDS.items():
        if getattr(person, field):
            yield HeldFact(key=f"person.{field}", label=label, source=SOURCE, since=person.updated_at)
