"""No page shows words that skip the catalogue: every visible string of every template is in `_()` or
`{% trans %}`, so a Spanish reader never meets an English sentence hard-coded in a template."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from govcx.web.templating import TEMPLATES_DIR, templates

# Attributes a person reads or hears (screen readers announce labels and alternative text).
READ_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder", "aria-description", "aria-roledescription"}
# Words that are the same in every language: the product's name.
UNTRANSLATED = {"govcx"}
HOLE = "\x1f"  # where a Jinja expression or statement was: its output is not the template's own text
LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)
# Markup that macros write outside a tag (class names, attribute fragments): not words anyone reads.
# Boolean attributes a macro writes into a tag, and addresses shown as themselves, are not words either.
MARKUP = re.compile(r'^[a-z][a-z0-9_]*(-{1,2}[a-z0-9_]+)+$|["=]|^-'
                    r'|^(selected|checked|disabled|required|hidden|readonly|multiple)$|^/[\w./-]*$|^https?://\S+$')


def template_text(source: str) -> str:
    """The template's own markup and text, with each Jinja construct replaced by a hole and the text
    inside `{% trans %}` blocks (which is translated) left out."""
    out: list[str] = []
    in_trans = False
    tokens = list(templates.env.lex(source))
    for i, (_line, kind, value) in enumerate(tokens):
        if kind == "block_begin":
            name = next((v for _l, k, v in tokens[i + 1:] if k not in ("whitespace",)), "")
            if name in ("trans", "pluralize"):
                in_trans = True
            elif name == "endtrans":
                in_trans = False
        if kind == "data" and not in_trans:
            out.append(value)
        elif kind in ("variable_begin", "block_begin"):
            out.append(HOLE)
    return "".join(out)


class _Visible(HTMLParser):
    """Collect text nodes and read attributes that still contain letters once holes are taken out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0  # inside <script> or <style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        read = {name for name in values if name in READ_ATTRIBUTES}
        is_button = tag == "button" or (tag == "input" and values.get("type") in ("submit", "button", "reset"))
        if is_button and "value" in values:
            read.add("value")
        for name in sorted(read):
            self._check(f'{tag} {name}="{values[name]}"', values[name] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._check("text", data)

    def _check(self, where: str, text: str) -> None:
        words = " ".join(w for w in text.replace(HOLE, " ").split() if w not in UNTRANSLATED and not MARKUP.search(w))
        if LETTERS.search(words):
            self.found.append(f"{where}: {words!r}")


def untranslated(source: str) -> list[str]:
    parser = _Visible()
    parser.feed(template_text(source))
    parser.close()
    return parser.found


TEMPLATES = sorted(p.relative_to(TEMPLATES_DIR).as_posix() for p in TEMPLATES_DIR.rglob("*.html"))


@pytest.mark.parametrize("name", TEMPLATES)
def test_the_template_has_no_visible_text_outside_the_catalogue(name: str) -> None:
    source = (TEMPLATES_DIR / name).read_text(encoding="utf-8")
    assert untranslated(source) == [], f"{name} shows text that is not marked for translation"


def test_the_check_finds_text_titles_labels_and_button_values_and_ignores_what_is_marked() -> None:
    found = untranslated(
        '<h1>Hello</h1><img alt="A flag" src="x"><nav aria-label="Main"></nav>'
        '<input type="submit" value="Send"><input type="text" value="{{ typed }}" placeholder="Your name">'
        '<p>{{ _("Marked") }} · {{ count }}</p><a title="{{ _(\'Home\') }}">{{ _("Home") }}</a>'
        "{% trans %}Inside a trans block{% endtrans %}{# a comment #}<script>var x = 1;</script>"
        "<p>42 · 2026</p><title>{{ t }} | govcx</title>"
        '{% macro m() %}usa-form-group--error aria-invalid="true"{% endmacro %}<p>Your e-mail</p>'
    )
    assert found == [
        "text: 'Hello'", "img alt=\"A flag\": 'A flag'", "nav aria-label=\"Main\": 'Main'",
        "input value=\"Send\": 'Send'", "input placeholder=\"Your name\": 'Your name'",
        "text: 'Your'",
    ]


def test_every_template_is_checked() -> None:
    assert len(TEMPLATES) > 40 and "base.html" in TEMPLATES and "crm/queue.html" in TEMPLATES
