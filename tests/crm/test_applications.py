"""Applications filed from the portal: prefilled from the vault, the rest from the person, a case at the agency."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from govcx.crm import service
from govcx.crm.models import Case, CaseAnswer
from govcx.vault import service as vault
from tests.factories.selfservice import CHILDREN, EMAIL, INCOME, NAME, town


@pytest.fixture
def place(uow, clock, cipher):
    with uow() as session:
        return town(session, clock, cipher)


def test_an_application_carries_what_government_holds_and_what_the_person_added(uow, clock, cipher, place):
    with uow() as session:
        case = service.file_application(session=session, clock=clock, cipher=cipher, person_id=place.ana.id,
                                        service_id=place.benefit.id,
                                        answers={CHILDREN: "2", EMAIL: "ana@example.org"})
        case_id = case.id

    with uow() as session:
        case = session.get(Case, case_id)
        answers = {a.attribute_key: a for a in service.answers_of(session=session, cipher=cipher, case_id=case_id)}
        email = vault.current_facts(session=session, cipher=cipher, subject_id=place.ana.id, keys=[EMAIL])
        stored_income = session.scalars(select(CaseAnswer).where(CaseAnswer.attribute_key == INCOME)).one()

    assert case.agency_id == place.soc.id and case.person_id == place.ana.id and case.service_id == place.benefit.id
    assert answers[NAME].value == "Ana Lopez" and answers[NAME].from_vault
    assert answers[NAME].source_name == "Population Register"
    assert answers[INCOME].value == "48250.00" and answers[INCOME].source_name == "Tax Agency"
    assert answers[CHILDREN].value == "2" and not answers[CHILDREN].from_vault and answers[CHILDREN].source_name == ""
    # The e-mail is self-declarable: given once, it is in her vault for the next form.
    assert [f.value for f in email] == ["ana@example.org"] and email[0].provenance.self_declared
    # A sensitive value is sealed on the case as in the vault.
    assert stored_income.value is None and stored_income.sealed is not None


@pytest.mark.parametrize(("answers", "fields"), [
    ({}, {CHILDREN: "missing", EMAIL: "missing"}),
    ({CHILDREN: "two", EMAIL: "a@example.org"}, {CHILDREN: "format"}),
    ({CHILDREN: "2", EMAIL: "a@example.org", NAME: "Someone Else"}, {NAME: "held"}),
    ({CHILDREN: "2", EMAIL: "a@example.org", "bank.secret": "x"}, {"bank.secret": "unknown"}),
])
def test_an_application_with_a_bad_answer_names_the_field_and_files_nothing(uow, clock, cipher, place, answers,
                                                                             fields):
    with uow() as session, pytest.raises(service.AnswersInvalid) as refused:
        service.file_application(session=session, clock=clock, cipher=cipher, person_id=place.ana.id,
                                 service_id=place.benefit.id, answers=answers)

    with uow() as session:
        cases = session.scalar(select(func.count()).select_from(Case))
    assert refused.value.fields == fields
    assert cases == 0


def test_a_person_sees_only_their_own_cases(uow, clock, cipher, place):
    with uow() as session:
        case = service.file_application(session=session, clock=clock, cipher=cipher, person_id=place.ana.id,
                                        service_id=place.benefit.id, answers={CHILDREN: "1", EMAIL: "a@example.org"})
        case_id = case.id

    with uow() as session:
        assert service.get_case_of_person(session=session, case_id=case_id, person_id=place.ana.id).id == case_id
        with pytest.raises(service.NotFound):
            service.get_case_of_person(session=session, case_id=case_id, person_id=place.bob.id)
