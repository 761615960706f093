"""The feedback pages in a real Chromium: axe finds nothing serious, and the widget opens the survey
in a modal dialog and takes an answer, all under the CSP."""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import Site
from tests.e2e.test_pages import SERIOUS, Visit, _check, _report, _watch

pytestmark = pytest.mark.e2e

PAGES = [
    ("visitor", "/survey/{survey_id}", 200), ("visitor", "/survey/{survey_id}?lang=es", 200),
    ("visitor", "/survey/{survey_id}?embed=1", 200), ("visitor", "/survey/thanks", 200),
    ("cx_analyst", "/cx/feedback", 200), ("cx_analyst", "/cx/feedback?group_by=region&period=month", 200),
    ("cx_analyst", "/cx/feedback/comments", 200), ("cx_analyst", "/cx/feedback/follow-ups", 200),
    ("cx_analyst", "/cx/feedback/export?quarter=FY2026Q2", 200), ("staff", "/cx/feedback", 403),
]


@pytest.mark.parametrize(("persona", "path", "status"), PAGES, ids=[f"{p}:{u}" for p, u, _ in PAGES])
def test_feedback_page_is_accessible_and_clean(context_as, site: Site, persona: str, path: str, status: int) -> None:
    visit, page = _check(context_as(persona), path.format(survey_id=site.survey_id))
    headings = page.locator("h1").count()
    page.close()

    serious = [v for v in visit.violations if v["impact"] in SERIOUS]
    assert visit.status == status
    assert headings == 1
    assert not serious and not visit.problems, f"{persona} {path}:\n{_report(visit)}"


def test_the_widget_opens_the_survey_in_a_dialog_and_takes_an_answer(browser, site: Site) -> None:
    context = browser.new_context()
    page = context.new_page()
    visit = Visit()
    _watch(page, visit)
    host = ('<!DOCTYPE html><html lang="en"><head><title>Agency</title></head><body><main><h1>An agency page</h1>'
            f'<a href="{site.base_url}/survey/{site.survey_id}" data-govcx-survey>Give feedback</a>'
            f'<script src="{site.base_url}/static/feedback/widget.js"></script></main></body></html>')
    with agency_site(host) as url:
        page.goto(url, wait_until="load")
        _answer_in_the_widget(page)
    dialog_gone = page.locator("dialog").count() == 0
    focused = page.evaluate("document.activeElement.textContent")
    context.close()

    assert dialog_gone and focused == "Give feedback"
    assert not visit.problems, _report(visit)


def _answer_in_the_widget(page) -> None:  # noqa: ANN001
    page.click("text=Give feedback")
    dialog = page.locator("dialog[open]")
    dialog.wait_for()
    frame = page.frame_locator("dialog iframe")
    frame.locator("label[for='q-trust-4']").click()
    frame.locator("button[type=submit]").click()
    frame.locator("h1", has_text="Thank you").wait_for()
    page.locator("dialog button", has_text="Close").click()


@contextlib.contextmanager
def agency_site(html: str) -> Iterator[str]:
    """Another site (another origin on this machine) whose page embeds the widget."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            body = html.encode()
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/services/refund"
    finally:
        server.shutdown()
        server.server_close()
