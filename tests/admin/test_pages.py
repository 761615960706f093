"""Administration pages, as each role uses them: every action works for the right role, is logged, and
reaches nothing of another agency's."""

from __future__ import annotations

import re
from uuid import UUID

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from govcx.admin.models import AdminAction, AdminVerb
from govcx.core import accounts
from govcx.core.accounts import ApiKey, Role, Scope, StaffAccount
from govcx.core.sessions import SignedInSession
from govcx.crm.models import RoutingRule
from govcx.feedback.models import FollowUpRule, Survey
from govcx.notify.models import MessageTemplate
from tests.web.helpers import csrf_token, h1_count, sign_in_staff

NEW_PASSWORD = "a long enough first password"


def _as(client: TestClient, email: str) -> None:
    client.cookies.clear()
    assert sign_in_staff(client, email).status_code == 303


def _post(client: TestClient, action: str, data: dict | None = None, **kwargs):  # noqa: ANN003, ANN202
    return client.post(action, data={**(data or {}), "csrf_token": csrf_token(client)}, follow_redirects=False,
                       **kwargs)


def _log(uow) -> list[AdminAction]:  # noqa: ANN001
    with uow() as session:
        return list(session.scalars(select(AdminAction).order_by(AdminAction.at, AdminAction.id)))


def _count(uow, model) -> int:  # noqa: ANN001
    with uow() as session:
        return session.scalar(select(func.count()).select_from(model))


def _account(uow, email: str) -> StaffAccount:  # noqa: ANN001
    with uow() as session:
        return session.scalars(select(StaffAccount).where(StaffAccount.email == email)).one()


# The home page and who may open it ----------------------------------------------------------------------


def test_the_admin_home_lists_what_the_viewer_administers(client, country):
    _as(client, country.platform_admin)
    platform = client.get("/admin")
    _as(client, country.tax_admin)
    agency = client.get("/admin")

    assert platform.status_code == 200 and h1_count(platform.text) == 1
    for href in ("/admin/agencies", "/admin/staff", "/admin/keys", "/admin/legal-bases", "/admin/log"):
        assert f'href="{href}"' in platform.text
    assert 'href="/admin/surveys"' not in platform.text
    for href in ("/admin/staff", "/admin/keys", "/admin/surveys", "/admin/follow-up-rules", "/admin/routing-rules",
                 "/admin/templates", "/admin/log"):
        assert f'href="{href}"' in agency.text
    assert 'href="/admin/agencies"' not in agency.text and 'href="/admin/legal-bases"' not in agency.text
    assert '<a href="/admin" class="usa-nav-link' in agency.text  # the navigation's link


@pytest.mark.parametrize("who", ["tax_staff", "tax_analyst"])
def test_staff_and_analysts_are_refused_every_admin_page_and_see_no_link(client, uow, country, who):
    _as(client, getattr(country, who))

    pages = [client.get(p) for p in ("/admin", "/admin/staff", "/admin/keys", "/admin/surveys",
                                     "/admin/routing-rules", "/admin/templates", "/admin/log")]
    writes = [_post(client, "/admin/staff", {"email": "x@gov.example", "name": "X", "password": NEW_PASSWORD,
                                              "role": "staff"}),
              _post(client, "/admin/keys", {"label": "x", "scopes": ["registry:read"]})]

    assert [p.status_code for p in pages + writes] == [403] * 9
    assert 'href="/admin"' not in client.get("/staff").text
    assert _count(uow, AdminAction) == 0 and _count(uow, ApiKey) == 0


def test_agency_admins_are_refused_the_platforms_pages(client, country):
    _as(client, country.tax_admin)

    assert client.get("/admin/agencies").status_code == 403
    assert _post(client, "/admin/agencies", {"code": "NEW", "name": "New"}).status_code == 403
    assert client.get(f"/admin/agencies/{country.tax.id}").status_code == 403
    assert client.get("/admin/legal-bases").status_code == 403


def test_a_post_without_the_csrf_token_is_refused_and_writes_nothing(client, uow, country):
    _as(client, country.platform_admin)

    answer = client.post("/admin/agencies", data={"code": "NEW", "name": "New agency"}, follow_redirects=False)

    assert answer.status_code == 403
    assert [a.code for a in _agencies(uow)] == ["TAX", "TRN"]


def _agencies(uow):  # noqa: ANN001, ANN202
    from govcx.registry.models import Agency

    with uow() as session:
        return list(session.scalars(select(Agency).order_by(Agency.code)))


# Agencies --------------------------------------------------------------------------------------------------


def test_a_platform_admin_creates_and_renames_an_agency_and_both_are_logged(client, uow, country):
    _as(client, country.platform_admin)

    created = _post(client, "/admin/agencies", {"code": "hlt", "name": "Health Agency"})
    health = next(a for a in _agencies(uow) if a.code == "HLT")
    renamed = _post(client, f"/admin/agencies/{health.id}", {"name": "Health and Care Agency"})
    listed = client.get("/admin/agencies").text
    log_page = client.get("/admin/log").text

    assert created.status_code == 303 and renamed.status_code == 303
    assert "Health and Care Agency" in listed
    log = _log(uow)
    assert [(a.verb, a.object_id, a.agency_id) for a in log] == [
        (AdminVerb.AGENCY_CREATED, str(health.id), health.id), (AdminVerb.AGENCY_RENAMED, str(health.id), health.id)]
    assert log[1].details == {"code": "HLT", "name": "Health and Care Agency", "previous_name": "Health Agency"}
    assert all(a.actor_id == _account(uow, country.platform_admin).id for a in log)
    assert "Agency renamed" in log_page and "Health Agency" in log_page


def test_a_bad_agency_form_shows_its_errors_beside_the_fields_keeps_the_values_and_writes_nothing(
        client, uow, country):
    _as(client, country.platform_admin)

    taken = _post(client, "/admin/agencies", {"code": "TAX", "name": "Second tax agency"})
    empty = _post(client, "/admin/agencies", {"code": "no spaces!", "name": ""})

    assert taken.status_code == 422 and empty.status_code == 422
    assert 'id="code-error"' in taken.text and "Another agency has the code TAX." in taken.text
    assert 'value="Second tax agency"' in taken.text and 'href="#code"' in taken.text
    assert 'id="code-error"' in empty.text and 'id="name-error"' in empty.text and 'value="no spaces!"' in empty.text
    assert len(_agencies(uow)) == 2 and _log(uow) == []


# Staff accounts --------------------------------------------------------------------------------------------


def test_a_platform_admin_creates_an_account_changes_its_role_and_it_is_logged_without_personal_data(
        client, uow, country):
    _as(client, country.platform_admin)

    created = _post(client, "/admin/staff", {"email": "New.Person@gov.example", "name": "Nora New",
                                             "password": NEW_PASSWORD, "role": "staff",
                                             "agency_id": str(country.transport.id)})
    nora = _account(uow, "new.person@gov.example")
    changed = _post(client, f"/admin/staff/{nora.id}/role", {"role": "cx_analyst"})
    log = _log(uow)
    page = client.get("/admin/log").text

    assert created.status_code == 303 and changed.status_code == 303
    assert _account(uow, "new.person@gov.example").role is Role.CX_ANALYST
    assert [(a.verb, a.object_id, a.agency_id, a.details) for a in log] == [
        (AdminVerb.STAFF_CREATED, str(nora.id), country.transport.id, {"role": "staff"}),
        (AdminVerb.STAFF_ROLE_CHANGED, str(nora.id), country.transport.id,
         {"role": "cx_analyst", "previous_role": "staff"}),
    ]
    stored = repr([(a.details, a.object_id) for a in log])
    assert "new.person" not in stored and "Nora" not in stored and NEW_PASSWORD not in stored
    assert "Nora New" in page  # the page names the account, read from the account itself
    client.cookies.clear()
    assert sign_in_staff(client, "new.person@gov.example", NEW_PASSWORD).status_code == 303


def test_a_bad_staff_form_keeps_the_values_but_never_the_password(client, uow, country):
    _as(client, country.platform_admin)
    before = _count(uow, StaffAccount)

    answer = _post(client, "/admin/staff", {"email": country.tax_staff, "name": "Dup", "password": "short",
                                            "role": "staff", "agency_id": str(country.tax.id)})

    assert answer.status_code == 422
    assert 'id="email-error"' in answer.text and 'id="password-error"' in answer.text
    assert f'value="{country.tax_staff}"' in answer.text and 'value="Dup"' in answer.text
    assert 'value="short"' not in answer.text
    assert _count(uow, StaffAccount) == before and _log(uow) == []


def test_disabling_an_account_asks_first_then_ends_its_live_session_and_its_sign_ins(app, client, uow, country):
    victim = _account(uow, country.tax_staff)
    with TestClient(app) as theirs:
        _as(theirs, country.tax_staff)
        assert theirs.get("/staff").status_code == 200
        _as(client, country.tax_admin)

        confirm = client.get(f"/admin/staff/{victim.id}/disable")
        disabled = _post(client, f"/admin/staff/{victim.id}/disable")

        assert confirm.status_code == 200 and f'action="/admin/staff/{victim.id}/disable"' in confirm.text
        assert disabled.status_code == 303 and _account(uow, country.tax_staff).is_active is False
        assert theirs.get("/staff").status_code == 401  # the session they had open has ended
        with uow() as session:
            assert session.scalars(select(SignedInSession).where(SignedInSession.staff_id == victim.id)).all() == []
        theirs.cookies.clear()
        assert sign_in_staff(theirs, country.tax_staff).status_code == 401
    assert [(a.verb, a.object_id) for a in _log(uow)] == [(AdminVerb.STAFF_DISABLED, str(victim.id))]


def test_the_confirm_page_changes_nothing(client, uow, country):
    victim = _account(uow, country.tax_staff)
    _as(client, country.tax_admin)

    client.get(f"/admin/staff/{victim.id}/disable")

    assert _account(uow, country.tax_staff).is_active and _log(uow) == []


def test_an_agency_admin_gives_only_agency_roles_in_their_own_agency(client, uow, country):
    _as(client, country.tax_admin)

    platform = _post(client, "/admin/staff", {"email": "boss@gov.example", "name": "Boss", "password": NEW_PASSWORD,
                                              "role": "platform_admin"})
    elsewhere = _post(client, "/admin/staff", {"email": "tr@gov.example", "name": "Tr", "password": NEW_PASSWORD,
                                               "role": "staff", "agency_id": str(country.transport.id)})
    victim = _account(uow, country.tax_staff)
    promote = _post(client, f"/admin/staff/{victim.id}/role", {"role": "platform_admin"})
    own = _post(client, f"/admin/staff/{_account(uow, country.tax_admin).id}/role", {"role": "staff"})

    assert platform.status_code == 422 and 'id="role-error"' in platform.text
    assert elsewhere.status_code == 303 and _account(uow, "tr@gov.example").agency_id == country.tax.id
    assert promote.status_code == 422 and _account(uow, country.tax_staff).role is Role.STAFF
    assert own.status_code == 422 and _account(uow, country.tax_admin).role is Role.AGENCY_ADMIN


# API keys ---------------------------------------------------------------------------------------------------


def test_a_key_is_shown_once_listed_without_its_secret_and_revoked_at_once(client, uow, country):
    _as(client, country.tax_admin)

    created = _post(client, "/admin/keys", {"label": "Refund back office", "scopes": ["registry:read"]})
    secret = re.search(r'id="secret" readonly value="([^"]+)"', created.text).group(1)
    first_use = client.get("/api/v1/agencies", headers={"X-API-Key": secret})
    listed = client.get("/admin/keys").text
    log_page = client.get("/admin/log").text
    with uow() as session:
        key = session.scalars(select(ApiKey)).one()
    confirm = client.get(f"/admin/keys/{key.id}/revoke")
    revoked = _post(client, f"/admin/keys/{key.id}/revoke")
    after = client.get("/api/v1/agencies", headers={"X-API-Key": secret})

    assert created.status_code == 201 and created.headers["cache-control"] == "no-store"
    assert secret.startswith("gcx_") and first_use.status_code == 200
    lookup, hidden = accounts.split_api_key(secret)
    assert "Refund back office" in listed and hidden not in listed and secret not in listed
    assert hidden not in log_page and "API key created" in log_page
    assert confirm.status_code == 200 and f'action="/admin/keys/{key.id}/revoke"' in confirm.text
    assert revoked.status_code == 303 and after.status_code == 401
    log = _log(uow)
    assert [(a.verb, a.object_id, a.agency_id) for a in log] == [
        (AdminVerb.KEY_CREATED, str(key.id), country.tax.id), (AdminVerb.KEY_REVOKED, str(key.id), country.tax.id)]
    assert hidden not in repr([a.details for a in log]) and lookup not in repr([a.details for a in log])
    assert log[0].details == {"label": "Refund back office", "scopes": ["registry:read"]}


def test_an_agency_admin_cannot_give_a_key_more_than_their_own_permissions(client, uow, country):
    _as(client, country.tax_admin)

    answer = _post(client, "/admin/keys", {"label": "Too strong", "scopes": ["registry:admin"]})
    empty = _post(client, "/admin/keys", {"label": "", "scopes": []})

    assert answer.status_code == 422 and 'id="scopes-error"' in answer.text and 'value="Too strong"' in answer.text
    assert 'value="registry:admin"' not in client.get("/admin/keys").text
    assert empty.status_code == 422 and 'id="label-error"' in empty.text
    assert _count(uow, ApiKey) == 0 and _log(uow) == []


def test_a_platform_admin_keys_any_agency_with_any_key_scope(client, uow, country):
    _as(client, country.platform_admin)

    answer = _post(client, "/admin/keys", {"label": "Transport", "agency_id": str(country.transport.id),
                                           "scopes": ["registry:admin", "exchange:request"]})
    legal = _post(client, "/admin/keys", {"label": "Laws", "agency_id": str(country.transport.id),
                                          "scopes": [Scope.LEGAL_BASIS_ADMIN.value]})

    assert answer.status_code == 201 and legal.status_code == 422
    with uow() as session:
        key = session.scalars(select(ApiKey)).one()
    assert key.agency_id == country.transport.id and key.scopes == ["exchange:request", "registry:admin"]


# Another agency's things are missing, not forbidden ------------------------------------------------------------


@pytest.fixture
def transport_things(uow, clock, country):  # noqa: ANN201
    """One of each thing the transport agency keeps, made by its own administrator."""
    from govcx.core.auth import StaffMember
    from govcx.crm import schemas as crm_schemas
    from govcx.crm import service as crm
    from govcx.feedback import schemas as feedback_schemas
    from govcx.feedback import service as feedback
    from govcx.notify import schemas as notify_schemas
    from govcx.notify import service as notify

    with uow() as session:
        admin = _account(uow, country.transport_admin)
        actor = StaffMember(id=admin.id, name=admin.name, email=admin.email, role=admin.role,
                            agency_id=country.transport.id)
        survey = feedback.create_survey(session=session, agency_id=country.transport.id, clock=clock,
                                        data=feedback_schemas.SurveyCreate(code="trn", kind="csat", provider="Desk"))
        rule = feedback.create_rule(session=session, agency_id=country.transport.id, clock=clock,
                                    data=feedback_schemas.FollowUpRuleCreate(name="Low trust", question="trust",
                                                                             max_value=2))
        routing = crm.create_routing_rule(session=session, by=actor, clock=clock, data=crm_schemas.RoutingRuleCreate(
            department_id=country.transport_department, keywords=["ferry"]))
        template = notify.create_template(session=session, agency_id=country.transport.id, clock=clock,
                                          data=notify_schemas.TemplateCreate(
                                              key="case.resolved", language="en", topic="case_updates",
                                              subject="Transport says done", text_body="Done.", html_body="<p>Done</p>"))
        key, _secret = accounts.create_api_key(session=session, agency_id=country.transport.id, label="Transport key",
                                               scopes=[Scope.REGISTRY_READ], clock=clock)
        return {"survey": survey.id, "rule": rule.id, "routing": routing.id, "template": template.id, "key": key.id,
                "staff": admin.id}


def test_an_agency_admin_sees_none_of_another_agencys_things(client, country, transport_things):
    _as(client, country.tax_admin)

    lists = {p: client.get(p).text for p in ("/admin/staff", "/admin/keys", "/admin/surveys",
                                              "/admin/follow-up-rules", "/admin/routing-rules", "/admin/templates")}

    assert all(client.get(p).status_code == 200 for p in lists)
    assert country.transport_admin not in lists["/admin/staff"] and country.tax_staff in lists["/admin/staff"]
    assert "Transport key" not in lists["/admin/keys"]
    assert "trn" not in lists["/admin/surveys"] and "Low trust" not in lists["/admin/follow-up-rules"]
    assert "ferry" not in lists["/admin/routing-rules"] and "case.resolved" not in lists["/admin/templates"]


def test_an_agency_admin_touching_another_agencys_things_gets_404_and_changes_nothing(
        client, uow, country, transport_things):
    _as(client, country.tax_admin)
    t = transport_things

    answers = [
        client.get(f"/admin/staff/{t['staff']}"),
        _post(client, f"/admin/staff/{t['staff']}/role", {"role": "staff"}),
        client.get(f"/admin/staff/{t['staff']}/disable"),
        _post(client, f"/admin/staff/{t['staff']}/disable"),
        client.get(f"/admin/keys/{t['key']}/revoke"),
        _post(client, f"/admin/keys/{t['key']}/revoke"),
        _post(client, f"/admin/surveys/{t['survey']}/open", {"is_open": "1"}),
        _post(client, f"/admin/follow-up-rules/{t['rule']}/active", {"is_active": "0"}),
        client.get(f"/admin/routing-rules/{t['routing']}/delete"),
        _post(client, f"/admin/routing-rules/{t['routing']}/delete"),
        client.get(f"/admin/templates/{t['template']}"),
    ]

    assert [a.status_code for a in answers] == [404] * len(answers)
    with uow() as session:
        assert session.get(StaffAccount, t["staff"]).is_active
        assert session.get(StaffAccount, t["staff"]).role is Role.AGENCY_ADMIN
        assert session.get(ApiKey, t["key"]).revoked_at is None
        assert session.get(Survey, t["survey"]).is_open is False
        assert session.get(FollowUpRule, t["rule"]).is_active is True
        assert session.get(RoutingRule, t["routing"]) is not None
    assert _log(uow) == []


# An agency's own set-up ----------------------------------------------------------------------------------------


def test_an_agency_admin_keeps_surveys_and_follow_up_rules_and_each_change_is_logged(client, uow, country):
    _as(client, country.tax_admin)

    survey = _post(client, "/admin/surveys", {"code": "refund-csat", "kind": "csat", "provider": "Refund desk"})
    with uow() as session:
        made = session.scalars(select(Survey)).one()
    opened = _post(client, f"/admin/surveys/{made.id}/open", {"is_open": "1"})
    rule = _post(client, "/admin/follow-up-rules", {"name": "Unhappy", "question": "satisfaction", "max_value": "2",
                                                    "needs_comment": "1",
                                                    "department_id": str(country.tax_department)})
    with uow() as session:
        made_rule = session.scalars(select(FollowUpRule)).one()
    switched = _post(client, f"/admin/follow-up-rules/{made_rule.id}/active", {"is_active": "0"})

    assert [a.status_code for a in (survey, opened, rule, switched)] == [303] * 4
    with uow() as session:
        assert session.get(Survey, made.id).is_open and session.get(Survey, made.id).agency_id == country.tax.id
        assert session.get(FollowUpRule, made_rule.id).is_active is False
        assert session.get(FollowUpRule, made_rule.id).department_id == country.tax_department
    assert [(a.verb, a.agency_id) for a in _log(uow)] == [
        (AdminVerb.SURVEY_CREATED, country.tax.id), (AdminVerb.SURVEY_OPENED, country.tax.id),
        (AdminVerb.FOLLOW_UP_RULE_CREATED, country.tax.id), (AdminVerb.FOLLOW_UP_RULE_SWITCHED_OFF, country.tax.id)]
    assert "refund-csat" in client.get("/admin/surveys").text


def test_an_agency_admin_keeps_routing_rules_that_route_cases(client, uow, clock, country):
    _as(client, country.tax_admin)

    bad = _post(client, "/admin/routing-rules", {"department_id": str(country.transport_department), "rank": "x"})
    made = _post(client, "/admin/routing-rules", {"department_id": str(country.tax_department),
                                                  "service_id": str(country.tax_service),
                                                  "region_id": str(country.region), "keywords": "appeal, late fee",
                                                  "rank": "10"})
    with uow() as session:
        rule = session.scalars(select(RoutingRule)).one()
    listed = client.get("/admin/routing-rules").text
    confirm = client.get(f"/admin/routing-rules/{rule.id}/delete")
    removed = _post(client, f"/admin/routing-rules/{rule.id}/delete")

    assert bad.status_code == 422 and 'id="department_id-error"' in bad.text and 'value="x"' in bad.text
    assert made.status_code == 303 and rule.keywords == ["appeal", "late fee"] and rule.rank == 10
    assert "appeal, late fee" in listed and "North" in listed
    assert confirm.status_code == 200 and removed.status_code == 303 and _count(uow, RoutingRule) == 0
    assert [a.verb for a in _log(uow)] == [AdminVerb.ROUTING_RULE_CREATED, AdminVerb.ROUTING_RULE_DELETED]


def test_an_agency_admin_saves_message_templates_of_their_own(client, uow, country):
    _as(client, country.tax_admin)

    broken = _post(client, "/admin/templates", {"key": "case.resolved", "language": "es", "topic": "case_updates",
                                                "subject": "Hecho", "text_body": "{{ oops", "html_body": "<p>x</p>"})
    saved = _post(client, "/admin/templates", {"key": "case.resolved", "language": "es", "topic": "case_updates",
                                               "subject": "Su caso está resuelto",
                                               "text_body": "Hola {{ given_name }}.", "html_body": "<p>Hola</p>"})
    shown = client.get(saved.headers["location"])

    assert broken.status_code == 422 and 'id="text_body-error"' in broken.text and "{{ oops" in broken.text
    assert saved.status_code == 303 and shown.status_code == 200 and "Su caso está resuelto" in shown.text
    with uow() as session:
        template = session.scalars(select(MessageTemplate)).one()
    assert template.agency_id == country.tax.id and template.version == 1
    assert [(a.verb, a.details) for a in _log(uow)] == [
        (AdminVerb.TEMPLATE_CREATED, {"key": "case.resolved", "language": "es", "version": 1,
                                      "topic": "case_updates"})]


def test_a_platform_admin_has_no_single_agency_to_set_up(client, country):
    _as(client, country.platform_admin)

    assert client.get("/admin/surveys").status_code == 403


# The log ----------------------------------------------------------------------------------------------------


def test_each_admin_reads_the_log_they_may_read(client, uow, country):
    _as(client, country.transport_admin)
    _post(client, "/admin/keys", {"label": "Transport feed", "scopes": ["registry:read"]})
    _as(client, country.tax_admin)
    _post(client, "/admin/keys", {"label": "Tax feed", "scopes": ["registry:read"]})

    tax_log = client.get("/admin/log").text
    _as(client, country.platform_admin)
    platform_log = client.get("/admin/log").text

    assert "Tax feed" in tax_log and "Transport feed" not in tax_log
    assert "Tax feed" in platform_log and "Transport feed" in platform_log
    assert "Transport Agency" in platform_log


def test_the_admin_pages_speak_spanish(client, country):
    _as(client, country.tax_admin)

    home = client.get("/admin", headers={"Accept-Language": "es"})
    keys = client.get("/admin/keys", headers={"Accept-Language": "es"})

    assert '<html lang="es">' in home.text and "Administración" in home.text
    assert "Crear una clave de API" in keys.text


def test_nothing_is_logged_for_a_staff_member_who_is_not_signed_in(client, uow, country):
    answer = client.get("/admin")

    assert answer.status_code == 401 and _log(uow) == []
