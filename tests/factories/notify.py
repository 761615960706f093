"""Notification preferences, templates and rules built through the real services, for tests."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.orm import Session

from govcx.core.clock import Clock
from govcx.notify import defaults, recommend, schemas, service
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
