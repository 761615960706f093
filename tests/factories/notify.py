"""Notification preferences, templates and rules built through the real services, for tests."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.orm import Session

from govcx.consent.models import Purpose
from govcx.core.clock import Clock
from govcx.core.config import Settings
from govcx.notify import defaults, recommend, schemas, service
from govcx.registry.models import Agency, Person
from govcx.notify.models import NotificationPreference, NotifyChannel, RecommendationRule, Topic

RENEWAL = "reminder.renewal"
RENEWAL_FACTS = {"document_name": "driving licence", "expiry_date": "2026-04-30"}


def templates(session: Session, clock: Clock) -> None:
    defaults.install_default_templates(session=session, clock=clock)


def preferences(
    session: Session, clock: Clock, person_id: UUID, *, channels: tuple[NotifyChannel, ...] = (NotifyChannel.EMAIL,),
    language: str = "en", opted_out: tuple[Topic, ...] = (), quiet: tuple[int, int] | None = None,
) -> NotificationPreference:
    return service.update_preferences(session=session, person_id=person_id, clock=clock, data=schemas.PreferenceUpdate(
        channels=list(channels), language=language, opted_out=list(opted_out),
        quiet_from=quiet[0] if quiet else None, quiet_until=quiet[1] if quiet else None,
    ))


def rule(session: Session, clock: Clock, *, code: str, service_id: UUID, when: dict[str, list[str]],
         reason: str = "You have a mortgage.") -> RecommendationRule:
    return recommend.create_rule(session=session, clock=clock, data=schemas.RuleCreate(
        code=code, service_id=service_id, when=when, reason=reason))


def why(rule: str = "You asked us to remind you before documents expire.") -> schemas.Why:
    return schemas.Why(data=["Driving licence"], rule=rule)


def citizen_messages(session: Session, clock: Clock, settings: Settings, *, person: Person, agency: Agency) -> None:
    """A person with an inbox message, a skipped one, and a recommendation from a consented fact (for page tests)."""
    from tests.factories import consent as consent_factories
    from tests.factories import registry as registry_factories

    templates(session, clock)
    preferences(session, clock, person.id, channels=(NotifyChannel.INBOX,), opted_out=(Topic.SURVEYS,))
    service.send(session=session, clock=clock, settings=settings, person_id=person.id, template_key=RENEWAL,
                 facts=RENEWAL_FACTS, why=why())
    service.send(session=session, clock=clock, settings=settings, person_id=person.id, template_key="survey.invitation",
                 facts={"service_name": "Claim a tax refund", "survey_url": "/survey/1"}, why=why("You used it."))
    svc = registry_factories.catalogue_service(session, clock, agency, code="INCOME-SUPPORT")
    rule(session, clock, code="income-support", service_id=svc.id, when={"tax.annual_income": []},
         reason="Your income may entitle you to support.")
    consent_factories.consent(session, clock, subject_id=person.id, requester_id=agency.id,
                              attributes=["tax.annual_income"], purpose=Purpose.SERVICE_PERSONALISATION)
