"""Signed-in sessions, kept on the server so that signing out, an idle hour or a deactivated
account ends them at once, whatever copies of the cookie exist.

The cookie (signed by Starlette's session middleware) carries a random token; the store keeps
only the token's SHA-256, who it signs in, when it was last used and when it ends for good.
Every request that acts as someone reads that one row by primary key, joined to the staff
account, so a deactivated account or a deleted person (whose sessions the foreign key deletes)
is refused on the next request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, String, bindparam, delete, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from govcx.core.accounts import Role, StaffAccount
from govcx.core.clock import Clock
from govcx.core.db import Base

COOKIE_KEY = "sid"  # the token's name inside the signed cookie


class SignedInSession(Base):
    __tablename__ = "signed_in_session"
    __table_args__ = (
        CheckConstraint("(staff_id IS NULL) <> (person_id IS NULL)", name="one_identity"),
    )

    # SHA-256 of the cookie's token: a copy of this table signs no one in.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[UUID | None] = mapped_column(ForeignKey("staff_account.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[UUID | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime] = mapped_column(index=True)


@dataclass(frozen=True)
class Lifetime:
    """How long a session lasts: `idle` after its last use, `absolute` after signing in."""

    idle: timedelta
    absolute: timedelta

    @property
    def touch_every(self) -> timedelta:
        # Record use at most once a minute (or a tenth of the idle time): a read stays a read, and
        # a session still ends within `idle` of its last request, give or take this step.
        return min(timedelta(minutes=1), self.idle / 10)


@dataclass(frozen=True)
class SignedIn:
    """Whom a live session signs in: a member of staff (with their account's details) or a person."""

    staff_id: UUID | None
    person_id: UUID | None
    staff_name: str = ""
    staff_email: str = ""
    staff_role: Role | None = None
    staff_agency_id: UUID | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_table = SignedInSession.__table__
_staff = StaffAccount.__table__
# Built once: it runs on every signed-in request.
_LOOKUP = (
    select(_table.c.staff_id, _table.c.person_id, _table.c.last_seen_at, _table.c.ends_at,
           _staff.c.name, _staff.c.email, _staff.c.role, _staff.c.agency_id, _staff.c.is_active)
    .select_from(_table.outerjoin(_staff, _staff.c.id == _table.c.staff_id))
    .where(_table.c.id == bindparam("id"))
)


def start(
    *, session: Session, clock: Clock, lifetime: Lifetime, staff_id: UUID | None = None,
    person_id: UUID | None = None,
) -> str:
    """Open a session for one member of staff or one person; return the token the cookie carries."""
    if (staff_id is None) == (person_id is None):
        raise ValueError("A session signs in exactly one member of staff or one person.")
    now = clock.now()
    # Sign-in is the rare write here, so it also clears sessions that have ended on their own.
    session.execute(delete(SignedInSession).where(or_(
        SignedInSession.ends_at <= now, SignedInSession.last_seen_at <= now - lifetime.idle)))
    token = secrets.token_urlsafe(32)
    session.add(SignedInSession(id=_digest(token), staff_id=staff_id, person_id=person_id, created_at=now,
                                last_seen_at=now, ends_at=now + lifetime.absolute))
    session.flush()
    return token


def end(*, session: Session, token: str) -> None:
    """End the session `token` opened; every copy of its cookie stops working."""
    session.execute(delete(SignedInSession).where(SignedInSession.id == _digest(token)))


def resolve(*, session: Session, token: str, clock: Clock, lifetime: Lifetime) -> SignedIn | None:
    """Return whom the live session `token` signs in, recording its use; None once it has ended."""
    key = _digest(token)
    row = session.connection().execute(_LOOKUP, {"id": key}).one_or_none()
    if row is None:
        return None
    now = clock.now()
    if now >= row.ends_at or now >= row.last_seen_at + lifetime.idle:
        return None
    if row.staff_id is not None and not row.is_active:
        return None
    if now - row.last_seen_at >= lifetime.touch_every:
        # Through the ORM session, so the unit of work knows it wrote and commits.
        session.execute(update(SignedInSession).where(SignedInSession.id == key).values(last_seen_at=now))
    if row.staff_id is None:
        return SignedIn(staff_id=None, person_id=row.person_id)
    return SignedIn(staff_id=row.staff_id, person_id=None, staff_name=row.name, staff_email=row.email,
                    staff_role=row.role, staff_agency_id=row.agency_id)


def end_all_for_staff(*, session: Session, staff_id: UUID) -> int:
    """End every session of one member of staff (their account was disabled); return how many ended."""
    result = session.execute(delete(SignedInSession).where(SignedInSession.staff_id == staff_id))
    return result.rowcount or 0
