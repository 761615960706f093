"""Cursor pagination: stable under inserts, cheap at any depth (keyset on time-ordered ids)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from govcx.core.errors import Invalid

ItemT = TypeVar("ItemT")

_CURSOR_VERSION = b"c1:"


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
