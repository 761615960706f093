"""The demo country's people and businesses, drawn from a seed.

Everything here is a pure function of a `random.Random` and pools drawn once from Faker, so the
same seed gives the same people. Faker is called a few thousand times to fill the pools, never
once per person: drawing from the pools is what keeps 100,000 people to a few seconds.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from faker import Faker

from govcx.demo.country import BANKS, PERSON_MAIL_DOMAINS, PHONE_PREFIX, SECTORS
from govcx.demo.geography import CAPITAL_CODE, RegionPlan, Town, apportion
from govcx.registry.models import Channel

# Ages are counted to this day, not to today, so a seed gives the same birth dates any day it runs.
REFERENCE_DATE = date(2026, 1, 1)
SPANISH_SHARE = 0.15
# Share of households of each size (persons per household averages about 2.4).
HOUSEHOLD_SIZES = {1: 0.29, 2: 0.33, 3: 0.16, 4: 0.14, 5: 0.06, 6: 0.02}
ADULT_AGE = 18
# Preferred channel by age: the young lean to apps, the old to the phone and the counter.
CHANNELS_BY_AGE: tuple[tuple[int, dict[Channel, float]], ...] = (
    (35, {Channel.WEB: 42, Channel.APP: 30, Channel.PHONE: 7, Channel.EMAIL: 8, Channel.CHAT: 7,
          Channel.IN_PERSON: 4, Channel.SMS: 2}),
    (65, {Channel.WEB: 45, Channel.APP: 15, Channel.PHONE: 15, Channel.EMAIL: 10, Channel.IN_PERSON: 9,
          Channel.MAIL: 4, Channel.CHAT: 2}),
    (200, {Channel.WEB: 20, Channel.PHONE: 30, Channel.IN_PERSON: 28, Channel.MAIL: 14, Channel.EMAIL: 6,
           Channel.APP: 2}),
)
_CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"


@dataclass(frozen=True)
class LocalePool:
    """Names, streets and companies of one language community, drawn once from Faker."""

    language: str
    male: tuple[str, ...]
    female: tuple[str, ...]
    family: tuple[str, ...]
    streets: tuple[str, ...]
    companies: tuple[str, ...]


# Misspellings in Faker's own word lists, put right so the demo reads as real.
_FAKER_TYPOS = {"Corporacin ": "Corporación "}


def _draw(fakers: list[Faker], method: str, n: int) -> tuple[str, ...]:
    # Drawn with repetition on purpose: common names stay common, as Faker weights them.
    drawn = [getattr(fakers[k % len(fakers)], method)() for k in range(n)]
    for wrong, right in _FAKER_TYPOS.items():
        drawn = [value.replace(wrong, right) for value in drawn]
    return tuple(drawn)


def seeded(seed: int, part: str) -> random.Random:
    """A random stream for one part of the country; one per part, so drawing more businesses never
    changes who the people are."""
    return random.Random(f"govcx-demo:{seed}:{part}")


@functools.lru_cache(maxsize=4)
def build_pools(*, seed: int) -> dict[str, LocalePool]:
    """Draw the name, street and company pools for English and Spanish speakers (once per seed and process)."""
    rng = seeded(seed, "pools")
    pools = {}
    for language, locales in (("en", ["en_US", "en_GB"]), ("es", ["es_ES", "es_MX"])):
        fakers = []
        for locale in locales:
            fake = Faker(locale)
            fake.seed_instance(rng.getrandbits(32))
            fakers.append(fake)
        pools[language] = LocalePool(
            language=language, male=_draw(fakers, "first_name_male", 600),
            female=_draw(fakers, "first_name_female", 600), family=_draw(fakers, "last_name", 1500),
            streets=_draw(fakers, "street_name", 800), companies=_draw(fakers, "company", 2000),
        )
    return pools


class NationalIds:
    """Personal identity codes: birth date, century sign, a serial (odd for men) and a check character."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._next: dict[tuple[date, bool], int] = {}

    def issue(self, *, birth_date: date, male: bool) -> str:
        key = (birth_date, male)
        if key not in self._next:
            self._next[key] = self._rng.randrange(0, 60)
        slot = self._next[key]
        self._next[key] = slot + 1
        if slot >= 449:
            raise ValueError(f"More than 449 {'men' if male else 'women'} born on {birth_date}: no serial left.")
        serial = 2 + 2 * slot + (1 if male else 0)
        digits = birth_date.strftime("%d%m%y")
        sign = "-" if birth_date.year < 2000 else "A"
        return f"{digits}{sign}{serial:03d}{_CHECK_CHARS[int(f'{digits}{serial:03d}') % 31]}"


class BusinessIds:
    """Business ids: seven digits and a mod-11 check digit, increasing from a random start."""

    _WEIGHTS = (7, 9, 10, 5, 8, 4, 2)

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._value = rng.randint(1_000_000, 1_400_000)

    def issue(self) -> str:
        while True:
            self._value += self._rng.randint(1, 40)
            digits = f"{self._value:07d}"
            remainder = sum(int(d) * w for d, w in zip(digits, self._WEIGHTS, strict=True)) % 11
            if remainder != 1:  # a remainder of 1 has no check digit: the number is never issued
                return f"{digits}-{0 if remainder == 0 else 11 - remainder}"


_ascii_cache: dict[str, str] = {}


def _mailbox_part(name: str) -> str:
    if name not in _ascii_cache:
        plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        _ascii_cache[name] = "".join(ch for ch in plain.lower() if ch.isalnum()) or "x"
    return _ascii_cache[name]


@dataclass
class Household:
    region_code: str
    language: str
    members: list[dict[str, Any]]


class PeopleDrawer:
    """Draws households region by region; the same seed and sizes give the same people."""

    def __init__(self, *, rng: random.Random, pools: dict[str, LocalePool]) -> None:
        self._rng = rng
        self._pools = pools
        self._ids = NationalIds(rng)
        self._sizes = list(HOUSEHOLD_SIZES)
        self._size_weights = list(HOUSEHOLD_SIZES.values())
        self._channels = [(limit, list(w), list(w.values())) for limit, w in CHANNELS_BY_AGE]

    def households(self, *, regions: list[RegionPlan], people: int) -> Iterator[Household]:
        """Yield households until every region holds exactly its apportioned number of people."""
        counts = apportion(total=people, shares=[r.share for r in regions])
        for region, count in zip(regions, counts, strict=True):
            towns, weights = list(region.towns), [t.weight for t in region.towns]
            remaining = count
            while remaining > 0:
                size = min(self._rng.choices(self._sizes, self._size_weights)[0], remaining)
                town = self._rng.choices(towns, weights)[0]
                household = self._household(region=region, town=town, size=size)
                remaining -= size
                yield household

    def _household(self, *, region: RegionPlan, town: Town, size: int) -> Household:
        rng = self._rng
        language = "es" if rng.random() < SPANISH_SHARE else "en"
        pool = self._pools[language]
        number = rng.randint(1, 240)
        street = rng.choice(pool.streets)
        address = f"{street} {number}" if language == "es" else f"{number} {street}"
        if rng.random() < 0.25:
            address += f", apt {rng.randint(1, 60)}"
        place = {"street_address": address, "postal_code": f"{town.postal_prefix}{rng.randrange(20):02d}",
                 "locality": town.name, "preferred_language": language}

        family = self._family_name(pool)
        partner_family = self._family_name(pool) if language == "es" or rng.random() < 0.35 else family
        composition = self._composition(size)
        has_partner = any(role == "partner" for _, _, role in composition)
        # In Spanish custom a child takes the first surname of each parent.
        child_family = (f"{family.split()[0]} {partner_family.split()[0]}" if language == "es" and has_partner
                        else family)
        names = {"head": family, "partner": partner_family, "child": child_family}
        members = [self._person(pool=pool, age=age, male=male, family=names[role], place=place)
                   for age, male, role in composition]
        head_channel = members[0]["preferred_channel"]
        for member in members:
            if member["preferred_channel"] is None:  # children are reached through their parents' channel
                member["preferred_channel"] = head_channel
        return Household(region_code=region.code, language=language, members=members)

    def _family_name(self, pool: LocalePool) -> str:
        if pool.language == "es":
            return f"{self._rng.choice(pool.family)} {self._rng.choice(pool.family)}"
        return self._rng.choice(pool.family)

    def _composition(self, size: int) -> list[tuple[int, bool, str]]:
        """Ages, sexes and roles: a single adult, a couple, or one or two parents with children."""
        rng = self._rng
        head_male = rng.random() < 0.5
        if size == 1:
            return [(int(rng.triangular(19, 95, 55)), head_male, "head")]
        couple_only = size == 2 and rng.random() < 0.72
        head = int(rng.triangular(20, 92, 45)) if couple_only else int(rng.triangular(24, 62, 38))
        members = [(head, head_male, "head")]
        if couple_only or size >= 3:
            partner = min(max(ADULT_AGE + 2, head + int(rng.gauss(0, 4))), 98)
            members.append((partner, not head_male if rng.random() < 0.92 else head_male, "partner"))
        oldest_child = max(0, min(head - ADULT_AGE, 24))
        while len(members) < size:
            members.append((rng.randint(0, oldest_child), rng.random() < 0.5, "child"))
        return members

    def _person(self, *, pool: LocalePool, age: int, male: bool, family: str,
                place: dict[str, str]) -> dict[str, Any]:
        rng = self._rng
        given = rng.choice(pool.male if male else pool.female)
        birth = REFERENCE_DATE - timedelta(days=int(age * 365.25) + rng.randrange(1, 365))
        adult = age >= 16
        email = phone = channel = None
        if adult:
            if rng.random() < 0.9:
                email = (f"{_mailbox_part(given)}.{_mailbox_part(family.split()[0])}{rng.randint(1, 99)}"
                         f"@{rng.choice(PERSON_MAIL_DOMAINS)}")
            if rng.random() < 0.93:
                phone = f"{PHONE_PREFIX} {rng.randint(20, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
            _, channels, weights = next(c for c in self._channels if age < c[0])
            channel = rng.choices(channels, weights)[0]
            if (channel is Channel.EMAIL and email is None) or (channel in (Channel.PHONE, Channel.SMS)
                                                                 and phone is None):
                channel = Channel.WEB
        return {
            "national_id": self._ids.issue(birth_date=birth, male=male), "given_name": given,
            "family_name": family, "birth_date": birth, "email": email, "phone": phone,
            "preferred_channel": channel, **place,
        }


def draw_businesses(*, rng: random.Random, pools: dict[str, LocalePool], regions: list[RegionPlan],
                    count: int) -> list[dict[str, Any]]:
    """Draw the business register: the banks first, then companies spread like the people."""
    ids = BusinessIds(rng)
    bank_regions = [CAPITAL_CODE, CAPITAL_CODE, "COA", "NOR"]
    rows = [
        {"business_id": ids.issue(), "name": bank.name, "sector": "finance", "region_code": bank_regions[k],
         "is_data_provider": True}
        for k, bank in enumerate(BANKS)
    ]
    counts = apportion(total=max(0, count - len(rows)), shares=[r.share for r in regions])
    sectors, sector_weights = [s for s, _ in SECTORS], [w for _, w in SECTORS]
    taken = {row["name"] for row in rows}
    for region, n in zip(regions, counts, strict=True):
        towns, weights = list(region.towns), [t.weight for t in region.towns]
        for _ in range(n):
            pool = pools["es" if rng.random() < SPANISH_SHARE else "en"]
            base = name = rng.choice(pool.companies)
            if name in taken:  # as a register would: tell namesakes apart by their town, then a number
                town = rng.choices(towns, weights)[0].name
                name, suffix = f"{base} ({town})", 2
                while name in taken:
                    name, suffix = f"{base} ({town}) {suffix}", suffix + 1
            taken.add(name)
            rows.append({"business_id": ids.issue(), "name": name[:200],
                         "sector": rng.choices(sectors, sector_weights)[0], "region_code": region.code,
                         "is_data_provider": False})
    return rows
