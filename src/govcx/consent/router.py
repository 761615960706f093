"""Consent REST API: agencies ask and revoke, people act on their own consents, admins keep the legal bases."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from govcx.consent import schemas, service
from govcx.core.accounts import Scope
from govcx.core.auth import Actor, AgencyClient, CurrentActor, CurrentCitizen, StaffMember, authorize, require_scope
from govcx.core.config import API_PREFIX
from govcx.core.deps import ClockDep, SessionDep
from govcx.core.errors import problem_responses
from govcx.core.pagination import PageParamsDep
from govcx.core.signing import SignerDep
from govcx.web.csrf import CsrfProtected

router = APIRouter(prefix=API_PREFIX, tags=["consent"], responses=problem_responses(401, 403, 422))

Requester = Annotated[AgencyClient, require_scope(Scope.CONSENT_REQUEST)]


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


@router.post("/me/consents/{consent_id}/give-again", response_model=schemas.ConsentRead, status_code=201,
             operation_id="give_my_consent_again", dependencies=[CsrfProtected], responses=problem_responses(404, 409))
def give_my_consent_again(
    consent_id: UUID, me: CurrentCitizen, session: SessionDep, clock: ClockDep, signer: SignerDep
) -> schemas.ConsentRead:
    """Give a withdrawn or expired consent again: a new consent on the same terms (send the X-CSRF-Token header)."""
    consent = service.give_again(session=session, consent_id=consent_id, person_id=me.person_id, clock=clock,
                                 signer=signer)
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
# Kept by platform administrators in person: their signed-in session (with X-CSRF-Token on writes),
# never an API key. Agencies and staff read the register; people read the laws about them.


def _keeper(actor: Actor) -> StaffMember:
    authorize(actor, Scope.LEGAL_BASIS_ADMIN)  # no key holds it (accounts.KEY_SCOPES); the service checks the role
    return actor  # type: ignore[return-value]


@router.post("/legal-bases", response_model=schemas.LegalBasisDetail, status_code=201,
             operation_id="create_legal_basis", responses=problem_responses(404))
def create_legal_basis(
    data: schemas.LegalBasisCreate, session: SessionDep, clock: ClockDep, actor: CurrentActor
) -> schemas.LegalBasisDetail:
    """Register a statute that lets an agency's service read named attributes without consent (platform admins)."""
    basis = service.create_legal_basis(session=session, data=data, by=_keeper(actor), clock=clock)
    return service.detail(session=session, basis=basis)


@router.get("/legal-bases", response_model=schemas.LegalBasisPage, operation_id="list_legal_bases")
def list_legal_bases(
    session: SessionDep, actor: CurrentActor, page: PageParamsDep, agency_id: Annotated[UUID | None, Query()] = None
) -> schemas.LegalBasisPage:
    authorize(actor, Scope.REGISTRY_READ)
    rows, cursor = service.list_legal_bases(session=session, agency_id=agency_id, page=page)
    return schemas.LegalBasisPage(items=[schemas.LegalBasisRead.model_validate(r) for r in rows], next_cursor=cursor)


@router.get("/legal-bases/{legal_basis_id}", response_model=schemas.LegalBasisDetail,
            operation_id="get_legal_basis", responses=problem_responses(404))
def get_legal_basis(legal_basis_id: UUID, session: SessionDep, actor: CurrentActor) -> schemas.LegalBasisDetail:
    """A legal basis with every change made to it: when, by whom and why."""
    authorize(actor, Scope.REGISTRY_READ)
    return service.detail(session=session, basis=service.get_legal_basis(session=session,
                                                                          legal_basis_id=legal_basis_id))


@router.patch("/legal-bases/{legal_basis_id}", response_model=schemas.LegalBasisDetail,
              operation_id="amend_legal_basis", responses=problem_responses(404, 409))
def amend_legal_basis(
    legal_basis_id: UUID, data: schemas.LegalBasisUpdate, session: SessionDep, clock: ClockDep, actor: CurrentActor
) -> schemas.LegalBasisDetail:
    """Amend a legal basis in force (platform admins); the change is logged and shown to the people it affects."""
    basis = service.amend_legal_basis(session=session, legal_basis_id=legal_basis_id, data=data, by=_keeper(actor),
                                      clock=clock)
    return service.detail(session=session, basis=basis)


@router.post("/legal-bases/{legal_basis_id}/repeal", response_model=schemas.LegalBasisDetail,
             operation_id="repeal_legal_basis", responses=problem_responses(404, 409))
def repeal_legal_basis(
    legal_basis_id: UUID, data: schemas.LegalBasisRepeal, session: SessionDep, clock: ClockDep, actor: CurrentActor
) -> schemas.LegalBasisDetail:
    """Repeal a legal basis now (platform admins): requests under it are denied from this moment."""
    basis = service.repeal_legal_basis(session=session, legal_basis_id=legal_basis_id, note=data.note,
                                       by=_keeper(actor), clock=clock)
    return service.detail(session=session, basis=basis)


@router.get("/me/legal-bases", response_model=list[schemas.LawAboutMeRead], operation_id="list_laws_about_me")
def list_laws_about_me(me: CurrentCitizen, session: SessionDep, clock: ClockDep) -> list[schemas.LawAboutMeRead]:
    """The laws that let agencies read attributes government holds about me, each with its change history."""
    return service.laws_about(session=session, person_id=me.person_id, clock=clock)
