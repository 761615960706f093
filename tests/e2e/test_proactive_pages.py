"""Proactive services in a real Chromium, English and Spanish: My life events with an offer waiting, then
accepted through its plain form (no JavaScript needed), and the CX page with its rule form, axe-clean."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from starlette.testclient import TestClient

from govcx.app import create_app
from govcx.core.clock import FixedClock
from govcx.core.config import Environment, Settings
from govcx.core.db import unit_of_work
from tests.e2e.conftest import SECRET, served
from tests.e2e.test_pages import SERIOUS, Visit, _axe, _report, _watch
from tests.factories.registry import STAFF_PASSWORD
from tests.journeys.proactive.conftest import PARENT_ID, Cast, build_cast, child_benefit_rule, record_birth

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class ProactiveSite:
    base_url: str
    cast: Cast


@pytest.fixture(scope="module")
def proactive_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProactiveSite]:
    """A govcx where a birth was just registered: the child benefit waits for the parent."""
    data_dir = tmp_path_factory.mktemp("e2e-proactive")
    settings = Settings(env=Environment.TEST, data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'govcx.db'}",
                        secret_key=SECRET, auto_upgrade=True, log_level="WARNING", suppression_threshold=3)
    app = create_app(settings, clock=FixedClock(datetime(2026, 3, 16, 9, 30, tzinfo=UTC)))
    cast = build_cast(lambda: unit_of_work(app.state.session_factory), app.state.clock, app.state.cipher)
    with TestClient(app) as client:  # the agency's and the register's systems, through the API
        assert client.post("/api/v1/proactive/rules", headers={"X-API-Key": cast.benefits_key},
                           json=child_benefit_rule(cast)).status_code == 201
        assert record_birth(client, cast, date(2026, 3, 14)).status_code == 201
    with served(app) as base_url:
        yield ProactiveSite(base_url=base_url, cast=cast)


def _signed_in(browser, site: ProactiveSite, persona: str, locale: str, *, script: bool = True):  # noqa: ANN001, ANN202
    context = browser.new_context(base_url=site.base_url, locale=locale, java_script_enabled=script)
    page = context.new_page()
    if persona == "citizen":
        page.goto("/citizen/sign-in")
        page.fill("#national-id", PARENT_ID)
    else:
        page.goto("/sign-in")
        page.fill("#email", site.cast.benefits_admin.email)
        page.fill("#password", STAFF_PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    return context, page


def _visit(page, path: str) -> Visit:  # noqa: ANN001
    visit = Visit()
    _watch(page, visit)
    response = page.goto(path, wait_until="load")
    visit.status = response.status if response else None
    visit.violations = _axe(page)
    return visit


def _clean(visit: Visit, what: str) -> None:
    serious = [v for v in visit.violations if v["impact"] in SERIOUS]
    assert visit.status == 200, what
    assert not serious and not visit.problems, f"{what}:\n{_report(visit)}"


@pytest.mark.parametrize("locale", ["en-US", "es-ES"])
def test_the_cx_page_of_proactive_services_is_accessible_with_its_rule_form_and_its_errors(
        browser, proactive_site: ProactiveSite, locale: str) -> None:
    context, page = _signed_in(browser, proactive_site, "staff", locale)
    shown = _visit(page, "/cx/proactive")
    heading = page.locator("h1").inner_text()
    page.fill("#code", "bad rule")  # a code with a space, and a condition on a fact nobody holds
    page.fill("#condition", "tax.shoe_size > 40")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    errors = Visit(status=200, violations=_axe(page))
    summary = page.locator("#error-summary").count()
    context.close()

    _clean(shown, f"{locale} /cx/proactive")
    assert heading == ("Proactive services" if locale == "en-US" else "Servicios proactivos")
    assert summary == 1
    assert not [v for v in errors.violations if v["impact"] in SERIOUS], _report(errors)


def test_my_life_events_is_accessible_in_both_languages_and_the_offer_is_accepted_without_javascript(
        browser, proactive_site: ProactiveSite) -> None:
    context, page = _signed_in(browser, proactive_site, "citizen", "es-ES")
    spanish = _visit(page, "/me/life-events")
    spanish_heading = page.locator("h1").inner_text()
    context.close()
    context, page = _signed_in(browser, proactive_site, "citizen", "en-US")
    english = _visit(page, "/me/life-events")
    card = page.locator("section.usa-card").inner_text()
    context.close()
    context, page = _signed_in(browser, proactive_site, "citizen", "en-US", script=False)
    page.goto("/me/life-events")
    with page.expect_navigation():
        page.click("text=Accept and apply")  # a plain form post: no script runs on this page
    outcome = page.locator("main").inner_text()
    context.close()
    context, page = _signed_in(browser, proactive_site, "citizen", "en-US")
    after = _visit(page, "/me/life-events")
    context.close()

    _clean(spanish, "es /me/life-events")
    _clean(english, "en /me/life-events")
    assert spanish_heading == "Mis acontecimientos vitales"
    assert "Child benefit" in card and "Pikk 12, Aurelia" in card
    assert "Done: your application was filed." in outcome and "Accepted" in outcome
    _clean(after, "en /me/life-events after accepting")
