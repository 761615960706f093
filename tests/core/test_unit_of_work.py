from dataclasses import dataclass

import pytest
from sqlalchemy import select

from govcx.core import events
from govcx.registry.models import Agency
from tests.factories import registry as factories


@dataclass(frozen=True)
class AgencyOpened:
    code: str


@pytest.fixture
def heard():
    received: list[AgencyOpened] = []
    events.subscribe(AgencyOpened, received.append)
    yield received
    events.clear_subscriptions()


def test_work_is_committed_once_the_unit_ends_and_events_follow_the_commit(uow, clock, heard):
    with uow() as session:
        factories.agency(session, clock, code="TAX")
        events.publish(session, AgencyOpened("TAX"))
        assert heard == []

    with uow() as session:
        assert session.scalars(select(Agency.code)).all() == ["TAX"]
    assert heard == [AgencyOpened("TAX")]


def test_a_failing_unit_leaves_nothing_behind_and_publishes_nothing(uow, clock, heard):
    with pytest.raises(RuntimeError), uow() as session:
        factories.agency(session, clock, code="TAX")
        events.publish(session, AgencyOpened("TAX"))
        raise RuntimeError("boom")

    with uow() as session:
        assert session.scalars(select(Agency)).all() == []
    assert heard == []


def test_a_request_that_fails_after_writing_leaves_nothing_behind_and_publishes_nothing(app, uow, clock, heard):
    from fastapi.testclient import TestClient

    from govcx.core.deps import SessionDep
    from govcx.core.errors import Conflict

    @app.post("/test-only/write-then-fail")
    def write_then_fail(session: SessionDep) -> None:
        factories.agency(session, clock, code="HALF")
        events.publish(session, AgencyOpened("HALF"))
        raise Conflict("changed my mind")

    @app.post("/test-only/write")
    def write(session: SessionDep) -> None:
        factories.agency(session, clock, code="WHOLE")
        events.publish(session, AgencyOpened("WHOLE"))

    with TestClient(app) as client:
        failed = client.post("/test-only/write-then-fail")
        succeeded = client.post("/test-only/write")

    assert failed.status_code == 409
    assert succeeded.status_code == 200
    with uow() as session:
        assert session.scalars(select(Agency.code)).all() == ["WHOLE"]
    assert heard == [AgencyOpened("WHOLE")]
