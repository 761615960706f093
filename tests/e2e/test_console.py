"""The caseworker console in a real Chromium, in English and in Spanish: the queue, a case page and the
staff home pass axe, with and without a form error on the page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Site, sign_in
from tests.e2e.test_pages import SERIOUS, Visit, _axe, _report, _watch

pytestmark = pytest.mark.e2e

LANGUAGES = {"en": ("en-GB", "Case queue"), "es": ("es-ES", "Cola de trámites")}


@pytest.fixture(scope="module")
def staff_in(browser, site: Site):  # noqa: ANN001, ANN201
    """A signed-in member of staff's browser, one per language (the browser asks for it, as a person's would)."""
    contexts = {}

    def get(language: str):  # noqa: ANN202
        if language not in contexts:
            contexts[language] = browser.new_context(base_url=site.base_url, locale=LANGUAGES[language][0])
            sign_in(contexts[language], site, "staff")
        return contexts[language]

    yield get
    for context in contexts.values():
        context.close()


def _visit(context, path: str, *, then=None) -> tuple[Visit, str, int]:  # noqa: ANN001
    page = context.new_page()
    visit = Visit()
    _watch(page, visit)
    response = page.goto(path, wait_until="load")
    visit.status = response.status if response else None
    if then is not None:
        visit.status = then(page)
    visit.violations = _axe(page)
    html, headings = page.content(), page.locator("h1").count()
    page.close()
    return visit, html, headings


def _resolve_without_a_reason(page) -> int:  # noqa: ANN001
    page.select_option("#status", "resolved")
    with page.expect_navigation() as navigation:
        page.click("form[action$='/status'] button[type=submit]")
    return navigation.value.status


CHECKS = [
    ("/staff", None, 200), ("/staff/cases", None, 200), ("/staff/cases?status=&sort=status&descending=true", None, 200),
    ("/staff/cases?reference=zz", None, 422), ("/staff/cases/{case_id}", None, 200),
    ("/staff/cases/{case_id}", _resolve_without_a_reason, 422),
    ("/staff/persons/{citizen_id}/contacts/new", None, 200), ("/staff/persons/{citizen_id}/cases/new", None, 200),
]


@pytest.mark.parametrize("language", list(LANGUAGES))
@pytest.mark.parametrize(("path", "then", "status"), CHECKS,
                         ids=[f"{p}{'+error' if t else ''}" for p, t, _ in CHECKS])
def test_the_console_is_accessible_in_each_language(staff_in, site: Site, language, path, then, status) -> None:
    visit, html, headings = _visit(staff_in(language), path.format(case_id=site.case_id, citizen_id=site.citizen_id),
                                   then=then)

    serious = [v for v in visit.violations if v["impact"] in SERIOUS]
    assert visit.status == status
    assert headings == 1
    assert f'<html lang="{language}"' in html and LANGUAGES[language][1] in html
    assert not serious and not visit.problems, f"{language} {path}:\n{_report(visit)}"
    if status == 422:
        assert "usa-form-group--error" in html and 'id="error-summary"' in html
