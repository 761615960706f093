"""One Jinja2 environment for every page, and `render`, which gives each page its viewer and navigation.

Pages are built by `page_router()` routers: their shared dependency notes who is looking, so the
layout can show the navigation that person may use without each route passing it along.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from govcx.core.accounts import Scope
from govcx.core.auth import Citizen, OptionalCitizen, OptionalStaff, StaffMember
from govcx.web import csrf, i18n

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_URL = "/static/"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=select_autoescape(default=True, default_for_string=True),
    # A misspelt variable fails the page (and its test) instead of rendering as nothing.
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    extensions=["jinja2.ext.i18n"],
)
# Every string a page shows goes through `_()` or `{% trans %}`, translated into the request's
# language (govcx.web.i18n); `newstyle` means `_("Hello %(name)s", name=x)` escapes `x`.
_env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]


def duration(minutes: int) -> str:
    """Say a duration the way people do: '20 minutes', '1 hour 30 minutes', '3 days'."""
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = ((days, "day"), (hours, "hour"), (minutes, "minute"))
    parts = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in units if n]
    return " ".join(parts[:2]) or "0 minutes"


def long_date(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


_env.globals["static"] = lambda path: STATIC_URL + path
_env.globals["current_language"] = i18n.current_language
_env.globals["languages"] = i18n.LANGUAGES
_env.filters["date"] = i18n.format_date
_env.filters["datetime"] = i18n.format_datetime
_env.filters["money"] = i18n.format_money
_env.filters["minutes"] = duration
_env.filters["longdate"] = long_date
_env.filters["number"] = "{:,}".format
templates = Jinja2Templates(env=_env)


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    current: bool = False


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page: a visitor, a citizen or a member of staff; `known` is False on
    error pages for addresses no page answers, where nobody has been looked up."""

    staff: StaffMember | None = None
    citizen: Citizen | None = None
    known: bool = True

    @property
    def signed_in(self) -> bool:
        return self.staff is not None or self.citizen is not None

    @property
    def sees_cx(self) -> bool:
        return self.staff is not None and Scope.CX_READ in self.staff.scopes


UNKNOWN = Viewer(known=False)


def language_of(request: Request) -> str:
    """The language this request is answered in: the switch's cookie, else what the browser asks for."""
    return i18n.choose_language(
        cookie=request.cookies.get(i18n.COOKIE), preference=None,
        accept_language=request.headers.get("accept-language"))


async def _remember_viewer(request: Request, staff: OptionalStaff, citizen: OptionalCitizen) -> Viewer:
    i18n.set_language(language_of(request))
    viewer = Viewer(staff=staff, citizen=citizen)
    request.state.viewer = viewer
    return viewer


def page_router(**kwargs: Any) -> APIRouter:
    """A router for HTML pages: out of the OpenAPI document, and noting the viewer for the layout."""
    return APIRouter(
        include_in_schema=False, default_response_class=HTMLResponse,
        dependencies=[Depends(_remember_viewer)], **kwargs,
    )


def viewer_of(request: Request) -> Viewer:
    return getattr(request.state, "viewer", UNKNOWN)


def _navigation(viewer: Viewer, path: str) -> tuple[list[NavItem], list[NavItem]]:
    """Return the primary links and the account links this viewer may use."""
    public = [("Services", "/services"), ("Data catalogue", "/data-catalogue")]
    if viewer.staff is not None:
        primary = [("Staff console", "/staff"), ("Find a person", "/staff/persons")]
        if viewer.staff.agency_id is not None:
            primary.append(("Case queue", "/staff/cases"))
        if viewer.sees_cx:
            primary.append(("Regions", "/cx/regions"))
            primary.append(("Feedback", "/cx/feedback"))
            primary.append(("Journeys", "/cx/journeys"))
            primary.append(("Proactive services", "/cx/proactive"))
        if Scope.LEGAL_BASIS_ADMIN in viewer.staff.scopes:
            primary.append(("Legal bases", "/admin/legal-bases"))
        primary += public
    elif viewer.citizen is not None:
        primary = [("Home", "/"), ("My details", "/me"), ("My requests", "/me/cases"), ("My data", "/me/data"),
                   ("My consents", "/me/consents"), ("Who used my data", "/me/access-log"), ("Inbox", "/me/inbox"),
                   ("Recommendations", "/me/recommendations"), ("My life events", "/me/life-events"), *public]
    else:
        primary = [("Home", "/"), *public]
    account = [] if viewer.signed_in or not viewer.known else [
        ("Citizen sign-in", "/citizen/sign-in"), ("Staff sign-in", "/sign-in"),
    ]
    # The longest matching link is the current one, so /staff/persons does not also light /staff.
    hrefs = [href for _, href in primary + account]
    matches = [h for h in hrefs if path == h or (h != "/" and path.startswith(h + "/"))]
    current = max(matches, key=len, default=None)
    return (
        [NavItem(label, href, href == current) for label, href in primary],
        [NavItem(label, href, href == current) for label, href in account],
    )


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render `template` inside the layout, with the viewer, their navigation and the CSRF token."""
    # Without a session (a crash page, rendered outside the session middleware) nobody is known
    # and no form can be posted.
    has_session = "session" in request.scope
    viewer = viewer_of(request) if has_session else UNKNOWN
    if not hasattr(request.state, "viewer"):
        # Error pages are rendered outside a page router: they still speak the reader's language.
        i18n.set_language(language_of(request))
    primary, account = _navigation(viewer, request.url.path)
    page = {
        "viewer": viewer,
        "primary_nav": primary,
        "account_nav": account,
        "csrf_token": csrf.token(request) if has_session else "",
        "csrf_field": csrf.FIELD,
        "language": i18n.current_language(),
        # The switch offers the other languages, each leading back to this page in that language.
        "language_links": [
            (code, name, f"/language/{code}?{urlencode({'next': _here(request)})}")
            for code, name in i18n.LANGUAGES.items() if code != i18n.current_language()
        ],
        **(context or {}),
    }
    return templates.TemplateResponse(request, template, page, status_code=status_code, headers=headers)
