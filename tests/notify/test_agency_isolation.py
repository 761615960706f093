"""One agency never reaches another's messages, templates or consented data through notify.

Attacked as another agency would: every template route and every route that returns a message, with
the other agency's key or staff, and the staff page that shows recommendations.
"""

from __future__ import annotations

import pytest

from govcx.consent.models import Purpose
from govcx.core.accounts import Role, Scope
from govcx.notify import recommend, schemas, service
from govcx.notify.models import NotifyChannel
from tests.factories import consent as consent_factories
from tests.factories import notify as f
from tests.factories import registry as factories
from tests.web.helpers import csrf_token, sign_in_staff

SURVEY = "survey.invitation"
SECRET_LINK = "https://govcx.example/survey/i/one-time-token-of-the-tax-agency"
MORTGAGE = "bank.mortgage_balance"


def _template(subject: str, key: str = SURVEY) -> dict:
    return {"key": key, "language": "en", "topic": "surveys", "subject": subject,
            "text_body": "Hello {{ given_name }}: {{ survey_url }}", "html_body": "<p>{{ survey_url }}</p>"}


def _send(uow, clock, settings, person, agency, dedup_key=None, facts=None):  # noqa: ANN001, ANN202
    with uow() as session:
        f.preferences(session, clock, person.id, channels=(NotifyChannel.INBOX,))
        return service.send(session=session, clock=clock, settings=settings, person_id=person.id,
                            template_key=SURVEY,
                            facts=facts or {"service_name": "Tax refund", "survey_url": SECRET_LINK},
                            why=f.why("You used it."), dedup_key=dedup_key,
                            sender_agency_id=agency.id if agency else None)


def _as_staff(client, uow, clock, agency, role=Role.STAFF) -> dict[str, str]:  # noqa: ANN001
    with uow() as session:
        member = factories.staff(session, clock, None if role is Role.PLATFORM_ADMIN else agency, role)
    sign_in_staff(client, member.email)
    return {"X-CSRF-Token": csrf_token(client, "/staff")}


# Messages: dedup per sender, and a caller only ever gets back its own ---------------------------


def test_another_agencys_dedup_key_never_returns_its_message_on_any_route(
        client, key_for, uow, clock, settings, cast, templates):
    dedup = "survey-invitation:0b7d1c1e-case"
    theirs = _send(uow, clock, settings, cast.ana, cast.tax, dedup_key=dedup)
    mine = key_for(cast.transport, Scope.NOTIFY_SEND)

    posted = client.post("/api/v1/notifications", headers=mine, json={
        "person_id": str(cast.ana.id), "template_key": SURVEY, "dedup_key": dedup, "why": {"rule": "Probe."}})
    fetched = client.get(f"/api/v1/notifications/{theirs.id}", headers=mine)
    retried = client.post("/api/v1/notifications", headers=mine, json={
        "person_id": str(cast.ana.id), "template_key": SURVEY, "dedup_key": dedup, "why": {"rule": "Probe."}})
    own = client.get(f"/api/v1/notifications/{posted.json()['id']}", headers=mine)
    by_owner = client.get(f"/api/v1/notifications/{theirs.id}", headers=key_for(cast.tax, Scope.NOTIFY_SEND))

    assert all(SECRET_LINK not in answer.text for answer in (posted, fetched, retried, own))
    assert str(theirs.id) not in {posted.json()["id"], retried.json()["id"], own.json()["id"]}
    assert posted.status_code == 201 and posted.json()["sender_agency_id"] == str(cast.transport.id)
    assert fetched.status_code == 404
    assert retried.json()["id"] == posted.json()["id"] and own.status_code == 200
    assert by_owner.status_code == 200 and SECRET_LINK in by_owner.json()["text_body"]


def test_the_platform_and_each_agency_deduplicate_apart(uow, clock, settings, cast, templates):
    made = [_send(uow, clock, settings, cast.ana, agency, dedup_key="same-key")
            for agency in (cast.tax, cast.transport, None, cast.tax)]

    assert len({m.id for m in made[:3]}) == 3 and made[3].id == made[0].id
    assert [m.sender_agency_id for m in made[:3]] == [cast.tax.id, cast.transport.id, None]


def test_staff_see_only_the_messages_their_agency_sent_and_a_platform_admin_sees_all(
        app, client, uow, clock, settings, cast, templates):
    _send(uow, clock, settings, cast.ana, cast.tax)
    _send(uow, clock, settings, cast.ana, cast.transport, facts={"service_name": "Licence renewal",
                                                                  "survey_url": "/survey/transport"})
    page = f"/staff/persons/{cast.ana.id}/notifications"

    _as_staff(client, uow, clock, cast.transport)
    transport = client.get(page).text
    client.cookies.clear()
    _as_staff(client, uow, clock, None, Role.PLATFORM_ADMIN)
    platform = client.get(page).text

    assert "How was Licence renewal?" in transport and "How was Tax refund?" not in transport
    assert "How was Licence renewal?" in platform and "How was Tax refund?" in platform


# Templates: each agency keeps its own; the platform's are the defaults, changed by platform admins ----


def test_every_template_route_with_another_agencys_key_touches_only_its_own(
        client, key_for, uow, clock, settings, cast, templates):
    tax, transport = key_for(cast.tax, Scope.NOTIFY_ADMIN), key_for(cast.transport, Scope.NOTIFY_ADMIN)
    taxs = client.post("/api/v1/notification-templates", headers=tax, json=_template("Tax: how did we do?")).json()

    rewritten = client.post("/api/v1/notification-templates", headers=transport,
                            json=_template("Pwned: click {{ survey_url }}"))
    listed = client.get("/api/v1/notification-templates", headers=transport).json()["items"]
    read_theirs = client.get(f"/api/v1/notification-templates/{taxs['id']}", headers=transport)
    with uow() as session:
        platform_id = service.current_template(session=session, key=SURVEY, language="en").id
    read_platform = client.get(f"/api/v1/notification-templates/{platform_id}", headers=transport)
    sent_by_tax = _send(uow, clock, settings, cast.ana, cast.tax)
    sent_by_govcx = _send(uow, clock, settings, cast.bob, None)
    sent_by_transport = _send(uow, clock, settings, cast.bob, cast.transport)

    assert rewritten.status_code == 201 and rewritten.json()["agency_id"] == str(cast.transport.id)
    assert [(t["agency_id"], t["subject"]) for t in listed] == [(str(cast.transport.id),
                                                                 "Pwned: click {{ survey_url }}")]
    assert read_theirs.status_code == 404 and read_platform.status_code == 404
    assert sent_by_tax.subject == "Tax: how did we do?"
    assert sent_by_govcx.subject == "How was Tax refund?"  # the platform's default, untouched
    assert sent_by_transport.subject.startswith("Pwned")  # an agency changes only what it sends itself


def test_an_agency_without_its_own_version_sends_the_platforms_which_only_a_platform_admin_changes(
        client, key_for, uow, clock, settings, cast, templates):
    csrf = _as_staff(client, uow, clock, cast.tax, Role.AGENCY_ADMIN)
    by_agency_admin = client.post("/api/v1/notification-templates", headers=csrf,
                                  json=_template("Agency admin edits the default"))
    client.cookies.clear()
    csrf = _as_staff(client, uow, clock, None, Role.PLATFORM_ADMIN)
    no_token = client.post("/api/v1/notification-templates", json=_template("No CSRF token"))
    by_platform = client.post("/api/v1/notification-templates", headers=csrf,
                              json=_template("How was {{ service_name }}? Tell us"))
    everyone = client.get("/api/v1/notification-templates", headers=csrf).json()["items"]

    sent = _send(uow, clock, settings, cast.ana, cast.transport)

    # An agency admin keeps the agency's own version, never the platform's default.
    assert by_agency_admin.status_code == 201 and by_agency_admin.json()["agency_id"] == str(cast.tax.id)
    assert no_token.status_code == 403
    assert by_platform.status_code == 201 and by_platform.json()["agency_id"] is None
    assert by_platform.json()["version"] == 2 and len(everyone) == len(f_default_templates()) + 2
    assert sent.subject == "How was Tax refund? Tell us"


def f_default_templates() -> list[schemas.TemplateCreate]:
    from govcx.notify import defaults

    return defaults.default_templates()


# Recommendations: only from consents that name the viewing agency as a recipient -----------------


@pytest.fixture
def relief_shared_with_tax_only(uow, clock, cast):  # noqa: ANN001, ANN201
    """Ana lets only the tax agency use her mortgage balance for suggestions, and a rule would fire on it."""
    with uow() as session:
        svc = factories.catalogue_service(session, clock, cast.tax, code="MORTGAGE-RELIEF")
        svc.name = "Mortgage interest relief"
        f.rule(session, clock, code="mortgage-relief", service_id=svc.id, when={MORTGAGE: []})
        consent_factories.consent(session, clock, subject_id=cast.ana.id, requester_id=cast.tax.id,
                                  attributes=[MORTGAGE], purpose=Purpose.SERVICE_PERSONALISATION)


def test_recommendations_show_only_to_the_agencies_the_consent_names(
        app, client, uow, clock, cipher, settings, cast, templates, relief_shared_with_tax_only):
    page = f"/staff/persons/{cast.ana.id}/notifications"
    seen = {}
    for who, agency, role in (("transport", cast.transport, Role.STAFF), ("pop", cast.pop, Role.AGENCY_ADMIN),
                              ("tax", cast.tax, Role.STAFF), ("platform", None, Role.PLATFORM_ADMIN)):
        client.cookies.clear()
        _as_staff(client, uow, clock, agency, role)
        seen[who] = "Mortgage interest relief" in client.get(page).text
    with uow() as session:
        for_transport = recommend.recommendations_for(
            session=session, clock=clock, cipher=cipher, person_id=cast.ana.id, threshold=1,
            for_agency_id=cast.transport.id)

    assert seen == {"transport": False, "pop": False, "tax": True, "platform": True}
    assert for_transport == []
