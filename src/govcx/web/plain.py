"""Plain language for citizens: what the codes on their pages mean, in their language.

Purposes (W3C DPV names such as `ServiceProvision`), coded values a register keeps (`jobseeker`) and
typed values (money, dates) are shown as a person would say them. Names and descriptions of data come
from the data catalogue itself; these tables cover only what the catalogue has no words for. Each
string is marked with `N_` here and translated where it is shown.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from govcx.web.i18n import N_, format_date, format_money, format_number
from govcx.web.i18n import gettext as _
from govcx.web.i18n import ngettext

PURPOSES: dict[str, tuple[str, str]] = {
    "ServiceProvision": (N_("Providing a service"), N_(
        "To give you a service you applied for or use, for example to check whether you qualify.")),
    "LegalCompliance": (N_("A legal duty"), N_(
        "Because a law requires the agency to check or record this, even without your consent.")),
    "IdentityVerification": (N_("Confirming who you are"), N_(
        "To make sure it is really you before anything is done in your name.")),
    "FraudPreventionAndDetection": (N_("Preventing fraud"), N_(
        "To detect and stop fraud against you or against public funds.")),
    "CommunicationManagement": (N_("Keeping in touch"), N_(
        "To send you the messages you need about your services.")),
    "ServicePersonalisation": (N_("Suggesting services"), N_(
        "To suggest services you may need, only from data you chose to share for this.")),
    "ResearchAndDevelopment": (N_("Research and improving services"), N_(
        "To study how services work and improve them; never to decide anything about you.")),
}

# Coded values registers keep, as people say them.
VALUES: dict[str, str] = {
    "jobseeker": N_("Looking for work (registered jobseeker)"),
    "employed": N_("Employed"),
    "self_employed": N_("Self-employed"),
    "out_of_labour_force": N_("Not in work and not looking"),
    "retired": N_("Retired"),
    "student": N_("Student"),
    "resident": N_("Resident"),
    "non_resident": N_("Not resident"),
    "true": N_("Yes"), "yes": N_("Yes"), "false": N_("Not so"), "no": N_("Not so"),
}


def purpose(code: str) -> str:
    """The purpose's name in a few plain words."""
    return _(PURPOSES[code][0]) if code in PURPOSES else code


def purpose_explained(code: str) -> str:
    """One sentence that says what the purpose means for the person."""
    return _(PURPOSES[code][1]) if code in PURPOSES else ""


def value(raw: str, value_type: str = "string") -> str:
    """A value as the reader's language writes it: money, numbers and dates formatted, codes in words."""
    try:
        if value_type == "money":
            return format_money(Decimal(raw.replace(",", "")))
        if value_type in ("integer", "decimal"):
            return format_number(Decimal(raw.replace(",", "")))
        if value_type == "date":
            return format_date(date.fromisoformat(raw))
    except (InvalidOperation, ValueError):
        return raw
    label = VALUES.get(raw.strip().lower())
    return _(label) if label else raw


def data_name(name: str) -> str:
    """A data catalogue name in the reader's language (the catalogue is written in English)."""
    return _(name) if name else name


def duration(minutes: int) -> str:
    """A duration the way people say it, in their language: '20 minutes', '1 hour 30 minutes', '3 days'."""
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [ngettext("%(num)d day", "%(num)d days", days) % {"num": days} if days else "",
             ngettext("%(num)d hour", "%(num)d hours", hours) % {"num": hours} if hours else "",
             ngettext("%(num)d minute", "%(num)d minutes", minutes) % {"num": minutes} if minutes else ""]
    return " ".join([p for p in parts if p][:2]) or ngettext("%(num)d minute", "%(num)d minutes", 0) % {"num": 0}
