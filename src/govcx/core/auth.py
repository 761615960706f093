"""Who is asking, and may they: every permission check in govcx goes through `authorize`."""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request
from cachetools import TTLCache
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from govcx.core import accounts, sessions
from govcx.core.accounts import ROLE_SCOPES, Role, Scope
from govcx.core.clock import Clock
from govcx.core.config import Settings
from govcx.core.deps import SessionDep
from govcx.core.errors import Forbidden, Unauthorized


@dataclass(frozen=True)
class AgencyClient:
    """An agency's system, authenticated by an API key."""

    key_id: UUID
    agency_id: UUID
    scopes: frozenset[Scope]

    @property
    def platform_wide(self) -> bool:
        return False


@dataclass(frozen=True)
class StaffMember:
    """A signed-in member of staff."""

    id: UUID
    name: str
    email: str
    role: Role
    agency_id: UUID | None

    @property
    def scopes(self) -> frozenset[Scope]:
        return ROLE_SCOPES[self.role]

    @property
    def platform_wide(self) -> bool:
        return self.role is Role.PLATFORM_ADMIN


@dataclass(frozen=True)
class Citizen:
    """A signed-in person, acting for themselves."""

    person_id: UUID


Actor = AgencyClient | StaffMember


def authorize(actor: Actor, scope: Scope, *, agency_id: UUID | None = None) -> None:
    """Refuse unless `actor` holds `scope` and, for an agency's own things, belongs to that agency."""
    if scope not in actor.scopes:
        raise Forbidden(f"This action needs the '{scope.value}' permission.", required_scope=scope.value)
    if agency_id is not None and not actor.platform_wide and actor.agency_id != agency_id:
        raise Forbidden("This belongs to another agency.")


_api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An agency API key (`govcx admin create-agency-key`)."
)


class VerifiedKeys:
    """API keys verified a short while ago, so most requests skip a query and a thread hop.

    A revocation in this process evicts its key at once (`ApiKeyRevoked`); one made by another
    process (the CLI, another worker) takes effect within `ttl_seconds`.
    """

    def __init__(self, *, clock: Clock, ttl_seconds: float = 30, size: int = 10_000) -> None:
        self._entries: TTLCache[str, tuple[str, AgencyClient]] = TTLCache(
            maxsize=size, ttl=ttl_seconds, timer=lambda: clock.now().timestamp()
        )
        self._lock = threading.Lock()

    def get(self, lookup: str, secret: str) -> AgencyClient | None:
        with self._lock:
            entry = self._entries.get(lookup)
        if entry is None or not accounts.secret_matches(entry[0], secret):
            return None
        return entry[1]

    def put(self, lookup: str, secret_sha256: str, client: AgencyClient) -> None:
        with self._lock:
            self._entries[lookup] = (secret_sha256, client)

    def on_revoked(self, event: accounts.ApiKeyRevoked) -> None:
        with self._lock:
            self._entries.pop(event.lookup, None)


async def _agency_client(
    request: Request, session: SessionDep, presented: Annotated[str | None, Depends(_api_key_header)]
) -> AgencyClient:
    if not presented:
        raise Unauthorized("Send an agency API key in the X-API-Key header.")
    parts = accounts.split_api_key(presented)
    if parts is None:
        raise Unauthorized("The API key is unknown or revoked.")
    verified: VerifiedKeys = request.app.state.verified_keys
    client = verified.get(*parts)
    if client is None:
        key = await run_in_threadpool(accounts.verify_api_key, session=session, presented=presented)
        if key is None:
            raise Unauthorized("The API key is unknown or revoked.")
        client = AgencyClient(key_id=key.id, agency_id=key.agency_id, scopes=accounts.key_scopes(key.scopes))
        verified.put(parts[0], key.secret_sha256, client)
    return client


async def agency_client_from_key(request: Request, session: Session, presented: str | None) -> AgencyClient:
    """The agency client a presented key stands for (for a route that takes its key from elsewhere than
    the header, such as a beacon's body), or a 401."""
    return await _agency_client(request, session, presented)


def session_lifetime(settings: Settings) -> sessions.Lifetime:
    return sessions.Lifetime(idle=timedelta(minutes=settings.session_idle_minutes),
                             absolute=timedelta(hours=settings.session_max_hours))


async def _signed_in(request: Request, session: SessionDep) -> sessions.SignedIn | None:
    # Once per request however many dependencies ask (FastAPI caches it), and only a request whose
    # cookie carries a session token pays for the read, on a worker thread.
    token = request.session.get(sessions.COOKIE_KEY)
    if not isinstance(token, str) or not token:
        return None
    return await run_in_threadpool(sessions.resolve, session=session, token=token, clock=request.app.state.clock,
                                   lifetime=session_lifetime(request.app.state.settings))


SignedInDep = Annotated[sessions.SignedIn | None, Depends(_signed_in)]


def _as_staff(signed_in: sessions.SignedIn | None) -> StaffMember | None:
    if signed_in is None or signed_in.staff_id is None or signed_in.staff_role is None:
        return None
    return StaffMember(id=signed_in.staff_id, name=signed_in.staff_name, email=signed_in.staff_email,
                       role=signed_in.staff_role, agency_id=signed_in.staff_agency_id)


def _as_citizen(signed_in: sessions.SignedIn | None) -> Citizen | None:
    if signed_in is None or signed_in.person_id is None:
        return None
    return Citizen(person_id=signed_in.person_id)


async def _staff_member(signed_in: SignedInDep) -> StaffMember:
    staff = _as_staff(signed_in)
    if staff is None:
        raise Unauthorized("Sign in as staff first.")
    return staff


async def _optional_staff(signed_in: SignedInDep) -> StaffMember | None:
    return _as_staff(signed_in)


async def _citizen(signed_in: SignedInDep) -> Citizen:
    citizen = _as_citizen(signed_in)
    if citizen is None:
        raise Unauthorized("Sign in first.")
    return citizen


async def _optional_citizen(signed_in: SignedInDep) -> Citizen | None:
    return _as_citizen(signed_in)


def require_scope(scope: Scope):  # noqa: ANN201 - returns a FastAPI dependency
    """A dependency that admits agency clients holding `scope`."""

    async def check(client: Annotated[AgencyClient, Depends(_agency_client)]) -> AgencyClient:
        authorize(client, scope)
        return client

    return Depends(check)


CurrentAgencyClient = Annotated[AgencyClient, Depends(_agency_client)]
CurrentStaff = Annotated[StaffMember, Depends(_staff_member)]
OptionalStaff = Annotated[StaffMember | None, Depends(_optional_staff)]
CurrentCitizen = Annotated[Citizen, Depends(_citizen)]
OptionalCitizen = Annotated[Citizen | None, Depends(_optional_citizen)]


async def _actor(
    request: Request, session: SessionDep, presented: Annotated[str | None, Depends(_api_key_header)],
    signed_in: SignedInDep,
) -> Actor:
    # A signed-in member of staff acts as themselves; otherwise an agency system shows its key.
    staff = _as_staff(signed_in)
    if staff is not None and not presented:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            # A cookie rides along on cross-site posts: a write must also show the session's CSRF token.
            expected, sent = request.session.get("csrf"), request.headers.get("X-CSRF-Token")
            if not expected or not sent or not hmac.compare_digest(expected, sent):
                raise Forbidden("Send the session's CSRF token in the X-CSRF-Token header.")
        return staff
    return await _agency_client(request, session, presented)


CurrentActor = Annotated[Actor, Depends(_actor)]
