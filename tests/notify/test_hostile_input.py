"""Attacks through what a message carries: line breaks in facts, retries, and templates that try to
allocate without bound. One message never sinks another, and nothing is built without a bound."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from govcx.core.config import API_PREFIX
from govcx.notify import schemas, service
from govcx.notify.models import Message, MessageStatus, NotifyChannel, Topic
from govcx.notify.senders import Undeliverable, build_email
from tests.factories import notify as f
from tests.notify.conftest import Mailbox, _free_port


def _send(uow, clock, settings, person, facts, template=f.RENEWAL):  # noqa: ANN001, ANN202
    with uow() as session:
        return service.send(session=session, clock=clock, settings=settings, person_id=person.id,
                            template_key=template, facts=facts, why=f.why())


def test_a_line_break_in_a_fact_sinks_no_message_of_the_batch(uow, clock, settings, cast, templates, mailbox, worker):
    with uow() as session:
        f.preferences(session, clock, cast.ana.id, channels=(NotifyChannel.EMAIL,))
    settings.notify_frequency_cap = 100
    hostile = {"document_name": "licence\r\nBcc: everyone@example.org", "expiry_date": "2026-04-30"}
    sent = [_send(uow, clock, settings, cast.ana, hostile if i % 10 == 3 else f.RENEWAL_FACTS) for i in range(40)]

    worker.drain()

    mails = mailbox.to(cast.ana.email)
    assert len(mails) == 40
    with uow() as session:
        statuses = {session.get(Message, m.id).status for m in sent}
    assert statuses == {MessageStatus.SENT}
    injected = [m for m in mails if "Bcc" in m["Subject"]]
    assert len(injected) == 4
    for mail in injected:
        assert "\n" not in mail["Subject"] and "\r" not in mail["Subject"]
        assert mail["Bcc"] is None
    assert all(rcpts == [cast.ana.email] for rcpts, _ in mailbox.received)


def test_a_message_that_cannot_be_built_fails_alone_with_its_reason():
    with pytest.raises(Undeliverable, match="cannot be built"):
        build_email(mail_from="govcx <no-reply@govcx.example>", to="ana@example.org", name="Ana",
                    subject="Hello", text="caf\udce9", html="<p>x</p>", language="en", message_id="m1")


def test_header_values_never_carry_line_breaks():
    mail = build_email(mail_from="govcx <no-reply@govcx.example>", to="ana@example.org\r\nBcc: x@example.org",
                       name="Ana\nEvil", subject="One\r\nTwo\u2028Three", text="body", html="<p>body</p>",
                       language="en\r\nX-Evil: 1", message_id="m1")
    raw = bytes(mail).decode()
    headers = raw.split("\n\n", 1)[0]
    assert "X-Evil:" not in headers.replace("\n ", " ").split("Content-Language:")[0]
    assert not any(line.startswith(("Bcc:", "X-Evil:")) for line in headers.splitlines())
    assert mail["Subject"] == "One Two Three"


class FlakyMailbox(Mailbox):
    """A server that keeps the message but answers the first attempt with a temporary failure, as one
    whose disk filled (or whose answer was lost) does: the sender must try again, and the receiver
    ends up with two copies it can tell are the same."""

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802 - aiosmtpd's hook
        await super().handle_DATA(server, session, envelope)
        return "451 Try again later" if len(self.received) == 1 else "250 Message accepted for delivery"


@pytest.fixture
def flaky_mailbox(settings) -> Iterator[Mailbox]:  # noqa: ANN001
    mailbox, port = FlakyMailbox(), _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    yield mailbox
    controller.stop()


def test_a_retried_email_keeps_its_message_id(uow, clock, settings, cast, templates, flaky_mailbox, worker):
    with uow() as session:
        f.preferences(session, clock, cast.ana.id, channels=(NotifyChannel.EMAIL,))
    message = _send(uow, clock, settings, cast.ana, f.RENEWAL_FACTS)

    worker.drain()  # the first attempt fails
    with uow() as session:
        assert session.get(Message, message.id).status is MessageStatus.QUEUED
    clock.set(clock.now() + timedelta(hours=1))
    worker.drain()  # the retry is accepted

    with uow() as session:
        retried = session.get(Message, message.id)
    assert retried.status is MessageStatus.SENT and retried.attempts == 2
    first, second = flaky_mailbox.to(cast.ana.email)
    assert first["Message-ID"] == second["Message-ID"] == f"<{message.id}@govcx.example>"


@pytest.mark.parametrize("source", [
    "{{ 'x' * 10**9 }}",
    "{{ ('x' * 1000) * 1000 }}",
    "{{ 'x'|center(10**9) }}",
    "{{ 'x'.ljust(10**9) }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ '%999999999d' % 1 }}",
    "{{ 2 ** (10 ** 8) }}",
    "{% for i in range(10**7) %}x{% endfor %}",
    "{% for i in range(1000) %}{% for j in range(1000) %}xxxxxxxxxx{% endfor %}{% endfor %}",
    "{{ 'x'|indent(10**9, true) }}",
])
def test_a_template_that_would_allocate_without_bound_is_refused_with_a_reason(
        uow, clock, settings, cast, templates, source):
    with uow() as session:
        service.create_template(session=session, clock=clock, agency_id=None, data=schemas.TemplateCreate(
            key="hostile", language="en", topic=Topic.REMINDERS, subject="Hello", text_body=source,
            html_body="<p>x</p>"))
    message = _send(uow, clock, settings, cast.ana, {}, template="hostile")

    assert message.status is MessageStatus.SKIPPED
    assert message.skip_reason.startswith("template error in hostile v1:")


def test_an_ordinary_template_still_renders(uow, clock, settings, cast, templates):
    with uow() as session:
        service.create_template(session=session, clock=clock, agency_id=None, data=schemas.TemplateCreate(
            key="ordinary", language="en", topic=Topic.REMINDERS, subject="Hi {{ given_name }}",
            text_body="{% for i in range(3) %}{{ i * 2 }} {% endfor %}{{ '-' * 20 }}{{ 'ab'|center(8) }}"
                      "{{ ' %d in 2026' % 3 }}{{ ' {:>6}'.format('x') }}",
            html_body="<p>x</p>"))
    message = _send(uow, clock, settings, cast.ana, {}, template="ordinary")

    assert message.status is not MessageStatus.SKIPPED, message.skip_reason
    assert message.text_body == "0 2 4 " + "-" * 20 + "   ab    3 in 2026      x"


def test_notification_facts_and_why_are_bounded_on_the_way_in(client, uow, clock, cast):
    from govcx.core.accounts import Scope
    from tests.factories import registry as factories

    with uow() as session:
        key = factories.api_key(session, clock, factories.agency(session, clock, code="DMV"), [Scope.NOTIFY_SEND])
    base = {"person_id": str(cast.ana.id), "template_key": f.RENEWAL, "why": {"rule": "You asked."}}
    for body in ({**base, "facts": {"document_name": "x" * 5000}},
                 {**base, "facts": {f"k{i}": "v" for i in range(100)}},
                 {**base, "why": {"rule": "r" * 5000}},
                 {**base, "why": {"rule": "ok", "data": ["d"] * 100}}):
        answer = client.post(f"{API_PREFIX}/notifications", json=body, headers={"X-API-Key": key})
        assert answer.status_code == 422, body.keys()
    with uow() as session:
        assert session.scalars(select(Message)).all() == []
