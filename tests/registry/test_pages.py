import re

import pytest

from govcx.core.accounts import Role
from govcx.registry import schemas, service
from govcx.registry.models import Sensitivity, SubjectKind, ValueType
from tests.factories import crm as crm_factories
from tests.factories import registry as factories
from tests.factories import vault as vault_factories
from tests.web.helpers import h1_count, sign_in_citizen, sign_in_staff

NORTH = {"type": "Polygon", "coordinates": [[[10, 51], [12, 51], [12, 52], [10, 52], [10, 51]]]}
SOUTH = {"type": "MultiPolygon", "coordinates": [[[[10, 50], [12, 50], [12, 51], [10, 51], [10, 50]]]]}


@pytest.fixture
def staff_email(uow, clock, tax):
    def make(role: Role = Role.STAFF) -> str:
        with uow() as session:
            return factories.staff(session, clock, tax, role).email

    return make


def _row(html: str, header: str) -> str:
    return re.search(rf"<tr[^>]*>\s*<th scope=\"row\"[^>]*>(?:<a [^>]*>)?{re.escape(header)}.*?</tr>", html,
                     re.S).group(0)


def test_the_service_catalogue_lists_each_agency_with_channels_target_time_and_sla(client, uow, clock, tax):
    with uow() as session:
        factories.catalogue_service(session, clock, tax)
        factories.agency(session, clock, code="EMPTY", name="Empty Agency")

    page = client.get("/services")

    assert page.status_code == 200 and h1_count(page.text) == 1
    row = _row(page.text, "Renew a driving licence")
    assert "Web, In person" in row and "20 minutes" in row and "3 days" in row
    assert "Empty Agency" in page.text and "No services are listed for this agency yet." in page.text


def test_the_data_catalogue_shows_sensitivity_and_authoritative_source(client, uow, clock, tax):
    with uow() as session:
        service.create_data_attribute(session=session, clock=clock, data=schemas.DataAttributeCreate(
            key="tax.annual_income", name="Annual income", subject_kind=SubjectKind.PERSON,
            value_type=ValueType.MONEY, sensitivity=Sensitivity.SENSITIVE, source_agency_id=tax.id,
        ))

    row = _row(client.get("/data-catalogue").text, "Annual income")

    assert "tax.annual_income" in row and "sensitive" in row and "Tax Agency" in row


def test_a_person_sees_their_own_record_with_the_national_id_masked(client, uow, clock, cipher):
    with uow() as session:
        region = service.create_region(session=session, clock=clock,
                                       data=schemas.RegionCreate(code="N", name="Northshire"))
        factories.person(session, clock, cipher, given_name="Ana", family_name="Lopez",
                         national_id="NID-7700-1234", region_id=region.id)
        factories.person(session, clock, cipher, given_name="Other", family_name="Person")
    sign_in_citizen(client, "NID-7700-1234")

    page = client.get("/me")

    assert page.status_code == 200
    assert "Ana Lopez" in page.text and "Northshire" in page.text and "2 April 1985" in page.text
    assert "•••••••••1234" in page.text and "NID-7700-1234" not in page.text
    assert "Other Person" not in page.text
    assert "data vault" in page.text


def test_staff_find_a_person_by_name_and_open_the_record(client, uow, clock, cipher, staff_email):
    with uow() as session:
        ana = factories.person(session, clock, cipher, given_name="Ana", family_name="Lopez",
                               national_id="NID-7700-1234")
        factories.person(session, clock, cipher, given_name="Bo", family_name="Berg")
    sign_in_staff(client, staff_email())

    results = client.get("/staff/persons", params={"q": "lopez"})
    detail = client.get(f"/staff/persons/{ana.id}")

    assert results.status_code == 200
    assert f'href="/staff/persons/{ana.id}"' in results.text and "Bo Berg" not in results.text
    assert "1985" in results.text and "2 April 1985" not in results.text and "1234" not in results.text
    assert detail.status_code == 200 and "Ana Lopez" in detail.text and "NID-7700-1234" not in detail.text


def test_staff_page_through_results_with_the_cursor(client, uow, clock, cipher, staff_email):
    with uow() as session:
        for n in range(27):
            factories.person(session, clock, cipher, given_name=f"Kim{n:02d}", family_name="Park")
    sign_in_staff(client, staff_email())

    first = client.get("/staff/persons", params={"q": "park"})
    cursor = re.search(r"cursor=([^\"&]+)", first.text).group(1)
    second = client.get("/staff/persons", params={"q": "park", "cursor": cursor})

    names = re.compile(r"Kim\d\d Park")
    assert len(names.findall(first.text)) == 25 and len(names.findall(second.text)) == 2
    assert set(names.findall(first.text)).isdisjoint(names.findall(second.text))
    assert "Next page" not in second.text and "First page" in second.text


def test_an_empty_search_lists_no_one_and_a_too_short_one_says_why(client, uow, clock, cipher, staff_email):
    with uow() as session:
        factories.person(session, clock, cipher, given_name="Ana", family_name="Lopez")
    sign_in_staff(client, staff_email())

    empty = client.get("/staff/persons")
    short = client.get("/staff/persons", params={"q": "a"})

    assert empty.status_code == 200 and "Ana Lopez" not in empty.text
    assert short.status_code == 422 and "at least 2 characters" in short.text


def test_an_unknown_person_is_a_404_page(client, staff_email):
    sign_in_staff(client, staff_email())

    answer = client.get("/staff/persons/0190f0e0-0000-7000-8000-000000000000")

    assert answer.status_code == 404 and "No person with id" in answer.text


def test_regions_show_small_populations_as_suppressed_never_as_a_number(client, uow, clock, cipher, staff_email,
                                                                         settings):
    with uow() as session:
        north = service.create_region(session=session, clock=clock,
                                      data=schemas.RegionCreate(code="N", name="Northshire", shape=NORTH))
        south = service.create_region(session=session, clock=clock,
                                      data=schemas.RegionCreate(code="S", name="Southvale", shape=SOUTH))
        service.create_region(session=session, clock=clock, data=schemas.RegionCreate(code="E", name="Eastmarch"))
        for n in range(settings.suppression_threshold + 2):
            factories.person(session, clock, cipher, given_name=f"N{n}", family_name="North", region_id=north.id)
        for n in range(3):
            factories.person(session, clock, cipher, given_name=f"S{n}", family_name="South", region_id=south.id)
    sign_in_staff(client, staff_email(Role.CX_ANALYST))

    page = client.get("/cx/regions").text

    assert re.search(r"<td[^>]*>\s*12\s*</td>", _row(page, "Northshire"))
    assert re.search(r"<td[^>]*>\s*suppressed\s*</td>", _row(page, "Southvale"))
    assert re.search(r"<td[^>]*>\s*suppressed\s*</td>", _row(page, "Eastmarch"))
    assert "Southvale: 3" not in page and "Southvale: suppressed" in page
    # The map: one shaded area per region with a shape; colours come from classes, never style attributes.
    areas = re.findall(r'<path class="govcx-map__area ([\w-]+)" d="M[^"]+"', page)
    assert sorted(areas) == ["chart-fill--1", "chart-fill--withheld"]
    assert "style=" not in page


def _contact_catalogue(session, clock, cipher, person, source):  # noqa: ANN001, ANN202
    values = {"person.email": "ana.private@example.org", "person.phone": "+15550199",
              "person.address": "7 Hidden Lane, 00100 Aurelia"}
    for key in values:
        vault_factories.attribute(session, clock, key, agency=source)
    for key, value in values.items():
        vault_factories.fact(session, clock, cipher, subject_id=person.id, key=key, value=value, agency=source)


def test_staff_without_a_case_are_told_to_ask_through_a_data_request(client, uow, clock, cipher, tax, staff_email):
    with uow() as session:
        ana = factories.person(session, clock, cipher, given_name="Ana", family_name="Lopez")
        _contact_catalogue(session, clock, cipher, ana, tax)
    sign_in_staff(client, staff_email())

    page = client.get(f"/staff/persons/{ana.id}")

    assert page.status_code == 200 and "Ana Lopez" in page.text and "1985" in page.text
    assert "available through a" in page.text and "data request" in page.text
    assert "ana.private@example.org" not in page.text and "+15550199" not in page.text
    assert "Hidden Lane" not in page.text and "2 April 1985" not in page.text


def test_staff_handling_a_case_read_contact_details_and_the_read_is_logged_against_the_case(
        client, uow, clock, cipher, tax, staff_email):
    with uow() as session:
        ana = factories.person(session, clock, cipher, given_name="Ana", family_name="Lopez",
                               national_id="NID-7700-1234")
        _contact_catalogue(session, clock, cipher, ana, tax)
        case = crm_factories.case(session, clock, tax, factories.catalogue_service(session, clock, tax).id, ana.id)
    sign_in_staff(client, staff_email())

    page = client.get(f"/staff/persons/{ana.id}")
    sign_in_citizen(client, "NID-7700-1234")
    log = client.get("/api/v1/me/access-log").json()["items"]

    assert "ana.private@example.org" in page.text and "+15550199" in page.text and "7 Hidden Lane" in page.text
    assert f'href="/staff/cases/{case.id}"' in page.text
    assert [(e["requester_name"], e["purpose"], e["decision"], e["reason"], e["case_id"]) for e in log] == [
        ("Tax Agency", "ServiceProvision", "permit", "case", str(case.id))]
    assert log[0]["attributes"] == ["person.address", "person.email", "person.phone"]
