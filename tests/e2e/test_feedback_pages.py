"""The feedback widget in a real Chromium: on another site's page it opens the survey in a modal dialog
that takes an answer, under both sites' CSPs. (The feedback pages' axe checks are in test_pages.)"""

from __future__ import annotations

import contextlib
import http.server
import threading
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import Site, sign_in
from tests.e2e.test_pages import Visit, _report, _watch

pytestmark = pytest.mark.e2e


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
    frame.locator("h1").press("Escape")  # focus is inside the survey's frame


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


def test_the_dashboard_date_inputs_are_whole_at_1280_pixels(browser, site: Site) -> None:
    context = browser.new_context(base_url=site.base_url, viewport={"width": 1280, "height": 900})
    sign_in(context, site, "cx_analyst")
    page = context.new_page()
    page.goto("/cx/feedback", wait_until="load")
    measured = page.evaluate("""() => ['since', 'until'].map(id => {
        const input = document.getElementById(id);
        const box = input.getBoundingClientRect();
        // The day, month and year fields and the calendar button sit inside the input: the width they
        // need is the input's own width when nothing constrains it (a copy of it, off in a corner).
        const free = input.cloneNode();
        free.removeAttribute('id');
        free.style.cssText = 'position:absolute; left:0; top:0; width:auto; max-width:none; visibility:hidden';
        document.body.appendChild(free);
        const needed = free.getBoundingClientRect().width;
        free.remove();
        return {id, left: box.left, right: box.right, width: box.width, needed,
                scroll: input.scrollWidth, client: input.clientWidth, viewport: window.innerWidth};
    })""")
    context.close()

    for m in measured:
        assert m["left"] >= 0 and m["right"] <= m["viewport"], m
        assert m["scroll"] <= m["client"], m
        assert m["width"] >= m["needed"], m
