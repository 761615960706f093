"""Sending: the right person, channel, language and moment, or a recorded reason why not."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

from sqlalchemy import select

from govcx.notify import service
from govcx.notify.models import Message, MessageStatus, NotifyChannel, Topic
from govcx.notify.senders import FileEmailSender
from tests.factories import notify as f


def _send(uow, clock, settings, person, *, facts=None, dedup_key=None, template=f.RENEWAL):  # noqa: ANN001, ANN202
    with uow() as session:
        return service.send(session=session, clock=clock, settings=settings, person_id=person.id,
                            template_key=template, facts=f.RENEWAL_FACTS if facts is None else facts,
                            why=f.why(), dedup_key=dedup_key)


def _by_email(uow, clock, person) -> None:  # noqa: ANN001
    with uow() as session:
        f.preferences(session, clock, person.id, channels=(NotifyChannel.EMAIL,))


def _message(uow, message_id) -> Message:  # noqa: ANN001
    with uow() as session:
        return session.get(Message, message_id)


def test_a_message_reaches_a_real_smtp_server_with_the_persons_name_and_language(
        uow, clock, settings, cast, templates, mailbox, worker):
    with uow() as session:
        f.preferences(session, clock, cast.ana.id, channels=(NotifyChannel.EMAIL,), language="es")
    sent = _send(uow, clock, settings, cast.ana)

    worker.drain()

    [mail] = mailbox.to(cast.ana.email)
    assert mail["Subject"] == "driving licence caduca el 2026-04-30"
    assert mail["Content-Language"] == "es"
    assert mail["To"] == f"Ana Lopez <{cast.ana.email}>"
    assert "Hola Ana:" in mail.get_body(("plain",)).get_content()
    assert "<p>Hola Ana:</p>" in mail.get_body(("html",)).get_content()
    delivered = _message(uow, sent.id)
    assert delivered.status is MessageStatus.SENT and delivered.provider_answer.startswith("250 accepted")


def test_a_person_who_opted_out_of_the_topic_gets_nothing_and_the_skip_is_recorded(
        uow, clock, settings, cast, templates, mailbox, worker):
    with uow() as session:
        f.preferences(session, clock, cast.bob.id, opted_out=(Topic.REMINDERS,))
    skipped = _send(uow, clock, settings, cast.bob)

    worker.drain()

    assert mailbox.to(cast.bob.email) == []
    recorded = _message(uow, skipped.id)
    assert recorded.status is MessageStatus.SKIPPED
    assert recorded.skip_reason == "opted out: the person opted out of reminders"


def test_a_message_missing_a_fact_is_not_sent_and_says_which(uow, clock, settings, cast, templates, mailbox, worker):
    skipped = _send(uow, clock, settings, cast.ana, facts={"document_name": "passport", "expiry_date": ""})

    worker.drain()

    assert mailbox.received == []
    assert skipped.status is MessageStatus.SKIPPED
    assert skipped.skip_reason == "missing data: 'expiry_date' is undefined"
    assert skipped.text_body == ""


def test_the_inbox_channel_delivers_into_the_portal(uow, clock, settings, cast, templates, mailbox, worker):
    with uow() as session:
        f.preferences(session, clock, cast.ana.id, channels=(NotifyChannel.INBOX, NotifyChannel.EMAIL))
    sent = _send(uow, clock, settings, cast.ana)

    worker.drain()

    assert mailbox.received == []
    delivered = _message(uow, sent.id)
    assert (delivered.channel, delivered.status) == (NotifyChannel.INBOX, MessageStatus.SENT)
    assert "Hello Ana," in delivered.text_body


def test_sending_twice_with_one_key_sends_once(uow, clock, settings, cast, templates, mailbox, worker):
    _by_email(uow, clock, cast.ana)
    first = _send(uow, clock, settings, cast.ana, dedup_key="licence-expiry-2026")
    again = _send(uow, clock, settings, cast.ana, dedup_key="licence-expiry-2026")

    worker.drain()

    assert again.id == first.id
    assert len(mailbox.to(cast.ana.email)) == 1


def test_quiet_hours_defer_the_message_until_they_end(uow, clock, settings, cast, templates, mailbox, worker):
    with uow() as session:  # the clock says 09:30 UTC
        f.preferences(session, clock, cast.ana.id, quiet=(8, 11))
    deferred = _send(uow, clock, settings, cast.ana)

    worker.drain()
    assert mailbox.received == []
    assert deferred.deferred_reason == "quiet hours"
    assert deferred.not_before == clock.now().replace(hour=11, minute=0)

    clock.advance(hours=2)
    worker.drain()
    assert len(mailbox.to(cast.ana.email)) == 1


def test_the_frequency_cap_skips_one_message_too_many(uow, clock, settings, cast, templates, mailbox, worker):
    settings.notify_frequency_cap = 2
    for _ in range(2):
        _send(uow, clock, settings, cast.ana)
    third = _send(uow, clock, settings, cast.ana)

    assert third.status is MessageStatus.SKIPPED
    assert third.skip_reason.startswith("frequency cap: already 2 reminders messages in 24 hours")
    clock.advance(hours=25)
    assert _send(uow, clock, settings, cast.ana).status is MessageStatus.QUEUED


def test_a_failed_delivery_is_retried_later_with_back_off(uow, clock, settings, cast, templates, smtp_server, worker):
    _by_email(uow, clock, cast.ana)
    _mailbox, port = smtp_server
    settings.smtp_port = port + 1 if port < 65535 else port - 1  # nobody listens there
    sent = _send(uow, clock, settings, cast.ana)

    worker.drain()
    first = _message(uow, sent.id)
    assert (first.status, first.attempts) == (MessageStatus.QUEUED, 1)
    assert first.not_before == clock.now() + timedelta(seconds=settings.notify_backoff_s)
    assert "SMTP" in first.last_error

    clock.advance(seconds=settings.notify_backoff_s)
    worker.drain()
    second = _message(uow, sent.id)
    assert second.attempts == 2
    assert second.not_before == clock.now() + timedelta(seconds=2 * settings.notify_backoff_s)

    settings.smtp_port = port
    clock.advance(seconds=2 * settings.notify_backoff_s)
    worker.drain()
    assert _message(uow, sent.id).status is MessageStatus.SENT
    assert len(_mailbox.to(cast.ana.email)) == 1


def test_a_message_that_keeps_failing_ends_as_failed(uow, clock, settings, cast, templates, smtp_server, worker):
    _by_email(uow, clock, cast.ana)
    _mailbox, port = smtp_server
    settings.smtp_port, settings.notify_max_attempts = port + 1 if port < 65535 else port - 1, 2
    sent = _send(uow, clock, settings, cast.ana)

    for _ in range(3):
        worker.drain()
        clock.advance(hours=1)

    failed = _message(uow, sent.id)
    assert (failed.status, failed.attempts) == (MessageStatus.FAILED, 2)


def test_an_unknown_template_is_refused(uow, clock, settings, cast, templates):
    import pytest

    from govcx.core.errors import NotFound

    with pytest.raises(NotFound), uow() as session:
        service.send(session=session, clock=clock, settings=settings, person_id=cast.ana.id,
                     template_key="no.such", facts={}, why=f.why())
    with uow() as session:
        assert session.scalars(select(Message)).all() == []


def test_an_e_mail_says_who_sent_it_and_when(uow, clock, settings, cast, templates, mailbox, worker):
    settings.mail_from = "Tax Agency <no-reply@tax.gov.example>"
    _by_email(uow, clock, cast.ana)
    _send(uow, clock, settings, cast.ana)

    worker.drain()

    [mail] = mailbox.to(cast.ana.email)
    assert mail["From"] == "Tax Agency <no-reply@tax.gov.example>"
    # Dated when it was handed to the server, by the worker's clock, as RFC 5322 writes a date.
    assert mail["Date"] == "Mon, 16 Mar 2026 09:30:00 +0000"
    assert parsedate_to_datetime(mail["Date"]) == clock.now()


def test_a_development_e_mail_file_has_a_sender_and_a_date_too(tmp_path, clock):
    sender = FileEmailSender(tmp_path, "govcx <no-reply@govcx.example>")
    sender.send(to="ana@example.org", name="Ana Lopez", subject="Hello", text="Hi", html="<p>Hi</p>",
                language="en", message_id="m-1", sent_at=clock.now())

    mail = message_from_bytes((tmp_path / "m-1.eml").read_bytes(), policy=policy.default)
    assert mail["From"] == "govcx <no-reply@govcx.example>"
    assert parsedate_to_datetime(mail["Date"]) == clock.now()


def test_the_file_e_mail_sender_is_chosen_by_setting_and_writes_under_the_data_directory(tmp_path, clock):
    from govcx.core.config import Environment, Settings
    from govcx.notify.models import NotifyChannel as Channel
    from govcx.notify.senders import Outgoing, Senders, SmtpSender

    settings = Settings(env=Environment.TEST, data_dir=tmp_path, email_sender="file")
    senders = Senders.from_settings(settings)
    answer = senders.deliver(Outgoing(
        id="m-2", channel=Channel.EMAIL, subject="Hello", text_body="Hi", html_body="<p>Hi</p>", language="en",
        given_name="Ana", family_name="Lopez", email="ana@example.org", phone=None, street_address=None,
        postal_code=None, locality=None), at=clock.now())

    assert answer == "written to mail/m-2.eml" and (tmp_path / "mail" / "m-2.eml").exists()
    assert isinstance(Senders.from_settings(Settings(env=Environment.TEST, data_dir=tmp_path)).email, SmtpSender)
