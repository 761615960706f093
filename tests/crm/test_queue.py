"""The caseworker console's queue: references and names, my cases, filters, search, sorting and pages.

Driven as a browser without JavaScript does; every test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import func, select

from govcx.crm import schemas, service
from govcx.crm.models import Case, CaseStatus
from govcx.exchange.models import AccessLogEntry
from tests.factories import crm as crm_factories
from tests.web.helpers import sign_in_staff

_ROW = re.compile(r'<th scope="row"[^>]*><a class="usa-link" href="/staff/cases/([0-9a-f-]+)">')


def rows(html: str) -> list[str]:
    """The ids of the cases a queue page lists, in its order."""
    return _ROW.findall(html)


def new_case(uow, clock, gov, *, person=None, assignee=None, status: CaseStatus | None = None,
             description: str = "A deep pothole outside number 12") -> Case:
    """A case of the transport agency, assigned and moved on through the service as a desk would."""
    by = crm_factories.system_of(gov.transport)
    with uow() as session:
        case = crm_factories.case(session, clock, gov.transport, gov.pothole.id,
                                  person.id if person is not None else None, description=description)
        if assignee is not None:
            service.assign(session=session, case_id=case.id, by=by, clock=clock,
                           data=schemas.CaseAssignment(assignee_id=assignee.id))
        if status is not None:
            service.change_status(session=session, case_id=case.id, by=by, clock=clock,
                                  data=schemas.CaseStatusChange(status=status, reason="Done"))
        return case


def case_ids(*cases: Case) -> list[str]:
    return [str(c.id) for c in cases]


@pytest.fixture
def as_me(client, desk):
    sign_in_staff(client, desk.me.email)
    return client


def test_the_queue_shows_each_cases_reference_and_its_persons_name_read_under_the_case(
        as_me, uow, clock, gov, desk):
    anas = new_case(uow, clock, gov, person=gov.ana)
    public = new_case(uow, clock, gov)
    with uow() as session:
        before = session.scalar(select(func.count()).select_from(AccessLogEntry))

    page = as_me.get("/staff/cases")

    assert page.status_code == 200
    assert service.reference(anas) in page.text and service.reference(public) in page.text
    assert "Ana Lopez" in page.text and "No one in particular" in page.text
    with uow() as session:
        reads = session.scalars(select(AccessLogEntry).where(AccessLogEntry.subject_id == gov.ana.id)).all()
        assert session.scalar(select(func.count()).select_from(AccessLogEntry)) == before + 1
    # The read is the person's to see: her access log names the agency and the case it was made under.
    assert [(r.requester_agency_id, r.decision, r.reason) for r in reads] == [(gov.transport.id, "permit", "case")]


def test_a_closed_cases_person_is_not_named_and_nothing_is_read(as_me, uow, clock, gov, desk):
    new_case(uow, clock, gov, person=gov.ana, status=CaseStatus.CLOSED)

    page = as_me.get("/staff/cases", params={"status": "done"})

    assert page.status_code == 200 and len(rows(page.text)) == 1
    assert "Ana Lopez" not in page.text and "Not shown" in page.text
    with uow() as session:
        assert session.scalar(select(func.count()).select_from(AccessLogEntry)) == 0


def test_my_cases_are_the_cases_assigned_to_me(as_me, uow, clock, gov, desk):
    mine = new_case(uow, clock, gov, person=gov.ana, assignee=desk.me)
    new_case(uow, clock, gov, person=desk.bo, assignee=desk.colleague)
    new_case(uow, clock, gov)
    queue = as_me.get("/staff/cases").text
    my_cases_link = re.search(r'href="([^"]+)">My cases</a>', queue).group(1).replace("&amp;", "&")

    page = as_me.get(my_cases_link)

    assert rows(page.text) == case_ids(mine)
    assert "Maria Quintero" in page.text


@pytest.mark.parametrize("who, expected", [("me", [0]), ("none", [2]), ("colleague", [1]), ("", [0, 1, 2])])
def test_the_queue_filters_by_assignee(as_me, uow, clock, gov, desk, who, expected):
    cases = [new_case(uow, clock, gov, assignee=desk.me), new_case(uow, clock, gov, assignee=desk.colleague),
             new_case(uow, clock, gov)]
    assignee = str(desk.colleague.id) if who == "colleague" else who

    page = as_me.get("/staff/cases", params={"assignee": assignee})

    assert page.status_code == 200
    assert sorted(rows(page.text)) == sorted(case_ids(*(cases[i] for i in expected)))


@pytest.mark.parametrize("status, expected", [
    (None, ["open", "in_progress"]), ("open", ["open", "in_progress"]), ("", ["open", "in_progress", "resolved",
                                                                              "closed"]),
    ("done", ["resolved", "closed"]), ("open_only", ["open"]), ("in_progress", ["in_progress"]),
    ("resolved", ["resolved"]), ("closed", ["closed"]),
])
def test_the_queue_filters_by_status_open_by_default_and_any_when_empty(as_me, uow, clock, gov, desk, status,
                                                                        expected):
    made = {s: new_case(uow, clock, gov, status=None if s == "open" else CaseStatus(s))
            for s in ("open", "in_progress", "resolved", "closed")}

    page = as_me.get("/staff/cases", params={} if status is None else {"status": status})

    assert page.status_code == 200
    assert sorted(rows(page.text)) == sorted(case_ids(*(made[s] for s in expected)))


@pytest.fixture
def every_sla_state(uow, clock, gov):
    """One case in each SLA state (the pothole's SLA is 48 hours; due soon is its last fifth)."""
    start = clock.now()
    overdue = new_case(uow, clock, gov, description="Overdue pothole")
    breached = new_case(uow, clock, gov, description="Breached pothole")
    clock.advance(hours=10)
    due_soon = new_case(uow, clock, gov, description="Due-soon pothole")
    met = new_case(uow, clock, gov, description="Met pothole", status=CaseStatus.RESOLVED)
    clock.advance(hours=39)  # 49 hours after the start
    with uow() as session:
        service.change_status(session=session, case_id=breached.id, by=crm_factories.system_of(gov.transport),
                              clock=clock, data=schemas.CaseStatusChange(status=CaseStatus.RESOLVED, reason="Late"))
    on_track = new_case(uow, clock, gov, description="On-track pothole")
    assert clock.now() - start == timedelta(hours=49)
    return {"overdue": overdue, "breached": breached, "due_soon": due_soon, "met": met, "on_track": on_track}


@pytest.mark.parametrize("state", ["overdue", "due_soon", "on_track", "met", "breached"])
def test_the_queue_filters_by_service_level(every_sla_state, as_me, state):
    page = as_me.get("/staff/cases", params={"status": "", "sla": state})

    assert page.status_code == 200
    assert rows(page.text) == case_ids(every_sla_state[state])


def test_the_sla_filter_and_the_state_shown_beside_each_case_agree(uow, clock, gov, desk, every_sla_state):
    # One rule, said twice (in SQL to filter, in Python to label): they must never disagree.
    for hours in (0, 1, 5, 30):
        clock.advance(hours=hours)
        with uow() as session:
            for state in schemas.SlaState:
                picked, _total = service.queue(
                    session=session, agency_id=gov.transport.id, me=desk.me.id, now=clock.now(),
                    query=schemas.CaseQueueQuery(status=schemas.QueueStatus.ANY, sla=state))
                assert {service.sla_state(c, now=clock.now()) for c in picked} <= {state.value}
            everything, total = service.queue(session=session, agency_id=gov.transport.id, me=desk.me.id,
                                              now=clock.now(), query=schemas.CaseQueueQuery(status="any"))
            counted = sum(service.queue(session=session, agency_id=gov.transport.id, me=desk.me.id, now=clock.now(),
                                        query=schemas.CaseQueueQuery(status="any", sla=s))[1]
                          for s in schemas.SlaState)
            assert counted == total == len(everything) == 5


def test_the_counts_link_to_each_service_level_keeping_the_other_filters(every_sla_state, as_me, desk):
    page = as_me.get("/staff/cases", params={"assignee": "none"}).text
    link = re.search(r'href="([^"]+)">Overdue: 1</a>', page).group(1).replace("&amp;", "&")

    assert parse_qs(urlparse(link).query) == {"assignee": ["none"], "sla": ["overdue"]}
    assert rows(as_me.get(link).text) == case_ids(every_sla_state["overdue"])


@pytest.mark.parametrize("typed", ["{ref}", "{lower}", "{dashed}", "  #{ref} ", "{token}", "{start}"])
def test_staff_find_a_case_by_its_reference(as_me, uow, clock, gov, desk, typed):
    # Filed in the same minute, so their tokens start alike: references come from the random end.
    made = [new_case(uow, clock, gov, person=gov.ana) for _ in range(4)]
    starts = [service.reference(c)[:6] for c in made]
    wanted = next(c for c, start in zip(made, starts, strict=True) if starts.count(start) == 1)
    ref = service.reference(wanted)
    assert len({service.reference(c) for c in made}) == 4 and len(ref) == 10

    page = as_me.get("/staff/cases", params={"reference": typed.format(
        ref=ref, lower=ref.lower(), dashed=f"{ref[:5]}-{ref[5:]}", token=str(wanted.token), start=ref[:6])})

    assert page.status_code == 200
    assert rows(page.text) == case_ids(wanted)


def test_a_reference_nobody_has_finds_nothing(as_me, uow, clock, gov, desk):
    case = new_case(uow, clock, gov)
    other = "0" * 8 if not service.reference(case).startswith("0") else "F" * 8

    page = as_me.get("/staff/cases", params={"reference": other})

    assert page.status_code == 200 and rows(page.text) == []
    assert "No case matches these filters." in page.text


@pytest.mark.parametrize("params, field", [
    ({"reference": "not-a-ref"}, "reference"), ({"reference": "AB"}, "reference"), ({"sla": "late"}, "sla"),
    ({"status": "lost"}, "status"), ({"assignee": "someone"}, "assignee"), ({"department_id": "roads"},
                                                                             "department_id"),
    ({"sort": "name"}, "sort"), ({"page": "0"}, "page"),
])
def test_a_filter_that_cannot_be_understood_is_shown_beside_its_field(as_me, uow, clock, gov, desk, params,
                                                                      field):
    new_case(uow, clock, gov)

    page = as_me.get("/staff/cases", params=params)

    assert page.status_code == 422
    assert 'id="error-summary"' in page.text and f'href="#{field}"' in page.text
    assert f'id="{field}-error"' in page.text or field in ("sort", "page")
    assert rows(page.text) == []


def test_a_colleague_of_another_agency_or_a_retired_one_is_no_assignee_filter(as_me, uow, clock, gov, desk):
    for account in (desk.taxman, desk.retired, desk.analyst):
        page = as_me.get("/staff/cases", params={"assignee": str(account.id)})
        assert page.status_code == 422 and 'id="assignee-error"' in page.text


def test_the_filter_form_submitted_with_its_defaults_shows_the_open_cases(as_me, uow, clock, gov, desk):
    cases = [new_case(uow, clock, gov), new_case(uow, clock, gov)]
    new_case(uow, clock, gov, status=CaseStatus.CLOSED)

    page = as_me.get("/staff/cases?reference=&assignee=&status=open&sla=&department_id=&sort=due")

    assert page.status_code == 200
    assert sorted(rows(page.text)) == sorted(case_ids(*cases))


def test_the_department_filter_keeps_to_the_agencys_departments(as_me, uow, clock, gov, desk):
    roads = new_case(uow, clock, gov)
    with uow() as session:
        service.transfer(session=session, case_id=roads.id, by=crm_factories.system_of(gov.transport), clock=clock,
                         data=schemas.CaseTransfer(agency_id=gov.transport.id, department_id=gov.licences.id))
    stays = new_case(uow, clock, gov)

    assert rows(as_me.get("/staff/cases", params={"department_id": str(gov.roads.id)}).text) == case_ids(stays)
    assert rows(as_me.get("/staff/cases", params={"department_id": str(gov.licences.id)}).text) == case_ids(roads)


@pytest.fixture
def three_in_a_row(uow, clock, gov):
    """Three cases opened an hour apart, moved to different statuses; the pothole's SLA puts due = opened + 48h."""
    first = new_case(uow, clock, gov, status=CaseStatus.WAITING_ON_CUSTOMER)
    clock.advance(hours=1)
    second = new_case(uow, clock, gov)
    clock.advance(hours=1)
    third = new_case(uow, clock, gov, status=CaseStatus.IN_PROGRESS)
    return first, second, third


@pytest.mark.parametrize("sort, descending, order", [
    ("due", False, [0, 1, 2]), ("due", True, [2, 1, 0]), ("opened", False, [0, 1, 2]), ("opened", True, [2, 1, 0]),
    ("status", False, [1, 2, 0]), ("status", True, [0, 2, 1]),
])
def test_the_queue_sorts_by_due_opened_and_status(three_in_a_row, as_me, sort, descending, order):
    params = {"sort": sort} | ({"descending": "true"} if descending else {})

    page = as_me.get("/staff/cases", params=params)

    assert rows(page.text) == case_ids(*(three_in_a_row[i] for i in order))


def test_sorting_links_keep_the_filters_and_turn_the_order_around(three_in_a_row, as_me, desk):
    page = as_me.get("/staff/cases", params={"assignee": "none", "sort": "opened"}).text
    links = {label: parse_qs(urlparse(href.replace("&amp;", "&")).query)
             for href, label in re.findall(r'<th scope="col"[^>]*><a class="usa-link" href="([^"]+)">(\w+)', page)}

    assert links["Opened"] == {"assignee": ["none"], "sort": ["opened"], "descending": ["true"]}
    assert links["Due"] == {"assignee": ["none"]}
    assert links["Status"] == {"assignee": ["none"], "sort": ["status"]}
    assert 'Opened<span class="usa-sr-only">, sorted, ascending</span>' in page
    assert rows(as_me.get("/staff/cases?" + "&".join(f"{k}={v[0]}" for k, v in links["Opened"].items())).text) \
        == case_ids(*reversed(three_in_a_row))


def test_the_queue_pages_by_25_and_the_page_links_keep_the_filters(as_me, uow, clock, gov, desk):
    made = []
    for _ in range(27):
        made.append(new_case(uow, clock, gov, assignee=desk.me))
        clock.advance(minutes=1)
    new_case(uow, clock, gov)  # not mine: never on these pages

    first = as_me.get("/staff/cases", params={"assignee": "me"}).text
    next_link = re.search(r'href="([^"]+)">Next page</a>', first).group(1).replace("&amp;", "&")
    second = as_me.get(next_link).text

    assert parse_qs(urlparse(next_link).query) == {"assignee": ["me"], "page": ["2"]}
    assert rows(first) == case_ids(*made[:25]) and rows(second) == case_ids(*made[25:])
    assert "Page 1 of 2" in first and "Page 2 of 2" in second and "Next page" not in second
    assert "Cases found: 27" in first
    assert as_me.get("/staff/cases", params={"assignee": "me", "page": "3"}).status_code == 422


def test_the_queue_reads_in_spanish(as_me, uow, clock, gov, desk):
    new_case(uow, clock, gov, person=gov.ana, assignee=desk.me)

    page = as_me.get("/staff/cases", headers={"Accept-Language": "es"}).text

    assert "Cola de trámites: Transport Agency" in page and "Asignado a" in page and "En plazo" in page
    assert "Case queue" not in page
