"""Exchange rules: ask the policy decision point, hand over only what is covered, log every decision."""

from __future__ import annotations

import functools
import gc
import hashlib
import itertools
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Select, bindparam, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from govcx.consent import service as consent
from govcx.consent.models import Purpose
from govcx.core.clock import Clock
from govcx.core.crypto import FieldCipher, Sealed
from govcx.core.errors import Conflict, Invalid, NotFound
from govcx.core.pagination import PageParams, decode_cursor, encode_cursor
from govcx.core.signing import KeySetVerifier, Signer
from govcx.exchange import schemas
from govcx.exchange.models import (
    AccessLogCheckpoint,
    AccessLogEntry,
    AccessLogHead,
    ExchangeRequest,
    RequestStatus,
)
from govcx.exchange.witness import (
    LOG_NAME,
    Head,
    Witness,
    WitnessError,
    WitnessMissing,
    hold,
    peek_seq,
    sign_head,
)
from govcx.registry import service as registry
from govcx.vault import service as vault
from govcx.vault.schemas import FactRead

GENESIS = "0" * 64
CHECKPOINT_EVERY = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ENTRY = AccessLogEntry.__table__
_HEAD = AccessLogHead.__table__
_CHECKPOINT = AccessLogCheckpoint.__table__


# The hash chain ----------------------------------------------------------------------------------


def to_micros(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(microseconds=1)


def _hex(value: UUID | None) -> str:
    return value.hex if value is not None else ""


def entry_line(row: dict[str, Any]) -> str:
    """The text an entry's hash covers, built from the values exactly as they are stored."""
    return "|".join((
        str(row["at_us"]), _hex(row["subject_id"]), _hex(row["requester_agency_id"]), _hex(row["service_id"]),
        row["purpose"], row["attributes"], row["decision"], row["reason"], _hex(row["consent_id"]),
        _hex(row["legal_basis_id"]), _hex(row["request_id"]),
    ))


def chain(prev_hash: str, line: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{line}".encode()).hexdigest()


def _checkpoint(session: Session, signer: Signer, seq: int, digest: str, at: datetime) -> None:
    head = sign_head(signer, seq=seq, digest=digest, at=at)
    session.add(AccessLogCheckpoint(seq=seq, hash=digest, signature=head.signature, at=at))
    hold(session, head)  # to the witness once the entries it vouches for are committed


class LogBroken(Exception):
    """The stored chain does not extend the last signed head: no new head is signed over it."""


def checkpoint(
    *, session: Session, signer: Signer, at: datetime, after: tuple[int, str] | None = None
) -> Head | None:
    """Sign a head of the newest entry (or reuse the one stored there); the witness gets it after the commit.

    Like RFC 9162's consistency check between tree heads, a new head is signed only over a chain that
    extends the previous one (`after`, the last head the witness took, else the newest stored one):
    entries rewritten since that head are refused, never vouched for. None when the log is empty.
    """
    newest = session.execute(select(_ENTRY.c.seq, _ENTRY.c.hash).order_by(_ENTRY.c.seq.desc()).limit(1)).first()
    if newest is None:
        if after is not None:
            raise LogBroken(f"the access log is empty, but a head was signed for {after[0]:,} entries.")
        return None
    seq, digest = newest
    if after is None:
        after = session.execute(select(_CHECKPOINT.c.seq, _CHECKPOINT.c.hash).where(_CHECKPOINT.c.seq <= seq)
                                .order_by(_CHECKPOINT.c.seq.desc()).limit(1)).first()
    _check_extends(session, after=(after[0], after[1]) if after else (0, GENESIS), upto=seq)
    stored = session.execute(select(_CHECKPOINT.c.hash, _CHECKPOINT.c.signature, _CHECKPOINT.c.at)
                             .where(_CHECKPOINT.c.seq == seq)).first()
    if stored is not None and stored.hash == digest:
        head = Head(seq, digest, stored.at, stored.signature)
    else:
        head = sign_head(signer, seq=seq, digest=digest, at=at)
        dialect_insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(dialect_insert(_CHECKPOINT).values(seq=seq, hash=digest, signature=head.signature, at=at)
                        .on_conflict_do_nothing(index_elements=["seq"]))
    hold(session, head)
    return head


def _check_extends(session: Session, *, after: tuple[int, str], upto: int) -> None:
    base, running = after
    if base > upto:
        raise LogBroken(f"the access log ends at entry {upto:,}, but a head was signed for {base:,}.")
    if base > 0:
        at_base = session.execute(select(_ENTRY.c.hash).where(_ENTRY.c.seq == base)).scalar_one_or_none()
        if at_base != running:
            raise LogBroken(f"entry {base:,} no longer matches the head signed there.")
    expected = base + 1
    for row in session.execute(select(_ENTRY).where(_ENTRY.c.seq > base, _ENTRY.c.seq <= upto)
                               .order_by(_ENTRY.c.seq).execution_options(yield_per=2_000)).mappings():
        if row["seq"] != expected or row["prev_hash"] != running or chain(running, entry_line(row)) != row["hash"]:
            raise LogBroken(f"entry {expected:,} does not extend the chain signed at entry {base:,}.")
        running, expected = row["hash"], expected + 1


def append(*, session: Session, signer: Signer, entries: list[dict[str, Any]], at: datetime) -> list[int]:
    """Append entries to the access log, in order; return their numbers.

    The head row is updated first: on PostgreSQL that row lock, on SQLite the write lock, makes
    concurrent appends take turns, so numbers never repeat and every entry links to the one before.
    """
    if not entries:
        return []
    advance = (update(_HEAD).where(_HEAD.c.id == 1).values(seq=_HEAD.c.seq + len(entries))
               .returning(_HEAD.c.seq, _HEAD.c.hash))
    head = session.execute(advance).first()
    if head is None:
        # The very first entry: the head row is made once, by whichever process gets there first; the
        # others wait for it and then advance it like any other append.
        dialect_insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(dialect_insert(_HEAD).values(id=1, seq=0, hash=GENESIS)
                        .on_conflict_do_nothing(index_elements=["id"]))
        head = session.execute(advance).one()
    last, prev = head
    seq = last - len(entries)
    rows = []
    for entry in entries:
        seq += 1
        digest = chain(prev, entry_line(entry))
        rows.append({**entry, "seq": seq, "prev_hash": prev, "hash": digest})
        if seq % CHECKPOINT_EVERY == 0:
            _checkpoint(session, signer, seq, digest, at)
        prev = digest
    session.execute(insert(_ENTRY), rows)
    session.execute(update(_HEAD).where(_HEAD.c.id == 1).values(hash=prev))
    session.flush()
    return [r["seq"] for r in rows]


def _entry(request: ExchangeRequest, *, decision: str, reason: str, at: datetime, consent_id: UUID | None,
           legal_basis_id: UUID | None) -> dict[str, Any]:
    return {
        "at_us": to_micros(at), "subject_id": request.subject_id, "requester_agency_id": request.requester_agency_id,
        "service_id": request.service_id, "purpose": request.purpose, "attributes": ",".join(request.attributes),
        "decision": decision, "reason": reason, "consent_id": consent_id, "legal_basis_id": legal_basis_id,
        "request_id": request.id,
    }


# Requests ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    request: ExchangeRequest
    detail: str
    facts: list[Any]
    log_seq: int | None

    @property
    def denied(self) -> bool:
        return self.request.status is RequestStatus.DENIED


def _check_input(session: Session, data: schemas.ExchangeRequestCreate) -> list[str]:
    try:
        registry.get_person(session=session, person_id=data.subject_id)
    except NotFound as exc:
        raise Invalid(exc.detail) from exc
    if data.consent_id is not None and data.legal_basis_id is not None:
        raise Invalid("Cite a consent or a legal basis, not both.")
    attributes = sorted(set(data.attributes))
    known = vault.catalogue(session=session)
    unknown = [k for k in attributes if k not in known]
    if unknown:
        raise Invalid(f"Not in the data catalogue: {', '.join(unknown)}.")
    if data.service_id is not None:
        try:
            registry.get_service(session=session, service_id=data.service_id)
        except NotFound as exc:
            raise Invalid(exc.detail) from exc
    return attributes


def _answer_context(request: ExchangeRequest) -> str:
    # Binds a sealed answer to its request and person, so it cannot be moved to another request.
    return f"exchange-answer:{request.id}:{request.subject_id}"


def _seal_answer(request: ExchangeRequest, facts: list[FactRead], cipher: FieldCipher) -> None:
    sealed = cipher.seal(json.dumps([f.model_dump(mode="json") for f in facts]), context=_answer_context(request))
    request.answer_key_id, request.answer_sealed = sealed.key_id, sealed.blob


def _released(request: ExchangeRequest, cipher: FieldCipher) -> list[FactRead]:
    """What was disclosed for an answered request, as it was then (nothing for answers made before they were kept)."""
    if request.status is not RequestStatus.ANSWERED or request.answer_sealed is None:
        return []
    payload = cipher.open(Sealed(request.answer_key_id or "", request.answer_sealed), context=_answer_context(request))
    return [FactRead.model_validate(item) for item in json.loads(payload)]


def _disclose(session: Session, *, request: ExchangeRequest, decision: consent.Decision, clock: Clock,
              signer: Signer, cipher: FieldCipher) -> Outcome:
    now = clock.now()
    facts = vault.current_facts(session=session, cipher=cipher, subject_id=request.subject_id,
                                keys=request.attributes)
    if decision.consent_id is not None:
        consent.record_use(session=session, consent_id=decision.consent_id, clock=clock, signer=signer)
    request.status, request.decided_at = RequestStatus.ANSWERED, now
    # The answer is kept as released, in the same transaction as its log entry: both or neither.
    _seal_answer(request, facts, cipher)
    [seq] = append(session=session, signer=signer, at=now, entries=[_entry(
        request, decision="permit", reason=decision.reason.value, at=now, consent_id=decision.consent_id,
        legal_basis_id=decision.legal_basis_id)])
    return Outcome(request, decision.detail, facts, seq)


def _refuse(session: Session, *, request: ExchangeRequest, decision: consent.Decision, clock: Clock,
            signer: Signer) -> Outcome:
    now = clock.now()
    request.status, request.decided_at = RequestStatus.DENIED, now
    [seq] = append(session=session, signer=signer, at=now, entries=[_entry(
        request, decision="deny", reason=decision.reason.value, at=now, consent_id=decision.consent_id,
        legal_basis_id=decision.legal_basis_id)])
    return Outcome(request, decision.detail, [], seq)


def ask(
    *, session: Session, agency_id: UUID, data: schemas.ExchangeRequestCreate, clock: Clock, signer: Signer,
    cipher: FieldCipher,
) -> Outcome:
    """Decide an agency's request for a person's data; log the decision; on permit, answer with the facts."""
    attributes = _check_input(session, data)
    decision = consent.decide(
        session=session, clock=clock, signer=signer, agency_id=agency_id, subject_id=data.subject_id,
        attributes=attributes, purpose=data.purpose, consent_id=data.consent_id,
        legal_basis_id=data.legal_basis_id, service_id=data.service_id,
    )
    request = ExchangeRequest(
        requester_agency_id=agency_id, subject_id=data.subject_id, service_id=data.service_id,
        purpose=data.purpose.value, attributes=attributes, consent_id=decision.consent_id,
        legal_basis_id=decision.legal_basis_id, status=RequestStatus.AWAITING_PERSON,
        reason=decision.reason.value, created_at=clock.now(), decided_at=None,
    )
    session.add(request)
    session.flush()
    if not decision.permit:
        return _refuse(session, request=request, decision=decision, clock=clock, signer=signer)
    if decision.requires_preview:
        return Outcome(request, "The person previews the data and confirms before it is shared.", [], None)
    return _disclose(session, request=request, decision=decision, clock=clock, signer=signer, cipher=cipher)


def get_answer(
    *, session: Session, agency_id: UUID, request_id: UUID, cipher: FieldCipher
) -> Outcome:
    """Return one of the agency's own requests with exactly what was released then: never a newer value."""
    request = session.get(ExchangeRequest, request_id)
    if request is None or request.requester_agency_id != agency_id:
        raise NotFound(f"No exchange request with id {request_id}.")
    detail = {"answered": "Shared.", "denied": "Denied.", "awaiting_person": "Waiting for the person."}
    return Outcome(request, detail[request.status.value], _released(request, cipher), None)


def read_for_case(
    *, session: Session, case: consent.CaseGround, attributes: list[str], clock: Clock, signer: Signer,
    cipher: FieldCipher,
) -> Outcome:
    """Read a person's details for the agency handling their case: decided, logged and kept like any answer."""
    attributes = sorted(set(attributes))
    decision = consent.decide(
        session=session, clock=clock, signer=signer, agency_id=case.agency_id, subject_id=case.subject_id,
        attributes=attributes, purpose=Purpose.SERVICE_PROVISION, service_id=case.service_id, case=case,
    )
    request = ExchangeRequest(
        requester_agency_id=case.agency_id, subject_id=case.subject_id, service_id=case.service_id,
        purpose=Purpose.SERVICE_PROVISION.value, attributes=attributes, consent_id=None, legal_basis_id=None,
        status=RequestStatus.AWAITING_PERSON, reason=decision.reason.value, created_at=clock.now(), decided_at=None,
        case_id=case.case_id,
    )
    session.add(request)
    session.flush()
    if not decision.permit:
        return _refuse(session, request=request, decision=decision, clock=clock, signer=signer)
    return _disclose(session, request=request, decision=decision, clock=clock, signer=signer, cipher=cipher)


def preview_tag(facts: list[FactRead]) -> str:
    """Name the exact versions a preview shows (each new version of a fact is a new row with a new id)."""
    return hashlib.sha256(",".join(sorted(str(f.id) for f in facts)).encode()).hexdigest()[:32]


def pending_for_person(*, session: Session, person_id: UUID, cipher: FieldCipher) -> list[schemas.PendingRequestRead]:
    """Requests waiting for the person's preview, with exactly what would be shared."""
    requests = session.scalars(select(ExchangeRequest).where(
        ExchangeRequest.subject_id == person_id, ExchangeRequest.status == RequestStatus.AWAITING_PERSON
    ).order_by(ExchangeRequest.id)).all()
    names = {a.id: a.name for a in registry.all_agencies(session=session)}
    pending = []
    for r in requests:
        facts = vault.current_facts(session=session, cipher=cipher, subject_id=person_id, keys=r.attributes)
        pending.append(schemas.PendingRequestRead(
            id=r.id, requester_name=names.get(r.requester_agency_id, ""), purpose=Purpose(r.purpose),
            created_at=r.created_at, facts=facts, preview=preview_tag(facts),
        ))
    return pending


def settle_preview(
    *, session: Session, person_id: UUID, request_id: UUID, share: bool, clock: Clock, signer: Signer,
    cipher: FieldCipher, preview: str | None = None,
) -> Outcome:
    """The person confirms or declines sharing after the preview; either way the decision is logged.

    With `preview` (the tag of what the person was shown), sharing releases exactly that or nothing:
    if a value changed since, the person is asked to look again.
    """
    request = session.get(ExchangeRequest, request_id)
    if request is None or request.subject_id != person_id:
        raise NotFound(f"No request with id {request_id}.")
    if request.status is not RequestStatus.AWAITING_PERSON:
        raise Conflict("This request has already been settled.")
    if not share:
        decision = consent.Decision(False, consent.Reason.DECLINED_BY_PERSON,
                                    consent.REASON_TEXT[consent.Reason.DECLINED_BY_PERSON], request.consent_id)
        return _refuse(session, request=request, decision=decision, clock=clock, signer=signer)
    if preview is not None and preview != preview_tag(vault.current_facts(
            session=session, cipher=cipher, subject_id=person_id, keys=request.attributes)):
        raise Conflict("Your data changed after you looked at it: look at what would be shared again.")
    # Decided again: the consent may have been withdrawn or run out while the request waited.
    decision = consent.decide(
        session=session, clock=clock, signer=signer, agency_id=request.requester_agency_id,
        subject_id=request.subject_id, attributes=request.attributes, purpose=Purpose(request.purpose),
        consent_id=request.consent_id, service_id=request.service_id,
    )
    if not decision.permit:
        return _refuse(session, request=request, decision=decision, clock=clock, signer=signer)
    return _disclose(session, request=request, decision=decision, clock=clock, signer=signer, cipher=cipher)


def answer_of(outcome: Outcome) -> schemas.ExchangeAnswer:
    r = outcome.request
    return schemas.ExchangeAnswer(
        request_id=r.id, status=r.status.value, reason=r.reason, detail=outcome.detail, consent_id=r.consent_id,
        legal_basis_id=r.legal_basis_id, facts=outcome.facts,
    )


# The person's access log -------------------------------------------------------------------------


def access_log_for(
    *, session: Session, person_id: UUID, page: PageParams
) -> tuple[list[schemas.AccessLogEntryRead], str | None]:
    """Who asked for the person's data, when, why and under what: newest first, every decision."""
    stmt = select(AccessLogEntry).where(AccessLogEntry.subject_id == person_id)
    if page.cursor:
        stmt = stmt.where(AccessLogEntry.seq < decode_cursor(page.cursor).int)
    rows = list(session.scalars(stmt.order_by(AccessLogEntry.seq.desc()).limit(page.limit + 1)))
    cursor = None
    if len(rows) > page.limit:
        rows = rows[: page.limit]
        cursor = encode_cursor(UUID(int=rows[-1].seq))
    return _log_reads(session, rows), cursor


def log_entry_for(*, session: Session, person_id: UUID, seq: int) -> schemas.AccessLogEntryRead:
    """Return one entry of the person's own access log; anyone else's answers like a missing one."""
    row = session.get(AccessLogEntry, seq)
    if row is None or row.subject_id != person_id:
        raise NotFound(f"No entry {seq} in your access log.")
    return _log_reads(session, [row])[0]


def _log_reads(session: Session, rows: list[Any]) -> list[schemas.AccessLogEntryRead]:
    agencies = registry.agency_names(session=session, wanted={r.requester_agency_id for r in rows})
    purposes = consent.names_of_consents(session=session, consent_ids={r.consent_id for r in rows if r.consent_id})
    citations = consent.citations_of(session=session,
                                     legal_basis_ids={r.legal_basis_id for r in rows if r.legal_basis_id})
    case_reads = {r.request_id for r in rows if r.reason == consent.Reason.CASE.value}
    cases = dict(session.execute(select(ExchangeRequest.id, ExchangeRequest.case_id).where(
        ExchangeRequest.id.in_(case_reads))).all()) if case_reads else {}
    return [schemas.AccessLogEntryRead(
        seq=r.seq, at=_EPOCH + timedelta(microseconds=r.at_us), requester_agency_id=r.requester_agency_id,
        requester_name=agencies.get(r.requester_agency_id, ""), service_id=r.service_id, purpose=r.purpose,
        attributes=r.attributes.split(",") if r.attributes else [], decision=r.decision, reason=r.reason,
        consent_id=r.consent_id, legal_basis_id=r.legal_basis_id,
        basis=(purposes.get(r.consent_id, "") if r.consent_id else citations.get(r.legal_basis_id, "")
               if r.legal_basis_id else consent.REASON_TEXT.get(consent.Reason(r.reason), "")
               if r.reason == consent.Reason.CASE.value else ""),
        request_id=r.request_id, case_id=cases.get(r.request_id),
    ) for r in rows]


def uses_for_subject(
    *, session: Session, person_id: UUID, requester_agency_id: UUID | None, before: datetime | None, limit: int
) -> list[schemas.AccessLogEntryRead]:
    """The person's access-log entries, newest first (optionally one requester's, only before a time)."""
    # Core rows, not log objects, off the (subject, seq) index: the timeline reads this on every page.
    rows = list(session.connection().execute(_uses(requester_agency_id is not None, before is not None), {
        "person_id": person_id, "requester": requester_agency_id,
        "before": to_micros(before) if before is not None else None, "limit": limit}))
    return _log_reads(session, rows)


@functools.cache
def _uses(by_requester: bool, before: bool) -> Select[Any]:
    log = AccessLogEntry.__table__.c
    stmt = select(log.seq, log.at_us, log.requester_agency_id, log.service_id, log.purpose, log.attributes,
                  log.decision, log.reason, log.consent_id, log.legal_basis_id, log.request_id
                  ).where(log.subject_id == bindparam("person_id"))
    if by_requester:
        stmt = stmt.where(log.requester_agency_id == bindparam("requester"))
    if before:
        stmt = stmt.where(log.at_us < bindparam("before"))
    return stmt.order_by(log.seq.desc()).limit(bindparam("limit"))


# Verifying the whole chain -----------------------------------------------------------------------

# The hashed line is assembled by the database, so each row crosses into Python as four strings.
_SQLITE_ROWS = (
    "SELECT seq, prev_hash, hash, CAST(at_us AS TEXT) || '|' || subject_id || '|' || requester_agency_id || '|' || "
    "COALESCE(service_id, '') || '|' || purpose || '|' || attributes || '|' || decision || '|' || reason || '|' || "
    "COALESCE(consent_id, '') || '|' || COALESCE(legal_basis_id, '') || '|' || request_id "
    "FROM access_log_entry ORDER BY seq"
)
_POSTGRES_ROWS = (
    "SELECT seq, prev_hash, hash, concat_ws('|', at_us::text, replace(subject_id::text, '-', ''), "
    "replace(requester_agency_id::text, '-', ''), COALESCE(replace(service_id::text, '-', ''), ''), purpose, "
    "attributes, decision, reason, COALESCE(replace(consent_id::text, '-', ''), ''), "
    "COALESCE(replace(legal_basis_id::text, '-', ''), ''), replace(request_id::text, '-', '')) "
    "FROM access_log_entry ORDER BY seq"
)
_BATCH = 20_000


def _rows(connection: Connection) -> Any:
    """Stream every entry in order as plain strings, without building a million ORM objects."""
    raw = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        # A server-side cursor: rows arrive in batches, not all at once. (COPY ... TO STDOUT was measured
        # beside it and streamed these rows 10-20 % slower, parsed or raw.)
        cursor = raw.cursor(name="govcx_audit_verify")
        cursor.itersize = _BATCH
        cursor.execute(_POSTGRES_ROWS)
    else:
        cursor = raw.cursor()
        cursor.arraysize = _BATCH
        cursor.execute(_SQLITE_ROWS)
    while batch := cursor.fetchmany(_BATCH):
        yield batch
    cursor.close()


def log_size(*, connection: Connection) -> int:
    """How many entries the store holds, by the newest number (for a progress bar)."""
    return connection.execute(select(func.coalesce(func.max(_ENTRY.c.seq), 0))).scalar_one()


class _Tampered(Exception):
    def __init__(self, entry: int | None, problem: str) -> None:
        super().__init__(problem)
        self.entry, self.problem = entry, problem


@dataclass
class _Walk:
    """What the walk learnt so far, so a failure still reports how far it got."""

    count: int = 0
    witness_heads: int = 0
    witnessed: int = 0


def verify(
    *, connection: Connection, jwks: dict[str, Any], witness: Witness | None = None,
    progress: Callable[[int], None] | None = None,
) -> schemas.VerifyReport:
    """Check the whole access log against its witness: every hash, link, number, checkpoint and witnessed head.

    Without a witness only the store's own consistency is checked, which an insider who rewrites the
    chain and its checkpoints can fake; `govcx audit verify` always passes the configured one.
    """
    started = time.perf_counter()
    verifier = KeySetVerifier(jwks)
    checkpoints = {
        seq: (digest, signature) for seq, digest, signature in connection.execute(
            select(AccessLogCheckpoint.seq, AccessLogCheckpoint.hash, AccessLogCheckpoint.signature))
    }
    head = connection.execute(select(AccessLogHead.seq, AccessLogHead.hash)).first()
    walk = _Walk()
    # A million short-lived row tuples would wake the cycle collector thousands of times for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        _check(connection, checkpoints, head, witness, verifier, progress, walk)
        bad, problem = None, None
    except _Tampered as exc:
        bad, problem = exc.entry, exc.problem
    finally:
        if collecting:
            gc.enable()
    return schemas.VerifyReport(
        ok=problem is None, entries=walk.count, checkpoints=len(checkpoints), first_bad_entry=bad, problem=problem,
        witness=witness.where if witness is not None else None, witness_heads=walk.witness_heads,
        witnessed_entries=walk.witnessed, seconds=round(time.perf_counter() - started, 3),
    )


def _check(
    connection: Connection, checkpoints: dict[int, tuple[str, str]], head: Any, witness: Witness | None,
    verifier: KeySetVerifier, progress: Callable[[int], None] | None, walk: _Walk,
) -> None:
    missing = None
    heads: Iterator[tuple[int, str, str]] = iter(())
    if witness is not None:
        try:
            heads = _witnessed(witness, verifier, walk)
            first = next(heads, None)
        except WitnessMissing as exc:
            missing, first = str(exc), None
        heads = itertools.chain([first] if first else [], heads)
    expected_seq, running = _walk(connection, checkpoints, heads, progress, walk)
    for seq, (digest, signature) in sorted(checkpoints.items()):
        claims = verifier.verify(signature)
        if claims is None or claims.get("seq") != seq or claims.get("hash") != digest:
            raise _Tampered(seq, f"the checkpoint at entry {seq} is not validly signed.")
        if seq >= expected_seq:
            raise _Tampered(expected_seq, f"entry {expected_seq} is missing: a signed checkpoint vouches for {seq}.")
    if witness is not None and walk.count and not walk.witness_heads:
        raise _Tampered(None, f"{missing or f'the witness at {witness.where} holds no head'}, yet the store holds "
                              f"{walk.count:,} entries: the witness was removed or emptied, or never written "
                              "(after an upgrade, run `govcx audit checkpoint` once).")
    newest_checkpoint = max(checkpoints, default=0)
    if witness is not None and newest_checkpoint > walk.witnessed:
        raise _Tampered(newest_checkpoint, (
            f"the witness ends at entry {walk.witnessed:,}, but the store holds a head signed for entry "
            f"{newest_checkpoint:,} (the checkpoint there): the witness was replaced by an older copy or cut short. "
            "If it was only unreachable for a while, `govcx audit checkpoint` catches it up."))
    if head is not None and (head[0] != expected_seq - 1 or head[1] != running):
        raise _Tampered(min(expected_seq, head[0]), (
            f"the log ends at entry {expected_seq - 1} but its head says {head[0]}: entries were removed."))


def _witnessed(witness: Witness, verifier: KeySetVerifier, walk: _Walk) -> Iterator[tuple[int, str, str]]:
    """Yield the witness's heads (entry number, hash, when), each checked: signed by us, sizes only growing."""
    previous = 0
    try:
        for number, token in enumerate(witness.read(), 1):
            claims = None if "\x00" in token else verifier.verify(token)
            seq = claims.get("seq") if claims else None
            if claims is None or claims.get("log") != LOG_NAME or not isinstance(seq, int) or seq < 1:
                what = ("not signed with this log's key: it is forged" if "\x00" not in token and peek_seq(token)
                        else "damaged: cut short or altered")
                raise _Tampered(None, f"the witness's head {number} ({witness.where}) is {what}.")
            if seq <= previous:
                raise _Tampered(seq, (
                    f"the witness's head {number} (entry {seq:,}) does not come after head {number - 1} "
                    f"(entry {previous:,}): the witness was reordered or rewritten, not only appended to."))
            previous = seq
            walk.witness_heads, walk.witnessed = number, seq
            yield seq, str(claims.get("hash")), str(claims.get("at"))
    except WitnessMissing:
        raise
    except WitnessError as exc:
        raise _Tampered(None, f"the witness could not be read: {exc}.") from exc


def _walk(
    connection: Connection, checkpoints: dict[int, tuple[str, str]], heads: Iterator[tuple[int, str, str]],
    progress: Callable[[int], None] | None, walk: _Walk,
) -> tuple[int, str]:
    """Walk the chain beside the witnessed heads; return the next entry number expected and the last hash."""
    sha256 = hashlib.sha256
    expected_seq, running, count = 1, GENESIS, 0
    vouched, vouched_hash, vouched_at = next(heads, (0, "", ""))
    matched = 0  # the newest witnessed head the chain was found to agree with
    try:
        for batch in _rows(connection):
            for seq, prev, digest, line in batch:
                if seq != expected_seq:
                    raise _Tampered(expected_seq, f"entry {expected_seq} is missing (removed, or renumbered).")
                if sha256(f"{prev}\n{line}".encode()).hexdigest() != digest:
                    raise _Tampered(seq, f"entry {seq} was changed: its content no longer matches its hash.")
                if prev != running:
                    raise _Tampered(seq, f"entry {seq} is out of order: it does not follow entry {seq - 1}.")
                running = digest
                expected_seq += 1
                count += 1
                if seq in checkpoints and checkpoints[seq][0] != digest:
                    raise _Tampered(seq, f"entry {seq} disagrees with the signed checkpoint there: the chain was "
                                         "rewritten.")
                if seq == vouched:
                    if digest != vouched_hash:
                        raise _Tampered(seq, (
                            f"entry {seq} disagrees with the head the witness holds for it (signed {vouched_at}): "
                            f"one of entries {matched + 1}-{seq} was changed and the chain re-hashed."))
                    matched = seq
                    vouched, vouched_hash, vouched_at = next(heads, (0, "", ""))
            walk.count = count
            if progress is not None:
                progress(len(batch))
        if vouched:
            for vouched, _, vouched_at in heads:  # the newest one, each still checked on the way
                pass
            raise _Tampered(expected_seq, (
                f"entry {expected_seq} is missing: the witness vouches for {vouched:,} entries (head signed "
                f"{vouched_at}), the store holds {count:,}; the log was cut short or erased."))
    finally:
        walk.count = count
    return expected_seq, running


def service_uses(*, session: Session) -> list[tuple[UUID, UUID]]:
    """Every (person, service) pair for which an agency was answered a request: who used which service."""
    return [tuple(row) for row in session.execute(
        select(ExchangeRequest.subject_id, ExchangeRequest.service_id).where(
            ExchangeRequest.service_id.is_not(None), ExchangeRequest.status == RequestStatus.ANSWERED,
        ).distinct()
    ).all()]
