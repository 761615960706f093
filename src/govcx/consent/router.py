"""Consent REST API: agencies ask and revoke, people act on their own consents, admins keep the legal bases."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from govcx.consent import schemas, service
from govcx.core.accounts import Scope
from govcx.core.auth import AgencyClient, CurrentCitizen, require_scope
from govcx.core.config import API_PREFIX
from govcx.core.deps import ClockDep, SessionDep
from govcx.core.errors import problem_responses
from govcx.core.pagination import PageParamsDep
from govcx.core.signing import SignerDep
from govcx.web.csrf import CsrfProtected

router = APIRouter(prefix=API_PREFIX, tags=["consent"], responses=problem_responses(401, 403, 422))

Requester = Annotated[AgencyClient, require_scope(Scope.CONSENT_REQUEST)]
Reader = Annotated[AgencyClient, require_scope(Scope.REGISTRY_READ)]
LegalAdmin = Annotated[AgencyClient, require_scope(Scope.LEGAL_BASIS_ADMIN)]


def _receipt(consent, signer) -> schemas.ReceiptRead:  # noqa: ANN001
    return schemas.ReceiptRead(consent_id=consent.id, receipt=consent.receipt or "", kid=signer.kid)


@router.post("/consents", response_model=schemas.ConsentRead, status_code=201, operation_id="request_consent",
             responses=problem_responses(404))
def request_consent(
    data: schemas.ConsentCreate, session: SessionDep, clock: ClockDep, signer: SignerDep, client: Requester
) -> schemas.ConsentRead:
    """Ask a person for consent; it waits for them in their portal."""
    consent = service.request_consent(session=session, requester_agency_id=client.agency_id, data=data, clock=clock,
                                      signer=signer)
    return service.read(session=session, consent=consent)


@router.get("/consents/{consent_id}", response_model=schemas.ConsentRead, operation_id="get_consent",
            responses=problem_responses(404))
def get_consent(
    consent_id: UUID, session: SessionDep, clock: ClockDep, signer: SignerDep, client: Requester
) -> schemas.ConsentRead:
    consent = service.get_for_requester(session=session, consent_id=consent_id, agency_id=client.agency_id,
                                        clock=clock, signer=signer)
    return service.read(session=session, consent=consent)


@router.post("/consents/{consent_id}/revoke", response_model=schemas.ConsentRead, operation_id="revoke_consent",
             responses=problem_responses(404, 409))
def revoke_consent(
    consent_id: UUID, session: SessionDep, clock: ClockDep, signer: SignerDep, client: Requester
) -> schemas.ConsentRead:
    """End a consent as its controller; later requests under it are denied."""
    consent = service.act(session=session, consent_id=consent_id, action=schemas.ConsentAction.REVOKE, clock=clock,
                          signer=signer, agency_id=client.agency_id)
    return service.read(session=session, consent=consent)


@router.get("/consents/{consent_id}/receipt", response_model=schemas.ReceiptRead,
            operation_id="get_consent_receipt", responses=problem_responses(404))
def get_consent_receipt(
    consent_id: UUID, session: SessionDep, clock: ClockDep, signer: SignerDep, client: Requester
) -> schemas.ReceiptRead:
    consent = service.get_for_requester(session=session, consent_id=consent_id, agency_id=client.agency_id,
                                        clock=clock, signer=signer)
    return _receipt(consent, signer)


# The person's own consents -----------------------------------------------------------------------


@router.get("/me/consents", response_model=schemas.ConsentPage, operation_id="list_my_consents")
def list_my_consents(
    me: CurrentCitizen, session: SessionDep, clock: ClockDep, signer: SignerDep, page: PageParamsDep
) -> schemas.ConsentPage:
    rows, cursor = service.list_for_subject(session=session, person_id=me.person_id, clock=clock, signer=signer,
                                            page=page)
    return schemas.ConsentPage(items=[service.read(session=session, consent=c) for c in rows], next_cursor=cursor)


@router.get("/me/consents/{consent_id}", response_model=schemas.ConsentRead, operation_id="get_my_consent",
            responses=problem_responses(404))
def get_my_consent(
    consent_id: UUID, me: CurrentCitizen, session: SessionDep, clock: ClockDep, signer: SignerDep
) -> schemas.ConsentRead:
    consent = service.get_for_subject(session=session, consent_id=consent_id, person_id=me.person_id, clock=clock,
                                      signer=signer)
    return service.read(session=session, consent=consent)


@router.post("/me/consents/{consent_id}/actions", response_model=schemas.ConsentRead, operation_id="act_on_my_consent",
             dependencies=[CsrfProtected], responses=problem_responses(404, 409))
def act_on_my_consent(
    consent_id: UUID, data: schemas.ConsentActionCreate, me: CurrentCitizen, session: SessionDep, clock: ClockDep,
    signer: SignerDep,
) -> schemas.ConsentRead:
    """Give, refuse, pause, resume or withdraw one of your consents (send the X-CSRF-Token header)."""
    consent = service.act(session=session, consent_id=consent_id, action=data.action, clock=clock, signer=signer,
                          person_id=me.person_id)
    return service.read(session=session, consent=consent)


@router.get("/me/consents/{consent_id}/receipt", response_model=schemas.ReceiptRead,
            operation_id="get_my_consent_receipt", responses=problem_responses(404))
def get_my_consent_receipt(
    consent_id: UUID, me: CurrentCitizen, session: SessionDep, clock: ClockDep, signer: SignerDep
) -> schemas.ReceiptRead:
    consent = service.get_for_subject(session=session, consent_id=consent_id, person_id=me.person_id, clock=clock,
                                      signer=signer)
    return _receipt(consent, signer)


# Legal bases -----------------------------------------------------------------------------------


@router.post("/legal-bases", response_model=schemas.LegalBasisRead, status_code=201,
             operation_id="create_legal_basis", responses=problem_responses(404))
def create_legal_basis(
    data: schemas.LegalBasisCreate, session: SessionDep, clock: ClockDep, _: LegalAdmin
) -> schemas.LegalBasisRead:
    """Register a statute that lets an agency's service read named attributes without consent."""
    return schemas.LegalBasisRead.model_validate(service.create_legal_basis(session=session, data=data, clock=clock))


@router.get("/legal-bases", response_model=schemas.LegalBasisPage, operation_id="list_legal_bases")
def list_legal_bases(
    session: SessionDep, _: Reader, page: PageParamsDep, agency_id: Annotated[UUID | None, Query()] = None
) -> schemas.LegalBasisPage:
    rows, cursor = service.list_legal_bases(session=session, agency_id=agency_id, page=page)
    return schemas.LegalBasisPage(items=[schemas.LegalBasisRead.model_validate(r) for r in rows], next_cursor=cursor)
