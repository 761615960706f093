"""The one settings object. Nothing else in govcx reads the environment."""

from __future__ import annotations

from typing import Literal

import math
import secrets
from collections import Counter
from collections.abc import Sequence
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from govcx.core.proxies import Network, parse_networks


API_PREFIX = "/api/v1"
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 120
SECRET_RECIPE = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


def estimated_entropy_bits(secret: str) -> float:
    """Estimate how many bits of guessing a secret takes, from its characters alone.

    The length of its shortest repeating unit times the Shannon entropy of that unit's characters,
    or of the steps between neighbouring characters when those are more regular (a run such as
    "abcdef..." or "0123..."). A repeated letter or pattern scores next to nothing; 64 characters
    of `secrets.token_urlsafe` score about 300 bits, 64 hex digits about 230.
    """
    unit = secret[:_period(secret)]
    if len(unit) < 2:
        return 0.0
    steps = [ord(b) - ord(a) for a, b in zip(unit, unit[1:])]
    return len(unit) * min(_shannon(unit), _shannon(steps))


def _period(text: str) -> int:
    # The shortest p such that text is its first p characters repeated (the last copy may be cut short).
    for p in range(1, len(text) // 2 + 1):
        if all(text[i] == text[i - p] for i in range(p, len(text))):
            return p
    return len(text)


def _shannon(values: Sequence[object]) -> float:
    counts = Counter(values)
    total = len(values)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every knob govcx has, read once from `GOVCX_*` environment variables."""

    model_config = SettingsConfigDict(env_prefix="GOVCX_", frozen=False, extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("govcx-data")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the operational store; SQLite in the data dir when unset."
    )
    warehouse_url: str | None = Field(
        default=None, description="URL of the analytics store; a DuckDB file in the data dir when unset."
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs sessions and derives encryption keys. Required in production; "
        "elsewhere a random one is kept in the data dir.",
    )
    encryption_key_id: str = "k1"
    suppression_threshold: int = Field(default=10, ge=1)
    fiscal_year_start_month: int = Field(default=10, ge=1, le=12)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=512, description="Server processes `govcx serve` runs on one port; "
                         "more than one needs PostgreSQL and a shared rate-limit storage.")
    public_url: str | None = Field(
        default=None, description="The address people reach govcx at, for links in messages; "
        "http://HOST:PORT when unset.")
    log_level: str = "INFO"
    time_zone: str = Field(default="UTC", description="The government's time zone (an IANA name such as "
                           "'America/Bogota'): pages show dates and times as its clocks read them.")
    session_idle_minutes: int = Field(default=30, ge=1, description="A signed-in session ends after this long "
                                      "without a request.")
    session_max_hours: int = Field(default=8, ge=1, description="A signed-in session ends this long after "
                                   "signing in, however busy.")
    trusted_proxies: str = Field(
        default="", description="Comma-separated addresses or CIDR blocks of the reverse proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto are believed; none by default.")
    rate_limit_sign_in: str = Field(default="10/minute", description="Sign-in attempts per client address.")
    rate_limit_sign_in_account: str = Field(
        default="5/minute", description="Sign-in attempts per account (e-mail or national id), from anywhere; "
        "a moving window, so the account opens again one window after the attempts stop.")
    rate_limit_storage_url: str = Field(
        default="memory://", description="Where rate-limit counters are kept, as a `limits` storage URL. "
        "memory:// counts in each process apart; with more than one server process (or host) use a shared "
        "one, e.g. redis://host:6379 or memcached://host:11211.")
    rate_limit_feedback: str = Field(default="20/minute", description="Survey answers per client address.")
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, description="Largest request body any address "
                                "takes, in bytes; larger ones get a 413 before they are parsed.")
    max_body_bytes_by_route: dict[str, int] = Field(
        # Region boundaries are detailed polygons; batches of touchpoint events are many events.
        default_factory=lambda: {f"{API_PREFIX}/regions": 8 * 1024 * 1024,
                                 f"{API_PREFIX}/journeys/events": 16 * 1024 * 1024,
                                 f"{API_PREFIX}/events": 16 * 1024 * 1024},
        description="Larger (or smaller) limits for the addresses that start with a given path, as JSON, "
        'e.g. {"/api/v1/journeys/events": 16777216} for batches of touchpoint events; such an address also '
        "takes proportionally more members and items in a JSON body.")
    journey_inactivity_days: float = Field(default=60.0, gt=0, description="A journey with no activity for this "
                                           "long is counted as abandoned.")
    auto_upgrade: bool | None = Field(
        default=None, description="Run migrations on start; defaults to on for the embedded SQLite store."
    )
    # Notifications (notify domain).
    email_sender: Literal["smtp", "file"] = Field(
        default="smtp", description="How e-mail leaves: 'smtp' (the GOVCX_SMTP_* server) or 'file' (an .eml file "
                                    "per message under <data dir>/mail, for the demo and development).")
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_starttls: bool = Field(default=False, description="Upgrade SMTP connections with STARTTLS.")
    smtp_ca_file: Path | None = Field(default=None, description="CA bundle that signs the SMTP server's "
                                      "certificate, when not a system-trusted one.")
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    mail_from: str = "govcx <no-reply@govcx.example>"
    sms_sender: str = Field(default="file", description="Which SMS sender delivers texts; 'file' writes them "
                            "under the data dir for development.")
    notify_timezone: str = Field(default="UTC", description="The time zone quiet hours are read in.")
    notify_frequency_cap: int = Field(default=3, ge=1, description="Most messages one person gets on one topic "
                                      "within notify_cap_window_hours.")
    notify_cap_window_hours: int = Field(default=24, ge=1)
    notify_max_attempts: int = Field(default=6, ge=1)
    notify_backoff_s: float = Field(default=30.0, gt=0, description="First retry delay; doubled after each failure.")
    notify_lease_s: float = Field(default=120.0, gt=0, description="How long a worker holds a claimed message "
                                  "before another worker may take it over.")
    event_lease_s: float = Field(default=60.0, gt=0, description="How long a process holds an event delivery "
                                 "it claimed before a worker may take it over (a crash leaves it claimed).")
    event_backoff_s: float = Field(default=5.0, gt=0, description="First retry delay of a failed event handler; "
                                   "doubled after each failure.")
    event_max_attempts: int = Field(default=10, ge=1, description="Attempts before a failing event handler's "
                                    "delivery is marked dead for an operator to read.")
    event_keep_days: float = Field(default=7.0, gt=0, description="How long an event every handler reacted to "
                                   "is kept before the worker forgets it.")
    worker_batch: int = Field(default=50, ge=1)
    worker_poll_s: float = Field(default=2.0, gt=0)
    worker_in_serve: bool | None = Field(default=None, description="Drain the event table and the outbox in a "
                                         "thread of `govcx serve`; defaults to on for the embedded store, off in tests.")
    worker_pause_after_claim: Path | None = Field(
        default=None, description="Crash tests only: after claiming, write this file and wait to be killed.")
    # The access log's witness (exchange domain): signed heads kept outside the operational store.
    audit_witness_path: Path | None = Field(
        default=None, description="Where signed heads of the access log are appended: a file (append-only, "
        "fsynced), or an existing directory that gets one file per head; <data-dir>/access-log-witness.jws "
        "when unset.")
    audit_witness_url: str | None = Field(
        default=None, description="An HTTP witness instead of the file: each signed head is POSTed here, and "
        "`govcx audit verify` reads them back with a GET.")
    audit_witness_interval_s: float = Field(
        default=5.0, gt=0, description="How often `govcx serve` signs a head of the newest entries and writes "
        "it to the witness: the most an insider could trim unseen, beside the every-1,000th-entry heads.")
    audit_witness_timeout_s: float = Field(default=5.0, gt=0, description="Time limit of one HTTP witness call.")

    @field_validator("time_zone")
    @classmethod
    def _time_zone_exists(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not a time zone name such as 'UTC' or 'America/New_York'.") from exc
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        parse_networks(value)
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies)

    @model_validator(mode="after")
    def _production_needs_real_secrets(self) -> Settings:
        if self.env == Environment.PRODUCTION:
            if self.secret_key is None or len(self.secret_key.get_secret_value()) < MIN_SECRET_LENGTH:
                raise ValueError(f"GOVCX_SECRET_KEY must be set to at least {MIN_SECRET_LENGTH} characters in "
                                 f"production. Make one with: {SECRET_RECIPE}")
            bits = estimated_entropy_bits(self.secret_key.get_secret_value())
            if bits < MIN_SECRET_BITS:
                raise ValueError(
                    f"GOVCX_SECRET_KEY is too easy to guess for production: its characters carry about "
                    f"{bits:.0f} bits of entropy, and at least {MIN_SECRET_BITS} are needed (a repeated letter or "
                    f"pattern has almost none). Make a random one with: {SECRET_RECIPE}")
            if self.database_url is None:
                raise ValueError("GOVCX_DATABASE_URL must be set in production.")
        return self

    def multi_process_problems(self) -> tuple[str | None, str | None]:
        """Why these settings cannot serve from `workers` processes (or None), and what to warn about (or None)."""
        if self.workers == 1:
            return None, None
        if self.is_embedded:
            return (f"The embedded SQLite store is served by one process only, and GOVCX_WORKERS (--workers) is "
                    f"{self.workers}. Set GOVCX_DATABASE_URL to a PostgreSQL database to run more than one server "
                    "process, or serve with --workers 1."), None
        if self.rate_limit_storage_url.startswith("memory://"):
            shared = (f"GOVCX_RATE_LIMIT_STORAGE_URL is memory://, so each of the {self.workers} processes counts "
                      f"apart and every rate limit is {self.workers} times looser. Point it at a storage the "
                      "processes share, e.g. redis://host:6379 or memcached://host:11211.")
            if self.is_production:
                return shared, None
            return None, shared
        return None, None

    @property
    def is_production(self) -> bool:
        return self.env == Environment.PRODUCTION

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'govcx.db').resolve()}"

    @property
    def resolved_warehouse_url(self) -> str:
        if self.warehouse_url:
            return self.warehouse_url
        return f"duckdb:///{(self.data_dir / 'warehouse.duckdb').resolve()}"

    @property
    def runs_worker_in_serve(self) -> bool:
        if self.worker_in_serve is not None:
            return self.worker_in_serve
        return self.is_embedded and self.env is not Environment.TEST

    @property
    def resolved_public_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def resolved_audit_witness_path(self) -> Path:
        return self.audit_witness_path or self.data_dir / "access-log-witness.jws"

    @property
    def is_embedded(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def should_auto_upgrade(self) -> bool:
        return self.is_embedded if self.auto_upgrade is None else self.auto_upgrade

    @cached_property
    def secret(self) -> bytes:
        """Return the master secret, creating a random one in the data dir outside production."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        # Why a file and not a constant: a well-known default would make every dev
        # install's "encrypted" values readable by anyone.
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()
