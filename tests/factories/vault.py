"""Vault rows (catalogue attributes, providers, facts) built through the real services, for tests."""

from __future__ import annotations

import itertools
from uuid import UUID

from sqlalchemy.orm import Session

from govcx.core.clock import Clock
from govcx.core.crypto import FieldCipher
from govcx.registry import schemas as registry_schemas
from govcx.registry import service as registry
from govcx.registry.models import Agency, DataAttribute, Organization, Sensitivity, SubjectKind, ValueType
from govcx.vault import schemas, service
from govcx.vault.models import Fact

_seq = itertools.count(1)


def bank(session: Session, clock: Clock, name: str = "First Bank") -> Organization:
    return registry.create_organization(session=session, clock=clock, data=registry_schemas.OrganizationCreate(
        business_id=f"B-{next(_seq):04d}", name=name, sector="finance", is_data_provider=True))


def attribute(
    session: Session, clock: Clock, key: str, *, agency: Agency | None = None, organization: Organization | None = None,
    sensitivity: Sensitivity = Sensitivity.PERSONAL, self_declarable: bool = False,
    value_type: ValueType = ValueType.STRING,
) -> DataAttribute:
    return registry.create_data_attribute(session=session, clock=clock, data=registry_schemas.DataAttributeCreate(
        key=key, name=key.split(".")[-1].replace("_", " ").capitalize(), subject_kind=SubjectKind.PERSON,
        value_type=value_type, sensitivity=sensitivity, source_agency_id=agency.id if agency else None,
        source_organization_id=organization.id if organization else None, self_declarable=self_declarable,
    ))


def fact(
    session: Session, clock: Clock, cipher: FieldCipher, *, subject_id: UUID, key: str, value: str,
    agency: Agency | None = None, organization: Organization | None = None, person_id: UUID | None = None,
) -> Fact:
    source = service.Source(agency_id=agency.id if agency else None,
                            organization_id=organization.id if organization else None, person_id=person_id)
    return service.record_fact(session=session, cipher=cipher, clock=clock, by=source,
                               data=schemas.FactCreate(subject_id=subject_id, attribute_key=key, value=value))
