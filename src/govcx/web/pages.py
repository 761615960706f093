"""The shell's own pages: home, staff sign-in and out, and the citizens' development sign-in."""

from __future__ import annotations

from typing import Annotated

from uuid import UUID

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from govcx.core import accounts, sessions
from govcx.core.auth import OptionalCitizen, session_lifetime
from govcx.core.clock import Clock
from govcx.core.config import Settings
from govcx.core.deps import CipherDep, ClockDep, SessionDep, SettingsDep
from govcx.core.errors import Forbidden, NotFound
from govcx.registry import service as registry
from govcx.registry.schemas import PersonUpdate
from govcx.web import csrf, i18n
from govcx.web.i18n import gettext as _
from govcx.web.csrf import CsrfProtected
from govcx.web.ratelimit import SignInLimiterDep, client_address
from govcx.web.templating import page_router, render

router = page_router()

FormText = Annotated[str, Form()]
NextQuery = Annotated[str, Query(alias="next")]  # where to go after signing in
NextField = Annotated[str, Form(alias="next")]


def safe_next(target: str, default: str) -> str:
    """Return `target` when it is a path on this site, else `default` (no open redirects)."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def _start_session(
    request: Request, session: Session, clock: Clock, settings: Settings, *, staff_id: UUID | None = None,
    person_id: UUID | None = None,
) -> None:
    # A new identity gets a new session: nothing from before signing in carries over, and the
    # session it replaces ends on the server too.
    _end_session(request, session)
    request.session[sessions.COOKIE_KEY] = sessions.start(
        session=session, clock=clock, lifetime=session_lifetime(settings), staff_id=staff_id, person_id=person_id)


def _end_session(request: Request, session: Session) -> None:
    token = request.session.get(sessions.COOKIE_KEY)
    if isinstance(token, str) and token:
        sessions.end(session=session, token=token)
    request.session.clear()
    csrf.renew(request)


def _see_other(target: str) -> Response:
    return RedirectResponse(target, status_code=303)


@router.get("/")
def home(request: Request) -> Response:
    return render(request, "home.html")


@router.get("/sign-in")
def sign_in_form(request: Request, next_url: NextQuery = "") -> Response:
    return render(request, "sign_in.html", {"email": "", "error": None, "next": next_url})


@router.post("/sign-in", dependencies=[CsrfProtected])
def sign_in(
    request: Request, session: SessionDep, clock: ClockDep, settings: SettingsDep, limiter: SignInLimiterDep,
    email: FormText = "", password: FormText = "", next_url: NextField = "",
) -> Response:
    limiter.hit(client=client_address(request), account=email)
    if not email.strip() or not password:
        error, status = _("Enter your e-mail address and your password."), 422
    elif account := accounts.authenticate_staff(session=session, email=email, password=password, clock=clock):
        _start_session(request, session, clock, settings, staff_id=account.id)
        return _see_other(safe_next(next_url, "/staff"))
    else:
        # One message for an unknown e-mail and a wrong password: no one learns who has an account.
        error, status = _("That e-mail address and password do not match an active staff account."), 401
    return render(request, "sign_in.html", {"email": email, "error": error, "next": next_url}, status_code=status)


@router.post("/sign-out", dependencies=[CsrfProtected])
def sign_out(request: Request, session: SessionDep) -> Response:
    _end_session(request, session)
    return _see_other("/")


def _development_only(settings: Settings) -> None:
    if settings.is_production:
        raise Forbidden(_(
            "The development sign-in is switched off in production. "
            "Sign in through the government's identity provider instead."
        ))


@router.get("/citizen/sign-in")
def citizen_sign_in_form(request: Request, settings: SettingsDep, next_url: NextQuery = "") -> Response:
    _development_only(settings)
    return render(request, "citizen_sign_in.html", {"national_id": "", "error": None, "next": next_url})


@router.post("/citizen/sign-in", dependencies=[CsrfProtected])
def citizen_sign_in(
    request: Request, session: SessionDep, clock: ClockDep, cipher: CipherDep, settings: SettingsDep,
    limiter: SignInLimiterDep,
    national_id: FormText = "", next_url: NextField = "",
) -> Response:
    _development_only(settings)
    limiter.hit(client=client_address(request), account=national_id)
    if not national_id.strip():
        error = _("Enter your national id.")
    elif person := registry.find_person_by_national_id(session=session, cipher=cipher, national_id=national_id):
        _start_session(request, session, clock, settings, person_id=person.id)
        return _see_other(safe_next(next_url, "/me"))
    else:
        error = _("No registered person has that national id. Check it and try again.")
    context = {"national_id": national_id, "error": error, "next": next_url}
    return render(request, "citizen_sign_in.html", context, status_code=422)


LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def remember_language(response: Response, language: str, settings: Settings) -> None:
    """Keep the reader's choice of language in a cookie, which wins over every other signal."""
    response.set_cookie(i18n.COOKIE, language, max_age=LANGUAGE_COOKIE_SECONDS, httponly=True, samesite="lax",
                        secure=settings.is_production)


@router.get("/language/{code}")
def switch_language(
    code: str, settings: SettingsDep, session: SessionDep, clock: ClockDep, citizen: OptionalCitizen,
    target: NextQuery = "/",
) -> Response:
    """The visible language switch: remember the choice in a cookie and go back to the page.

    A signed-in person's choice is also saved as their preferred language, so government speaks to
    them in it on any device and in its messages.
    """
    language = i18n.supported(code)
    if language is None:
        raise NotFound(_("govcx is not available in '%(code)s'.") % {"code": code[:16]})
    if citizen is not None:
        registry.update_person(session=session, person_id=citizen.person_id, clock=clock,
                               data=PersonUpdate(preferred_language=language))
    response = _see_other(safe_next(target, "/"))
    remember_language(response, language, settings)
    return response
