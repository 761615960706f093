"""Feedback figures: answers per second through the API, and the KPI query at scale beside hand-written SQL.

(a) `POST /api/v1/feedback/responses` on the real govcx app under uvicorn (one worker, 127.0.0.1,
    sequential keep-alive requests from one httpx client, an A-11 v2 answer with a comment that
    gets redacted), beside the same answers recorded in-process by `feedback.service.submit_response`
    (one unit of work each, no HTTP): the ratio is what HTTP, validation and the app add.
(b) The KPI engine (`feedback.kpis.compute`: trust, satisfaction, CES, NPS, 8 drivers both ways and
    response rate, by service and fiscal quarter, SQL aggregates by day rolled up in Python) on a
    store holding `--responses` answers (default 1,000,000), beside the same aggregate written by
    hand as one SQL query per table grouped by service and fiscal quarter directly, on the same
    store, in the same run, alternating; p50 over `--repeats` runs each.

    python benchmarks/feedback.py [--answers 2000] [--responses 1000000] [--repeats 7] [--store sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import shlex
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from foundation import postgres_schema, server  # noqa: E402

from govcx.core import accounts  # noqa: E402
from govcx.core.accounts import Scope  # noqa: E402
from govcx.core.clock import SystemClock  # noqa: E402
from govcx.core.db import make_engine, make_session_factory, unit_of_work  # noqa: E402
from govcx.core.migrations import upgrade  # noqa: E402
from govcx.feedback import kpis  # noqa: E402
from govcx.feedback import schemas as fs  # noqa: E402
from govcx.feedback import service as feedback  # noqa: E402
from govcx.feedback.models import ResponseSource, SurveyKind  # noqa: E402
from govcx.feedback.schemas import DRIVER_BIT, Dimension, KpiFilters, Period  # noqa: E402
from govcx.registry import schemas as rs  # noqa: E402
from govcx.registry import service as registry  # noqa: E402
from govcx.registry.models import Channel  # noqa: E402

FISCAL_START = 10
BATCH = 50_000
SERVICES = 20
ANSWER = {"trust": 2, "went_badly": ["efficiency", "ease"],
          "comments": "Waited an hour. Call me on +999 555 1234 or mail ana@example.org."}


def setup(url: str) -> tuple[str, str, list]:
    """An agency with services, an open A-11 survey and an API key; return (survey id, agency id, services)."""
    engine = make_engine(url)
    upgrade(engine)
    clock = SystemClock()
    actor = registry_actor()
    with unit_of_work(make_session_factory(engine)) as session:
        agency = registry.create_agency(session=session, clock=clock, data=rs.AgencyCreate(code="TAX", name="Tax"))
        services = [registry.create_service(session=session, by=actor, clock=clock, data=rs.ServiceCreate(
            code=f"TAX-{n}", agency_id=agency.id, name=f"Service {n}", channels=[Channel.WEB],
            target_completion_minutes=20, sla_hours=48)) for n in range(SERVICES)]
        survey = feedback.create_survey(session=session, agency_id=agency.id, clock=clock, data=fs.SurveyCreate(
            code="a11", kind=SurveyKind.A11_V2, provider="the Tax Agency", is_open=True))
        accounts.create_api_key(session=session, agency_id=agency.id, scopes=list(Scope), label="bench", clock=clock)
        ids = (str(survey.id), str(agency.id), [s.id for s in services])
    engine.dispose()
    return ids


def registry_actor():  # noqa: ANN201
    from uuid import UUID

    from govcx.core.accounts import Role
    from govcx.core.auth import StaffMember

    return StaffMember(id=UUID(int=0), name="bench", email="bench@gov.example", role=Role.PLATFORM_ADMIN,
                       agency_id=None)


def through_api(base: str, survey_id: str, answers: int) -> list[float]:
    body = {"survey_id": survey_id, "answers": ANSWER, "channel": "web"}
    out = []
    with httpx.Client(base_url=base, timeout=10) as client:
        for _ in range(50):
            client.post("/api/v1/feedback/responses", json=body).raise_for_status()
        for _ in range(answers):
            started = time.perf_counter()
            answer = client.post("/api/v1/feedback/responses", json=body)
            out.append(time.perf_counter() - started)
            if answer.status_code != 201:
                raise SystemExit(f"govcx answered {answer.status_code}: {answer.text[:300]}")
    return out


def in_process(url: str, survey_id: str, answers: int) -> list[float]:
    engine = make_engine(url)
    factory = make_session_factory(engine)
    data = fs.ResponseCreate(survey_id=survey_id, answers=ANSWER, channel=Channel.WEB)
    clock = SystemClock()
    out = []
    for _ in range(answers):
        started = time.perf_counter()
        with unit_of_work(factory) as session:
            feedback.submit_response(session=session, data=data, source=ResponseSource.API, clock=clock)
        out.append(time.perf_counter() - started)
    engine.dispose()
    return out


def fill(url: str, survey_id: str, agency_id: str, services: list, count: int) -> float:
    """Insert `count` scored answers spread over two years; return seconds taken."""
    from uuid import UUID, uuid4

    rng = random.Random(5)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    survey, agency = UUID(survey_id), UUID(agency_id)
    first = date(2024, 10, 1)
    started = time.perf_counter()
    for start in range(0, count, BATCH):
        rows = []
        for _ in range(min(BATCH, count - start)):
            day = first + timedelta(days=rng.randrange(730))
            trust = rng.randint(1, 5)
            rows.append({
                "id": uuid4(), "survey_id": survey, "agency_id": agency, "invitation_id": None,
                "service_id": rng.choice(services), "touchpoint": None, "channel": "web", "interaction_ref": None,
                "case_ref": None, "region_id": None, "language": "en", "source": "api",
                "submitted_at": datetime(day.year, day.month, day.day, 12, tzinfo=UTC), "submitted_on": day,
                "answers": {"trust": trust}, "trust": int(trust >= 4), "satisfied": None,
                "ces_score": rng.randint(1, 7), "nps_score": rng.randint(0, 10), "drivers_answered": 1,
                "drivers_positive": rng.getrandbits(8), "drivers_negative": rng.getrandbits(8),
                "negative": trust <= 2, "comment": None,
            })
        with unit_of_work(factory) as session:
            feedback.import_responses(session=session, rows=rows)
    engine.dispose()
    return time.perf_counter() - started


def hand_sql(dialect: str) -> tuple[str, str]:
    """The same aggregate, by service and fiscal quarter, written by hand for `dialect`."""
    def year(c: str) -> str:
        return f"CAST(strftime('%Y', {c}) AS INTEGER)" if dialect == "sqlite" else f"CAST(EXTRACT(YEAR FROM {c}) AS INTEGER)"

    def month(c: str) -> str:
        return f"CAST(strftime('%m', {c}) AS INTEGER)" if dialect == "sqlite" else f"CAST(EXTRACT(MONTH FROM {c}) AS INTEGER)"

    def quarter(c: str) -> str:
        return (f"{year(c)} + CASE WHEN {month(c)} >= {FISCAL_START} THEN 1 ELSE 0 END, "
                f"(({month(c)} - {FISCAL_START} + 12) % 12) / 3 + 1")

    bits = ", ".join(f"SUM(CASE WHEN (drivers_positive & {b}) <> 0 THEN 1 ELSE 0 END), "
                     f"SUM(CASE WHEN (drivers_negative & {b}) <> 0 THEN 1 ELSE 0 END)" for b in DRIVER_BIT.values())
    responses = (
        f"SELECT service_id, {quarter('submitted_on')}, COUNT(*), COUNT(trust), SUM(trust), COUNT(satisfied), "
        "SUM(satisfied), COUNT(ces_score), SUM(CASE WHEN ces_score >= 5 THEN 1 ELSE 0 END), SUM(ces_score), "
        "SUM(ces_score * ces_score), COUNT(nps_score), SUM(CASE WHEN nps_score >= 9 THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN nps_score <= 6 THEN 1 ELSE 0 END), SUM(drivers_answered), {bits} "
        "FROM feedback_response WHERE agency_id = :agency GROUP BY 1, 2, 3")
    invitations = (f"SELECT service_id, {quarter('sent_on')}, COUNT(*), COUNT(used_at) FROM feedback_invitation "
                   "WHERE agency_id = :agency GROUP BY 1, 2, 3")
    return responses, invitations


def kpi_timings(url: str, agency_id: str, repeats: int) -> tuple[list[float], list[float], int, int]:
    from uuid import UUID

    engine = make_engine(url)
    factory = make_session_factory(engine)
    agency = UUID(agency_id)
    responses_sql, invitations_sql = hand_sql(engine.dialect.name)
    # The hand query gets the agency id the way the ORM binds it on each store.
    bound = agency.hex if engine.dialect.name == "sqlite" else agency
    ours, hand = [], []
    ours_total = hand_total = 0
    for n in range(repeats + 1):
        for which in (("ours", "hand") if n % 2 == 0 else ("hand", "ours")):
            with unit_of_work(factory) as session:
                started = time.perf_counter()
                if which == "ours":
                    cells = kpis.compute(session=session, group_by=Dimension.SERVICE, period=Period.QUARTER,
                                         filters=KpiFilters(agency_id=agency), fiscal_year_start_month=FISCAL_START,
                                         threshold=10)
                    total = sum(c.responses for c in cells)
                else:
                    rows = session.execute(text(responses_sql), {"agency": bound}).all()
                    session.execute(text(invitations_sql), {"agency": bound}).all()
                    total = sum(r[3] for r in rows)
                elapsed = time.perf_counter() - started
            if n == 0:
                continue  # warm-up: the store's pages come into the cache
            if which == "ours":
                ours.append(elapsed)
                ours_total = total
            else:
                hand.append(elapsed)
                hand_total = total
    engine.dispose()
    return ours, hand, ours_total, hand_total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=2_000)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    command = shlex.join(["python", "benchmarks/feedback.py", "--answers", str(args.answers), "--responses",
                          str(args.responses), "--repeats", str(args.repeats), "--store", args.store])

    with tempfile.TemporaryDirectory(prefix="govcx-bench-") as tmp, (
        postgres_schema() if args.store == "postgresql" else contextlib.nullcontext(None)
    ) as database_url:
        url = database_url or f"sqlite:///{Path(tmp) / 'govcx.db'}"
        survey_id, agency_id, services = setup(url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("GOVCX_")}
        env.update({"GOVCX_DATA_DIR": str(Path(tmp) / "data"), "GOVCX_DATABASE_URL": url,
                    "GOVCX_RATE_LIMIT_FEEDBACK": "1000000/minute", "GOVCX_LOG_LEVEL": "WARNING"})
        with server("govcx", ["govcx.app:create_app", "--factory"], env=env, log=Path(tmp) / "govcx.log") as base:
            api = through_api(base, survey_id, args.answers)
        direct = in_process(url, survey_id, args.answers)
        fill_seconds = fill(url, survey_id, agency_id, services, args.responses)
        ours, hand, ours_total, hand_total = kpi_timings(url, agency_id, args.repeats)

    expected = args.responses + 2 * args.answers + 50
    if ours_total != hand_total or ours_total != expected:
        raise SystemExit(f"The two KPI queries disagree: {ours_total:,} and {hand_total:,} answers, "
                         f"expected {expected:,}.")
    p50 = statistics.median
    print(f"$ {command}")
    print(f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, {args.store} "
          f"store; {args.answers:,} sequential answers each way; KPI p50 of {args.repeats} runs each, alternating")
    print(f"{'POST /api/v1/feedback/responses':44s} {len(api) / sum(api):8,.0f} answers/s   p50 {p50(api) * 1000:.2f} ms")
    print(f"{'same answers, submit_response in-process':44s} {len(direct) / sum(direct):8,.0f} answers/s   "
          f"p50 {p50(direct) * 1000:.2f} ms")
    print(f"{'ratio, API / in-process':44s} {(len(api) / sum(api)) / (len(direct) / sum(direct)):8.2f}x answers/s  "
          f"p50 {p50(api) / p50(direct):.2f}x")
    print(f"{f'store filled with {args.responses:,} answers':44s} {fill_seconds:8.1f} s")
    print(f"{f'KPI engine, by service x fiscal quarter':44s} p50 {p50(ours) * 1000:9.1f} ms   "
          f"({ours_total:,} answers)")
    print(f"{'same aggregate, hand-written SQL':44s} p50 {p50(hand) * 1000:9.1f} ms")
    print(f"{'ratio, KPI engine / hand-written SQL':44s} {p50(ours) / p50(hand):8.2f}x")


if __name__ == "__main__":
    main()
