import re

from starlette.testclient import TestClient

from govcx.app import create_app
from govcx.core.errors import PROBLEM_MEDIA_TYPE
from govcx.web import STATIC_DIR
from tests.web.helpers import h1_count


def test_an_unknown_page_is_an_html_404_with_one_heading(client):
    answer = client.get("/no/such/page")

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert h1_count(answer.text) == 1 and "Page not found" in answer.text


def test_api_and_open311_paths_still_answer_problem_details(client):
    unknown = client.get("/api/v1/no-such-thing")
    no_key = client.get("/api/v1/persons")
    open311 = client.get("/open311/v2/no/such/thing.json")

    for answer, status in ((unknown, 404), (no_key, 401), (open311, 404)):
        assert answer.status_code == status
        assert answer.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert answer.json()["status"] == status


def test_a_crash_is_an_html_page_for_people_and_a_problem_for_clients(settings, clock, engine):
    app = create_app(settings, clock=clock)

    def boom() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", boom)
    app.add_api_route("/api/v1/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        page = client.get("/boom")
        problem = client.get("/api/v1/boom")

    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in page.text and "secret internals" not in page.text
    assert problem.status_code == 500 and problem.headers["content-type"] == PROBLEM_MEDIA_TYPE
    assert "secret internals" not in problem.text


def test_pages_carry_the_security_headers_and_no_inline_script_or_style(client):
    for path in ("/", "/sign-in", "/citizen/sign-in", "/services", "/data-catalogue", "/me", "/nowhere"):
        answer = client.get(path)
        assert "script-src 'self'" in answer.headers["content-security-policy"]
        assert "style=" not in answer.text and "<style" not in answer.text
        assert re.findall(r"<script(?![^>]*\bsrc=)", answer.text) == []
        assert h1_count(answer.text) == 1, path


def test_every_asset_the_stylesheet_names_is_served(client):
    css = client.get("/static/vendor/uswds/css/uswds.min.css")
    urls = {u for u in re.findall(r"url\(\"?'?([^)\"']+)", css.text) if u.startswith("../")}

    answers = {u: client.get("/static/vendor/uswds/css/" + u).status_code for u in urls}

    assert css.status_code == 200 and len(urls) > 30
    assert {u: s for u, s in answers.items() if s != 200} == {}
    assert (STATIC_DIR / "vendor" / "htmx" / "htmx.min.js").is_file()
