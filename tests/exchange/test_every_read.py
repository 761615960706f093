"""The class attack: no route of the app hands out a person's catalogued values without a logged decision.

A person is seeded with known values of catalogued attributes (national id, birth date, e-mail, phone,
street address), and with records: a case, an interaction, a consent, an answered data request, a
household. Then an agency key holding every scope, but no consent or law for her, and the staff of that
agency (which handles no case of hers), call every GET route the app has: the routes are read from the
app itself, so a route added later is attacked too. Path parameters are filled with her id and the ids
of her records. No answer may carry one of her values unless an access-log entry for that read exists.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote_plus, urlencode
from uuid import UUID

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import func, select
from starlette.testclient import TestClient

from govcx.consent.models import Purpose
from govcx.core.accounts import KEY_SCOPES, Role, Scope
from govcx.crm import schemas as crm_schemas
from govcx.crm import service as crm
from govcx.exchange import schemas as exchange_schemas
from govcx.exchange import service as exchange
from govcx.exchange.models import AccessLogEntry
from govcx.registry import schemas as registry_schemas
from govcx.registry import service as registry
from govcx.registry.models import Agency, Sensitivity, ValueType
from tests.factories import consent as consent_factories
from tests.factories import crm as crm_factories
from tests.factories import registry as factories
from tests.factories import vault as vault_factories
from tests.web.helpers import sign_in_staff

NATIONAL_ID = "850402-913X"
SECRETS = {
    "national id": [NATIONAL_ID],
    "birth date": ["1985-04-02", "2 April 1985", "02.04.1985", "04/02/1985", "02/04/1985"],
    "e-mail": ["ana.hidden@example.org"],
    "phone": ["+15550142"],
    "street address": ["7 Hidden Lane"],
}
CATALOGUED = {"person.national_id": NATIONAL_ID, "person.birth_date": "1985-04-02",
              "person.email": "ana.hidden@example.org", "person.phone": "+15550142",
              "person.address": "7 Hidden Lane, 00100 Aurelia"}

@dataclass
class World:
    person_id: UUID
    attacker_id: UUID
    home_id: UUID
    ids: list[UUID]
    keys: list[str]
    case_token: str
    service_code: str


@pytest.fixture
def world(uow, clock, cipher) -> World:
    """Ana, her records at the agency handling her case, and an agency with every scope and no ground."""
    with uow() as session:
        pop = factories.agency(session, clock, code="POP", name="Population Register")
        home = factories.agency(session, clock, code="HOME", name="Housing Agency")
        attacker = factories.agency(session, clock, code="NOSY", name="Curious Agency")
        for key in CATALOGUED:
            vault_factories.attribute(session, clock, key, agency=pop, sensitivity=Sensitivity.SENSITIVE
                                      if key == "person.national_id" else Sensitivity.PERSONAL,
                                      value_type=ValueType.DATE if key == "person.birth_date" else ValueType.STRING)
        household = registry.create_household(session=session, region_id=None, clock=clock)
        ana = registry.create_person(session=session, cipher=cipher, clock=clock, data=registry_schemas.PersonCreate(
            national_id=NATIONAL_ID, given_name="Ana", family_name="Lopez", birth_date=date(1985, 4, 2),
            email="ana.hidden@example.org", phone="+15550142", street_address="7 Hidden Lane", postal_code="00100",
            locality="Aurelia", household_id=household.id))
        facts = [vault_factories.fact(session, clock, cipher, subject_id=ana.id, key=key, value=value, agency=pop)
                 for key, value in CATALOGUED.items()]
        housing = factories.catalogue_service(session, clock, home, code="HOUSING")
        case = crm_factories.case(session, clock, home, housing.id, ana.id, description="Heating is broken")
        interaction = crm.record_interaction(session=session, clock=clock, by=crm_factories.system_of(home),
                                             data=crm_schemas.InteractionCreate(
            person_id=ana.id, service_id=housing.id, channel="phone", started_at=clock.now(), outcome="resolved",
            values_given={"phone": "+15550142", "email": "guess@example.org"}))
        consent = consent_factories.consent(session, clock, subject_id=ana.id, requester_id=home.id,
                                            attributes=["person.email"])
        answered = exchange.ask(session=session, agency_id=home.id, clock=clock, signer=consent_factories.SIGNER,
                                cipher=cipher, data=exchange_schemas.ExchangeRequestCreate(
            subject_id=ana.id, attributes=["person.email"], purpose=Purpose.SERVICE_PROVISION))
        assert answered.facts, "the agency handling her case was answered: there is a disclosed answer to attack"
        return World(
            person_id=ana.id, attacker_id=attacker.id, home_id=home.id,
            ids=[ana.id, household.id, case.id, interaction.id, consent.id, answered.request.id, housing.id,
                 home.id, *(f.id for f in facts)],
            keys=list(CATALOGUED), case_token=str(case.token), service_code=housing.code,
        )


def _get_routes(app) -> list[tuple[str, object]]:  # noqa: ANN001
    routes = {ctx.path: ctx for ctx in iter_route_contexts(app.routes) if "GET" in (getattr(ctx, "methods", None) or ())}
    return sorted(routes.items(), key=lambda pair: pair[0])


def _fillings(name: str, world: World) -> list[str]:
    if name == "format":
        return ["json", "xml"]
    if name in ("key", "attribute_key"):
        return world.keys
    if name == "service_code":
        return [world.service_code]
    ids = [str(i) for i in world.ids]
    return [world.case_token, *ids] if name == "token" else ids


def _queries(ctx, world: World) -> list[dict[str, str]]:  # noqa: ANN001
    dependant = getattr(ctx, "dependant", None)
    names = {p.alias or p.name for p in dependant.query_params} if dependant is not None else set()
    queries: list[dict[str, str]] = [{}]
    if "q" in names:
        queries += [{"q": q} for q in ("Lopez", "Ana Lopez", NATIONAL_ID, "ana.hidden@example.org", "+15550142")]
    queries += [{name: str(world.person_id)} for name in sorted(names) if name in ("person_id", "subject_id")]
    return queries


def _urls(path: str, ctx, world: World) -> list[str]:  # noqa: ANN001
    names = re.findall(r"{(\w+)(?::\w+)?}", path)
    urls = []
    for values in itertools.product(*(_fillings(n, world) for n in names)):
        url = path
        for name, value in zip(names, values, strict=True):
            url = re.sub(r"{" + name + r"(?::\w+)?}", value, url)
        urls += [url + (f"?{urlencode(q)}" if q else "") for q in _queries(ctx, world)]
    return urls


def _leaks(body: str, url: str) -> list[str]:
    # A value the caller itself put in the request is an echo (a search box), not a disclosure.
    asked = unquote_plus(url).lower()
    return [what for what, forms in SECRETS.items() for form in forms if form in body and form.lower() not in asked]


def _logged_reads(uow, world: World, agency_id: UUID) -> int:
    with uow() as session:
        return session.scalar(select(func.count()).select_from(AccessLogEntry).where(
            AccessLogEntry.subject_id == world.person_id, AccessLogEntry.requester_agency_id == agency_id,
            AccessLogEntry.decision == "permit"))


def _attack(client: TestClient, routes, world: World, uow, agency_id: UUID, headers: dict[str, str]):  # noqa: ANN001, ANN202
    """Call every route with every filling; return unlogged leaks, logged reads and statuses."""
    leaks, logged, statuses = [], [], {}
    for path, ctx in routes:
        for url in _urls(path, ctx, world):
            before = _logged_reads(uow, world, agency_id)
            answer = client.get(url, headers=headers, follow_redirects=False)
            statuses[url] = answer.status_code
            body = answer.text
            found = _leaks(body, url)
            if found and _logged_reads(uow, world, agency_id) > before:
                logged.append((url, found))
            elif found:
                leaks.append((url, answer.status_code, found))
    return leaks, logged, statuses


def test_no_route_gives_an_agency_without_consent_or_law_a_persons_catalogued_values(app, uow, clock, world):
    routes = _get_routes(app)
    with uow() as session:
        key = factories.api_key(session, clock, session.get(Agency, world.attacker_id), sorted(KEY_SCOPES))
    with TestClient(app) as client:
        leaks, logged, statuses = _attack(client, routes, world, uow, world.attacker_id, {"X-API-Key": key})

    assert leaks == []
    assert logged == []
    # The attack reached the person: these answered, with her, and still said nothing.
    assert statuses[f"/api/v1/persons/{world.person_id}"] == 200
    assert statuses[f"/api/v1/persons?{urlencode({'q': NATIONAL_ID})}"] == 200
    assert statuses[f"/api/v1/persons/{world.person_id}/timeline"] == 200
    assert len(statuses) > 200


@pytest.mark.parametrize("role", [Role.STAFF, Role.AGENCY_ADMIN, Role.CX_ANALYST, Role.PLATFORM_ADMIN])
def test_no_page_or_route_gives_staff_without_a_case_a_persons_catalogued_values(app, uow, clock, world, role):
    routes = _get_routes(app)
    with uow() as session:
        agency = None if role is Role.PLATFORM_ADMIN else session.get(Agency, world.attacker_id)
        email = factories.staff(session, clock, agency, role).email
    with TestClient(app) as client:
        sign_in_staff(client, email)
        leaks, logged, statuses = _attack(client, routes, world, uow, world.attacker_id, {})

    assert leaks == []
    assert logged == []
    assert statuses[f"/staff/persons/{world.person_id}"] == 200
    assert statuses[f"/staff/persons?{urlencode({'q': NATIONAL_ID})}"] == 200


def test_the_staff_of_the_agency_handling_her_case_read_her_contact_details_only_with_a_log_entry(
        app, uow, clock, world):
    with uow() as session:
        email = factories.staff(session, clock, session.get(Agency, world.home_id), Role.STAFF).email
    routes = [(path, ctx) for path, ctx in _get_routes(app) if path == "/staff/persons/{person_id}"]
    with TestClient(app) as client:
        sign_in_staff(client, email)
        leaks, logged, _ = _attack(client, routes, world, uow, world.home_id, {})

    assert leaks == []
    assert [(url, sorted(found)) for url, found in logged] == [
        (f"/staff/persons/{world.person_id}", ["e-mail", "phone", "street address"])]
