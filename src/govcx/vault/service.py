"""Vault rules: only an attribute's authoritative source writes it; every version is kept."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from govcx.core.clock import Clock
from govcx.core.crypto import FieldCipher, Sealed
from govcx.core.errors import Forbidden, Invalid, NotFound
from govcx.core.events import publish
from govcx.core.ids import new_id
from govcx.core.pagination import PageParams
from govcx.registry import service as registry
from govcx.registry.models import DataAttribute, Sensitivity, SubjectKind, ValueType
from govcx.vault import schemas
from govcx.vault.events import FactRecorded
from govcx.vault.models import Fact, FormField

SELF = "You (self-declared)"


@dataclass(frozen=True)
class Source:
    """Who records a fact: an agency, an organization acting as data provider, or the person."""

    agency_id: UUID | None = None
    organization_id: UUID | None = None
    person_id: UUID | None = None


_CATALOGUE = "govcx_vault_catalogue"
_CATALOGUE_LIMIT = 100_000


def catalogue(*, session: Session) -> dict[str, DataAttribute]:
    """Return the data catalogue by attribute key (read once per unit of work: every request needs it)."""
    if _CATALOGUE not in session.info:
        rows, _ = registry.list_data_attributes(session=session, page=PageParams(cursor=None, limit=_CATALOGUE_LIMIT))
        session.info[_CATALOGUE] = {a.key: a for a in rows}
    return session.info[_CATALOGUE]


def _context(fact_subject: UUID, key: str) -> str:
    # Binds each sealed value to its subject and attribute, so a blob moved to another row fails to open.
    return f"fact:{fact_subject}:{key}"


def _check_authority(attribute: DataAttribute, subject_id: UUID, by: Source) -> None:
    if by.person_id is not None:
        if not attribute.self_declarable:
            raise Forbidden(f"{attribute.name} comes from its authoritative source; it cannot be self-declared.")
        if by.person_id != subject_id:
            raise Forbidden("A person can declare facts only about themselves.")
        return
    if by.agency_id is not None and attribute.source_agency_id == by.agency_id:
        return
    if by.organization_id is not None and attribute.source_organization_id == by.organization_id:
        return
    raise Forbidden(f"Only the authoritative source of {attribute.key} may record it.")


def _check_subject(session: Session, attribute: DataAttribute, subject_id: UUID) -> None:
    try:
        if attribute.subject_kind is SubjectKind.PERSON:
            registry.get_person(session=session, person_id=subject_id)
        else:
            registry.get_organization(session=session, organization_id=subject_id)
    except NotFound as exc:
        raise Invalid(f"{attribute.key} is about a {attribute.subject_kind.value}; {exc.detail}") from exc


def record_fact(
    *, session: Session, data: schemas.FactCreate, by: Source, cipher: FieldCipher, clock: Clock
) -> Fact:
    """Record a new version of a fact; the one it replaces stays in the history."""
    attribute = catalogue(session=session).get(data.attribute_key)
    if attribute is None:
        raise Invalid(f"{data.attribute_key} is not in the data catalogue.")
    _check_authority(attribute, data.subject_id, by)
    _check_subject(session, attribute, data.subject_id)
    if data.valid_from and data.valid_to and data.valid_to <= data.valid_from:
        raise Invalid("valid_to must come after valid_from.")
    previous = session.scalars(
        select(Fact).where(Fact.subject_id == data.subject_id, Fact.attribute_key == attribute.key,
                           Fact.is_current.is_(True))
    ).one_or_none()
    if previous is not None:
        previous.is_current = False
    fact = Fact(
        subject_id=data.subject_id, attribute_key=attribute.key, version=(previous.version + 1) if previous else 1,
        source_agency_id=attribute.source_agency_id if by.person_id is None else None,
        source_organization_id=attribute.source_organization_id if by.person_id is None else None,
        self_declared=by.person_id is not None, verified=data.verified and by.person_id is None,
        evidence=data.evidence, valid_from=data.valid_from, valid_to=data.valid_to, recorded_at=clock.now(),
        **_stored_value(cipher, attribute, data.subject_id, data.value),
    )
    session.add(fact)
    session.flush()
    publish(session, FactRecorded(fact_id=fact.id, subject_id=fact.subject_id, attribute_key=fact.attribute_key,
                                  version=fact.version, previous_fact_id=previous.id if previous else None,
                                  recorded_at=fact.recorded_at))
    return fact


def well_formed(attribute: DataAttribute, value: str) -> bool:
    """Whether `value` reads as a value of the attribute's type (a date, a number, yes or no...)."""
    try:
        if attribute.value_type is ValueType.DATE:
            datetime.strptime(value, "%Y-%m-%d")
        elif attribute.value_type is ValueType.INTEGER:
            int(value)
        elif attribute.value_type in (ValueType.DECIMAL, ValueType.MONEY):
            return math.isfinite(float(value.replace(",", "")))
        elif attribute.value_type is ValueType.BOOLEAN:
            return value.lower() in ("yes", "no", "true", "false")
    except ValueError:
        return False
    return True


def _stored_value(cipher: FieldCipher, attribute: DataAttribute, subject_id: UUID, value: str) -> dict:
    if attribute.sensitivity is not Sensitivity.SENSITIVE:
        return {"value": value, "sealed": None, "key_id": None}
    sealed = cipher.seal(value, context=_context(subject_id, attribute.key))
    return {"value": None, "sealed": sealed.blob, "key_id": sealed.key_id}


def _value(cipher: FieldCipher, fact: Fact) -> str:
    if fact.sealed is None:
        return fact.value or ""
    return cipher.open(Sealed(fact.key_id or "", fact.sealed), context=_context(fact.subject_id, fact.attribute_key))


class _Names:
    """Names of sources, looked up once per call."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._organizations: dict[UUID, str] = {}

    def of(self, fact: Any) -> tuple[str, UUID | None, str]:
        if fact.self_declared:
            return "self", None, SELF
        if fact.source_agency_id is not None:
            agency_id = fact.source_agency_id
            return "agency", agency_id, registry.agency_names(session=self._session, wanted=(agency_id,))[agency_id]
        org_id = fact.source_organization_id
        if org_id is not None and org_id not in self._organizations:
            self._organizations[org_id] = registry.get_organization(session=self._session, organization_id=org_id).name
        return "organization", org_id, self._organizations.get(org_id, "") if org_id else ""


def _read(fact: Fact, attributes: dict[str, DataAttribute], names: _Names, cipher: FieldCipher) -> schemas.FactRead:
    kind, source_id, source_name = names.of(fact)
    attribute = attributes.get(fact.attribute_key)
    return schemas.FactRead(
        id=fact.id, subject_id=fact.subject_id, attribute_key=fact.attribute_key,
        attribute_name=attribute.name if attribute else fact.attribute_key, value=_value(cipher, fact),
        version=fact.version,
        provenance=schemas.Provenance(
            source_kind=kind, source_id=source_id, source_name=source_name, evidence=fact.evidence,
            verified=fact.verified, self_declared=fact.self_declared, valid_from=fact.valid_from,
            valid_to=fact.valid_to, recorded_at=fact.recorded_at,
        ),
    )


def current_facts(
    *, session: Session, cipher: FieldCipher, subject_id: UUID, keys: Iterable[str] | None = None
) -> list[schemas.FactRead]:
    """Return the current value of each attribute known about a subject (only `keys`, when given)."""
    stmt = select(Fact).where(Fact.subject_id == subject_id, Fact.is_current.is_(True))
    if keys is not None:
        stmt = stmt.where(Fact.attribute_key.in_(list(keys)))
    facts = session.scalars(stmt.order_by(Fact.attribute_key)).all()
    attributes = catalogue(session=session)
    names = _Names(session)
    return [_read(f, attributes, names, cipher) for f in facts]


_HELD = (select(Fact.__table__.c.attribute_key, Fact.__table__.c.self_declared, Fact.__table__.c.source_agency_id,
                Fact.__table__.c.source_organization_id, Fact.__table__.c.recorded_at)
         .where(Fact.__table__.c.subject_id == bindparam("subject_id"), Fact.__table__.c.is_current.is_(True))
         .order_by(Fact.__table__.c.attribute_key))


def held_attributes(*, session: Session, subject_id: UUID) -> list[schemas.HeldAttribute]:
    """Which attributes government holds about a subject, and from which source, without the values.

    Enough for staff never to ask again for what is held; reading a value still goes through an
    exchange request, with its consent or legal basis and its log entry.
    """
    # One Core read of the columns shown (never the values); names come from the registry's cached ones.
    facts = session.connection().execute(_HELD, {"subject_id": subject_id}).all()
    attributes = registry.attribute_names(session=session, wanted={f.attribute_key for f in facts})
    names = _Names(session)
    return [schemas.HeldAttribute(
        attribute_key=f.attribute_key, attribute_name=attributes.get(f.attribute_key, f.attribute_key),
        source_name=names.of(f)[2], recorded_at=f.recorded_at,
    ) for f in facts]


def fact_history(
    *, session: Session, cipher: FieldCipher, subject_id: UUID, attribute_key: str
) -> list[schemas.FactRead]:
    """Return every version of one fact, newest first."""
    facts = session.scalars(
        select(Fact).where(Fact.subject_id == subject_id, Fact.attribute_key == attribute_key)
        .order_by(Fact.version.desc())
    ).all()
    attributes = catalogue(session=session)
    names = _Names(session)
    return [_read(f, attributes, names, cipher) for f in facts]


# Forms and prefill -----------------------------------------------------------------------------


def set_form(*, session: Session, service_id: UUID, attributes: list[str]) -> list[str]:
    """Say which catalogue attributes a service's form asks for, in order."""
    known = catalogue(session=session)
    unknown = [k for k in attributes if k not in known]
    if unknown:
        raise Invalid(f"Not in the data catalogue: {', '.join(unknown)}.")
    if len(set(attributes)) != len(attributes):
        raise Invalid("The form lists the same attribute twice.")
    for field in session.scalars(select(FormField).where(FormField.service_id == service_id)):
        session.delete(field)
    session.flush()
    for position, key in enumerate(attributes):
        session.add(FormField(service_id=service_id, attribute_key=key, position=position))
    session.flush()
    return attributes


def form_of(*, session: Session, service_id: UUID) -> list[str]:
    return list(session.scalars(
        select(FormField.attribute_key).where(FormField.service_id == service_id).order_by(FormField.position)
    ))


def required_of(*, session: Session, service_id: UUID) -> set[str]:
    """Return the attributes a service's form cannot be filed without."""
    return set(session.scalars(
        select(FormField.attribute_key).where(FormField.service_id == service_id, FormField.required.is_(True))))


def prefill(
    *, session: Session, cipher: FieldCipher, clock: Clock, service_id: UUID, person_id: UUID
) -> schemas.PrefillRead:
    """Return every value a service's form needs that government already knows, and what is still missing."""
    form = form_of(session=session, service_id=service_id)
    facts = {f.attribute_key: f for f in current_facts(session=session, cipher=cipher, subject_id=person_id,
                                                       keys=form)}
    now = clock.now()
    known = [
        schemas.PrefillValue(
            attribute_key=key, attribute_name=f.attribute_name, value=f.value, source_name=f.provenance.source_name,
            verified=f.provenance.verified, recorded_at=f.provenance.recorded_at,
            age_days=max((now - f.provenance.recorded_at).days, 0),
        )
        for key in form if (f := facts.get(key)) is not None
    ]
    return schemas.PrefillRead(service_id=service_id, known=known, missing=[k for k in form if k not in facts])


# Bulk load (the demo's registers) --------------------------------------------------------------


@dataclass(frozen=True)
class ImportedFact:
    subject_id: UUID
    attribute_key: str
    value: str
    recorded_at: datetime
    self_declared: bool = False


def import_facts(*, session: Session, rows: list[ImportedFact], cipher: FieldCipher) -> int:
    """Load first versions of many facts in one statement, each stamped with its attribute's source."""
    attributes = catalogue(session=session)
    values = []
    for row in rows:
        attribute = attributes[row.attribute_key]
        values.append({
            "id": new_id(), "subject_id": row.subject_id, "attribute_key": row.attribute_key, "version": 1,
            "is_current": True, "source_agency_id": None if row.self_declared else attribute.source_agency_id,
            "source_organization_id": None if row.self_declared else attribute.source_organization_id,
            "self_declared": row.self_declared, "verified": not row.self_declared, "evidence": "register load",
            "valid_from": None, "valid_to": None, "recorded_at": row.recorded_at,
            **_stored_value(cipher, attribute, row.subject_id, row.value),
        })
    if values:
        session.execute(insert(Fact.__table__), values)
    return len(values)


