"""The baseline for benchmarks/foundation.py: the same framework serving the same person row, and nothing else.

No auth, no middleware, no unit of work, no decryption: one plain SQL select per request. Run it
under the same uvicorn settings as govcx, so the difference between the two is what govcx adds.
"""

from __future__ import annotations

import os
from datetime import date
from typing import Any
from uuid import UUID

from fastapi import FastAPI, HTTPException
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# Benchmarks may read the environment; govcx code never does.
DATABASE_URL = os.environ["BARE_DATABASE_URL"]
_url = make_url(DATABASE_URL)
_sqlite = _url.get_backend_name() == "sqlite"
engine = create_engine(
    _url.set(drivername="postgresql+psycopg") if _url.get_backend_name() == "postgresql" else _url,
    connect_args={"check_same_thread": False} if _sqlite else {},
)
# The same identity card govcx answers with: names, year of birth and region.
_SELECT = text("SELECT id, given_name, family_name, birth_date, region_id FROM person WHERE id = :id")

app = FastAPI()


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/api/v1/persons/{person_id}")
def get_person(person_id: UUID) -> dict[str, Any]:
    # SQLAlchemy's Uuid type keeps SQLite ids as 32 hex digits; PostgreSQL has a native uuid.
    with engine.connect() as connection:
        row = connection.execute(_SELECT, {"id": person_id.hex if _sqlite else person_id}).first()
    if row is None:
        raise HTTPException(status_code=404)
    birth = row.birth_date if isinstance(row.birth_date, date) else date.fromisoformat(row.birth_date)
    return {"id": row.id, "given_name": row.given_name, "family_name": row.family_name, "birth_year": birth.year,
            "region_id": row.region_id}
