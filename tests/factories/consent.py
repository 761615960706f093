"""Consents and legal bases built through the real services, for tests."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.orm import Session

from govcx.consent import schemas, service
from govcx.consent.models import Consent, LegalBasis, Purpose
from govcx.core.clock import Clock
from govcx.core.signing import Signer
from tests.conftest import TEST_SECRET

SIGNER = Signer.from_secret(TEST_SECRET.encode())  # the key the test app signs with


def consent(
    session: Session, clock: Clock, *, subject_id: UUID, requester_id: UUID, attributes: list[str],
    purpose: Purpose = Purpose.SERVICE_PROVISION, give: bool = True, one_off: bool = False,
    requires_preview: bool = False, valid_until: datetime | None = None,
) -> Consent:
    made = service.request_consent(
        session=session, requester_agency_id=requester_id, clock=clock, signer=SIGNER,
        data=schemas.ConsentCreate(
            subject_id=subject_id, attributes=attributes, purpose=purpose,
            purpose_text="Check eligibility for the interest deduction", one_off=one_off,
            requires_preview=requires_preview, valid_until=valid_until,
        ),
    )
    if give:
        service.act(session=session, consent_id=made.id, action=schemas.ConsentAction.GIVE, clock=clock,
                    signer=SIGNER, person_id=subject_id)
    return made


def legal_basis(
    session: Session, clock: Clock, *, agency_id: UUID, attributes: list[str], service_id: UUID | None = None,
    purpose: Purpose = Purpose.LEGAL_COMPLIANCE,
) -> LegalBasis:
    from tests.factories.registry import _platform_actor

    return service.create_legal_basis(session=session, clock=clock, by=_platform_actor(), data=schemas.LegalBasisCreate(
        title="Income Tax Act", citation="Income Tax Act §12(3)", agency_id=agency_id, service_id=service_id,
        purpose=purpose, attributes=attributes, valid_from=clock.now(),
    ))


def amended_legal_basis(session: Session, clock: Clock, *, agency_id: UUID, attributes: list[str]) -> LegalBasis:
    """A law with a history: registered, then amended by a platform administrator."""
    from tests.factories.registry import _platform_actor

    basis = legal_basis(session, clock, agency_id=agency_id, attributes=attributes)
    return service.amend_legal_basis(session=session, legal_basis_id=basis.id, by=_platform_actor(), clock=clock,
                                     data=schemas.LegalBasisUpdate(citation="Income Tax Act §12(4)",
                                                                   note="Renumbered by the 2026 budget act."))
