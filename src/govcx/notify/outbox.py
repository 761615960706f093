"""The durable outbox: workers claim due messages in batches under a lease, hand each batch over one
connection, and record the answers of a batch together.

Delivery guarantee, honestly: **at least once, and exactly once unless the process dies while a batch
is being handed over.** A batch is claimed (status `sending`, one lease token, attempts + 1) in one
committed statement. Its messages are then read again under a row lock (PostgreSQL), with the person's
current opt-outs, so a message cancelled or opted out of since it was accepted is not sent; they are
handed to their channels one by one over one SMTP connection; and every answer is written in the next
commit. A crash before the hand-over leaves claimed rows whose lease runs out, and the next worker sends
them: nothing is lost and nothing was sent twice. A crash during the hand-over (after the SMTP server
said 250 for some of the batch, before the commit) sends those again when the lease runs out: SMTP has
no two-phase commit, so no outbox can close that window; it lasts one batch's hand-over (tens of
milliseconds to a local relay). Every e-mail keeps the same Message-ID on every attempt so the
receiving side can drop the duplicate. While a batch is handed over its rows stay locked, so on
PostgreSQL a worker that finds the lease expired passes them over instead of sending them twice.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from govcx.core.clock import Clock
from govcx.core.config import Settings
from govcx.notify.models import Message, MessageStatus, NotificationPreference
from govcx.notify.senders import DeliveryFailed, Outgoing, Senders, Undeliverable
from govcx.registry.models import Person

log = logging.getLogger(__name__)

_message = Message.__table__


@dataclass(frozen=True)
class Batch:
    """Messages one worker claimed together: they share one lease token."""

    token: str
    ids: list[UUID]


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def claim(*, session: Session, clock: Clock, settings: Settings, limit: int) -> Batch:
    """Claim up to `limit` due messages for this worker, in one statement, under one lease token."""
    now, token = clock.now(), secrets.token_hex(16)
    # A claim whose lease ran out belongs to a worker that died: take it over, or give up after the last attempt.
    expired = and_(Message.status == MessageStatus.SENDING, Message.lease_until < now)
    dead = select(Message.id).where(expired, Message.attempts >= settings.notify_max_attempts).limit(limit)
    due = select(Message.id).where(
        or_(and_(Message.status == MessageStatus.QUEUED, Message.not_before <= now), expired),
        Message.attempts < settings.notify_max_attempts,
    ).order_by(Message.not_before).limit(limit)
    if _pg(session):
        # Rows another worker holds are passed over, so any number of workers run side by side.
        dead, due = dead.with_for_update(skip_locked=True), due.with_for_update(skip_locked=True)
    # One statement each: on SQLite it runs under the write lock, so two workers never claim one row.
    session.execute(update(Message).where(Message.id.in_(dead)).values(
        status=MessageStatus.FAILED, lease_token=None, lease_until=None,
        last_error="the worker died during the last attempt").execution_options(synchronize_session=False))
    ids = session.scalars(update(Message).where(Message.id.in_(due)).values(
        status=MessageStatus.SENDING, lease_token=token, attempts=Message.attempts + 1,
        lease_until=now + timedelta(seconds=settings.notify_lease_s),
    ).returning(Message.id).execution_options(synchronize_session=False)).all()
    return Batch(token=token, ids=list(ids))


_READ = (Message.id, Message.channel, Message.subject, Message.text_body, Message.html_body, Message.language,
         Person.given_name, Person.family_name, Person.email, Person.phone, Person.street_address,
         Person.postal_code, Person.locality)


def hand_over(*, session: Session, clock: Clock, settings: Settings, senders: Senders, batch: Batch
              ) -> dict[str, int]:
    """Send a claimed batch and record every answer in this unit of work; return how many ended in each status.

    One message's failure is its own: a message that cannot be built, that the server refuses or that
    raises fails alone, and the batch goes on.
    """
    stmt = (select(*_READ, Message.topic, Message.attempts, NotificationPreference.opted_out)
            .join(Person, Person.id == Message.person_id)
            .outerjoin(NotificationPreference, NotificationPreference.person_id == Message.person_id)
            .where(Message.id.in_(batch.ids), Message.lease_token == batch.token,
                   Message.status == MessageStatus.SENDING)
            .order_by(Message.not_before))
    if _pg(session):
        # Locked while sending: a worker that finds our lease expired skips the rows, not doubles them,
        # and a cancellation waits for our answer instead of contradicting it.
        stmt = stmt.with_for_update(of=Message.__table__)
    rows = session.execute(stmt).all()
    outcomes: list[dict[str, Any]] = []
    try:
        for row in rows:
            outcomes.append(_one(senders, settings, clock, row))
    finally:
        senders.close()  # one connection per claimed batch
    _record(session, batch.token, outcomes)
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome["status"].value] = counts.get(outcome["status"].value, 0) + 1
    return counts


def _one(senders: Senders, settings: Settings, clock: Clock, row: Any) -> dict[str, Any]:
    message_id, topic, attempts, opted_out = row.id, row.topic, row.attempts, row.opted_out or []
    if topic.value in opted_out:
        # The person opted out after it was accepted: honoured at the moment of sending.
        return _ended(message_id, MessageStatus.SKIPPED, skip_reason=f"opted out: the person opted out of "
                                                                     f"{topic.value} before it was sent")
    try:
        answer = senders.deliver(Outgoing(*row[:len(_READ)]), at=clock.now())
    except Undeliverable as exc:
        # Retrying cannot help: this message fails alone, with its reason, and the batch goes on.
        log.warning("message cannot be built", extra={"message_id": str(message_id)})
        return _ended(message_id, MessageStatus.FAILED, last_error=str(exc)[:2000])
    except DeliveryFailed as exc:
        log.warning("delivery failed", extra={"message_id": str(message_id), "attempt": attempts})
        if attempts >= settings.notify_max_attempts:
            return _ended(message_id, MessageStatus.FAILED, last_error=str(exc)[:2000])
        retry_at = clock.now() + timedelta(seconds=settings.notify_backoff_s * 2 ** (attempts - 1))
        return _ended(message_id, MessageStatus.QUEUED, last_error=str(exc)[:2000], not_before=retry_at)
    except Exception as exc:  # noqa: BLE001 - recorded on the message, logged without its content
        log.error("delivering one message failed",  # noqa: TRY400 - a traceback could carry its content
                  extra={"message_id": str(message_id), "error": type(exc).__name__})
        # The type only: an exception's text can carry the message's content.
        return _ended(message_id, MessageStatus.FAILED,
                      last_error=f"delivery raised {type(exc).__name__}; the message was not sent")
    return _ended(message_id, MessageStatus.SENT, sent_at=clock.now(), provider_answer=answer[:2000],
                  last_error="")


def _ended(message_id: UUID, status: MessageStatus, **values: Any) -> dict[str, Any]:
    return {"b_id": message_id, "status": status, **values}


def _record(session: Session, token: str, outcomes: Iterable[dict[str, Any]]) -> None:
    # One statement per kind of answer, each executed for many rows at once. Only rows still under our
    # lease are written: a row another worker took over keeps that worker's answer.
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for outcome in outcomes:
        values = {f"v_{k}": v for k, v in outcome.items() if k != "b_id"}
        groups.setdefault(tuple(sorted(values)), []).append({**values, "b_id": outcome["b_id"], "b_token": token})
    for keys, params in groups.items():
        stmt = (_message.update()
                .where(_message.c.id == bindparam("b_id"), _message.c.lease_token == bindparam("b_token"))
                .values(lease_token=None, lease_until=None, **{k[2:]: bindparam(k) for k in keys}))
        session.execute(stmt, params)

