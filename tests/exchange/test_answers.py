"""An answer is what was disclosed at the time: kept sealed, returned as it was, never re-read."""

from sqlalchemy import text, update

from govcx.consent.schemas import ConsentAction
from govcx.consent import service as consent_service
from govcx.exchange.models import ExchangeRequest
from tests.factories import consent as consent_factories
from tests.factories import vault as vault_factories
from tests.once_only import INTEREST


def _ask(client, key, subject):
    return client.post("/api/v1/exchange/requests", headers=key, json={
        "subject_id": str(subject.id), "attributes": [INTEREST], "purpose": "ServiceProvision"})


def _new_interest(uow, clock, cipher, cast, value):
    with uow() as session:
        vault_factories.fact(session, clock, cipher, subject_id=cast.ana.id, key=INTEREST, value=value,
                             organization=cast.bank)


def _log_size(client, as_citizen):
    as_citizen("NID-7700-1234")
    return len(client.get("/api/v1/me/access-log").json()["items"])


def test_a_withdrawn_consent_and_a_newer_value_change_nothing_in_an_answer_already_given(
        client, cast, key_for, uow, clock, cipher, as_citizen):
    with uow() as session:
        consent = consent_factories.consent(session, clock, subject_id=cast.ana.id, requester_id=cast.tax.id,
                                            attributes=[INTEREST])
    tax = key_for(cast.tax)
    answered = _ask(client, tax, cast.ana).json()
    with uow() as session:
        consent_service.act(session=session, consent_id=consent.id, action=ConsentAction.WITHDRAW, clock=clock,
                            signer=consent_factories.SIGNER, person_id=cast.ana.id)
    clock.advance(days=1)
    _new_interest(uow, clock, cipher, cast, "999.99")
    entries = _log_size(client, as_citizen)

    reads = [client.get(f"/api/v1/exchange/requests/{answered['request_id']}", headers=tax) for _ in range(3)]

    assert answered["status"] == "answered" and [f["value"] for f in answered["facts"]] == ["412.50"]
    for read in reads:
        assert read.status_code == 200 and read.json()["status"] == "answered"
        assert [(f["value"], f["version"]) for f in read.json()["facts"]] == [("412.50", 1)]
        assert "999.99" not in read.text
    assert _log_size(client, as_citizen) == entries == 1


def test_an_answer_is_kept_sealed_never_in_clear(client, cast, key_for, uow, clock, engine):
    with uow() as session:
        consent_factories.consent(session, clock, subject_id=cast.ana.id, requester_id=cast.tax.id,
                                  attributes=[INTEREST])
    answered = _ask(client, key_for(cast.tax), cast.ana).json()

    with engine.connect() as connection:
        row = connection.execute(text("SELECT * FROM exchange_request")).mappings().one()

    assert answered["facts"] and row["answer_sealed"] is not None and row["answer_key_id"] == "k1"
    assert b"412.50" not in bytes(row["answer_sealed"]) and "412.50" not in " ".join(map(str, row.values()))


def test_an_answer_given_before_answers_were_kept_releases_nothing_more(
        client, cast, key_for, uow, clock):
    with uow() as session:
        consent_factories.consent(session, clock, subject_id=cast.ana.id, requester_id=cast.tax.id,
                                  attributes=[INTEREST])
    tax = key_for(cast.tax)
    answered = _ask(client, tax, cast.ana).json()
    with uow() as session:  # as a row written before the upgrade looks
        session.execute(update(ExchangeRequest).values(answer_sealed=None, answer_key_id=None))

    read = client.get(f"/api/v1/exchange/requests/{answered['request_id']}", headers=tax)

    assert read.json()["status"] == "answered" and read.json()["facts"] == [] and "412.50" not in read.text


def test_sharing_after_a_preview_releases_what_was_shown_or_asks_the_person_to_look_again(
        client, cast, key_for, uow, clock, cipher, as_citizen):
    with uow() as session:
        consent_factories.consent(session, clock, subject_id=cast.ana.id, requester_id=cast.tax.id,
                                  attributes=[INTEREST], one_off=True, requires_preview=True)
    tax = key_for(cast.tax)
    pending = _ask(client, tax, cast.ana).json()
    csrf = as_citizen("NID-7700-1234")
    [shown] = client.get("/api/v1/me/data-requests").json()["items"]
    clock.advance(minutes=5)
    _new_interest(uow, clock, cipher, cast, "777.00")

    stale = client.post(f"/api/v1/me/data-requests/{pending['request_id']}", headers=csrf,
                        json={"share": True, "preview": shown["preview"]})
    waiting = client.get(f"/api/v1/exchange/requests/{pending['request_id']}", headers=tax).json()
    [again] = client.get("/api/v1/me/data-requests").json()["items"]
    shared = client.post(f"/api/v1/me/data-requests/{pending['request_id']}", headers=csrf,
                         json={"share": True, "preview": again["preview"]})
    kept = client.get(f"/api/v1/exchange/requests/{pending['request_id']}", headers=tax).json()

    assert [f["value"] for f in shown["facts"]] == ["412.50"]
    assert stale.status_code == 409 and "look" in stale.json()["detail"]
    assert waiting["status"] == "awaiting_person" and waiting["facts"] == []
    assert [f["value"] for f in again["facts"]] == ["777.00"] and again["preview"] != shown["preview"]
    assert shared.status_code == 200 and [f["value"] for f in shared.json()["facts"]] == ["777.00"]
    assert kept["status"] == "answered" and [f["value"] for f in kept["facts"]] == ["777.00"]
