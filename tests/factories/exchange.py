"""A person's once-only view with something in every part: facts, consents, a preview waiting, a log."""

from __future__ import annotations

from sqlalchemy.orm import Session

from govcx.consent.models import Purpose
from govcx.core.clock import Clock
from govcx.core.crypto import FieldCipher
from govcx.exchange import schemas, service
from govcx.registry.models import Agency, Person
from tests.factories import consent as consent_factories
from tests.factories import vault as vault_factories
from tests.factories.consent import SIGNER


def citizen_view(session: Session, clock: Clock, cipher: FieldCipher, *, person: Person, source: Agency,
                 requester: Agency, key: str) -> None:
    """Give `person` a fact from `source`, consents for `requester` (one waiting), a pending preview and
    a permitted and a denied request in the access log."""
    vault_factories.fact(session, clock, cipher, subject_id=person.id, key=key, value="48250.00", agency=source)
    consent_factories.consent(session, clock, subject_id=person.id, requester_id=requester.id, attributes=[key],
                              give=False)
    consent_factories.consent(session, clock, subject_id=person.id, requester_id=requester.id, attributes=[key])
    ask = schemas.ExchangeRequestCreate(subject_id=person.id, attributes=[key], purpose=Purpose.SERVICE_PROVISION)
    service.ask(session=session, agency_id=requester.id, data=ask, clock=clock, signer=SIGNER, cipher=cipher)
    denied = ask.model_copy(update={"purpose": Purpose.RESEARCH_AND_DEVELOPMENT})
    service.ask(session=session, agency_id=requester.id, data=denied, clock=clock, signer=SIGNER, cipher=cipher)
    consent_factories.consent(session, clock, subject_id=person.id, requester_id=requester.id, attributes=[key],
                              one_off=True, requires_preview=True, purpose=Purpose.IDENTITY_VERIFICATION)
    preview = ask.model_copy(update={"purpose": Purpose.IDENTITY_VERIFICATION})
    service.ask(session=session, agency_id=requester.id, data=preview, clock=clock, signer=SIGNER, cipher=cipher)
