"""The register of legal bases on its pages: the USWDS error pattern on every form, and every change in the
administration log."""

from __future__ import annotations

from sqlalchemy import select

from govcx.admin.models import AdminAction, AdminVerb
from govcx.consent import service as consent_service
from govcx.consent.models import LegalBasis
from govcx.core.accounts import Role
from tests.consent.test_legal_bases import _as_staff, _register, _register_state
from tests.once_only import ADDRESS
from tests.web.helpers import csrf_token


def _log(uow) -> list[AdminAction]:  # noqa: ANN001
    with uow() as session:
        return list(session.scalars(select(AdminAction).order_by(AdminAction.at, AdminAction.id)))


def test_a_bad_new_legal_basis_comes_back_with_each_error_beside_its_field_and_nothing_written(
        client, cast, uow, clock):
    _as_staff(client, uow, clock, None, Role.PLATFORM_ADMIN)
    token = csrf_token(client, "/admin/legal-bases")

    answer = client.post("/admin/legal-bases", data={
        "title": "Road Traffic Act", "citation": "", "agency_id": str(cast.transport.id), "purpose": "LegalCompliance",
        "valid_from": "2026-02-30", "valid_until": "", "note": "Kept for you.", "csrf_token": token})

    assert answer.status_code == 422
    for field in ("new-citation", "new-attributes", "new-from"):
        assert f'id="{field}-error"' in answer.text and f'href="#{field}"' in answer.text
    assert 'value="Road Traffic Act"' in answer.text and "Kept for you." in answer.text
    assert 'value="2026-02-30"' in answer.text
    with uow() as session:
        assert session.scalars(select(LegalBasis)).all() == []
    assert _log(uow) == []


def test_an_amendment_without_a_reason_or_a_change_and_a_repeal_without_a_reason_change_nothing(
        client, cast, uow, clock):
    basis = _register(uow, clock, cast)
    before = _register_state(uow)
    _as_staff(client, uow, clock, None, Role.PLATFORM_ADMIN)
    token = csrf_token(client, f"/admin/legal-bases/{basis.id}")
    page = client.get(f"/admin/legal-bases/{basis.id}").text
    kept = {"title": basis.title, "citation": basis.citation, "purpose": basis.purpose.value,
            "attribute": basis.attributes, "valid_from": basis.valid_from.date().isoformat(), "csrf_token": token}

    no_reason = client.post(f"/admin/legal-bases/{basis.id}", data={**kept, "title": "Renamed Act", "note": ""})
    no_change = client.post(f"/admin/legal-bases/{basis.id}", data={**kept, "note": "Tidying."})
    no_repeal_reason = client.post(f"/admin/legal-bases/{basis.id}/repeal", data={"note": " ", "csrf_token": token})

    assert f'value="{basis.title}"' in page  # the amend form starts from the law as it stands
    assert no_reason.status_code == 422 and 'id="amend-note-error"' in no_reason.text
    assert 'value="Renamed Act"' in no_reason.text
    assert no_change.status_code == 422 and "changes nothing" in no_change.text and "Tidying." in no_change.text
    assert no_repeal_reason.status_code == 422 and 'id="repeal-note-error"' in no_repeal_reason.text
    assert _register_state(uow) == before and _log(uow) == []


def test_registering_amending_and_repealing_are_in_the_administration_log(client, cast, uow, clock):
    _as_staff(client, uow, clock, None, Role.PLATFORM_ADMIN)
    token = csrf_token(client, "/admin/legal-bases")
    fields = {"title": "Road Traffic Act", "citation": "Road Traffic Act §4", "purpose": "LegalCompliance",
              "attribute": [ADDRESS], "valid_from": "2026-01-01", "csrf_token": token}

    made = client.post("/admin/legal-bases", follow_redirects=False,
                       data={**fields, "agency_id": str(cast.transport.id)})
    page = made.headers["location"].split("?")[0]
    client.post(page, data={**fields, "citation": "Road Traffic Act §4(2)", "note": "Renumbered."})
    client.post(f"{page}/repeal", data={"note": "Spent.", "csrf_token": token})
    log_page = client.get("/admin/log").text

    with uow() as session:
        basis = session.scalars(select(LegalBasis)).one()
        assert consent_service.changes_of(session=session, legal_basis_ids=[basis.id])[basis.id][-1].note == "Spent."
    assert [(a.verb, a.object_id, a.agency_id, a.details) for a in _log(uow)] == [
        (verb, str(basis.id), cast.transport.id, {"title": "Road Traffic Act"})
        for verb in (AdminVerb.LEGAL_BASIS_CREATED, AdminVerb.LEGAL_BASIS_AMENDED, AdminVerb.LEGAL_BASIS_REPEALED)]
    assert "Legal basis repealed" in log_page and "Road Traffic Act" in log_page


def test_the_laws_about_a_person_read_in_spanish(client, cast, uow, clock, as_citizen):
    _register(uow, clock, cast)
    as_citizen("NID-7700-1234")

    page = client.get("/me/laws", headers={"Accept-Language": "es"}).text

    assert "Leyes que permiten a los organismos consultar sus datos" in page
    assert "Una obligación legal" in page and "LegalCompliance" not in page
