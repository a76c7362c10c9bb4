"""One settings class: every knob comes from ``YOUSU_*`` environment variables."""

from __future__ import annotations

import os
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from api.auth import AUDIENCE, DEFAULT_LEEWAY, DEFAULT_MAX_LIFETIME, ISSUER
from api.throttle import LoginGuard
from application.calendar_loader import load_calendar
from application.deadline import LONG_BUDGET_SECONDS
from application.group_commit import COMMIT_BATCH, COMMIT_WINDOW_SECONDS
from application.pdf_pool import PDF_TIMEOUT, PDF_WORKERS
from application.persistence import DEFAULT_DATABASE_URL, Database, parse_database_url
from domain.calendar import DEFAULT_CLOSE, SHANGHAI, WorkingCalendar
from domain.callbacks import CallbackPolicy
from domain.roster import SigningMode
from domain.rules import DEFAULT_LIMITS, Limits
from domain.values import Classification
from policies.deadlines import EscalationRules
from policies.hotline import HOTLINE_BACKOFF, HOTLINE_BACKOFF_CAP, HOTLINE_TIMEOUT
from projections.repeats import REPEAT_WINDOW_DAYS
from projections.staffing import StaffingRules


def resolve_sqlite_url(url: str, base: Path) -> str:
    """A ``sqlite:///relative.db`` URL made absolute against ``base``; other URLs unchanged."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "sqlite":
        return url
    raw = unquote(parts.path)
    if not raw.startswith("/") or raw.startswith("//") or raw == "/":
        return url  # empty, or already absolute (sqlite:////abs.db)
    return f"sqlite:///{base / raw[1:]}"


RECIPIENTS = ("supervisor", "duty_leader", "liaison")  # who has an inbox for escalation notices
# the defaults below are those of the rules they configure, each kept in one place
ESCALATION = EscalationRules()
CALLBACKS = CallbackPolicy()
STAFFING = StaffingRules()
# who has an inbox for escalation notices


def _numbers(variable: str, value: str) -> list[int]:
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        msg = f"{variable}={value!r}: a comma list of whole numbers"
        raise ValueError(msg) from None


def _names(value: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in value.split(",") if n.strip())


PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # src/yousu/settings.py → the checkout it was installed from


def default_home() -> Path:
    """The checkout the package was installed from (``pip install -e``); elsewhere YOUSU_HOME must be set."""
    if (PACKAGE_ROOT / "pyproject.toml").is_file() and (PACKAGE_ROOT / "ops").is_dir():
        return PACKAGE_ROOT
    msg = f"YOUSU_HOME is not set and {PACKAGE_ROOT} is not a yousu checkout: set YOUSU_HOME to the service's home"
    raise ValueError(msg)


class Settings(BaseSettings):
    """Configuration with the district's defaults; relative paths are relative to ``home`` (YOUSU_HOME)."""

    model_config = SettingsConfigDict(env_prefix="YOUSU_", extra="ignore")

    home: Path | None = None  # default: the checkout the package was installed from
    database_url: str = DEFAULT_DATABASE_URL
    read_database_url: str | None = None  # the hot standby: ledger and metrics reads that may lag (PostgreSQL)
    calendar_dir: Path = Path("ops/calendar")
    close_of_business: time = DEFAULT_CLOSE
    timezone: str = SHANGHAI.key
    # the limits' defaults are the domain's (domain.rules.DEFAULT_LIMITS), never written here again
    limit_cannot_do: int = Field(DEFAULT_LIMITS.resolution[Classification.cannot_do], ge=0)
    limit_refused_to_do: int = Field(DEFAULT_LIMITS.resolution[Classification.refused_to_do], ge=0)
    limit_hard_to_do: int = Field(DEFAULT_LIMITS.resolution[Classification.hard_to_do], ge=0)
    limit_general: int = Field(DEFAULT_LIMITS.resolution[Classification.general], ge=0)
    limit_feedback: int = Field(DEFAULT_LIMITS.feedback, ge=0)
    limit_callback: int = Field(DEFAULT_LIMITS.callback, ge=0)
    limit_rectification: int = Field(DEFAULT_LIMITS.rectification, ge=0)
    limit_pause: int = Field(DEFAULT_LIMITS.pause, ge=0)  # 中止: a longer pause escalates like a missed deadline
    return_window_days: int = Field(DEFAULT_LIMITS.return_window, ge=0)  # 退单: working days after dispatch
    max_extensions: int = Field(DEFAULT_LIMITS.max_extensions, ge=0)  # 延期: approved extensions per complaint
    auth_secret: str | None = None
    auth_secret_file: Path = Path("var/auth-secret")  # made on first start when YOUSU_AUTH_SECRET is unset
    cipher_key: str | None = None  # "new,old,…" base64 AES keys; the first encrypts
    cipher_key_file: Path = Path("var/cipher-key")  # the embedded default's key, made on first start
    allow_plaintext: bool = False  # PostgreSQL without YOUSU_CIPHER_KEY: refused unless this is true
    auth_public_key_file: Path | None = None
    log_level: str = "INFO"
    reference_file: Path = Path("ops/reference.toml")
    store_timeout: float = Field(4.0, gt=0)
    store_long_timeout: float = Field(
        LONG_BUDGET_SECONDS, gt=0
    )  # full scans: audit verify, anchoring, a projection catch-up
    retry_after: int = Field(5, ge=1)
    background: bool | None = None  # projections, sweeper and anchoring inside `serve`; default: on SQLite
    sweep_interval: float = Field(30.0, gt=0)
    anchor_interval: float = Field(86_400.0, gt=0)
    webhooks: str | None = None  # JSON list of {"url", "recipients"?, "business_hours"?} for escalation notices
    hotline_url: str | None = None  # 12345 hotline endpoint for work-order updates (none: nothing is sent)
    hotline_secret: str | None = None  # HMAC-SHA256 key of the X-Yousu-Signature header
    hotline_timeout: float = Field(HOTLINE_TIMEOUT, gt=0, le=120)  # seconds per POST to the hotline
    hotline_backoff: float = Field(HOTLINE_BACKOFF, gt=0)  # first retry after this many seconds, doubling each time
    hotline_backoff_cap: float = Field(HOTLINE_BACKOFF_CAP, gt=0)  # … never waiting longer than this between retries
    fixed_clock: str | None = None  # ISO instant the clock starts at, then runs on with real time (tests, drills)
    auth_issuer: str = ISSUER  # required `iss` of every bearer token
    auth_audience: str = AUDIENCE  # required `aud` of every bearer token
    auth_leeway: int = Field(DEFAULT_LEEWAY, ge=0, le=600)  # seconds of clock skew tolerated on exp/iat/nbf
    token_max_lifetime: int = Field(DEFAULT_MAX_LIFETIME, gt=0)  # seconds a token may live (exp − iat); default 12 h
    max_body_bytes: int = Field(1024 * 1024, ge=1024)  # larger request bodies: 413 before auth and parsing
    backdate_days: float = Field(7.0, ge=0)  # how far back a hotline's received_at may lie
    console_dir: Path = Path("console/dist")  # the built staff console, served at `/` when it exists
    # sign-in throttling (api.throttle): token buckets per client address and per user name; failures use them up
    login_address_burst: int = Field(20, ge=1, le=10_000)  # failed sign-ins from one address before it is slowed…
    login_address_per_minute: float = Field(10.0, gt=0, le=10_000)  # …then this many a minute
    login_account_burst: int = Field(5, ge=1, le=1000)  # failed sign-ins to one account before it is slowed…
    login_account_per_minute: float = Field(2.0, gt=0, le=1000)  # …then this many a minute
    login_hash_workers: int = Field(2, ge=1, le=32)  # password checks (argon2) at a time
    login_hash_queue: int = Field(8, ge=0, le=1000)  # sign-ins waiting for a check; more: 503 with Retry-After
    # the cost of stored password hashes: "standard" is argon2-cffi's default (RFC 9106 low-memory: 64 MiB, 3
    # passes); "test-only" is its CHEAPEST profile, so a test suite can make and check thousands of passwords.
    # The service warns at start while it is set, and a hash made under it is made again at the standard cost
    # at its next sign-in once the setting is back to "standard".
    argon2_profile: Literal["standard", "test-only"] = "standard"
    login_tarpit_seconds: float = Field(LoginGuard.tarpit, ge=0, le=10)  # a refused sign-in is answered this much later
    session_hours: int = Field(12, ge=1, le=24)  # console session; capped by token_max_lifetime
    cookie_secure: bool = False  # true behind HTTPS: the session cookies then travel only over TLS
    ready_max_lag: int = Field(1000, ge=0)  # /readyz answers 503 while a view is more events behind than this
    signing_mode: SigningMode = SigningMode.roster  # 审核签字 and 会商 checked against the day's roster, or by role
    # configuration, as docs/design.md §1 says: which overdue levels are raised, to whom, and when level 2 follows
    escalation_levels: str = ",".join(
        str(n) for n in sorted(ESCALATION.levels)
    )  # comma list: 1 = past due, 2 = still unmet N working days later
    escalation_level1_recipients: str = ",".join(ESCALATION.level1_recipients)
    escalation_level2_recipients: str = ",".join(ESCALATION.level2_recipients)
    escalation_rectification_recipients: str = ",".join(ESCALATION.rectification_recipients)  # a 差评's notice
    escalation_level2_after: int = Field(
        ESCALATION.level2_after_working_days, ge=1, le=30
    )  # working days after the deadline
    satisfied_ratings: str = "3,4,5"  # the ratings 满意率 counts as satisfied

    repeat_window_days: int = Field(
        REPEAT_WINDOW_DAYS, ge=1, le=3650
    )  # 重复诉求: how far back earlier complaints count
    person_key: str | None = None  # HMAC key of the repeat view's person keys; default: derived from the cipher key

    callback_max_attempts: int = Field(
        CALLBACKS.max_attempts, ge=1, le=20
    )  # failed calls before a call-back is 无法联系
    spot_check_share: float = Field(
        CALLBACKS.spot_share, ge=0, le=1
    )  # share of closed complaints drawn for a 抽查 call-back
    peak_margin: float = Field(
        STAFFING.peak_margin, gt=0, le=10
    )  # a forecast day above its weekday's normal by this share is a peak
    service_minutes: float = Field(STAFFING.service_minutes, gt=0, le=480)  # mean handling time at a window (Erlang C)
    target_wait_minutes: float = Field(
        STAFFING.target_wait_minutes, ge=0, le=480
    )  # the wait the service level is measured against
    service_level: float = Field(
        STAFFING.service_level, gt=0, lt=1
    )  # share of arrivals to serve within the target wait
    normal_windows: int = Field(STAFFING.normal_windows, ge=0, le=200)  # windows a centre opens on a normal day

    # PostgreSQL connections per process (each `serve` worker has its own pools): the event store's pool
    # keeps pool_size open and grows by up to pool_max_overflow; the views' pool holds up to their sum
    pool_size: int = Field(5, ge=1, le=100)
    pool_max_overflow: int = Field(10, ge=0, le=200)
    # group commit (application.group_commit): how long a batch may wait for commands still being
    # prepared in this process, and how many commands one transaction carries at most
    commit_window_ms: float = Field(COMMIT_WINDOW_SECONDS * 1000, ge=0, le=100)
    commit_batch: int = Field(COMMIT_BATCH, ge=1, le=1000)

    # PDF rendering (application.pdf_pool): worker processes, seconds one document may take, and where the
    # base font is kept once built (default: $XDG_CACHE_HOME/yousu or ~/.cache/yousu; shared by every home)
    pdf_workers: int = Field(PDF_WORKERS, ge=1, le=16)
    pdf_timeout: float = Field(PDF_TIMEOUT, gt=0, le=300)
    font_cache_dir: Path | None = None

    def fonts_dir(self) -> Path:
        """Where the PDF base font is kept."""
        if self.font_cache_dir is not None:
            path = self.font_cache_dir.expanduser()
            return path if path.is_absolute() or self.home is None else self.home / path
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        return Path(cache) / "yousu"

    @field_validator("escalation_levels")
    @classmethod
    def _levels(cls, value: str) -> str:
        levels = _numbers("YOUSU_ESCALATION_LEVELS", value)
        if not levels or not set(levels) <= {1, 2}:
            msg = f"YOUSU_ESCALATION_LEVELS={value!r}: a comma list of 1 and/or 2 (e.g. 1,2)"
            raise ValueError(msg)
        return value

    @field_validator(
        "escalation_level1_recipients", "escalation_level2_recipients", "escalation_rectification_recipients"
    )
    @classmethod
    def _recipients(cls, value: str, info: ValidationInfo) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        if not names or not set(names) <= set(RECIPIENTS):
            variable = f"YOUSU_{str(info.field_name).upper()}"
            msg = f"{variable}={value!r}: a comma list of {', '.join(RECIPIENTS)}"
            raise ValueError(msg)
        return value

    @field_validator("satisfied_ratings")
    @classmethod
    def _satisfied(cls, value: str) -> str:
        ratings = _numbers("YOUSU_SATISFIED_RATINGS", value)
        if not ratings or not set(ratings) <= {3, 4, 5}:
            # 1 and 2 are 差评 (they open a rectification round): they can never count as satisfied
            msg = f"YOUSU_SATISFIED_RATINGS={value!r}: a comma list within 3, 4, 5 (1 and 2 are 差评)"
            raise ValueError(msg)
        return value

    @field_validator("fixed_clock")
    @classmethod
    def _instant(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            instant = datetime.fromisoformat(value)
        except ValueError:
            instant = None
        if instant is None or instant.tzinfo is None:
            msg = f"YOUSU_FIXED_CLOCK={value!r}: an ISO 8601 instant with its offset, e.g. 2025-10-20T09:00+08:00"
            raise ValueError(msg)
        return value

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @model_validator(mode="after")
    def _relative_to_home(self) -> Settings:
        """Resolve every relative path against the home, never against the current directory."""
        home = (self.home or default_home()).expanduser().resolve()
        self.home = home
        self.calendar_dir = home / self.calendar_dir
        self.reference_file = home / self.reference_file
        self.auth_secret_file = home / self.auth_secret_file
        self.cipher_key_file = home / self.cipher_key_file
        self.console_dir = home / self.console_dir
        if self.auth_public_key_file is not None:
            self.auth_public_key_file = home / self.auth_public_key_file
        self.database_url = resolve_sqlite_url(self.database_url, home)
        return self

    def database(self) -> Database:
        """The parsed database URL."""
        return parse_database_url(self.database_url)

    def read_database(self) -> Database | None:
        """The parsed YOUSU_READ_DATABASE_URL (PostgreSQL only), or None."""
        if not self.read_database_url:
            return None
        db = parse_database_url(self.read_database_url)
        if db.kind != "postgresql":
            msg = "YOUSU_READ_DATABASE_URL must be a postgresql:// URL (the hot standby)"
            raise ValueError(msg)
        return db

    def session_lifetime(self) -> timedelta:
        """The console session: YOUSU_SESSION_HOURS, never longer than the verifier accepts a token to live."""
        return min(timedelta(hours=self.session_hours), timedelta(seconds=self.token_max_lifetime))

    def limits(self) -> Limits:
        """Working-day limits per clock."""
        return Limits(
            resolution={
                Classification.general: self.limit_general,
                Classification.cannot_do: self.limit_cannot_do,
                Classification.refused_to_do: self.limit_refused_to_do,
                Classification.hard_to_do: self.limit_hard_to_do,
            },
            feedback=self.limit_feedback,
            callback=self.limit_callback,
            rectification=self.limit_rectification,
            pause=self.limit_pause,
            return_window=self.return_window_days,
            max_extensions=self.max_extensions,
        )

    def escalation_rules(self) -> EscalationRules:
        """Levels, recipients and the level-2 delay of the deadline sweeper."""
        return EscalationRules(
            level2_after_working_days=self.escalation_level2_after,
            level1_recipients=_names(self.escalation_level1_recipients),
            level2_recipients=_names(self.escalation_level2_recipients),
            rectification_recipients=_names(self.escalation_rectification_recipients),
            levels=frozenset(_numbers("YOUSU_ESCALATION_LEVELS", self.escalation_levels)),
        )

    def satisfied(self) -> tuple[int, ...]:
        """The ratings counted as satisfied (满意率)."""
        return tuple(sorted(set(_numbers("YOUSU_SATISFIED_RATINGS", self.satisfied_ratings))))

    def calendar(self) -> WorkingCalendar:
        """The package's holidays plus the district's calendar files."""
        return load_calendar(self.calendar_dir, close_of_business=self.close_of_business, zone=ZoneInfo(self.timezone))
