"""The newest page of a person's timeline costs the same however long their history is.

Every statement that reads a page of history is served by an index in the page's order, on both
stores: none reads or sorts all of the person's history to find its newest entries. Names shown on
the page are cached, yet a renamed agency or service and a new one show at once.
"""

from datetime import timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, event, text

from govcx.core.migrations import alembic_config, upgrade
from govcx.exchange import service as exchange
from govcx.registry import schemas as registry_schemas
from govcx.registry import service as registry
from tests.factories import consent as consent_factories
from tests.factories import crm as crm_factories
from tests.factories import vault as vault_factories
from tests.factories.exchange import log_entries
from tests.factories.registry import _platform_actor

INCOME = "tax.annual_income"
# Where a person's history lives: a page of it must never scan or sort one of these.
HISTORY = ("crm_interaction", "crm_case_event", "consent_event", "access_log_entry")


@pytest.fixture
def history(uow, clock, cipher, gov):
    """Ana with every kind of timeline entry: contacts, a case, a consent given, data uses."""
    with uow() as session:
        vault_factories.attribute(session, clock, INCOME, agency=gov.tax)
        for days in (1, 2, 3):
            crm_factories.interaction(session, clock, gov.tax, gov.ana.id, started_at=clock.now() - timedelta(days=days),
                                      service_id=gov.tax_return.id)
        crm_factories.case(session, clock, gov.transport, gov.pothole.id, gov.ana.id)
        consent_factories.consent(session, clock, subject_id=gov.ana.id, requester_id=gov.tax.id, attributes=[INCOME])
        exchange.append(session=session, signer=consent_factories.SIGNER, at=clock.now(),
                        entries=log_entries(subject_id=gov.ana.id, agency_id=gov.tax.id, clock=clock, n=3))


def _statements(call):  # noqa: ANN001, ANN202
    """What `call` runs on any engine (the app has its own), as (statement, parameters)."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        seen.append((statement, parameters))

    event.listen(Engine, "before_cursor_execute", record)
    try:
        answer = call()
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    return answer, seen


def _plan(engine: Engine, statement: str, parameters: object) -> list[str]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            return [row[-1] for row in rows]
        # Tiny test tables would make any plan a sequential scan; ask what an index can serve.
        connection.exec_driver_sql("SET enable_seqscan = off")
        return [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()]


def _reads_all_history(engine: Engine, plan: list[str]) -> bool:
    if engine.dialect.name == "sqlite":
        return any("TEMP B-TREE" in line or any(line.startswith(f"SCAN {table}") for table in HISTORY)
                   for line in plan)
    return any("Sort" in line or "Seq Scan" in line for line in plan)


@pytest.mark.parametrize("viewer", ["tax", "transport"])  # the consent's requester, and an agency that is not
@pytest.mark.parametrize("params", [
    {}, {"type": "case"}, {"type": "consent"}, {"type": "data_use"}, {"channel": "phone"}, {"agency": "tax"},
    {"before": "now"}, {"limit": 2},
])
def test_every_statement_that_reads_a_page_of_history_is_served_by_an_index_in_page_order(
        client, engine, uow, clock, gov, history, key_for, viewer, params):
    headers = key_for(getattr(gov, viewer))
    query = dict(params)
    if "agency" in query:
        query = {"agency_id": str(getattr(gov, query.pop("agency")).id)}
    if query.get("before") == "now":
        query["before"] = (clock.now() + timedelta(minutes=1)).isoformat()
    path = f"/api/v1/persons/{gov.ana.id}/timeline"
    assert client.get(path, headers=headers).status_code == 200

    answer, statements = _statements(lambda: client.get(path, headers=headers, params=query))

    assert answer.status_code == 200, answer.text
    pages = [(s, p) for s, p in statements if " LIMIT " in s.upper() and any(t in s for t in HISTORY)]
    assert pages
    slow = [(statement, plan) for statement, parameters in pages
            if _reads_all_history(engine, plan := _plan(engine, statement, parameters))]
    assert slow == []


def test_a_renamed_or_new_agency_or_service_shows_on_the_next_page(client, uow, clock, gov, history, key_for):
    path, headers = f"/api/v1/persons/{gov.ana.id}/timeline", key_for(gov.tax)
    first = client.get(path, headers=headers).json()["items"]
    assert {"Tax Agency", "Transport Agency"} <= {i["agency_name"] for i in first}
    assert any("File a tax return" in i["title"] for i in first)

    with uow() as session:
        registry.update_agency(session=session, agency_id=gov.tax.id,
                               data=registry_schemas.AgencyUpdate(name="Revenue Office"))
        registry.update_service(session=session, service_id=gov.tax_return.id, by=_platform_actor(), clock=clock,
                                data=registry_schemas.ServiceUpdate(name="Declare your income"))
        from tests.factories import registry as factories

        welfare = factories.agency(session, clock, code="WEL", name="Welfare Office")
        benefit = factories.catalogue_service(session, clock, welfare, code="BENEFIT")
        benefit_name = benefit.name
        crm_factories.interaction(session, clock, welfare, gov.ana.id, service_id=benefit.id)

    second = client.get(path, headers=headers).json()["items"]
    names = {i["agency_name"] for i in second}
    assert {"Revenue Office", "Welfare Office"} <= names and "Tax Agency" not in names
    assert any("Declare your income" in i["title"] for i in second)
    assert not any("File a tax return" in i["title"] for i in second)
    assert any(benefit_name in i["title"] for i in second)


def test_upgrading_gives_every_existing_history_line_its_person_and_keeps_the_timeline_whole(
        client, engine, uow, gov, history, key_for):
    path, headers = f"/api/v1/persons/{gov.ana.id}/timeline", key_for(gov.tax)
    before = client.get(path, headers=headers).json()["items"]
    assert {"interaction", "case", "consent", "data_use"} <= {i["type"] for i in before}

    command.downgrade(alembic_config(engine), "0010")  # a store from before the timeline's indexes ...
    upgrade(engine)  # ... upgraded: the migration fills each line's person from its case or consent

    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM crm_case_event WHERE person_id IS NULL")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM consent_event WHERE subject_id IS NULL")).scalar() == 0
    assert client.get(path, headers=headers).json()["items"] == before
