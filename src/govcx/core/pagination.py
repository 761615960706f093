"""Cursor pagination: stable under inserts, cheap at any depth (keyset on time-ordered ids)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from govcx.core.errors import Invalid

ItemT = TypeVar("ItemT")

_CURSOR_VERSION = b"c1:"
_DATED_CURSOR_VERSION = b"d1:"


def encode_cursor(last_id: UUID) -> str:
    return base64.urlsafe_b64encode(_CURSOR_VERSION + last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if not raw.startswith(_CURSOR_VERSION) or len(raw) != len(_CURSOR_VERSION) + 16:
        raise Invalid("The cursor is not one this API handed out; start again without it.")
    return UUID(bytes=raw[len(_CURSOR_VERSION):])


@dataclass(frozen=True)
class PageParams:
    cursor: str | None
    limit: int


async def _page_params(
    cursor: Annotated[str | None, Query(description="Opaque cursor from a previous page's next_cursor.")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Items per page.")] = 50,
) -> PageParams:
    return PageParams(cursor=cursor, limit=limit)


PageParamsDep = Annotated[PageParams, Depends(_page_params)]


class CursorPage(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    next_cursor: str | None = None


def paginate(
    session: Session, stmt: Select[Any], *, id_column: InstrumentedAttribute[UUID], page: PageParams
) -> tuple[list[Any], str | None]:
    """Return one page of `stmt`'s rows in id order, and the cursor of the next page if any."""
    if page.cursor:
        stmt = stmt.where(id_column > decode_cursor(page.cursor))
    rows = list(session.scalars(stmt.order_by(id_column).limit(page.limit + 1)))
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        return rows, encode_cursor(rows[-1].id)
    return rows, None


def encode_dated_cursor(day: date, last_id: UUID) -> str:
    return base64.urlsafe_b64encode(_DATED_CURSOR_VERSION + day.isoformat().encode() + last_id.bytes).decode().rstrip("=")


def decode_dated_cursor(cursor: str) -> tuple[date, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if not raw.startswith(_DATED_CURSOR_VERSION) or len(raw) != len(_DATED_CURSOR_VERSION) + 10 + 16:
            raise ValueError
        body = raw[len(_DATED_CURSOR_VERSION):]
        return date.fromisoformat(body[:10].decode()), UUID(bytes=body[10:])
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Invalid("The cursor is not one this page handed out; start again without it.") from None


def paginate_by_date(
    session: Session, stmt: Select[Any], *, date_column: InstrumentedAttribute[date],
    id_column: InstrumentedAttribute[UUID], page: PageParams,
) -> tuple[list[Any], str | None]:
    """Return one page of `stmt`'s rows oldest first by `date_column` (ties in id order), and the next cursor."""
    # Ids are time-ordered by when a row was written, not by the day it is about (a bulk load, a
    # late import): a list that says "oldest first" must order by the day itself.
    if page.cursor:
        day, last_id = decode_dated_cursor(page.cursor)
        stmt = stmt.where(or_(date_column > day, and_(date_column == day, id_column > last_id)))
    rows = list(session.scalars(stmt.order_by(date_column, id_column).limit(page.limit + 1)))
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        return rows, encode_dated_cursor(getattr(rows[-1], date_column.key), rows[-1].id)
    return rows, None
