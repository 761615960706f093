"""A person's once-only view with something in every part: facts, consents, a preview waiting, a log."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from govcx.consent.models import Purpose
from govcx.core.clock import Clock
from govcx.core.crypto import FieldCipher
from govcx.core.ids import new_id
from govcx.exchange import schemas, service
from govcx.registry.models import Agency, Person
from tests.factories import consent as consent_factories
from tests.factories import vault as vault_factories
from tests.factories.consent import SIGNER


def citizen_view(session: Session, clock: Clock, cipher: FieldCipher, *, person: Person, source: Agency,
                 requester: Agency, key: str) -> None:
    """Give `person` a fact from `source`, consents for `requester` (one waiting), a pending preview and
    a permitted and a denied request in the access log."""
    vault_factories.fact(session, clock, cipher, subject_id=person.id, key=key, value="48250.00", agency=source)
    consent_factories.consent(session, clock, subject_id=person.id, requester_id=requester.id, attributes=[key],
                              give=False)
    consent_factories.consent(session, clock, subject_id=person.id, requester_id=requester.id, attributes=[key])
    ask = schemas.ExchangeRequestCreate(subject_id=person.id, attributes=[key], purpose=Purpose.SERVICE_PROVISION)
    service.ask(session=session, agency_id=requester.id, data=ask, clock=clock, signer=SIGNER, cipher=cipher)
    denied = ask.model_copy(update={"purpose": Purpose.RESEARCH_AND_DEVELOPMENT})
    service.ask(session=session, agency_id=requester.id, data=denied, clock=clock, signer=SIGNER, cipher=cipher)
    consent_factories.consent(session, clock, subject_id=person.id, requester_id=requester.id, attributes=[key],
                              one_off=True, requires_preview=True, purpose=Purpose.IDENTITY_VERIFICATION)
    preview = ask.model_copy(update={"purpose": Purpose.IDENTITY_VERIFICATION})
    service.ask(session=session, agency_id=requester.id, data=preview, clock=clock, signer=SIGNER, cipher=cipher)


def log_entries(*, subject_id: UUID, agency_id: UUID, clock: Clock, n: int) -> list[dict[str, Any]]:
    """`n` access-log entries about one person, ready for `exchange.service.append`."""
    return [{
        "at_us": service.to_micros(clock.now()) + i, "subject_id": subject_id, "requester_agency_id": agency_id,
        "service_id": None, "purpose": "ServiceProvision", "attributes": "bank.interest_statement",
        "decision": "permit" if i % 3 else "deny", "reason": "consent" if i % 3 else "consent_paused",
        "consent_id": None, "legal_basis_id": None, "request_id": new_id(),
    } for i in range(n)]


def as_insider(engine: Engine, *statements: str) -> None:
    """Run statements as a database insider who can switch PostgreSQL's append-only triggers off."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            connection.execute(text(statement))


def rehash(engine: Engine, *, change_at: int) -> None:
    """As an insider without the key: change one entry, then recompute every hash after it and the head."""
    with engine.connect() as connection:
        rows = [dict(r) for r in connection.execute(text(
            "SELECT * FROM access_log_entry WHERE seq >= :seq ORDER BY seq"), {"seq": change_at}).mappings()]
    rows[0]["attributes"] = "tax.annual_income"
    prev, updates = rows[0]["prev_hash"], []
    for row in rows:
        row.update({k: _uuid(row[k]) for k in ("subject_id", "requester_agency_id", "service_id", "consent_id",
                                               "legal_basis_id", "request_id")})
        digest = service.chain(prev, service.entry_line(row))
        updates.append({"seq": row["seq"], "prev": prev, "hash": digest, "attributes": row["attributes"]})
        prev = digest
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL session_replication_role = replica"))
        connection.execute(text("UPDATE access_log_entry SET prev_hash = :prev, hash = :hash, attributes = :attributes "
                                "WHERE seq = :seq"), updates)
        connection.execute(text("UPDATE access_log_head SET hash = :hash"), {"hash": prev})


def _uuid(value: Any) -> UUID | None:
    return value if value is None or isinstance(value, UUID) else UUID(str(value))
