"""Who may act: agency API keys and staff accounts, with their roles and scopes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from govcx.core.bounded import one_line
from govcx.core.clock import Clock
from govcx.core.db import Base, text_enum
from govcx.core.errors import Conflict, Invalid
from govcx.core.events import publish
from govcx.core.ids import new_id


class Scope(StrEnum):
    """What an API key (or a staff role) is allowed to do. The one vocabulary of permissions."""

    REGISTRY_READ = "registry:read"
    REGISTRY_WRITE = "registry:write"
    REGISTRY_ADMIN = "registry:admin"
    STAFF_MANAGE = "staff:manage"
    CX_READ = "cx:read"  # CX dashboards: aggregate figures about people, never one person's record
    CRM_READ = "crm:read"  # a person's timeline, interactions and cases
    CRM_WRITE = "crm:write"  # record interactions; file and work cases
    VAULT_WRITE = "vault:write"  # record facts the agency is the authoritative source of
    CONSENT_REQUEST = "consent:request"  # ask people for consent, end the agency's own consents
    EXCHANGE_REQUEST = "exchange:request"  # ask for a person's data under a consent or a legal basis
    LEGAL_BASIS_ADMIN = "legal-basis:admin"  # keep the register of legal bases (platform_admin only)
    FEEDBACK_WRITE = "feedback:write"  # surveys, invitations, follow-up rules and follow-ups
    NOTIFY_SEND = "notify:send"  # send people messages through their chosen channels
    NOTIFY_ADMIN = "notify:admin"  # keep message templates and recommendation rules
    JOURNEYS_WRITE = "journeys:write"  # keep life events and journey maps
    EVENTS_WRITE = "events:write"  # send touchpoint events (a key a public web form may carry: it can only add)
    PROACTIVE_ADMIN = "proactive:admin"  # keep the agency's proactive service rules


class Role(StrEnum):
    STAFF = "staff"
    CX_ANALYST = "cx_analyst"
    AGENCY_ADMIN = "agency_admin"
    PLATFORM_ADMIN = "platform_admin"


ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.STAFF: frozenset({Scope.REGISTRY_READ, Scope.REGISTRY_WRITE, Scope.CRM_READ, Scope.CRM_WRITE}),
    Role.CX_ANALYST: frozenset({Scope.REGISTRY_READ, Scope.CX_READ, Scope.JOURNEYS_WRITE}),
    Role.AGENCY_ADMIN: frozenset({Scope.REGISTRY_READ, Scope.REGISTRY_WRITE, Scope.STAFF_MANAGE, Scope.CX_READ,
                                  Scope.CRM_READ, Scope.CRM_WRITE, Scope.FEEDBACK_WRITE,
                                  Scope.NOTIFY_SEND, Scope.NOTIFY_ADMIN, Scope.JOURNEYS_WRITE, Scope.PROACTIVE_ADMIN}),
    Role.PLATFORM_ADMIN: frozenset(Scope),
}
# What an agency's API key may hold. The register of legal bases is kept by platform administrators
# in person (their session), never by a key: an agency holding it could grant itself a law.
KEY_SCOPES: frozenset[Scope] = frozenset(Scope) - {Scope.LEGAL_BASIS_ADMIN}

KEY_PREFIX = "gcx"
_password_hasher = PasswordHasher()


class ApiKey(Base):
    __tablename__ = "api_key"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    agency_id: Mapped[UUID] = mapped_column(ForeignKey("agency.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    lookup: Mapped[str] = mapped_column(String(16), unique=True)
    # API keys carry 256 random bits, so a fast hash is as safe as a slow one and keeps auth cheap.
    secret_sha256: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class StaffAccount(Base):
    __tablename__ = "staff_account"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(text_enum(Role))
    agency_id: Mapped[UUID | None] = mapped_column(ForeignKey("agency.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    last_sign_in_at: Mapped[datetime | None]

    @property
    def scopes(self) -> frozenset[Scope]:
        """What the account's role may do (so an account can be checked like a signed-in member)."""
        return ROLE_SCOPES[self.role]


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def create_api_key(
    *, session: Session, agency_id: UUID, scopes: list[Scope], label: str, clock: Clock
) -> tuple[ApiKey, str]:
    """Create an API key for an agency; return the row and the key itself, which is never stored."""
    if not scopes:
        raise Invalid("An API key needs at least one scope.")
    refused = sorted(s.value for s in set(scopes) - KEY_SCOPES)
    if refused:
        raise Invalid(f"An API key cannot hold {', '.join(refused)}: a platform administrator does that, signed in.")
    lookup = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        agency_id=agency_id, label=label, lookup=lookup, secret_sha256=_sha256(secret),
        scopes=sorted({s.value for s in scopes}), created_at=clock.now(),
    )
    session.add(key)
    session.flush()
    return key, f"{KEY_PREFIX}_{lookup}_{secret}"


@dataclass(frozen=True)
class ApiKeyRevoked:
    lookup: str


def split_api_key(presented: str) -> tuple[str, str] | None:
    """Return the (lookup, secret) parts of a key as we hand them out, or None."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def key_scopes(stored: list[str]) -> frozenset[Scope]:
    """The scopes a stored key really holds: those a key may hold (a key made before a scope was withdrawn
    from keys loses it here), and none this version does not know."""
    known = {s.value for s in KEY_SCOPES}
    return frozenset(Scope(s) for s in stored if s in known)


def secret_matches(stored_sha256: str, secret: str) -> bool:
    return hmac.compare_digest(stored_sha256, _sha256(secret))


def verify_api_key(*, session: Session, presented: str) -> ApiKey | None:
    """Return the live key that `presented` is, or None."""
    parts = split_api_key(presented)
    if parts is None:
        return None
    key = session.scalars(select(ApiKey).where(ApiKey.lookup == parts[0])).one_or_none()
    if key is None or key.revoked_at is not None or not secret_matches(key.secret_sha256, parts[1]):
        return None
    return key


def revoke_api_key(*, session: Session, key_id: UUID, clock: Clock) -> None:
    """Revoke an API key; requests made with it are refused from now on."""
    key = session.get(ApiKey, key_id)
    if key is not None and key.revoked_at is None:
        key.revoked_at = clock.now()
        session.flush()
        publish(session, ApiKeyRevoked(lookup=key.lookup))


@dataclass(frozen=True)
class HashedPassword:
    """A staff password already hashed with argon2 (made only by `hash_password`)."""

    argon2: str = field(repr=False)


def hash_password(password: str) -> HashedPassword:
    """Check a staff password and hash it with argon2 (slow on purpose: bulk loads do it ahead, in threads)."""
    if len(password) < 12:
        raise Invalid("A staff password needs at least 12 characters.")
    return HashedPassword(_password_hasher.hash(password))


def create_staff(
    *, session: Session, email: str, name: str, password: str | HashedPassword, role: Role, agency_id: UUID | None,
    clock: Clock,
) -> StaffAccount:
    """Create a staff account; the password is kept only as an argon2 hash."""
    if isinstance(password, str) and len(password) < 12:  # refused before the slow hash
        raise Invalid("A staff password needs at least 12 characters.")
    name = name.strip()
    if not name or len(name) > 200 or one_line(name) != name:
        raise Invalid("A staff name is one line of at most 200 characters, without control characters.")
    if role is not Role.PLATFORM_ADMIN and agency_id is None:
        raise Invalid(f"A {role.value} account must belong to an agency.")
    email = email.strip().lower()
    if session.scalars(select(StaffAccount.id).where(StaffAccount.email == email)).first() is not None:
        raise Conflict(f"A staff account for {email} already exists.")
    hashed = password if isinstance(password, HashedPassword) else hash_password(password)
    account = StaffAccount(
        email=email, name=name, password_hash=hashed.argon2, role=role, agency_id=agency_id, created_at=clock.now(),
    )
    session.add(account)
    session.flush()
    return account


def authenticate_staff(*, session: Session, email: str, password: str, clock: Clock) -> StaffAccount | None:
    """Return the active account these credentials open, or None."""
    account = session.scalars(
        select(StaffAccount).where(StaffAccount.email == email.strip().lower())
    ).one_or_none()
    if account is None or not account.is_active:
        # Hash anyway so a wrong e-mail takes as long as a wrong password.
        _password_hasher.hash(password)
        return None
    try:
        _password_hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    account.last_sign_in_at = clock.now()
    session.flush()
    return account


def get_staff(*, session: Session, staff_id: UUID) -> StaffAccount | None:
    return session.get(StaffAccount, staff_id)


def list_staff(*, session: Session, agency_id: UUID) -> list[StaffAccount]:
    """Return an agency's active staff accounts, by name (for assigning work)."""
    return list(session.scalars(
        select(StaffAccount).where(StaffAccount.agency_id == agency_id, StaffAccount.is_active.is_(True))
        .order_by(StaffAccount.name, StaffAccount.id)
    ))


def staff_accounts(*, session: Session, agency_id: UUID | None) -> list[StaffAccount]:
    """Return every staff account, disabled ones too, of one agency (or of all, when `agency_id` is None)."""
    stmt = select(StaffAccount).order_by(StaffAccount.name, StaffAccount.id)
    if agency_id is not None:
        stmt = stmt.where(StaffAccount.agency_id == agency_id)
    return list(session.scalars(stmt))


def change_role(*, session: Session, staff_id: UUID, role: Role) -> StaffAccount:
    """Give a staff account another role; the next request it makes already acts with it."""
    account = session.get(StaffAccount, staff_id)
    if account is None:
        raise Invalid("No such staff account.")
    if role is not Role.PLATFORM_ADMIN and account.agency_id is None:
        raise Invalid(f"A {role.value} account must belong to an agency.")
    account.role = role
    session.flush()
    return account


def disable_staff(*, session: Session, staff_id: UUID) -> StaffAccount:
    """Disable a staff account: it cannot sign in, and its live sessions are refused (sessions.resolve)."""
    account = session.get(StaffAccount, staff_id)
    if account is None:
        raise Invalid("No such staff account.")
    account.is_active = False
    session.flush()
    return account


def api_keys(*, session: Session, agency_id: UUID | None) -> list[ApiKey]:
    """Return the API keys of one agency (or of all), newest first; rows hold only the secret's hash."""
    stmt = select(ApiKey).order_by(ApiKey.created_at.desc(), ApiKey.id)
    if agency_id is not None:
        stmt = stmt.where(ApiKey.agency_id == agency_id)
    return list(session.scalars(stmt))


def get_api_key(*, session: Session, key_id: UUID) -> ApiKey | None:
    return session.get(ApiKey, key_id)
