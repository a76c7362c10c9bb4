"""One settings class: every knob comes from ``YOUSU_*`` environment variables."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from application.calendar_loader import load_calendar
from application.persistence import DEFAULT_DATABASE_URL, Database, parse_database_url
from domain.calendar import WorkingCalendar
from domain.roster import SigningMode
from domain.rules import Limits
from domain.values import Classification
from policies.deadlines import EscalationRules


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
    calendar_dir: Path = Path("ops/calendar")
    close_of_business: time = time(17, 30)
    timezone: str = "Asia/Shanghai"
    limit_cannot_do: int = Field(1, ge=0)
    limit_refused_to_do: int = Field(2, ge=0)
    limit_hard_to_do: int = Field(5, ge=0)
    limit_general: int = Field(0, ge=0)
    limit_feedback: int = Field(1, ge=0)
    limit_callback: int = Field(3, ge=0)
    limit_rectification: int = Field(5, ge=0)
    limit_pause: int = Field(10, ge=0)  # 中止: a longer pause escalates like a missed deadline
    return_window_days: int = Field(1, ge=0)  # 退单: working days after dispatch
    max_extensions: int = Field(1, ge=0)  # 延期: approved extensions per complaint
    auth_secret: str | None = None
    auth_secret_file: Path = Path("var/auth-secret")  # made on first start when YOUSU_AUTH_SECRET is unset
    cipher_key: str | None = None  # "new,old,…" base64 AES keys; the first encrypts
    cipher_key_file: Path = Path("var/cipher-key")  # the embedded default's key, made on first start
    allow_plaintext: bool = False  # PostgreSQL without YOUSU_CIPHER_KEY: refused unless this is true
    auth_public_key_file: Path | None = None
    log_level: str = "INFO"
    reference_file: Path = Path("ops/reference.toml")
    store_timeout: float = Field(4.0, gt=0)
    store_long_timeout: float = Field(120.0, gt=0)  # full scans: audit verify, anchoring, a projection catch-up
    retry_after: int = Field(5, ge=1)
    background: bool | None = None  # projections, sweeper and anchoring inside `serve`; default: on SQLite
    sweep_interval: float = Field(30.0, gt=0)
    anchor_interval: float = Field(86_400.0, gt=0)
    webhooks: str | None = None  # JSON list of {"url", "recipients"?, "business_hours"?} for escalation notices
    hotline_url: str | None = None  # 12345 hotline endpoint for work-order updates (none: nothing is sent)
    hotline_secret: str | None = None  # HMAC-SHA256 key of the X-Yousu-Signature header
    hotline_timeout: float = Field(5.0, gt=0, le=120)  # seconds per POST to the hotline
    hotline_backoff: float = Field(5.0, gt=0)  # first retry after this many seconds, doubling each time
    hotline_backoff_cap: float = Field(600.0, gt=0)  # … never waiting longer than this between retries
    fixed_clock: str | None = None  # ISO instant: run with an injected, settable clock (tests, drills)
    auth_issuer: str = "yousu"  # required `iss` of every bearer token
    auth_audience: str = "yousu"  # required `aud` of every bearer token
    auth_leeway: int = Field(60, ge=0, le=600)  # seconds of clock skew tolerated on exp/iat/nbf
    token_max_lifetime: int = Field(43_200, gt=0)  # seconds a token may live (exp − iat); default 12 h
    max_body_bytes: int = Field(1024 * 1024, ge=1024)  # larger request bodies: 413 before auth and parsing
    backdate_days: float = Field(7.0, ge=0)  # how far back a hotline's received_at may lie
    console_dir: Path = Path("console/dist")  # the built staff console, served at `/` when it exists
    login_max_failures: int = Field(5, ge=1)  # failed console sign-ins that lock an account…
    login_lockout_minutes: int = Field(15, ge=1)  # …within this many minutes
    session_hours: int = Field(12, ge=1, le=24)  # console session; capped by token_max_lifetime
    cookie_secure: bool = False  # true behind HTTPS: the session cookies then travel only over TLS
    ready_max_lag: int = Field(1000, ge=0)  # /readyz answers 503 while a view is more events behind than this
    signing_mode: SigningMode = SigningMode.roster  # 审核签字 and 会商 checked against the day's roster, or by role
    # DESIGN §1 promised these as configuration: which overdue levels are raised, to whom, and when level 2 follows
    escalation_levels: str = "1,2"  # comma list: 1 = past due, 2 = still unmet N working days later
    escalation_level1_recipients: str = "supervisor,duty_leader"
    escalation_level2_recipients: str = "supervisor,duty_leader,liaison"
    escalation_rectification_recipients: str = "supervisor,duty_leader,liaison"  # a 差评's notice
    escalation_level2_after: int = Field(1, ge=1, le=30)  # working days after the deadline
    satisfied_ratings: str = "3,4,5"  # the ratings 满意率 counts as satisfied

    repeat_window_days: int = Field(90, ge=1, le=3650)  # 重复诉求: how far back earlier complaints count
    person_key: str | None = None  # HMAC key of the repeat view's person keys; default: derived from the cipher key

    callback_max_attempts: int = Field(3, ge=1, le=20)  # failed calls before a call-back is 无法联系
    spot_check_share: float = Field(0.05, ge=0, le=1)  # share of closed complaints drawn for a 抽查 call-back
    peak_margin: float = Field(0.3, gt=0, le=10)  # a forecast day above its weekday's normal by this share is a peak
    service_minutes: float = Field(15.0, gt=0, le=480)  # mean handling time at a window (Erlang C)
    target_wait_minutes: float = Field(10.0, ge=0, le=480)  # the wait the service level is measured against
    service_level: float = Field(0.8, gt=0, lt=1)  # share of arrivals to serve within the target wait
    normal_windows: int = Field(4, ge=0, le=200)  # windows a centre opens on a normal day

    # PostgreSQL connections per process (each `serve` worker has its own pools): the event store's pool
    # keeps pool_size open and grows by up to pool_max_overflow; the views' pool holds up to their sum
    pool_size: int = Field(5, ge=1, le=100)
    pool_max_overflow: int = Field(10, ge=0, le=200)
    # group commit (application.group_commit): how long a batch may wait for commands still being
    # prepared in this process, and how many commands one transaction carries at most
    commit_window_ms: float = Field(2.0, ge=0, le=100)
    commit_batch: int = Field(64, ge=1, le=1000)

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
