"""The sensitivity tags of the data catalogue are readable: white text on each colour passes WCAG AA."""

from __future__ import annotations

import re

from govcx.web import STATIC_DIR

TAG_RULE = re.compile(r"\.govcx-tag--(\w+)\s*\{\s*background-color:\s*#([0-9a-fA-F]{6});")
WHITE = "ffffff"  # .usa-tag's text colour
AA_NORMAL_TEXT = 4.5  # the tag's text is small (0.93rem) and not bold: the stricter ratio applies


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """The WCAG 2 contrast ratio of two sRGB colours written as six hex digits."""
    dark, light = sorted((_luminance(a), _luminance(b)))
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_matches_wcag() -> None:
    assert round(contrast("000000", "ffffff"), 1) == 21.0
    assert round(contrast("00a91c", WHITE), 2) == 3.14  # the green that failed in the walk (issue 14)


def test_every_sensitivity_tag_passes_aa_with_white_text() -> None:
    tags = dict(TAG_RULE.findall((STATIC_DIR / "govcx.css").read_text()))
    assert set(tags) == {"public", "internal", "personal", "sensitive"}
    failing = {name: round(contrast(colour, WHITE), 2) for name, colour in tags.items()
               if contrast(colour, WHITE) < AA_NORMAL_TEXT}
    assert not failing, f"tags below {AA_NORMAL_TEXT}:1 — {failing}"
