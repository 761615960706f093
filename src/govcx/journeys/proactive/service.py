"""Proactive services: rules offer a service when something happens; people accept or decline once.

The reference is Estonia's family benefits: after a birth is registered the parent finds the
benefit offered, prefilled from what government already holds, and only confirms it.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from govcx.consent import service as consent_service
from govcx.consent.models import ConsentStatus, Purpose
from govcx.consent.schemas import ConsentAction, ConsentCreate
from govcx.core.accounts import Scope
from govcx.core.auth import Actor, authorize
from govcx.core.clock import Clock
from govcx.core.config import Settings
from govcx.core.crypto import FieldCipher
from govcx.core.db import get_or_404, unit_of_work
from govcx.core.errors import Conflict, Invalid, NotFound
from govcx.core.events import publish
from govcx.core.signing import Signer
from govcx.crm import applications as crm_applications
from govcx.crm.events import CaseStatusChanged
from govcx.journeys import service as journeys
from govcx.journeys.models import EventType, InstanceStatus, JourneyInstance, LifeEvent, TouchpointEvent
from govcx.journeys.proactive import conditions, schemas
from govcx.journeys.proactive.models import JourneyWatermark, Offer, OfferStatus, ProactiveRule, Trigger
from govcx.notify.events import NotificationRequested
from govcx.registry import service as registry
from govcx.registry.models import DataAttribute, SubjectKind, ValueType
from govcx.vault import service as vault
from govcx.vault.events import FactRecorded

log = logging.getLogger(__name__)

OFFER_TEMPLATE = "proactive.offer"
OFFERS_PAGE = "/me/life-events"
_OFFERS = UUID("0b7e4a52-9d0c-5d8e-a1f3-6c2b9e4d7a10")  # namespace of offer ids: one per rule, person and event


# Rules -----------------------------------------------------------------------------------------


def _agency_of(by: Actor) -> UUID:
    if by.agency_id is None:
        raise Invalid("Act for an agency: a proactive rule offers one agency's service.")
    return by.agency_id


def _check_rule(session: Session, *, agency_id: UUID, trigger: Trigger, trigger_key: str, condition: str,
                service_id: UUID, consent_attributes: list[str]) -> None:
    known = vault.catalogue(session=session)
    try:
        conditions.check(condition, known_keys=known.keys())
    except conditions.ConditionError as exc:
        raise Invalid(str(exc), field="condition") from exc
    try:
        service = registry.get_service(session=session, service_id=service_id)
    except NotFound as exc:
        raise Invalid("service_id names no service in the catalogue.", field="service_id") from exc
    if service.agency_id != agency_id:
        raise Invalid("A rule offers a service of its own agency.", field="service_id")
    if trigger is Trigger.FACT_RECORDED:
        attribute = known.get(trigger_key)
        if attribute is None:
            raise Invalid(f"{trigger_key} is not in the data catalogue.", field="trigger_key")
        if attribute.subject_kind is not SubjectKind.PERSON:
            raise Invalid(f"{trigger_key} is about organizations; proactive offers go to people.",
                          field="trigger_key")
    elif trigger is Trigger.CASE_RESOLVED and registry.get_service_by_code(session=session, code=trigger_key) is None:
        raise Invalid(f"{trigger_key} is not the code of a service in the catalogue.", field="trigger_key")
    elif trigger is Trigger.JOURNEY_EVENT:
        _check_journey_key(session, trigger_key)
    unknown = sorted(k for k in consent_attributes if k not in known)
    if unknown:
        raise Invalid(f"Not in the data catalogue: {', '.join(unknown)}.", field="consent_attributes")


def _check_journey_key(session: Session, trigger_key: str) -> None:
    journey_key, _, point = trigger_key.partition("/")
    maps = {j.key: j for j in journeys.list_journey_maps(session=session)}
    if journey_key not in maps:
        raise Invalid(f"{journey_key} is not the key of a journey map.", field="trigger_key")
    if point and point not in {t.key for t in maps[journey_key].touchpoints}:
        raise Invalid(f"{point} is not a touchpoint of {journey_key}.", field="trigger_key")


def create_rule(*, session: Session, data: schemas.RuleCreate, by: Actor, clock: Clock) -> ProactiveRule:
    """Save a proactive rule of the caller's agency; its condition is checked first."""
    agency_id = _agency_of(by)
    authorize(by, Scope.PROACTIVE_ADMIN, agency_id=agency_id)
    _check_rule(session, agency_id=agency_id, trigger=data.trigger, trigger_key=data.trigger_key,
                condition=data.condition, service_id=data.service_id, consent_attributes=data.consent_attributes)
    if session.scalar(select(ProactiveRule.id).where(ProactiveRule.code == data.code)) is not None:
        raise Conflict(f"A rule with the code {data.code} exists already.")
    now = clock.now()
    rule = ProactiveRule(agency_id=agency_id, **data.model_dump(), active=True, created_at=now, updated_at=now)
    rule.consent_attributes = sorted(set(data.consent_attributes))
    session.add(rule)
    session.flush()
    return rule


def get_rule(*, session: Session, rule_id: UUID, by: Actor) -> ProactiveRule:
    """Read one rule of the caller's agency."""
    rule = get_or_404(session, ProactiveRule, rule_id, what="proactive rule")
    authorize(by, Scope.PROACTIVE_ADMIN, agency_id=rule.agency_id)
    return rule


def update_rule(*, session: Session, rule_id: UUID, data: schemas.RuleUpdate, by: Actor,
                clock: Clock) -> ProactiveRule:
    """Change a rule's condition, wording, consent, validity or whether it is active."""
    rule = get_rule(session=session, rule_id=rule_id, by=by)
    changes = data.model_dump(exclude_none=True)
    _check_rule(session, agency_id=rule.agency_id, trigger=rule.trigger, trigger_key=rule.trigger_key,
                condition=changes.get("condition", rule.condition), service_id=rule.service_id,
                consent_attributes=changes.get("consent_attributes", rule.consent_attributes))
    for name, value in changes.items():
        setattr(rule, name, value)
    rule.updated_at = clock.now()
    session.flush()
    return rule


def list_rules(*, session: Session, agency_id: UUID | None) -> list[ProactiveRule]:
    """Every rule of an agency (of all agencies with None), by code."""
    stmt = select(ProactiveRule).order_by(ProactiveRule.code)
    if agency_id is not None:
        stmt = stmt.where(ProactiveRule.agency_id == agency_id)
    return list(session.scalars(stmt))


def rules_for(*, session: Session, by: Actor) -> list[ProactiveRule]:
    """The rules the caller may keep: their agency's, or every agency's for a platform administrator."""
    authorize(by, Scope.PROACTIVE_ADMIN)
    return list_rules(session=session, agency_id=None if by.platform_wide else by.agency_id)


# Making offers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tools:
    """What a reaction needs besides its session: the clock, the settings and the keys built from them."""

    clock: Clock
    settings: Settings
    cipher: FieldCipher
    signer: Signer

    @classmethod
    def of(cls, *, clock: Clock, settings: Settings) -> Tools:
        return cls(clock=clock, settings=settings,
                   cipher=FieldCipher.from_secret(settings.secret, settings.encryption_key_id),
                   signer=Signer.from_secret(settings.secret))


def typed(value: str | None, attribute: DataAttribute | None) -> Any:
    """A fact's stored text as the condition language compares it: numbers, booleans, else text."""
    if value is None or attribute is None:
        return value
    try:
        if attribute.value_type in (ValueType.MONEY, ValueType.DECIMAL):
            return float(value)
        if attribute.value_type is ValueType.INTEGER:
            return int(value)
    except ValueError:
        return value
    if attribute.value_type is ValueType.BOOLEAN:
        return value.strip().lower() in ("true", "yes", "1")
    return value


def _facts(session: Session, tools: Tools, person_id: UUID, keys: set[str]) -> dict[str, Any]:
    if not keys:
        return {}
    catalogue = vault.catalogue(session=session)
    return {f.attribute_key: typed(f.value, catalogue.get(f.attribute_key))
            for f in vault.current_facts(session=session, cipher=tools.cipher, subject_id=person_id, keys=keys)}


def _held(session: Session, tools: Tools, person_id: UUID, service_id: UUID) -> set[str]:
    form = vault.form_of(session=session, service_id=service_id)
    return {f.attribute_key for f in vault.current_facts(session=session, cipher=tools.cipher, subject_id=person_id,
                                                         keys=form)}


def offer_id_for(*, rule_id: UUID, person_id: UUID, trigger_ref: str) -> UUID:
    return uuid5(_OFFERS, f"{rule_id}:{person_id}:{trigger_ref}")


def _language(session: Session, person_id: UUID, clock: Clock) -> str:
    from govcx.notify import service as notify  # the person's chosen language, kept by notify

    return notify.preferences_of(session=session, person_id=person_id, clock=clock).language


def offer_if_due(*, session: Session, rule: ProactiveRule, person_id: UUID, trigger_ref: str,
                 event: dict[str, Any], tools: Tools) -> Offer | None:
    """Offer the rule's service for one triggering event when its condition holds; at most once, ever.

    The offer's id comes from the rule, the person and the event, so a redelivered event (or the
    same birth recorded again) finds the offer already made, accepted or declined, and makes none.
    """
    offer_id = offer_id_for(rule_id=rule.id, person_id=person_id, trigger_ref=trigger_ref)
    if session.get(Offer, offer_id) is not None:
        return None
    try:
        reads = conditions.check(rule.condition, known_keys=vault.catalogue(session=session).keys())
    except conditions.ConditionError:
        log.warning("proactive rule no longer valid", extra={"rule": rule.code})
        return None
    now = tools.clock.now()
    if not conditions.holds(rule.condition, facts=_facts(session, tools, person_id, reads), event=event,
                            today=now.date(), reads=reads):
        return None
    service = registry.get_service(session=session, service_id=rule.service_id)
    lacking = vault.required_of(session=session, service_id=service.id) - _held(session, tools, person_id, service.id)
    if lacking:
        # Proactive means asking nothing: a form government cannot fill is no offer (the person applies as usual).
        log.info("proactive offer not made: the vault lacks required values", extra={"rule": rule.code,
                                                                                       "missing": len(lacking)})
        return None
    expires_at = now + timedelta(days=rule.offer_days)
    offer = Offer(id=offer_id, rule_id=rule.id, person_id=person_id, agency_id=rule.agency_id,
                  service_id=service.id, trigger_ref=trigger_ref, status=OfferStatus.OFFERED,
                  fields=vault.form_of(session=session, service_id=service.id), consent_id=None,
                  why=rule.reason, offered_at=now, expires_at=expires_at)
    try:
        with session.begin_nested():
            session.add(offer)
            session.flush()
    except IntegrityError:
        return None  # another delivery of the same event made it first
    if rule.consent_attributes:
        offer.consent_id = consent_service.request_consent(
            session=session, requester_agency_id=rule.agency_id, clock=tools.clock, signer=tools.signer,
            data=ConsentCreate(subject_id=person_id, attributes=rule.consent_attributes,
                               purpose=Purpose.SERVICE_PROVISION, one_off=True, valid_until=expires_at,
                               purpose_text=f"To decide your application for {service.name} without asking "
                                            "you for what other agencies already hold.",
                               language=_language(session, person_id, tools.clock))).id
        session.flush()
    why_keys = reads | ({event["attribute"]} if event.get("attribute") else set())
    publish(session, offer_notice(session=session, offer=offer, why_keys=why_keys))
    return offer


def offer_notice(*, session: Session, offer: Offer, why_keys: set[str]) -> NotificationRequested:
    """The message that brings an offer to its person: by name, in their language, saying why and with what data."""
    service = registry.get_service(session=session, service_id=offer.service_id)
    names = registry.attribute_names(session=session, wanted=why_keys)
    return NotificationRequested(
        person_id=offer.person_id, template_key=OFFER_TEMPLATE, why_rule=offer.why,
        facts={"service_name": service.name, "agency_name": _agency_name(session, offer.agency_id),
               "offer_url": OFFERS_PAGE, "expires_on": offer.expires_at.date().isoformat()},
        why_data=tuple(sorted(names.get(k, k) for k in why_keys)),
        dedup_key=f"{OFFER_TEMPLATE}:{offer.id}", sender_agency_id=offer.agency_id)


def _agency_name(session: Session, agency_id: UUID) -> str:
    return registry.agency_names(session=session, wanted=(agency_id,))[agency_id]


def _fact_ref(attribute_key: str, value: str) -> str:
    # The same value recorded again is the same event (a correction of its evidence, a reload):
    # named by a hash, so the offer table never holds the value itself.
    return "fact:" + hashlib.sha256(f"{attribute_key}\x00{value}".encode()).hexdigest()[:40]


def offers_for_fact(*, session: Session, event: FactRecorded, tools: Tools) -> list[Offer]:
    """Make the offers a recorded fact calls for."""
    rules = list(session.scalars(select(ProactiveRule).where(
        ProactiveRule.active.is_(True), ProactiveRule.trigger == Trigger.FACT_RECORDED,
        ProactiveRule.trigger_key == event.attribute_key).order_by(ProactiveRule.code)))
    if not rules:
        return []
    attribute = vault.catalogue(session=session).get(event.attribute_key)
    if attribute is None or attribute.subject_kind is not SubjectKind.PERSON:
        return []
    versions = {f.id: f.value for f in vault.fact_history(session=session, cipher=tools.cipher,
                                                          subject_id=event.subject_id,
                                                          attribute_key=event.attribute_key)}
    value = versions.get(event.fact_id)
    if value is None:
        return []
    previous = versions.get(event.previous_fact_id) if event.previous_fact_id else None
    if previous is not None and previous == value:
        return []  # nothing changed: the same value recorded again
    context = {"attribute": event.attribute_key, "value": typed(value, attribute),
               "previous": typed(previous, attribute)}
    ref = _fact_ref(event.attribute_key, value)
    made = [offer_if_due(session=session, rule=rule, person_id=event.subject_id, trigger_ref=ref, event=context,
                         tools=tools) for rule in rules]
    return [o for o in made if o is not None]


def offers_for_resolved_case(*, session: Session, event: CaseStatusChanged, tools: Tools) -> list[Offer]:
    """Make the offers a resolved case calls for (a service done often leads to the next one)."""
    if event.status != "resolved" or event.person_id is None:
        return []
    code = registry.get_service(session=session, service_id=event.service_id).code
    rules = session.scalars(select(ProactiveRule).where(
        ProactiveRule.active.is_(True), ProactiveRule.trigger == Trigger.CASE_RESOLVED,
        ProactiveRule.trigger_key == code).order_by(ProactiveRule.code))
    made = [offer_if_due(session=session, rule=rule, person_id=event.person_id, trigger_ref=f"case:{event.case_id}",
                         event={"service": code, "status": event.status}, tools=tools) for rule in rules]
    return [o for o in made if o is not None]


WATCH = "journey_events"
WATCH_OVERLAP = timedelta(minutes=5)  # events committed late by a slow batch are still read


def offers_for_journey_events(*, session: Session, tools: Tools, limit: int = 5000) -> int:
    """Read the touchpoint events received since the last look and make the offers journey rules call for.

    Touchpoint events arrive in batches of thousands through Core, so they are watched, not published one by
    one: each look reads from a little before where the last one stopped (an offer's id makes a second
    look at the same event harmless). Returns how many offers were made.
    """
    rules = list(session.scalars(select(ProactiveRule).where(
        ProactiveRule.active.is_(True), ProactiveRule.trigger == Trigger.JOURNEY_EVENT).order_by(ProactiveRule.code)))
    mark = session.get(JourneyWatermark, WATCH)
    if mark is None:
        mark = JourneyWatermark(name=WATCH, seen_until=tools.clock.now())
        session.add(mark)
        session.flush()
        return 0
    if not rules:
        mark.seen_until = tools.clock.now()
        return 0
    journeys_by_id = {j.id: j for j in journeys.list_journey_maps(session=session)}
    touchpoints = {t.id: t.key for j in journeys_by_id.values() for t in j.touchpoints}
    wanted = {r.trigger_key.partition("/")[0] for r in rules}
    ids = [i for i, j in journeys_by_id.items() if j.key in wanted]
    rows = session.execute(select(TouchpointEvent.id, TouchpointEvent.person_id, TouchpointEvent.journey_id,
                                  TouchpointEvent.touchpoint_id, TouchpointEvent.type, TouchpointEvent.received_at)
                           .where(TouchpointEvent.journey_id.in_(ids), TouchpointEvent.person_id.is_not(None),
                                  TouchpointEvent.received_at > mark.seen_until - WATCH_OVERLAP)
                           .order_by(TouchpointEvent.received_at).limit(limit)).all()
    made = 0
    for row in rows:
        journey_key = journeys_by_id[row.journey_id].key
        point = touchpoints.get(row.touchpoint_id) if row.touchpoint_id else None
        keys = {journey_key, f"{journey_key}/{point}"} if point else {journey_key}
        event = {"journey": journey_key, "touchpoint": point, "type": EventType(row.type).value}
        for rule in (r for r in rules if r.trigger_key in keys):
            made += offer_if_due(session=session, rule=rule, person_id=row.person_id, tools=tools,
                                 trigger_ref=f"journey:{row.id}", event=event) is not None
    if rows:
        mark.seen_until = max(mark.seen_until, rows[-1].received_at)
    return made


class JourneyWatch:
    """A job of the background loop: look at new touchpoint events for journey rules, in its own unit of work."""

    def __init__(self, *, session_factory: sessionmaker[Session], clock: Clock, settings: Settings) -> None:
        self.factory = session_factory
        self.tools = Tools.of(clock=clock, settings=settings)

    def drain(self) -> dict[str, int]:
        with unit_of_work(self.factory) as session:
            return {"offers": offers_for_journey_events(session=session, tools=self.tools)}


class Reactions:
    """Durable handlers: each opens its own unit of work after the triggering change committed."""

    def __init__(self, *, session_factory: sessionmaker[Session], clock: Clock, settings: Settings) -> None:
        self.factory = session_factory
        self.tools = Tools.of(clock=clock, settings=settings)

    @classmethod
    def install(cls, *, session_factory: sessionmaker[Session], clock: Clock, settings: Settings) -> Reactions:
        """Subscribe one app's handlers under their stable keys."""
        from govcx.core import events

        reactions = cls(session_factory=session_factory, clock=clock, settings=settings)
        events.subscribe(FactRecorded, reactions.on_fact_recorded, key="proactive.fact_recorded")
        events.subscribe(CaseStatusChanged, reactions.on_case_status_changed, key="proactive.case_resolved")
        return reactions

    def on_fact_recorded(self, event: FactRecorded) -> None:
        with unit_of_work(self.factory) as session:
            offers_for_fact(session=session, event=event, tools=self.tools)

    def on_case_status_changed(self, event: CaseStatusChanged) -> None:
        with unit_of_work(self.factory) as session:
            offers_for_resolved_case(session=session, event=event, tools=self.tools)


# The person's side -----------------------------------------------------------------------------


def _expire_if_due(offer: Offer, now: datetime) -> None:
    if offer.status is OfferStatus.OFFERED and offer.expires_at <= now:
        offer.status, offer.decided_at = OfferStatus.EXPIRED, offer.expires_at


def expire_due(*, session: Session, clock: Clock) -> int:
    """Mark every offer past its time as expired; return how many."""
    now = clock.now()
    return session.execute(update(Offer).where(Offer.status == OfferStatus.OFFERED, Offer.expires_at <= now)
                           .values(status=OfferStatus.EXPIRED, decided_at=Offer.expires_at)
                           .execution_options(synchronize_session=False)).rowcount


def _own_offer(session: Session, offer_id: UUID, person_id: UUID) -> Offer:
    offer = session.get(Offer, offer_id)
    if offer is None or offer.person_id != person_id:
        raise NotFound("No such offer of yours.")
    return offer


def _consent_of(session: Session, offer: Offer, tools: Tools):  # noqa: ANN202
    if offer.consent_id is None:
        return None
    return consent_service.get_for_subject(session=session, consent_id=offer.consent_id, person_id=offer.person_id,
                                           clock=tools.clock, signer=tools.signer)


def _decide(session: Session, offer_id: UUID, person_id: UUID, tools: Tools, *, verb: str,
            consent_action: ConsentAction) -> Offer:
    """Load the person's open offer and answer the consent it asks for the way they answered the offer."""
    offer = _own_offer(session, offer_id, person_id)
    _expire_if_due(offer, tools.clock.now())
    if offer.status is not OfferStatus.OFFERED:
        raise Conflict(f"This offer is {offer.status.value}; it can no longer be {verb}.",
                       offer_status=offer.status.value)
    consent = _consent_of(session, offer, tools)
    if consent is not None and consent.status is ConsentStatus.REQUESTED:
        consent_service.act(session=session, consent_id=consent.id, action=consent_action, clock=tools.clock,
                            signer=tools.signer, person_id=person_id)
    return offer


def accept(*, session: Session, offer_id: UUID, person_id: UUID, tools: Tools) -> Offer:
    """Accept an offer: give the consent it asks for and file the prefilled application as a case.

    The application is filed through the CRM with no answers typed: every value comes from the vault.
    """
    offer = _decide(session, offer_id, person_id, tools, verb="accepted", consent_action=ConsentAction.GIVE)
    case = crm_applications.file_application(session=session, clock=tools.clock, cipher=tools.cipher, person_id=person_id,
                                service_id=offer.service_id, answers={},
                                message=f"Accepted from a proactive offer: {offer.why}")
    offer.status, offer.decided_at, offer.case_id = OfferStatus.ACCEPTED, tools.clock.now(), case.id
    session.flush()
    return offer


def decline(*, session: Session, offer_id: UUID, person_id: UUID, tools: Tools) -> Offer:
    """Decline an offer: it is remembered, and the same event never brings it back."""
    offer = _decide(session, offer_id, person_id, tools, verb="declined", consent_action=ConsentAction.REFUSE)
    offer.status, offer.decided_at = OfferStatus.DECLINED, tools.clock.now()
    session.flush()
    return offer


def offers_of(*, session: Session, person_id: UUID, tools: Tools) -> list[schemas.OfferRead]:
    """A person's offers, newest first, each with its prefilled values and the consent it asks for."""
    offers = list(session.scalars(select(Offer).where(Offer.person_id == person_id)
                                  .order_by(Offer.offered_at.desc(), Offer.id)))
    return _read_offers(session, offers, tools)


def offer_of(*, session: Session, offer_id: UUID, person_id: UUID, tools: Tools) -> schemas.OfferRead:
    """One of the person's offers, as `offers_of` shows it."""
    return _read_offers(session, [_own_offer(session, offer_id, person_id)], tools)[0]


def _read_offers(session: Session, offers: list[Offer], tools: Tools) -> list[schemas.OfferRead]:
    now = tools.clock.now()
    rules = {r.id: r.code for r in session.scalars(select(ProactiveRule).where(
        ProactiveRule.id.in_({o.rule_id for o in offers})))}
    services = registry.service_names(session=session, wanted={o.service_id for o in offers})
    agencies = registry.agency_names(session=session, wanted={o.agency_id for o in offers})
    read = []
    for offer in offers:
        _expire_if_due(offer, now)
        prefilled, missing = [], []
        if offer.status is OfferStatus.OFFERED:
            prefill = vault.prefill(session=session, cipher=tools.cipher, clock=tools.clock,
                                    service_id=offer.service_id, person_id=offer.person_id)
            prefilled = [schemas.PrefilledValue(attribute_key=v.attribute_key, attribute_name=v.attribute_name,
                                                value=v.value, source_name=v.source_name) for v in prefill.known]
            missing = list(prefill.missing)
        consent = _consent_of(session, offer, tools)
        read.append(schemas.OfferRead(
            id=offer.id, rule_code=rules.get(offer.rule_id, ""), service_id=offer.service_id,
            service_name=services.get(offer.service_id, ""), agency_name=agencies.get(offer.agency_id, ""),
            status=offer.status, why=offer.why, offered_at=offer.offered_at, expires_at=offer.expires_at,
            decided_at=offer.decided_at, case_id=offer.case_id, prefilled=prefilled, missing=missing,
            consent=None if consent is None else schemas.ConsentAsked(
                consent_id=consent.id, status=consent.status.value, purpose_text=consent.purpose_text,
                attributes=[registry.attribute_names(session=session, wanted=consent.attributes).get(a, a)
                            for a in consent.attributes]),
        ))
    session.flush()
    return read


def life_events_of(*, session: Session, person_id: UUID, language: str) -> list[schemas.LifeEventProgress]:
    """The person's life events under way: the stage reached, the agencies so far and the services that come next."""
    instances = session.scalars(select(JourneyInstance).where(
        JourneyInstance.person_id == person_id, JourneyInstance.status == InstanceStatus.ACTIVE)
        .order_by(JourneyInstance.started_at.desc()))
    agencies = {a.code: a.name for a in registry.all_agencies(session=session)}
    progress = []
    for instance in instances:
        life_event = session.get(LifeEvent, instance.life_event_id)
        definition = journeys.definition_of(life_event)
        stages = definition.stages
        number = next((i for i, s in enumerate(stages) if s.key == instance.current_stage), 0)
        done = set(instance.services_done)
        next_codes = _next_services(stages[number:], done)
        names = {s.code: s.name for s in map(lambda code: registry.get_service_by_code(session=session, code=code),
                                                next_codes) if s is not None}
        progress.append(schemas.LifeEventProgress(
            key=definition.key, name=getattr(definition.names, language, definition.names.en),
            status=instance.status.value, stage_name=getattr(stages[number].names, language, stages[number].names.en),
            stage_number=number + 1, stage_count=len(stages),
            agencies=[agencies.get(code, code) for code in instance.agencies],
            next_steps=[names.get(code, code) for code in next_codes], started_at=instance.started_at))
    return progress


def _next_services(stages: list[Any], done: set[str]) -> list[str]:
    # What the person can do now: the first stage with something left, its services not done whose
    # prerequisites are.
    for stage in stages:
        ready = [s.service for s in stage.services if s.service not in done and set(s.depends_on) <= done]
        if ready:
            return ready
    return []


# The CX team's side ----------------------------------------------------------------------------


def offer_summary(*, session: Session, clock: Clock, threshold: int, agency_id: UUID | None) -> schemas.OfferSummary:
    """Offers made, accepted, declined, expired and waiting, by rule; counts below `threshold` are withheld."""
    expire_due(session=session, clock=clock)
    stmt = select(Offer.rule_id, Offer.status, func.count()).group_by(Offer.rule_id, Offer.status)
    if agency_id is not None:
        stmt = stmt.where(Offer.agency_id == agency_id)
    counts: dict[UUID, Counter[str]] = {}
    for rule_id, status, n in session.execute(stmt):
        counts.setdefault(rule_id, Counter())[OfferStatus(status).value] = n
    rules = list_rules(session=session, agency_id=agency_id)
    services = registry.service_names(session=session, wanted={r.service_id for r in rules})

    def shown(n: int) -> int | None:
        return n if n >= threshold else None

    return schemas.OfferSummary(threshold=threshold, rules=[
        schemas.OfferCounts(
            rule_id=rule.id, rule_code=rule.code, rule_name=rule.name, service_name=services.get(rule.service_id, ""),
            made=shown(sum(c.values())), accepted=shown(c["accepted"]), declined=shown(c["declined"]),
            expired=shown(c["expired"]), waiting=shown(c["offered"]))
        for rule in rules for c in [counts.get(rule.id, Counter())]
    ])
