"""`make messages` says what is left to translate."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from govcx.web.untranslated import main, untranslated


def _template(path: Path) -> Path:
    catalog = Catalog(project="govcx")
    catalog.add("Skip to main content")
    catalog.add("A sentence nobody has translated yet")
    catalog.add(("%(num)d day", "%(num)d days"))
    catalog.add(("%(num)d fortnight", "%(num)d fortnights"))
    with path.open("wb") as pot:
        write_po(pot, catalog)
    return path


def test_the_messages_without_a_translation_are_listed(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    pot = _template(tmp_path / "messages.pot")

    assert untranslated(pot, "es") == ["A sentence nobody has translated yet", "%(num)d fortnight"]
    assert main([str(pot)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "es: 2 message(s) without a translation"
