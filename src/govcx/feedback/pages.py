"""Feedback pages: the hosted survey (works without JavaScript; also what the widget frames),
invitation links, and the CX dashboard for analysts (KPIs, trends, comments, follow-ups, A-11 export)."""

from __future__ import annotations

import statistics
from datetime import date
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from govcx.core.bounded import EARLIEST_YEAR, LATEST_YEAR, reasonable_date
from govcx.core.accounts import Scope
from govcx.core.auth import CurrentStaff, StaffMember, authorize
from govcx.core.clock import Clock
from govcx.core.config import Settings
from govcx.core.deps import ClockDep, SessionDep, SettingsDep
from govcx.core.filters import Filter
from govcx.core.errors import Invalid
from govcx.core.pagination import PageParams
from govcx.feedback import export, schemas, service, templates
from govcx.feedback.charts import percent_bars
from govcx.feedback.models import FollowUpState, ResponseSource, Survey
from govcx.feedback.kpis import period_last_day
from govcx.feedback.schemas import Dimension, KpiCell, KpiFilters, Period, QuestionType
from govcx.feedback.spam import RateLimited
from govcx.registry import service as registry
from govcx.registry.models import Channel
from govcx.web import i18n
from govcx.web.i18n import N_
from govcx.web.i18n import gettext as _
from govcx.web.templating import page_router, render

router = page_router()

FORM_TOKEN_FIELD = "form_token"
FORM_TOKEN_AGE = 24 * 3600
COMMENTS_PER_PAGE = 25
CONTEXT_FIELDS = ("service_id", "touchpoint", "channel", "interaction_ref", "case_ref", "region_id")


# The survey form -------------------------------------------------------------------------------


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret, salt="govcx-survey-form")


def _language(survey: Survey, wanted: str | None, reader: str | None = None) -> str:
    """The language a survey is shown in: the one asked for, else the reader's, else the survey's first."""
    for choice in (wanted, reader):
        if choice in survey.languages:
            return choice
    return survey.languages[0]


def _in_language(request: Request, language: str) -> None:
    # A survey page speaks its survey's language from top to bottom (navigation included).
    request.state.language = i18n.supported(language) or i18n.DEFAULT_LANGUAGE


def _question_views(survey: Survey, language: str) -> list[dict[str, Any]]:
    views = []
    for q in service.questions_of(survey):
        choices = ([(o.key, o.label[language]) for o in q.options]
                   if q.type in (QuestionType.SINGLE, QuestionType.MULTI) else
                   [] if q.type is QuestionType.TEXT else templates.scale_labels(q, language))
        views.append({"key": q.key, "type": q.type.value, "required": q.required, "choices": choices,
                      "prompt": q.prompt[language].replace("{provider}", survey.provider),
                      "multi": q.type is QuestionType.MULTI})
    return views


def _survey_page(
    request: Request, *, survey: Survey, language: str, settings: Settings, action: str, embed: bool,
    context: dict[str, str], values: dict[str, Any] | None = None, error: str | None = None, status_code: int = 200,
) -> Response:
    _in_language(request, language)
    return render(request, "feedback/survey.html", {
        "survey": survey, "language": language, "title": survey.title[language],
        "questions": _question_views(survey, language), "action": action, "embed": embed, "context": context,
        "values": values or {}, "error": error,
        "languages": [(code, i18n.LANGUAGES.get(code, code)) for code in survey.languages],
        "form_token_field": FORM_TOKEN_FIELD, "form_token": _serializer(settings).dumps(str(survey.id)),
        "layout": "feedback/embed.html" if embed else "base.html",
    }, status_code=status_code)


def _answers_from_form(survey: Survey, form: Any) -> dict[str, schemas.Answer]:
    answers: dict[str, schemas.Answer] = {}
    for q in service.questions_of(survey):
        if q.type is QuestionType.MULTI:
            chosen = [v for v in form.getlist(q.key) if isinstance(v, str)]
            if chosen:
                answers[q.key] = chosen
            continue
        raw = form.get(q.key)
        if not isinstance(raw, str) or not raw.strip():
            continue
        if q.type in schemas.SCALES:
            try:
                answers[q.key] = int(raw)
            except ValueError:
                raise Invalid(f"Answer {q.key} must be one of the choices.") from None
        else:
            answers[q.key] = raw
    return answers


async def _submit(
    request: Request, *, session: Session, settings: Settings, clock: Clock, survey: Survey, token: str | None,
    action: str,
) -> Response:
    form = await request.form()
    language = _language(survey, str(form.get("lang") or ""))
    embed = form.get("embed") == "1"
    context = {k: str(form.get(k)) for k in CONTEXT_FIELDS if form.get(k)}
    values = {k: form.getlist(k) for k in form.keys()}
    try:
        _serializer(settings).loads(str(form.get(FORM_TOKEN_FIELD, "")), max_age=FORM_TOKEN_AGE)
    except BadSignature:
        with i18n.use_language(language):
            expired = _("This form is too old to send. Reload the page and try again.")
        return _survey_page(request, survey=survey, language=language, settings=settings, action=action, embed=embed,
                            context=context, values=values, error=expired, status_code=403)
    try:
        data = schemas.ResponseCreate(
            survey_id=None if token else survey.id, invitation_token=token, language=language,
            answers=_answers_from_form(survey, form), website=str(form.get("website", "")),
            **({} if token else context),
        )
        service.submit_response(session=session, data=data, clock=clock,
                                source=ResponseSource.WIDGET if embed else ResponseSource.PAGE)
    except (Invalid, ValueError) as exc:
        with i18n.use_language(language):
            detail = _(exc.detail) if isinstance(exc, Invalid) else _("One of the details of this form is not valid.")
        return _survey_page(request, survey=survey, language=language, settings=settings, action=action, embed=embed,
                            context=context, values=values, error=detail, status_code=422)
    return RedirectResponse(f"/survey/thanks?lang={language}{'&embed=1' if embed else ''}", status_code=303)


@router.get("/survey/thanks")
def survey_thanks(request: Request, lang: str = "", embed: str = "") -> Response:
    language = i18n.supported(lang) or i18n.current_language()
    _in_language(request, language)
    return render(request, "feedback/thanks.html", {
        "language": language, "layout": "feedback/embed.html" if embed == "1" else "base.html"})


@router.get("/survey/i/{token}")
def invitation_form(request: Request, token: str, session: SessionDep, clock: ClockDep, settings: SettingsDep,
                    lang: str | None = None) -> Response:
    invitation = service.open_invitation(session=session, token=token, clock=clock)
    survey = service.get_survey(session=session, survey_id=invitation.survey_id)
    language = _language(survey, lang or invitation.language, i18n.current_language())
    return _survey_page(request, survey=survey, language=language,
                        settings=settings, action=f"/survey/i/{token}", embed=False, context={})


@router.post("/survey/i/{token}")
async def invitation_answer(request: Request, token: str, session: SessionDep, clock: ClockDep,
                            settings: SettingsDep, _unused: RateLimited) -> Response:
    invitation = service.open_invitation(session=session, token=token, clock=clock)
    survey = service.get_survey(session=session, survey_id=invitation.survey_id)
    return await _submit(request, session=session, settings=settings, clock=clock, survey=survey, token=token,
                         action=f"/survey/i/{token}")


@router.get("/survey/{survey_id}")
def open_survey_form(
    request: Request, survey_id: UUID, session: SessionDep, settings: SettingsDep, lang: str | None = None,
    embed: str = "", service_id: str = "", touchpoint: str = "", channel: str = "", region_id: str = "",
) -> Response:
    survey = service.get_survey(session=session, survey_id=survey_id)
    if not survey.is_open:
        raise Invalid("This survey is answered by invitation only; use the link you were sent.")
    context = {k: v for k, v in (("service_id", service_id), ("touchpoint", touchpoint), ("channel", channel),
                                 ("region_id", region_id)) if v}
    language = _language(survey, lang, i18n.current_language())
    return _survey_page(request, survey=survey, language=language, settings=settings,
                        action=f"/survey/{survey.id}", embed=embed == "1", context=context)


@router.post("/survey/{survey_id}")
async def open_survey_answer(request: Request, survey_id: UUID, session: SessionDep, clock: ClockDep,
                             settings: SettingsDep, _unused: RateLimited) -> Response:
    survey = service.get_survey(session=session, survey_id=survey_id)
    return await _submit(request, session=session, settings=settings, clock=clock, survey=survey, token=None,
                         action=f"/survey/{survey.id}")


# The CX dashboard ------------------------------------------------------------------------------

DIMENSION_LABELS = {Dimension.NONE: N_("No breakdown"), Dimension.AGENCY: N_("Agency"),
                    Dimension.SERVICE: N_("Service"), Dimension.CHANNEL: N_("Channel"),
                    Dimension.TOUCHPOINT: N_("Touchpoint"), Dimension.REGION: N_("Region")}
PERIOD_LABELS = {Period.WEEK: N_("Week"), Period.MONTH: N_("Month"), Period.QUARTER: N_("Fiscal quarter")}
CHANNEL_LABELS = {Channel.WEB: N_("Website"), Channel.APP: N_("Mobile app"), Channel.PHONE: N_("Phone"),
                  Channel.IN_PERSON: N_("In person"), Channel.EMAIL: N_("E-mail"), Channel.CHAT: N_("Online chat"),
                  Channel.MAIL: N_("Post"), Channel.SOCIAL: N_("Social media"), Channel.SMS: N_("Text message")}
DRIVER_LABELS = {schemas.Driver.EFFECTIVENESS: N_("Effectiveness"), schemas.Driver.EASE: N_("Ease"),
                 schemas.Driver.EFFICIENCY: N_("Efficiency"), schemas.Driver.TRANSPARENCY: N_("Transparency"),
                 schemas.Driver.HUMANITY: N_("Humanity"), schemas.Driver.EMPLOYEE: N_("Employee helpfulness"),
                 schemas.Driver.EQUITY: N_("Equity"), schemas.Driver.OTHER: N_("Other")}
FOLLOW_UP_LABELS = {FollowUpState.OPEN: N_("Open"), FollowUpState.IN_PROGRESS: N_("In progress"),
                    FollowUpState.CLOSED: N_("Closed")}
NOT_GIVEN = N_("Not given")


def _agency_scope(staff: StaffMember) -> UUID | None:
    authorize(staff, Scope.CX_READ)
    return None if staff.platform_wide else staff.agency_id


def _choices(session: Session, agency_id: UUID | None) -> dict[str, Any]:
    services = [s for agency, listed in registry.catalogue(session=session)
                if agency_id is None or agency.id == agency_id for s in listed]
    return {
        "services": [(str(s.id), s.name) for s in services],
        "regions": [(str(r.id), r.name) for r in registry.all_regions(session=session)],
        "channels": [(c.value, _(CHANNEL_LABELS[c])) for c in Channel],
        "dimensions": [(d.value, _(DIMENSION_LABELS[d])) for d in Dimension],
        "periods": [(p.value, _(PERIOD_LABELS[p])) for p in Period],
    }


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _dates(since: str | None, until: str | None) -> tuple[dict[str, date | None], dict[str, str]]:
    """The From and Until days of a filter form, and an error beside each one that is not a day."""
    days: dict[str, date | None] = {}
    errors: dict[str, str] = {}
    for name, value in (("since", since), ("until", until)):
        try:
            days[name] = reasonable_date(date.fromisoformat(value.strip())) if value else None
        except ValueError:
            days[name] = None
            errors[name] = _("Enter the date as YYYY-MM-DD, between the years %(low)s and %(high)s.") % {
                "low": EARLIEST_YEAR, "high": LATEST_YEAR}
    if not errors and days["since"] and days["until"] and days["until"] < days["since"]:
        errors["until"] = _("The Until date must be on or after the From date.")
    return days, errors


def _comments_link(cell: KpiCell, group_by: Dimension, period: Period, chosen: dict[str, str]) -> str:
    """The comments page filtered to what one row of the breakdown counts: its group, its period and
    the dashboard's own filters."""
    filter_of = {Dimension.SERVICE: "service_id", Dimension.REGION: "region_id", Dimension.CHANNEL: "channel"}
    query = {filter_of[group_by]: cell.group} if group_by in filter_of and cell.group else {}
    query |= {k: chosen[k] for k in ("service_id", "channel", "region_id") if chosen[k] and k not in query}
    query |= {"since": cell.period_start.isoformat(), "until": period_last_day(cell.period_start, period).isoformat()}
    return "/cx/feedback/comments?" + urlencode(query)


@router.get("/cx/feedback")
def dashboard(
    request: Request, staff: CurrentStaff, session: SessionDep, settings: SettingsDep,
    group_by: Filter[Dimension] = None, period: Filter[Period] = None, service_id: Filter[UUID] = None,
    channel: Filter[Channel] = None, region_id: Filter[UUID] = None, since: Filter[str] = None,
    until: Filter[str] = None,
) -> Response:
    agency_id = _agency_scope(staff)
    group_by, period = group_by or Dimension.SERVICE, period or Period.QUARTER
    days, errors = _dates(since, until)
    context: dict[str, Any] = {
        "errors": errors, "threshold": settings.suppression_threshold,
        "filters": {"group_by": group_by.value, "period": period.value, "service_id": _text(service_id),
                    "channel": channel.value if channel else "", "region_id": _text(region_id),
                    "since": since or "", "until": until or ""},
        **_choices(session, agency_id),
    }
    if errors:
        return render(request, "feedback/dashboard.html", {**context, "overall": None}, status_code=400)
    filters = KpiFilters(agency_id=agency_id, service_id=service_id, channel=channel, region_id=region_id,
                         since=days["since"], until=days["until"])
    overall = service.kpi_report(session=session, group_by=Dimension.NONE, period=period, filters=filters,
                                 settings=settings)
    breakdown = service.kpi_report(session=session, group_by=group_by, period=period, filters=filters,
                                   settings=settings)
    trend = [(c.period, c.trust.value if c.trust else None) for c in overall.cells]
    return render(request, "feedback/dashboard.html", {
        **context, "overall": overall, "breakdown": breakdown, "latest": overall.cells[-1] if overall.cells else None,
        "chart": percent_bars(trend, what="trust"), "trend": trend,
        "drivers": [(d.value, _(DRIVER_LABELS[d])) for d in schemas.Driver],
        "measures": {"trust": _("Trust"), "satisfaction": _("Satisfaction")},
        "group_label": _(DIMENSION_LABELS[group_by]), "period_label": _(PERIOD_LABELS[period]),
        "comment_links": [_comments_link(cell, group_by, period, context["filters"]) for cell in breakdown.cells],
    })


@router.get("/cx/feedback/comments")
def comments_page(
    request: Request, staff: CurrentStaff, session: SessionDep, service_id: Filter[UUID] = None,
    region_id: Filter[UUID] = None, channel: Filter[Channel] = None, since: Filter[str] = None,
    until: Filter[str] = None, negative: str = "", cursor: str | None = None,
) -> Response:
    agency_id = _agency_scope(staff)
    days, errors = _dates(since, until)
    chosen = {"service_id": _text(service_id), "region_id": _text(region_id),
              "channel": channel.value if channel else "", "since": since or "", "until": until or "",
              "negative": "1" if negative == "1" else ""}
    if errors:
        return render(request, "feedback/comments.html", {
            "errors": errors, "rows": [], "next_page": None, "filters": chosen, **_choices(session, agency_id),
        }, status_code=400)
    rows, next_cursor = service.comments(
        session=session, agency_id=agency_id, service_id=service_id, region_id=region_id, channel=channel,
        since=days["since"], until=days["until"], negative_only=negative == "1",
        page=PageParams(cursor=cursor, limit=COMMENTS_PER_PAGE))
    names = service.labels(session=session, group_by=Dimension.SERVICE)
    channel_names = {c.value: _(label) for c, label in CHANNEL_LABELS.items()}
    return render(request, "feedback/comments.html", {"errors": {},
        "rows": [(r, names.get(str(r.service_id), _(NOT_GIVEN)), channel_names.get(r.channel or "", _(NOT_GIVEN)))
                 for r in rows],
        "next_page": ("/cx/feedback/comments?" + urlencode({**{k: v for k, v in chosen.items() if v},
                                                             "cursor": next_cursor})) if next_cursor else None,
        "filters": chosen, **_choices(session, agency_id),
    })


@router.get("/cx/feedback/follow-ups")
def follow_ups_page(request: Request, staff: CurrentStaff, session: SessionDep, cursor: str | None = None
                    ) -> Response:
    agency_id = _agency_scope(staff)
    rows, next_cursor = service.list_follow_ups(session=session, agency_id=agency_id, state=None,
                                                page=PageParams(cursor=cursor, limit=100))
    hours = [h for h in (service.hours_to_close(f) for f in rows) if h is not None]
    names = service.labels(session=session, group_by=Dimension.SERVICE)
    return render(request, "feedback/follow_ups.html", {
        "rows": [(f, names.get(str(f.service_id), _(NOT_GIVEN)), service.hours_to_close(f),
                  _(FOLLOW_UP_LABELS[f.state])) for f in rows],
        "next_cursor": next_cursor, "closed": len(hours), "open": sum(f.state is not FollowUpState.CLOSED for f in rows),
        "median_hours": statistics.median(hours) if hours else None,
    })


def _exports(session: Session, staff: StaffMember, settings: Settings, quarter: str) -> list[export.ServiceExport]:
    return export.a11_quarter(session=session, quarter=quarter, agency_id=_agency_scope(staff),
                              fiscal_year_start_month=settings.fiscal_year_start_month)


@router.get("/cx/feedback/export")
def export_page(request: Request, staff: CurrentStaff, session: SessionDep, settings: SettingsDep,
                quarter: str = "") -> Response:
    wanted = quarter.strip().upper()
    try:
        rows = _exports(session, staff, settings, wanted) if wanted else None
    except Invalid:
        return render(request, "feedback/export.html", {"quarter": wanted, "rows": None, "errors": {
            "quarter": _("Write the quarter like FY2026Q1, with a fiscal year between %(low)s and %(high)s.") % {
                "low": EARLIEST_YEAR + 1, "high": LATEST_YEAR}}}, status_code=422)
    return render(request, "feedback/export.html", {"quarter": wanted, "rows": rows, "errors": {}})


@router.get("/cx/feedback/export.zip")
def export_download(staff: CurrentStaff, session: SessionDep, settings: SettingsDep, quarter: str) -> Response:
    exports = _exports(session, staff, settings, quarter)
    name = f"a11-{quarter.upper()}.zip"
    return Response(export.as_zip(quarter, exports), media_type="application/zip",
                    headers={"content-disposition": f'attachment; filename="{name}"'})
