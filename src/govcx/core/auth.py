"""Who is asking, and may they: every permission check in govcx goes through `authorize`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader

from govcx.core import accounts
from govcx.core.accounts import ROLE_SCOPES, Role, Scope
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


def _agency_client(
    session: SessionDep, presented: Annotated[str | None, Depends(_api_key_header)]
) -> AgencyClient:
    if not presented:
        raise Unauthorized("Send an agency API key in the X-API-Key header.")
    key = accounts.verify_api_key(session=session, presented=presented)
    if key is None:
        raise Unauthorized("The API key is unknown or revoked.")
    return AgencyClient(key_id=key.id, agency_id=key.agency_id, scopes=frozenset(Scope(s) for s in key.scopes))


SESSION_STAFF = "staff_id"
SESSION_PERSON = "person_id"


def _staff_member(request: Request, session: SessionDep) -> StaffMember:
    staff_id = request.session.get(SESSION_STAFF)
    account = accounts.get_staff(session=session, staff_id=UUID(staff_id)) if staff_id else None
    if account is None or not account.is_active:
        raise Unauthorized("Sign in as staff first.")
    return StaffMember(
        id=account.id, name=account.name, email=account.email, role=account.role, agency_id=account.agency_id
    )


def _optional_staff(request: Request, session: SessionDep) -> StaffMember | None:
    try:
        return _staff_member(request, session)
    except Unauthorized:
        return None


async def _citizen(request: Request) -> Citizen:
    person_id = request.session.get(SESSION_PERSON)
    if not person_id:
        raise Unauthorized("Sign in first.")
    return Citizen(person_id=UUID(person_id))


async def _optional_citizen(request: Request) -> Citizen | None:
    person_id = request.session.get(SESSION_PERSON)
    return Citizen(person_id=UUID(person_id)) if person_id else None


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
