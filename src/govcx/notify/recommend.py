"""Recommendations: services a person is likely to need next, only from data they consented to share.

A rule fires when every attribute it reads is covered by an ACTIVE consent of the person for
`ServicePersonalisation` and the person's current facts match. What people in the same situation
used next (co-occurrence in the history) is then offered beside it, carrying the same reasons, so
withdrawing the consent removes both. The portal, e-mails and the staff page all call
`recommendations_for`, so every channel agrees.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from govcx.consent import service as consent
from govcx.consent.models import Purpose
from govcx.core.clock import Clock
from govcx.core.config import Settings
from govcx.core.crypto import FieldCipher
from govcx.core.errors import Conflict, Invalid
from govcx.exchange import service as exchange
from govcx.notify import schemas, service
from govcx.notify.models import Message, RecommendationRule
from govcx.registry import service as registry
from govcx.vault import service as vault

PURPOSE = Purpose.SERVICE_PERSONALISATION
ALSO_USED_SHOWN = 2


def create_rule(*, session: Session, data: schemas.RuleCreate, clock: Clock) -> RecommendationRule:
    """Add a rule that recommends a catalogue service when a person's consented facts match."""
    registry.get_service(session=session, service_id=data.service_id)
    unknown = sorted(set(data.when) - set(vault.catalogue(session=session)))
    if unknown:
        raise Invalid(f"Not in the data catalogue: {', '.join(unknown)}.")
    if session.scalars(select(RecommendationRule.id).where(RecommendationRule.code == data.code)).first():
        raise Conflict(f"A recommendation rule {data.code!r} already exists.")
    rule = RecommendationRule(**data.model_dump(), created_at=clock.now())
    session.add(rule)
    session.flush()
    return rule


def co_occurrence(uses: Iterable[tuple[UUID, UUID]]) -> dict[UUID, Counter[UUID]]:
    """For each service, how many people who used it also used each other service.

    The one place the history is aggregated: an analytics store can replace this function.
    """
    by_person: dict[UUID, set[UUID]] = defaultdict(set)
    for person_id, service_id in uses:
        by_person[person_id].add(service_id)
    together: dict[UUID, Counter[UUID]] = defaultdict(Counter)
    for services in by_person.values():
        for a in services:
            for b in services:
                if a != b:
                    together[a][b] += 1
    return together


def people_also_used(*, session: Session) -> dict[UUID, Counter[UUID]]:
    """Co-occurrence of services in the exchange history (who was served by which services)."""
    return co_occurrence(exchange.service_uses(session=session))


def recommendations_for(
    *, session: Session, clock: Clock, cipher: FieldCipher, person_id: UUID, threshold: int,
    together: dict[UUID, Counter[UUID]] | None = None, for_agency_id: UUID | None = None,
) -> list[schemas.RecommendationRead]:
    """The services to suggest to one person, each with the data and the rule or consent behind it.

    For the person themselves (and platform administrators) every consent counts. Shown to an agency
    (`for_agency_id`), only what consents naming that agency as a recipient allow: a suggestion computed
    from data shared with another agency would tell this one what it was never given.
    """
    prefs = service.preferences_of(session=session, person_id=person_id, clock=clock)
    covered = consent.active_attributes(session=session, subject_id=person_id, purpose=PURPOSE, clock=clock,
                                        recipient_agency_id=for_agency_id)
    rules = [r for r in session.scalars(select(RecommendationRule).order_by(RecommendationRule.code))
             if r.code not in prefs.muted_rules and set(r.when) <= set(covered)]
    if not rules:
        return []
    wanted = sorted({k for r in rules for k in r.when})
    # Only consented attributes are ever read.
    facts = {f.attribute_key: f for f in vault.current_facts(session=session, cipher=cipher, subject_id=person_id,
                                                             keys=wanted)}
    names = {f.attribute_key: f.attribute_name for f in facts.values()}
    picked: dict[UUID, schemas.RecommendationRead] = {}
    for rule in rules:
        if not all(k in facts and (not ok or facts[k].value in ok) for k, ok in rule.when.items()):
            continue
        why_data = [names[k] for k in sorted(rule.when)]
        consents = sorted({covered[k] for k in rule.when})
        svc = registry.get_service(session=session, service_id=rule.service_id)
        picked.setdefault(svc.id, schemas.RecommendationRead(
            service_id=svc.id, service_code=svc.code, service_name=svc.name, rule_code=rule.code,
            why_data=why_data, why_rule=f"{rule.reason} You consented to share this to get suggestions.",
            consent_ids=consents))
    if together is None:
        together = people_also_used(session=session)
    for anchor in list(picked.values()):
        for other_id, count in together.get(anchor.service_id, Counter()).most_common():
            if count < threshold or len([r for r in picked.values() if r.also_used_by]) >= ALSO_USED_SHOWN:
                break  # groups smaller than the suppression threshold say too much about too few
            if other_id in picked:
                continue
            other = registry.get_service(session=session, service_id=other_id)
            picked[other.id] = anchor.model_copy(update={
                "service_id": other.id, "service_code": other.code, "service_name": other.name,
                "also_used_by": count,
                "why_rule": f"{count} people who used {anchor.service_name} also used this. " + anchor.why_rule,
            })
    return list(picked.values())


DIGEST = "recommendations.digest"


def send_recommendations(
    *, session: Session, clock: Clock, settings: Settings, cipher: FieldCipher, person_id: UUID,
) -> Message | None:
    """E-mail (or otherwise send) the person the same suggestions the portal shows; None when there are none."""
    recs = recommendations_for(session=session, clock=clock, cipher=cipher, person_id=person_id,
                               threshold=settings.suppression_threshold)
    if not recs:
        return None
    why = schemas.Why(
        data=sorted({d for r in recs for d in r.why_data}),
        rule="Suggestions from the data you consented to share for personalised services.",
        consent_ids=sorted({c for r in recs for c in r.consent_ids}),
    )
    listed = ",".join(sorted(r.service_code for r in recs))
    return service.send(session=session, clock=clock, settings=settings, person_id=person_id, template_key=DIGEST,
                        facts={"recommendations": [r.model_dump() for r in recs]}, why=why,
                        dedup_key=f"{DIGEST}:{clock.now():%Y-%m-%d}:{listed}")
