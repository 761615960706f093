"""The rules API: agency admins save rules; a bad condition is a 422 problem detail that saves nothing."""

from __future__ import annotations

import pytest

from tests.factories import registry as factories
from tests.journeys.proactive.conftest import child_benefit_rule


def _post(client, cast, **changes):  # noqa: ANN001, ANN202
    return client.post("/api/v1/proactive/rules", headers={"X-API-Key": cast.benefits_key},
                       json=child_benefit_rule(cast, **changes))


def _codes(client, cast) -> list[str]:  # noqa: ANN001
    return [r["code"] for r in client.get("/api/v1/proactive/rules",
                                          headers={"X-API-Key": cast.benefits_key}).json()["items"]]


def test_an_agency_admin_saves_a_rule_and_reads_it_back(client, cast):
    saved = _post(client, cast)

    assert saved.status_code == 201
    assert saved.json()["condition"] == child_benefit_rule(cast)["condition"]
    assert saved.json()["agency_id"] == str(cast.benefits.id)
    assert _codes(client, cast) == ["child-benefit-on-birth"]
    changed = client.patch(f"/api/v1/proactive/rules/{saved.json()['id']}", headers={"X-API-Key": cast.benefits_key},
                           json={"active": False})
    assert changed.status_code == 200 and changed.json()["active"] is False


@pytest.mark.parametrize(("condition", "said"), [
    ("tax.residency == ", "not valid"),
    ("tax.shoe_size > 40", "tax.shoe_size is not in the data catalogue"),
    ("residency == 'resident'", "residency is not a fact"),
    ("__import__('os').system('true')", "Only these functions may be called"),
    ("tax.residency.__class__", "namespace.attribute"),
    ("event.mood == 'happy'", "event.mood is not known"),
])
def test_a_condition_with_bad_syntax_or_unknown_facts_is_refused_and_nothing_is_saved(client, cast, condition, said):
    answer = _post(client, cast, condition=condition)

    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert said in answer.json()["detail"]
    assert _codes(client, cast) == []


def test_a_rule_offers_only_its_own_agencys_services_on_catalogue_facts(client, cast):
    assert _post(client, cast, service_id=str(cast.child_benefit.id), trigger_key="person.shoe_size").status_code == 422
    assert _post(client, cast, consent_attributes=["tax.unknown"]).status_code == 422
    assert _post(client, cast, trigger="case_resolved", trigger_key="NO-SUCH-SERVICE").status_code == 422
    assert _codes(client, cast) == []


def test_keeping_rules_needs_the_proactive_admin_scope(client, cast, uow, clock):
    from govcx.core.accounts import Scope

    with uow() as session:
        weak = factories.api_key(session, clock, cast.benefits, [Scope.CRM_READ])

    answer = client.post("/api/v1/proactive/rules", headers={"X-API-Key": weak}, json=child_benefit_rule(cast))

    assert answer.status_code == 403
    assert _codes(client, cast) == []


def test_another_agency_cannot_offer_the_benefits_agencys_service(client, cast, uow, clock):
    from govcx.core.accounts import Scope

    with uow() as session:
        other = factories.api_key(session, clock, cast.tax, [Scope.PROACTIVE_ADMIN])

    answer = client.post("/api/v1/proactive/rules", headers={"X-API-Key": other}, json=child_benefit_rule(cast))

    assert answer.status_code == 422
    assert "its own agency" in answer.json()["detail"]


def test_the_offer_summary_counts_by_outcome_and_withholds_counts_below_the_threshold(client, cast, uow, clock,
                                                                                       cipher, settings):
    from datetime import date, timedelta

    from tests.factories import registry as registry_factories
    from tests.factories import vault as vault_factories
    from tests.journeys.proactive.conftest import BIRTH, record_birth

    assert _post(client, cast).status_code == 201
    record_birth(client, cast, date(2026, 3, 14))  # the cast's parent: one offer
    for n in range(settings.suppression_threshold):  # and enough other parents to be shown
        with uow() as session:
            parent = registry_factories.person(session, clock, cipher, given_name=f"Parent{n}")
            vault_factories.fact(session, clock, cipher, subject_id=parent.id, key="tax.residency", value="resident",
                                 agency=cast.tax)
            for key, value in (("person.name", f"Parent{n}"), ("person.address", f"Street {n}"),
                               (BIRTH, (date(2026, 3, 1) + timedelta(days=n % 10)).isoformat())):
                vault_factories.fact(session, clock, cipher, subject_id=parent.id, key=key, value=value,
                                     agency=cast.population)

    summary = client.get("/api/v1/proactive/offers/summary", headers={"X-API-Key": cast.benefits_key}).json()

    [row] = summary["rules"]
    assert summary["threshold"] == settings.suppression_threshold
    assert row["made"] == settings.suppression_threshold + 1 and row["waiting"] == settings.suppression_threshold + 1
    assert row["accepted"] is None and row["declined"] is None  # none (below the threshold): withheld
