"""One Jinja2 environment for every page, and `render`, which gives each page its viewer and navigation.

Pages are built by `page_router()` routers: their shared dependency notes who is looking, so the
layout can show the navigation that person may use without each route passing it along.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from govcx.core import access
from govcx.core.auth import Citizen, OptionalCitizen, OptionalStaff, StaffMember
from govcx.core.deps import SessionDep
from govcx.registry import service as registry
from govcx.web import csrf, i18n
from govcx.web.i18n import gettext as _

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


_env.globals["static"] = lambda path: STATIC_URL + path
# Pages offer a link or a form by the same `Access` the target checks: `viewer.may(access.WORK_CASES)`.
_env.globals["access"] = access
_env.globals["current_language"] = i18n.current_language
_env.globals["languages"] = i18n.LANGUAGES
_env.filters["date"] = i18n.format_date
_env.filters["datetime"] = i18n.format_datetime
_env.filters["time"] = i18n.format_time
_env.filters["money"] = i18n.format_money
_env.filters["minutes"] = i18n.format_duration
_env.filters["longdate"] = i18n.format_date
_env.filters["number"] = i18n.format_number
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
        return access.SEE_CX.allows(self.staff)

    def may(self, needs: access.Access) -> bool:
        """Whether this viewer may use what `needs` guards (pages show a link or a form by it)."""
        return needs.allows(self.staff)


UNKNOWN = Viewer(known=False)


def language_of(request: Request, preference: str | None = None) -> str:
    """The language this request is answered in: the switch's cookie, the signed-in person's saved
    preference, else what the browser asks for."""
    return i18n.choose_language(
        cookie=request.cookies.get(i18n.COOKIE), preference=preference,
        accept_language=request.headers.get("accept-language"))


def speak_to(request: Request, preference: str | None = None) -> None:
    """Make this request speak the reader's language and tell the government's time.

    Without `preference`, a language already chosen for this request (by the page router, which knows
    who is signed in) stands: an error page speaks as the page it replaces would have.
    """
    language = getattr(request.state, "language", None) if preference is None else None
    request.state.language = language or language_of(request, preference)
    i18n.set_language(request.state.language)
    i18n.set_time_zone(request.app.state.settings.time_zone)


async def _remember_viewer(
    request: Request, staff: OptionalStaff, citizen: OptionalCitizen, session: SessionDep,
) -> Viewer:
    preference = None
    if citizen is not None and not i18n.supported(request.cookies.get(i18n.COOKIE)):
        # Only a signed-in person without a choice on the switch costs this one read.
        preference = await run_in_threadpool(registry.preferred_language, session=session,
                                             person_id=citizen.person_id)
    speak_to(request, preference)
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
    """Return the primary links and the account links this viewer may use, in the reader's language.

    Each staff link is offered by the same `Access` its page checks, so no link leads to a refusal.
    """
    public = [(_("Services"), "/services"), (_("Data catalogue"), "/data-catalogue")]
    if viewer.staff is not None:
        offered = [
            (None, _("Staff console"), "/staff"),
            (access.FIND_PERSONS, _("Find a person"), "/staff/persons"),
            (access.WORK_CASES, _("Case queue"), "/staff/cases"),
            (access.SEE_CX, _("Regions"), "/cx/regions"),
            (access.SEE_CX, _("Feedback"), "/cx/feedback"),
            (access.SEE_CX, _("Journeys"), "/cx/journeys"),
            (access.SEE_CX, _("Proactive services"), "/cx/proactive"),
            (access.KEEP_LEGAL_BASES, _("Legal bases"), "/admin/legal-bases"),
            (access.ADMINISTER, _("Administration"), "/admin"),
        ]
        primary = [(label, href) for needs, label, href in offered if needs is None or needs.allows(viewer.staff)]
        primary += public
    elif viewer.citizen is not None:
        primary = [(_("Home"), "/"), (_("My details"), "/me"), (_("My requests"), "/me/cases"),
                   (_("My data"), "/me/data"), (_("My consents"), "/me/consents"),
                   (_("Who used my data"), "/me/access-log"), (_("Inbox"), "/me/inbox"),
                   (_("Recommendations"), "/me/recommendations"), (_("My life events"), "/me/life-events"), *public]
    else:
        primary = [(_("Home"), "/"), *public]
    account = [] if viewer.signed_in or not viewer.known else [
        (_("Citizen sign-in"), "/citizen/sign-in"), (_("Staff sign-in"), "/sign-in"),
    ]
    # The longest matching link is the current one, so /staff/persons does not also light /staff.
    hrefs = [href for _label, href in primary + account]
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
    # Error pages are rendered outside a page router (and a crash page outside the middleware that
    # ran it): they still speak the reader's language.
    speak_to(request)
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
