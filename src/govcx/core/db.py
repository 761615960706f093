"""Engine, declarative base and the unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Engine, Enum, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from govcx.core.errors import NotFound

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Naive datetimes are refused: pass a timezone-aware one.")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def text_enum(kind: type[StrEnum]) -> Enum:
    """A column of `kind`'s values stored as plain strings with a CHECK.

    Not a native PostgreSQL enum: adding a member stays a small migration on both stores.
    """
    return Enum(kind, native_enum=False, length=32, values_callable=lambda members: [m.value for m in members],
                validate_strings=True, create_constraint=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine tuned for the store behind `url` (SQLite WAL + foreign keys, or PostgreSQL)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            from pathlib import Path

            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if parsed.drivername in ("postgresql", "postgres"):
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def has_writes(session: Session) -> bool:
    """Whether the session flushed or executed a change that a commit must make durable."""
    return bool(session.info.get(_WROTE)) or bool(session.new or session.dirty or session.deleted)


def finish(session: Session, *, failed: bool) -> list[Any]:
    """End a unit of work: commit (or roll back) and close; return the events to deliver."""
    from govcx.core import events  # events' tables need this module's Base

    try:
        if failed:
            session.rollback()
            events.take_pending(session)
            return []
        session.commit()
        return events.take_pending(session)
    except BaseException:
        session.rollback()
        events.take_pending(session)
        raise
    finally:
        session.close()


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Yield a session that commits once at the end, or rolls back on any error.

    Events published inside are written with the change and delivered only after the commit
    succeeded, so no other domain ever reacts to something that did not happen, and none misses
    what did (a crash before delivery leaves them to the worker).
    """
    from govcx.core import events

    session = factory()
    try:
        yield session
    except BaseException:
        finish(session, failed=True)
        raise
    events.dispatch(finish(session, failed=False))


_WROTE = "govcx_wrote"


@event.listens_for(Session, "after_flush")
def _mark_flush(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _mark_bulk_write(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def get_or_404(session: Session, model: type[Any], ident: Any, *, what: str | None = None) -> Any:
    """Load a row by primary key, or answer 404 naming what was missing."""
    row = session.get(model, ident)
    if row is None:
        raise NotFound(f"No {what or model.__tablename__.replace('_', ' ')} with id {ident}.")
    return row
