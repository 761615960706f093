"""Exchange REST API: agencies ask for data; people preview and read who used their data."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from govcx.core.accounts import Scope
from govcx.core.auth import AgencyClient, CurrentCitizen, require_scope
from govcx.core.config import API_PREFIX
from govcx.core.deps import CipherDep, ClockDep, SessionDep
from govcx.core.errors import Forbidden, problem_response, problem_responses
from govcx.core.pagination import PageParamsDep
from govcx.core.signing import SignerDep
from govcx.exchange import schemas, service
from govcx.web.csrf import CsrfProtected

router = APIRouter(prefix=API_PREFIX, tags=["exchange"], responses=problem_responses(401, 403, 422))

Asker = Annotated[AgencyClient, require_scope(Scope.EXCHANGE_REQUEST)]


def _answer(request: Request, outcome: service.Outcome) -> schemas.ExchangeAnswer | JSONResponse:
    if outcome.denied:
        # Answered, not raised: the unit of work must commit the denial's log entry.
        return problem_response(
            status=Forbidden.status, title=Forbidden.title, code="exchange-denied", detail=outcome.detail,
            instance=request.url.path, reason=outcome.request.reason, request_id=str(outcome.request.id),
            access_log_entry=outcome.log_seq,
        )
    answer = service.answer_of(outcome)
    if outcome.request.status.value == "awaiting_person":
        return JSONResponse(answer.model_dump(mode="json"), status_code=202)
    return answer


@router.post("/exchange/requests", response_model=schemas.ExchangeAnswer, operation_id="request_data",
             responses={202: {"description": "Waiting for the person's preview and confirmation",
                              "model": schemas.ExchangeAnswer}})
def request_data(
    request: Request, data: schemas.ExchangeRequestCreate, session: SessionDep, clock: ClockDep, signer: SignerDep,
    cipher: CipherDep, client: Asker,
) -> schemas.ExchangeAnswer | JSONResponse:
    """Ask for a person's attributes for a purpose; permitted only with consent or a legal basis, always logged.

    A denial is a 403 problem detail whose `reason` says why (e.g. `no_consent_or_legal_basis`,
    `attribute_not_covered`, `purpose_mismatch`, `consent_paused`, `consent_expired`, `consent_withdrawn`).
    """
    outcome = service.ask(session=session, agency_id=client.agency_id, data=data, clock=clock, signer=signer,
                          cipher=cipher)
    return _answer(request, outcome)


@router.get("/exchange/requests/{request_id}", response_model=schemas.ExchangeAnswer,
            operation_id="get_data_request", responses=problem_responses(404))
def get_data_request(
    request_id: UUID, session: SessionDep, cipher: CipherDep, client: Asker
) -> schemas.ExchangeAnswer:
    """The state of an earlier request; the facts once the person has confirmed sharing."""
    return service.answer_of(service.get_answer(session=session, agency_id=client.agency_id, request_id=request_id,
                                                cipher=cipher))


# The person's view -------------------------------------------------------------------------------


@router.get("/me/access-log", response_model=schemas.AccessLogPage, operation_id="get_my_access_log")
def get_my_access_log(me: CurrentCitizen, session: SessionDep, page: PageParamsDep) -> schemas.AccessLogPage:
    """Who used the signed-in person's data, when, why and under which consent or law; newest first."""
    items, cursor = service.access_log_for(session=session, person_id=me.person_id, page=page)
    return schemas.AccessLogPage(items=items, next_cursor=cursor)


@router.get("/me/data-requests", response_model=schemas.PendingRequestList, operation_id="list_my_pending_requests")
def list_my_pending_requests(me: CurrentCitizen, session: SessionDep, cipher: CipherDep) -> schemas.PendingRequestList:
    """Requests waiting for your preview before anything is shared."""
    return schemas.PendingRequestList(items=service.pending_for_person(session=session, person_id=me.person_id,
                                                                       cipher=cipher))


@router.post("/me/data-requests/{request_id}", response_model=schemas.ExchangeAnswer,
             operation_id="settle_my_pending_request", dependencies=[CsrfProtected],
             responses=problem_responses(404, 409))
def settle_my_pending_request(
    request_id: UUID, data: schemas.PreviewDecision, me: CurrentCitizen, session: SessionDep, clock: ClockDep,
    signer: SignerDep, cipher: CipherDep,
) -> schemas.ExchangeAnswer:
    """Share (or decline) after previewing; send the X-CSRF-Token header. Either way it is logged."""
    outcome = service.settle_preview(session=session, person_id=me.person_id, request_id=request_id,
                                     share=data.share, clock=clock, signer=signer, cipher=cipher,
                                     preview=data.preview)
    return service.answer_of(outcome)
