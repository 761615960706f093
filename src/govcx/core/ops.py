"""Health, readiness and metrics endpoints for operators."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from govcx.core.errors import problem_response

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> Response:
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means not ready
        return problem_response(status=503, title="Not ready", detail="The database cannot be reached.",
                                code="not-ready", instance="/readyz")
    # Each domain may add a check (app.py wires them): a callable that returns what is wrong, or None.
    for check in getattr(request.app.state, "readiness_checks", ()):
        problem = check()
        if problem:
            return problem_response(status=503, title="Not ready", detail=problem, code="not-ready",
                                    instance="/readyz")
    return Response('{"status":"ready"}', media_type="application/json")


@router.get("/metrics")
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
