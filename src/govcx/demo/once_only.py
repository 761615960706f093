"""The demo country's once-only layer: facts from their authoritative sources, standing consents,
legal bases and a year of exchange history, all through the vault, consent and exchange services.

The year ends at the clock's now: the demo citizen's standing consent is used today.

Planted (written to the truth file): the Transport Agency keeps asking for tax data it has no consent
or law for, so its requests are denied far more often than anyone else's.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session, sessionmaker

from govcx.consent import schemas as consent_schemas
from govcx.consent import service as consent
from govcx.consent.models import Purpose
from govcx.core.auth import StaffMember
from govcx.core.clock import Clock
from govcx.core.crypto import FieldCipher
from govcx.core.db import unit_of_work
from govcx.core.ids import new_id
from govcx.core.signing import Signer
from govcx.exchange import service as exchange
from govcx.registry import service as registry
from govcx.vault import service as vault
from govcx.vault.service import ImportedFact

BATCH = 5_000
CONSENT_BATCH = 1_000
INTEREST, MORTGAGE, INCOME = "bank.interest_statement", "bank.mortgage_balance", "tax.annual_income"
INTEREST_SHARE, MORTGAGE_SHARE, CONSENT_SHARE = 0.35, 0.2, 0.6  # of people; consent share of interest holders
UNLAWFUL_ASKER = "TRANSPORT"
UNLAWFUL_SHARE = 0.02  # of people, asked about once each
FORMS = {
    "TAX-MORTGAGE": ["person.name", "person.address", INTEREST, MORTGAGE],
    "SOC-CHILD": ["person.name", "person.address", "person.email", "person.household_members"],
    "TAX-RETURN": ["person.name", "person.address", INCOME, INTEREST],
}
STATUTES = (
    ("SOC", "SOC-CHILD", "Social Insurance Act", "Social Insurance Act §41(2): means test for family benefits",
     [INCOME]),
    ("EMPLOY", "EMPLOY-BENEFIT", "Unemployment Insurance Act",
     "Unemployment Insurance Act §17: income during the reference period", [INCOME]),
    ("AURELIA", "AURELIA-KINDERGARTEN", "Early Childhood Education Act",
     "Early Childhood Education Act §9: fees follow household income", [INCOME]),
)


@dataclass(frozen=True)
class _Person:
    id: UUID
    name: str
    birth_date: str
    address: str
    email: str | None


def _people(session: Session) -> list[_Person]:
    return [_Person(r.id, f"{r.given_name} {r.family_name}", r.birth_date.isoformat(),
                    ", ".join(p for p in (r.street_address, r.postal_code, r.locality) if p), r.email)
            for r in registry.person_records(session=session)]


def generate(
    *, factory: sessionmaker[Session], cipher: FieldCipher, signer: Signer, seed: int, clock: Clock,
    agency_ids: dict[str, UUID], bank_ids: dict[str, UUID], citizen_national_id: str | None,
    start: Callable[[str, int], Any], advance: Callable[[Any, int], None], by: StaffMember,
) -> dict[str, Any]:
    """Fill the vault, consents, legal bases and access log; return what the truth file says about them."""
    rng = random.Random(f"govcx-demo:{seed}:once-only")
    now = clock.now()
    recorded = now - timedelta(days=400)
    with unit_of_work(factory) as session:
        people = _people(session)
        services = {s.code: s.id for _, listed in registry.catalogue(session=session) for s in listed}
        citizen = registry.find_person_by_national_id(session=session, cipher=cipher,
                                                      national_id=citizen_national_id) if citizen_national_id else None
    task = start("Facts from their authoritative sources", len(people))
    interest_holders: list[_Person] = []
    facts = 0
    for i in range(0, len(people), BATCH):
        rows: list[ImportedFact] = []
        for p in people[i:i + BATCH]:
            at = recorded + timedelta(minutes=rng.randrange(300_000))
            rows += [ImportedFact(p.id, "person.name", p.name, at), ImportedFact(p.id, "person.birth_date", p.birth_date, at),
                     ImportedFact(p.id, INCOME, f"{rng.lognormvariate(10.4, 0.5):.2f}", at),
                     ImportedFact(p.id, "tax.residency", "resident", at)]
            if p.address:
                rows.append(ImportedFact(p.id, "person.address", p.address, at))
            if p.email:
                rows.append(ImportedFact(p.id, "person.email", p.email, at, self_declared=True))
            if rng.random() < INTEREST_SHARE or (citizen is not None and p.id == citizen.id):
                rows.append(ImportedFact(p.id, INTEREST, f"{rng.uniform(20, 2500):.2f}", at))
                interest_holders.append(p)
            if rng.random() < MORTGAGE_SHARE:
                rows.append(ImportedFact(p.id, MORTGAGE, f"{rng.uniform(20_000, 400_000):.2f}", at))
        with unit_of_work(factory) as session:
            facts += vault.import_facts(session=session, rows=rows, cipher=cipher)
        advance(task, len(people[i:i + BATCH]))

    with unit_of_work(factory) as session:
        for code, attributes in FORMS.items():
            if code in services:
                vault.set_form(session=session, service_id=services[code], attributes=attributes)
        # The laws are registered by a platform administrator (no agency's key can); each is logged as created.
        bases = [consent.create_legal_basis(session=session, clock=clock, by=by, data=consent_schemas.LegalBasisCreate(
            title=title, citation=citation, agency_id=agency_ids[agency], service_id=services[code],
            purpose=Purpose.LEGAL_COMPLIANCE, attributes=attributes, valid_from=recorded,
        )) for agency, code, title, citation, attributes in STATUTES]

    # A year of history, in time order: quarterly uses of each standing consent, statutory reads, and the
    # planted agency that keeps asking without any basis.
    tax, bank = agency_ids["TAX"], bank_ids["FIRST"]
    year_ago = now - timedelta(days=365)
    consents: list[consent.ImportedConsent] = []
    entries: list[dict[str, Any]] = []
    reasons: Counter[str] = Counter()
    by_asker: Counter[str] = Counter()

    def log(at: datetime, subject: UUID, asker: str, attributes: list[str], purpose: Purpose, decision: str,
            reason: str, consent_id: UUID | None = None, basis_id: UUID | None = None,
            service: str | None = None) -> None:
        entries.append({
            "at_us": exchange.to_micros(at), "subject_id": subject, "requester_agency_id": agency_ids[asker],
            "service_id": services.get(service) if service else None, "purpose": purpose.value,
            "attributes": ",".join(sorted(attributes)), "decision": decision, "reason": reason,
            "consent_id": consent_id, "legal_basis_id": basis_id, "request_id": new_id(),
        })
        reasons[reason] += 1
        by_asker[f"{asker}:{decision}"] += 1

    for p in interest_holders:
        if rng.random() >= CONSENT_SHARE and (citizen is None or p.id != citizen.id):
            continue
        given = year_ago + timedelta(minutes=rng.randrange(60 * 24 * 60))
        consent_id = new_id()
        uses = 0
        for quarter in range(4):
            at = given + timedelta(days=91 * quarter, minutes=rng.randrange(60 * 24 * 20))
            if at < now:
                log(at, p.id, "TAX", [INTEREST], Purpose.SERVICE_PROVISION, "permit", "consent", consent_id,
                    service="TAX-MORTGAGE")
                uses += 1
        if citizen is not None and p.id == citizen.id:
            # The demo citizen's mortgage deduction is being checked today: her log runs to now.
            log(now - timedelta(hours=2), p.id, "TAX", [INTEREST], Purpose.SERVICE_PROVISION, "permit", "consent",
                consent_id, service="TAX-MORTGAGE")
            uses += 1
        consents.append(consent.ImportedConsent(
            id=consent_id, subject_id=p.id, requester_agency_id=tax, source_organization_id=bank,
            source_agency_id=None, attributes=[INTEREST], purpose=Purpose.SERVICE_PROVISION,
            purpose_text="Check eligibility for the mortgage interest deduction", given_at=given,
            valid_until=given + timedelta(days=3 * 365), uses=uses))
    for p in people:
        if rng.random() < 0.05:
            basis = rng.choice(bases)
            agency = next(a for a, code, *_ in STATUTES if services.get(code) == basis.service_id)
            service = next(code for _, code, *_ in STATUTES if services.get(code) == basis.service_id)
            log(year_ago + timedelta(minutes=rng.randrange(525_000)), p.id, agency, list(basis.attributes),
                Purpose.LEGAL_COMPLIANCE, "permit", "legal_basis", basis_id=basis.id, service=service)
        if rng.random() < UNLAWFUL_SHARE:
            log(year_ago + timedelta(minutes=rng.randrange(525_000)), p.id, UNLAWFUL_ASKER, [INCOME],
                Purpose.SERVICE_PROVISION, "deny", "no_consent_or_legal_basis")
        elif rng.random() < 0.01:
            log(year_ago + timedelta(minutes=rng.randrange(525_000)), p.id, "TAX", [MORTGAGE],
                Purpose.SERVICE_PROVISION, "deny", "no_consent_or_legal_basis")
    entries.sort(key=lambda e: e["at_us"])

    task = start("Consents and a year of data exchange", len(consents) + len(entries))
    for i in range(0, len(consents), CONSENT_BATCH):  # each is signed: smaller batches keep the bar moving
        with unit_of_work(factory) as session:
            consent.import_consents(session=session, rows=consents[i:i + CONSENT_BATCH], signer=signer)
        advance(task, len(consents[i:i + CONSENT_BATCH]))
    for i in range(0, len(entries), BATCH):
        with unit_of_work(factory) as session:
            exchange.append(session=session, signer=signer, entries=entries[i:i + BATCH], at=now)
        advance(task, len(entries[i:i + BATCH]))

    unlawful = by_asker[f"{UNLAWFUL_ASKER}:deny"]
    return {
        "truth": {
            "facts": facts, "standing_consents": len(consents), "legal_bases": len(bases),
            "access_log_entries": len(entries), "decisions_by_reason": dict(sorted(reasons.items())),
            "decisions_by_agency": dict(sorted(by_asker.items())),
            "forms": {code: attrs for code, attrs in FORMS.items() if code in services},
            "citizen_has_consent": citizen is not None,
        },
        "effects": [{
            "name": "unlawful_data_requests", "domain": "exchange",
            "description": "One agency keeps asking for income data without a consent or a law; every ask is "
                           "denied and logged, so the access log shows it.",
            "parameters": {"agency": UNLAWFUL_ASKER, "attribute": INCOME, "reason": "no_consent_or_legal_basis",
                           "share_of_people": UNLAWFUL_SHARE},
            "measured": {"denials": unlawful},
        }],
    }


