"""Remove personal data from free text before it is stored: e-mail addresses, phone numbers, national ids.

Deliberately greedy: a false positive costs a word of a comment; a miss leaks a person's data into
every analysis downstream.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
# Personal identity codes (DDMMYY, century sign, serial, check character), labelled ids such as
# NID-7700-1234, and US-style SSNs.
NATIONAL_ID = re.compile(
    r"\b\d{6}[-+A]\d{3}[0-9A-Z]\b|\bNID[-\s]?[\dA-Z][\dA-Z-]{3,}\b|\b\d{3}-\d{2}-\d{4}\b", re.IGNORECASE
)
# Seven or more digits, with the spaces, dots, dashes, brackets and leading + phone numbers carry.
PHONE = re.compile(r"(?<![\w])\+?\(?\d(?:[\s.\-()]*\d){6,}(?![\w])")

PLACEHOLDERS = (("[email]", EMAIL), ("[national id]", NATIONAL_ID), ("[phone]", PHONE))


def redact(text: str) -> str:
    """Return `text` with e-mails, national ids and phone numbers replaced by placeholders."""
    for placeholder, pattern in PLACEHOLDERS:
        text = pattern.sub(placeholder, text)
    return text
