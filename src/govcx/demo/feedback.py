"""A year of survey answers for the demo country, whose scores follow causes.

Each answer comes from one simulated visit: its wait against the service's target, how often the
person was asked again for what government already had, and whether they had to switch channels.
Those lower a latent experience score, and the answers are drawn from it, so trust, the drivers
and the comments all carry the signal. One region is understaffed (longer waits, and worse beyond
what the waits explain) and one service drags trust down on its own. Every planted effect and its
parameters go to the truth file under `effects`. The same kind of visits answer each agency's CSAT,
CES and NPS surveys, and low trust with a comment opens a follow-up, as the agency's rule would. The year
ends at the clock's now, as every other layer's does.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session, sessionmaker

from govcx.core.clock import Clock
from govcx.core.db import unit_of_work
from govcx.demo.population import seeded
from govcx.feedback import schemas as feedback_schemas
from govcx.feedback import service as feedback
from govcx.feedback.models import FollowUpState, ResponseSource, SurveyKind
from govcx.core.redaction import redact
from govcx.feedback.schemas import Measure, Option, Question, QuestionType
from govcx.registry import service as registry

RESPONSES_PER_PERSON = 0.5
MIN_RESPONSES = 2_000
INVITED_SHARE = 0.6  # of answers, the share that came through an invitation
RESPONSE_RATE = 0.25  # of invitations, the share answered
BATCH = 5_000
DAYS = 365
# The quick surveys (CSAT, CES, NPS) each get this share of the A-11 answers, from the same kind of visits.
QUICK_SHARE = 0.1
QUICK_KINDS = (SurveyKind.CSAT, SurveyKind.CES, SurveyKind.NPS)
# Follow-ups of low trust with a comment: closed when older than this, in progress when younger, open at the last.
FOLLOW_UP_CLOSED_AFTER = timedelta(days=21)
FOLLOW_UP_STARTED_AFTER = timedelta(days=3)

# The causes and their planted weights on the latent experience (higher is better).
BASELINE = 1.1
LONG_WAIT = -0.9  # waited more than 1.5 times the service's target
REPEAT_ASK = -0.6  # per time asked again for something already given
CHANNEL_SWITCH = -0.7
NOISE = 1.0
REGION_WAIT_MULTIPLIER = 1.8
REGION_EXTRA = -0.4
SERVICE_DRAG = -0.8
CUTS = (-1.4, -0.5, 0.3, 1.2)  # latent -> 1..5 agreement

WAIT = Question(key="wait", type=QuestionType.SINGLE, measure=None, prompt={
    "en": "How long did it take, compared with what you expected?",
    "es": "¿Cuánto tardó, comparado con lo que esperaba?"}, options=[
    Option(key="shorter", label={"en": "Shorter", "es": "Menos"}),
    Option(key="as_expected", label={"en": "As expected", "es": "Lo esperado"}),
    Option(key="much_longer", label={"en": "Much longer", "es": "Mucho más"})])
ASKED_AGAIN = Question(key="asked_again", type=QuestionType.YES_NO, prompt={
    "en": "Were you asked for information you had already given government?",
    "es": "¿Le pidieron información que ya había dado al gobierno?"})
SWITCHED = Question(key="switched_channel", type=QuestionType.YES_NO, prompt={
    "en": "Did you have to switch to another channel (phone, office, web) to finish?",
    "es": "¿Tuvo que cambiar de canal (teléfono, oficina, web) para terminar?"})

COMMENTS = {
    "en": {"wait": "I waited far too long.", "repeat": "They asked me again for papers I had already sent.",
           "switch": "The website sent me to the office in the end.", "good": "Quick and friendly, thank you.",
           "contact": "Please call me back on +999 555 {n:04d} or write to me at someone{n}@example.org."},
    "es": {"wait": "Esperé demasiado.", "repeat": "Me pidieron otra vez papeles que ya había enviado.",
           "switch": "Al final la web me mandó a la oficina.", "good": "Rápido y amable, gracias.",
           "contact": "Llámenme al +999 555 {n:04d} o escríbanme a alguien{n}@example.org."},
}


def _id(rng: random.Random) -> UUID:
    # Drawn from the seed, so the same seed makes the same ids.
    return UUID(int=rng.getrandbits(128), version=4)


def _agreement(latent: float) -> int:
    return 1 + sum(latent > cut for cut in CUTS)


def _draw(rng: random.Random, *, long_wait: bool, asks: int, switched: bool, latent: float, language: str,
          n: int) -> dict[str, Any]:
    trust = _agreement(latent)
    bad, good = [], []
    if long_wait:
        bad.append("efficiency")
    if asks:
        bad += ["ease", "effectiveness"]
    if switched:
        bad.append("ease")
    if trust >= 4:
        good = rng.sample(["effectiveness", "ease", "efficiency", "transparency", "humanity", "employee"], 2)
        good = [d for d in good if d not in bad]
    elif not bad:
        bad = [rng.choice(["transparency", "humanity", "employee", "other"])]
    answers: dict[str, Any] = {
        "trust": trust, "wait": "much_longer" if long_wait else rng.choice(["shorter", "as_expected"]),
        "asked_again": int(asks > 0), "switched_channel": int(switched),
    }
    if good:
        answers["went_well"] = sorted(set(good))
    if bad:
        answers["went_badly"] = sorted(set(bad))
    if rng.random() < (0.45 if trust <= 2 else 0.15):
        words = COMMENTS[language]
        cause = "wait" if long_wait else "repeat" if asks else "switch" if switched else "good" if trust >= 4 else None
        text = words[cause] if cause else words["wait"]
        if trust <= 2 and rng.random() < 0.2:
            text += " " + words["contact"].format(n=n % 10_000)
        answers["comments"] = text
    return answers


def _quick_answers(kind: SurveyKind, latent: float) -> dict[str, Any]:
    # The same latent experience, on each quick survey's own scale.
    if kind is SurveyKind.CSAT:
        return {"satisfaction": _agreement(latent)}
    if kind is SurveyKind.CES:
        return {"effort": 1 + sum(latent > cut for cut in (-1.8, -1.1, -0.5, 0.1, 0.7, 1.4))}
    return {"recommend": min(10, max(0, round(5.5 + 2.2 * latent)))}


def _at(rng: random.Random, now: datetime) -> datetime:
    """An office-hours moment in the year that ends at `now`, never after it."""
    day = (now - timedelta(days=rng.randrange(DAYS))).date()
    at = datetime(day.year, day.month, day.day, rng.randrange(7, 20), rng.randrange(60), tzinfo=UTC)
    return at - timedelta(days=1) if at > now else at


def _follow_up(rng: random.Random, *, response: dict[str, Any], rule_id: UUID, now: datetime) -> dict[str, Any]:
    at = response["submitted_at"]
    age = now - at
    state = (FollowUpState.CLOSED if age > FOLLOW_UP_CLOSED_AFTER
             else FollowUpState.IN_PROGRESS if age > FOLLOW_UP_STARTED_AFTER else FollowUpState.OPEN)
    started = at + timedelta(days=1) if state is not FollowUpState.OPEN else None
    return {"id": _id(rng), "response_id": response["id"], "rule_id": rule_id, "agency_id": response["agency_id"],
            "department_id": None, "service_id": response["service_id"], "state": state.value, "case_ref": None,
            "note": "Called back and apologised" if state is FollowUpState.CLOSED else None, "created_at": at,
            "started_at": started, "closed_at": at + timedelta(days=6) if state is FollowUpState.CLOSED else None}


def generate(*, factory: sessionmaker[Session], seed: int, clock: Clock, region_ids: dict[str, UUID],
             understaffed: str, people_by_region: Counter[str], people: int,
             start: Callable[[str, int], Any] = lambda *_: None,
             advance: Callable[[Any, int], None] = lambda *_: None) -> dict[str, Any]:
    """Add the A-11, CSAT, CES and NPS surveys of each agency and a year of answers ending at the clock's now,
    with the follow-ups low trust opened; return what the truth file says about them."""
    rng = seeded(seed, "feedback")
    quick_rng = seeded(seed, "feedback-quick")
    follow_up_rng = seeded(seed, "feedback-follow-ups")
    now = clock.now()
    with unit_of_work(factory) as session:
        catalogue = registry.catalogue(session=session)
        surveys, quick, rules = {}, {}, {}
        for agency, _ in catalogue:
            survey = feedback.create_survey(session=session, agency_id=agency.id, clock=clock,
                                            data=feedback_schemas.SurveyCreate(
                                                code="a11-v2", kind=SurveyKind.A11_V2, provider=agency.name,
                                                questions=[WAIT, ASKED_AGAIN, SWITCHED], is_open=True))
            surveys[agency.id] = (survey.id, feedback.questions_of(survey))
            for kind in QUICK_KINDS:
                made = feedback.create_survey(session=session, agency_id=agency.id, clock=clock,
                                              data=feedback_schemas.SurveyCreate(code=kind.value, kind=kind,
                                                                                 provider=agency.name, is_open=True))
                quick[agency.id, kind] = (made.id, feedback.questions_of(made))
            rules[agency.id] = feedback.create_rule(
                session=session, agency_id=agency.id, clock=clock,
                data=feedback_schemas.FollowUpRuleCreate(name="Low trust with a comment", question=Measure.TRUST,
                                                         max_value=2)).id
    services = [(agency, s) for agency, listed in catalogue for s in listed]
    analyst_services = [s for agency, s in services if agency.code == "SOC"] or [s for _, s in services]
    planted_service = rng.choice(sorted(analyst_services, key=lambda s: s.code))
    planted_region = understaffed
    region_codes = sorted(people_by_region)
    weights = [people_by_region[c] for c in region_codes]

    def visit(r: random.Random) -> tuple[Any, Any, str, datetime, bool, int, bool, float]:
        agency, svc = r.choice(services)
        region = r.choices(region_codes, weights)[0]
        at = _at(r, now)
        wait = math.exp(r.gauss(0, 0.45)) * (REGION_WAIT_MULTIPLIER if region == planted_region else 1)
        long_wait = wait > 1.5
        asks = r.choices((0, 1, 2), (0.7, 0.2, 0.1))[0]
        switched = r.random() < 0.15
        latent = (BASELINE + LONG_WAIT * long_wait + REPEAT_ASK * asks + CHANNEL_SWITCH * switched
                  + (REGION_EXTRA if region == planted_region else 0)
                  + (SERVICE_DRAG if svc.id == planted_service.id else 0) + r.gauss(0, NOISE))
        return agency, svc, region, at, long_wait, asks, switched, latent

    count = max(MIN_RESPONSES, round(people * RESPONSES_PER_PERSON))
    quick_count = round(count * QUICK_SHARE) * len(QUICK_KINDS)
    made = invited = follow_ups = 0
    oldest, newest = now, now - timedelta(days=DAYS + 1)
    by_kind: Counter[str] = Counter()
    task = start("A year of survey answers", count + quick_count)
    for first in range(0, count, BATCH):
        responses, invitations, opened = [], [], []
        for n in range(first, min(count, first + BATCH)):
            agency, svc, region, at, long_wait, asks, switched, latent = visit(rng)
            oldest, newest = min(oldest, at), max(newest, at)
            language = "es" if rng.random() < 0.15 else "en"
            answers = _draw(rng, long_wait=long_wait, asks=asks, switched=switched, latent=latent,
                            language=language, n=n)
            if "comments" in answers:
                answers["comments"] = redact(answers["comments"])
            survey_id, questions = surveys[agency.id]
            invitation_id = None
            channel = rng.choice(svc.channels)
            if rng.random() < INVITED_SHARE:
                # The invitations that went unanswered, then the one that was answered.
                for k in range(round(1 / RESPONSE_RATE)):
                    row = {"id": _id(rng), "survey_id": survey_id, "agency_id": agency.id,
                           "token_sha256": f"{rng.getrandbits(256):064x}", "service_id": svc.id,
                           "touchpoint": None, "channel": channel, "interaction_ref": None, "case_ref": None,
                           "region_id": region_ids[region], "language": language, "created_at": at,
                           "sent_on": at.date(), "expires_at": at + timedelta(days=14), "used_at": None}
                    if k == 0:
                        row["used_at"] = at
                        invitation_id = row["id"]
                    invitations.append(row)
            response = {
                "id": _id(rng), "survey_id": survey_id, "agency_id": agency.id,
                "invitation_id": invitation_id, "service_id": svc.id, "touchpoint": "after-visit",
                "channel": channel, "interaction_ref": None, "case_ref": None, "region_id": region_ids[region],
                "language": language, "source": ResponseSource.PAGE.value, "submitted_at": at,
                "submitted_on": at.date(), "answers": answers, **feedback.score(questions, answers),
            }
            responses.append(response)
            # What the agency's rule would have opened had the answer come in through the page.
            if answers["trust"] <= 2 and "comments" in answers:
                opened.append(_follow_up(follow_up_rng, response=response, rule_id=rules[agency.id], now=now))
        with unit_of_work(factory) as session:
            feedback.import_invitations(session=session, rows=invitations)
            made += feedback.import_responses(session=session, rows=responses)
            follow_ups += feedback.import_follow_ups(session=session, rows=opened)
        invited += len(invitations)
        by_kind[SurveyKind.A11_V2.value] += len(responses)
        advance(task, len(responses))
    for first in range(0, quick_count, BATCH):
        responses = []
        for n in range(first, min(quick_count, first + BATCH)):
            kind = QUICK_KINDS[n % len(QUICK_KINDS)]
            agency, svc, region, at, _, _, _, latent = visit(quick_rng)
            oldest, newest = min(oldest, at), max(newest, at)
            survey_id, questions = quick[agency.id, kind]
            answers = _quick_answers(kind, latent)
            responses.append({
                "id": _id(quick_rng), "survey_id": survey_id, "agency_id": agency.id, "invitation_id": None,
                "service_id": svc.id, "touchpoint": "after-visit", "channel": quick_rng.choice(svc.channels),
                "interaction_ref": None, "case_ref": None, "region_id": region_ids[region],
                "language": "es" if quick_rng.random() < 0.15 else "en", "source": ResponseSource.WIDGET.value,
                "submitted_at": at, "submitted_on": at.date(), "answers": answers,
                **feedback.score(questions, answers),
            })
            by_kind[kind.value] += 1
        with unit_of_work(factory) as session:
            made += feedback.import_responses(session=session, rows=responses)
        advance(task, len(responses))
    return {
        "responses": made, "invitations": invited, "responses_by_survey_kind": dict(sorted(by_kind.items())),
        "follow_ups": follow_ups, "first_day": oldest.date().isoformat(), "last_day": newest.date().isoformat(),
        "planted_region": planted_region, "planted_service": planted_service.code,
        "effects": [
            {"name": "feedback_causes", "domain": "feedback", "measure": "trust (latent, 5-point agreement)",
             "description": "Trust follows the experience: long waits, each repeat ask and a channel switch "
                            "lower it.",
             "parameters": {"baseline": BASELINE, "long_wait": LONG_WAIT, "long_wait_means": "wait > 1.5 x target",
                            "repeat_ask_each": REPEAT_ASK, "channel_switch": CHANNEL_SWITCH, "noise_sd": NOISE,
                            "cuts": list(CUTS)}},
            {"name": "understaffed_region", "domain": "feedback", "region": planted_region,
             "description": "The understaffed region's waits are longer, and its trust lower beyond them.",
             "parameters": {"wait_multiplier": REGION_WAIT_MULTIPLIER, "extra_latent_shift": REGION_EXTRA}},
            {"name": "service_trust_drag", "domain": "feedback", "service": planted_service.code,
             "description": "One service drags trust down whatever the wait.",
             "parameters": {"latent_shift": SERVICE_DRAG}},
        ],
    }
