"""The issue's acceptance points, end to end through the pages, the API and the CLI."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime

from typer.testing import CliRunner

from govcx.cli import app as cli
from tests.factories import feedback as feedback_factories
from tests.feedback.helpers import answer_page

runner = CliRunner()


def _kpi(html: str, label: str) -> str:
    start = html.index(f'data-kpi="{label}">') + len(f'data-kpi="{label}">')
    return html[start:html.index("</p>", start)]


def test_answers_from_the_hosted_page_the_widget_and_the_api_all_count_in_the_dashboard(
    analyst, survey, refund
):
    page = answer_page(analyst, f"/survey/{survey.id}?service_id={refund.id}&channel=web",
                       {"trust": "5", "went_well": ["ease", "efficiency"], "comments": "Quick and clear."})
    widget = answer_page(analyst, f"/survey/{survey.id}?embed=1&service_id={refund.id}",
                         {"trust": "2", "went_badly": ["transparency"]})
    api = analyst.post("/api/v1/feedback/responses", json={
        "survey_id": str(survey.id), "answers": {"trust": 4}, "service_id": str(refund.id)})

    assert page.status_code == 303 and page.headers["location"].startswith("/survey/thanks")
    assert widget.status_code == 303 and "embed=1" in widget.headers["location"]
    assert api.status_code == 201
    dashboard = analyst.get("/cx/feedback?group_by=service&period=quarter").text
    assert _kpi(dashboard, "responses") == "3"
    assert _kpi(dashboard, "trust").startswith("66.7%")


def test_a_second_answer_on_the_same_invitation_is_refused_with_a_clear_message(client, uow, clock, survey):
    with uow() as session:
        token = feedback_factories.invitation(session, clock, survey)

    first = answer_page(client, f"/survey/i/{token}", {"trust": "4"})
    again_page = client.get(f"/survey/i/{token}")
    again_api = client.post("/api/v1/feedback/responses", json={"invitation_token": token, "answers": {"trust": 1}})

    assert first.status_code == 303
    assert again_page.status_code == 409
    assert "already been answered" in again_page.text
    assert again_api.status_code == 409
    assert again_api.json()["detail"].startswith("This invitation has already been answered.")
    assert again_api.json()["reason"] == "already_answered"


def _answer_at(uow, clock, survey, when: datetime, answers: dict, **context) -> None:
    clock.set(when)
    with uow() as session:
        feedback_factories.response(session, clock, survey, answers, **context)


def test_kpis_match_a_hand_computation_intervals_and_change_included(client, uow, clock, survey, tax_key):
    # FY2026Q1 (Oct-Dec 2025): 3 of 10 agree. FY2026Q2 (Jan-Mar 2026): 7 of 10 agree, 4 name ease as going well.
    for n, score in enumerate([5, 4, 4, 1, 2, 2, 3, 1, 2, 3]):
        _answer_at(uow, clock, survey, datetime(2025, 11, 3 + n, 12, tzinfo=UTC), {"trust": score})
    for n, score in enumerate([5, 5, 4, 4, 4, 3, 2, 1, 5, 4]):
        went_well = ["ease"] if n < 4 else ["other"]
        _answer_at(uow, clock, survey, datetime(2026, 2, 2 + n, 12, tzinfo=UTC),
                   {"trust": score, "went_well": went_well})

    cells = client.get("/api/v1/feedback/kpis?period=quarter", headers=tax_key).json()["cells"]

    before, now = cells
    assert (before["period"], now["period"]) == ("FY2026Q1", "FY2026Q2")
    assert before["trust"]["value"] == 0.3 and now["trust"]["value"] == 0.7
    # Wilson 95% for 7/10: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n) with z = 1.959964
    assert round(now["trust"]["low"], 4) == 0.3968 and round(now["trust"]["high"], 4) == 0.8922
    assert round(before["trust"]["low"], 4) == 0.1078 and round(before["trust"]["high"], 4) == 0.6032
    assert now["drivers_positive"]["ease"]["value"] == 0.4
    change = now["changes"][0]
    # Pooled p = 0.5, se = sqrt(0.25 · (1/10 + 1/10)) = 0.2236, z = 0.4 / 0.2236 = 1.789, two-sided p = 0.0736.
    assert change["measure"] == "trust" and round(change["z"], 3) == 1.789
    assert round(change["p_value"], 4) == 0.0736 and change["significant"] is False


def test_a_cell_under_the_threshold_is_suppressed_in_the_api_and_the_page_but_counted_exactly_for_omb(
    analyst, uow, clock, survey, refund, tax_key
):
    _answer_at(uow, clock, survey, datetime(2026, 2, 2, tzinfo=UTC), {"trust": 5}, service_id=refund.id)
    _answer_at(uow, clock, survey, datetime(2026, 2, 3, tzinfo=UTC), {"trust": 1})
    _answer_at(uow, clock, survey, datetime(2026, 2, 4, tzinfo=UTC), {"trust": 2})

    api = analyst.get("/api/v1/feedback/kpis?group_by=service", headers=tax_key).json()["cells"]
    page = analyst.get("/cx/feedback?group_by=service").text
    export = analyst.get("/cx/feedback/export.zip?quarter=FY2026Q2")

    alone = next(c for c in api if c["group"] == str(refund.id))
    assert alone["suppressed"] is True and alone["trust"] is None and alone["responses"] == 1
    row = page[page.index(f"/cx/feedback/comments?service_id={refund.id}") - 600:]
    assert "Renew a driving licence" in page and "suppressed" in page[page.index('id="breakdown"'):]
    assert "100.0%" not in row.split("</tr>")[0]
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    rows = list(csv.DictReader(io.StringIO(archive.read("FY2026Q2-TAX-REFUND.csv").decode())))
    # OMB's quarterly collection takes whole numbers for every answer point: the export never suppresses.
    assert rows[0]["question_text"] == "Responses" and rows[0]["count"] == "1"
    assert {(r["answer"], r["count"]) for r in rows if r["question_key"] == "trust"} == {
        ("1", "0"), ("2", "0"), ("3", "0"), ("4", "0"), ("5", "1")}


def test_the_a11_export_counts_exactly_the_responses_of_its_quarter(uow, clock, survey, refund, settings, tmp_path):
    for when in (datetime(2025, 12, 31, 23, 59, tzinfo=UTC), datetime(2026, 1, 1, 0, 0, tzinfo=UTC),
                 datetime(2026, 2, 14, tzinfo=UTC), datetime(2026, 3, 31, 23, 59, tzinfo=UTC),
                 datetime(2026, 4, 1, 0, 0, tzinfo=UTC)):
        _answer_at(uow, clock, survey, when, {"trust": 4, "went_well": ["ease"]}, service_id=refund.id)
    env = {"GOVCX_DATABASE_URL": settings.database_url, "GOVCX_DATA_DIR": str(tmp_path),
           "GOVCX_SUPPRESSION_THRESHOLD": "2", "GOVCX_SECRET_KEY": "x" * 40}

    result = runner.invoke(cli, ["feedback", "export-a11", "--quarter", "FY2026Q2", "--out", str(tmp_path)], env=env)

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO((tmp_path / "FY2026Q2-TAX-REFUND.csv").read_text())))
    assert rows[0]["question_text"] == "Responses" and rows[0]["count"] == "3"
    answered = {(r["question_key"], r["answer"], r["count"]) for r in rows[2:] if r["count"] != "0"}
    assert answered == {("trust", "4", "3"), ("went_well", "ease", "3")}
    assert rows[0]["fiscal_year"] == "2026" and rows[0]["quarter"] == "Q2"


def test_the_a11_export_neutralises_cells_a_spreadsheet_would_run(uow, clock, survey, refund, settings, tmp_path):
    from sqlalchemy import update

    from govcx.feedback import export
    from govcx.registry.models import Service

    for when in (datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 1, 6, tzinfo=UTC)):
        _answer_at(uow, clock, survey, when, {"trust": 4}, service_id=refund.id)
    hostile = ['=HYPERLINK("http://evil.example","x")', "+SUM(A1)", "-2+3", "@cmd", "\tTab", "\rCR"]
    exports = {}
    for name in hostile:
        with uow() as session:
            session.execute(update(Service).where(Service.id == refund.id).values(name=name))
        with uow() as session:
            [exports[name]] = export.a11_quarter(session=session, quarter="FY2026Q2", fiscal_year_start_month=10)
    for name, item in exports.items():
        rows = list(csv.DictReader(io.StringIO(item.csv, newline="")))
        cell = rows[0]["service_name"]
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), name
        assert cell in ("'" + name, " " + name.strip()), (name, cell)
        assert all(len(row) == len(export.HEADER) and None not in row for row in rows)  # no cell split its row
        assert rows[0]["count"] == "2"  # numbers stay numbers
    assert export.spreadsheet_cell("-12") == "-12" and export.spreadsheet_cell("-1.5e3") == "-1.5e3"
    assert export.spreadsheet_cell(-3) == -3


def test_export_a11_without_out_writes_under_the_data_directory_with_exact_counts(
    uow, clock, survey, refund, settings, tmp_path, monkeypatch
):
    for n in range(5):  # 5 responses, under any usual suppression threshold: OMB still gets the 5
        _answer_at(uow, clock, survey, datetime(2026, 2, 1 + n, tzinfo=UTC), {"trust": 4}, service_id=refund.id)
    data_dir, elsewhere = tmp_path / "data", tmp_path / "where-the-command-was-typed"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    env = {"GOVCX_DATABASE_URL": settings.database_url, "GOVCX_DATA_DIR": str(data_dir),
           "GOVCX_SUPPRESSION_THRESHOLD": "10", "GOVCX_SECRET_KEY": "x" * 40}

    result = runner.invoke(cli, ["feedback", "export-a11", "--quarter", "FY2026Q2"], env=env)

    written = data_dir / "exports" / "a11" / "FY2026Q2" / "FY2026Q2-TAX-REFUND.csv"
    assert result.exit_code == 0, result.output
    assert list(elsewhere.iterdir()) == [] and written.exists()
    assert str(written.parent.resolve()) in result.output.replace("\n", "")
    rows = list(csv.DictReader(io.StringIO(written.read_text())))
    assert rows[0]["question_text"] == "Responses" and rows[0]["count"] == "5"
    assert {(r["answer"], r["count"]) for r in rows if r["question_key"] == "trust"} == {
        ("1", "0"), ("2", "0"), ("3", "0"), ("4", "5"), ("5", "0")}
