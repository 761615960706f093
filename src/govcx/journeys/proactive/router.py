"""Proactive services REST API: agency admins keep rules, CX teams read outcomes, people act on offers."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from govcx.core.accounts import Scope
from govcx.core.auth import CurrentActor, CurrentCitizen, authorize
from govcx.core.config import API_PREFIX
from govcx.core.deps import ClockDep, SessionDep, SettingsDep
from govcx.core.errors import problem_responses
from govcx.journeys.proactive import schemas, service
from govcx.journeys.proactive.deps import ToolsDep
from govcx.web.csrf import CsrfProtected

router = APIRouter(prefix=API_PREFIX, tags=["proactive"], responses=problem_responses(401, 403, 422))


@router.post("/proactive/rules", response_model=schemas.RuleRead, status_code=201,
             operation_id="create_proactive_rule", responses=problem_responses(409))
def create_rule(data: schemas.RuleCreate, session: SessionDep, by: CurrentActor, clock: ClockDep) -> schemas.RuleRead:
    """Save a rule of your agency; a condition with bad syntax or unknown fact names is refused (422)."""
    return schemas.RuleRead.model_validate(service.create_rule(session=session, data=data, by=by, clock=clock))


@router.get("/proactive/rules", response_model=schemas.RuleList, operation_id="list_proactive_rules")
def list_rules(session: SessionDep, by: CurrentActor) -> schemas.RuleList:
    return schemas.RuleList(items=[schemas.RuleRead.model_validate(r)
                                   for r in service.rules_for(session=session, by=by)])


@router.get("/proactive/rules/{rule_id}", response_model=schemas.RuleRead, operation_id="get_proactive_rule",
            responses=problem_responses(404))
def get_rule(rule_id: UUID, session: SessionDep, by: CurrentActor) -> schemas.RuleRead:
    return schemas.RuleRead.model_validate(service.get_rule(session=session, rule_id=rule_id, by=by))


@router.patch("/proactive/rules/{rule_id}", response_model=schemas.RuleRead, operation_id="update_proactive_rule",
              responses=problem_responses(404))
def update_rule(rule_id: UUID, data: schemas.RuleUpdate, session: SessionDep, by: CurrentActor,
                clock: ClockDep) -> schemas.RuleRead:
    return schemas.RuleRead.model_validate(service.update_rule(session=session, rule_id=rule_id, data=data, by=by,
                                                               clock=clock))


@router.get("/proactive/offers/summary", response_model=schemas.OfferSummary, operation_id="proactive_offer_summary")
def offer_summary(session: SessionDep, by: CurrentActor, clock: ClockDep,
                  settings: SettingsDep) -> schemas.OfferSummary:
    """Offers made, accepted, declined, expired and waiting, by rule; small counts are withheld."""
    authorize(by, Scope.CX_READ)
    return service.offer_summary(session=session, clock=clock, threshold=settings.suppression_threshold,
                                 agency_id=None if by.platform_wide else by.agency_id)


@router.get("/me/offers", response_model=schemas.OfferList, operation_id="list_my_offers")
def my_offers(me: CurrentCitizen, session: SessionDep, tools: ToolsDep) -> schemas.OfferList:
    return schemas.OfferList(items=service.offers_of(session=session, person_id=me.person_id, tools=tools))


@router.post("/me/offers/{offer_id}/accept", response_model=schemas.OfferRead, operation_id="accept_my_offer",
             dependencies=[CsrfProtected], responses=problem_responses(404, 409))
def accept_offer(offer_id: UUID, me: CurrentCitizen, session: SessionDep, tools: ToolsDep) -> schemas.OfferRead:
    """Accept an offer: its application is filed with the values shown (send the X-CSRF-Token header)."""
    service.accept(session=session, offer_id=offer_id, person_id=me.person_id, tools=tools)
    return service.offer_of(session=session, offer_id=offer_id, person_id=me.person_id, tools=tools)


@router.post("/me/offers/{offer_id}/decline", response_model=schemas.OfferRead, operation_id="decline_my_offer",
             dependencies=[CsrfProtected], responses=problem_responses(404, 409))
def decline_offer(offer_id: UUID, me: CurrentCitizen, session: SessionDep, tools: ToolsDep) -> schemas.OfferRead:
    """Decline an offer; the same event never brings it back (send the X-CSRF-Token header)."""
    service.decline(session=session, offer_id=offer_id, person_id=me.person_id, tools=tools)
    return service.offer_of(session=session, offer_id=offer_id, person_id=me.person_id, tools=tools)
