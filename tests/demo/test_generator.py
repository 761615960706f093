"""The demo country: the same seed gives the same country, and it says true things about itself."""

from __future__ import annotations

import itertools
import json
import stat
from pathlib import Path

import pytest
from sqlalchemy import select, text
from starlette.testclient import TestClient

from govcx.core import accounts
from govcx.core.config import Environment, Settings
from govcx.core.crypto import FieldCipher
from govcx.core.db import make_engine, make_session_factory, unit_of_work
from govcx.core.errors import Conflict
from govcx.core.migrations import upgrade
from govcx.core.pagination import PageParams
from govcx.demo.generator import CREDENTIALS_FILE, TRUTH_FILE, generate, reset_demo_store
from govcx.demo.geography import signed_area
from govcx.models import metadata
from govcx.registry import schemas, service
from govcx.registry.models import Person, Sensitivity
from tests.conftest import TEST_SECRET
from tests.web.helpers import sign_in_citizen, sign_in_staff

from .conftest import PEOPLE

REQUIRED_KINDS = {"tax", "social security", "health", "transport", "employment", "business registry",
                  "municipality"}


def _country(engine, settings: Settings) -> dict[str, object]:  # noqa: ANN001
    """What a person would compare between two countries: who lives where, and what government offers."""
    cipher = FieldCipher.from_secret(settings.secret, settings.encryption_key_id)
    with unit_of_work(make_session_factory(engine)) as session:
        people = sorted(
            (service.national_id_of(cipher=cipher, person=p), p.given_name, p.family_name, p.birth_date.isoformat())
            for p in session.scalars(select(Person))
        )
        regions = {r.code: (n, r.shape) for r, n in service.population_by_region(session=session, threshold=1)}
        services = sorted((s.code, s.name) for _, ss in service.catalogue(session=session) for s in ss)
        businesses = sorted((o.business_id, o.name) for o in service.search_organizations(
            session=session, q=None, data_providers_only=False, page=PageParams(cursor=None, limit=100_000))[0])
    return {"people": people, "regions": regions, "services": services, "businesses": businesses}


def _empty(engine) -> None:  # noqa: ANN001
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":  # the superuser's maintenance path past the access log's trigger
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


def test_the_same_seed_gives_the_same_country_and_another_seed_another(settings, engine):
    generate(settings=settings, people=PEOPLE, seed=7)
    first = _country(engine, settings)
    _empty(engine)
    generate(settings=settings, people=PEOPLE, seed=7)
    again = _country(engine, settings)
    _empty(engine)
    generate(settings=settings, people=PEOPLE, seed=8)
    other = _country(engine, settings)

    assert len(first["people"]) == PEOPLE
    assert first == again
    assert other["people"] != first["people"]
    assert other["regions"] != first["regions"]
    assert other["services"] == first["services"]  # the government is the same; its people are not


def test_the_country_has_the_agencies_and_services_a_government_needs(demo, truth, uow):
    with uow() as session:
        agencies = {a.code: a for a in service.all_agencies(session=session)}
        catalogue = service.catalogue(session=session)
        kinds = {a["kind"] for a in truth["agencies"]}

        assert demo.agencies == len(agencies) >= 7
        assert kinds >= REQUIRED_KINDS
        assert all(2 <= len(a.departments) <= 4 for a in agencies.values())
        offered = [s for _, services in catalogue for s in services]
        assert demo.services == len(offered) >= 40
        assert all(len(services) >= 4 for _, services in catalogue)
        assert all(s.channels and s.target_completion_minutes > 0 and s.sla_hours > 0 and s.description
                   for s in offered)


def test_regions_are_valid_polygons_that_tile_the_country_without_gaps_or_overlaps(demo, truth, uow):
    with uow() as session:
        regions = service.all_regions(session=session)
    rings = [[tuple(p) for p in r.shape["coordinates"][0]] for r in regions]
    west, south, east, north = truth["bounding_box"]

    assert 7 <= demo.regions == len(regions) <= 9
    for region, ring in zip(regions, rings, strict=True):
        schemas.RegionCreate(code=region.code, name=region.name, shape=region.shape)  # valid GeoJSON
        assert ring[0] == ring[-1] and len(ring) >= 4
        assert signed_area(ring) > 0  # counter-clockwise, as RFC 7946 asks of exterior rings
        assert _is_simple(ring)
        assert west <= region.centroid_lon <= east and south <= region.centroid_lat <= north
    assert sum(signed_area(r) for r in rings) == pytest.approx((east - west) * (north - south))
    # Every border is drawn once in each direction (two neighbours), or lies on the country's edge.
    edges = [(a, b) for ring in rings for a, b in itertools.pairwise(ring)]
    assert len(set(edges)) == len(edges)
    for a, b in edges:
        on_edge = (a[0] == b[0] in (west, east)) or (a[1] == b[1] in (south, north))
        assert on_edge or (b, a) in set(edges)


def _is_simple(ring: list[tuple[float, float]]) -> bool:
    def cross(o, a, b):  # noqa: ANN001, ANN202
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    segments = list(itertools.pairwise(ring))
    for i, j in itertools.combinations(range(len(segments)), 2):
        if j == i + 1 or (i == 0 and j == len(segments) - 1):
            continue  # neighbours share a point by design
        (p, q), (r, s) = segments[i], segments[j]
        if cross(p, q, r) * cross(p, q, s) < 0 and cross(r, s, p) * cross(r, s, q) < 0:
            return False
    return True


def test_the_truth_file_says_how_many_people_live_in_each_region(demo, truth, uow):
    with uow() as session:
        counted = {r.code: n for r, n in service.population_by_region(session=session, threshold=1)}

    planted = {r["code"]: r for r in truth["regions"]}
    assert truth["sizes"]["people"] == sum(counted.values()) == PEOPLE
    assert {code: r["people"] for code, r in planted.items()} == counted
    for code, region in planted.items():
        assert region["population_share"] == pytest.approx(counted[code] / PEOPLE, abs=1e-6)
    capital = planted[truth["capital"]["region"]]
    assert capital["is_capital"]
    assert capital["population_share"] >= 2 * max(r["population_share"] for r in planted.values() if r is not capital)
    assert sum(truth["languages"].values()) == PEOPLE and 0 < truth["languages"]["es"] < PEOPLE / 3
    # Each capability plants its own effects, all described the same way.
    assert all(effect["name"] and effect["domain"] and effect["description"] and "parameters" in effect
               for effect in truth["effects"])


def test_banks_are_data_providers_and_the_catalogue_names_one_source_each(demo, truth, uow):
    with uow() as session:
        banks, _ = service.search_organizations(session=session, q=None, data_providers_only=True,
                                                page=PageParams(cursor=None, limit=50))
        catalogue = {a.key: (a, source) for a, source in service.data_catalogue(session=session)}

    assert demo.organizations >= 20
    assert len(banks) >= 3 and {b.business_id for b in banks} == {p["business_id"] for p in truth["data_providers"]}
    assert len(catalogue) >= 25
    assert all((a.source_agency_id is None) != (a.source_organization_id is None) for a, _ in catalogue.values())
    statement, source = catalogue["bank.interest_statement"]
    assert statement.source_organization_id in {b.id for b in banks} and source.endswith("Bank of Valdoria")
    assert catalogue["health.insurance_number"][0].sensitivity is Sensitivity.SENSITIVE


def test_every_demo_api_key_finds_people_by_family_name(demo, credentials, client, uow):
    with uow() as session:
        family = session.scalars(select(Person.family_name).order_by(Person.id).limit(1)).one()

    assert {k["agency"] for k in credentials["api_keys"]} == {a["code"] for a in json.loads(
        demo.truth_path.read_text())["agencies"]}
    for key in credentials["api_keys"]:
        answer = client.get("/api/v1/persons", params={"q": family}, headers={"X-API-Key": key["key"]})
        assert answer.status_code == 200, answer.text
        assert answer.json()["items"] and all(family in p["family_name"] for p in answer.json()["items"])
        assert set(key["scopes"]) == {s.value for s in accounts.KEY_SCOPES}


def test_every_staff_sign_in_in_the_credentials_file_opens_its_account(demo, credentials, uow, clock):
    roles = {(s["role"], s["agency"]) for s in credentials["staff"]}
    with uow() as session:
        for sign_in in credentials["staff"]:
            account = accounts.authenticate_staff(session=session, email=sign_in["email"],
                                                  password=sign_in["password"], clock=clock)
            assert account is not None and account.role.value == sign_in["role"]
            agency = service.get_agency(session=session, agency_id=account.agency_id) if account.agency_id else None
            assert (agency.code if agency else None) == sign_in["agency"]

    assert ("platform_admin", None) in roles
    for code in {s["agency"] for s in credentials["staff"] if s["agency"]}:
        assert {("staff", code), ("agency_admin", code)} <= roles
    assert len({a for r, a in roles if r == "cx_analyst"}) >= 2
    assert stat.S_IMODE(demo.credentials_path.stat().st_mode) == 0o600
    assert any(line.strip().startswith(credentials["staff"][0]["email"]) for line in demo.sign_in_lines())


def test_the_citizen_sign_in_is_a_person_of_the_country(demo, credentials, uow, cipher):
    with uow() as session:
        person = service.find_person_by_national_id(session=session, cipher=cipher,
                                                    national_id=credentials["citizen"]["national_id"])

    assert person is not None
    assert f"{person.given_name} {person.family_name}" == credentials["citizen"]["name"]
    assert any(credentials["citizen"]["national_id"] in line for line in demo.sign_in_lines())


def _embedded(data_dir: Path) -> Settings:
    return Settings(env=Environment.TEST, data_dir=data_dir, secret_key=TEST_SECRET, log_level="WARNING")


def test_reset_clears_a_previous_demo_so_the_next_starts_fresh(tmp_path):
    settings = _embedded(tmp_path / "data")
    first = generate(settings=settings, people=50, seed=3)

    reset_demo_store(settings)
    assert not (tmp_path / "data" / "govcx.db").exists()
    assert not (tmp_path / "data" / TRUTH_FILE).exists() and not (tmp_path / "data" / CREDENTIALS_FILE).exists()

    again = generate(settings=settings, people=50, seed=3)
    assert (again.people, again.households, again.organizations) == (first.people, first.households,
                                                                      first.organizations)


def test_reset_refuses_an_embedded_store_the_demo_did_not_make(tmp_path, clock):
    settings = _embedded(tmp_path / "data")
    engine = make_engine(settings.resolved_database_url)
    upgrade(engine)
    with unit_of_work(make_session_factory(engine)) as session:
        service.create_agency(session=session, data=schemas.AgencyCreate(code="REAL", name="Real"), clock=clock)

    with pytest.raises(Conflict, match="did not make"):
        reset_demo_store(settings)
    with unit_of_work(make_session_factory(engine)) as session:
        assert service.get_agency_by_code(session=session, code="REAL") is not None
    engine.dispose()


def test_reset_never_wipes_a_database_it_was_pointed_at(settings, uow, clock):
    with uow() as session:
        service.create_agency(session=session, data=schemas.AgencyCreate(code="REAL", name="Real"), clock=clock)
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / TRUTH_FILE).write_text("{}")  # even where an old demo left its files

    with pytest.raises(Conflict, match="never wipes"):
        reset_demo_store(settings)
    with uow() as session:
        assert service.get_agency_by_code(session=session, code="REAL") is not None


def test_an_empty_store_is_left_alone_and_generated_into(settings, engine):
    reset_demo_store(settings)

    assert generate(settings=settings, people=20, seed=1).people == 20


def test_the_demo_sign_ins_open_the_staff_console_and_the_citizens_own_page(demo, credentials, app):
    admin = next(s for s in credentials["staff"] if s["role"] == "platform_admin")
    analyst = next(s for s in credentials["staff"] if s["role"] == "cx_analyst")

    for staff in (admin, analyst):
        with TestClient(app) as browser:
            answer = sign_in_staff(browser, staff["email"], staff["password"])
            assert answer.status_code == 303, answer.text
            assert f"Signed in as {staff['name']}" in browser.get("/staff").text
    with TestClient(app) as browser:
        answer = sign_in_citizen(browser, credentials["citizen"]["national_id"])
        assert answer.status_code == 303, answer.text
        assert credentials["citizen"]["name"] in browser.get("/me").text


def test_the_understaffed_region_is_one_region_in_every_capability(truth):
    regions = {effect["region"] for effect in truth["effects"] if "understaffed" in effect["name"]}

    assert len(regions) == 1
    assert regions != {truth["capital"]["region"]}


def test_every_person_the_drawer_makes_is_a_valid_registration_as_drawn():
    # The generator builds its registrations without validating each (validation was a fifth of the
    # people step): every drawn person must validate, unchanged, to the very row it builds.
    from govcx.demo.geography import plan_regions
    from govcx.demo.population import PeopleDrawer, build_pools, seeded

    for seed in (7, 8):
        regions = plan_regions(rng=seeded(seed, "map"))
        drawer = PeopleDrawer(rng=seeded(seed, "people"), pools=build_pools(seed=seed))
        members = [m for h in drawer.households(regions=regions, people=3_000) for m in h.members]
        for member in members:
            built = schemas.PersonCreate.model_construct(**member)
            assert schemas.PersonCreate.model_validate(member).model_dump() == built.model_dump()
        assert len(members) == 3_000


def test_every_step_of_the_generator_shows_a_labelled_bar_that_fills(settings, engine):
    from io import StringIO

    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(file=StringIO())) as progress:
        generate(settings=settings, people=PEOPLE, seed=7, progress=progress)

    steps = {task.description: (task.completed, task.total) for task in progress.tasks}
    for step in ("Regions, agencies and services", "People and households", "Businesses and the data catalogue",
                 "Staff accounts and API keys", "A year of contacts and cases",
                 "Facts from their authoritative sources", "Consents and a year of data exchange",
                 "Notification preferences", "Messages: case updates, a reminder, suggestions",
                 "A year of survey answers"):
        assert step in steps
    assert all(total and completed == total for completed, total in steps.values()), steps
