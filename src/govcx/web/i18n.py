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

from babel import Locale, negotiate_locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
DEFAULT_LANGUAGE = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
COOKIE = "govcx_lang"

_current: ContextVar[str] = ContextVar("govcx_language", default=DEFAULT_LANGUAGE)


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


def N_(message: str) -> str:
    """Mark `message` for the catalogue without translating it yet (a module constant)."""
    return message


def choose_language(*, cookie: str | None, preference: str | None, accept_language: str | None) -> str:
    """The reader's choice on the switch, then their saved preference, then what the browser asks for."""
    for choice in (cookie, preference):
        if chosen := supported(choice):
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


def format_date(value: date | datetime, format: str = "long") -> str:
    """A date as the reader's language writes it: '3 March 2026' / '3 de marzo de 2026'."""
    return babel_dates.format_date(value, format=format, locale=_locale())


def format_datetime(value: datetime, format: str = "medium", tz: tzinfo | str | None = None) -> str:
    """A moment in the reader's language, in `tz` (the reader's time zone) when given."""
    return babel_dates.format_datetime(value, format=format, tzinfo=tz, locale=_locale())


def format_number(value: int | float | Decimal) -> str:
    return babel_numbers.format_decimal(value, locale=_locale())


def format_money(amount: int | float | Decimal, currency: str = "USD") -> str:
    return babel_numbers.format_currency(amount, currency, locale=_locale())


def format_percent(value: float | Decimal) -> str:
    return babel_numbers.format_percent(value, locale=_locale())
