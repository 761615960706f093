"""Notification rules: preferences, versioned templates, and `send`, which accepts a message into the outbox.

`send` is what every domain calls (or publishes `NotificationRequested` to reach): it renders the
message, honours the person's opt-outs, channels, quiet hours and the frequency cap, de-duplicates by
key, and queues it in the outbox table. Nothing leaves govcx here: `notify.outbox` delivers.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from jinja2 import Template, TemplateError, UndefinedError
from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from govcx.core.bounded import one_line
from govcx.core.clock import Clock
from govcx.core.config import Settings
from govcx.core.errors import Invalid, NotFound
from govcx.core.pagination import PageParams, paginate
from govcx.notify import schemas
from govcx.notify.sandbox import MAX_OUTPUT, BoundedSandbox
from govcx.notify.models import (
    PLATFORM, Message, MessageStatus, MessageTemplate, NotificationPreference, NotifyChannel, Topic, owner_of,
)
from govcx.registry import service as registry
from govcx.registry.models import Person
from govcx.web.i18n import N_
from govcx.web.i18n import gettext as _

log = logging.getLogger(__name__)

# Marked for the catalogue; pages translate them where they show them.
TOPIC_LABELS = {Topic.OFFERS: N_("Offers and services you may need"), Topic.CASE_UPDATES: N_("Updates on your cases"),
                Topic.SURVEYS: N_("Surveys about our services"), Topic.REMINDERS: N_("Reminders")}
CHANNEL_LABELS = {NotifyChannel.INBOX: N_("Inbox in this portal"), NotifyChannel.EMAIL: N_("E-mail"),
                  NotifyChannel.SMS: N_("Text message (SMS)"), NotifyChannel.POST: N_("Letter by post")}
LANGUAGE_LABELS = {"en": "English", "es": "Español"}
LIVE = (MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.SENT)

# Sandboxed: templates are data an administrator edits, not code. Strict: a missing fact is an error,
# never a blank.
# Bounded: nothing a template does can allocate without limit.
_text_env = BoundedSandbox(autoescape=False, keep_trailing_newline=True)
_html_env = BoundedSandbox(autoescape=True)
SUBJECT_MAX = 300  # the column's width


class MissingData(Exception):
    """A template needs a fact the caller did not give (or gave empty)."""


class BrokenTemplate(Exception):
    """A template failed to render for another reason (the sandbox refused something, a filter failed)."""


# Preferences -----------------------------------------------------------------------------------


def _defaults(person: Person, clock: Clock) -> NotificationPreference:
    channels = [NotifyChannel.INBOX.value] + ([NotifyChannel.EMAIL.value] if person.email else [])
    language = person.preferred_language if person.preferred_language in schemas.LANGUAGES else "en"
    return NotificationPreference(person_id=person.id, channels=channels, language=language, quiet_from=None,
                                  quiet_until=None, opted_out=[], muted_rules=[], updated_at=clock.now())


def preferences_of(*, session: Session, person_id: UUID, clock: Clock) -> NotificationPreference:
    """Return the person's preferences, or the defaults (not stored) when they never chose."""
    stored = session.get(NotificationPreference, person_id)
    if stored is not None:
        return stored
    return _defaults(registry.get_person(session=session, person_id=person_id), clock)


def _stored_preferences(session: Session, person_id: UUID, clock: Clock) -> NotificationPreference:
    prefs = preferences_of(session=session, person_id=person_id, clock=clock)
    if prefs not in session:
        session.add(prefs)
    return prefs


def update_preferences(
    *, session: Session, person_id: UUID, data: schemas.PreferenceUpdate, clock: Clock
) -> NotificationPreference:
    """Set how the person wants to hear from government."""
    if (data.quiet_from is None) != (data.quiet_until is None):
        raise Invalid(_("Give both ends of the quiet hours, or neither."))
    prefs = _stored_preferences(session, person_id, clock)
    prefs.channels = [c.value for c in data.channels]
    prefs.language = data.language
    prefs.quiet_from, prefs.quiet_until = data.quiet_from, data.quiet_until
    prefs.opted_out = sorted({t.value for t in data.opted_out})
    prefs.updated_at = clock.now()
    session.flush()
    return prefs


def import_preferences(*, session: Session, rows: list[dict[str, Any]], clock: Clock) -> int:
    """Store many people's preferences at once (bulk loads such as the demo); return how many."""
    if rows:
        now = clock.now()
        # Many people share the same choices: each distinct set is validated once, not once per person.
        checked_choices: dict[str, dict[str, Any]] = {}
        checked = []
        for r in rows:
            choices = {k: v for k, v in r.items() if k != "person_id"}
            key = repr(sorted(choices.items()))
            if key not in checked_choices:
                checked_choices[key] = schemas.PreferenceUpdate(**choices).model_dump(mode="json")
            checked.append({"person_id": r["person_id"], "updated_at": now, "muted_rules": [],
                            **checked_choices[key]})
        session.execute(insert(NotificationPreference.__table__), checked)
    return len(rows)


def stop_topic(*, session: Session, person_id: UUID, topic: Topic, clock: Clock) -> NotificationPreference:
    """Opt the person out of one topic (the one-click stop under a message)."""
    prefs = _stored_preferences(session, person_id, clock)
    prefs.opted_out = sorted({*prefs.opted_out, topic.value})
    prefs.updated_at = clock.now()
    session.flush()
    return prefs


def mute_rule(*, session: Session, person_id: UUID, rule_code: str, clock: Clock) -> NotificationPreference:
    """Stop one kind of recommendation for the person (the one-click stop under it)."""
    prefs = _stored_preferences(session, person_id, clock)
    prefs.muted_rules = sorted({*prefs.muted_rules, rule_code})
    prefs.updated_at = clock.now()
    session.flush()
    return prefs


# Templates -------------------------------------------------------------------------------------


def create_template(*, session: Session, data: schemas.TemplateCreate, agency_id: UUID | None,
                    clock: Clock) -> MessageTemplate:
    """Add a new version of an agency's template (or, with no agency, the platform's) in one language.

    Earlier versions stay for the record. An agency's version is used for what it sends; the platform's
    for every agency that has none.
    """
    for source in (data.subject, data.text_body, data.html_body):
        try:
            _text_env.parse(source)
        except TemplateError as exc:
            raise Invalid(f"The template does not parse: {exc}.") from exc
    owner = owner_of(agency_id)
    latest = session.scalar(select(func.max(MessageTemplate.version)).where(
        MessageTemplate.owner == owner, MessageTemplate.key == data.key, MessageTemplate.language == data.language))
    template = MessageTemplate(**data.model_dump(), agency_id=agency_id, owner=owner, version=(latest or 0) + 1,
                               created_at=clock.now())
    session.add(template)
    session.flush()
    return template


def current_template(*, session: Session, key: str, language: str, agency_id: UUID | None = None
                     ) -> MessageTemplate:
    """The latest version of `key` in `language` (else English): the agency's own when it has one, else the
    platform's."""
    owners = list(dict.fromkeys((owner_of(agency_id), PLATFORM)))
    for lang in dict.fromkeys((language, "en")):
        for owner in owners:
            found = session.scalars(select(MessageTemplate).where(
                MessageTemplate.owner == owner, MessageTemplate.key == key, MessageTemplate.language == lang,
            ).order_by(MessageTemplate.version.desc()).limit(1)).first()
            if found is not None:
                return found
    raise NotFound(f"No message template {key!r}.")


def list_templates(*, session: Session, agency_id: UUID | None, everyone: bool, page: PageParams
                   ) -> tuple[list[MessageTemplate], str | None]:
    """Every version of an agency's templates (or the platform's); `everyone` lists every owner's."""
    stmt = select(MessageTemplate)
    if not everyone:
        stmt = stmt.where(MessageTemplate.owner == owner_of(agency_id))
    return paginate(session, stmt, id_column=MessageTemplate.id, page=page)


def get_template(*, session: Session, template_id: UUID, agency_id: UUID | None, everyone: bool) -> MessageTemplate:
    """One template version of the asker's own (another owner's answers exactly like a missing one)."""
    template = session.get(MessageTemplate, template_id)
    if template is None or (not everyone and template.owner != owner_of(agency_id)):
        raise NotFound(f"No message template with id {template_id}.")
    return template


@lru_cache(maxsize=512)
def _compiled(html: bool, source: str) -> Template:
    # Template versions never change once stored, so compiling each source once is safe.
    return (_html_env if html else _text_env).from_string(source)


def render(template: MessageTemplate, context: Mapping[str, Any]) -> tuple[str, str, str]:
    """Render subject, plain text and HTML; raise MissingData rather than leave a blank."""
    try:
        subject = one_line(_bounded_render(_compiled(False, template.subject), context)).strip()
        text, html = (_bounded_render(_compiled(False, template.text_body), context),
                      _bounded_render(_compiled(True, template.html_body), context))
    except UndefinedError as exc:
        raise MissingData(str(exc)) from exc
    except (TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise BrokenTemplate(f"{type(exc).__name__}: {str(exc)[:300]}") from exc
    if len(subject) > SUBJECT_MAX:
        raise BrokenTemplate(f"the subject is {len(subject):,} characters long; at most {SUBJECT_MAX}")
    return subject, text, html


def _bounded_render(template: Template, context: Mapping[str, Any]) -> str:
    # Piece by piece, so a template that writes without end is stopped at the bound, not after it.
    parts, size = [], 0
    for part in template.generate(context):
        size += len(part)
        if size > MAX_OUTPUT:
            raise BrokenTemplate(f"the message is longer than {MAX_OUTPUT:,} characters")
        parts.append(part)
    return "".join(parts)


def context_for(person: Person, facts: Mapping[str, Any]) -> dict[str, Any]:
    """The names a template may use: the person's name, and each fact that has a value."""
    given = {k: v for k, v in facts.items() if v is not None and v != "" and v != []}
    return {**given, "given_name": person.given_name, "family_name": person.family_name,
            "name": f"{person.given_name} {person.family_name}"}


# Sending ---------------------------------------------------------------------------------------


def _reachable(person: Person, channel: NotifyChannel) -> bool:
    return {
        NotifyChannel.INBOX: True, NotifyChannel.EMAIL: bool(person.email), NotifyChannel.SMS: bool(person.phone),
        NotifyChannel.POST: bool(person.street_address and person.postal_code),
    }[channel]


def _quiet_until(prefs: NotificationPreference, now: datetime, tz: ZoneInfo) -> datetime | None:
    """When the person's quiet hours end, if `now` falls inside them."""
    start, end = prefs.quiet_from, prefs.quiet_until
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(tz)
    inside = start <= local.hour < end if start < end else (local.hour >= start or local.hour < end)
    if not inside:
        return None
    ends = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(now.tzinfo)


def _recent_count(session: Session, person_id: UUID, topic: Topic, since: datetime) -> int:
    return session.scalar(select(func.count()).select_from(Message).where(
        Message.person_id == person_id, Message.topic == topic, Message.created_at >= since,
        Message.status.in_(LIVE),
    )) or 0


def _existing(session: Session, person_id: UUID, sender: str, dedup_key: str | None) -> Message | None:
    if dedup_key is None:
        return None
    return session.scalars(select(Message).where(Message.person_id == person_id, Message.sender == sender,
                                                 Message.dedup_key == dedup_key)).first()


def send(
    *, session: Session, clock: Clock, settings: Settings, person_id: UUID, template_key: str,
    facts: Mapping[str, Any], why: schemas.Why, dedup_key: str | None = None, sender_agency_id: UUID | None = None,
) -> Message:
    """Accept a message from an agency (or, with none, from govcx itself) for one person into the outbox,
    or record why it will not be sent.

    Calling again with the same sender and `dedup_key` returns the first message and sends nothing more;
    another sender's key never finds it. The agency's own version of the template is used when it has one.
    """
    sender = owner_of(sender_agency_id)
    existing = _existing(session, person_id, sender, dedup_key)
    if existing is not None:
        return existing
    person = registry.get_person(session=session, person_id=person_id)
    prefs = preferences_of(session=session, person_id=person_id, clock=clock)
    template = current_template(session=session, key=template_key, language=prefs.language,
                                agency_id=sender_agency_id)
    now = clock.now()
    message = Message(
        person_id=person_id, sender_agency_id=sender_agency_id, sender=sender, topic=template.topic, dedup_key=dedup_key, template_key=template.key,
        template_version=template.version, language=template.language, channel=None,
        why_data=list(why.data), why_rule=why.rule, consent_ids=[str(c) for c in why.consent_ids],
        status=MessageStatus.QUEUED, not_before=now, created_at=now,
    )
    skip = _skip_reason(session, settings, message, prefs, person, template, facts, now)
    if skip:
        message.status, message.skip_reason = MessageStatus.SKIPPED, skip
        # The reason names a topic, a rule or a missing fact's name: never a person's data.
        log.info("notification skipped", extra={"template": template.key, "reason": skip.split(":")[0]})
    else:
        until = _quiet_until(prefs, now, ZoneInfo(settings.notify_timezone))
        if until is not None and message.channel is not NotifyChannel.INBOX:
            message.not_before, message.deferred_reason = until, "quiet hours"
    return _insert(session, message)


def _skip_reason(
    session: Session, settings: Settings, message: Message, prefs: NotificationPreference, person: Person,
    template: MessageTemplate, facts: Mapping[str, Any], now: datetime,
) -> str:
    if template.topic.value in prefs.opted_out:
        return f"opted out: the person opted out of {template.topic.value}"
    try:
        message.subject, message.text_body, message.html_body = render(template, context_for(person, facts))
    except MissingData as exc:
        return f"missing data: {exc}"
    except BrokenTemplate as exc:
        return f"template error in {template.key} v{template.version}: {exc}"
    channel = next((NotifyChannel(c) for c in prefs.channels if _reachable(person, NotifyChannel(c))), None)
    if channel is None:
        return "no channel: none of the person's chosen channels can reach them"
    message.channel = channel
    since = now - timedelta(hours=settings.notify_cap_window_hours)
    if _recent_count(session, person.id, template.topic, since) >= settings.notify_frequency_cap:
        return (f"frequency cap: already {settings.notify_frequency_cap} {template.topic.value} messages "
                f"in {settings.notify_cap_window_hours} hours")
    return ""


def _insert(session: Session, message: Message) -> Message:
    # A concurrent send with the same key may win the race: the unique key decides, and the
    # loser returns the winner's message.
    try:
        with session.begin_nested():
            session.add(message)
            session.flush()
    except IntegrityError:
        winner = _existing(session, message.person_id, message.sender, message.dedup_key)
        if winner is None:
            raise
        return winner
    return message


def cancel_for_consent(*, session: Session, person_id: UUID, consent_id: UUID, status: str) -> int:
    """Skip every message not yet handed over that a consent no longer active (`status`) caused; return how many.

    A message a worker has claimed but not yet sent is cancelled too; one it is handing over right now
    (its row locked on PostgreSQL) is waited for, and keeps the answer it got.
    """
    waiting = (MessageStatus.QUEUED, MessageStatus.SENDING)
    candidates = session.execute(select(Message.id, Message.consent_ids).where(
        Message.person_id == person_id, Message.status.in_(waiting))).all()
    ids = [message_id for message_id, consent_ids in candidates if str(consent_id) in consent_ids]
    if not ids:
        return 0
    # Guarded by status, so an answer recorded meanwhile is never overwritten.
    return session.execute(update(Message).where(Message.id.in_(ids), Message.status.in_(waiting)).values(
        status=MessageStatus.SKIPPED,
        skip_reason=f"consent {status}: the consent that caused it ended before it was sent",
    ).execution_options(synchronize_session="fetch")).rowcount


# Reading ---------------------------------------------------------------------------------------


def _of_person(person_id: UUID, sent_only: bool, sender_agency_id: UUID | None, every_sender: bool):  # noqa: ANN202
    stmt = select(Message).where(Message.person_id == person_id)
    if not every_sender:
        stmt = stmt.where(Message.sender == owner_of(sender_agency_id))
    if sent_only:
        stmt = stmt.where(Message.status == MessageStatus.SENT)
    return stmt


def messages_for(
    *, session: Session, person_id: UUID, page: PageParams, sent_only: bool = False,
    sender_agency_id: UUID | None = None, every_sender: bool = True,
) -> tuple[list[Message], str | None]:
    """The person's messages in the order they were accepted (only delivered ones when `sent_only`; only one
    sender's unless `every_sender`)."""
    return paginate(session, _of_person(person_id, sent_only, sender_agency_id, every_sender),
                    id_column=Message.id, page=page)


def latest_messages(
    *, session: Session, person_id: UUID, limit: int, sent_only: bool = False, sender_agency_id: UUID | None = None,
    every_sender: bool = True,
) -> list[Message]:
    """The person's newest messages first (for pages); only one sender's unless `every_sender`."""
    stmt = _of_person(person_id, sent_only, sender_agency_id, every_sender)
    return list(session.scalars(stmt.order_by(Message.id.desc()).limit(limit)))


def get_message(*, session: Session, message_id: UUID, sender_agency_id: UUID | None) -> Message:
    """One message its sender sent (another sender's answers exactly like a missing one)."""
    message = session.get(Message, message_id)
    if message is None or message.sender != owner_of(sender_agency_id):
        raise NotFound(f"No message with id {message_id}.")
    return message
