"""HTML error pages for people, while API clients keep getting RFC 9457 problem details.

The problem handlers in `core.errors` stay the one place that decides an error's status, title
and detail; for page addresses their answer is turned into a page instead of JSON.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from starlette.responses import Response

from govcx.core.errors import PROBLEM_MEDIA_TYPE, problem_response
from govcx.web.templating import render

# Machine clients live under these prefixes; everything else is a page a person reads.
PROBLEM_PREFIXES = ("/api", "/open311")

_TITLES = {
    401: "Sign in to continue",
    403: "You cannot open this page",
    404: "Page not found",
    405: "This page cannot do that",
    422: "Check what you entered",
    429: "Too many attempts",
    500: "Something went wrong",
}
_DETAILS = {
    404: "There is no page at this address. Check the address, or start again from the home page.",
    500: "Something went wrong on our side. Try again in a moment; if it keeps happening, tell us.",
}
_PASSED_HEADERS = ("www-authenticate", "retry-after", "allow")

Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def wants_problem(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PROBLEM_PREFIXES)


def error_page(request: Request, *, status: int, detail: str | None, headers: dict[str, str] | None = None) -> Response:
    """Render the page for an error with `status`."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return render(request, "error.html", {
        "status": status,
        "title": _TITLES.get(status, "This did not work"),
        "detail": _DETAILS.get(status) if status >= 500 or not detail else detail,
        "next": quote(here, safe="/"),
    }, status_code=status, headers=headers)


def _as_page(json_handler: Handler) -> Handler:
    async def handle(request: Request, exc: Any) -> Response:
        answer = json_handler(request, exc)
        if inspect.isawaitable(answer):
            answer = await answer
        is_problem = isinstance(answer, Response) and answer.media_type == PROBLEM_MEDIA_TYPE
        if not is_problem or wants_problem(request.url.path):
            return answer
        problem = json.loads(bytes(answer.body))
        headers = {name: answer.headers[name] for name in _PASSED_HEADERS if name in answer.headers}
        if problem.get("retry_after"):
            headers["retry-after"] = str(problem["retry_after"])
        return error_page(request, status=answer.status_code, detail=problem.get("detail"), headers=headers)

    return handle


async def _crash(request: Request, exc: Exception) -> Response:
    # Runs outside every middleware but the outermost, after the exception is logged by the server.
    if wants_problem(request.url.path):
        return problem_response(status=500, title="Internal Server Error", code="internal-error",
                                detail="Something went wrong on our side.", instance=request.url.path)
    return error_page(request, status=500, detail=None)


def install_error_pages(app: FastAPI) -> None:
    """Answer errors on page addresses with HTML pages; call after `install_problem_handlers`."""
    for exc_class, handler in list(app.exception_handlers.items()):
        app.exception_handlers[exc_class] = _as_page(handler)
    app.add_exception_handler(Exception, _crash)
