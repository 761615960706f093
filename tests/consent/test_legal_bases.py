"""The register of legal bases: kept by platform administrators only, every change logged and shown to the
people it affects. Attacked as an agency would: every write route, with every key an agency can hold."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from govcx.consent import service as consent_service
from govcx.consent.models import LegalBasis
from govcx.core import accounts
from govcx.core.accounts import KEY_SCOPES, ApiKey, Role, Scope
from govcx.core.errors import Invalid
from tests.factories import consent as consent_factories
from tests.factories import registry as factories
from tests.once_only import ADDRESS, INCOME, INTEREST
from tests.web.helpers import csrf_token, sign_in_staff

BASIS = {"title": "Income Tax Act", "citation": "Income Tax Act §12(3)", "purpose": "LegalCompliance",
         "attributes": [INTEREST], "valid_from": "2026-01-01T00:00:00Z"}


def _writes(basis_id: str, agency_id: str) -> list[tuple[str, str, dict]]:
    """Every route that changes the register, with a body that would be accepted from a platform admin."""
    return [
        ("POST", "/api/v1/legal-bases", {**BASIS, "agency_id": agency_id}),
        ("PATCH", f"/api/v1/legal-bases/{basis_id}", {"attributes": [INTEREST, ADDRESS], "note": "Wider."}),
        ("POST", f"/api/v1/legal-bases/{basis_id}/repeal", {"note": "Gone."}),
    ]


def _register(uow, clock, cast) -> LegalBasis:  # noqa: ANN001
    with uow() as session:
        return consent_factories.legal_basis(session, clock, agency_id=cast.transport.id, attributes=[INTEREST])


def _register_state(uow) -> list[tuple]:  # noqa: ANN001
    with uow() as session:
        return [(b.title, tuple(b.attributes), b.valid_until, b.repealed_at, len(changes))
                for b in consent_service.all_legal_bases(session=session)
                for changes in [consent_service.changes_of(session=session, legal_basis_ids=[b.id])[b.id]]]


def _as_staff(client, uow, clock, agency, role: Role) -> dict[str, str]:  # noqa: ANN001
    with uow() as session:
        member = factories.staff(session, clock, None if role is Role.PLATFORM_ADMIN else agency, role)
    sign_in_staff(client, member.email)
    return {"X-CSRF-Token": csrf_token(client, "/staff")}


def test_no_agency_key_can_create_amend_or_repeal_a_legal_basis_even_for_itself(client, cast, key_for, uow, clock):
    basis = _register(uow, clock, cast)
    before = _register_state(uow)
    key = key_for(cast.tax)  # every scope an API key may hold

    answers = [client.request(method, path, json=body, headers=key).status_code
               for method, path, body in _writes(str(basis.id), str(cast.tax.id))]

    assert answers == [403, 403, 403]
    assert _register_state(uow) == before


def test_an_api_key_cannot_be_given_the_power_to_keep_the_legal_bases(uow, clock, cast):
    with uow() as session, pytest.raises(Invalid):
        accounts.create_api_key(session=session, agency_id=cast.tax.id, scopes=[Scope.LEGAL_BASIS_ADMIN],
                                label="grant myself a law", clock=clock)

    assert Scope.LEGAL_BASIS_ADMIN not in KEY_SCOPES


def test_a_key_that_held_the_power_before_has_lost_it(client, cast, key_for, uow, clock):
    key = key_for(cast.tax, Scope.REGISTRY_READ)
    with uow() as session:  # a key made before keys lost the power
        session.execute(update(ApiKey).values(scopes=[Scope.REGISTRY_READ.value, Scope.LEGAL_BASIS_ADMIN.value]))

    answer = client.post("/api/v1/legal-bases", headers=key, json={**BASIS, "agency_id": str(cast.tax.id)})

    assert answer.status_code == 403
    assert _register_state(uow) == []


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.PLATFORM_ADMIN])
def test_no_staff_role_but_platform_admin_changes_the_register_by_api_or_page(client, cast, uow, clock, role):
    basis = _register(uow, clock, cast)
    before = _register_state(uow)
    csrf = _as_staff(client, uow, clock, cast.tax, role)

    api = [client.request(method, path, json=body, headers=csrf).status_code
           for method, path, body in _writes(str(basis.id), str(cast.tax.id))]
    pages = [client.get("/admin/legal-bases").status_code,
             client.post(f"/admin/legal-bases/{basis.id}/repeal", data={"note": "x", "csrf_token": csrf[
                 "X-CSRF-Token"]}).status_code]

    assert api == [403, 403, 403] and pages == [403, 403]
    assert _register_state(uow) == before
    assert "/admin/legal-bases" not in client.get("/staff").text


def test_a_platform_admin_creates_amends_and_repeals_through_the_api_and_each_change_is_logged(
        client, cast, key_for, uow, clock):
    csrf = _as_staff(client, uow, clock, None, Role.PLATFORM_ADMIN)

    no_token = client.post("/api/v1/legal-bases", json={**BASIS, "agency_id": str(cast.tax.id)})
    made = client.post("/api/v1/legal-bases", headers=csrf, json={**BASIS, "agency_id": str(cast.tax.id)}).json()
    clock.advance(days=1)
    csrf = _as_staff(client, uow, clock, None, Role.PLATFORM_ADMIN)  # a day later: a new session
    amended = client.patch(f"/api/v1/legal-bases/{made['id']}", headers=csrf,
                           json={"attributes": [INTEREST, ADDRESS], "note": "The 2026 budget act adds the address."})
    clock.advance(days=1)
    csrf = _as_staff(client, uow, clock, None, Role.PLATFORM_ADMIN)
    repealed = client.post(f"/api/v1/legal-bases/{made['id']}/repeal", headers=csrf,
                           json={"note": "Replaced by the Tax Simplification Act."})
    again = client.post(f"/api/v1/legal-bases/{made['id']}/repeal", headers=csrf, json={"note": "Twice."})
    seen_by_agency = client.get(f"/api/v1/legal-bases/{made['id']}", headers=key_for(cast.tax)).json()

    assert no_token.status_code == 403
    assert amended.status_code == 200 and repealed.status_code == 200 and again.status_code == 409
    assert repealed.json()["repealed_at"] is not None
    log = seen_by_agency["changes"]
    assert [(c["kind"], c["actor_name"], c["at"][:10]) for c in log] == [
        ("created", "Sam Staff", "2026-03-16"), ("amended", "Sam Staff", "2026-03-17"),
        ("repealed", "Sam Staff", "2026-03-18")]
    assert log[1]["changes"]["attributes"] == [[INTEREST], sorted([ADDRESS, INTEREST])]
    assert log[2]["note"] == "Replaced by the Tax Simplification Act."


def test_a_repealed_law_permits_nothing_from_the_moment_it_is_repealed(client, cast, key_for, uow, clock):
    with uow() as session:
        basis = consent_factories.legal_basis(session, clock, agency_id=cast.tax.id, attributes=[INTEREST])
    ask = {"subject_id": str(cast.ana.id), "attributes": [INTEREST], "purpose": "LegalCompliance"}
    before = client.post("/api/v1/exchange/requests", headers=key_for(cast.tax), json=ask)
    csrf = _as_staff(client, uow, clock, None, Role.PLATFORM_ADMIN)
    client.post(f"/api/v1/legal-bases/{basis.id}/repeal", headers=csrf, json={"note": "Struck down by the court."})
    client.cookies.clear()

    after = client.post("/api/v1/exchange/requests", headers=key_for(cast.tax), json=ask)

    assert before.status_code == 200
    assert after.status_code == 403 and after.json()["reason"] == "no_consent_or_legal_basis"


def test_a_person_sees_the_laws_that_reach_data_held_about_them_with_every_change(
        client, cast, uow, clock, as_citizen):
    with uow() as session:
        about_her = consent_factories.legal_basis(session, clock, agency_id=cast.tax.id, attributes=[INTEREST])
        consent_factories.legal_basis(session, clock, agency_id=cast.tax.id, attributes=[INCOME])  # nothing held
        admin = factories._platform_actor()
        clock.advance(days=2)
        consent_service.repeal_legal_basis(session=session, legal_basis_id=about_her.id, by=admin, clock=clock,
                                           note="Replaced by the Tax Simplification Act.")
    as_citizen("NID-7700-1234")

    laws = client.get("/api/v1/me/legal-bases").json()
    page = client.get("/me/laws").text
    access_log = client.get("/me/access-log").text

    assert [(law["citation"], law["in_force"], [c["kind"] for c in law["changes"]]) for law in laws] == [
        ("Income Tax Act §12(3)", False, ["created", "repealed"])]
    assert "actor_name" not in laws[0]["changes"][0]
    assert "Income Tax Act §12(3)" in page and "Replaced by the Tax Simplification Act." in page
    assert 'href="/me/laws"' in access_log


def test_a_platform_admin_keeps_the_register_on_its_pages_with_plain_forms(client, cast, uow, clock):
    _as_staff(client, uow, clock, None, Role.PLATFORM_ADMIN)
    listing = client.get("/admin/legal-bases")
    token = csrf_token(client, "/admin/legal-bases")

    made = client.post("/admin/legal-bases", follow_redirects=False, data={
        "title": "Road Traffic Act", "citation": "Road Traffic Act §4", "agency_id": str(cast.transport.id),
        "purpose": "LegalCompliance", "attribute": [ADDRESS], "valid_from": "2026-01-01", "csrf_token": token})
    page = made.headers["location"].split("?")[0]
    amended = client.post(page, follow_redirects=False, data={
        "title": "Road Traffic Act", "citation": "Road Traffic Act §4(2)", "purpose": "LegalCompliance",
        "attribute": [ADDRESS], "valid_from": "2026-01-01", "note": "Renumbered.", "csrf_token": token})
    forged = client.post(f"{page}/repeal", data={"note": "No token."})
    repealed = client.post(f"{page}/repeal", follow_redirects=False, data={"note": "Spent.", "csrf_token": token})
    shown = client.get(page).text

    assert listing.status_code == 200 and 'href="/admin/legal-bases"' in listing.text
    assert (made.status_code, amended.status_code, forged.status_code, repealed.status_code) == (303, 303, 403, 303)
    assert "Road Traffic Act §4(2)" in shown and "Renumbered." in shown and "Spent." in shown
    with uow() as session:
        basis = session.scalars(select(LegalBasis)).one()
        assert basis.repealed_at is not None and basis.citation == "Road Traffic Act §4(2)"
        assert basis.valid_from.isoformat() == "2026-01-01T00:00:00+00:00"
