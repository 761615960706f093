"""Every page speaks English and Spanish: the switch, the browser's preference, and a complete catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir

from govcx.web import i18n

SOURCE = Path(i18n.__file__).resolve().parent.parent
# The extractors Babel runs over templates and Python code; keep in step with babel.cfg.
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}


def marked_messages() -> dict[tuple[str | None, str | tuple[str, ...]], str]:
    """Every string marked for translation in govcx (a plural as its forms), with where it was first found."""
    found: dict[tuple[str | None, str | tuple[str, ...]], str] = {}
    options = {"**/templates/**.html": JINJA_OPTIONS}
    for filename, lineno, message, _comments, context in extract_from_dir(
        SOURCE, method_map=METHODS, options_map=options, keywords={**DEFAULT_KEYWORDS, "N_": None},
    ):
        if isinstance(message, tuple):
            message = tuple(m for m in message if m)
            message = message[0] if len(message) == 1 else message
        if message:
            found.setdefault((context, message), f"{filename}:{lineno}")
    return found


def test_every_marked_string_has_a_spanish_translation() -> None:
    catalogue = i18n.translations("es")
    missing = [f"{where}: {msgid!r}" for (context, msgid), where in marked_messages().items()
               if i18n.is_untranslated(catalogue, msgid, context)]
    assert not missing, "No Spanish translation for:\n" + "\n".join(sorted(missing))


def test_plural_messages_and_marked_constants_are_checked_too() -> None:
    messages = marked_messages()
    assert (None, ("%(num)d day", "%(num)d days")) in messages
    assert (None, "Offers and services you may need") in messages  # marked with N_ in notify


def test_the_catalogue_reads_every_part(tmp_path: Path) -> None:
    assert i18n.translations("es").ugettext("Skip to main content") == "Saltar al contenido principal"
    with i18n.use_language("es"):
        assert i18n.gettext("Skip to main content") == "Saltar al contenido principal"
    assert i18n.gettext("Skip to main content") == "Skip to main content"


@pytest.mark.parametrize(("cookie", "preference", "header", "expected"), [
    (None, None, None, "en"),
    (None, None, "es-MX,es;q=0.9,en;q=0.5", "es"),
    (None, None, "fr-FR, en;q=0.1", "en"),
    (None, None, "fr, es;q=0.3", "es"),
    (None, None, "es;q=0, en", "en"),
    (None, "es", "en", "es"),
    (None, "en", "es", "es"),
    (None, "en", None, "en"),
    ("en", "es", "es", "en"),
    ("xx", None, "es", "es"),
])
def test_the_language_comes_from_the_switch_then_the_preference_then_the_browser(
    cookie: str | None, preference: str | None, header: str | None, expected: str,
) -> None:
    assert i18n.choose_language(cookie=cookie, preference=preference, accept_language=header) == expected


def test_the_browser_language_and_the_switch_choose_the_page_language(client) -> None:
    english = client.get("/")
    assert '<html lang="en">' in english.text and "Skip to main content" in english.text
    assert 'hreflang="es"' in english.text

    spanish = client.get("/", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert '<html lang="es">' in spanish.text and "Saltar al contenido principal" in spanish.text

    switched = client.get("/language/es", params={"next": "/services"}, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/services"
    assert '<html lang="es">' in client.get("/").text
    client.get("/language/en", params={"next": "/"})
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "es"}).text


def test_the_switch_refuses_unknown_languages_and_other_sites(client) -> None:
    unknown = client.get("/language/xx", follow_redirects=False)
    assert unknown.status_code == 404 and i18n.COOKIE not in unknown.cookies
    elsewhere = client.get("/language/es", params={"next": "//evil.example/"}, follow_redirects=False)
    assert elsewhere.headers["location"] == "/"


def test_no_string_is_translated_two_ways_across_the_catalogues() -> None:
    from babel.messages.pofile import read_po

    seen: dict[tuple[str | None, str], tuple[str, str]] = {}
    clashes = []
    for po_path in sorted((i18n.LOCALE_DIR / "es" / "LC_MESSAGES").glob("*.po")):
        with po_path.open("rb") as po_file:
            for message in read_po(po_file, locale="es"):
                if not message.id or not message.string:
                    continue
                key = (message.context, str(message.id))
                translation = str(message.string)
                if key in seen and seen[key][1] != translation:
                    clashes.append(f"{key[1]!r}: {seen[key][0]} says {seen[key][1]!r}, {po_path.name} says {translation!r}")
                seen.setdefault(key, (po_path.name, translation))
    assert not clashes, "One English string, two Spanish translations:\n" + "\n".join(clashes)
