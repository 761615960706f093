"""Issue 9, acceptance 1: a birth recorded in the vault brings the child benefit to the parent, ready to confirm."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy import select

from govcx.consent.models import Consent, ConsentStatus
from govcx.crm import applications as crm_applications
from govcx.crm import service as crm
from govcx.journeys.proactive.models import Offer
from govcx.notify import service as notify
from govcx.vault.events import FactRecorded
from govcx.vault.models import Fact
from tests.journeys.proactive.conftest import BIRTH, PARENT_ID, REASON, child_benefit_rule, record_birth
from tests.web.helpers import csrf_token, sign_in_citizen

BORN = date(2026, 3, 14)


def _rule(client, cast) -> None:  # noqa: ANN001
    answer = client.post("/api/v1/proactive/rules", headers={"X-API-Key": cast.benefits_key},
                         json=child_benefit_rule(cast))
    assert answer.status_code == 201, answer.text


def _act(client, offer_id, action: str):  # noqa: ANN001, ANN202
    return client.post(f"/me/life-events/offers/{offer_id}/{action}",
                       data={"csrf_token": csrf_token(client, "/me")}, follow_redirects=False)


def _offers(uow, person_id) -> list[Offer]:  # noqa: ANN001
    with uow() as session:
        return list(session.scalars(select(Offer).where(Offer.person_id == person_id)))


def test_a_recorded_birth_brings_the_parent_a_prefilled_child_benefit_that_one_click_files_at_the_benefits_agency(
        client, cast, uow, worker, cipher):
    _rule(client, cast)

    assert record_birth(client, cast, BORN).status_code == 201  # nothing else happens by hand from here
    worker.drain()
    sign_in_citizen(client, PARENT_ID)
    offered = client.get("/api/v1/me/offers").json()["items"]
    page = client.get("/me/life-events").text
    accepted = _act(client, offered[0]["id"], "accept")

    assert [o["service_name"] for o in offered] == ["Child benefit"]
    assert {v["attribute_key"]: v["value"] for v in offered[0]["prefilled"]} == {
        "person.name": "Maria Tamm", "person.address": "Pikk 12, Aurelia", BIRTH: "2026-03-14",
        "tax.residency": "resident"}
    assert offered[0]["consent"]["status"] == "requested"
    assert offered[0]["consent"]["attributes"] == ["Child birth", "Residency"]
    assert "Child benefit" in page and "Pikk 12, Aurelia" in page and "Why am I seeing this?" in page
    assert REASON in page and "Accepting also gives your consent" in page
    assert accepted.status_code == 303
    with uow() as session:
        cases = crm.cases_of_person(session=session, person_id=cast.parent.id)
        assert [(c.agency_id, c.service_id) for c in cases] == [(cast.benefits.id, cast.child_benefit.id)]
        answers = crm_applications.answers_of(session=session, cipher=cipher, case_id=cases[0].id)
        assert {(a.attribute_key, a.value, a.from_vault) for a in answers} == {
            ("person.name", "Maria Tamm", True), ("person.address", "Pikk 12, Aurelia", True),
            (BIRTH, "2026-03-14", True), ("tax.residency", "resident", True)}
        consent = session.get(Consent, UUID(offered[0]["consent"]["consent_id"]))
        assert consent.status is ConsentStatus.ACTIVE and consent.requester_agency_id == cast.benefits.id
        messages = notify.latest_messages(session=session, person_id=cast.parent.id, limit=10)
        assert len(messages) == 1
        assert messages[0].text_body.startswith("Hello Maria,") and "Child benefit" in messages[0].subject
        assert messages[0].why_rule == REASON and messages[0].sender_agency_id == cast.benefits.id
    inbox = client.get("/me/inbox").text
    assert "Why am I seeing this?" in inbox and REASON in inbox
    assert client.get("/api/v1/me/offers").json()["items"][0]["status"] == "accepted"


def test_a_declined_offer_never_comes_back_for_that_birth(client, cast, uow, worker, clock, engine, settings):
    from govcx.core.db import make_session_factory
    from govcx.journeys.proactive.service import Reactions

    _rule(client, cast)
    record_birth(client, cast, BORN)
    sign_in_citizen(client, PARENT_ID)
    [offer] = _offers(uow, cast.parent.id)

    declined = _act(client, offer.id, "decline")
    record_birth(client, cast, BORN)  # the register sends the same birth again
    with uow() as session:  # and the event of the first recording is delivered a second time
        fact = session.scalars(select(Fact).where(Fact.attribute_key == BIRTH).order_by(Fact.version)).first()
        again = FactRecorded(fact_id=fact.id, subject_id=fact.subject_id, attribute_key=BIRTH, version=1,
                             previous_fact_id=None, recorded_at=fact.recorded_at)
    Reactions(session_factory=make_session_factory(engine), clock=clock, settings=settings).on_fact_recorded(again)
    worker.drain()

    assert declined.status_code == 303
    assert [(o.id, o.status.value) for o in _offers(uow, cast.parent.id)] == [(offer.id, "declined")]
    with uow() as session:
        assert len(notify.latest_messages(session=session, person_id=cast.parent.id, limit=10)) == 1
        assert crm.cases_of_person(session=session, person_id=cast.parent.id) == []
        assert session.get(Consent, offer.consent_id).status is ConsentStatus.REJECTED
    assert _act(client, offer.id, "accept").status_code == 409


def test_a_second_child_is_a_new_event_and_brings_a_new_offer(client, cast, uow):
    _rule(client, cast)
    record_birth(client, cast, BORN)
    sign_in_citizen(client, PARENT_ID)
    [first] = _offers(uow, cast.parent.id)
    _act(client, first.id, "decline")

    record_birth(client, cast, date(2026, 3, 15))

    assert sorted(o.status.value for o in _offers(uow, cast.parent.id)) == ["declined", "offered"]


def test_no_offer_when_the_condition_does_not_hold(client, cast, uow, clock, cipher):
    from tests.factories import vault as vault_factories

    _rule(client, cast)
    with uow() as session:
        vault_factories.fact(session, clock, cipher, subject_id=cast.parent.id, key="tax.residency",
                             value="non-resident", agency=cast.tax)

    record_birth(client, cast, BORN)

    assert _offers(uow, cast.parent.id) == []


def test_an_offer_expires_and_can_no_longer_be_accepted(client, cast, uow, clock):
    _rule(client, cast)
    record_birth(client, cast, BORN)
    [offer] = _offers(uow, cast.parent.id)

    clock.advance(days=31)
    sign_in_citizen(client, PARENT_ID)
    answer = _act(client, offer.id, "accept")

    assert answer.status_code == 409
    assert client.get("/api/v1/me/offers").json()["items"][0]["status"] == "expired"
    with uow() as session:
        assert crm.cases_of_person(session=session, person_id=cast.parent.id) == []
