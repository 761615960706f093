"""Shared fixtures: every integration test runs on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from govcx.app import create_app
from govcx.core.clock import FixedClock
from govcx.core.config import Environment, Settings
from govcx.core.crypto import FieldCipher
from govcx.core.db import make_engine, make_session_factory, unit_of_work
from govcx.core.migrations import upgrade
from govcx.models import metadata

# Tests read their own knobs here; govcx code reads only Settings.
POSTGRES_URL = os.environ.get("GOVCX_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("GOVCX_REQUIRE_POSTGRES") == "1"
TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-0123456789"
START = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty operational store: a SQLite file, or a fresh schema on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "govcx.db"
        url = f"sqlite:///{path}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    problem = _postgres_reachable()
    if problem:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (GOVCX_REQUIRE_POSTGRES=1) but unreachable: {problem}")
        pytest.skip(f"PostgreSQL unreachable at {make_url(POSTGRES_URL).render_as_string()}: {problem}")
    schema = f"govcx_test_{os.getpid()}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    engine = make_engine(rendered)
    upgrade(engine)
    engine.dispose()
    yield rendered
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Start every database test from empty tables (the schema stays migrated)."""
    yield
    if "engine" not in request.fixturenames:
        return
    engine: Engine = request.getfixturevalue("engine")
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            # The access log refuses TRUNCATE (migration 0007). Tests connect as a superuser, and this
            # maintenance path, which the application's own role cannot take, switches triggers off.
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            connection.execute(text(f"TRUNCATE {names} CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        env=Environment.TEST, data_dir=tmp_path / "data", database_url=database_url, secret_key=TEST_SECRET,
        auto_upgrade=False, log_level="WARNING",
    )


@pytest.fixture
def cipher(settings: Settings) -> FieldCipher:
    return FieldCipher.from_secret(settings.secret, settings.encryption_key_id)


@pytest.fixture
def uow(engine: Engine) -> Callable[[], AbstractContextManager[Session]]:
    """Arrange data the way the app does: one committed unit of work per call."""
    factory = make_session_factory(engine)
    return lambda: unit_of_work(factory)


@pytest.fixture
def app(settings: Settings, clock: FixedClock, engine: Engine):  # noqa: ANN201
    return create_app(settings, clock=clock)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # noqa: ANN001
    with TestClient(app) as client:
        yield client
