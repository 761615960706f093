"""The A-11 §280 quarterly CX data collection: per service, the volume of responses and invitations
and the count of each answer to each question, for exactly one fiscal quarter.

OMB collects these figures (through GSA's Touchpoints "CX Quarterly" collection) as whole numbers:
the volume of respondents and, for each question, how many people chose each point of its scale.
So every count here is exact, every point of a scale is written (0 when nobody chose it), and
nothing is written as "suppressed": the files are aggregate counts only, never a comment's words,
an answer's person or a response's date, and they stay with the agency until it submits them.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from govcx.core.bounded import one_line, spreadsheet_cell
from govcx.core.errors import NotFound
from govcx.feedback.kpis import quarter_bounds
from govcx.feedback.models import Invitation, Response, Survey
from govcx.feedback.schemas import SCALES, Question, QuestionType
from govcx.registry import service as registry

HEADER = ["fiscal_year", "quarter", "agency_code", "service_code", "service_name", "survey_code", "survey_version",
          "question_key", "question_text", "answer", "count"]
NO_SERVICE = "NO-SERVICE"


@dataclass(frozen=True)
class ServiceExport:
    service_code: str
    csv: str
    responses: int


def _answer_points(question: Question, answered: Counter[str]) -> list[str]:
    """Every point of a scale or choice question, lowest first (so nobody choosing one still shows, as 0),
    then any other answer given (an option since withdrawn)."""
    if question.type in SCALES:
        low, high = SCALES[question.type]
        points = [str(v) for v in range(low, high + 1)]
    elif question.type in (QuestionType.SINGLE, QuestionType.MULTI):
        points = [o.key for o in question.options]
    else:
        points = []
    return points + sorted(set(answered) - set(points))


def _answer_values(question: Question, value: object) -> list[str]:
    if question.type is QuestionType.TEXT:
        return ["answered"]  # counts of comments, never their words
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def a11_quarter(
    *, session: Session, quarter: str, fiscal_year_start_month: int, agency_id: UUID | None = None,
    agency_code: str | None = None,
) -> list[ServiceExport]:
    """Return one CSV per service for the fiscal quarter `quarter` (e.g. FY2026Q1), of one agency or all."""
    if agency_code:
        found = registry.get_agency_by_code(session=session, code=agency_code)
        if found is None:
            raise NotFound(f"No agency with code {agency_code}.")
        agency_id = found.id
    first, after = quarter_bounds(quarter, fiscal_year_start_month)
    fiscal_year, q = quarter.strip().upper()[2:6], quarter.strip().upper()[-1]
    stmt = select(Response.service_id, Response.survey_id, Response.answers).where(
        Response.submitted_on >= first, Response.submitted_on < after)
    invited = select(Invitation.service_id, func.count()).where(
        Invitation.sent_on >= first, Invitation.sent_on < after).group_by(Invitation.service_id)
    if agency_id is not None:
        stmt = stmt.where(Response.agency_id == agency_id)
        invited = invited.where(Invitation.agency_id == agency_id)
    volumes: Counter[UUID | None] = Counter()
    counts: dict[tuple[UUID | None, UUID], dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    surveys: dict[UUID, tuple[Survey, dict[str, Question]]] = {}
    for service_id, survey_id, answers in session.execute(stmt):
        volumes[service_id] += 1
        if survey_id not in surveys:
            survey = session.get(Survey, survey_id)
            surveys[survey_id] = (survey, {q["key"]: Question.model_validate(q) for q in survey.questions})
        questions = surveys[survey_id][1]
        for key, value in answers.items():
            for answer in _answer_values(questions[key], value):
                counts[(service_id, survey_id)][key][answer] += 1
    invitations = dict(session.execute(invited).all())
    agencies = {a.id: a.code for a in registry.all_agencies(session=session)}
    services = {s.id: s for _, listed in registry.catalogue(session=session) for s in listed}
    out = []
    for service_id in sorted(set(volumes) | set(invitations), key=lambda s: str(s)):
        svc = services.get(service_id) if service_id else None
        code, name = (svc.code, svc.name) if svc else (NO_SERVICE, "No service given")
        agency = agencies.get(svc.agency_id, "") if svc else ""
        buffer = io.StringIO()
        writer = _SafeWriter(csv.writer(buffer, lineterminator="\n"))
        writer.writerow(HEADER)
        base = [fiscal_year, f"Q{q}", agency, code, name]
        writer.writerow([*base, "", "", "volume", "Responses", "", volumes[service_id]])
        writer.writerow([*base, "", "", "volume", "Invitations sent", "", invitations.get(service_id, 0)])
        for (sid, survey_id), by_question in sorted(counts.items(), key=lambda kv: str(kv[0][1])):
            if sid != service_id:
                continue
            survey, questions = surveys[survey_id]
            for key, question in questions.items():
                answered = by_question.get(key, Counter())
                text = question.prompt.get("en", key).replace("{provider}", survey.provider)
                for answer in _answer_points(question, answered):
                    writer.writerow([*base, survey.code, survey.version, key, text, answer, answered[answer]])
        out.append(ServiceExport(service_code=code, csv=buffer.getvalue(), responses=volumes[service_id]))
    return out


class _SafeWriter:
    """Every cell a person or an agency typed (names, question texts, answers) is neutralised, so a
    spreadsheet opening the export never runs it as a formula."""

    def __init__(self, writer: Any) -> None:
        self._writer = writer

    def writerow(self, row: list[Any]) -> None:
        # One line per cell too: a CR the writer would not quote must not split a row.
        self._writer.writerow([spreadsheet_cell(one_line(cell) if isinstance(cell, str) else cell) for cell in row])


def as_zip(quarter: str, exports: list[ServiceExport]) -> bytes:
    """Bundle the per-service CSVs into one zip archive, a file per service."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in exports:
            archive.writestr(f"{quarter.upper()}-{item.service_code}.csv", item.csv)
    return buffer.getvalue()
