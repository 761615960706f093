"""RFC 9457 problem details: every error govcx returns has this one shape."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://govcx.dev/problems/"


class Problem(BaseModel):
    """An RFC 9457 problem detail as it appears on the wire."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class ProblemError(Exception):
    """Raise from anywhere to answer with a problem detail."""

    status: int = 400
    code: str = "bad-request"
    title: str = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class BadRequest(ProblemError):
    status, code, title = 400, "bad-request", "Bad request"


class Unauthorized(ProblemError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(ProblemError):
    status, code, title = 403, "forbidden", "Not allowed"


class NotFound(ProblemError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(ProblemError):
    status, code, title = 409, "conflict", "Conflict"


class Invalid(ProblemError):
    status, code, title = 422, "invalid", "Invalid input"


class TooManyRequests(ProblemError):
    status, code, title = 429, "too-many-requests", "Too many requests"


def problem_response(
    *, status: int, title: str, detail: str | None, code: str | None, instance: str,
    headers: dict[str, str] | None = None, **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"{PROBLEM_TYPE_BASE}{code}" if code else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        **extra,
    }
    headers = dict(headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'ApiKey realm="govcx"')
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


# A problem detail lists at most this many errors and says how many more there were: a body of a
# million unknown keys gets a short answer, not a hundred megabytes of them.
MAX_LISTED_ERRORS = 20
_MAX_PART = 100


def _clip(text: str, limit: int = _MAX_PART) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def validation_problem(errors: Sequence[Mapping[str, Any]], *, instance: str) -> JSONResponse:
    """A 422 problem detail for validation `errors` (pydantic's shape), listing only the first few."""
    listed = [
        {"location": [_clip(str(part)) for part in error.get("loc", ())][:10],
         "message": _clip(str(error.get("msg", "")), 300), "type": _clip(str(error.get("type", "")))}
        for error in errors[:MAX_LISTED_ERRORS]
    ]
    first = listed[0] if listed else {"location": [], "message": "invalid"}
    where = ".".join(first["location"][1:] or first["location"]) or "request"
    more = max(0, len(errors) - len(listed))
    detail = f"{where}: {first['message']}" + (f" (and {len(errors) - 1:,} more errors)" if len(errors) > 1 else "")
    return problem_response(status=422, title="Invalid input", code="invalid", instance=instance,
                            detail=detail, errors=listed, more_errors=more)


def allowed_methods(request: Request, *, also: str = "") -> list[str]:
    """Every method some route answers at this request's path (the router names only the first route's)."""
    methods = {m.strip().upper() for m in also.split(",") if m.strip()}
    path = request.scope["path"]
    for route in iter_route_contexts(request.app.routes):
        original = route.original_route
        if isinstance(original, Mount):
            if isinstance(original.app, StaticFiles) and original.matches(request.scope)[0] is Match.FULL:
                methods |= {"GET", "HEAD"}
        elif route.methods and getattr(route, "path_regex", None) is not None and route.path_regex.match(path):
            methods |= set(route.methods)
    return sorted(methods)


def install_problem_handlers(app: FastAPI) -> None:
    """Turn every exception the API can raise into a problem detail."""

    async def on_problem(request: Request, exc: ProblemError) -> JSONResponse:
        return problem_response(
            status=exc.status, title=exc.title, detail=exc.detail, code=exc.code,
            instance=request.url.path, **exc.extra,
        )

    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_problem(exc.errors(), instance=request.url.path)

    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        phrase = HTTPStatus(exc.status_code).phrase if exc.status_code in HTTPStatus._value2member_map_ else "Error"
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            allowed = allowed_methods(request, also=headers.get("Allow", ""))
            headers["Allow"] = ", ".join(allowed)
            detail = f"This address answers {', '.join(allowed)}, not {request.method}."
        return problem_response(
            status=exc.status_code, title=phrase, detail=detail, code=None, instance=request.url.path,
            headers=headers,
        )

    app.add_exception_handler(ProblemError, on_problem)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, on_validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, on_http)  # type: ignore[arg-type]


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Document problem-detail answers in the OpenAPI description of a route."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
