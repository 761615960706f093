"""Bounded input types: every schema and query parameter takes dates, names and free text through these.

One place decides what a reasonable date is, what a name may contain and how long free text may be,
so an edge value (year 1 in UTC+14, a line break in a name, a megabyte of "comment") is a 422 at the
door instead of an overflow, a refused e-mail header or an unbounded row further in.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, StringConstraints

# Far enough out for an old act's date or a long consent, far enough in that arithmetic on it
# (a window of days, a conversion to UTC) never leaves what Python and the stores can hold.
EARLIEST_YEAR = 1800
LATEST_YEAR = 2999

# Characters an XML 1.0 document cannot hold (and no text needs): C0 controls but tab, LF and CR;
# DEL and the C1 controls; lone surrogates; the two non-characters U+FFFE and U+FFFF.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")


def _reasonable_year(year: int) -> None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValueError(f"Give a date between the years {EARLIEST_YEAR} and {LATEST_YEAR}.")


def reasonable_datetime(value: datetime) -> datetime:
    """Return `value` in UTC (naive means UTC), or raise ValueError when it is outside the reasonable years."""
    # Checked on the value as given, before any conversion: converting year 1 at +14:00 overflows.
    _reasonable_year(value.year)
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC)


def reasonable_date(value: date) -> date:
    """Return `value`, or raise ValueError when it is outside the reasonable years."""
    _reasonable_year(value.year)
    return value


def parse_datetime(value: str) -> datetime:
    """Parse an ISO 8601 / W3C date and time into a reasonable UTC datetime, or raise ValueError."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("Not a date and time; write it like 2026-03-16T09:30:00Z.") from None
    return reasonable_datetime(parsed)


# A timestamp from outside: any offset, stored and compared in UTC.
AwareDatetime = Annotated[datetime, AfterValidator(reasonable_datetime)]
ReasonableDate = Annotated[date, AfterValidator(reasonable_date)]


# Fiscal quarters ------------------------------------------------------------------------------

_QUARTER = re.compile(r"^FY(\d{4})Q([1-4])$")


def fiscal_quarter_bounds(label: str, start_month: int) -> tuple[int, int, date, date]:
    """Parse a fiscal quarter named like FY2026Q1 (years named by their end); return its year, quarter,
    first day and the first day after it. Raise ValueError with the reason when it is not one."""
    match = _QUARTER.match(label.strip().upper())
    if not match:
        raise ValueError(f"'{label[:40]}' is not a fiscal quarter; write it like FY2026Q1.")
    year, quarter = int(match.group(1)), int(match.group(2))
    if not EARLIEST_YEAR < year <= LATEST_YEAR:
        raise ValueError(f"'{label[:40]}': give a fiscal year between {EARLIEST_YEAR + 1} and {LATEST_YEAR}.")
    month = (start_month - 1 + (quarter - 1) * 3) % 12 + 1
    first = date(year - 1 if start_month > 1 and month >= start_month else year, month, 1)
    later = first.month + 3
    return year, quarter, first, date(first.year + (later - 1) // 12, (later - 1) % 12 + 1, 1)


# Text -----------------------------------------------------------------------------------------


def strip_unprintable(text: str) -> str:
    """Remove the control characters no document format can carry (tab and line breaks stay)."""
    return _UNPRINTABLE.sub("", text)


def one_line(text: str) -> str:
    """Make `text` safe for a header or a single-line field: line breaks become spaces, controls go."""
    return strip_unprintable(_LINE_BREAKS.sub(" ", text)).replace("\t", " ")


def _no_controls(value: str) -> str:
    for char in value:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs"):
            raise ValueError("Control characters and line breaks are not allowed here.")
    return value


def clean_text(value: str) -> str:
    return strip_unprintable(value)


def name(max_length: int = 200) -> Any:
    """A person's, organization's or account's name: one line, no control characters, bounded."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length),
                     AfterValidator(_no_controls)]


def line(max_length: int = 200, *, min_length: int = 0) -> Any:
    """A single line of text (an address, a label): no control characters, bounded."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
                     AfterValidator(_no_controls)]


def free_text(max_length: int = 4000, *, min_length: int = 0) -> Any:
    """Free text (a description, a note, a comment): line breaks allowed, other controls removed, bounded."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length),
                     AfterValidator(clean_text)]


Name = name()
Line = line()
FreeText = free_text()


# Spreadsheets ---------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def spreadsheet_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text instead of running as a formula; numbers stay numbers."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START) or _NUMBER.match(value):
        return value
    return "'" + value
