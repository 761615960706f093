"""Consent rules: the state machine, signed receipts, the register of legal bases and the policy decision point."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session

from govcx.consent import schemas
from govcx.consent.events import ConsentChanged, ConsentWithdrawn
from govcx.consent.models import (
    Consent, ConsentEvent, ConsentStatus, LegalBasis, LegalBasisChange, LegalBasisChangeKind, LegalBasisKind, Purpose,
)
from govcx.consent.schemas import ConsentAction
from govcx.core.accounts import Role, Scope
from govcx.core.auth import StaffMember
from govcx.core.clock import Clock
from govcx.core.errors import Conflict, Forbidden, Invalid, NotFound
from govcx.core.events import publish
from govcx.core.pagination import PageParams, paginate
from govcx.core.signing import Signer
from govcx.registry import service as registry
from govcx.registry.models import DataAttribute, SubjectKind
from govcx.vault import service as vault

S = ConsentStatus
# DESIGN §3: who may move a consent from which state to which.
TRANSITIONS: dict[tuple[ConsentStatus, ConsentAction], ConsentStatus] = {
    (S.REQUESTED, ConsentAction.GIVE): S.ACTIVE,
    (S.REQUESTED, ConsentAction.REFUSE): S.REJECTED,
    (S.ACTIVE, ConsentAction.PAUSE): S.PAUSED,
    (S.PAUSED, ConsentAction.RESUME): S.ACTIVE,
    (S.ACTIVE, ConsentAction.WITHDRAW): S.WITHDRAWN,
    (S.PAUSED, ConsentAction.WITHDRAW): S.WITHDRAWN,
    (S.ACTIVE, ConsentAction.REVOKE): S.REVOKED,
    (S.PAUSED, ConsentAction.REVOKE): S.REVOKED,
}
SUBJECT_ACTIONS = frozenset(ConsentAction) - {ConsentAction.REVOKE}
WITHDRAW_METHOD = "Withdraw at any time under 'My consents' in the citizen portal, or POST /api/v1/me/consents/{id}/actions."
JURISDICTION = "VD"


def _now_valid(consent: Consent, now: datetime) -> bool:
    return consent.valid_until is None or now < consent.valid_until


def _catalogue_entries(session: Session, keys: list[str]) -> list[DataAttribute]:
    catalogue = {a.key: a for a, _ in registry.data_catalogue(session=session)}
    unknown = [k for k in keys if k not in catalogue]
    if unknown:
        raise Invalid(f"Not in the data catalogue: {', '.join(unknown)}.")
    return [catalogue[k] for k in keys]


def _log(consent: Consent, *, to: ConsentStatus, actor: str, at: datetime, note: str = "") -> None:
    consent.events.append(ConsentEvent(consent_id=consent.id, subject_id=consent.subject_id, at=at,
                                       from_status=consent.status if consent.events else None, to_status=to,
                                       actor=actor, note=note))
    consent.status = to
    consent.updated_at = at


def receipt_claims(consent: Consent) -> dict:
    """The Kantara consent receipt (v1.1 fields) with ISO/IEC TS 27560 state, as signed."""
    return {
        "version": "KI-CR-v1.1.0", "jurisdiction": JURISDICTION, "consentReceiptID": str(consent.id),
        "consentTimestamp": int(consent.created_at.timestamp()), "collectionMethod": "govcx citizen portal",
        "language": consent.language, "piiPrincipalId": str(consent.subject_id),
        "piiControllers": [{"piiController": str(consent.requester_agency_id)}],
        "piiHolder": str(consent.source_agency_id or consent.source_organization_id or ""),
        "recipients": sorted(consent.recipients),
        "services": [{"service": consent.purpose_text, "purposes": [{
            "purpose": consent.purpose.value, "purposeCategory": ["dpv:" + consent.purpose.value],
            "consentType": "EXPLICIT", "piiCategory": sorted(consent.attributes),
            "primaryPurpose": True, "termination": consent.withdraw_method, "thirdPartyDisclosure": True,
        }]}],
        "legalBasis": consent.legal_basis.value, "oneOff": consent.one_off,
        "validFrom": consent.valid_from.isoformat(),
        "validUntil": consent.valid_until.isoformat() if consent.valid_until else None,
        "noticeVersion": consent.notice_version, "status": consent.status.value,
        "statusTimestamp": consent.updated_at.isoformat(), "sensitive": False,
    }


def _resign(consent: Consent, signer: Signer) -> None:
    consent.receipt = signer.sign(receipt_claims(consent))


def request_consent(
    *, session: Session, requester_agency_id: UUID, data: schemas.ConsentCreate, clock: Clock, signer: Signer
) -> Consent:
    """Ask a person to consent to sharing named attributes with the asking agency for one purpose."""
    registry.get_person(session=session, person_id=data.subject_id)
    attributes = _catalogue_entries(session, data.attributes)
    if any(a.subject_kind is not SubjectKind.PERSON for a in attributes):
        raise Invalid("A person can consent only to sharing attributes about themselves.")
    now = clock.now()
    if data.valid_until is not None and data.valid_until <= now:
        raise Invalid("valid_until must be in the future.")
    for agency_id in data.recipients:
        registry.get_agency(session=session, agency_id=agency_id)
    sources = {(a.source_agency_id, a.source_organization_id) for a in attributes}
    source_agency, source_org = sources.pop() if len(sources) == 1 else (None, None)
    consent = Consent(
        subject_id=data.subject_id, requester_agency_id=requester_agency_id, source_agency_id=source_agency,
        source_organization_id=source_org,
        recipients=sorted({str(requester_agency_id), *(str(r) for r in data.recipients)}),
        purpose=data.purpose, purpose_text=data.purpose_text, legal_basis=data.legal_basis,
        attributes=sorted(set(data.attributes)), one_off=data.one_off,
        requires_preview=data.requires_preview and data.one_off, valid_from=now, valid_until=data.valid_until,
        notice_version=data.notice_version, withdraw_method=WITHDRAW_METHOD, language=data.language,
        status=S.REQUESTED, created_at=now, updated_at=now,
    )
    session.add(consent)
    session.flush()
    _log(consent, to=S.REQUESTED, actor="controller", at=now)
    _resign(consent, signer)
    session.flush()
    return consent


def _expire_if_due(consent: Consent, now: datetime) -> None:
    if consent.status in (S.ACTIVE, S.PAUSED) and not _now_valid(consent, now):
        _log(consent, to=S.EXPIRED, actor="clock", at=consent.valid_until or now, note="validity window ended")


def _load(session: Session, consent_id: UUID, *, subject_id: UUID | None = None,
          requester_agency_id: UUID | None = None) -> Consent:
    consent = session.get(Consent, consent_id)
    # Someone else's consent answers exactly like a missing one: its existence is personal data too.
    if consent is None or (subject_id is not None and consent.subject_id != subject_id) or (
            requester_agency_id is not None and consent.requester_agency_id != requester_agency_id):
        raise NotFound(f"No consent with id {consent_id}.")
    return consent


def get_for_subject(*, session: Session, consent_id: UUID, person_id: UUID, clock: Clock, signer: Signer) -> Consent:
    consent = _load(session, consent_id, subject_id=person_id)
    _refresh(session, consent, clock, signer)
    return consent


def get_for_requester(*, session: Session, consent_id: UUID, agency_id: UUID, clock: Clock,
                      signer: Signer) -> Consent:
    consent = _load(session, consent_id, requester_agency_id=agency_id)
    _refresh(session, consent, clock, signer)
    return consent


def _refresh(session: Session, consent: Consent, clock: Clock, signer: Signer) -> None:
    before = consent.status
    _expire_if_due(consent, clock.now())
    if consent.status is not before:
        _resign(consent, signer)
        session.flush()


def act(
    *, session: Session, consent_id: UUID, action: ConsentAction, clock: Clock, signer: Signer,
    person_id: UUID | None = None, agency_id: UUID | None = None,
) -> Consent:
    """Move a consent through its state machine: the person gives, refuses, pauses, resumes or withdraws it;
    the controller revokes it."""
    consent = _load(session, consent_id, subject_id=person_id, requester_agency_id=agency_id)
    _refresh(session, consent, clock, signer)
    allowed = SUBJECT_ACTIONS if person_id is not None else {ConsentAction.REVOKE}
    target = TRANSITIONS.get((consent.status, action))
    if action not in allowed or target is None:
        raise Conflict(f"A {consent.status.value} consent cannot be {_past(action)} by you.",
                       consent_status=consent.status.value)
    _log(consent, to=target, actor="subject" if person_id else "controller", at=clock.now())
    _resign(consent, signer)
    session.flush()
    publish(session, ConsentChanged(consent_id=consent.id, subject_id=consent.subject_id,
                                    requester_agency_id=consent.requester_agency_id, status=target.value))
    if target is S.WITHDRAWN:
        publish(session, ConsentWithdrawn(consent_id=consent.id, subject_id=consent.subject_id))
    return consent


AGAIN_FROM = (S.WITHDRAWN, S.EXPIRED)


def give_again(*, session: Session, consent_id: UUID, person_id: UUID, clock: Clock, signer: Signer) -> Consent:
    """Give a withdrawn or expired consent again: a new consent on the same terms, for as long as the first ran.

    The old record keeps its history; the new one is a consent of its own (with its own receipt), given by
    the person from the start, and its log says which one it renews.
    """
    old = _load(session, consent_id, subject_id=person_id)
    _refresh(session, old, clock, signer)
    if old.status not in AGAIN_FROM:
        raise Conflict(f"A {old.status.value} consent cannot be given again: only a withdrawn or expired one.",
                       consent_status=old.status.value)
    now = clock.now()
    length = old.valid_until - old.valid_from if old.valid_until is not None else None
    renewed = Consent(
        subject_id=old.subject_id, requester_agency_id=old.requester_agency_id, source_agency_id=old.source_agency_id,
        source_organization_id=old.source_organization_id, recipients=list(old.recipients), purpose=old.purpose,
        purpose_text=old.purpose_text, legal_basis=old.legal_basis, attributes=list(old.attributes),
        one_off=old.one_off, requires_preview=old.requires_preview, valid_from=now,
        valid_until=now + length if length is not None else None, notice_version=old.notice_version,
        withdraw_method=old.withdraw_method, language=old.language, status=S.REQUESTED, created_at=now,
        updated_at=now,
    )
    session.add(renewed)
    session.flush()
    _log(renewed, to=S.REQUESTED, actor="subject", at=now, note=f"given again; renews consent {old.id}")
    _log(renewed, to=S.ACTIVE, actor="subject", at=now)
    _resign(renewed, signer)
    session.flush()
    publish(session, ConsentChanged(consent_id=renewed.id, subject_id=renewed.subject_id,
                                    requester_agency_id=renewed.requester_agency_id, status=S.ACTIVE.value))
    return renewed


def _past(action: ConsentAction) -> str:
    return {"give": "given", "refuse": "refused", "pause": "paused", "resume": "resumed", "withdraw": "withdrawn",
            "revoke": "revoked"}[action.value]


def actions_for_subject(consent: Consent) -> list[ConsentAction]:
    """What the person may do next with this consent."""
    return [a for (state, a) in TRANSITIONS if state is consent.status and a in SUBJECT_ACTIONS]


def list_for_subject(
    *, session: Session, person_id: UUID, clock: Clock, signer: Signer, page: PageParams
) -> tuple[list[Consent], str | None]:
    """The person's consents, oldest first, with any that ran out marked expired."""
    rows, cursor = paginate(session, select(Consent).where(Consent.subject_id == person_id), id_column=Consent.id,
                            page=page)
    for consent in rows:
        _refresh(session, consent, clock, signer)
    return rows, cursor


def read(*, session: Session, consent: Consent) -> schemas.ConsentRead:
    """Shape a consent for the wire, with the names a person reads."""
    agencies = {a.id: a.name for a in registry.all_agencies(session=session)}
    source = agencies.get(consent.source_agency_id) if consent.source_agency_id else (
        registry.get_organization(session=session, organization_id=consent.source_organization_id).name
        if consent.source_organization_id else "several sources")
    return schemas.ConsentRead.model_validate(consent).model_copy(update={
        "requester_name": agencies.get(consent.requester_agency_id, ""), "source_name": source or "",
        "actions": actions_for_subject(consent),
    })


# Legal bases -----------------------------------------------------------------------------------


def _require_platform_admin(by: StaffMember) -> None:
    # Only a platform administrator, in person, changes the law an agency reads under: never an agency.
    if not isinstance(by, StaffMember) or by.role is not Role.PLATFORM_ADMIN:
        raise Forbidden("Only a platform administrator may create, amend or repeal a legal basis.",
                        required_scope=Scope.LEGAL_BASIS_ADMIN.value)


def _check_basis(session: Session, basis: LegalBasis) -> None:
    if basis.service_id is not None:
        svc = registry.get_service(session=session, service_id=basis.service_id)
        if svc.agency_id != basis.agency_id:
            raise Invalid("The service must belong to the agency the legal basis is for.")
    if basis.valid_until is not None and basis.valid_until <= basis.valid_from:
        raise Invalid("valid_until must come after valid_from.")
    attributes = _catalogue_entries(session, basis.attributes)
    sources = {(a.source_agency_id, a.source_organization_id) for a in attributes}
    basis.source_agency_id, basis.source_organization_id = sources.pop() if len(sources) == 1 else (None, None)


def _described(session: Session, basis: LegalBasis) -> dict[str, object]:
    """The fields of a law as a person reads them, for its change log."""
    service_name = registry.get_service(session=session, service_id=basis.service_id).name \
        if basis.service_id else "any of the agency's services"
    return {
        "title": basis.title, "citation": basis.citation, "service": service_name, "purpose": basis.purpose.value,
        "attributes": sorted(basis.attributes), "valid_from": basis.valid_from.isoformat(),
        "valid_until": basis.valid_until.isoformat() if basis.valid_until else None,
    }


def _record_change(session: Session, basis: LegalBasis, *, kind: LegalBasisChangeKind, by: StaffMember,
                   at: datetime, before: dict[str, object], note: str) -> LegalBasisChange:
    after = _described(session, basis)
    changed = {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}
    change = LegalBasisChange(legal_basis_id=basis.id, at=at, kind=kind, actor_id=by.id, actor_name=by.name,
                              changes=changed, note=note)
    session.add(change)
    session.flush()
    return change


def create_legal_basis(*, session: Session, data: schemas.LegalBasisCreate, by: StaffMember,
                       clock: Clock) -> LegalBasis:
    """Register a statute that lets an agency's service read named attributes without consent (platform admins)."""
    _require_platform_admin(by)
    registry.get_agency(session=session, agency_id=data.agency_id)
    basis = LegalBasis(**data.model_dump(exclude={"attributes", "note"}), attributes=sorted(set(data.attributes)),
                       created_at=clock.now())
    _check_basis(session, basis)
    session.add(basis)
    session.flush()
    _record_change(session, basis, kind=LegalBasisChangeKind.CREATED, by=by, at=basis.created_at, before={},
                   note=data.note)
    return basis


def amend_legal_basis(*, session: Session, legal_basis_id: UUID, data: schemas.LegalBasisUpdate, by: StaffMember,
                      clock: Clock) -> LegalBasis:
    """Change a law in force; the change, who made it and why are logged and shown to the people it affects."""
    _require_platform_admin(by)
    basis = get_legal_basis(session=session, legal_basis_id=legal_basis_id)
    if basis.repealed_at is not None:
        raise Conflict("A repealed legal basis cannot be amended; register a new one.")
    before = _described(session, basis)
    given = data.model_dump(exclude_unset=True, exclude={"note"})
    for required in ("title", "citation", "purpose", "attributes", "valid_from"):
        if required in given and given[required] is None:
            raise Invalid(f"{required} cannot be removed from a legal basis.")
    for field, value in given.items():
        setattr(basis, field, sorted(set(value)) if field == "attributes" else value)
    _check_basis(session, basis)
    if _described(session, basis) == before:
        raise Invalid("The amendment changes nothing.")
    session.flush()
    _record_change(session, basis, kind=LegalBasisChangeKind.AMENDED, by=by, at=clock.now(), before=before,
                   note=data.note)
    return basis


def repeal_legal_basis(*, session: Session, legal_basis_id: UUID, note: str, by: StaffMember,
                       clock: Clock) -> LegalBasis:
    """End a law now: requests under it are denied from this moment; the repeal is logged and shown."""
    _require_platform_admin(by)
    basis = get_legal_basis(session=session, legal_basis_id=legal_basis_id)
    if basis.repealed_at is not None:
        raise Conflict("This legal basis is already repealed.")
    now = clock.now()
    before = _described(session, basis)
    basis.repealed_at = now
    if basis.valid_until is None or basis.valid_until > now:
        basis.valid_until = max(now, basis.valid_from)
    session.flush()
    _record_change(session, basis, kind=LegalBasisChangeKind.REPEALED, by=by, at=now, before=before, note=note)
    return basis


def changes_of(*, session: Session, legal_basis_ids: list[UUID]) -> dict[UUID, list[LegalBasisChange]]:
    """Every change made to each of these legal bases, oldest first."""
    found: dict[UUID, list[LegalBasisChange]] = {i: [] for i in legal_basis_ids}
    if legal_basis_ids:
        for change in session.scalars(select(LegalBasisChange).where(
                LegalBasisChange.legal_basis_id.in_(legal_basis_ids)).order_by(LegalBasisChange.at,
                                                                                LegalBasisChange.id)):
            found[change.legal_basis_id].append(change)
    return found


def detail(*, session: Session, basis: LegalBasis) -> schemas.LegalBasisDetail:
    """A legal basis with its change log, for administrators and agencies."""
    changes = changes_of(session=session, legal_basis_ids=[basis.id])[basis.id]
    return schemas.LegalBasisDetail(**schemas.LegalBasisRead.model_validate(basis).model_dump(),
                                    changes=[schemas.LegalBasisChangeRead.model_validate(c) for c in changes])


def all_legal_bases(*, session: Session) -> list[LegalBasis]:
    """Every legal basis, newest first (the administrators' register)."""
    return list(session.scalars(select(LegalBasis).order_by(LegalBasis.created_at.desc(), LegalBasis.id)))


def laws_about(*, session: Session, person_id: UUID, clock: Clock) -> list[schemas.LawAboutMeRead]:
    """The laws that let an agency read attributes government holds about this person, with each one's history.

    Repealed and expired laws stay listed: the person sees that a law once allowed it, and when it ended.
    """
    held = {a.attribute_key: a.attribute_name for a in vault.held_attributes(session=session, subject_id=person_id)}
    bases = [b for b in all_legal_bases(session=session) if set(b.attributes) & set(held)]
    if not bases:
        return []
    catalogue = {a.key: a.name for a, _ in registry.data_catalogue(session=session)}
    agencies = {a.id: a.name for a in registry.all_agencies(session=session)}
    changes = changes_of(session=session, legal_basis_ids=[b.id for b in bases])
    now = clock.now()
    laws = []
    for basis in bases:
        source = agencies.get(basis.source_agency_id) if basis.source_agency_id else (
            registry.get_organization(session=session, organization_id=basis.source_organization_id).name
            if basis.source_organization_id else "several sources")
        laws.append(schemas.LawAboutMeRead(
            id=basis.id, title=basis.title, citation=basis.citation, agency_name=agencies.get(basis.agency_id, ""),
            service_name=registry.get_service(session=session, service_id=basis.service_id).name
            if basis.service_id else None,
            source_name=source or "", purpose=basis.purpose, attributes=basis.attributes,
            attribute_names=[catalogue.get(k, k) for k in basis.attributes], valid_from=basis.valid_from,
            valid_until=basis.valid_until, repealed_at=basis.repealed_at, in_force=in_force(basis=basis, now=now),
            changes=[schemas.LawChangeRead(at=c.at, kind=c.kind, changes=c.changes, note=c.note)
                     for c in changes[basis.id]],
        ))
    return laws


def in_force(*, basis: LegalBasis, now: datetime) -> bool:
    """Whether a law lets its agency read now: in its window and not repealed."""
    return basis.repealed_at is None and basis.valid_from <= now and (
        basis.valid_until is None or now < basis.valid_until)


def get_legal_basis(*, session: Session, legal_basis_id: UUID) -> LegalBasis:
    basis = session.get(LegalBasis, legal_basis_id)
    if basis is None:
        raise NotFound(f"No legal basis with id {legal_basis_id}.")
    return basis


def list_legal_bases(*, session: Session, agency_id: UUID | None, page: PageParams
                     ) -> tuple[list[LegalBasis], str | None]:
    stmt = select(LegalBasis)
    if agency_id is not None:
        stmt = stmt.where(LegalBasis.agency_id == agency_id)
    return paginate(session, stmt, id_column=LegalBasis.id, page=page)


# The policy decision point ---------------------------------------------------------------------


class Reason(StrEnum):
    CONSENT = "consent"
    LEGAL_BASIS = "legal_basis"
    NO_CONSENT_OR_LEGAL_BASIS = "no_consent_or_legal_basis"
    ATTRIBUTE_NOT_COVERED = "attribute_not_covered"
    PURPOSE_MISMATCH = "purpose_mismatch"
    CONSENT_NOT_GIVEN = "consent_not_given"
    CONSENT_REJECTED = "consent_rejected"
    CONSENT_PAUSED = "consent_paused"
    CONSENT_EXPIRED = "consent_expired"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    CONSENT_REVOKED = "consent_revoked"
    SERVICE_MISMATCH = "service_mismatch"
    DECLINED_BY_PERSON = "declined_by_person"
    CASE = "case"
    CASE_NOT_HANDLED = "case_not_handled"


REASON_TEXT = {
    Reason.NO_CONSENT_OR_LEGAL_BASIS: "There is no consent from this person and no legal basis for this request.",
    Reason.ATTRIBUTE_NOT_COVERED: "The request asks for attributes the consent or legal basis does not cover: {extra}.",
    Reason.PURPOSE_MISMATCH: "The request's purpose is not the one the person consented to.",
    Reason.CONSENT_NOT_GIVEN: "The person has not yet given this consent.",
    Reason.CONSENT_REJECTED: "The person refused this consent.",
    Reason.CONSENT_PAUSED: "The person has paused this consent.",
    Reason.CONSENT_EXPIRED: "This consent has expired.",
    Reason.CONSENT_WITHDRAWN: "The person has withdrawn this consent.",
    Reason.CONSENT_REVOKED: "The agency ended this consent.",
    Reason.SERVICE_MISMATCH: "The legal basis covers another service.",
    Reason.DECLINED_BY_PERSON: "The person declined to share this data.",
    Reason.CASE: "Contact details of a party, read by the agency handling the person's open case.",
    Reason.CASE_NOT_HANDLED: "The agency is not handling an open case of this person.",
}
_STATUS_REASON = {
    S.REQUESTED: Reason.CONSENT_NOT_GIVEN, S.REJECTED: Reason.CONSENT_REJECTED, S.PAUSED: Reason.CONSENT_PAUSED,
    S.EXPIRED: Reason.CONSENT_EXPIRED, S.WITHDRAWN: Reason.CONSENT_WITHDRAWN, S.REVOKED: Reason.CONSENT_REVOKED,
}


@dataclass(frozen=True)
class Decision:
    permit: bool
    reason: Reason
    detail: str
    consent_id: UUID | None = None
    legal_basis_id: UUID | None = None
    requires_preview: bool = False


# What the agency handling a person's open case may read to reach them, with no consent asked: the basis
# is the case the person brought, and every such read is logged against it.
CASE_ATTRIBUTES = frozenset({"person.name", "person.email", "person.phone", "person.address"})


@dataclass(frozen=True)
class CaseGround:
    """A case an agency handles for a person, as the case's own domain reports it."""

    case_id: UUID
    agency_id: UUID
    subject_id: UUID
    service_id: UUID
    open: bool


def _deny(reason: Reason, *, consent_id: UUID | None = None, legal_basis_id: UUID | None = None,
          extra: str = "") -> Decision:
    return Decision(False, reason, REASON_TEXT[reason].format(extra=extra), consent_id, legal_basis_id)


def _judge_consent(consent: Consent, attributes: list[str], purpose: Purpose, now: datetime) -> Decision:
    _expire_if_due(consent, now)
    if consent.status is not S.ACTIVE:
        return _deny(_STATUS_REASON[consent.status], consent_id=consent.id)
    outside = sorted(set(attributes) - set(consent.attributes))
    if outside:
        return _deny(Reason.ATTRIBUTE_NOT_COVERED, consent_id=consent.id, extra=", ".join(outside))
    if purpose is not consent.purpose:
        return _deny(Reason.PURPOSE_MISMATCH, consent_id=consent.id)
    return Decision(True, Reason.CONSENT, "Permitted under the person's consent.", consent.id, None,
                    consent.requires_preview)


def _judge_basis(basis: LegalBasis, agency_id: UUID, service_id: UUID | None, attributes: list[str],
                 purpose: Purpose, now: datetime) -> Decision:
    if basis.agency_id != agency_id or not in_force(basis=basis, now=now):
        return _deny(Reason.NO_CONSENT_OR_LEGAL_BASIS, legal_basis_id=basis.id)
    if basis.service_id is not None and basis.service_id != service_id:
        return _deny(Reason.SERVICE_MISMATCH, legal_basis_id=basis.id)
    outside = sorted(set(attributes) - set(basis.attributes))
    if outside:
        return _deny(Reason.ATTRIBUTE_NOT_COVERED, legal_basis_id=basis.id, extra=", ".join(outside))
    if purpose is not basis.purpose:
        return _deny(Reason.PURPOSE_MISMATCH, legal_basis_id=basis.id)
    return Decision(True, Reason.LEGAL_BASIS, f"Permitted by law: {basis.citation}.", None, basis.id)


def _judge_case(case: CaseGround, agency_id: UUID, subject_id: UUID, attributes: list[str],
                purpose: Purpose) -> Decision:
    if case.agency_id != agency_id or case.subject_id != subject_id or not case.open:
        return _deny(Reason.CASE_NOT_HANDLED)
    outside = sorted(set(attributes) - CASE_ATTRIBUTES)
    if outside:
        return _deny(Reason.ATTRIBUTE_NOT_COVERED, extra=", ".join(outside))
    if purpose is not Purpose.SERVICE_PROVISION:
        return _deny(Reason.PURPOSE_MISMATCH)
    return Decision(True, Reason.CASE, REASON_TEXT[Reason.CASE])


def decide(
    *, session: Session, clock: Clock, signer: Signer, agency_id: UUID, subject_id: UUID, attributes: list[str],
    purpose: Purpose, consent_id: UUID | None = None, legal_basis_id: UUID | None = None,
    service_id: UUID | None = None, case: CaseGround | None = None,
) -> Decision:
    """Permit or deny one agency's request for a person's attributes, with the reason.

    With neither a consent nor a legal basis cited, the agency's own consents from the person and the
    legal bases for the agency are tried; a permit wins, otherwise the most telling denial is given.
    A cited case permits only the contact details its handling needs (CASE_ATTRIBUTES).
    """
    if case is not None:
        return _judge_case(case, agency_id, subject_id, attributes, purpose)
    now = clock.now()
    candidates: list[Decision] = []
    if consent_id is not None:
        consent = session.get(Consent, consent_id)
        # A consent given to another agency is no consent for this one.
        if consent is None or consent.subject_id != subject_id or str(agency_id) not in consent.recipients:
            return _deny(Reason.NO_CONSENT_OR_LEGAL_BASIS)
        _refresh(session, consent, clock, signer)
        candidates.append(_judge_consent(consent, attributes, purpose, now))
    elif legal_basis_id is not None:
        basis = session.get(LegalBasis, legal_basis_id)
        if basis is None:
            return _deny(Reason.NO_CONSENT_OR_LEGAL_BASIS)
        candidates.append(_judge_basis(basis, agency_id, service_id, attributes, purpose, now))
    else:
        consents = session.scalars(
            select(Consent).where(Consent.subject_id == subject_id, Consent.requester_agency_id == agency_id)
            .order_by(Consent.updated_at.desc())
        ).all()
        for consent in consents:
            _refresh(session, consent, clock, signer)
            candidates.append(_judge_consent(consent, attributes, purpose, now))
        bases = session.scalars(select(LegalBasis).where(
            LegalBasis.agency_id == agency_id, or_(LegalBasis.service_id.is_(None), LegalBasis.service_id == service_id)
        )).all()
        candidates += [_judge_basis(b, agency_id, service_id, attributes, purpose, now) for b in bases]
    permits = [d for d in candidates if d.permit]
    if permits:
        return permits[0]
    # The denial about the consent that best fits the request says most: prefer state over scope.
    relevant = [d for d in candidates if d.reason is not Reason.NO_CONSENT_OR_LEGAL_BASIS]
    return relevant[0] if relevant else _deny(Reason.NO_CONSENT_OR_LEGAL_BASIS)


def record_use(*, session: Session, consent_id: UUID, clock: Clock, signer: Signer) -> None:
    """Count one use of a consent; a one-off consent ends with its use."""
    consent = session.get(Consent, consent_id)
    if consent is None:
        return
    consent.uses += 1
    if consent.one_off and consent.status is S.ACTIVE:
        _log(consent, to=S.EXPIRED, actor="clock", at=clock.now(), note="one-off consent used")
        _resign(consent, signer)
    session.flush()


def names_of_consents(*, session: Session, consent_ids: set[UUID]) -> dict[UUID, str]:
    """The purpose text of each consent, for the person's access log."""
    if not consent_ids:
        return {}
    return dict(session.execute(select(Consent.id, Consent.purpose_text).where(Consent.id.in_(consent_ids))).all())


def citations_of(*, session: Session, legal_basis_ids: set[UUID]) -> dict[UUID, str]:
    """The citation of each legal basis, for the person's access log."""
    if not legal_basis_ids:
        return {}
    return dict(session.execute(
        select(LegalBasis.id, LegalBasis.citation).where(LegalBasis.id.in_(legal_basis_ids))).all())


# Bulk load (the demo's history) ----------------------------------------------------------------


@dataclass(frozen=True)
class ImportedConsent:
    """A standing consent given at `given_at` and used `uses` times since."""

    id: UUID
    subject_id: UUID
    requester_agency_id: UUID
    source_organization_id: UUID | None
    source_agency_id: UUID | None
    attributes: list[str]
    purpose: Purpose
    purpose_text: str
    given_at: datetime
    valid_until: datetime | None
    uses: int


def import_consents(*, session: Session, rows: list[ImportedConsent], signer: Signer) -> int:
    """Load many given consents, each with its two events and a signed receipt, in a few statements."""
    from sqlalchemy import insert

    from govcx.core.ids import new_id

    unset = dict.fromkeys(c.key for c in Consent.__table__.columns if c.key != "receipt")
    consents, events = [], []
    for row in rows:
        consents.append({
            **unset, "id": row.id, "subject_id": row.subject_id, "requester_agency_id": row.requester_agency_id,
            "source_agency_id": row.source_agency_id, "source_organization_id": row.source_organization_id,
            "recipients": [str(row.requester_agency_id)], "purpose": row.purpose, "purpose_text": row.purpose_text,
            "legal_basis": LegalBasisKind.CONSENT, "attributes": sorted(row.attributes), "one_off": False,
            "requires_preview": False, "valid_from": row.given_at, "valid_until": row.valid_until,
            "notice_version": "1", "withdraw_method": WITHDRAW_METHOD, "language": "en", "status": S.ACTIVE,
            "uses": row.uses, "created_at": row.given_at, "updated_at": row.given_at,
        })
        events += [
            {"id": new_id(), "consent_id": row.id, "subject_id": row.subject_id, "at": row.given_at,
             "from_status": None, "to_status": S.REQUESTED, "actor": "controller", "note": ""},
            {"id": new_id(), "consent_id": row.id, "subject_id": row.subject_id, "at": row.given_at,
             "from_status": S.REQUESTED.value, "to_status": S.ACTIVE, "actor": "subject", "note": ""},
        ]
    for values in consents:  # the receipt reads the record's fields by name: the row will do, no ORM object
        values["receipt"] = signer.sign(receipt_claims(SimpleNamespace(**values)))  # type: ignore[arg-type]
    if consents:
        session.execute(insert(Consent.__table__), consents)
        session.execute(insert(ConsentEvent.__table__), events)
    return len(consents)


@functools.cache
def _changes(by_requester: bool, before: bool) -> Select[Any]:
    event, consent = ConsentEvent.__table__.c, Consent.__table__.c
    stmt = (select(event.at, event.consent_id, consent.requester_agency_id, consent.purpose_text, event.to_status,
                   event.actor)
            .join_from(ConsentEvent.__table__, Consent.__table__, consent.id == event.consent_id)
            .where(event.subject_id == bindparam("person_id")))
    if by_requester:
        stmt = stmt.where(consent.requester_agency_id == bindparam("requester"))
    if before:
        stmt = stmt.where(event.at < bindparam("before"))
    return stmt.order_by(event.at.desc(), event.id.desc()).limit(bindparam("limit"))


def changes_for_subject(
    *, session: Session, person_id: UUID, requester_agency_id: UUID | None, before: datetime | None, limit: int
) -> list[schemas.ConsentChangeRead]:
    """The person's consent changes, newest first (optionally only one requester's, only before a time)."""
    # Core rows, not consent objects, off the person's own index: the timeline reads this on every page.
    rows = session.connection().execute(_changes(requester_agency_id is not None, before is not None), {
        "person_id": person_id, "requester": requester_agency_id, "before": before, "limit": limit})
    return [schemas.ConsentChangeRead(at=at, consent_id=consent_id, requester_agency_id=requester,
                                      purpose_text=purpose_text, to_status=to_status.value, actor=actor)
            for at, consent_id, requester, purpose_text, to_status, actor in rows]


def active_attributes(*, session: Session, subject_id: UUID, purpose: Purpose, clock: Clock,
                      recipient_agency_id: UUID | None = None) -> dict[str, UUID]:
    """Map each attribute an ACTIVE, unexpired consent of the person covers for `purpose` to one such consent.

    With `recipient_agency_id`, only consents that name that agency as a recipient count: what a person
    shared with one agency is never used to show another anything.
    """
    now = clock.now()
    consents = session.scalars(select(Consent).where(
        Consent.subject_id == subject_id, Consent.status == S.ACTIVE, Consent.purpose == purpose,
    ).order_by(Consent.updated_at)).all()
    covered: dict[str, UUID] = {}
    for consent in consents:
        if recipient_agency_id is not None and str(recipient_agency_id) not in consent.recipients:
            continue
        if _now_valid(consent, now):
            for attribute in consent.attributes:
                covered.setdefault(attribute, consent.id)
    return covered
