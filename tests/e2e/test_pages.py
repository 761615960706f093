"""Every page, as each kind of user, in a real Chromium: axe finds nothing serious, the CSP blocks
nothing, every asset loads, and the JavaScript-enhanced parts work under the CSP."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tests.e2e.conftest import AXE, Site, sign_in

pytestmark = pytest.mark.e2e

# axe is served from the page's own origin: the CSP (script-src 'self') rightly blocks the inline
# <script> that add_script_tag(path=...) would write, and bypassing the CSP would hide its reports.
AXE_URL = "/__e2e__/axe.min.js"
SERIOUS = {"serious", "critical"}

PAGES = [
    ("visitor", "/", 200), ("visitor", "/services", 200), ("visitor", "/data-catalogue", 200),
    ("visitor", "/sign-in", 200), ("visitor", "/citizen/sign-in", 200), ("visitor", "/me", 401),
    ("visitor", "/no-such-page", 404),
    ("citizen", "/", 200), ("citizen", "/me", 200), ("citizen", "/me/data", 200), ("citizen", "/me/consents", 200),
    ("citizen", "/me/access-log", 200), ("visitor", "/me/access-log", 401), ("staff", "/me/consents", 401), ("citizen", "/services", 200), ("citizen", "/staff", 401),
    ("staff", "/staff", 200), ("staff", "/staff/persons", 200), ("staff", "/staff/persons?q=lopez", 200),
    ("staff", "/staff/persons?q=park", 200), ("staff", "/staff/persons?q=a", 422),
    ("staff", "/staff/persons/{citizen_id}", 200), ("staff", "/cx/regions", 403),
    ("cx_analyst", "/staff", 200), ("cx_analyst", "/cx/regions", 200), ("cx_analyst", "/data-catalogue", 200),
    ("platform_admin", "/cx/regions", 200),
    ("staff", "/staff/persons/{citizen_id}/timeline", 200), ("staff", "/staff/cases", 200),
    ("staff", "/staff/cases/{case_id}", 200), ("citizen", "/me/cases", 200), ("cx_analyst", "/staff/cases", 403),
    # Feedback: the survey as anyone answers it (also framed by the widget), and the CX dashboard.
    ("visitor", "/survey/{survey_id}", 200), ("visitor", "/survey/{survey_id}?lang=es", 200),
    ("visitor", "/survey/{survey_id}?embed=1", 200), ("visitor", "/survey/thanks", 200),
    ("cx_analyst", "/cx/feedback", 200), ("cx_analyst", "/cx/feedback?group_by=region&period=month", 200),
    ("cx_analyst", "/cx/feedback/comments", 200), ("cx_analyst", "/cx/feedback/follow-ups", 200),
    ("cx_analyst", "/cx/feedback/export?quarter=FY2026Q2", 200), ("staff", "/cx/feedback", 403),
    ("citizen", "/me/inbox", 200), ("citizen", "/me/notification-preferences", 200),
    ("citizen", "/me/recommendations", 200), ("visitor", "/me/inbox", 401),
    ("staff", "/staff/persons/{citizen_id}/notifications", 200),
    # The register of legal bases (platform admins only) and the laws a citizen sees about themselves.
    ("platform_admin", "/admin/legal-bases", 200), ("platform_admin", "/admin/legal-bases/{legal_basis_id}", 200),
    ("agency_admin", "/admin/legal-bases", 403), ("citizen", "/me/laws", 200),
    ("platform_admin", "/staff/persons/{citizen_id}/notifications", 200),
]


@dataclass
class Visit:
    status: int | None = None
    problems: list[str] = field(default_factory=list)
    violations: list[dict] = field(default_factory=list)


def _watch(page, visit: Visit) -> None:  # noqa: ANN001
    def on_console(message) -> None:  # noqa: ANN001
        # Error statuses of the page itself are expected here; failed assets are caught by on_response.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            visit.problems.append(f"console: {message.text}")

    def on_response(response) -> None:  # noqa: ANN001
        if response.status >= 400 and not response.request.is_navigation_request():
            visit.problems.append(f"asset {response.status}: {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: visit.problems.append(f"script error: {error}"))
    page.on("requestfailed", lambda request: visit.problems.append(f"failed: {request.url} {request.failure}"))
    page.on("response", on_response)
    page.route(f"**{AXE_URL}", lambda route: route.fulfill(path=AXE, content_type="text/javascript"))


def _axe(page) -> list[dict]:  # noqa: ANN001
    page.add_script_tag(url=AXE_URL)
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
    }""")


def _report(visit: Visit) -> str:
    lines = [f"  {v['impact']}: {v['id']} — {v['help']} at {v['nodes']}" for v in visit.violations]
    return "\n".join(lines + [f"  {p}" for p in visit.problems])


def _check(context, path: str) -> tuple[Visit, object]:  # noqa: ANN001
    page = context.new_page()
    visit = Visit()
    _watch(page, visit)
    response = page.goto(path, wait_until="load")
    visit.status = response.status if response else None
    visit.violations = _axe(page)
    return visit, page


@pytest.mark.parametrize(("persona", "path", "status"), PAGES, ids=[f"{p}:{u}" for p, u, _ in PAGES])
def test_page_is_accessible_and_clean(context_as, site: Site, persona: str, path: str, status: int) -> None:
    visit, page = _check(context_as(persona), path.format(citizen_id=site.citizen_id, case_id=site.case_id,
                                                         survey_id=site.survey_id,
                                                         legal_basis_id=site.legal_basis_id))
    headings = page.locator("h1").count()
    page.close()

    serious = [v for v in visit.violations if v["impact"] in SERIOUS]
    assert visit.status == status
    assert headings == 1
    assert not serious and not visit.problems, f"{persona} {path}:\n{_report(visit)}"


def test_a_failed_staff_sign_in_page_is_accessible(browser, site: Site) -> None:
    context = browser.new_context(base_url=site.base_url)
    page = context.new_page()
    visit = Visit()
    _watch(page, visit)
    page.goto("/sign-in")
    page.fill("#email", "nobody@gov.example")
    page.fill("#password", "not the password")
    with page.expect_navigation() as navigation:
        page.click("main form button[type=submit]")
    visit.status = navigation.value.status
    visit.violations = _axe(page)
    alert = page.locator(".usa-alert--error").inner_text()
    context.close()

    assert visit.status == 401 and "do not match" in alert
    assert not [v for v in visit.violations if v["impact"] in SERIOUS] and not visit.problems, _report(visit)


def test_the_banner_opens_and_search_updates_in_place_under_the_csp(context_as) -> None:
    page = context_as("staff").new_page()
    visit = Visit()
    _watch(page, visit)
    page.goto("/staff/persons")

    page.click(".usa-banner__button")
    page.fill("#q", "lopez")
    page.press("#q", "Enter")
    page.wait_for_url("**/staff/persons?q=lopez")
    banner_open = page.locator("#gov-banner").is_visible()
    result = page.locator("#search-results table").inner_text()
    page.close()

    assert banner_open, "USWDS JavaScript did not open the banner"
    assert "Ana Lopez" in result
    assert not visit.problems, _report(visit)


def test_signing_out_from_the_header(browser, site: Site) -> None:
    context = browser.new_context(base_url=site.base_url)
    sign_in(context, site, "citizen")
    page = context.new_page()
    page.goto("/me")

    with page.expect_navigation():
        page.click("text=Sign out")
    after = page.goto("/me")
    context.close()

    assert after.status == 401
