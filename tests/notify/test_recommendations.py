"""Recommendations come only from consented data, and every channel shows the same list."""

from __future__ import annotations

from uuid import uuid4

import pytest
from starlette.testclient import TestClient

from govcx.consent import schemas as consent_schemas
from govcx.consent import service as consent_service
from govcx.consent.models import Purpose
from govcx.notify import recommend
from govcx.notify.models import Message, MessageStatus, NotifyChannel
from tests.factories import consent as consent_factories
from tests.factories import notify as f
from tests.factories import registry as factories
from tests.web.helpers import sign_in_staff

MORTGAGE = "bank.mortgage_balance"
RELIEF = "Mortgage interest relief"


@pytest.fixture
def relief(uow, clock, cast):  # noqa: ANN001, ANN201
    """A tax service worth suggesting to anyone with a mortgage, and a rule that says so."""
    with uow() as session:
        svc = factories.catalogue_service(session, clock, cast.tax, code="MORTGAGE-RELIEF")
        svc.name = RELIEF
        f.rule(session, clock, code="mortgage-relief", service_id=svc.id, when={MORTGAGE: []})
        return svc


@pytest.fixture
def ana_consents(uow, clock, cast):  # noqa: ANN001, ANN201
    """Ana lets the tax agency use her mortgage balance to suggest services."""
    with uow() as session:
        return consent_factories.consent(session, clock, subject_id=cast.ana.id, requester_id=cast.tax.id,
                                         attributes=[MORTGAGE], purpose=Purpose.SERVICE_PERSONALISATION)


@pytest.fixture
def staff_client(app, uow, clock, cast):  # noqa: ANN001, ANN201
    with uow() as session:
        member = factories.staff(session, clock, cast.tax)
    with TestClient(app) as other:
        sign_in_staff(other, member.email)
        yield other


def _recommended(uow, clock, cipher, settings, person) -> list[str]:  # noqa: ANN001
    with uow() as session:
        return [r.service_name for r in recommend.recommendations_for(
            session=session, clock=clock, cipher=cipher, person_id=person.id,
            threshold=settings.suppression_threshold)]


def test_withdrawing_the_consent_removes_the_recommendation_from_portal_email_and_staff_page(
        client, staff_client, as_citizen, uow, clock, cipher, settings, cast, templates, relief, ana_consents,
        mailbox, worker):
    with uow() as session:
        f.preferences(session, clock, cast.ana.id, channels=(NotifyChannel.EMAIL,))
        queued = recommend.send_recommendations(session=session, clock=clock, settings=settings, cipher=cipher,
                                                person_id=cast.ana.id)
    as_citizen("NID-7700-1234")
    assert RELIEF in client.get("/me/recommendations").text
    assert RELIEF in staff_client.get(f"/staff/persons/{cast.ana.id}/notifications").text
    assert RELIEF in queued.text_body and RELIEF in queued.html_body
    assert queued.why_data == ["Mortgage balance"]

    with uow() as session:
        consent_service.act(session=session, consent_id=ana_consents.id, clock=clock, signer=consent_factories.SIGNER,
                            action=consent_schemas.ConsentAction.WITHDRAW, person_id=cast.ana.id)
    worker.drain()

    assert RELIEF not in client.get("/me/recommendations").text
    assert RELIEF not in staff_client.get(f"/staff/persons/{cast.ana.id}/notifications").text
    with uow() as session:
        assert recommend.send_recommendations(session=session, clock=clock, settings=settings, cipher=cipher,
                                              person_id=cast.ana.id) is None
        cancelled = session.get(Message, queued.id)
    assert cancelled.status is MessageStatus.SKIPPED and cancelled.skip_reason.startswith("consent withdrawn")
    assert mailbox.received == []


def test_a_consent_for_another_purpose_does_not_allow_recommendations(uow, clock, cipher, settings, cast, relief):
    with uow() as session:
        consent_factories.consent(session, clock, subject_id=cast.ana.id, requester_id=cast.tax.id,
                                  attributes=[MORTGAGE], purpose=Purpose.SERVICE_PROVISION)

    assert _recommended(uow, clock, cipher, settings, cast.ana) == []


def test_a_fact_that_does_not_match_the_rule_recommends_nothing(uow, clock, cipher, settings, cast, ana_consents):
    with uow() as session:
        svc = factories.catalogue_service(session, clock, cast.tax, code="BIG-MORTGAGE")
        f.rule(session, clock, code="big-mortgage", service_id=svc.id, when={MORTGAGE: ["999999.00"]})

    assert _recommended(uow, clock, cipher, settings, cast.ana) == []


def test_what_people_in_the_same_situation_used_is_suggested_with_the_same_consent(
        uow, clock, cipher, cast, relief, ana_consents):
    with uow() as session:
        other = factories.catalogue_service(session, clock, cast.tax, code="HOME-INSURANCE")
        rare = factories.catalogue_service(session, clock, cast.tax, code="RARE")
    people = [uuid4() for _ in range(3)]  # three other people's histories
    history = [(p, relief.id) for p in people] + [(p, other.id) for p in people] + [(people[0], rare.id)]
    together = recommend.co_occurrence(history)

    with uow() as session:
        recs = recommend.recommendations_for(session=session, clock=clock, cipher=cipher, person_id=cast.ana.id,
                                             threshold=2, together=together)

    by_code = {r.service_code: r for r in recs}
    assert set(by_code) == {"MORTGAGE-RELIEF", "HOME-INSURANCE"}  # RARE: one person is below the threshold
    assert by_code["HOME-INSURANCE"].also_used_by == 3
    assert by_code["HOME-INSURANCE"].consent_ids == [ana_consents.id]
    assert by_code["HOME-INSURANCE"].why_rule.startswith(f"3 people who used {RELIEF} also used this.")


def test_stopping_a_kind_of_recommendation_hides_it(client, as_citizen, uow, clock, cipher, settings, cast, relief,
                                                    ana_consents):
    as_citizen("NID-7700-1234")
    page = client.get("/me/recommendations").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]

    stopped = client.post("/me/recommendations/stop", data={"rule_code": "mortgage-relief", "csrf_token": token},
                          follow_redirects=False)

    assert stopped.status_code == 303
    assert RELIEF not in client.get("/me/recommendations").text
    assert _recommended(uow, clock, cipher, settings, cast.ana) == []


def test_pausing_the_consent_cancels_a_suggestion_email_still_waiting(
        app, uow, clock, cipher, settings, cast, templates, relief, ana_consents):
    with uow() as session:
        f.preferences(session, clock, cast.ana.id, channels=(NotifyChannel.EMAIL,), quiet=(8, 11))  # deferred
        queued = recommend.send_recommendations(session=session, clock=clock, settings=settings, cipher=cipher,
                                                person_id=cast.ana.id)

    with uow() as session:
        consent_service.act(session=session, consent_id=ana_consents.id, clock=clock, signer=consent_factories.SIGNER,
                            action=consent_schemas.ConsentAction.PAUSE, person_id=cast.ana.id)

    with uow() as session:
        paused = session.get(Message, queued.id)
    assert paused.status is MessageStatus.SKIPPED and paused.skip_reason.startswith("consent paused")
    assert _recommended(uow, clock, cipher, settings, cast.ana) == []
