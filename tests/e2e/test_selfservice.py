"""Acceptance 3 in a real Chromium: from a recommendation to a service page to a prefilled application to a case
the citizen follows, typing nothing government already holds; axe passes on every self-service page in English
and in Spanish."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import pytest

from govcx.app import create_app
from govcx.consent.models import Purpose
from govcx.core.clock import FixedClock
from govcx.core.config import Environment, Settings
from govcx.core.db import unit_of_work
from govcx.exchange import schemas as exchange_schemas
from govcx.exchange import service as exchange
from tests.e2e.conftest import served
from tests.e2e.test_pages import SERIOUS, Visit, _axe, _report, _watch
from tests.factories import consent as consent_factories
from tests.factories import notify as notify_factories
from tests.factories.consent import SIGNER
from tests.factories.selfservice import ADDRESS, INCOME, town

pytestmark = pytest.mark.e2e

NATIONAL_ID = "NID-7700-1234"
SECRET = "e2e-selfservice-secret-key-long-enough-for-production-0123456789"


@dataclass(frozen=True)
class Portal:
    base_url: str
    consent_id: UUID
    log_seq: int


def _fill(app) -> tuple[UUID, int]:  # noqa: ANN001
    """Ana, whom Social Insurance may suggest services to from her income; a preview waits; a use is logged."""
    clock, cipher = app.state.clock, app.state.cipher
    with unit_of_work(app.state.session_factory) as session:
        place = town(session, clock, cipher)
        notify_factories.rule(session, clock, code="child-benefit", service_id=place.benefit.id, when={INCOME: []},
                              reason="Families with your income usually qualify.")
        given = consent_factories.consent(session, clock, subject_id=place.ana.id, requester_id=place.soc.id,
                                          attributes=[INCOME], purpose=Purpose.SERVICE_PERSONALISATION)
        consent_factories.consent(session, clock, subject_id=place.ana.id, requester_id=place.tax.id,
                                  attributes=[ADDRESS], one_off=True, requires_preview=True,
                                  purpose=Purpose.IDENTITY_VERIFICATION)
        ask = exchange_schemas.ExchangeRequestCreate(subject_id=place.ana.id, attributes=[ADDRESS],
                                                     purpose=Purpose.IDENTITY_VERIFICATION)
        exchange.ask(session=session, agency_id=place.tax.id, data=ask, clock=clock, signer=SIGNER, cipher=cipher)
        refused = exchange.ask(session=session, agency_id=place.soc.id, clock=clock, signer=SIGNER, cipher=cipher,
                               data=ask.model_copy(update={"purpose": Purpose.RESEARCH_AND_DEVELOPMENT}))
        return given.id, refused.log_seq


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[Portal]:
    data_dir = tmp_path_factory.mktemp("e2e-selfservice")
    settings = Settings(env=Environment.TEST, data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'govcx.db'}",
                        secret_key=SECRET, auto_upgrade=True, log_level="WARNING")
    app = create_app(settings, clock=FixedClock(datetime(2026, 3, 16, 9, 30, tzinfo=UTC)))
    consent_id, seq = _fill(app)
    with served(app) as base_url:
        yield Portal(base_url=base_url, consent_id=consent_id, log_seq=seq)
    app.state.engine.dispose()


def _citizen(browser, portal: Portal, locale: str = "en-US"):  # noqa: ANN001, ANN202
    context = browser.new_context(base_url=portal.base_url, locale=locale)
    page = context.new_page()
    page.goto("/citizen/sign-in")
    page.fill("#national-id", NATIONAL_ID)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.close()
    return context


def test_from_a_recommendation_to_a_case_without_typing_what_government_holds(browser, portal: Portal) -> None:
    context = _citizen(browser, portal)
    page = context.new_page()

    page.goto("/me/recommendations")
    page.click("text=Apply for child benefit")
    page.wait_for_url(re.compile(r"/services/SOC-CHILD$"))
    page.click("text=Start now")
    page.wait_for_url(re.compile(r"/services/SOC-CHILD/apply$"))
    prefilled = page.locator("main table").inner_text()
    fields = page.locator("main form input[name=value]").evaluate_all("els => els.map(e => e.id)")
    page.fill("#answer-social-children_count", "2")
    page.fill("#answer-person-email", "ana@example.org")
    with page.expect_navigation():
        page.click("text=Send application")
    case_url = page.url
    case_text = page.locator("main").inner_text()
    page.goto("/me/cases")
    # The request's reference leads to it, on the row that names the service.
    page.locator("tr", has_text="Apply for child benefit").locator("a").first.click()
    followed = page.url
    context.close()

    # What government holds is shown with its source, and nothing of it is an input to type into.
    assert "Ana Lopez" in prefilled and "Population Register" in prefilled
    assert "$48,250.00" in prefilled and "Tax Agency" in prefilled
    assert fields == ["answer-person-email", "answer-social-children_count"]  # only what is missing, in form order
    assert "/me/cases/" in case_url and "Your application was sent" in case_text
    assert "Social Insurance" in case_text and "Received" in case_text and "Ana Lopez" in case_text
    assert followed.split("?")[0] == case_url.split("?")[0]


PAGES = [
    "/services", "/services?q=child", "/services/SOC-CHILD", "/services/SOC-CHILD/apply", "/me/recommendations",
    "/me/data", "/me/data/person.address/history", "/me/data/person.email/declare", "/me/data/person.address/correct",
    "/me/data-requests", "/me/access-log", "/me/access-log/{seq}/ask", "/me/consents",
    "/me/consents/{consent}/receipt", "/me/consents/{consent}/withdraw", "/me/cases",
]


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_every_self_service_page_passes_axe_in_both_languages(browser, portal: Portal, locale: str) -> None:
    context = _citizen(browser, portal, locale)
    failures = []
    for path in PAGES:
        page = context.new_page()
        visit = Visit()
        _watch(page, visit)
        response = page.goto(path.format(seq=portal.log_seq, consent=portal.consent_id), wait_until="load")
        visit.status = response.status if response else None
        visit.violations = _axe(page)
        lang = page.locator("html").get_attribute("lang")
        page.close()
        serious = [v for v in visit.violations if v["impact"] in SERIOUS]
        if visit.status != 200 or serious or visit.problems or lang != locale[:2]:
            failures.append(f"{path} ({visit.status}, lang={lang}):\n{_report(visit)}")
    # A refused application, its errors beside their fields, is a page too.
    page = context.new_page()
    visit = Visit()
    _watch(page, visit)
    page.goto("/services/SOC-CHILD/apply")
    questions = page.locator("main form input[name=value]").count()  # fewer once an answer is kept in the vault
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    visit.violations = _axe(page)
    errors = page.locator(".usa-error-message").count()
    page.close()
    context.close()

    serious = [v for v in visit.violations if v["impact"] in SERIOUS]
    assert not failures, "\n".join(failures)
    assert questions >= 1 and errors == questions and not serious, _report(visit)
