"""Filters a person picks on a page: an empty choice ("All channels", a blank date) means "all".

A filter form sends every field it has, so "All channels" arrives as `channel=`. Declared as
`Filter[Channel]`, a query parameter turns that blank into None before it is validated, in one
place, instead of each route parsing strings of its own (or answering 422 to the form's default).
"""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import Query
from pydantic import BeforeValidator


def blank_is_none(value: Any) -> Any:
    """Return None for a blank string (what an unchosen form field sends), else `value` unchanged."""
    return None if isinstance(value, str) and not value.strip() else value


BlankIsNone = BeforeValidator(blank_is_none)

T = TypeVar("T")
# Use as `channel: Filter[Channel] = None`.
Filter = Annotated[T | None, BlankIsNone, Query()]
