"""Feedback pages: the survey in Spanish, without JavaScript; the dashboard only for CX roles."""

import csv
import io
import re
import zipfile
from datetime import UTC, datetime

from govcx.core.accounts import Role
from govcx.registry import schemas as registry_schemas
from govcx.registry import service as registry_service
from tests.factories import feedback as feedback_factories
from tests.factories import registry as factories
from tests.feedback.helpers import answer_page
from tests.web.helpers import h1_count, sign_in_staff


def test_the_survey_page_speaks_spanish_when_asked(client, survey):
    html = client.get(f"/survey/{survey.id}?lang=es").text

    assert 'lang="es"' in html and "Esta interacción aumentó mi confianza en the Tax Agency." in html
    assert "<script" not in html.split("</main>")[0].split("<main")[1]
    assert h1_count(html) == 1


def test_the_survey_and_its_thanks_follow_the_readers_language_from_top_to_bottom(client, survey):
    spanish = client.get(f"/survey/{survey.id}", headers={"Accept-Language": "es"}).text
    english = client.get(f"/survey/{survey.id}?lang=en", headers={"Accept-Language": "es"}).text
    thanks = client.get("/survey/thanks", headers={"Accept-Language": "es"}).text

    assert '<html lang="es">' in spanish and "Enviar opinión" in spanish and ">Inicio<" in spanish
    # Asked for English in the link: the whole page is English, navigation included.
    assert '<html lang="en">' in english and "Send feedback" in english and ">Home<" in english
    assert "Gracias por su opinión" in thanks and '<html lang="es">' in thanks


def test_a_survey_page_missing_a_required_answer_shows_the_form_again_with_the_message(client, survey):
    answer = answer_page(client, f"/survey/{survey.id}", {"comments": "hello"})

    assert answer.status_code == 422
    assert "Please answer question trust" in answer.text and "hello" in answer.text


def test_the_survey_page_can_be_framed_by_other_sites_but_the_dashboard_cannot(client, analyst, survey):
    survey_page = client.get(f"/survey/{survey.id}?embed=1")
    dashboard = analyst.get("/cx/feedback")

    assert "frame-ancestors *" in survey_page.headers["content-security-policy"]
    assert dashboard.headers["x-frame-options"] == "DENY"


def test_front_line_staff_cannot_open_the_feedback_dashboard(client, uow, clock, tax):
    with uow() as session:
        email = factories.staff(session, clock, tax, Role.STAFF).email
    sign_in_staff(client, email)

    assert client.get("/cx/feedback").status_code == 403


def test_the_dashboard_drills_down_to_redacted_comments_and_lists_follow_ups(analyst, survey):
    analyst.post("/api/v1/feedback/responses", json={
        "survey_id": str(survey.id), "answers": {"trust": 1, "comments": "Ring 0401234567 please"}})

    comments = analyst.get("/cx/feedback/comments?negative=1").text
    follow_ups = analyst.get("/cx/feedback/follow-ups")
    export_page = analyst.get("/cx/feedback/export?quarter=FY2026Q2")

    assert "Ring [phone] please" in comments and "0401234567" not in comments
    assert follow_ups.status_code == 200 and "No follow-ups yet" in follow_ups.text
    assert export_page.status_code == 200 and "FY2026Q2" in export_page.text


def test_the_widget_script_is_served_as_a_file(client):
    script = client.get("/static/feedback/widget.js")

    assert script.status_code == 200 and "showModal" in script.text


def test_the_export_pages_refuse_a_quarter_outside_the_calendar(analyst):
    for address in ("/cx/feedback/export?quarter=FY0000Q1", "/cx/feedback/export.zip?quarter=FY0000Q1",
                    "/cx/feedback/export?quarter=FY9999Q4"):
        answer = analyst.get(address)
        assert answer.status_code == 422, address
        assert "fiscal year between" in answer.text


# Issue 14: filters, comments, the A-11 export --------------------------------------------------


def _answer_at(uow, clock, survey, when, answers, **context):  # noqa: ANN001, ANN202
    clock.set(when)
    with uow() as session:
        return feedback_factories.response(session, clock, survey, answers, **context)


def _region(uow, clock, code: str, name: str):  # noqa: ANN202
    with uow() as session:
        return registry_service.create_region(session=session, clock=clock,
                                              data=registry_schemas.RegionCreate(code=code, name=name))


def test_the_dashboard_form_sent_with_its_defaults_shows_every_channel(analyst, uow, clock, survey):
    _answer_at(uow, clock, survey, datetime(2026, 2, 2, tzinfo=UTC), {"trust": 5}, channel="web")
    _answer_at(uow, clock, survey, datetime(2026, 2, 3, tzinfo=UTC), {"trust": 4}, channel="phone")

    # What "Show" sends when nothing was chosen: every field, the unchosen ones empty.
    answer = analyst.get("/cx/feedback?service_id=&channel=&region_id=&since=&until=&group_by=service"
                         "&period=quarter")
    blank_everything = analyst.get("/cx/feedback?group_by=&period=&channel=")

    assert answer.status_code == 200 and blank_everything.status_code == 200
    assert 'data-kpi="responses">2<' in answer.text and 'data-kpi="responses">2<' in blank_everything.text


def test_a_date_that_is_not_a_day_shows_beside_its_field_and_keeps_the_others(analyst, survey):
    answer = analyst.get("/cx/feedback?since=2026-13-40&until=2026-01-01&period=month")

    assert answer.status_code == 400
    assert 'id="since-error"' in answer.text and 'aria-invalid="true"' in answer.text
    assert 'value="2026-13-40"' in answer.text and 'value="2026-01-01"' in answer.text
    assert '<option value="month" selected' in answer.text


def test_comments_read_oldest_day_first_even_when_written_in_another_order(analyst, uow, clock, survey):
    for day in (20, 3, 11):  # written late-first: ids are in the order written, not the order of the days
        _answer_at(uow, clock, survey, datetime(2026, 2, day, tzinfo=UTC), {"trust": 2, "comments": f"Day {day}"})

    html = analyst.get("/cx/feedback/comments").text

    assert html.index("Day 3") < html.index("Day 11") < html.index("Day 20")


def test_comments_page_through_in_date_order(analyst, uow, clock, survey):
    from govcx.feedback import pages

    for day in range(28, 0, -1):
        _answer_at(uow, clock, survey, datetime(2026, 2, day, tzinfo=UTC), {"trust": 2, "comments": f"Day {day}."})
    first = analyst.get("/cx/feedback/comments?channel=").text
    next_page = re.search(r'href="(/cx/feedback/comments\?[^"]*cursor=[^"]+)"', first).group(1).replace("&amp;", "&")
    second = analyst.get(next_page).text

    assert pages.COMMENTS_PER_PAGE == 25
    assert "Day 25." in first and "Day 26." not in first
    assert second.index("Day 26.") < second.index("Day 28.") and "Day 1." not in second


def test_comments_filter_by_region_and_period_and_the_breakdown_links_keep_both(analyst, uow, clock, survey):
    north, south = _region(uow, clock, "N", "Northshire"), _region(uow, clock, "S", "Southvale")
    _answer_at(uow, clock, survey, datetime(2026, 1, 3, tzinfo=UTC), {"trust": 1, "comments": "North in Q2"},
               region_id=north.id)
    _answer_at(uow, clock, survey, datetime(2026, 1, 4, tzinfo=UTC), {"trust": 1, "comments": "South in Q2"},
               region_id=south.id)
    _answer_at(uow, clock, survey, datetime(2025, 12, 3, tzinfo=UTC), {"trust": 1, "comments": "North in Q1"},
               region_id=north.id)

    dashboard = analyst.get("/cx/feedback?group_by=region&period=quarter").text
    links = [link.replace("&amp;", "&") for link in re.findall(r'href="(/cx/feedback/comments\?[^"]+)"', dashboard)]
    north_q2 = next(link for link in links if f"region_id={north.id}" in link and "since=2026-01-01" in link)
    filtered = analyst.get(north_q2).text

    assert "until=2026-03-31" in north_q2
    assert "North in Q2" in filtered and "South in Q2" not in filtered and "North in Q1" not in filtered
    assert f'<option value="{north.id}" selected' in filtered and 'value="2026-01-01"' in filtered


def test_no_breakdown_reads_by_period_not_by_none(analyst, uow, clock, survey):
    _answer_at(uow, clock, survey, datetime(2026, 2, 2, tzinfo=UTC), {"trust": 5})

    html = analyst.get("/cx/feedback?group_by=none").text

    assert "By none" not in html and "by none" not in html
    assert "<h2>By period</h2>" in html


def test_the_a11_export_page_says_what_the_files_hold_and_the_zip_holds_exact_counts(
    analyst, uow, clock, survey, refund, settings
):
    settings.suppression_threshold = 10
    for n in range(12):  # 12 responses: trust 4 from 9 people, 5 from 3, and nobody chose 1, 2 or 3
        _answer_at(uow, clock, survey, datetime(2026, 2, 1 + n, tzinfo=UTC), {"trust": 4 if n < 9 else 5},
                   service_id=refund.id)

    page = analyst.get("/cx/feedback/export?quarter=FY2026Q2").text
    archive = zipfile.ZipFile(io.BytesIO(analyst.get("/cx/feedback/export.zip?quarter=FY2026Q2").content))
    rows = list(csv.DictReader(io.StringIO(archive.read("FY2026Q2-TAX-REFUND.csv").decode())))

    preview = page[page.index('id="export-preview"'):]
    assert "Counts are exact" in page and "suppressed" not in preview and ">12<" in preview
    assert {(r["answer"], r["count"]) for r in rows if r["question_key"] == "trust"} == {
        ("1", "0"), ("2", "0"), ("3", "0"), ("4", "9"), ("5", "3")}
    assert all(r["count"].isdigit() for r in rows)


def test_a_quarter_that_is_not_one_shows_beside_the_field_with_what_was_typed(analyst):
    answer = analyst.get("/cx/feedback/export?quarter=FY2026Q9")

    assert answer.status_code == 422
    assert 'id="quarter-error"' in answer.text and 'value="FY2026Q9"' in answer.text


def test_the_feedback_pages_speak_spanish(analyst, uow, clock, survey):
    _answer_at(uow, clock, survey, datetime(2026, 2, 2, tzinfo=UTC), {"trust": 5, "comments": "Bien"})
    spanish = {"Accept-Language": "es"}

    pages = {path: analyst.get(path, headers=spanish).text for path in (
        "/cx/feedback", "/cx/feedback/comments", "/cx/feedback/follow-ups", "/cx/feedback/export?quarter=FY2026Q2")}

    assert "Opiniones de los usuarios" in pages["/cx/feedback"] and "Todos los canales" in pages["/cx/feedback"]
    assert "Lo que escribieron las personas" in pages["/cx/feedback/comments"]
    assert "Seguimientos" in pages["/cx/feedback/follow-ups"]
    assert "Exportación trimestral A-11" in pages["/cx/feedback/export?quarter=FY2026Q2"]
    assert all(h1_count(html) == 1 for html in pages.values())
