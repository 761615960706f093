"""The reader's language: which one a request gets, its message catalogue, and how dates and money read in it.

Catalogues are gettext `.po` files under `govcx/locale/<language>/LC_MESSAGES/`, one file per part of
the product (`web.po`, `crm.po`, ...), merged when first used: each part keeps its own strings, so
two changes never fight over one file. They are read as text (Babel), so no compiled `.mo` file is
generated or committed.

The language of the request in hand lives in a context variable, so templates, macros and Python
code (a form's error message) all translate through the same `gettext` without passing it around.
Strings that are defined at import time (module constants) are marked with `N_` and translated
where they are shown.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, negotiate_locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from govcx.core.messages import N_ as N_  # re-exported: pages mark their constants with it

LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
COOKIE = "govcx_lang"

_current: ContextVar[str] = ContextVar("govcx_language", default=DEFAULT_LANGUAGE)
# The government's time zone (settings.time_zone): moments are shown as its clocks read them.
_zone: ContextVar[str] = ContextVar("govcx_time_zone", default="UTC")
# How each language writes a date in full; English keeps the day first, as the portal always has.
_LONG_DATE = {"en": "d MMMM y", "es": "d 'de' MMMM 'de' y"}


def supported(language: str | None) -> str | None:
    """The supported language `language` names ('es', 'es-MX', 'ES'), or None."""
    if not language:
        return None
    base = language.strip().replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else None


@lru_cache(maxsize=None)
def translations(language: str) -> NullTranslations:
    """Every catalogue of `language` merged into one; English is the source and needs none."""
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    merged: Translations | None = None
    for po_path in sorted((LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=language)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        part = Translations(fp=compiled)
        if merged is None:
            merged = part
        else:
            merged.merge(part)
    return merged or NullTranslations()


def current_language() -> str:
    return _current.get()


def set_language(language: str) -> None:
    """Make `language` the language of the request (or task) in hand."""
    _current.set(supported(language) or DEFAULT_LANGUAGE)


@contextmanager
def use_language(language: str) -> Iterator[None]:
    """Translate in `language` inside the block: an e-mail rendered for its reader, a test."""
    token = _current.set(supported(language) or DEFAULT_LANGUAGE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    return translations(_current.get()).ugettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ungettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return translations(_current.get()).upgettext(context, message)


_ = gettext



def choose_language(*, cookie: str | None, preference: str | None, accept_language: str | None) -> str:
    """The reader's choice on the switch, then their saved preference, then what the browser asks for.

    The registry gives everyone the default language until they choose, so a saved default cannot tell
    a choice from no choice: it yields to a browser that asks for another language.
    """
    if chosen := supported(cookie):
        return chosen
    if (chosen := supported(preference)) and chosen != DEFAULT_LANGUAGE:
        return chosen
    if accept_language:
        asked = []
        for part in accept_language.split(","):
            tag, _sep, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            if tag and quality > 0:
                asked.append((quality, tag.strip()))
        ordered = [tag.replace("-", "_") for _q, tag in sorted(asked, key=lambda item: -item[0])]
        chosen = negotiate_locale(ordered, list(LANGUAGES), sep="_")
        if chosen is None:
            chosen = next((s for tag in ordered if (s := supported(tag))), None)
        if chosen:
            return chosen
    return DEFAULT_LANGUAGE


def _locale() -> Locale:
    return Locale.parse(_current.get())


def time_zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` ('America/Bogota'); ValueError when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not a time zone name such as 'UTC' or 'America/New_York'.") from exc


def set_time_zone(name: str) -> None:
    """Show moments of the request (or task) in hand in the time zone `name`."""
    _zone.set(time_zone(name).key)


def current_time_zone() -> ZoneInfo:
    return ZoneInfo(_zone.get())


def _local(value: date | datetime) -> date | datetime:
    # A stored moment (aware, UTC) becomes the government's local time; a calendar date stays as it is.
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(current_time_zone())
    return value


def format_date(value: date | datetime, format: str = "long") -> str:
    """A date as the reader's language writes it: '3 March 2026' / '3 de marzo de 2026'.

    A moment counts on the day it was in the government's time zone, not in UTC.
    """
    local = _local(value)
    day = local.date() if isinstance(local, datetime) else local
    pattern = _LONG_DATE.get(_current.get(), format) if format == "long" else format
    return babel_dates.format_date(day, format=pattern, locale=_locale())


def format_datetime(value: datetime, format: str = "medium", tz: tzinfo | str | None = None) -> str:
    """A moment in the reader's language, in `tz`, else in the government's time zone."""
    return babel_dates.format_datetime(value, format=format, tzinfo=tz or current_time_zone(), locale=_locale())


def format_time(value: datetime, format: str = "short") -> str:
    """The time of day of a moment, in the government's time zone: '14:05' / '2:05 PM'."""
    return babel_dates.format_time(value, format=format, tzinfo=current_time_zone(), locale=_locale())


def format_duration(minutes: int) -> str:
    """Say a duration the way people do, in the reader's language: '1 hour 30 minutes', '3 días'."""
    days, rest = divmod(int(minutes), 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(num)d day", "%(num)d days", days) % {"num": days})
    if hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours})
    if minutes:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes})
    # The two largest units are precise enough: '3 days 4 hours', never '3 days 4 hours 1 minute'.
    return " ".join(parts[:2]) or ngettext("%(num)d minute", "%(num)d minutes", 0) % {"num": 0}


def format_number(value: int | float | Decimal) -> str:
    """A number grouped as the reader's language writes it: '12,345' / '12.345'."""
    return babel_numbers.format_decimal(value, locale=_locale())


def format_money(amount: int | float | Decimal, currency: str = "USD") -> str:
    return babel_numbers.format_currency(amount, currency, locale=_locale())


def format_percent(value: float | Decimal) -> str:
    return babel_numbers.format_percent(value, locale=_locale())


def is_untranslated(catalogue: NullTranslations, msgid: str | tuple[str, ...], context: str | None = None) -> bool:
    """Whether `catalogue` has no entry for the message (a word the same in both languages, such as
    'Web', is translated when its entry says so)."""
    entries = getattr(catalogue, "_catalog", {})
    singular = msgid[0] if isinstance(msgid, tuple) else msgid
    key = singular if context is None else f"{context}\x04{singular}"
    if isinstance(msgid, tuple):  # a plural: its forms are kept under (msgid, n)
        return not entries.get((key, 0))
    return not entries.get(key) and not singular.isdigit()
