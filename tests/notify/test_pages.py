"""The citizen's inbox and notification settings, and the staff view of one person's messages."""

from __future__ import annotations

import re

from govcx.core.accounts import Scope
from govcx.notify import service
from govcx.notify.models import MessageStatus, NotifyChannel, Topic
from tests.factories import notify as f
from tests.factories import registry as factories
from tests.web.helpers import csrf_token, h1_count, sign_in_staff


def _send(uow, clock, settings, person, sender=None):  # noqa: ANN001, ANN202
    with uow() as session:
        return service.send(session=session, clock=clock, settings=settings, person_id=person.id,
                            template_key=f.RENEWAL, facts=f.RENEWAL_FACTS, why=f.why(),
                            sender_agency_id=sender.id if sender else None)


def test_the_inbox_shows_a_message_with_why_and_a_button_that_stops_that_kind(
        client, as_citizen, uow, clock, settings, cast, templates, worker):
    _send(uow, clock, settings, cast.ana)
    worker.drain()
    as_citizen("NID-7700-1234")

    page = client.get("/me/inbox").text
    stopped = client.post("/me/notifications/stop", data={"topic": "reminders", "csrf_token": csrf_token(
        client, "/me/inbox")}, follow_redirects=False)

    assert h1_count(page) == 1
    assert "driving licence expires on 2026-04-30" in page
    assert "Why am I seeing this?" in page and "You asked us to remind you before documents expire." in page
    assert "Data used: Driving licence." in page
    assert stopped.status_code == 303
    assert _send(uow, clock, settings, cast.ana).status is MessageStatus.SKIPPED


def test_the_stop_button_without_its_csrf_token_changes_nothing(client, as_citizen, uow, clock, cast):
    as_citizen("NID-7700-1234")

    refused = client.post("/me/notifications/stop", data={"topic": "reminders"})

    assert refused.status_code == 403
    with uow() as session:
        assert service.preferences_of(session=session, person_id=cast.ana.id, clock=clock).opted_out == []


def test_a_person_sets_channels_language_quiet_hours_and_topics_in_the_portal(client, as_citizen, uow, clock, cast):
    as_citizen("NID-7700-1234")
    form = client.get("/me/notification-preferences").text

    saved = client.post("/me/notification-preferences", data={
        "channel": ["sms", "email", "", ""], "language": "es", "quiet_from": "22", "quiet_until": "7",
        "receive": ["case_updates", "reminders"], "csrf_token": csrf_token(client, "/me/notification-preferences"),
    }, follow_redirects=False)

    assert h1_count(form) == 1 and re.search(r'<label class="usa-label" for="channel-0">', form)
    assert saved.status_code == 303
    with uow() as session:
        prefs = service.preferences_of(session=session, person_id=cast.ana.id, clock=clock)
    assert (prefs.channels, prefs.language, prefs.quiet_from, prefs.quiet_until) == (["sms", "email"], "es", 22, 7)
    assert prefs.opted_out == ["offers", "surveys"]


def test_choosing_the_same_channel_twice_is_refused_and_changes_nothing(client, as_citizen, uow, clock, cast):
    as_citizen("NID-7700-1234")

    refused = client.post("/me/notification-preferences", data={
        "channel": ["sms", "sms"], "language": "en", "csrf_token": csrf_token(client, "/me/notification-preferences"),
    })

    assert refused.status_code == 422
    assert 'id="channel-0-error"' in refused.text and "each channel only once" in refused.text
    with uow() as session:
        assert service.preferences_of(session=session, person_id=cast.ana.id, clock=clock).channels == [
            "inbox", "email"]


def test_a_wrong_setting_is_shown_beside_its_field_in_spanish_with_the_choices_kept(
        client, as_citizen, uow, clock, cast):
    as_citizen("NID-7700-1234")
    client.get("/language/es")

    refused = client.post("/me/notification-preferences", data={
        "channel": ["sms", "", "", ""], "language": "es", "quiet_from": "22", "quiet_until": "",
        "receive": ["reminders"], "csrf_token": csrf_token(client, "/me/notification-preferences"),
    })

    assert refused.status_code == 422 and h1_count(refused.text) == 1
    assert "Hay un problema" in refused.text and 'href="#quiet_from"' in refused.text
    assert re.search(r'id="quiet_from-error"[^>]*>Indique el inicio y el fin de las horas de silencio', refused.text)
    assert re.search(r'<option value="sms" selected>Mensaje de texto \(SMS\)</option>', refused.text)
    assert re.search(r'<option value="22" selected>22:00</option>', refused.text)
    assert re.search(r'id="receive-reminders" [^>]*checked', refused.text)
    assert not re.search(r'id="receive-offers" [^>]*checked', refused.text)
    with uow() as session:
        prefs = service.preferences_of(session=session, person_id=cast.ana.id, clock=clock)
    assert prefs.channels == ["inbox", "email"] and prefs.quiet_from is None


def test_staff_see_a_persons_preferences_and_every_message_their_agency_sent_with_its_outcome(
        app, client, uow, clock, settings, cast, templates):
    with uow() as session:
        f.preferences(session, clock, cast.bob.id, channels=(NotifyChannel.SMS, NotifyChannel.INBOX),
                      opted_out=(Topic.REMINDERS,))
        member = factories.staff(session, clock, cast.tax)
    _send(uow, clock, settings, cast.bob, sender=cast.tax)
    sign_in_staff(client, member.email)

    page = client.get(f"/staff/persons/{cast.bob.id}/notifications").text
    person_page = client.get(f"/staff/persons/{cast.bob.id}").text

    assert h1_count(page) == 1
    assert "Text message (SMS), Inbox in this portal" in page
    assert "Not sent: opted out: the person opted out of reminders" in page
    assert f"/staff/persons/{cast.bob.id}/notifications" in person_page


def test_an_agency_sends_a_message_through_the_api_and_a_retry_sends_nothing_more(
        client, key_for, uow, clock, cast, templates):
    key = key_for(cast.tax, Scope.NOTIFY_SEND)
    body = {"person_id": str(cast.ana.id), "template_key": f.RENEWAL, "facts": f.RENEWAL_FACTS,
            "dedup_key": "renewal-1", "why": {"rule": "Your licence is about to expire.", "data": ["Driving licence"]}}

    first = client.post("/api/v1/notifications", headers=key, json=body)
    again = client.post("/api/v1/notifications", headers=key, json=body)

    assert first.status_code == 201 and first.json()["status"] == "queued"
    assert again.json()["id"] == first.json()["id"]


def test_sending_without_the_notify_scope_is_forbidden(client, key_for, cast, templates):
    key = key_for(cast.tax, Scope.REGISTRY_READ)

    refused = client.post("/api/v1/notifications", headers=key, json={
        "person_id": str(cast.ana.id), "template_key": f.RENEWAL, "why": {"rule": "x"}})

    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")


def test_bad_preferences_over_the_api_get_a_problem_and_change_nothing(client, as_citizen, uow, clock, cast):
    headers = as_citizen("NID-7700-1234")

    refused = client.put("/api/v1/me/notification-preferences", headers=headers,
                         json={"channels": ["email"], "quiet_from": 22})
    fine = client.put("/api/v1/me/notification-preferences", headers=headers,
                      json={"channels": ["sms", "inbox"], "language": "es"})

    assert refused.status_code == 422 and refused.json()["detail"].startswith("Give both ends")
    assert fine.status_code == 200 and fine.json()["channels"] == ["sms", "inbox"]
    assert client.get("/api/v1/me/notification-preferences").json()["language"] == "es"


def test_the_inbox_dates_a_message_on_the_governments_clock_in_the_readers_language(
        client, as_citizen, uow, clock, settings, cast, templates, worker):
    # Sent at 09:30 UTC on 16 March: still the evening of 15 March in Honolulu.
    settings.time_zone = "Pacific/Honolulu"
    _send(uow, clock, settings, cast.ana)
    worker.drain()
    as_citizen("NID-7700-1234")

    english = client.get("/me/inbox").text
    spanish = client.get("/language/es", params={"next": "/me/inbox"}).text

    assert "15 March 2026 · Inbox in this portal · Reminders" in english
    assert "15 de marzo de 2026 · Bandeja de entrada de este portal · Recordatorios" in spanish
    assert "Bandeja de entrada" in spanish and "No enviarme más mensajes como este" in spanish
