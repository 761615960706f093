"""Alembic environment: the engine comes from govcx (never from alembic.ini)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from govcx.core.config import Settings
from govcx.core.db import make_engine
from govcx.models import metadata

config = context.config
engine: Engine | None = config.attributes.get("engine")
if engine is None:
    engine = make_engine(Settings().resolved_database_url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
