"""`govcx demo`: generate a synthetic country, deterministic from a seed, through the registry's services.

The generator writes what it planted to `<data-dir>/demo-truth.json` (DESIGN §7) and the demo
sign-ins to `<data-dir>/demo-credentials.json`; govcx itself never reads either file.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from rich.progress import Progress, TaskID
from sqlalchemy import Engine, event, inspect, literal, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from govcx.core import accounts
from govcx.core.accounts import KEY_SCOPES, Role
from govcx.journeys import service as journeys_service
from govcx.core.auth import StaffMember
from govcx.core.clock import Clock, FixedClock, SystemClock
from govcx.core.config import Settings
from govcx.core.crypto import FieldCipher
from govcx.core.db import make_engine, make_session_factory, unit_of_work
from govcx.core.errors import Conflict, Invalid
from govcx.core.migrations import upgrade
from govcx.core.signing import Signer
from govcx.demo import country
from govcx.demo import crm as demo_crm
from govcx.demo import once_only as once_only_demo
from govcx.demo import feedback as feedback_demo
from govcx.demo import journeys as journeys_demo
from govcx.demo.notify import generate_notify
from govcx.exchange import service as exchange_service
from govcx.exchange import witness as audit_witness
from govcx.demo.geography import CAPITAL_CODE, EAST, NORTH, SOUTH, WEST, RegionPlan, plan_regions
from govcx.demo.population import (
    REFERENCE_DATE,
    Household,
    LocalePool,
    PeopleDrawer,
    build_pools,
    draw_businesses,
    seeded,
)
from govcx.models import metadata
from govcx.registry import schemas, service

TRUTH_FILE = "demo-truth.json"
CREDENTIALS_FILE = "demo-credentials.json"
# What a country was made from; a later `govcx demo` keeps the country when it asks for the same one.
MANIFEST_FILE = "demo-manifest.json"
GENERATOR_VERSION = 2
# The government and its people were registered before the year of history the demo tells.
REGISTERED_DAYS_BEFORE_NOW = 400
BATCH = 5_000
BUSINESSES_PER_PERSON = 1 / 20
MIN_BUSINESSES = 20
BULK_CACHE_KIB = 256 * 1024
# Demo ids count up from this instant, so a seed gives the same ids whatever day it runs.
_ID_EPOCH_MS = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1000)


# What each role sees once signed in, said where the sign-ins are printed.
ROLE_SEES = {
    Role.PLATFORM_ADMIN: "every agency: people and their timelines, legal bases, administration",
    Role.AGENCY_ADMIN: "{agency}: what its staff see, and its staff, keys, surveys and rules",
    Role.STAFF: "{agency}: its case queue, people and their timelines",
    Role.CX_ANALYST: "{agency}: feedback, comments, regions and the A-11 report",
}


@dataclass(frozen=True)
class StaffSignIn:
    email: str
    password: str
    role: Role
    agency: str | None
    name: str

    def line(self) -> str:
        agency = next((a.name for a in country.AGENCIES if a.code == self.agency), "all agencies")
        sees = ROLE_SEES[self.role].format(agency=agency)
        return f"{self.email} / {self.password}  ({self.role.value}; sees {sees})"


@dataclass(frozen=True)
class DemoResult:
    people: int
    households: int
    organizations: int
    agencies: int
    services: int
    regions: int
    seconds: float
    credentials_path: Path
    truth_path: Path
    staff: tuple[StaffSignIn, ...] = field(repr=False)
    citizen_national_id: str = field(repr=False)
    citizen_name: str

    def sign_in_lines(self, base_url: str = "http://127.0.0.1:8000") -> list[str]:
        """Say where and how to sign in to the demo: staff, the citizen development sign-in, the API keys."""
        return sign_in_lines(base_url=base_url, staff=self.staff, citizen_national_id=self.citizen_national_id,
                             citizen_name=self.citizen_name, credentials_path=self.credentials_path)


def sign_in_lines(*, base_url: str, staff: Iterable[StaffSignIn], citizen_national_id: str, citizen_name: str,
                  credentials_path: Path) -> list[str]:
    """The sign-in block: where each kind of user signs in, then every account and what it sees."""
    return [
        f"Sign in at {base_url}/",
        f"  Staff console:  {base_url}/sign-in  (e-mail and password; each account sees one agency's work)",
        f"  Citizen portal: {base_url}/citizen/sign-in  (development sign-in with a national id)",
        f"  API:            {base_url}/api/v1/openapi.json  (header X-API-Key: one key per agency, every scope, "
        f"in {credentials_path})",
        "Staff accounts:",
        *(f"  {s.line()}" for s in staff),
        "Citizen:",
        f"  national id {citizen_national_id}  ({citizen_name}; sees their requests, messages, the data government "
        "holds about them, their consents and who used their data)",
    ]


@dataclass(frozen=True)
class DemoSummary:
    made: list[str]
    sign_ins: list[str]


def demo_summary(settings: Settings, *, base_url: str) -> DemoSummary:
    """Say what the demo country in the data dir holds, and how to sign in to it, from its files."""
    truth = json.loads((settings.data_dir / TRUTH_FILE).read_text(encoding="utf-8"))
    credentials = json.loads((settings.data_dir / CREDENTIALS_FILE).read_text(encoding="utf-8"))
    sizes, crm, once, notify, feedback = (truth.get(k, {}) for k in ("sizes", "crm", "once_only", "notify",
                                                                       "feedback"))
    made = [
        f"{sizes.get('people', 0):,} people in {sizes.get('households', 0):,} households, "
        f"{sizes.get('organizations', 0):,} organizations, {sizes.get('regions', 0)} regions",
        f"{sizes.get('agencies', 0)} agencies with {sizes.get('departments', 0)} departments and "
        f"{sizes.get('services', 0)} services; {sizes.get('staff_accounts', 0)} staff accounts and "
        f"{sizes.get('api_keys', 0)} API keys",
        f"{crm.get('interactions', 0):,} contacts, {crm.get('cases', 0):,} cases "
        f"({crm.get('public_reports', 0):,} public Open311 reports), {crm.get('repeat_asks', 0):,} repeat asks",
        f"{once.get('facts', 0):,} facts from their sources, {once.get('standing_consents', 0):,} standing consents, "
        f"{once.get('legal_bases', 0)} legal bases, {once.get('access_log_entries', 0):,} access-log entries",
        f"{notify.get('case_updates', 0):,} case-update messages and the demo citizen's reminder and suggestions "
        f"(e-mails and texts in {notify.get('files', '')})",
        f"{feedback.get('responses', 0):,} survey answers (A-11, CSAT, CES, NPS) and "
        f"{feedback.get('follow_ups', 0):,} follow-ups",
        f"history from {feedback.get('first_day', '?')} to now, {truth.get('now', '?')[:16].replace('T', ' ')} UTC; "
        f"what was planted: {settings.data_dir / TRUTH_FILE}",
    ]
    staff = [StaffSignIn(email=s["email"], password=s["password"], role=Role(s["role"]), agency=s["agency"],
                         name=s["name"]) for s in credentials["staff"]]
    citizen = credentials["citizen"]
    return DemoSummary(made=made, sign_ins=sign_in_lines(
        base_url=base_url, staff=staff, citizen_national_id=citizen["national_id"], citizen_name=citizen["name"],
        credentials_path=settings.data_dir / CREDENTIALS_FILE))


# Resetting -------------------------------------------------------------------------------------


def _embedded_files(settings: Settings) -> list[Path]:
    database = Path(make_url(settings.resolved_database_url).database or "")
    files = [database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")]
    if settings.warehouse_url is None:
        # The analytics store is a copy of the operational one: once that is gone the copy is stale.
        warehouse = Path(make_url(settings.resolved_warehouse_url).database or "")
        files += [warehouse, warehouse.with_name(warehouse.name + ".wal")]
    return files


def _holds_rows(engine: Engine) -> bool:
    # Any row in any govcx table means someone uses this store. Should a migration ever seed rows
    # (a vocabulary, a survey template), those tables must be left out here, or the demo refuses
    # every fresh store: loudly, which beats wiping a real one.
    with engine.connect() as connection:
        existing = set(inspect(connection).get_table_names())
        return any(
            connection.execute(select(literal(1)).select_from(table).limit(1)).first() is not None
            for table in metadata.sorted_tables if table.name in existing
        )


def _store_holds_rows(url: str) -> bool:
    engine = make_engine(url)
    try:
        return _holds_rows(engine)
    finally:
        engine.dispose()


def reset_demo_store(settings: Settings) -> None:
    """Remove a previous demo's embedded store so the demo starts fresh; refuse to touch anything else."""
    data_dir = settings.data_dir
    if settings.database_url is None:
        database = _embedded_files(settings)[0]
        if (data_dir / TRUTH_FILE).exists():
            # The demo's own access-log witness goes with its store: it vouches for a log that is gone.
            for path in [*_embedded_files(settings), data_dir / TRUTH_FILE, data_dir / CREDENTIALS_FILE,
                         data_dir / MANIFEST_FILE,
                         *[p for p in [settings.resolved_audit_witness_path] if not p.is_dir()]]:
                path.unlink(missing_ok=True)
            return
        if database.exists() and _store_holds_rows(settings.resolved_database_url):
            raise Conflict(
                f"{database} holds data that the demo did not make, and the demo never wipes it. "
                "Choose another --data-dir (GOVCX_DATA_DIR) for the demo."
            )
        return
    # A database the demo did not create is never wiped, even when an old demo left its files here.
    if _store_holds_rows(settings.database_url):
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        raise Conflict(
            f"The store at {where} is not empty, and the demo never wipes a database it was pointed at. "
            "Point GOVCX_DATABASE_URL at an empty database or schema."
        )


# Generating ------------------------------------------------------------------------------------


class SeededIds:
    """UUIDv7-shaped ids drawn from a seed: time-ordered like `new_id`, and the same on every run."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._millis = _ID_EPOCH_MS

    def take(self, n: int) -> list[UUID]:
        ids = []
        for _ in range(n):
            self._millis += 1
            value = (self._millis & 0xFFFF_FFFF_FFFF) << 80 | self._rng.getrandbits(80)
            value = (value & ~(0xF << 76)) | (0x7 << 76)
            value = (value & ~(0x3 << 62)) | (0x2 << 62)
            ids.append(UUID(int=value))
        return ids


class _Steps:
    """The progress bar, or nothing when nobody watches."""

    def __init__(self, progress: Progress | None) -> None:
        self._progress = progress

    def start(self, description: str, total: int) -> TaskID | None:
        return self._progress.add_task(description, total=total) if self._progress else None

    def advance(self, task: TaskID | None, by: int = 1) -> None:
        if self._progress is not None and task is not None:
            self._progress.advance(task, by)


def _batches(households: Iterable[Household], size: int) -> Iterator[list[Household]]:
    batch: list[Household] = []
    people = 0
    for household in households:
        batch.append(household)
        people += len(household.members)
        if people >= size:
            yield batch
            batch, people = [], 0
    if batch:
        yield batch


@dataclass
class _Country:
    """What was made so far, and what the truth file will say about it."""

    regions: list[RegionPlan]
    region_ids: dict[str, UUID] = field(default_factory=dict)
    agency_ids: dict[str, UUID] = field(default_factory=dict)
    departments: int = 0
    services: int = 0
    people_by_region: Counter[str] = field(default_factory=Counter)
    households_by_region: Counter[str] = field(default_factory=Counter)
    household_sizes: Counter[int] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    citizen: dict[str, str] | None = None
    organizations: int = 0
    banks: dict[str, tuple[UUID, str, str]] = field(default_factory=dict)  # short -> (id, business id, name)
    attributes: int = 0
    staff: list[StaffSignIn] = field(default_factory=list)
    api_keys: list[dict[str, Any]] = field(default_factory=list)


class _Generator:
    def __init__(self, *, settings: Settings, factory: sessionmaker[Session], seed: int, steps: _Steps,
                 clock: Clock, registered: Clock | None = None) -> None:
        self.settings = settings
        self.factory = factory
        self.seed = seed
        self.steps = steps
        self.clock = clock
        # When the government, its people and businesses were registered: before the history begins.
        self.registered = registered or clock
        self.cipher = FieldCipher.from_secret(settings.secret, settings.encryption_key_id)
        self.pools: dict[str, LocalePool] = build_pools(seed=seed)
        self.country = _Country(regions=plan_regions(rng=seeded(seed, "map")))
        self._hashing: ThreadPoolExecutor | None = None
        self._sign_ins: list[tuple[StaffSignIn, Future[accounts.HashedPassword]]] = []
        self.actor = StaffMember(id=UUID(int=0), name="demo generator", email=f"generator@{country.STAFF_DOMAIN}",
                                 role=Role.PLATFORM_ADMIN, agency_id=None)

    def government(self) -> None:
        c = self.country
        clock = self.registered
        total = len(c.regions) + sum(1 + len(a.departments) + len(a.services) for a in country.AGENCIES)
        task = self.steps.start("Regions, agencies and services", total)
        with unit_of_work(self.factory) as session:
            for plan in c.regions:
                region = service.create_region(session=session, clock=clock, data=schemas.RegionCreate(
                    code=plan.code, name=plan.name, centroid_lon=plan.centroid[0], centroid_lat=plan.centroid[1],
                    shape=plan.shape,
                ))
                c.region_ids[plan.code] = region.id
                self.steps.advance(task)
            for spec in country.AGENCIES:
                agency = service.create_agency(session=session, clock=clock, data=schemas.AgencyCreate(
                    code=spec.code, name=spec.name, description=spec.description))
                c.agency_ids[spec.code] = agency.id
                departments = {}
                for code, name in spec.departments:
                    departments[code] = service.create_department(
                        session=session, agency_id=agency.id, by=self.actor, clock=clock,
                        data=schemas.DepartmentCreate(code=code, name=name)).id
                    c.departments += 1
                for svc in spec.services:
                    service.create_service(session=session, by=self.actor, clock=clock, data=schemas.ServiceCreate(
                        code=svc.code, agency_id=agency.id, department_id=departments[svc.department], name=svc.name,
                        description=svc.description, channels=list(svc.channels),
                        target_completion_minutes=svc.target_minutes, sla_hours=svc.sla_hours,
                    ))
                    c.services += 1
                self.steps.advance(task, 1 + len(spec.departments) + len(spec.services))
            # Life events (a data file shipped with govcx) map onto the catalogue just made.
            journeys_service.load_life_events(session=session, clock=self.clock)

    def people(self, *, count: int) -> None:
        c = self.country
        task = self.steps.start("People and households", count)
        drawer = PeopleDrawer(rng=seeded(self.seed, "people"), pools=self.pools)
        ids = SeededIds(seeded(self.seed, "person-ids"))
        household_ids_from = SeededIds(seeded(self.seed, "household-ids"))
        for batch in _batches(drawer.households(regions=c.regions, people=count), BATCH):
            with unit_of_work(self.factory) as session:
                region_ids = [c.region_ids[h.region_code] for h in batch]
                household_ids = service.import_households(session=session, region_ids=region_ids,
                                                          clock=self.registered,
                                                          ids=household_ids_from.take(len(batch)))
                # Built, not validated: e-mail validation alone was a fifth of this step, and every value
                # the drawer makes is valid as drawn (tests/demo checks each one validates to the same row).
                rows = [schemas.PersonCreate.model_construct(**m, region_id=region_id, household_id=household_id)
                        for household, region_id, household_id in zip(batch, region_ids, household_ids, strict=True)
                        for m in household.members]
                service.import_persons(session=session, rows=rows, cipher=self.cipher, clock=self.registered,
                                       ids=ids.take(len(rows)))
            for household in batch:
                self._count(household)
            self.steps.advance(task, len(rows))

    def _count(self, household: Household) -> None:
        c = self.country
        size = len(household.members)
        c.people_by_region[household.region_code] += size
        c.households_by_region[household.region_code] += 1
        c.household_sizes[size] += 1
        c.languages[household.language] += size
        head = household.members[0]  # always an adult
        if c.citizen is None and household.region_code == CAPITAL_CODE:
            c.citizen = {"national_id": head["national_id"],
                         "name": f"{head['given_name']} {head['family_name']}"}

    def businesses(self, *, people: int) -> None:
        c = self.country
        count = max(MIN_BUSINESSES, round(people * BUSINESSES_PER_PERSON))
        task = self.steps.start("Businesses and the data catalogue", count + len(country.ATTRIBUTES))
        drawn = draw_businesses(rng=seeded(self.seed, "businesses"), pools=self.pools, regions=c.regions, count=count)
        ids = SeededIds(seeded(self.seed, "organization-ids"))
        shorts = iter(b.short for b in country.BANKS)
        for start in range(0, len(drawn), BATCH):
            chunk = drawn[start:start + BATCH]
            with unit_of_work(self.factory) as session:
                rows = [schemas.OrganizationCreate(
                    business_id=r["business_id"], name=r["name"], sector=r["sector"],
                    region_id=c.region_ids[r["region_code"]], is_data_provider=r["is_data_provider"],
                ) for r in chunk]
                made = service.import_organizations(session=session, rows=rows, clock=self.registered,
                                                    ids=ids.take(len(rows)))
            for ident, row in zip(made, rows, strict=True):
                if row.is_data_provider:
                    c.banks[next(shorts)] = (ident, row.business_id, row.name)
            c.organizations += len(rows)
            self.steps.advance(task, len(rows))
        with unit_of_work(self.factory) as session:
            for spec in country.ATTRIBUTES:
                agency_id, organization_id = None, None
                if spec.source.startswith("bank:"):
                    organization_id = c.banks[spec.source.removeprefix("bank:")][0]
                else:
                    agency_id = c.agency_ids[spec.source]
                service.create_data_attribute(session=session, clock=self.registered, data=schemas.DataAttributeCreate(
                    key=spec.key, name=spec.name, description=spec.description, subject_kind=spec.subject,
                    value_type=spec.value_type, sensitivity=spec.sensitivity, source_agency_id=agency_id,
                    source_organization_id=organization_id, self_declarable=spec.self_declarable,
                ))
                c.attributes += 1
                self.steps.advance(task)

    def start_hashing_passwords(self) -> None:
        """Draw the staff sign-ins and start hashing their passwords on other threads.

        Argon2 is slow on purpose (about half a second each); hashed in the background while the
        people are drawn, the accounts step finds them ready.
        """
        wanted: list[tuple[Role, str | None]] = [(Role.PLATFORM_ADMIN, None)]
        for spec in country.AGENCIES:
            wanted += [(Role.STAFF, spec.code), (Role.AGENCY_ADMIN, spec.code)]
            if spec.code in country.ANALYST_AGENCIES:
                wanted.append((Role.CX_ANALYST, spec.code))
        rng = seeded(self.seed, "staff")
        pool = self.pools["en"]
        mailbox = {Role.STAFF: "staff", Role.AGENCY_ADMIN: "admin", Role.CX_ANALYST: "analyst"}
        self._hashing = ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-password")
        self._sign_ins = []
        for role, agency in wanted:
            email = (f"platform-admin@{country.STAFF_DOMAIN}" if agency is None
                     else f"{mailbox[role]}@{agency.lower()}.{country.STAFF_DOMAIN}")
            name = f"{rng.choice(pool.male + pool.female)} {rng.choice(pool.family)}"
            # Random, not seeded: anyone who knows the seed would otherwise know every password.
            password = secrets.token_urlsafe(15)
            self._sign_ins.append((StaffSignIn(email=email, password=password, role=role, agency=agency, name=name),
                                   self._hashing.submit(accounts.hash_password, password)))

    def close(self) -> None:
        if self._hashing is not None:
            self._hashing.shutdown(wait=True, cancel_futures=True)

    def accounts(self) -> None:
        c = self.country
        if self._hashing is None:
            self.start_hashing_passwords()
        task = self.steps.start("Staff accounts and API keys", len(self._sign_ins) + len(country.AGENCIES))
        with unit_of_work(self.factory) as session:
            for sign_in, hashed in self._sign_ins:
                accounts.create_staff(session=session, email=sign_in.email, name=sign_in.name,
                                      password=hashed.result(), role=sign_in.role,
                                      agency_id=c.agency_ids[sign_in.agency] if sign_in.agency else None,
                                      clock=self.clock)
                c.staff.append(sign_in)
                self.steps.advance(task)
            for spec in country.AGENCIES:
                row, key = accounts.create_api_key(session=session, agency_id=c.agency_ids[spec.code],
                                                   scopes=sorted(KEY_SCOPES), label="demo", clock=self.clock)
                c.api_keys.append({"agency": spec.code, "key": key, "scopes": list(row.scopes)})
                self.steps.advance(task)

    def citizen_id(self) -> UUID | None:
        c = self.country
        if c.citizen is None:
            return None
        with unit_of_work(self.factory) as session:
            person = service.find_person_by_national_id(session=session, cipher=self.cipher,
                                                        national_id=c.citizen["national_id"])
        return person.id if person else None

    def once_only(self) -> dict[str, Any]:
        c = self.country
        return once_only_demo.generate(
            factory=self.factory, cipher=self.cipher, signer=Signer.from_secret(self.settings.secret), seed=self.seed,
            clock=self.clock, agency_ids=c.agency_ids, bank_ids={short: ids[0] for short, ids in c.banks.items()},
            citizen_national_id=c.citizen["national_id"] if c.citizen else None, start=self.steps.start,
            advance=self.steps.advance, by=self.actor,
        )

    def credentials(self) -> dict[str, Any]:
        c = self.country
        assert c.citizen is not None
        return {
            "about": f"Sign-ins to the {country.COUNTRY} demo country. Demo only: never use these anywhere else.",
            "staff": [{"email": s.email, "password": s.password, "role": s.role.value, "agency": s.agency,
                       "name": s.name} for s in c.staff],
            "citizen": {**c.citizen, "note": "development sign-in; an OIDC provider replaces it in production"},
            "api_keys": c.api_keys,
        }

    def truth(self, *, people: int) -> dict[str, Any]:
        c = self.country
        households = sum(c.household_sizes.values())
        return {
            "about": "What the demo generator made and planted. govcx never reads this file; tests and "
                     "benchmarks do, to check that analyses find what is here.",
            "generator_version": GENERATOR_VERSION,
            "seed": self.seed,
            "complete": True,
            "country": country.COUNTRY,
            "reference_date": REFERENCE_DATE.isoformat(),
            "bounding_box": [WEST, SOUTH, EAST, NORTH],
            "sizes": {
                "people": people, "households": households, "organizations": c.organizations,
                "agencies": len(c.agency_ids), "departments": c.departments, "services": c.services,
                "regions": len(c.regions), "data_attributes": c.attributes, "staff_accounts": len(c.staff),
                "api_keys": len(c.api_keys),
            },
            "capital": {"region": CAPITAL_CODE, "city": country.CAPITAL_CITY},
            "regions": [
                {"code": r.code, "name": r.name, "is_capital": r.is_capital, "people": c.people_by_region[r.code],
                 "households": c.households_by_region[r.code],
                 "population_share": round(c.people_by_region[r.code] / people, 6),
                 "centroid": list(r.centroid), "towns": [t.name for t in r.towns]}
                for r in c.regions
            ],
            "agencies": [{"code": a.code, "name": a.name, "kind": a.kind, "services": len(a.services)}
                         for a in country.AGENCIES],
            "languages": dict(sorted(c.languages.items())),
            "household_sizes": {str(k): v for k, v in sorted(c.household_sizes.items())},
            "data_providers": [
                {"business_id": business_id, "name": name,
                 "attributes": [a.key for a in country.ATTRIBUTES if a.source == f"bank:{short}"]}
                for short, (_, business_id, name) in c.banks.items()
            ],
            "effects": [],
        }


def _bulk_load_cache(dbapi_connection: Any, _record: Any) -> None:
    # SQLite's default page cache is 2 MiB: a load of millions of rows into indexed tables spends
    # most of its time reading index pages back. The demo's own connections keep 256 MiB instead.
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    cursor.close()


def _write_json(path: Path, data: dict[str, Any], *, private: bool = False) -> None:
    # Written beside and then renamed, so a reader never sees half a file; private files are
    # created 0600 rather than narrowed afterwards, so there is no moment anyone else can read them.
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2, ensure_ascii=False)
        out.write("\n")
    os.replace(partial, path)


def read_manifest(settings: Settings) -> dict[str, Any] | None:
    """What the demo country in the data dir was made from, or None when there is none (or only half of one)."""
    path = settings.data_dir / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and manifest.get("complete") else None


def _store_name(settings: Settings) -> str | None:
    # The embedded store is the data dir's own; another database is named, without its password.
    if settings.database_url is None:
        return None
    return make_url(settings.database_url).render_as_string(hide_password=True)


def kept_country(settings: Settings, *, people: int, seed: int) -> dict[str, Any] | None:
    """The manifest of the country already in the data dir when it is the one asked for, else None."""
    manifest = read_manifest(settings)
    if manifest is None or (settings.data_dir / CREDENTIALS_FILE).exists() is False:
        return None
    same = (manifest.get("people"), manifest.get("seed"), manifest.get("generator_version"),
            manifest.get("database")) == (people, seed, GENERATOR_VERSION, _store_name(settings))
    if not same:
        return None
    if settings.database_url is None and not _embedded_files(settings)[0].exists():
        return None
    if not _store_holds_rows(settings.resolved_database_url):  # emptied behind the demo's back
        return None
    return manifest


def changed_from(manifest: dict[str, Any] | None, *, people: int, seed: int) -> list[str]:
    """Say what differs between the country in the data dir and the one asked for."""
    if manifest is None:
        return []
    changes = [f"{name} {manifest.get(name)} -> {value}" for name, value in (("people", people), ("seed", seed))
               if manifest.get(name) != value]
    if manifest.get("generator_version") != GENERATOR_VERSION:
        changes.append("a newer generator")
    return changes


def generate(*, settings: Settings, people: int = 20_000, seed: int = 7, progress: Progress | None = None,
             now: datetime | None = None) -> DemoResult:
    """Create the stores and fill them with a synthetic country drawn from `seed`, its history ending at `now`.

    One reference clock drives every layer: each domain's data ends at `now` (the wall clock, to the second,
    unless given), so a dashboard's latest period is today's.
    """
    if people < 10:
        raise Invalid("The demo country needs at least 10 people.")
    started = time.perf_counter()
    now = (now or SystemClock().now()).astimezone(UTC).replace(microsecond=0)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    truth_path, credentials_path = settings.data_dir / TRUTH_FILE, settings.data_dir / CREDENTIALS_FILE
    (settings.data_dir / MANIFEST_FILE).unlink(missing_ok=True)
    engine = make_engine(settings.resolved_database_url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _bulk_load_cache)
    try:
        upgrade(engine)
        if _holds_rows(engine):
            raise Conflict("The demo fills only an empty store; run `govcx demo` (which resets its own) "
                           "or point it at an empty database.")
        # Claimed before the first row, so a run that fails half-way can still be reset.
        _write_json(truth_path, {"seed": seed, "complete": False, "effects": []})
        factory = make_session_factory(engine)
        # Signed heads of the access log reach the witness as the demo writes them, as in the app.
        audit_witness.bind(factory, audit_witness.Publisher(audit_witness.witness_from(settings)))
        clock = FixedClock(now)
        generator = _Generator(settings=settings, factory=factory, seed=seed, steps=_Steps(progress), clock=clock,
                               registered=FixedClock(now - timedelta(days=REGISTERED_DAYS_BEFORE_NOW)))
        generator.start_hashing_passwords()
        try:
            generator.government()
            generator.people(count=people)
            generator.businesses(people=people)
            generator.accounts()
            c = generator.country
            citizen_id = generator.citizen_id()
            capital = next(r for r in c.regions if r.code == CAPITAL_CODE)
            # One region's offices are understaffed, and every capability shows it its own way.
            understaffed = seeded(seed, "understaffed").choice(sorted(code for code in c.region_ids
                                                                       if code != CAPITAL_CODE))
            crm_truth = demo_crm.run(factory=generator.factory, seed=seed, region_ids=c.region_ids,
                                     understaffed=understaffed, now=now, citizen_id=citizen_id,
                                     capital=(capital.code, capital.centroid, country.CAPITAL_CITY),
                                     ids=SeededIds(seeded(seed, "crm-ids")), start=generator.steps.start,
                                     advance=generator.steps.advance)
            told = crm_truth.pop("told")
            once_only = generator.once_only()
            notify_truth = generate_notify(settings=settings, factory=generator.factory, clock=clock,
                                           cipher=generator.cipher, seed=seed,
                                           citizen_national_id=(c.citizen or {}).get("national_id"), told=told,
                                           start=generator.steps.start, advance=generator.steps.advance)
            feedback_truth = feedback_demo.generate(
                factory=generator.factory, seed=seed, clock=clock, region_ids=c.region_ids,
                understaffed=understaffed, people_by_region=c.people_by_region, people=people,
                start=generator.steps.start, advance=generator.steps.advance)
            journeys_truth = journeys_demo.generate(
                settings=settings, factory=generator.factory, clock=generator.clock, cipher=generator.cipher, seed=seed,
                people=people, citizen_national_id=(c.citizen or {}).get("national_id"),
                start=generator.steps.start, advance=generator.steps.advance)
            with unit_of_work(factory) as session:  # and a head of the newest entries, so the log verifies at once
                exchange_service.checkpoint(session=session, signer=Signer.from_secret(settings.secret), at=now)
        finally:
            generator.close()
    finally:
        engine.dispose()
    _write_json(credentials_path, generator.credentials(), private=True)
    truth = generator.truth(people=people)
    truth["now"] = now.isoformat()
    truth["crm"] = crm_truth["crm"]
    truth["effects"] += crm_truth["effects"]
    truth["once_only"] = once_only["truth"]
    truth["effects"] += once_only["effects"]
    truth["effects"] += feedback_truth.pop("effects")
    truth["feedback"] = feedback_truth
    truth["notify"] = notify_truth
    truth["effects"] += journeys_truth.pop("effects")
    truth["journeys"] = journeys_truth
    _write_json(truth_path, truth)
    c = generator.country
    result = DemoResult(
        people=people, households=sum(c.household_sizes.values()), organizations=c.organizations,
        agencies=len(c.agency_ids), services=c.services, regions=len(c.regions),
        seconds=time.perf_counter() - started, credentials_path=credentials_path, truth_path=truth_path,
        staff=tuple(c.staff), citizen_national_id=c.citizen["national_id"] if c.citizen else "",
        citizen_name=c.citizen["name"] if c.citizen else "",
    )
    # Written last: a manifest means a whole country, which a later `govcx demo` may keep.
    _write_json(settings.data_dir / MANIFEST_FILE, {
        "about": "What the demo country here was made from. `govcx demo` keeps this country while people, seed "
                 "and generator version stay the same; --fresh (make demo FRESH=1) starts over.",
        "people": people, "seed": seed, "generator_version": GENERATOR_VERSION, "database": _store_name(settings),
        "now": now.isoformat(), "seconds": round(result.seconds, 1), "complete": True,
    })
    return result
