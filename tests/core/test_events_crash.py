"""kill -9 loses nothing: every acknowledged write is stored and every event reaction happens exactly once.

Real processes, killed with SIGKILL: `govcx serve` under concurrent writes, and `govcx worker` while it
drains events. On SQLite and on PostgreSQL (the `settings` fixture is parametrised over both).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select

from govcx.app import subscribe_reactions
from govcx.core.accounts import Scope
from govcx.core.db import finish, make_session_factory
from govcx.core.events import DeliveryState, EventDelivery
from govcx.crm import schemas as crm_schemas
from govcx.crm import service as crm
from govcx.crm.models import Case, CaseStatus, Interaction
from govcx.feedback.models import Invitation, Response
from govcx.notify.models import Message
from tests.conftest import TEST_SECRET
from tests.factories import crm as crm_factories
from tests.factories import feedback as feedback_factories
from tests.factories import notify as notify_factories
from tests.factories import registry as factories

SRC = Path(__file__).resolve().parents[2] / "src"
LEASE_S = 1.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(settings, **extra: str) -> dict[str, str]:  # noqa: ANN001
    return {
        **os.environ, "PYTHONPATH": str(SRC), "GOVCX_ENV": "test", "GOVCX_DATABASE_URL": settings.database_url,
        "GOVCX_SECRET_KEY": TEST_SECRET, "GOVCX_DATA_DIR": str(settings.data_dir), "GOVCX_AUTO_UPGRADE": "false",
        "GOVCX_LOG_LEVEL": "ERROR", "GOVCX_EVENT_LEASE_S": str(LEASE_S), "GOVCX_WORKER_POLL_S": "0.2",
        "GOVCX_SMTP_PORT": str(_free_port()), "GOVCX_RATE_LIMIT_FEEDBACK": "100000/minute", **extra,
    }


def _govcx(settings, *args: str, **extra: str) -> subprocess.Popen:  # noqa: ANN001
    return subprocess.Popen([sys.executable, "-m", "govcx.cli", *args], env=_env(settings, **extra),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _serve(settings, port: int, **extra: str) -> subprocess.Popen:  # noqa: ANN001
    server = _govcx(settings, "serve", "--host", "127.0.0.1", "--port", str(port), **extra)
    deadline = time.monotonic() + 30
    while True:
        assert server.poll() is None, server.stdout.read().decode()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the server never came up"
        time.sleep(0.1)


def _kill(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL


@pytest.fixture
def town(uow, clock, cipher):
    """An agency with a service, an open A-11 survey, message templates, and people with open cases."""
    with uow() as session:
        notify_factories.templates(session, clock)
        transport = factories.agency(session, clock, code="TRN", name="Transport Agency")
        roads = crm_factories.department(session, clock, transport, "ROADS", "Roads")
        pothole = factories.catalogue_service(session, clock, transport, code="POTHOLE")
        pothole.department_id = roads.id
        survey = feedback_factories.survey(session, clock, transport.id)
        key = factories.api_key(session, clock, transport, [Scope.CRM_READ, Scope.CRM_WRITE])
        people = [factories.person(session, clock, cipher, given_name=f"P{i}") for i in range(40)]
        cases = [crm_factories.case(session, clock, transport, pothole.id, p.id).id for p in people]
    return {"agency": transport, "survey": survey.id, "key": key, "people": [p.id for p in people],
            "cases": cases}


def _reactions(uow, case_ids: list[UUID]) -> dict[UUID, tuple[int, int, int]]:
    """For each case: (status messages, survey invitations, invitation messages)."""
    with uow() as session:
        status = {c: session.scalar(select(func.count()).select_from(Message).where(
            Message.dedup_key.like(f"case-status:{c}:%"))) for c in case_ids}
        invitations = dict(session.execute(select(Invitation.case_ref, func.count()).where(
            Invitation.case_ref.in_([str(c) for c in case_ids])).group_by(Invitation.case_ref)).all())
        invited = dict(session.execute(select(Message.dedup_key, func.count()).where(
            Message.dedup_key.in_([f"survey-invitation:{c}" for c in case_ids])).group_by(Message.dedup_key)).all())
    return {c: (status[c], invitations.get(str(c), 0), invited.get(f"survey-invitation:{c}", 0)) for c in case_ids}


def _pending(uow) -> int:
    with uow() as session:
        return session.scalar(select(func.count()).select_from(EventDelivery).where(
            EventDelivery.state != DeliveryState.DONE))


def test_killing_the_server_under_concurrent_writes_loses_no_acknowledged_write_and_no_reaction(
        uow, settings, town):
    port = _free_port()
    base, key = f"http://127.0.0.1:{port}", {"X-API-Key": town["key"]}
    acknowledged: dict[str, list[str]] = {"resolved": [], "interactions": [], "responses": []}
    stop = threading.Event()

    def resolve(cases: list[UUID]) -> None:
        with httpx.Client(base_url=base, headers=key, timeout=10) as http:
            for case_id in cases:
                if stop.is_set():
                    return
                try:
                    answer = http.post(f"/api/v1/cases/{case_id}/status",
                                       json={"status": "resolved", "reason": "Filled and rolled"})
                except httpx.HTTPError:
                    return
                if answer.is_success:
                    acknowledged["resolved"].append(str(case_id))

    def interact() -> None:
        with httpx.Client(base_url=base, headers=key, timeout=10) as http:
            for i in range(10_000):
                person = town["people"][i % len(town["people"])]
                try:
                    answer = http.post("/api/v1/interactions", json={
                        "person_id": str(person), "channel": "phone", "outcome": "resolved",
                        "started_at": datetime.now(UTC).isoformat()})
                except httpx.HTTPError:
                    return
                if answer.is_success:
                    acknowledged["interactions"].append(answer.json()["id"])

    def answer_surveys() -> None:
        with httpx.Client(base_url=base, timeout=10) as http:
            for _ in range(10_000):
                try:
                    answer = http.post("/api/v1/feedback/responses", json={
                        "survey_id": str(town["survey"]), "answers": {"trust": 4}})
                except httpx.HTTPError:
                    return
                if answer.is_success:
                    acknowledged["responses"].append(answer.json()["id"])

    server = _serve(settings, port)
    half = len(town["cases"]) // 2
    threads = [threading.Thread(target=resolve, args=(town["cases"][:half],)),
               threading.Thread(target=resolve, args=(town["cases"][half:],)),
               threading.Thread(target=interact), threading.Thread(target=answer_surveys)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged["resolved"]) < 12 and time.monotonic() < deadline:
        time.sleep(0.01)
    _kill(server)  # mid-load: requests in flight, reactions half run
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    assert len(acknowledged["resolved"]) >= 12, "the load never got going"

    time.sleep(LEASE_S + 0.2)  # the dead server's claims run out
    survivor = _serve(settings, port, GOVCX_WORKER_IN_SERVE="true")  # its background loop drains what is left
    try:
        deadline = time.monotonic() + 30
        while _pending(uow) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        survivor.terminate()
        survivor.wait(timeout=30)

    assert _pending(uow) == 0
    with uow() as session:
        resolved = {str(c) for c in session.scalars(select(Case.id).where(Case.status == CaseStatus.RESOLVED))}
        interactions = {str(i) for i in session.scalars(select(Interaction.id))}
        responses = {str(r) for r in session.scalars(select(Response.id))}
    assert set(acknowledged["resolved"]) <= resolved
    assert set(acknowledged["interactions"]) <= interactions and acknowledged["interactions"]
    assert set(acknowledged["responses"]) <= responses and acknowledged["responses"]
    # Every resolved case (acknowledged or committed just before the kill) has each reaction, once.
    assert _reactions(uow, [UUID(c) for c in resolved]) == {UUID(c): (1, 1, 1) for c in resolved}


def test_killing_the_worker_while_it_drains_events_then_restarting_runs_every_reaction_exactly_once(
        uow, engine, clock, settings, town):
    settings.event_lease_s = LEASE_S
    factory = make_session_factory(engine)
    subscribe_reactions(session_factory=factory, clock=clock, settings=settings)
    agency = town["agency"]
    for case_id in town["cases"]:
        # Each resolution commits with its events, and the process "dies" before delivering any.
        session = factory()
        crm.change_status(session=session, case_id=case_id, by=crm_factories.system_of(agency), clock=clock,
                          data=crm_schemas.CaseStatusChange(status=CaseStatus.RESOLVED, reason="Filled"))
        finish(session, failed=False)
    total = _pending(uow)
    with uow() as session:  # other domains' reactions are pending beside these
        pending = dict(session.execute(select(EventDelivery.handler, func.count()).where(
            EventDelivery.state != DeliveryState.DONE).group_by(EventDelivery.handler)).all())
    # A status message and a survey invitation each.
    assert pending["notify.requested"] == pending["feedback.case_invitation"] == len(town["cases"])
    time.sleep(LEASE_S + 0.2)

    doomed = _govcx(settings, "worker", "--once")
    deadline = time.monotonic() + 60
    while total - _pending(uow) < 10:
        assert doomed.poll() is None, doomed.stdout.read().decode()
        assert time.monotonic() < deadline, "the worker never got going"
        time.sleep(0.01)
    _kill(doomed)
    left = _pending(uow)
    assert 0 < left < total  # killed mid-drain

    time.sleep(LEASE_S + 0.2)  # its last claims run out
    survivor = _govcx(settings, "worker", "--once")
    output = survivor.communicate(timeout=60)[0].decode()
    assert survivor.returncode == 0, output

    assert _pending(uow) == 0
    assert _reactions(uow, town["cases"]) == {c: (1, 1, 1) for c in town["cases"]}
