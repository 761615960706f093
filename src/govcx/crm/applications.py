"""Applications and correction requests: what the person asks a service for, filed as a case with its values.

These compose two domains: the vault says what government already holds (prefilled, never typed again)
and keeps what the person declares; the CRM files the case. Keeping them here leaves `crm.service` free
of the vault, so the CRM's own rules do not depend on another domain's service.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from govcx.core.clock import Clock
from govcx.core.crypto import FieldCipher, Sealed
from govcx.core.errors import Invalid, NotFound
from govcx.crm import schemas
from govcx.crm.models import Case, CaseAnswer
from govcx.crm import service as crm_service
from govcx.registry import service as registry
from govcx.registry.models import Channel, DataAttribute, Sensitivity
from govcx.vault import schemas as vault_schemas
from govcx.vault import service as vault


class AnswersInvalid(Invalid):
    """Some answers of an application cannot be filed; `fields` says which and why (a code per field).

    Codes: `unknown` (the form does not ask it), `held` (government holds it already: it is prefilled),
    `missing` (required and not given), `format` (not a value of the attribute's type).
    """

    def __init__(self, detail: str, fields: dict[str, str]) -> None:
        super().__init__(detail, fields=fields)
        self.fields = fields


def _answer_context(case_id: UUID, key: str) -> str:
    # Binds a sealed answer to its case and attribute, so a blob moved to another row fails to open.
    return f"case-answer:{case_id}:{key}"


def _store_answer(cipher: FieldCipher, attribute: DataAttribute | None, case_id: UUID, key: str,
                  value: str) -> dict[str, object]:
    if attribute is None or attribute.sensitivity is not Sensitivity.SENSITIVE:
        return {"value": value, "sealed": None, "key_id": None}
    sealed = cipher.seal(value, context=_answer_context(case_id, key))
    return {"value": None, "sealed": sealed.blob, "key_id": sealed.key_id}


def file_application(
    *, session: Session, clock: Clock, cipher: FieldCipher, person_id: UUID, service_id: UUID,
    answers: Mapping[str, str], message: str = "", channel: Channel = Channel.WEB,
) -> Case:
    """File a person's application for a service as a case at the providing agency, with its values.

    What the service's form asks and government already holds is taken from the vault (the person never
    types it); `answers` gives the rest. Nothing is written unless every answer can be filed: otherwise
    `AnswersInvalid` names each field in error. A self-declarable answer is also kept in the person's vault,
    so no form asks for it again.
    """
    service = registry.get_service(session=session, service_id=service_id)
    form = vault.form_of(session=session, service_id=service.id)
    required = vault.required_of(session=session, service_id=service.id)
    held = {f.attribute_key: f for f in vault.current_facts(session=session, cipher=cipher, subject_id=person_id,
                                                            keys=form)}
    catalogue = vault.catalogue(session=session)
    given = {k: v.strip() for k, v in answers.items()}
    fields: dict[str, str] = {}
    for key, value in given.items():
        if key not in form:
            fields[key] = "unknown"
        elif key in held:
            fields[key] = "held"
        elif value and not vault.well_formed(catalogue[key], value):
            fields[key] = "format"
    for key in form:
        if key in required and key not in held and not given.get(key):
            fields.setdefault(key, "missing")
    if fields:
        raise AnswersInvalid(f"Some answers cannot be filed: {', '.join(sorted(fields))}.", fields)
    description = f"Application: {service.name}" + (f"\n\n{message}" if message else "")
    case = crm_service.open_case(session=session, agency_id=service.agency_id, staff_id=None, clock=clock,
                     data=schemas.CaseCreate(person_id=person_id, service_id=service.id, description=description,
                                             channel=channel))
    for position, key in enumerate(form):
        fact, value = held.get(key), given.get(key, "")
        if fact is None and not value:
            continue
        session.add(CaseAnswer(
            case_id=case.id, position=position, attribute_key=key, fact_id=fact.id if fact else None,
            source_name=fact.provenance.source_name if fact else "",
            **_store_answer(cipher, catalogue.get(key), case.id, key, fact.value if fact else value)))
        if fact is None and catalogue[key].self_declarable:
            vault.record_fact(session=session, cipher=cipher, clock=clock, by=vault.Source(person_id=person_id),
                              data=vault_schemas.FactCreate(subject_id=person_id, attribute_key=key, value=value,
                                                            verified=False, evidence="given on an application"))
    session.flush()
    return case


def answers_of(*, session: Session, cipher: FieldCipher, case_id: UUID) -> list[schemas.CaseAnswerRead]:
    """Return the values a case was filed with, in the form's order, each with where it came from."""
    rows = session.scalars(select(CaseAnswer).where(CaseAnswer.case_id == case_id)
                           .order_by(CaseAnswer.position)).all()
    names = registry.attribute_names(session=session, wanted={r.attribute_key for r in rows})
    return [schemas.CaseAnswerRead(
        attribute_key=r.attribute_key, attribute_name=names.get(r.attribute_key, r.attribute_key),
        value=r.value if r.sealed is None else cipher.open(Sealed(r.key_id or "", r.sealed),
                                                           context=_answer_context(r.case_id, r.attribute_key)),
        source_name=r.source_name, from_vault=r.fact_id is not None,
    ) for r in rows]


def request_correction(
    *, session: Session, clock: Clock, cipher: FieldCipher, person_id: UUID, data: schemas.CorrectionCreate,
) -> Case:
    """Ask the authoritative source of a fact held about the person to correct it: a case at that agency."""
    fact = next(iter(vault.current_facts(session=session, cipher=cipher, subject_id=person_id,
                                         keys=[data.attribute_key])), None)
    attribute = vault.catalogue(session=session).get(data.attribute_key)
    if fact is None or attribute is None:
        raise NotFound(f"Government holds no {data.attribute_key} about you.")
    if attribute.source_agency_id is None:
        raise Invalid(f"{attribute.name} comes from an organization, not an agency: ask them to correct it.")
    if not vault.well_formed(attribute, data.proposed_value):
        raise AnswersInvalid("The corrected value is not in the right form.", {"proposed_value": "format"})
    service = registry.data_questions_service(session=session, agency_id=attribute.source_agency_id, clock=clock)
    description = f"Correction request: {attribute.name} (version {fact.version})" + (
        f"\n\n{data.explanation}" if data.explanation else "")
    case = crm_service.open_case(session=session, agency_id=service.agency_id, staff_id=None, clock=clock,
                     data=schemas.CaseCreate(person_id=person_id, service_id=service.id, description=description))
    session.add(CaseAnswer(case_id=case.id, position=0, attribute_key=attribute.key, fact_id=None, source_name="",
                           **_store_answer(cipher, attribute, case.id, attribute.key, data.proposed_value)))
    session.flush()
    return case
