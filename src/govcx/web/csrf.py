"""A CSRF token per session, checked on every state-changing form post.

SameSite=lax cookies already stop most cross-site posts; the token also covers older browsers
and same-site attackers (another app on a sibling subdomain).
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Depends, Request

from govcx.core.auth import SignedInDep
from govcx.core.config import API_PREFIX
from govcx.core.errors import Forbidden, Unauthorized

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"  # what HTMX requests send instead of the form field
_SESSION_KEY = "csrf"


def token(request: Request) -> str:
    """Return this session's CSRF token, creating it on first use."""
    current = request.session.get(_SESSION_KEY)
    if not current:
        current = secrets.token_urlsafe(32)
        request.session[_SESSION_KEY] = current
    return current


def renew(request: Request) -> None:
    """Give the session a fresh token (after signing in or out)."""
    request.session[_SESSION_KEY] = secrets.token_urlsafe(32)


async def _verify(request: Request, signed_in: SignedInDep) -> None:
    if signed_in is None and (request.url.path + "/").startswith(API_PREFIX + "/"):
        # The API's cookie routes act only for someone signed in: say so, rather than blame a token.
        raise Unauthorized("Sign in first: this address acts for the signed-in person, with their session cookie.")
    expected = request.session.get(_SESSION_KEY)
    sent = request.headers.get(HEADER)
    if sent is None:
        form = await request.form()  # Starlette caches the parsed form for the route's own fields.
        field = form.get(FIELD)
        sent = field if isinstance(field, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise Forbidden("This form has expired or did not come from govcx. Go back, reload the page and try again.")


CsrfProtected = Depends(_verify)
