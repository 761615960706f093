"""The background side of notify: the outbox worker loop and reactions to other domains' events.

Jobs take ids and open their own unit of work (DESIGN §6.9). `Worker.drain` is one of the jobs of the
background loop (`govcx.core.background`) that `govcx worker` and the embedded `govcx serve` run.
Every reaction here is durable and idempotent (a redelivery after a crash changes nothing): a
requested notification carries its dedup key, and cancelling for a consent twice cancels nothing more.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from govcx.core.clock import Clock
from govcx.core.config import Settings
from govcx.core.db import unit_of_work
from govcx.core.errors import ProblemError
from govcx.notify import outbox, schemas, service
from govcx.notify.events import NotificationRequested
from govcx.notify.models import MessageStatus
from govcx.notify.senders import Senders

log = logging.getLogger(__name__)


class Worker:
    """Drains the outbox: claim a batch, hand it over (one SMTP connection) and record its answers, repeat."""

    def __init__(self, *, session_factory: sessionmaker[Session], clock: Clock, settings: Settings,
                 senders: Senders | None = None) -> None:
        self.session_factory, self.clock, self.settings = session_factory, clock, settings
        self.senders = senders or Senders.from_settings(settings)

    def drain(self) -> dict[str, int]:
        """Deliver every message due now; return how many ended in each status."""
        counts: dict[str, int] = {}
        while True:
            with unit_of_work(self.session_factory) as session:
                batch = outbox.claim(session=session, clock=self.clock, settings=self.settings,
                                     limit=self.settings.worker_batch)
            if not batch.ids:
                return counts
            self._pause_for_crash_test()
            with unit_of_work(self.session_factory) as session:
                done = outbox.hand_over(session=session, clock=self.clock, settings=self.settings,
                                        senders=self.senders, batch=batch)
            for status, n in done.items():
                counts[status] = counts.get(status, 0) + n

    def _pause_for_crash_test(self) -> None:
        marker = self.settings.worker_pause_after_claim
        if marker is not None:
            marker.write_text("claimed")
            while True:  # the crash test kills this process here, between accepting and sending
                time.sleep(1)


class Reactions:
    """Handlers for other domains' events, each in its own unit of work after their commit."""

    def __init__(self, *, session_factory: sessionmaker[Session], clock: Clock, settings: Settings) -> None:
        self.session_factory, self.clock, self.settings = session_factory, clock, settings

    @classmethod
    def install(cls, *, session_factory: sessionmaker[Session], clock: Clock, settings: Settings) -> Reactions:
        """Subscribe one app's handlers; keyed, so a newer app's replace an older one's."""
        from govcx.consent.events import ConsentChanged
        from govcx.core import events

        reactions = cls(session_factory=session_factory, clock=clock, settings=settings)
        events.subscribe(NotificationRequested, reactions.on_notification_requested, key="notify.requested")
        events.subscribe(ConsentChanged, reactions.on_consent_changed, key="notify.consent_changed")
        return reactions

    def on_notification_requested(self, event: NotificationRequested) -> None:
        try:
            with unit_of_work(self.session_factory) as session:
                message = service.send(
                    session=session, clock=self.clock, settings=self.settings, person_id=event.person_id,
                    template_key=event.template_key, facts=event.facts, dedup_key=event.dedup_key,
                    sender_agency_id=event.sender_agency_id,
                    why=schemas.Why(data=list(event.why_data), rule=event.why_rule,
                                    consent_ids=list(event.consent_ids)),
                )
                if message.status is MessageStatus.SKIPPED:
                    log.info("requested notification skipped", extra={"message_id": str(message.id)})
        except ProblemError:
            # The asking domain has committed already; a bad request is logged, it cannot be refused.
            log.exception("notification request refused", extra={"template": event.template_key})

    def on_consent_changed(self, event: Any) -> None:
        # A paused, withdrawn or revoked consent no longer allows what it caused to go out.
        if event.status == "active":
            return
        with unit_of_work(self.session_factory) as session:
            service.cancel_for_consent(session=session, person_id=event.subject_id, consent_id=event.consent_id,
                                       status=event.status)

