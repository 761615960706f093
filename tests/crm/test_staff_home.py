"""The console's home (/staff): the member's own work; and contacts and cases recorded from a person's page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from govcx.crm.models import Case, CaseStatus, Interaction
from tests.crm.test_queue import new_case, rows
from tests.web.helpers import csrf_token, sign_in_staff


def _section(html: str, heading: str) -> str:
    return re.search(rf"<h3>{heading}</h3>(.*?)(?=<h[23])", html, re.S).group(1)


def test_the_home_shows_my_open_cases_those_due_soon_and_those_past_due(client, uow, clock, gov, desk):
    late = new_case(uow, clock, gov, person=gov.ana, assignee=desk.me)
    clock.advance(hours=10)
    soon = new_case(uow, clock, gov, assignee=desk.me)
    new_case(uow, clock, gov, assignee=desk.me, status=CaseStatus.RESOLVED)
    new_case(uow, clock, gov, assignee=desk.colleague)
    clock.advance(hours=39)
    fresh = new_case(uow, clock, gov, assignee=desk.me)
    sign_in_staff(client, desk.me.email)

    home = client.get("/staff").text

    assert rows(_section(home, "Past due")) == [str(late.id)]
    assert rows(_section(home, "Due soon")) == [str(soon.id)]
    assert rows(_section(home, "My open cases, soonest due first")) == [str(late.id), str(soon.id), str(fresh.id)]
    counts = re.findall(r'<p class="font-heading-xl margin-0">(\d+)</p>', home)
    assert counts == ["3", "1", "1"]


def test_the_home_cards_lead_to_the_queue_filtered_to_my_work(client, uow, clock, gov, desk):
    mine = new_case(uow, clock, gov, assignee=desk.me)
    new_case(uow, clock, gov)
    sign_in_staff(client, desk.me.email)
    home = client.get("/staff").text
    link = re.search(r'href="([^"]+)">See my open cases</a>', home).group(1).replace("&amp;", "&")

    assert rows(client.get(link).text) == [str(mine.id)]


def test_a_contact_recorded_from_a_persons_page_shows_on_the_home_and_the_timeline(client, uow, gov, desk):
    sign_in_staff(client, desk.me.email)
    person_page = client.get(f"/staff/persons/{gov.ana.id}").text
    assert f'href="/staff/persons/{gov.ana.id}/contacts/new"' in person_page
    token = csrf_token(client, f"/staff/persons/{gov.ana.id}/contacts/new")

    answer = client.post(f"/staff/persons/{gov.ana.id}/contacts", follow_redirects=False, data={
        "channel": "phone", "outcome": "resolved", "service_id": str(gov.pothole.id),
        "notes": "Asked when the crew comes", "csrf_token": token})

    assert answer.status_code == 303
    assert answer.headers["location"] == f"/staff/persons/{gov.ana.id}/timeline"
    with uow() as session:
        [contact] = session.scalars(select(Interaction)).all()
        assert (contact.person_id, contact.staff_id, contact.agency_id) == (gov.ana.id, desk.me.id, gov.transport.id)
    home = client.get("/staff").text
    recent = re.search(r"<h2>My recent contacts</h2>(.*?)</table>", home, re.S).group(1)
    assert "Phone" in recent and "Report a pothole" in recent and "Resolved there and then" in recent
    assert "Asked when the crew comes" in client.get(answer.headers["location"]).text


@pytest.mark.parametrize("data, field", [
    ({"channel": "pigeon", "outcome": "resolved"}, "channel"),
    ({"channel": "phone", "outcome": "vanished"}, "outcome"),
    ({"channel": "phone", "outcome": "case_opened"}, "outcome"),
    ({"channel": "phone", "outcome": "resolved", "service_id": "nope"}, "service_id"),
    ({"channel": "phone", "outcome": "resolved", "notes": "n" * 5001}, "notes"),
])
def test_a_refused_contact_form_keeps_what_was_typed(client, uow, gov, desk, data, field):
    sign_in_staff(client, desk.me.email)
    token = csrf_token(client, f"/staff/persons/{gov.ana.id}/contacts/new")

    answer = client.post(f"/staff/persons/{gov.ana.id}/contacts", data={**data, "csrf_token": token})

    assert answer.status_code == 422
    assert f'id="{field}-error"' in answer.text and f'href="#{field}"' in answer.text
    if "notes" in data:
        assert data["notes"] in answer.text
    with uow() as session:
        assert session.scalars(select(Interaction)).all() == []


def test_a_case_opened_from_a_persons_page_is_routed_and_shown(client, uow, gov, desk):
    sign_in_staff(client, desk.me.email)
    token = csrf_token(client, f"/staff/persons/{gov.ana.id}/cases/new")

    answer = client.post(f"/staff/persons/{gov.ana.id}/cases", follow_redirects=False, data={
        "service_id": str(gov.pothole.id), "description": "Pothole on Elm Street", "priority": "high",
        "channel": "phone", "csrf_token": token})

    with uow() as session:
        [case] = session.scalars(select(Case)).all()
    assert answer.status_code == 303 and answer.headers["location"] == f"/staff/cases/{case.id}"
    assert (case.person_id, case.department_id, case.priority.value) == (gov.ana.id, gov.roads.id, "high")
    page = client.get(answer.headers["location"]).text
    assert "Ana Lopez" in page and "Pothole on Elm Street" in page


@pytest.mark.parametrize("data, field", [
    ({"service_id": "", "description": "A pothole"}, "service_id"),
    ({"service_id": "{pothole}", "description": "x"}, "description"),
    ({"service_id": "{pothole}", "description": "A pothole", "priority": "asap"}, "priority"),
])
def test_a_refused_case_form_keeps_what_was_typed(client, uow, gov, desk, data, field):
    sign_in_staff(client, desk.me.email)
    token = csrf_token(client, f"/staff/persons/{gov.ana.id}/cases/new")
    data = {"priority": "normal", "channel": "phone"} | {k: v.format(pothole=gov.pothole.id) for k, v in data.items()}

    answer = client.post(f"/staff/persons/{gov.ana.id}/cases", data={**data, "csrf_token": token})

    assert answer.status_code == 422
    assert f'id="{field}-error"' in answer.text
    assert f">{data['description']}</textarea>" in answer.text
    with uow() as session:
        assert session.scalars(select(Case)).all() == []


def test_an_analyst_has_no_work_on_the_home_and_cannot_record_a_contact(client, uow, gov, desk):
    sign_in_staff(client, desk.analyst.email)

    home = client.get("/staff")
    form = client.get(f"/staff/persons/{gov.ana.id}/contacts/new")

    assert home.status_code == 200 and "My work" not in home.text and "Find a person" in home.text
    assert form.status_code == 403


def test_the_home_reads_in_spanish(client, uow, clock, gov, desk):
    new_case(uow, clock, gov, assignee=desk.me)
    sign_in_staff(client, desk.me.email)

    home = client.get("/staff", headers={"Accept-Language": "es"}).text

    assert "Mi trabajo" in home and "Mis casos abiertos" in home and "Consola del personal" in home
    assert "My work" not in home
