"""The demo country tells one story (DESIGN §7): one reference clock for every layer, and every story
holds across domains. A small country is generated once per store and checked as a whole."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from govcx.consent.models import ConsentEvent
from govcx.crm.models import Case, CaseEvent, CaseEventKind, Interaction
from govcx.demo.generator import generate
from govcx.exchange.models import AccessLogEntry
from govcx.feedback.models import FollowUp, Response, Survey, SurveyKind
from govcx.notify.models import Message
from govcx.registry import service as registry
from govcx.registry.models import Agency, Person
from govcx.vault.models import Fact
from tests.demo.conftest import PEOPLE
from tests.demo.test_generator import _empty as empty_store

REFERENCE = re.compile(r"(?:request|solicitud) ([0-9A-F]{8})\b")


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _now(truth: dict[str, Any], newest: list[datetime]) -> datetime:
    # The reference clock the truth file names; a country without one is held to its own newest row.
    return datetime.fromisoformat(truth["now"]) if "now" in truth else max(newest)


def _citizen(session, cipher, credentials):  # noqa: ANN001, ANN202
    return registry.find_person_by_national_id(session=session, cipher=cipher,
                                               national_id=credentials["citizen"]["national_id"])


def test_every_case_update_cites_a_case_of_that_person_from_the_agency_that_owns_it(demo, uow):
    with uow() as session:
        messages = list(session.scalars(select(Message).where(Message.template_key == "case.updated")))
        agencies = {a.id: a.name for a in session.scalars(select(Agency))}
        cases = {c.id: c for c in session.scalars(select(Case).where(Case.person_id.is_not(None)))}

    assert messages
    for message in messages:
        assert message.dedup_key and message.dedup_key.startswith("case-status:"), message.dedup_key
        case = cases.get(_case_id(message.dedup_key))
        assert case is not None, f"{message.dedup_key} names no case"
        assert case.person_id == message.person_id
        assert message.sender_agency_id == case.agency_id
        if message.subject:  # rendered (a message skipped before rendering has none)
            assert REFERENCE.findall(message.subject) == [str(case.token)[:8].upper()]
            assert agencies[case.agency_id] in message.text_body


def _case_id(dedup_key: str):  # noqa: ANN202
    from uuid import UUID

    return UUID(dedup_key.split(":")[1])


def test_a_reminder_cites_only_documents_the_persons_data_holds(demo, uow):
    with uow() as session:
        reminders = list(session.scalars(select(Message).where(Message.template_key == "reminder.renewal")))
        holders = set(session.scalars(select(Fact.subject_id).where(
            Fact.attribute_key == "transport.driving_licence", Fact.is_current.is_(True))))

    assert reminders
    for reminder in reminders:
        assert "driving licence" in reminder.subject.lower() or "Driving licence" in reminder.why_data
        assert reminder.person_id in holders


def test_every_cases_status_is_the_last_entry_of_its_history(demo, uow):
    with uow() as session:
        cases = {c.id: c.status for c in session.scalars(select(Case))}
        history = session.execute(select(CaseEvent.case_id, CaseEvent.kind, CaseEvent.status)
                                  .where(CaseEvent.kind.in_([CaseEventKind.OPENED, CaseEventKind.STATUS]))
                                  .order_by(CaseEvent.case_id, CaseEvent.at, CaseEvent.id)).all()
    last = {case_id: status for case_id, _kind, status in history}

    assert cases
    wrong = {case_id: (status, last.get(case_id)) for case_id, status in cases.items() if last.get(case_id) != status}
    assert not wrong, f"{len(wrong)} cases show a status their history does not end with"


def test_every_domain_ends_at_the_same_now(demo, truth, uow):
    with uow() as session:
        newest = {
            "contacts": session.scalar(select(func.max(Interaction.started_at))),
            "cases": session.scalar(select(func.max(CaseEvent.at))),
            "survey answers": session.scalar(select(func.max(Response.submitted_at))),
            "messages": session.scalar(select(func.max(Message.created_at))),
            "consents": session.scalar(select(func.max(ConsentEvent.at))),
            "access log": datetime.fromtimestamp(session.scalar(select(func.max(AccessLogEntry.at_us))) / 1e6, UTC),
        }
        registered = session.scalar(select(func.max(Person.created_at)))
        facts_since = session.scalar(select(func.max(Fact.recorded_at)))
        first_contact = session.scalar(select(func.min(Interaction.started_at)))
    now = _now(truth, [_utc(at) for at in newest.values()])

    for domain, at in newest.items():
        assert now - timedelta(days=1) <= _utc(at) <= now, f"{domain} end at {at}, not at {now}"
    # Registered and recorded before the history that uses them, never after the reference now.
    assert _utc(registered) <= _utc(first_contact)
    assert _utc(facts_since) <= now


def test_open311_lists_public_reports(demo, client):
    listed = client.get("/open311/v2/requests.json")

    assert listed.status_code == 200
    reports = listed.json()
    assert reports
    assert all(r["lat"] is not None and r["address"] for r in reports)


def test_the_demo_citizen_has_cases_contacts_and_messages(demo, credentials, uow, cipher):
    with uow() as session:
        person = _citizen(session, cipher, credentials)
        cases = session.scalar(select(func.count()).select_from(Case).where(Case.person_id == person.id))
        contacts = session.scalar(select(func.count()).select_from(Interaction)
                                  .where(Interaction.person_id == person.id))
        messages = set(session.scalars(select(Message.template_key).where(Message.person_id == person.id)))

    assert cases >= 1 and contacts >= 1
    assert {"case.updated", "reminder.renewal"} <= messages


def test_every_quick_survey_has_answers_and_low_trust_opened_follow_ups(demo, uow):
    with uow() as session:
        answered = dict(session.execute(select(Survey.kind, func.count(Response.id))
                                        .join(Response, Response.survey_id == Survey.id)
                                        .group_by(Survey.kind)).all())
        follow_ups = session.scalar(select(func.count()).select_from(FollowUp))

    for kind in (SurveyKind.A11_V2, SurveyKind.CSAT, SurveyKind.CES, SurveyKind.NPS):
        assert answered.get(kind, 0) > 0, kind
    assert follow_ups > 0


def _history(uow) -> dict[str, list]:  # noqa: ANN001
    """What a person would compare between two runs: cases and their history, contacts, answers, messages."""
    with uow() as session:
        return {
            "cases": sorted(session.execute(select(Case.token, Case.status, Case.opened_at, Case.updated_at)).all()),
            "history": sorted(session.execute(select(CaseEvent.id, CaseEvent.at, CaseEvent.status)).all()),
            "contacts": sorted(session.execute(select(Interaction.id, Interaction.started_at)).all()),
            "answers": sorted((str(r.submitted_at), repr([r.trust, r.satisfied, r.ces_score, r.nps_score]))
                              for r in session.scalars(select(Response))),
            "messages": sorted(session.execute(select(Message.person_id, Message.template_key, Message.created_at,
                                                      Message.subject)).all()),
        }


def test_the_same_seed_and_now_give_the_same_history(settings, engine, uow):
    now = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    generate(settings=settings, people=PEOPLE, seed=7, now=now)
    first = _history(uow)
    empty_store(engine)
    generate(settings=settings, people=PEOPLE, seed=7, now=now)

    assert _history(uow) == first
    assert max(_utc(at) for _, at, _ in first["history"]) <= now
