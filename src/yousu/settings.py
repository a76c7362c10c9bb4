"""One settings class: every knob comes from ``YOUSU_*`` environment variables."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from urllib.parse import unquote, urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from application.calendar_loader import load_calendar
from application.persistence import DEFAULT_DATABASE_URL, Database, parse_database_url
from domain.calendar import WorkingCalendar
from domain.rules import Limits
from domain.values import Classification


def resolve_sqlite_url(url: str, base: Path) -> str:
    """A ``sqlite:///relative.db`` URL made absolute against ``base``; other URLs unchanged."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "sqlite":
        return url
    raw = unquote(parts.path)
    if not raw.startswith("/") or raw.startswith("//") or raw == "/":
        return url  # empty, or already absolute (sqlite:////abs.db)
    return f"sqlite:///{base / raw[1:]}"


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
    auth_secret: str | None = None
    auth_secret_file: Path = Path("var/auth-secret")  # made on first start when YOUSU_AUTH_SECRET is unset
    cipher_key: str | None = None  # "new,old,…" base64 AES keys; the first encrypts
    cipher_key_file: Path = Path("var/cipher-key")  # the embedded default's key, made on first start
    allow_plaintext: bool = False  # PostgreSQL without YOUSU_CIPHER_KEY: refused unless this is true
    auth_public_key_file: Path | None = None
    log_level: str = "INFO"
    reference_file: Path = Path("ops/reference.toml")
    store_timeout: float = Field(4.0, gt=0)
    retry_after: int = Field(5, ge=1)
    background: bool | None = None  # projections, sweeper and anchoring inside `serve`; default: on SQLite
    sweep_interval: float = Field(30.0, gt=0)
    anchor_interval: float = Field(86_400.0, gt=0)
    webhooks: str | None = None  # JSON list of {"url", "recipients"?, "business_hours"?} for escalation notices
    fixed_clock: str | None = None  # ISO instant: run with an injected, settable clock (tests, drills)
    auth_issuer: str = "yousu"  # required `iss` of every bearer token
    auth_audience: str = "yousu"  # required `aud` of every bearer token
    auth_leeway: int = Field(60, ge=0, le=600)  # seconds of clock skew tolerated on exp/iat/nbf
    token_max_lifetime: int = Field(43_200, gt=0)  # seconds a token may live (exp − iat); default 12 h
    max_body_bytes: int = Field(1024 * 1024, ge=1024)  # larger request bodies: 413 before auth and parsing
    backdate_days: float = Field(7.0, ge=0)  # how far back a hotline's received_at may lie
    # PostgreSQL connections per process (each `serve` worker has its own pools): the event store's pool
    # keeps pool_size open and grows by up to pool_max_overflow; the views' pool holds up to their sum
    pool_size: int = Field(5, ge=1, le=100)
    pool_max_overflow: int = Field(10, ge=0, le=200)

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
        if self.auth_public_key_file is not None:
            self.auth_public_key_file = home / self.auth_public_key_file
        self.database_url = resolve_sqlite_url(self.database_url, home)
        return self

    def database(self) -> Database:
        """The parsed database URL."""
        return parse_database_url(self.database_url)

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
        )

    def calendar(self) -> WorkingCalendar:
        """The package's holidays plus the district's calendar files."""
        return load_calendar(self.calendar_dir, close_of_business=self.close_of_business, zone=ZoneInfo(self.timezone))
