"""The demo country's notifications: everyone has preferences, and the demo citizen's story holds together."""

from __future__ import annotations

from sqlalchemy import func, select

from govcx.core.clock import SystemClock
from govcx.notify import defaults, recommend, service
from govcx.notify.models import MessageStatus, NotificationPreference
from govcx.registry import service as registry
from tests.demo.conftest import PEOPLE


def test_everyone_in_the_demo_has_notification_preferences(demo, truth, uow):
    with uow() as session:
        stored = session.scalar(select(func.count()).select_from(NotificationPreference))

    assert stored == PEOPLE == truth["notify"]["people_with_preferences"]
    assert truth["notify"]["templates"] == len(defaults.default_templates())  # every shipped one, each language


def test_the_demo_citizen_has_messages_sent_and_the_recommendations_her_consent_allows(
        demo, truth, credentials, uow, cipher, settings):
    clock = SystemClock()  # the demo ran on the wall clock
    with uow() as session:
        person = registry.find_person_by_national_id(session=session, cipher=cipher,
                                                     national_id=credentials["citizen"]["national_id"])
        messages = service.latest_messages(session=session, person_id=person.id, limit=10)
        recs = recommend.recommendations_for(session=session, clock=clock, cipher=cipher, person_id=person.id,
                                             threshold=settings.suppression_threshold)

    assert {m.template_key for m in messages if m.status is MessageStatus.SENT} >= {
        "reminder.renewal", "case.updated"}
    assert sorted(r.service_code for r in recs) == truth["notify"]["citizen_recommendations"]
    assert all(r.why_data == ["Employment status"] for r in recs)
