"""The baseline for benchmarks/exchange.py: the same framework returning the same facts with no checks and no log.

No API key, no consent or legal-basis decision, no access log, no unit of work: one plain SQL select of
the current facts asked for. Run under the same uvicorn settings as govcx.
"""

from __future__ import annotations

import os
from typing import Any
from uuid import UUID

from fastapi import FastAPI
from pydantic import BaseModel
from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import make_url

# Benchmarks may read the environment; govcx code never does.
_url = make_url(os.environ["BARE_DATABASE_URL"])
_sqlite = _url.get_backend_name() == "sqlite"
engine = create_engine(
    _url.set(drivername="postgresql+psycopg") if _url.get_backend_name() == "postgresql" else _url,
    connect_args={"check_same_thread": False} if _sqlite else {},
)
_SELECT = text(
    "SELECT id, subject_id, attribute_key, value, version, source_organization_id, source_agency_id, evidence, "
    "verified, recorded_at FROM fact WHERE subject_id = :subject AND is_current AND attribute_key IN :keys"
).bindparams(bindparam("keys", expanding=True))

app = FastAPI()


class Ask(BaseModel):
    subject_id: UUID
    attributes: list[str]
    purpose: str


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/api/v1/exchange/requests")
def request_data(ask: Ask) -> dict[str, Any]:
    with engine.connect() as connection:
        rows = connection.execute(_SELECT, {"subject": ask.subject_id.hex if _sqlite else ask.subject_id,
                                            "keys": ask.attributes}).mappings().all()
    return {"status": "answered", "facts": [dict(r) for r in rows]}
