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
from govcx.web import i18n
from govcx.web.i18n import N_
from govcx.web.i18n import gettext as _
from govcx.web.templating import render, speak_to

# Machine clients live under these prefixes; everything else is a page a person reads.
PROBLEM_PREFIXES = ("/api", "/open311")

_TITLES = {
    400: N_("This request did not work"),
    401: N_("Sign in to continue"),
    403: N_("You cannot open this page"),
    404: N_("Page not found"),
    405: N_("This page cannot do that"),
    409: N_("This clashes with something already there"),
    413: N_("What you sent is too large"),
    422: N_("Check what you entered"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
}
_OTHER_TITLE = N_("This did not work")
# What each status means for the reader, when the problem's own detail cannot be shown in their
# language (a detail is written in English where the problem is raised).
_GENERIC = {
    400: N_("govcx could not understand this request. Go back and try again."),
    401: N_("This page shows personal information, so sign in first."),
    403: N_("Your account does not have permission to open this page or do this."),
    404: N_("There is no page at this address. Check the address, or start again from the home page."),
    405: N_("This address does not answer that kind of request."),
    409: N_("This clashes with something that is already recorded. Reload the page and check."),
    413: N_("What you sent is larger than govcx accepts. Send less at a time."),
    422: N_("Something you entered is not valid. Go back, check it and try again."),
    429: N_("There were too many attempts in a short time. Wait a minute and try again."),
    500: N_("Something went wrong on our side. Try again in a moment; if it keeps happening, tell us."),
}
_OTHER_DETAIL = N_("This did not work. Go back and try again.")
# Problem details that pages often meet, marked here so that they read in every language.
_KNOWN_DETAILS = (
    N_("Sign in first."),
    N_("Sign in as staff first."),
    N_("This belongs to another agency."),
    N_("This form has expired or did not come from govcx. Go back, reload the page and try again."),
    N_("This invitation link is not valid. Check that you copied all of it."),
    N_("A person can declare facts only about themselves."),
)
_PASSED_HEADERS = ("www-authenticate", "retry-after", "allow")

Handler = Callable[[Request, Any], Response | Awaitable[Response]]


def wants_problem(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PROBLEM_PREFIXES)


def _explained(status: int, detail: str | None) -> tuple[str, str | None]:
    """What the page says about the error in the reader's language, and the problem's own English
    detail when it has no translation (shown beside it, marked as English), else None."""
    generic = _(_GENERIC.get(status, _OTHER_DETAIL))
    if status >= 500 or not detail:
        return generic, None
    translated = _(detail)
    if translated != detail or i18n.current_language() == i18n.DEFAULT_LANGUAGE:
        return translated, None
    return generic, detail


def error_page(request: Request, *, status: int, detail: str | None, headers: dict[str, str] | None = None) -> Response:
    """Render the page for an error with `status`, in the reader's language."""
    speak_to(request)  # before anything is translated: no page router ran for an unknown address
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    message, original = _explained(status, detail)
    return render(request, "error.html", {
        "status": status,
        "title": _(_TITLES.get(status, _OTHER_TITLE)),
        "detail": message,
        "original": original,
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
