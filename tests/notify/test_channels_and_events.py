"""Other ways in and out: events from other domains, the SMS sender, and the worker inside `govcx serve`."""

from __future__ import annotations

import json
import time

from sqlalchemy import select
from starlette.testclient import TestClient

from govcx.app import create_app
from govcx.core import events
from govcx.notify import service
from govcx.notify.events import NotificationRequested
from govcx.notify.models import Message, MessageStatus, NotifyChannel
from govcx.registry import schemas as registry_schemas
from govcx.registry import service as registry
from tests.factories import notify as f


def test_another_domain_reaches_a_person_by_publishing_an_event(app, uow, cast, templates):
    with uow() as session:
        events.publish(session, NotificationRequested(
            person_id=cast.ana.id, template_key="case.updated", why_rule="You filed this request.",
            facts={"case_reference": "SR-1", "case_status": "resolved", "agency_name": "Tax Agency"},
            dedup_key="case-SR-1-resolved"))

    with uow() as session:
        [message] = session.scalars(select(Message)).all()
    assert message.subject == "Your request SR-1 is now resolved"
    assert message.why_rule == "You filed this request."


def test_a_text_message_goes_through_the_sms_sender(uow, clock, settings, cast, templates, worker):
    with uow() as session:
        registry.update_person(session=session, person_id=cast.ana.id, clock=clock,
                               data=registry_schemas.PersonUpdate(phone="+15550100"))
        f.preferences(session, clock, cast.ana.id, channels=(NotifyChannel.SMS, NotifyChannel.EMAIL))
    with uow() as session:
        service.send(session=session, clock=clock, settings=settings, person_id=cast.ana.id, template_key=f.RENEWAL,
               facts=f.RENEWAL_FACTS, why=f.why())

    worker.drain()

    [line] = (settings.data_dir / "sms-outbox.jsonl").read_text().splitlines()
    assert json.loads(line)["to"] == "+15550100"
    assert json.loads(line)["text"].startswith("driving licence expires on 2026-04-30: Hello Ana,")


def test_serve_drains_the_outbox_in_a_background_thread_when_asked(uow, clock, settings, cast, templates):
    settings.worker_in_serve, settings.worker_poll_s = True, 0.05
    with uow() as session:
        sent = service.send(
            session=session, clock=clock, settings=settings, person_id=cast.ana.id, template_key=f.RENEWAL,
            facts=f.RENEWAL_FACTS, why=f.why())

    with TestClient(create_app(settings, clock=clock)):
        deadline = time.monotonic() + 20
        while True:
            with uow() as session:
                status = session.get(Message, sent.id).status
            if status is MessageStatus.SENT or time.monotonic() > deadline:
                break
            time.sleep(0.05)

    assert status is MessageStatus.SENT
