"""Vault REST API: sources record facts, services declare their forms, people read and prefill."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter

from govcx.core.accounts import Scope
from govcx.core.auth import AgencyClient, CurrentCitizen, authorize, require_scope
from govcx.core.config import API_PREFIX
from govcx.core.deps import CipherDep, ClockDep, SessionDep
from govcx.core.errors import Forbidden, problem_responses
from govcx.registry import service as registry
from govcx.vault import schemas, service
from govcx.web.csrf import CsrfProtected

router = APIRouter(prefix=API_PREFIX, tags=["vault"], responses=problem_responses(401, 403, 422))

Writer = Annotated[AgencyClient, require_scope(Scope.VAULT_WRITE)]
Reader = Annotated[AgencyClient, require_scope(Scope.REGISTRY_READ)]


@router.post("/vault/facts", response_model=schemas.FactRead, status_code=201, operation_id="record_fact")
def record_fact(
    data: schemas.FactCreate, session: SessionDep, cipher: CipherDep, clock: ClockDep, client: Writer
) -> schemas.FactRead:
    fact = service.record_fact(session=session, data=data, by=service.Source(agency_id=client.agency_id),
                               cipher=cipher, clock=clock)
    return service.fact_history(session=session, cipher=cipher, subject_id=fact.subject_id,
                                attribute_key=fact.attribute_key)[0]


@router.get("/vault/facts/{subject_id}/{attribute_key}/history", response_model=schemas.FactHistory,
            operation_id="get_fact_history", responses=problem_responses(404))
def get_fact_history(
    subject_id: UUID, attribute_key: str, session: SessionDep, cipher: CipherDep, client: Writer
) -> schemas.FactHistory:
    """Every version of a fact, for its authoritative source only."""
    attribute = service.catalogue(session=session).get(attribute_key)
    if attribute is None or attribute.source_agency_id != client.agency_id:
        raise Forbidden("Only the attribute's authoritative source reads a fact's history.")
    return schemas.FactHistory(items=service.fact_history(session=session, cipher=cipher, subject_id=subject_id,
                                                          attribute_key=attribute_key))


@router.put("/vault/services/{service_id}/form", response_model=schemas.FormRead, operation_id="set_service_form",
            responses=problem_responses(404))
def set_service_form(
    service_id: UUID, data: schemas.FormUpdate, session: SessionDep, client: Writer
) -> schemas.FormRead:
    svc = registry.get_service(session=session, service_id=service_id)
    authorize(client, Scope.VAULT_WRITE, agency_id=svc.agency_id)
    return schemas.FormRead(service_id=svc.id,
                            attributes=service.set_form(session=session, service_id=svc.id, attributes=data.attributes))


@router.get("/vault/services/{service_id}/form", response_model=schemas.FormRead, operation_id="get_service_form",
            responses=problem_responses(404))
def get_service_form(service_id: UUID, session: SessionDep, _: Reader) -> schemas.FormRead:
    svc = registry.get_service(session=session, service_id=service_id)
    return schemas.FormRead(service_id=svc.id, attributes=service.form_of(session=session, service_id=svc.id))


# The person's own view ---------------------------------------------------------------------------


@router.get("/me/data", response_model=schemas.FactList, operation_id="get_my_data")
def get_my_data(me: CurrentCitizen, session: SessionDep, cipher: CipherDep) -> schemas.FactList:
    """Every fact government holds about the signed-in person, with its source."""
    return schemas.FactList(items=service.current_facts(session=session, cipher=cipher, subject_id=me.person_id))


@router.post("/me/data", response_model=schemas.FactRead, status_code=201, operation_id="declare_my_fact",
             dependencies=[CsrfProtected])
def declare_my_fact(
    data: schemas.SelfDeclaredFactCreate, me: CurrentCitizen, session: SessionDep, cipher: CipherDep, clock: ClockDep
) -> schemas.FactRead:
    """Declare a self-declarable fact about yourself, such as an e-mail address (send the X-CSRF-Token header)."""
    fact = service.record_fact(
        session=session, cipher=cipher, clock=clock, by=service.Source(person_id=me.person_id),
        data=schemas.FactCreate(subject_id=me.person_id, attribute_key=data.attribute_key, value=data.value,
                                verified=False),
    )
    return service.fact_history(session=session, cipher=cipher, subject_id=fact.subject_id,
                                attribute_key=fact.attribute_key)[0]


@router.get("/me/prefill/{service_id}", response_model=schemas.PrefillRead, operation_id="prefill_my_form",
            responses=problem_responses(404))
def prefill_my_form(
    service_id: UUID, me: CurrentCitizen, session: SessionDep, cipher: CipherDep, clock: ClockDep
) -> schemas.PrefillRead:
    """What a service's form needs that government already knows about the signed-in person."""
    svc = registry.get_service(session=session, service_id=service_id)
    return service.prefill(session=session, cipher=cipher, clock=clock, service_id=svc.id, person_id=me.person_id)
