"""What is left to translate: `python -m govcx.web.untranslated build/messages.pot` (run by `make messages`)
lists each message of the gettext template that a language's catalogues do not translate yet."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po

from govcx.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, is_untranslated, translations


def untranslated(template: Path, language: str) -> list[str]:
    """The messages of a gettext template (`make messages`) that `language`'s catalogues lack."""
    with template.open("rb") as pot:
        catalog = read_po(pot)
    known = translations(language)
    return [message.id[0] if isinstance(message.id, tuple) else message.id
            for message in catalog if message.id and is_untranslated(known, message.id, message.context)]


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m govcx.web.untranslated MESSAGES.pot", file=sys.stderr)
        return 2
    for code in LANGUAGES:
        if code != DEFAULT_LANGUAGE:
            left = untranslated(Path(argv[0]), code)
            print(f"{code}: {len(left)} message(s) without a translation")
            for text in left:
                print(f"  {text!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
