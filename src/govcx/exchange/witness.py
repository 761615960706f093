"""The access log's witness: signed heads of the chain, kept outside the operational store.

A signed head says "the log held `seq` entries, and the chain's hash at the last one was `hash`",
as a compact JWS with the log's Ed25519 key (RFC 9162's signed tree head, for a hash chain). The
store keeps its own copy (`access_log_checkpoint`), but a database insider can delete those; the
witness is where they cannot reach: an append-only, fsynced file beside the data, a directory
that another process owns, or an HTTP service. `govcx audit verify` checks the store against it.

A head is written to the witness only after the transaction that made it committed, so the
witness never vouches for entries the store never had. Writing to it is never on a request's
path except once per 1,000 entries; the rest is the background loop's, every few seconds.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from govcx.core.clock import Clock
from govcx.core.config import Settings
from govcx.core.db import unit_of_work
from govcx.core.signing import KeySetVerifier, Signer, b64url_decode

log = logging.getLogger(__name__)

LOG_NAME = "govcx access log"
FILE_NAME = "access-log-witness.jws"


@dataclass(frozen=True)
class Head:
    """A signed head: the chain held `seq` entries, and `hash` was the last one's hash."""

    seq: int
    hash: str
    at: datetime
    signature: str


def sign_head(signer: Signer, *, seq: int, digest: str, at: datetime) -> Head:
    """Sign a head of the chain at entry `seq`."""
    return Head(seq, digest, at, signer.sign({"log": LOG_NAME, "seq": seq, "hash": digest, "at": at.isoformat()}))


def peek_seq(token: str) -> int | None:
    """The entry number a token claims, read without checking its signature (to order writes)."""
    try:
        seq = json.loads(b64url_decode(token.split(".")[1]))["seq"]
    except (ValueError, IndexError, KeyError, TypeError):
        return None
    return seq if isinstance(seq, int) else None


class WitnessError(Exception):
    """The witness could not be written or read."""


class WitnessMissing(WitnessError):
    """There is no witness where the settings say."""


class Witness(Protocol):
    where: str

    def publish(self, tokens: Sequence[str]) -> None:
        """Durably record signed heads, oldest first; raise WitnessError if that failed."""

    def read(self) -> Iterator[str]:
        """Yield every recorded head, in the witness's own order; raise WitnessMissing if there is none."""

    def newest(self) -> str | None:
        """The newest recorded head, or None (cheap where the witness allows)."""


class FileWitness:
    """One signed head per line, appended under a lock and fsynced before `publish` returns.

    Never rewritten: opened with O_APPEND only, so the file may be made append-only for good by the
    operating system (`chattr +a`), and then not even the service's own account can cut it short.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def publish(self, tokens: Sequence[str]) -> None:
        try:
            created = not self.path.exists()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise WitnessError(f"cannot open {self.path}: {exc.strerror or exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # processes sharing the file take turns
            newest = self._newest_seq(fd)
            # Sizes only grow: a head older than the newest recorded one (another process was quicker)
            # adds nothing, since the newer head vouches for every entry before it.
            lines = [t for t in tokens if (peek_seq(t) or 0) > newest]
            if lines:
                os.write(fd, "".join(f"{t}\n" for t in lines).encode())
                os.fsync(fd)
            if created:
                _fsync_dir(self.path.parent)
        except OSError as exc:
            raise WitnessError(f"cannot append to {self.path}: {exc.strerror or exc}") from exc
        finally:
            os.close(fd)

    @staticmethod
    def _newest_seq(fd: int) -> int:
        size = os.fstat(fd).st_size
        tail = os.pread(fd, min(size, 4096), max(0, size - 4096)).decode("ascii", "replace")
        return peek_seq(tail.rstrip("\n").rsplit("\n", 1)[-1]) or 0

    def newest(self) -> str | None:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            size = os.fstat(fd).st_size
            tail = os.pread(fd, min(size, 4096), max(0, size - 4096)).decode("ascii", "replace")
        finally:
            os.close(fd)
        return tail.rstrip("\n").rsplit("\n", 1)[-1] or None

    def read(self) -> Iterator[str]:
        try:
            handle = self.path.open("r", encoding="ascii", errors="replace", newline="\n")
        except FileNotFoundError as exc:
            raise WitnessMissing(f"there is no witness file at {self.path}") from exc
        except OSError as exc:
            raise WitnessError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        with handle:
            for line in handle:
                # A line without its newline was cut short: hand it on as it is, so it fails its check.
                yield line[:-1] if line.endswith("\n") else line + "\x00"


class DirectoryWitness:
    """One file per head (`<seq>.jws`), created exclusively and fsynced; none is ever rewritten.

    For a drop directory that another process owns and collects from, or a write-once mount.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def publish(self, tokens: Sequence[str]) -> None:
        for token in tokens:
            target = self.path / f"{peek_seq(token) or 0:020d}.jws"
            try:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
            except FileExistsError:
                continue  # this head is there already
            except OSError as exc:
                raise WitnessError(f"cannot create {target}: {exc.strerror or exc}") from exc
            try:
                os.write(fd, f"{token}\n".encode())
                os.fsync(fd)
            except OSError as exc:
                raise WitnessError(f"cannot write {target}: {exc.strerror or exc}") from exc
            finally:
                os.close(fd)
        _fsync_dir(self.path)

    def newest(self) -> str | None:
        names = sorted(p for p in os.listdir(self.path) if p.endswith(".jws")) if self.path.is_dir() else []
        return (self.path / names[-1]).read_text(encoding="ascii", errors="replace").rstrip("\n") if names else None

    def read(self) -> Iterator[str]:
        if not self.path.is_dir():
            raise WitnessMissing(f"there is no witness directory at {self.path}")
        for name in sorted(p for p in os.listdir(self.path) if p.endswith(".jws")):
            token = (self.path / name).read_text(encoding="ascii", errors="replace").rstrip("\n")
            # The name is part of the record: a file renamed to sit elsewhere in the order fails.
            yield token if name == f"{peek_seq(token) or 0:020d}.jws" else token + "\x00"


class HttpWitness:
    """A witness service: each head is POSTed (`application/jose`); a GET returns them all, one a line.

    The service keeps heads in the order received and refuses (409) one not newer than its last,
    which this client takes as "already covered".
    """

    def __init__(self, url: str, *, timeout_s: float) -> None:
        self.url, self.timeout_s = url, timeout_s
        self.where = url

    def publish(self, tokens: Sequence[str]) -> None:
        for token in tokens:
            request = urllib.request.Request(self.url, data=token.encode(), method="POST",
                                             headers={"Content-Type": "application/jose"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s):  # noqa: S310 - a configured URL
                    pass
            except urllib.error.HTTPError as exc:
                if exc.code != 409:
                    raise WitnessError(f"{self.url} answered {exc.code} {exc.reason}") from exc
            except (urllib.error.URLError, OSError) as exc:
                raise WitnessError(f"cannot reach {self.url}: {getattr(exc, 'reason', exc)}") from exc

    def newest(self) -> str | None:
        last = None
        try:
            for last in self.read():  # noqa: B007 - the protocol has no "newest" call: read to the end
                pass
        except WitnessMissing:
            return None
        return last

    def read(self) -> Iterator[str]:
        try:
            with urllib.request.urlopen(self.url, timeout=self.timeout_s) as answer:  # noqa: S310
                for raw in answer:
                    line = raw.decode("ascii", "replace").rstrip("\r\n")
                    if line:
                        yield line
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                raise WitnessMissing(f"the witness at {self.url} holds nothing (404)") from exc
            raise WitnessError(f"{self.url} answered {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise WitnessError(f"cannot reach {self.url}: {getattr(exc, 'reason', exc)}") from exc


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def witness_from(settings: Settings) -> Witness:
    """The witness the settings name: the HTTP one if a URL is set, else the file (or directory)."""
    if settings.audit_witness_url:
        return HttpWitness(settings.audit_witness_url, timeout_s=settings.audit_witness_timeout_s)
    path = settings.resolved_audit_witness_path
    return DirectoryWitness(path) if path.is_dir() else FileWitness(path)


# Publishing after the commit --------------------------------------------------------------------

_PENDING = "govcx.audit.pending_heads"
PUBLISHER = "govcx.audit.publisher"


class Publisher:
    """Writes heads to the witness and remembers how that went, for /readyz, /metrics and the CLI."""

    def __init__(self, witness: Witness, *, registry: CollectorRegistry | None = None) -> None:
        self.witness = witness
        self.witnessed: tuple[int, str] | None = None  # the newest head this process wrote: (entry, hash)
        self.failure: str | None = None
        self._lock = threading.Lock()
        registry = registry or CollectorRegistry()
        self._failures = Counter("govcx_audit_witness_failures_total",
                                 "Signed heads of the access log that could not be written to the witness",
                                 registry=registry)
        self._witnessed = Gauge("govcx_audit_witnessed_entries",
                                "Entries of the access log vouched for by the newest head written to the witness",
                                registry=registry)
        self._ok = Gauge("govcx_audit_witness_ok", "1 while the last write to the access log's witness succeeded",
                         registry=registry)
        self._ok.set(1)

    def publish(self, heads: Sequence[Head]) -> bool:
        """Write the heads newer than any written before; on failure log it loudly and return False."""
        with self._lock:
            done = self.witnessed[0] if self.witnessed else 0
            fresh = sorted((h for h in heads if h.seq > done), key=lambda h: h.seq)
            if not fresh:
                return self.failure is None
            try:
                self.witness.publish([h.signature for h in fresh])
            except Exception as exc:  # noqa: BLE001 - whatever broke, the log must not go unwitnessed silently
                self.failure = f"the access log's witness at {self.witness.where} cannot be written: {exc}"
                self._failures.inc()
                self._ok.set(0)
                log.error("audit witness write failed", extra={"witness": self.witness.where,
                                                               "seq": fresh[-1].seq, "error": str(exc)})
                return False
            self.witnessed = (fresh[-1].seq, fresh[-1].hash)
            self.failure = None
            self._witnessed.set(fresh[-1].seq)
            self._ok.set(1)
            return True

    def recall(self, jwks: dict[str, Any]) -> tuple[int, str] | None:
        """Learn the newest head the witness holds (if validly signed), so new heads must extend it."""
        if self.witnessed is None:
            try:
                token = self.witness.newest()
            except (WitnessError, OSError) as exc:
                log.error("audit witness unreadable", extra={"witness": self.witness.where, "error": str(exc)})
                return None
            claims = KeySetVerifier(jwks).verify(token) if token else None
            if claims and isinstance(claims.get("seq"), int) and isinstance(claims.get("hash"), str):
                self.witnessed = (claims["seq"], claims["hash"])
        return self.witnessed

    def report(self, problem: str) -> None:
        """Record a reason no head can be written (the chain no longer extends the last one), loudly."""
        with self._lock:
            self.failure = problem
            self._failures.inc()
            self._ok.set(0)
        log.error("audit witness round refused", extra={"problem": problem})

    def readiness(self) -> str | None:
        """None while the witness takes heads; else what is wrong (for /readyz)."""
        return self.failure


def hold(session: Session, head: Head) -> None:
    """Publish `head` to the session's witness once (and only if) the current transaction commits."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_PENDING, []).append((transaction, head))


def bind(factory: sessionmaker[Session], publisher: Publisher) -> None:
    """Have every session of `factory` write the heads it commits to `publisher`'s witness."""
    factory.configure(info={PUBLISHER: publisher})


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    publisher = session.info.get(PUBLISHER)
    if pending and publisher is not None:
        publisher.publish([head for _, head in pending])  # never raises: the commit has happened


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [(t, h) for t, h in pending if not _within(t, previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost one ended without its after_commit: nothing to publish
        session.info.pop(_PENDING, None)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


# The background loop ----------------------------------------------------------------------------


class WitnessLoop:
    """Signs a head of the newest entries every `interval_s` and at stop, in a daemon thread."""

    def __init__(self, *, tick: Callable[[], Any], interval_s: float) -> None:
        self._tick, self._interval_s, self._stop = tick, interval_s, threading.Event()
        self._thread = threading.Thread(target=self._run, name="govcx-audit-witness", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self._round()  # a clean shutdown leaves nothing unwitnessed

    def _run(self) -> None:
        while True:
            self._round()
            if self._stop.wait(self._interval_s):
                return

    def _round(self) -> None:
        try:
            self._tick()
        except Exception:  # noqa: BLE001 - a broken round must not end the loop of a serving process
            log.exception("audit witness round failed")


def witness_round(
    *, factory: sessionmaker[Session], signer: Signer, clock: Clock, publisher: Publisher
) -> Callable[[], Head | None]:
    """One round of the loop: sign (or reuse) a head of the newest entry; the commit hook writes it."""
    from govcx.exchange import service  # service imports this module for `hold`

    def round_() -> Head | None:
        try:
            after = publisher.recall(signer.jwks())  # the witness's newest head, not the store's, anchors it
            with unit_of_work(factory) as session:
                return service.checkpoint(session=session, signer=signer, at=clock.now(), after=after)
        except service.LogBroken as exc:
            publisher.report(f"no head was signed: {exc} Run `govcx audit verify`.")
            return None

    return round_
