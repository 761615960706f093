"""Marking a domain's messages for translation without the domain knowing the web layer.

A service's error ("The case is already there.") is written in English and marked with `N_`, so the
catalogue extractor finds it; the page that shows it translates it into the reader's language.
"""


def N_(message: str) -> str:  # noqa: N802 - the gettext convention the extractor looks for
    """Mark `message` for the catalogue without translating it yet."""
    return message
