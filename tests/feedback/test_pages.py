"""Feedback pages: the survey in Spanish, without JavaScript; the dashboard only for CX roles."""

from govcx.core.accounts import Role
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
