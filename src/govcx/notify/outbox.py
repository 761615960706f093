"""The durable outbox: workers claim due messages under a lease, deliver them, and record the answer.

Delivery guarantee, honestly: **at least once, and exactly once unless the process dies in a window
of milliseconds.** A message is claimed (status `sending`, a lease token, attempts + 1) in one
committed transaction; it is handed to the channel; the channel's answer and `sent` are committed in
the next. A crash before the hand-over leaves a claimed row whose lease runs out, and the next
worker sends it: nothing is lost and nothing was sent twice. A crash after the SMTP server said 250
but before the `sent` commit will send it again when the lease runs out: SMTP has no two-phase
commit, so no outbox can close that window. The e-mail keeps the same Message-ID on every attempt
so the receiving side can drop the duplicate.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from uuid import UUID

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from govcx.core.clock import Clock
from govcx.core.config import Settings
from govcx.notify.models import Message, MessageStatus
from govcx.notify.senders import DeliveryFailed, Senders, Undeliverable
from govcx.registry import service as registry

log = logging.getLogger(__name__)


def claim(*, session: Session, clock: Clock, settings: Settings, limit: int) -> list[tuple[UUID, str]]:
    """Claim up to `limit` due messages for this worker; return (id, lease token) pairs."""
    now = clock.now()
    due = or_(
        and_(Message.status == MessageStatus.QUEUED, Message.not_before <= now),
        # A claim whose lease ran out belongs to a worker that died: take it over.
        and_(Message.status == MessageStatus.SENDING, Message.lease_until < now),
    )
    stmt = select(Message.id, Message.status, Message.lease_token, Message.attempts).where(due).order_by(
        Message.not_before).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        # Rows another worker holds are passed over, so any number of workers run side by side.
        stmt = stmt.with_for_update(skip_locked=True)
    claimed = []
    for message_id, status, token, attempts in session.execute(stmt).all():
        mine = secrets.token_hex(16)
        if attempts >= settings.notify_max_attempts:
            values = {"status": MessageStatus.FAILED, "lease_token": None, "lease_until": None,
                      "last_error": "the worker died during the last attempt"}
        else:
            values = {"status": MessageStatus.SENDING, "lease_token": mine, "attempts": attempts + 1,
                      "lease_until": now + timedelta(seconds=settings.notify_lease_s)}
        # Compare-and-set: on SQLite (no SKIP LOCKED) two workers may read the same row; one update wins.
        won = session.execute(update(Message).where(
            Message.id == message_id, Message.status == status,
            Message.lease_token.is_(None) if token is None else Message.lease_token == token,
        ).values(**values).execution_options(synchronize_session=False)).rowcount
        if won and values["status"] is MessageStatus.SENDING:
            claimed.append((message_id, mine))
    return claimed


def deliver(*, session: Session, clock: Clock, settings: Settings, senders: Senders, message_id: UUID,
            token: str) -> MessageStatus | None:
    """Send one claimed message and record the channel's answer in the same unit of work."""
    # Locked while sending (PostgreSQL): a worker that finds our lease expired skips the row, not doubles it.
    message = session.get(Message, message_id, with_for_update=True)
    if message is None or message.status is not MessageStatus.SENDING or message.lease_token != token:
        return None  # another worker took it over after our lease ran out
    person = registry.get_person(session=session, person_id=message.person_id)
    now = clock.now()
    try:
        answer = senders.deliver(message, person)
    except Undeliverable as exc:
        # Retrying cannot help: this message fails alone, with its reason, and the batch goes on.
        _fail(message, str(exc))
        log.warning("message cannot be built", extra={"message_id": str(message.id)})
    except DeliveryFailed as exc:
        message.last_error = str(exc)[:2000]
        message.lease_token, message.lease_until = None, None
        if message.attempts >= settings.notify_max_attempts:
            message.status = MessageStatus.FAILED
        else:
            message.status = MessageStatus.QUEUED
            message.not_before = now + timedelta(seconds=settings.notify_backoff_s * 2 ** (message.attempts - 1))
        log.warning("delivery failed", extra={"message_id": str(message.id), "attempt": message.attempts})
    else:
        message.status, message.sent_at, message.provider_answer = MessageStatus.SENT, now, answer[:2000]
        message.lease_token, message.lease_until, message.last_error = None, None, ""
    session.flush()
    return message.status


def _fail(message: Message, reason: str) -> None:
    message.status, message.last_error = MessageStatus.FAILED, reason[:2000]
    message.lease_token, message.lease_until = None, None


def fail_unexpectedly(*, session: Session, message_id: UUID, token: str, error: BaseException) -> None:
    """Record that delivering one message raised something no channel should; it fails alone."""
    message = session.get(Message, message_id, with_for_update=True)
    if message is None or message.status is not MessageStatus.SENDING or message.lease_token != token:
        return
    # The type only: an exception's text can carry the message's content.
    _fail(message, f"delivery raised {type(error).__name__}; the message was not sent")
    session.flush()
