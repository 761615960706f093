"""Walk the product as each kind of user, in English and in Spanish, in a real Chromium.

From the role's start pages, follow every same-origin link the navigation and the pages show
(breadth first, a few clicks deep, one page per address pattern, within a page budget) and submit
every GET filter form with its defaults. Every page must answer below 400, say it is in the
language chosen, have one h1, and pass axe with nothing serious or critical. A few key pages per
role and language are saved as screenshots (GOVCX_SCREENSHOTS_DIR, default build/screenshots) and
their paths printed, so they travel with the test run's output.
"""

from __future__ import annotations

import os
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest

from tests.e2e.conftest import Site, sign_in
from tests.e2e.test_pages import SERIOUS, Visit, _axe, _watch

pytestmark = pytest.mark.e2e

ROLES = ["visitor", "citizen", "staff", "agency_admin", "cx_analyst", "platform_admin"]
LANGUAGES = ["en", "es"]
START = {"visitor": ["/"], "citizen": ["/", "/me"], "staff": ["/staff"], "agency_admin": ["/staff"],
         "cx_analyst": ["/staff", "/cx/feedback"], "platform_admin": ["/staff"]}
# Pages whose screenshots the README shows and the run attaches: the role's first start page, and these.
SCREENSHOTS = {"citizen": ["/me", "/me/data"], "staff": ["/staff/persons"], "cx_analyst": ["/cx/feedback"]}
DEPTH = 3
PAGES_PER_ROLE = int(os.environ.get("GOVCX_WALK_PAGES", "24"))
# Not pages to read: the language switch and sign-out change the session, downloads are files.
SKIP = re.compile(r"^/(language/|sign-out|citizen/sign-out|static/|api/|open311/)|\.(zip|csv|json|pdf|xml)(\?|$)")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}")


@dataclass
class Walk:
    role: str
    language: str
    faults: list[tuple[str, str, str]] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    linked_from: dict[str, str] = field(default_factory=dict)
    screenshots: list[Path] = field(default_factory=list)


def pattern(address: str) -> str:
    """The address with ids replaced and query values dropped: one visit stands for all its kind."""
    parts = urlsplit(address)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return _UUID.sub("{id}", parts.path) + (("?" + "&".join(keys)) if keys else "")


def _same_origin_links(page, base_url: str) -> list[str]:  # noqa: ANN001
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.getAttribute('href'))")
    out = []
    for href in hrefs:
        absolute = urljoin(page.url, href)
        if not absolute.startswith(base_url + "/") and absolute != base_url:
            continue
        parts = urlsplit(absolute)
        address = parts.path + (f"?{parts.query}" if parts.query else "")
        if address and not SKIP.search(address):
            out.append(address)
    return out


def _filter_forms(page) -> list[str]:  # noqa: ANN001
    """Each GET form of the page as the address its submit button would open, with the fields as they are."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('main form')).filter(form =>
        (form.getAttribute('method') || 'get').toLowerCase() === 'get' && form.checkValidity()
    ).map(form => {
        const action = new URL(form.getAttribute('action') || location.pathname, location.href);
        const data = new URLSearchParams(new FormData(form));
        return action.pathname + '?' + data.toString();
    })""")


def _visit(page, walk: Walk, address: str, screenshot_dir: Path | None) -> bool:  # noqa: ANN001
    visit = Visit()
    _watch(page, visit)
    try:
        response = page.goto(address, wait_until="load")
    except Exception as exc:  # noqa: BLE001 - a download or a dropped connection is a fault to report
        walk.faults.append((walk.role, pattern(address), f"did not load: {str(exc).splitlines()[0]}"))
        return False
    walk.visited.append(address)
    status = response.status if response else 0
    key = pattern(address)
    if status >= 400:
        walk.faults.append((walk.role, key, f"status {status}"))
    lang = page.evaluate("document.documentElement.lang")
    if lang != walk.language:
        walk.faults.append((walk.role, key, f"lang {lang}"))
    if page.locator("h1").count() != 1:
        walk.faults.append((walk.role, key, "not one h1"))
    for violation in _axe(page):
        if violation["impact"] in SERIOUS:
            walk.faults.append((walk.role, key, f"axe {violation['id']}"))
    walk.faults.extend((walk.role, key, problem.split(": http")[0]) for problem in visit.problems)
    if screenshot_dir is not None:
        path = screenshot_dir / f"{walk.role}-{walk.language}-{key.strip('/').replace('/', '_') or 'home'}.png"
        page.screenshot(path=str(path), full_page=False)
        walk.screenshots.append(path)
    return status < 400


def walk_as(browser, site: Site, role: str, language: str, screenshot_dir: Path) -> Walk:  # noqa: ANN001
    context = browser.new_context(base_url=site.base_url, locale="es-ES" if language == "es" else "en-US",
                                  viewport={"width": 1280, "height": 900})
    if role != "visitor":
        sign_in(context, site, role)
    walk = Walk(role=role, language=language)
    shoot = {START[role][0], *SCREENSHOTS.get(role, [])}
    queue = deque((address, 0, "start") for address in START[role])
    seen: set[str] = set()
    try:
        while queue and len(walk.visited) < PAGES_PER_ROLE:
            address, depth, source = queue.popleft()
            if pattern(address) in seen:
                continue
            seen.add(pattern(address))
            walk.linked_from[pattern(address)] = source
            page = context.new_page()
            loaded = _visit(page, walk, address, screenshot_dir if address in shoot else None)
            if loaded and depth < DEPTH:
                queue.extend((link, depth + 1, address) for link in _same_origin_links(page, site.base_url))
                queue.extend((form, depth + 1, f"the filter form of {address}") for form in _filter_forms(page))
            page.close()
    finally:
        context.close()
    return walk


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    path = Path(os.environ.get("GOVCX_SCREENSHOTS_DIR", "build/screenshots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("role", ROLES)
def test_every_link_and_filter_form_a_role_sees_opens_a_clean_page(
    browser, site: Site, role: str, language: str, screenshot_dir: Path
) -> None:
    walk = walk_as(browser, site, role, language, screenshot_dir)

    for path in walk.screenshots:
        print(f"screenshot: {path.resolve()}")
    found = set(walk.faults)
    new = sorted(found)
    assert len(walk.visited) >= min(3, PAGES_PER_ROLE), walk.visited
    assert not new, f"{role} ({language}) walked {len(walk.visited)} pages and found:\n" + "\n".join(
        f"  {where}: {what} (from {walk.linked_from.get(where, '?')})" for _, where, what in new)


def test_the_pattern_of_an_address_drops_ids_and_values() -> None:
    assert pattern("/staff/persons/0b4c7e1a-1d2f-4e3a-9b8c-7d6e5f4a3b2c/timeline?channel=&agency_id=x") == (
        "/staff/persons/{id}/timeline?agency_id&channel")
    assert pattern("/cx/feedback/comments?cursor=abc") == "/cx/feedback/comments?cursor"
