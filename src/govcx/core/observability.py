"""Request ids, structured logs, Prometheus metrics and security headers, in one ASGI middleware.

Written as plain ASGI (not BaseHTTPMiddleware) because it wraps every request and must stay cheap.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from govcx.core.ids import new_id

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'self'; object-src 'none'; frame-ancestors 'none'"
)


def configure_logging(level: str = "INFO") -> None:
    """Log JSON lines to stderr. Never pass a person's data to a logger."""
    # No force=True: a host that already set up logging (a test runner, a process manager) keeps it.
    logging.basicConfig(format="%(message)s", stream=sys.stderr)
    logging.getLogger("govcx").setLevel(level.upper())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.dict_tracebacks,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # Through the standard library, so one handler set (and pytest's caplog) sees every line.
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=False,
    )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "govcx_http_requests_total", "HTTP requests answered", ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "govcx_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: Metrics, production: bool, frame_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.metrics = metrics
        self.frame_paths = frame_paths
        self.log = structlog.get_logger("govcx.http")
        # Built once: they are the same for every answer.
        self._headers = _security_headers(framable=False, production=production)
        self._framable_headers = _security_headers(framable=True, production=production)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else new_id().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                headers.extend(self._security_headers(path))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            # The route template, never the raw path or query: those can carry personal data.
            self.log.info("request", request_id=request_id, method=method, route=route, status=status,
                          duration_ms=round(elapsed * 1000, 2))

    def _security_headers(self, path: str) -> list[tuple[bytes, bytes]]:
        framable = any(path.startswith(p) for p in self.frame_paths)
        return self._framable_headers if framable else self._headers


def _security_headers(*, framable: bool, production: bool) -> list[tuple[bytes, bytes]]:
    csp = CONTENT_SECURITY_POLICY
    if framable:
        csp = csp.replace("frame-ancestors 'none'", "frame-ancestors *")
    headers = [
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
        (b"permissions-policy", b"geolocation=(), camera=(), microphone=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if not framable:
        headers.append((b"x-frame-options", b"DENY"))
    if production:
        headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
    return headers


def _route_template(scope: dict[str, Any]) -> str:
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return str(route.path)
    return "static" if scope["path"].startswith("/static/") else "unmatched"
