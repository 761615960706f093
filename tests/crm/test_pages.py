"""The staff console and the citizen's page, driven the way a browser without JavaScript does."""

from datetime import timedelta

from govcx.crm.models import Case
from tests.factories import crm as crm_factories
from tests.web.helpers import csrf_token, h1_count, sign_in_citizen, sign_in_staff


def _case(uow, clock, gov, **kw):
    with uow() as session:
        return crm_factories.case(session, clock, gov.transport, gov.pothole.id, gov.ana.id, **kw)


def _status(uow, case_id):
    with uow() as session:
        return session.get(Case, case_id).status.value


def test_a_departments_queue_shows_each_cases_sla_state(client, uow, clock, gov, staff_email):
    _case(uow, clock, gov, description="Old pothole")
    clock.advance(hours=47)
    _case(uow, clock, gov, description="New pothole")
    clock.advance(hours=2)
    sign_in_staff(client, staff_email(gov.transport))

    page = client.get("/staff/cases", params={"department_id": str(gov.roads.id)})

    assert page.status_code == 200 and h1_count(page.text) == 1
    assert all(f"{label}</a>" in page.text for label in ("Overdue: 1", "Due soon: 0", "On track: 1"))
    assert page.text.index("Overdue</span>") < page.text.index("On track</span>")


def test_staff_resolve_a_case_with_a_plain_form_post(client, uow, clock, gov, staff_email):
    case = _case(uow, clock, gov)
    sign_in_staff(client, staff_email(gov.transport))
    token = csrf_token(client, f"/staff/cases/{case.id}")

    answer = client.post(f"/staff/cases/{case.id}/status", follow_redirects=False,
                         data={"status": "resolved", "reason": "Filled", "csrf_token": token})

    assert answer.status_code == 303 and answer.headers["location"] == f"/staff/cases/{case.id}"
    assert _status(uow, case.id) == "resolved"
    assert "status resolved: Filled" in client.get(f"/staff/cases/{case.id}").text


def test_staff_add_notes_assign_and_transfer_with_forms(client, uow, clock, gov, staff_email):
    case = _case(uow, clock, gov)
    email = staff_email(gov.transport)
    sign_in_staff(client, email)
    token = csrf_token(client, f"/staff/cases/{case.id}")
    from govcx.core.accounts import StaffAccount
    from sqlalchemy import select

    with uow() as session:
        me = session.scalars(select(StaffAccount).where(StaffAccount.email == email)).one()

    client.post(f"/staff/cases/{case.id}/notes", data={"note": "Crew booked", "csrf_token": token})
    client.post(f"/staff/cases/{case.id}/assignment", data={"assignee_id": str(me.id), "csrf_token": token})
    client.post(f"/staff/cases/{case.id}/transfer",
                data={"destination": f"{gov.transport.id}/{gov.licences.id}", "reason": "Licence matter",
                      "csrf_token": token})
    page = client.get(f"/staff/cases/{case.id}").text

    assert "note: Crew booked" in page and "assigned to Sam Staff" in page
    assert "transferred to Transport Agency, Licences: Licence matter" in page


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(client, uow, clock, gov, staff_email):
    case = _case(uow, clock, gov)
    sign_in_staff(client, staff_email(gov.transport))

    answer = client.post(f"/staff/cases/{case.id}/status", data={"status": "in_progress"})

    assert answer.status_code == 403
    assert _status(uow, case.id) == "open"


def test_resolving_without_a_reason_in_the_form_is_a_422_and_changes_nothing(client, uow, clock, gov, staff_email):
    case = _case(uow, clock, gov)
    sign_in_staff(client, staff_email(gov.transport))
    token = csrf_token(client, f"/staff/cases/{case.id}")

    answer = client.post(f"/staff/cases/{case.id}/status", data={"status": "resolved", "csrf_token": token})

    assert answer.status_code == 422 and "resolving or closing a case needs a reason" in answer.text
    assert _status(uow, case.id) == "open"


def test_staff_of_another_agency_follow_a_case_but_get_no_forms_and_a_403_if_they_post(
    client, uow, clock, gov, staff_email
):
    case = _case(uow, clock, gov)
    sign_in_staff(client, staff_email(gov.tax))
    page = client.get(f"/staff/cases/{case.id}")
    token = csrf_token(client, "/staff")

    answer = client.post(f"/staff/cases/{case.id}/status",
                         data={"status": "in_progress", "csrf_token": token})

    assert page.status_code == 200 and "you can follow it, not change it" in page.text
    assert 'action="/staff/cases/' not in page.text
    assert answer.status_code == 403 and _status(uow, case.id) == "open"


def test_the_timeline_page_shows_entries_held_facts_and_filters(client, uow, clock, gov, staff_email):
    with uow() as session:
        crm_factories.interaction(session, clock, gov.tax, gov.ana.id, notes="Asked about a deduction",
                                  started_at=clock.now() - timedelta(days=1))
        crm_factories.case(session, clock, gov.transport, gov.pothole.id, gov.ana.id)
    sign_in_staff(client, staff_email(gov.tax))
    url = f"/staff/persons/{gov.ana.id}/timeline"

    everything = client.get(url).text
    only_cases = client.get(url, params={"type": "case"}).text
    bad = client.get(url, params={"channel": "pigeon"})

    assert "Asked about a deduction" in everything and "Case about Report a pothole filed" in everything
    assert "<dt>Phone</dt><dd>Population register" in everything  # held facts, beside the timeline ...
    assert "+15550100" not in everything  # ... without their values
    assert "Asked about a deduction" not in only_cases and "Report a pothole filed" in only_cases
    assert bad.status_code == 422


def test_the_person_page_links_to_the_timeline(client, gov, staff_email):
    sign_in_staff(client, staff_email(gov.tax))

    assert f'href="/staff/persons/{gov.ana.id}/timeline"' in client.get(f"/staff/persons/{gov.ana.id}").text


def test_a_citizen_sees_only_their_own_cases(client, uow, clock, cipher, gov):
    from tests.factories import registry as factories

    with uow() as session:
        other = factories.person(session, clock, cipher, given_name="Bo", national_id="NID-OTHER-1")
        crm_factories.case(session, clock, gov.transport, gov.pothole.id, other.id, description="Bo's pothole")
        crm_factories.case(session, clock, gov.transport, gov.pothole.id, gov.ana.id, description="Ana's pothole")
    sign_in_citizen(client, "NID-7700-1234")

    page = client.get("/me/cases").text

    assert "Ana&#39;s pothole" in page and "Bo&#39;s pothole" not in page
