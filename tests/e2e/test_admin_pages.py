"""The administration pages in a real Chromium, in English and in Spanish: axe finds nothing serious on any of
them, the forms' error pages included, and the CSP blocks nothing."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Site, sign_in
from tests.e2e.test_pages import SERIOUS, Visit, _axe, _report, _watch

pytestmark = pytest.mark.e2e

PLATFORM_PAGES = ["/admin", "/admin/agencies", "/admin/staff", "/admin/keys", "/admin/log", "/admin/legal-bases"]
AGENCY_PAGES = ["/admin", "/admin/staff", "/admin/keys", "/admin/surveys", "/admin/follow-up-rules",
                "/admin/routing-rules", "/admin/templates", "/admin/log"]


class Walk:
    """One signed-in browser context in one language, checking each page it lands on."""

    def __init__(self, browser, site: Site, persona: str, language: str) -> None:  # noqa: ANN001
        self.context = browser.new_context(base_url=site.base_url, extra_http_headers={"Accept-Language": language})
        sign_in(self.context, site, persona)
        self.page = self.context.new_page()
        self.visit = Visit()
        _watch(self.page, self.visit)
        self.language, self.persona, self.failures = language, persona, []

    def check(self, what: str, status: int | None, expected: int) -> None:
        self.visit.violations = _axe(self.page)
        serious = [v for v in self.visit.violations if v["impact"] in SERIOUS]
        lang = self.page.get_attribute("html", "lang")
        if status != expected or serious or self.visit.problems or lang != self.language \
                or self.page.locator("h1").count() != 1:
            self.failures.append(f"{self.persona} {self.language} {what}: status {status}, lang {lang}\n"
                                 f"{_report(self.visit)}")
        self.visit.problems.clear()

    def open(self, path: str, expected: int = 200) -> None:
        response = self.page.goto(path, wait_until="load")
        self.check(path, response.status if response else None, expected)

    def submit(self, what: str, action: str, expected: int) -> None:
        with self.page.expect_navigation() as navigation:
            self.page.click(f'main form[action="{action}"] button[type=submit]')
        self.check(what, navigation.value.status, expected)

    def first_link(self, prefix: str) -> str:
        return self.page.locator(f'main a[href^="{prefix}"]').first.get_attribute("href")

    def close(self) -> None:
        self.context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_platform_admins_pages_pass_axe(browser, site: Site, language: str) -> None:
    walk = Walk(browser, site, "platform_admin", language)
    for path in PLATFORM_PAGES:
        walk.open(path)
    walk.open("/admin/agencies")
    walk.open(walk.first_link("/admin/agencies/"))
    walk.open("/admin/staff")
    member = walk.first_link("/admin/staff/")
    walk.open(member)
    walk.open(f"{member}/disable")  # the confirmation page: nothing is disabled by opening it
    walk.open("/admin/agencies")
    walk.page.fill("#code", "bad code!")
    walk.submit("a refused new agency", "/admin/agencies", 422)
    walk.close()

    assert not walk.failures, "\n".join(walk.failures)


@pytest.mark.parametrize("language", ["en", "es"])
def test_an_agency_admins_pages_pass_axe_forms_and_errors_included(browser, site: Site, language: str) -> None:
    walk = Walk(browser, site, "agency_admin", language)
    for path in AGENCY_PAGES:
        walk.open(path)
    walk.open("/admin/staff")
    walk.submit("a refused new account", "/admin/staff", 422)
    walk.open("/admin/keys")
    walk.page.fill("#label", f"Browser test {language}")
    walk.page.click('label[for="scope-1"]')  # USWDS draws the box on the label
    walk.page.wait_for_load_state("networkidle")  # its tick image, before the next page would cut it off
    walk.submit("the new key, shown once", "/admin/keys", 201)
    secret = walk.page.input_value("#secret")
    walk.open("/admin/keys")
    listed = walk.page.content()
    walk.open(walk.first_link("/admin/keys/"))  # the revoke confirmation
    walk.open("/admin/templates")
    walk.page.fill("#key", f"browser.{language}")
    walk.page.fill("#subject", "Hola")
    walk.page.fill("#text_body", "Hola {{ given_name }}")
    walk.page.fill("#html_body", "<p>Hola</p>")
    walk.submit("a saved template", "/admin/templates", 200)
    walk.open("/admin/routing-rules")
    walk.page.fill("#rank", "many")
    walk.submit("a refused routing rule", "/admin/routing-rules", 422)
    walk.open("/admin/surveys")
    walk.submit("a refused survey", "/admin/surveys", 422)
    walk.open("/admin/log")
    logged = walk.page.content()
    walk.close()

    assert not walk.failures, "\n".join(walk.failures)
    assert secret.startswith("gcx_") and secret not in listed and secret not in logged
