"""Feedback rules: surveys and their versions, one-time invitations, responses (checked, redacted,
scored), follow-up rules and the follow-ups they open."""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from govcx.core.clock import Clock
from govcx.core.config import Settings
from govcx.core.db import get_or_404, unit_of_work
from govcx.core.errors import Conflict, Invalid, NotFound
from govcx.core.events import publish
from govcx.core.pagination import PageParams, paginate, paginate_by_date
from govcx.crm.events import CaseStatusChanged, FollowUpCaseOpened
from govcx.feedback import events, kpis, templates
from govcx.feedback.models import (
    FollowUp,
    FollowUpRule,
    FollowUpState,
    Invitation,
    Response,
    ResponseSource,
    Survey,
    SurveyKind,
)
from govcx.core.redaction import redact
from govcx.registry.models import Channel
from govcx.feedback.schemas import (
    DRIVER_BIT,
    SCALES,
    Answer,
    Context,
    Dimension,
    Driver,
    FollowUpRuleCreate,
    FollowUpUpdate,
    InvitationCreate,
    KpiFilters,
    KpiReport,
    Measure,
    Period,
    Question,
    QuestionType,
    ResponseCreate,
    SurveyCreate,
)
from govcx.notify.events import NotificationRequested
from govcx.registry import service as registry

MAX_TEXT = 2000
AGREEMENT_DRIVERS = {Measure.EFFECTIVENESS: Driver.EFFECTIVENESS, Measure.EASE: Driver.EASE,
                     Measure.EFFICIENCY: Driver.EFFICIENCY, Measure.EQUITY: Driver.EQUITY,
                     Measure.EMPLOYEE: Driver.EMPLOYEE}
ALREADY_ANSWERED = "This invitation has already been answered. Each invitation takes one answer: thank you for yours."
EXPIRED = "This invitation has expired. Thank you for wanting to tell us; ask the service for a new link."


# Surveys ---------------------------------------------------------------------------------------


def create_survey(*, session: Session, agency_id: UUID, data: SurveyCreate, clock: Clock) -> Survey:
    """Create a survey from a template (or custom questions); an existing code gets its next version."""
    registry.get_agency(session=session, agency_id=agency_id)
    if data.thumbs and data.kind is not SurveyKind.A11_V2:
        raise Invalid("Only the A-11 v2 template asks trust as thumbs up or down.")
    questions = templates.questions_for(data.kind, thumbs=data.thumbs) + data.questions
    if not questions:
        raise Invalid("A custom survey needs at least one question.")
    keys = [q.key for q in questions]
    if len(set(keys)) != len(keys):
        raise Invalid("Question keys must be unique within a survey.")
    for question in questions:
        for language in data.languages:
            if language not in question.prompt or any(language not in o.label for o in question.options):
                raise Invalid(f"Question {question.key} has no {language} wording.")
    latest = session.scalar(select(func.max(Survey.version)).where(
        Survey.agency_id == agency_id, Survey.code == data.code))
    survey = Survey(
        agency_id=agency_id, code=data.code, version=(latest or 0) + 1, kind=data.kind, provider=data.provider,
        title=data.title or templates.TITLES[data.kind], languages=list(data.languages),
        questions=[q.model_dump(mode="json") for q in questions], is_open=data.is_open, created_at=clock.now(),
    )
    session.add(survey)
    session.flush()
    return survey


def get_survey(*, session: Session, survey_id: UUID) -> Survey:
    return get_or_404(session, Survey, survey_id, what="survey")


def list_surveys(*, session: Session, agency_id: UUID | None, page: PageParams) -> tuple[list[Survey], str | None]:
    stmt = select(Survey)
    if agency_id is not None:
        stmt = stmt.where(Survey.agency_id == agency_id)
    return paginate(session, stmt, id_column=Survey.id, page=page)


def agency_surveys(*, session: Session, agency_id: UUID) -> list[Survey]:
    """Return every version of an agency's surveys, by code and newest version first (for its admin)."""
    return list(session.scalars(select(Survey).where(Survey.agency_id == agency_id)
                                .order_by(Survey.code, Survey.version.desc())))


def set_survey_open(*, session: Session, survey_id: UUID, is_open: bool) -> Survey:
    """Open a survey to answers without an invitation (hosted page, widget), or close it to them."""
    survey = get_survey(session=session, survey_id=survey_id)
    survey.is_open = is_open
    session.flush()
    return survey


def questions_of(survey: Survey) -> list[Question]:
    return [Question.model_validate(q) for q in survey.questions]


# Invitations -----------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_context(session: Session, agency_id: UUID, context: Context) -> None:
    try:
        if context.service_id is not None:
            if registry.get_service(session=session, service_id=context.service_id).agency_id != agency_id:
                raise NotFound("other agency")
        if context.region_id is not None:
            registry.get_region(session=session, region_id=context.region_id)
    except NotFound as exc:
        what = "service" if "region" not in exc.detail else "region"
        raise Invalid(f"That {what} is not one this survey can be about.") from exc


def create_invitation(
    *, session: Session, agency_id: UUID, data: InvitationCreate, clock: Clock
) -> tuple[Invitation, str]:
    """Issue a one-time invitation to a survey; return it and its token, which is never stored."""
    survey = get_survey(session=session, survey_id=data.survey_id)
    if survey.agency_id != agency_id:
        raise NotFound(f"No survey with id {data.survey_id}.")
    if data.language not in survey.languages:
        raise Invalid(f"Survey {survey.code} has no {data.language} version.")
    _check_context(session, agency_id, data)
    token = secrets.token_urlsafe(24)
    now = clock.now()
    invitation = Invitation(
        survey_id=survey.id, agency_id=agency_id, token_sha256=_token_hash(token),
        **data.model_dump(include=set(Context.model_fields)), language=data.language,
        created_at=now, sent_on=now.date(), expires_at=now + timedelta(days=data.valid_days),
    )
    session.add(invitation)
    session.flush()
    return invitation, token


def open_invitation(*, session: Session, token: str, clock: Clock) -> Invitation:
    """Return the invitation `token` opens, refusing one already answered or expired."""
    invitation = session.scalars(select(Invitation).where(Invitation.token_sha256 == _token_hash(token))).first()
    if invitation is None:
        raise NotFound("This invitation link is not valid. Check that you copied all of it.")
    if invitation.used_at is not None:
        raise Conflict(ALREADY_ANSWERED, reason="already_answered")
    if invitation.expires_at <= clock.now():
        raise Conflict(EXPIRED, reason="expired")
    return invitation


# Responses -------------------------------------------------------------------------------------


def _check_answer(question: Question, value: Answer) -> Answer:
    t = question.type
    if t in SCALES:
        low, high = SCALES[t]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(f"Answer {question.key} must be a whole number from {low} to {high}.")
        return value
    if t is QuestionType.TEXT:
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise Invalid(f"Answer {question.key} must be text of at most {MAX_TEXT} characters.")
        return redact(value.strip())
    options = {o.key for o in question.options}
    chosen = [value] if t is QuestionType.SINGLE and isinstance(value, str) else value
    if not isinstance(chosen, list) or not all(isinstance(c, str) and c in options for c in chosen):
        raise Invalid(f"Answer {question.key} must be among: {', '.join(sorted(options))}.")
    if t is QuestionType.SINGLE and len(chosen) != 1:
        raise Invalid(f"Answer {question.key} takes one option.")
    return chosen[0] if t is QuestionType.SINGLE else sorted(set(chosen))


def check_answers(questions: list[Question], answers: dict[str, Answer]) -> dict[str, Answer]:
    """Return `answers` checked against the questions, free text redacted; refuse what does not fit."""
    by_key = {q.key: q for q in questions}
    unknown = sorted(set(answers) - set(by_key))
    if unknown:
        raise Invalid(f"This survey has no question {unknown[0]}.")
    checked = {k: _check_answer(by_key[k], v) for k, v in answers.items() if v not in ("", [])}
    missing = [q.key for q in questions if q.required and q.key not in checked]
    if missing:
        raise Invalid(f"Please answer question {missing[0]}; it is required.", question=missing[0])
    if not checked:
        raise Invalid("Answer at least one question.")
    return checked


def _positive(question: Question, value: int) -> int:
    if question.type in (QuestionType.THUMBS, QuestionType.YES_NO):
        return int(value == 1)
    if question.type is QuestionType.CES:
        return int(value >= 5)
    if question.type is QuestionType.NPS:
        return int(value >= 9)
    return int(value >= 4)


def _bits(options: Any) -> int:
    return sum(DRIVER_BIT[Driver(o)] for o in options if o in Driver.__members__.values())


def score(questions: list[Question], answers: dict[str, Answer]) -> dict[str, Any]:
    """The KPI columns of a response: trust, satisfaction, CES, NPS, drivers, whether negative, the comment."""
    out: dict[str, Any] = {"trust": None, "satisfied": None, "ces_score": None, "nps_score": None,
                           "drivers_answered": 0, "drivers_positive": 0, "drivers_negative": 0}
    texts = []
    for q in questions:
        value = answers.get(q.key)
        if value is None:
            continue
        m = q.measure
        if q.type is QuestionType.TEXT:
            texts.append(str(value))
        elif m is Measure.TRUST:
            out["trust"] = _positive(q, int(value))  # type: ignore[arg-type]
        elif m is Measure.SATISFACTION:
            out["satisfied"] = _positive(q, int(value))  # type: ignore[arg-type]
        elif m is Measure.CES:
            out["ces_score"] = value
        elif m is Measure.NPS:
            out["nps_score"] = value
        elif m in AGREEMENT_DRIVERS:
            bit = DRIVER_BIT[AGREEMENT_DRIVERS[m]]
            out["drivers_answered"] = 1
            out["drivers_positive"] |= bit if int(value) >= 4 else 0  # type: ignore[arg-type]
            out["drivers_negative"] |= bit if int(value) <= 2 else 0  # type: ignore[arg-type]
        elif m is Measure.WENT_WELL:
            out["drivers_answered"] = 1
            out["drivers_positive"] |= _bits(value)
        elif m is Measure.WENT_BADLY:
            out["drivers_answered"] = 1
            out["drivers_negative"] |= _bits(value)
    out["negative"] = (out["trust"] == 0 or out["satisfied"] == 0
                       or (out["ces_score"] is not None and out["ces_score"] <= 3)
                       or (out["nps_score"] is not None and out["nps_score"] <= 6))
    out["comment"] = "\n\n".join(texts) or None
    return out


def submit_response(
    *, session: Session, data: ResponseCreate, source: ResponseSource, clock: Clock
) -> Response:
    """Record one answered survey: through an invitation (once) or to an open survey."""
    if data.website:
        raise Invalid("This form could not be accepted.", reason="honeypot")
    context: Context = data
    invitation = None
    if data.invitation_token is not None:
        invitation = open_invitation(session=session, token=data.invitation_token, clock=clock)
        survey = get_survey(session=session, survey_id=invitation.survey_id)
        context = Context.model_validate(invitation, from_attributes=True)
    else:
        survey = get_survey(session=session, survey_id=data.survey_id)
        if not survey.is_open:
            raise Invalid("This survey is answered by invitation only; use the link you were sent.")
        _check_context(session, survey.agency_id, data)
    if data.language not in survey.languages:
        raise Invalid(f"This survey has no {data.language} version.")
    questions = questions_of(survey)
    answers = check_answers(questions, data.answers)
    now = clock.now()
    response = Response(
        survey_id=survey.id, agency_id=survey.agency_id, invitation_id=invitation.id if invitation else None,
        service_id=context.service_id, touchpoint=context.touchpoint,
        channel=context.channel.value if context.channel else None,
        interaction_ref=context.interaction_ref, case_ref=context.case_ref, region_id=context.region_id,
        language=data.language, source=source, submitted_at=now, submitted_on=now.date(), answers=answers,
        **score(questions, answers),
    )
    session.add(response)
    if invitation is not None:
        invitation.used_at = now
    session.flush()
    publish(session, events.ResponseRecorded(response_id=response.id, survey_id=survey.id,
                                             agency_id=survey.agency_id))
    _apply_rules(session, survey, questions, response, now)
    return response


# Closed loop -----------------------------------------------------------------------------------


def create_rule(*, session: Session, agency_id: UUID, data: FollowUpRuleCreate, clock: Clock) -> FollowUpRule:
    """Add a rule that opens a follow-up for negative answers."""
    agency = registry.get_agency(session=session, agency_id=agency_id)
    if data.department_id is not None:
        if data.department_id not in {d.id for d in agency.departments}:
            raise Invalid(f"Department {data.department_id} is not one of this agency's departments.")
    rule = FollowUpRule(agency_id=agency_id, **data.model_dump(), created_at=clock.now())
    session.add(rule)
    session.flush()
    return rule


def list_rules(*, session: Session, agency_id: UUID) -> list[FollowUpRule]:
    return list(session.scalars(select(FollowUpRule).where(FollowUpRule.agency_id == agency_id)
                                .order_by(FollowUpRule.created_at)))


def get_rule(*, session: Session, rule_id: UUID) -> FollowUpRule:
    return get_or_404(session, FollowUpRule, rule_id, what="follow-up rule")


def set_rule_active(*, session: Session, rule_id: UUID, is_active: bool) -> FollowUpRule:
    """Switch a follow-up rule on or off; answers already followed up keep their follow-ups."""
    rule = get_rule(session=session, rule_id=rule_id)
    rule.is_active = is_active
    session.flush()
    return rule


def _apply_rules(session: Session, survey: Survey, questions: list[Question], response: Response,
                 now: datetime) -> None:
    for rule in list_rules(session=session, agency_id=survey.agency_id):
        if not rule.is_active or (rule.needs_comment and not response.comment):
            continue
        values = [response.answers[q.key] for q in questions
                  if q.measure == rule.question and isinstance(response.answers.get(q.key), int)]
        if not any(v <= rule.max_value for v in values):
            continue
        follow_up = FollowUp(response_id=response.id, rule_id=rule.id, agency_id=survey.agency_id,
                             department_id=rule.department_id, service_id=response.service_id, created_at=now)
        session.add(follow_up)
        session.flush()
        publish(session, events.FollowUpNeeded(
            follow_up_id=follow_up.id, response_id=response.id, agency_id=survey.agency_id,
            department_id=rule.department_id, service_id=response.service_id, rule=rule.name,
            comment=response.comment, interaction_ref=response.interaction_ref, case_ref=response.case_ref,
        ))
        return  # one follow-up per response, by the first rule that matches


def list_follow_ups(
    *, session: Session, agency_id: UUID | None, state: FollowUpState | None, page: PageParams
) -> tuple[list[FollowUp], str | None]:
    stmt = select(FollowUp)
    if agency_id is not None:
        stmt = stmt.where(FollowUp.agency_id == agency_id)
    if state is not None:
        stmt = stmt.where(FollowUp.state == state)
    return paginate(session, stmt, id_column=FollowUp.id, page=page)


def update_follow_up(
    *, session: Session, follow_up_id: UUID, agency_id: UUID | None, data: FollowUpUpdate, clock: Clock
) -> FollowUp:
    """Move a follow-up on (open, in progress, closed), noting when, and the case that handles it."""
    follow_up = get_or_404(session, FollowUp, follow_up_id, what="follow-up")
    if agency_id is not None and follow_up.agency_id != agency_id:
        raise NotFound(f"No follow-up with id {follow_up_id}.")
    if follow_up.state is FollowUpState.CLOSED and data.state is not FollowUpState.CLOSED:
        raise Conflict("This follow-up is closed; it cannot be reopened.")
    now = clock.now()
    if data.state is not FollowUpState.OPEN and follow_up.started_at is None:
        follow_up.started_at = now
    if data.state is FollowUpState.CLOSED and follow_up.closed_at is None:
        follow_up.closed_at = now
    follow_up.state = data.state
    if data.case_ref is not None:
        follow_up.case_ref = data.case_ref
    if data.note is not None:
        follow_up.note = redact(data.note)
    session.flush()
    return follow_up


def link_case(*, session: Session, follow_up_id: UUID, case_ref: str, clock: Clock) -> FollowUp:
    """Note the case opened for a follow-up, and that it is in progress."""
    return update_follow_up(session=session, follow_up_id=follow_up_id, agency_id=None, clock=clock,
                            data=FollowUpUpdate(state=FollowUpState.IN_PROGRESS, case_ref=case_ref))


def hours_to_close(follow_up: FollowUp) -> float | None:
    if follow_up.closed_at is None:
        return None
    return round((follow_up.closed_at - follow_up.created_at).total_seconds() / 3600, 1)


# Drill-down ------------------------------------------------------------------------------------


def comments(
    *, session: Session, agency_id: UUID | None, service_id: UUID | None, negative_only: bool, page: PageParams,
    region_id: UUID | None = None, channel: Channel | None = None, since: date | None = None,
    until: date | None = None,
) -> tuple[list[Response], str | None]:
    """Responses with a (redacted) comment, oldest day first, for reading what people wrote."""
    stmt = select(Response).where(Response.comment.is_not(None))
    for column, value in ((Response.agency_id, agency_id), (Response.service_id, service_id),
                          (Response.region_id, region_id),
                          (Response.channel, channel.value if channel else None)):
        if value is not None:
            stmt = stmt.where(column == value)
    if since is not None:
        stmt = stmt.where(Response.submitted_on >= since)
    if until is not None:
        stmt = stmt.where(Response.submitted_on <= until)
    if negative_only:
        stmt = stmt.where(Response.negative.is_(True))
    return paginate_by_date(session, stmt, date_column=Response.submitted_on, id_column=Response.id, page=page)


def import_responses(*, session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert already-scored responses in bulk (the demo generator and benchmarks); return how many."""
    if rows:
        session.execute(Response.__table__.insert(), rows)
    return len(rows)


def import_follow_ups(*, session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert follow-ups already decided by the rules, in bulk (the demo generator); return how many."""
    if rows:
        session.execute(FollowUp.__table__.insert(), rows)
    return len(rows)


# KPIs and labels -------------------------------------------------------------------------------


def labels(*, session: Session, group_by: Dimension) -> dict[str, str]:
    """Names to show for the groups of `group_by` (agencies, services, regions), by id."""
    if group_by is Dimension.AGENCY:
        return {str(a.id): a.name for a in registry.all_agencies(session=session)}
    if group_by is Dimension.SERVICE:
        return {str(s.id): s.name for _, services in registry.catalogue(session=session) for s in services}
    if group_by is Dimension.REGION:
        return {str(r.id): r.name for r in registry.all_regions(session=session)}
    return {}


def kpi_report(
    *, session: Session, group_by: Dimension, period: Period, filters: KpiFilters, settings: Settings
) -> KpiReport:
    """Compute the KPI cells for `filters`, grouped and by period, with the groups named."""
    cells = kpis.compute(session=session, group_by=group_by, period=period, filters=filters,
                         fiscal_year_start_month=settings.fiscal_year_start_month,
                         threshold=settings.suppression_threshold)
    names = labels(session=session, group_by=group_by)
    for cell in cells:
        cell.group_label = "Not given" if cell.group is None and group_by is not Dimension.NONE else (
            names.get(cell.group, cell.group) if cell.group else "All responses")
    return KpiReport(group_by=group_by, period=period, fiscal_year_start_month=settings.fiscal_year_start_month,
                     suppression_threshold=settings.suppression_threshold, cells=cells)


def import_invitations(*, session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert invitations in bulk (the demo generator's history); return how many."""
    if rows:
        session.execute(Invitation.__table__.insert(), rows)
    return len(rows)



# Asking after a resolved case ----------------------------------------------------------------------


def trust_by_touchpoint(*, session: Session, touchpoints: list[str], threshold: int) -> dict[str, float]:
    """The share of answers to the trust question that agree, for each touchpoint with at least `threshold` of them."""
    table = Response.__table__
    rows = session.execute(select(table.c.touchpoint, func.count(), func.sum(table.c.trust)).where(
        table.c.touchpoint.in_(touchpoints), table.c.trust.is_not(None)).group_by(table.c.touchpoint)).all()
    return {touchpoint: round(int(agree or 0) / answers, 3) for touchpoint, answers, agree in rows
            if answers >= threshold}


def latest_open_survey(*, session: Session, agency_id: UUID, kind: SurveyKind = SurveyKind.A11_V2) -> Survey | None:
    """The newest open survey of `kind` an agency runs, if any."""
    return session.scalars(
        select(Survey).where(Survey.agency_id == agency_id, Survey.kind == kind, Survey.is_open.is_(True))
        .order_by(Survey.created_at.desc(), Survey.version.desc())
    ).first()


def invite_after_resolved_case(event: CaseStatusChanged, *, factory: sessionmaker[Session], clock: Clock,
                               settings: Settings) -> None:
    """Invite the person whose case was resolved to the agency's A-11 survey, through notify.

    Runs after the CRM committed, in its own unit of work. An agency without an open A-11 survey
    asks nothing; the invitation is one-time, tied to the case, and in the person's language when
    the survey has it. Idempotent: a case that has its invitation gets no second one, and the
    notification was requested in the same transaction as the invitation.
    """
    if event.status != "resolved" or event.person_id is None:
        return
    with unit_of_work(factory) as session:
        if _case_invitation(session, agency_id=event.agency_id, case_id=event.case_id) is not None:
            return  # asked already (a redelivery, or the case was resolved before): one invitation per case
        survey = latest_open_survey(session=session, agency_id=event.agency_id)
        if survey is None:
            return
        person = registry.get_person(session=session, person_id=event.person_id)
        language = person.preferred_language if person.preferred_language in survey.languages else "en"
        invitation, token = create_invitation(
            session=session, agency_id=event.agency_id, clock=clock,
            data=InvitationCreate(survey_id=survey.id, language=language, service_id=event.service_id,
                                  case_ref=str(event.case_id)),
        )
        service_name = registry.get_service(session=session, service_id=event.service_id).name
        publish(session, NotificationRequested(
            person_id=person.id, template_key="survey.invitation",
            why_rule="Your request was resolved; we ask everyone whose request is resolved how it went.",
            why_data=("case.status",), dedup_key=f"survey-invitation:{event.case_id}", sender_agency_id=event.agency_id,
            facts={"service_name": service_name,
                   "survey_url": f"{settings.resolved_public_url}/survey/i/{token}?lang={invitation.language}"},
        ))


def _case_invitation(session: Session, *, agency_id: UUID, case_id: UUID) -> Invitation | None:
    return session.scalars(select(Invitation).where(Invitation.agency_id == agency_id,
                                                    Invitation.case_ref == str(case_id))).first()


def link_follow_up_case(event: FollowUpCaseOpened, *, factory: sessionmaker[Session], clock: Clock) -> None:
    """Note on the follow-up the case the CRM opened for it (a reaction to `FollowUpCaseOpened`).

    Idempotent: a follow-up that already names a case is left as it is.
    """
    with unit_of_work(factory) as session:
        follow_up = session.get(FollowUp, event.follow_up_id)
        if follow_up is None or follow_up.case_ref is not None:
            return
        if follow_up.state is FollowUpState.OPEN:
            link_case(session=session, follow_up_id=follow_up.id, case_ref=str(event.case_id), clock=clock)
        else:  # staff moved it on before the case was linked: keep their state, note the case
            follow_up.case_ref = str(event.case_id)
            session.flush()
