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
from govcx.crm import service as crm
from govcx.crm import schemas as crm_schemas
from govcx.crm.events import CaseStatusChanged
from govcx.journeys.proactive import conditions, schemas
from govcx.journeys.proactive.models import Offer, OfferStatus, ProactiveRule, Trigger
from govcx.notify.events import NotificationRequested
from govcx.registry import service as registry
from govcx.registry.models import Channel, DataAttribute, SubjectKind, ValueType
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
    unknown = sorted(k for k in consent_attributes if k not in known)
    if unknown:
        raise Invalid(f"Not in the data catalogue: {', '.join(unknown)}.", field="consent_attributes")


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
    expires_at = now + timedelta(days=rule.offer_days)
    consent_id = None
    if rule.consent_attributes:
        consent = consent_service.request_consent(
            session=session, requester_agency_id=rule.agency_id, clock=tools.clock, signer=tools.signer,
            data=ConsentCreate(subject_id=person_id, attributes=rule.consent_attributes,
                               purpose=Purpose.SERVICE_PROVISION, one_off=True, valid_until=expires_at,
                               purpose_text=f"To decide your application for {service.name} without asking "
                                            "you for what other agencies already hold.",
                               language=_language(session, person_id, tools.clock)))
        consent_id = consent.id
    offer = Offer(id=offer_id, rule_id=rule.id, person_id=person_id, agency_id=rule.agency_id,
                  service_id=service.id, trigger_ref=trigger_ref, status=OfferStatus.OFFERED,
                  fields=vault.form_of(session=session, service_id=service.id), consent_id=consent_id,
                  why=rule.reason, offered_at=now, expires_at=expires_at)
    try:
        with session.begin_nested():
            session.add(offer)
            session.flush()
    except IntegrityError:
        return None  # another delivery of the same event made it first
    attribute_names = registry.attribute_names(session=session, wanted=reads | {event.get("attribute") or ""})
    publish(session, NotificationRequested(
        person_id=person_id, template_key=OFFER_TEMPLATE, why_rule=rule.reason,
        facts={"service_name": service.name, "agency_name": _agency_name(session, rule.agency_id),
               "offer_url": OFFERS_PAGE, "expires_on": expires_at.date().isoformat()},
        why_data=tuple(sorted(n for k, n in attribute_names.items() if k)),
        dedup_key=f"{OFFER_TEMPLATE}:{offer.id}", sender_agency_id=rule.agency_id,
    ))
    return offer


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


def offers_for_journey_event(*, session: Session, person_id: UUID, journey_key: str, touchpoint_key: str | None,
                             event_type: str, event_ref: str, tools: Tools) -> list[Offer]:
    """Make the offers a journey event calls for: rules on the journey, or on one of its touchpoints."""
    keys = [journey_key] + ([f"{journey_key}/{touchpoint_key}"] if touchpoint_key else [])
    rules = session.scalars(select(ProactiveRule).where(
        ProactiveRule.active.is_(True), ProactiveRule.trigger == Trigger.JOURNEY_EVENT,
        ProactiveRule.trigger_key.in_(keys)).order_by(ProactiveRule.code))
    context = {"journey": journey_key, "touchpoint": touchpoint_key, "type": event_type}
    made = [offer_if_due(session=session, rule=rule, person_id=person_id, trigger_ref=f"journey:{event_ref}",
                         event=context, tools=tools) for rule in rules]
    return [o for o in made if o is not None]


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
    """Accept an offer: give the consent it asks for and file the prefilled application as a case."""
    offer = _decide(session, offer_id, person_id, tools, verb="accepted", consent_action=ConsentAction.GIVE)
    prefill = vault.prefill(session=session, cipher=tools.cipher, clock=tools.clock, service_id=offer.service_id,
                            person_id=person_id)
    case = file_application(session=session, offer=offer, answers={v.attribute_key: v.value for v in prefill.known},
                            names={v.attribute_key: v.attribute_name for v in prefill.known}, clock=tools.clock)
    offer.status, offer.decided_at, offer.case_id = OfferStatus.ACCEPTED, tools.clock.now(), case.id
    session.flush()
    return offer


def file_application(*, session: Session, offer: Offer, answers: dict[str, str], names: dict[str, str],
                     clock: Clock):  # noqa: ANN201
    """File the application at the offering agency with the values government already held."""
    service_name = registry.get_service(session=session, service_id=offer.service_id).name
    given = "\n".join(f"- {names[k]}: {v}" for k, v in answers.items())
    description = (f"Application for {service_name}, accepted from a proactive offer. "
                   f"Values from government records, confirmed by the applicant:\n{given or '- none needed'}")
    return crm.open_case(session=session, agency_id=offer.agency_id, staff_id=None, clock=clock,
                         data=crm_schemas.CaseCreate(service_id=offer.service_id, person_id=offer.person_id,
                                                     description=description, channel=Channel.WEB))


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
                                    service_id=offer.service_id, person_id=person_id)
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
