from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from govcx.core.migrations import alembic_config, current_heads, upgrade
from govcx.core.db import make_engine
from govcx.models import metadata


def test_the_migrated_schema_matches_the_models(engine):
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)

    assert differences == []


def test_the_store_is_at_the_latest_migration(engine):
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()

    assert current_heads(engine) == {head}


def test_a_new_embedded_store_upgrades_from_nothing_and_twice_is_harmless(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")

    upgrade(engine)
    upgrade(engine)

    assert {"person", "agency", "service", "region", "data_attribute", "api_key", "staff_account"} <= set(
        inspect(engine).get_table_names()
    )
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_upgrading_takes_the_legal_basis_power_from_every_api_key_that_held_it(tmp_path):
    import json
    from datetime import UTC, datetime
    from uuid import uuid4

    from sqlalchemy import text

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0005")  # a store from before keys lost the power
    agency, now = uuid4().hex, datetime(2026, 1, 1, tzinfo=UTC).isoformat()
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO agency (id, code, name, description, created_at) "
                                "VALUES (:id, 'TAX', 'Tax', '', :at)"), {"id": agency, "at": now})
        connection.execute(text("INSERT INTO api_key (id, agency_id, label, lookup, secret_sha256, scopes, created_at) "
                                "VALUES (:id, :agency, 'old', 'abc', 'x', :scopes, :at)"),
                           {"id": uuid4().hex, "agency": agency, "at": now,
                            "scopes": json.dumps(["legal-basis:admin", "registry:read"])})

    upgrade(engine)

    with engine.connect() as connection:
        assert json.loads(connection.execute(text("SELECT scopes FROM api_key")).scalar_one()) == ["registry:read"]
