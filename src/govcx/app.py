"""The app factory: the one place that wires settings, stores, domains and pages together."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from sqlalchemy.orm import Session, sessionmaker
from starlette.middleware.sessions import SessionMiddleware

from govcx import __version__
from govcx.core import events, ops
from govcx.core.accounts import ApiKeyRevoked
from govcx.core.auth import VerifiedKeys
from govcx.core.background import BackgroundLoop, Job
from govcx.core.clock import Clock, SystemClock
from govcx.core.config import API_PREFIX, Settings
from govcx.core.crypto import FieldCipher
from govcx.core.db import make_engine, make_session_factory
from govcx.core.errors import Problem, install_problem_handlers
from govcx.core.limits import BodyLimitMiddleware, JsonShapeMiddleware
from govcx.core.migrations import upgrade
from govcx.core.observability import Metrics, RequestContextMiddleware, configure_logging
from govcx.core.proxies import TrustedProxyMiddleware
from govcx.crm import service as crm_service
from govcx.crm.events import CaseOpened, CaseStatusChanged, FollowUpCaseOpened, InteractionRecorded
from govcx.core import timeline
from govcx.crm import timeline as crm_timeline
from govcx.consent import timeline as consent_timeline
from govcx.exchange import timeline as exchange_timeline
from govcx.registry import timeline as registry_timeline
from govcx.vault import timeline as vault_timeline
from govcx.vault.events import FactRecorded
from govcx.crm.open311 import router as open311_router
from govcx.crm.router import router as crm_router
from govcx.feedback import spam as feedback_spam
from govcx.feedback import service as feedback_service
from govcx.feedback.events import FollowUpNeeded
from govcx.feedback.pages import router as feedback_pages
from govcx.feedback.router import router as feedback_router
from govcx.registry.router import router as registry_router
from govcx.consent.pages import router as consent_pages
from govcx.consent.router import router as consent_router
from govcx.core import signing
from govcx.exchange.pages import router as exchange_pages
from govcx.exchange import witness as audit_witness
from govcx.exchange.router import router as exchange_router
from govcx.notify.pages import router as notify_pages
from govcx.journeys import service as journeys_service
from govcx.journeys import timeline as journeys_timeline
from govcx.journeys.router import router as journeys_router
from govcx.journeys.pages import router as journeys_pages
from govcx.notify.router import router as notify_router
from govcx.notify.worker import Reactions, Worker
from govcx.journeys.proactive.pages import router as proactive_pages
from govcx.journeys.proactive.router import router as proactive_router
from govcx.journeys.proactive.service import JourneyWatch as ProactiveJourneyWatch
from govcx.journeys.proactive.service import Reactions as ProactiveReactions
from govcx.vault.pages import router as vault_pages
from govcx.admin.pages import router as admin_pages
from govcx.vault.router import router as vault_router
from govcx.web import mount_web

SESSION_COOKIE = "govcx_session"


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the govcx ASGI app for `settings` (read from the environment when not given)."""
    settings = settings or Settings()
    configure_logging(settings.log_level)
    engine = make_engine(settings.resolved_database_url)
    if settings.should_auto_upgrade:
        upgrade(engine)

    app = FastAPI(
        title="govcx",
        version=__version__,
        summary="Government customer experience: ask once, share with consent, serve proactively, measure everything.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.clock = clock or SystemClock()
    app.state.cipher = FieldCipher.from_secret(settings.secret, settings.encryption_key_id)
    app.state.metrics = Metrics()
    app.state.signer = signing.Signer.from_secret(settings.secret)
    app.state.verified_keys = VerifiedKeys(clock=app.state.clock)
    # Signed heads of the access log go to a witness outside the store, after the commit that made them.
    app.state.audit_publisher = audit_witness.Publisher(audit_witness.witness_from(settings),
                                                        registry=app.state.metrics.registry)
    audit_witness.bind(app.state.session_factory, app.state.audit_publisher)
    app.state.readiness_checks = [app.state.audit_publisher.readiness]
    # An in-process cache: evicting it is a local signal, not a durable reaction (see core.events).
    events.subscribe(ApiKeyRevoked, app.state.verified_keys.on_revoked, key="auth.verified_keys", local=True)
    subscribe_reactions(session_factory=app.state.session_factory, clock=app.state.clock, settings=settings)

    install_problem_handlers(app)
    # The person timeline (a core facility): each domain adds its own entries and the facts it holds.
    timeline.register_entries({"interaction"}, crm_timeline.interaction_entries)
    timeline.register_entries({"case"}, crm_timeline.case_entries)
    timeline.register_entries({"consent"}, consent_timeline.consent_entries)
    timeline.register_entries({"data_use"}, exchange_timeline.data_use_entries)
    timeline.register_entries({"journey"}, journeys_timeline.journey_entries)
    timeline.register_facts(registry_timeline.registry_facts)
    timeline.register_facts(vault_timeline.vault_facts)

    app.include_router(registry_router)
    app.include_router(crm_router)
    app.include_router(open311_router)
    app.include_router(vault_router)
    app.include_router(consent_router)
    app.include_router(exchange_router)
    app.include_router(notify_router)
    app.include_router(proactive_router)
    app.include_router(signing.router)
    app.include_router(feedback_router)
    app.include_router(journeys_router)
    feedback_spam.install(app)
    app.include_router(ops.router)
    mount_web(app)
    app.include_router(vault_pages)
    app.include_router(consent_pages)
    app.include_router(exchange_pages)
    app.include_router(feedback_pages)
    app.include_router(notify_pages)
    app.include_router(admin_pages)
    app.include_router(journeys_pages)
    app.include_router(proactive_pages)

    # Outermost last: request context wraps everything, sessions sit inside it.
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret.decode(),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_hours * 3600,  # the server-side record ends it sooner when idle
        same_site="lax",
        https_only=settings.is_production,
    )
    # Outside the sessions, inside the request context (so a 413 is logged and carries its headers).
    body_limits = {"default": settings.max_body_bytes, "by_route": settings.max_body_bytes_by_route}
    app.add_middleware(JsonShapeMiddleware, **body_limits)
    app.add_middleware(BodyLimitMiddleware, **body_limits)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics, production=settings.is_production,
                       frame_paths=("/survey/",))
    # Outermost: every layer inside sees the client's address, taken from forwarded headers only
    # when a trusted proxy sent them.
    app.add_middleware(TrustedProxyMiddleware, trusted=settings.trusted_proxy_networks)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def subscribe_reactions(*, session_factory: sessionmaker[Session], clock: Clock, settings: Settings) -> None:
    """Subscribe every durable cross-domain reaction, each under the stable key its deliveries carry.

    Every process that publishes or drains events calls this (the app factory, `govcx worker`).
    """
    events.configure(lease_s=settings.event_lease_s, backoff_s=settings.event_backoff_s,
                     max_attempts=settings.event_max_attempts, keep_days=settings.event_keep_days)
    Reactions.install(session_factory=session_factory, clock=clock, settings=settings)
    # Proactive services: a recorded fact or a resolved case may call for an offer (a birth: the child benefit).
    ProactiveReactions.install(session_factory=session_factory, clock=clock, settings=settings)
    # Voice of the customer reaches the right desk: a feedback follow-up opens a routed case,
    # and the follow-up notes the case.
    events.subscribe(FollowUpNeeded, partial(crm_service.open_follow_up_case, factory=session_factory, clock=clock),
                     key="crm.follow_up_case")
    events.subscribe(FollowUpCaseOpened, partial(feedback_service.link_follow_up_case, factory=session_factory,
                                                 clock=clock),
                     key="feedback.follow_up_case")
    # ... and when a case is resolved, its person is asked how it went (the A-11 survey, through notify).
    events.subscribe(CaseStatusChanged, partial(feedback_service.invite_after_resolved_case, factory=session_factory,
                                                clock=clock, settings=settings),
                     key="feedback.case_invitation")
    # Journeys hear of contacts and cases: handling and waiting time for the time tax, and journeys moved on.
    events.subscribe(CaseOpened, partial(journeys_service.on_case_opened, factory=session_factory, clock=clock),
                     key="journeys.case_opened")
    events.subscribe(FactRecorded, partial(journeys_service.on_fact_recorded, factory=session_factory, clock=clock),
                     key="journeys.fact_recorded")
    events.subscribe(CaseStatusChanged, partial(journeys_service.on_case_status_changed, factory=session_factory,
                                                clock=clock), key="journeys.case_status")
    events.subscribe(InteractionRecorded, partial(journeys_service.on_interaction_recorded, factory=session_factory,
                                                  clock=clock), key="journeys.interaction")


def background_jobs(*, session_factory: sessionmaker[Session], clock: Clock, settings: Settings) -> list[Job]:
    """What the background loop drains each round: event deliveries first (they may queue messages), then
    the notification outbox."""
    outbox = Worker(session_factory=session_factory, clock=clock, settings=settings)
    lapsed = partial(journeys_service.close_lapsed_journeys, factory=session_factory, clock=clock,
                     inactivity=timedelta(days=settings.journey_inactivity_days))
    # New touchpoint events are looked at for journey rules of proactive services (they may queue offers,
    # so before the outbox, which stays last: `govcx worker --once` reads its counts there).
    watch = ProactiveJourneyWatch(session_factory=session_factory, clock=clock, settings=settings)
    return [partial(events.drain, session_factory, batch=settings.worker_batch), lapsed, watch.drain, outbox.drain]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The embedded default drains the event table and the notification outbox in a thread of the
    # serving process; elsewhere `govcx worker` processes do it.
    background = None
    # Every serving process signs a head of the newest entries every few seconds (and as it stops).
    witness_loop = audit_witness.WitnessLoop(
        tick=audit_witness.witness_round(factory=app.state.session_factory, signer=app.state.signer,
                                         clock=app.state.clock, publisher=app.state.audit_publisher),
        interval_s=app.state.settings.audit_witness_interval_s)
    witness_loop.start()
    if app.state.settings.runs_worker_in_serve:
        background = BackgroundLoop(background_jobs(session_factory=app.state.session_factory,
                                                    clock=app.state.clock, settings=app.state.settings),
                                    poll_s=app.state.settings.worker_poll_s)
        background.start()
    try:
        yield
    finally:
        if background is not None:
            background.stop()
        witness_loop.stop()


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = Problem.model_json_schema()
        app.openapi_schema = schema
    return app.openapi_schema
