"""One settings class: every knob comes from ``YOUSU_*`` environment variables."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from application.calendar_loader import load_calendar
from application.persistence import DEFAULT_DATABASE_URL, Database, parse_database_url
from domain.calendar import WorkingCalendar
from domain.rules import Limits
from domain.values import Classification


class Settings(BaseSettings):
    """Configuration with the district's defaults (DESIGN §1–§2)."""

    model_config = SettingsConfigDict(env_prefix="YOUSU_", extra="ignore")

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
    cipher_key: str | None = None  # "new,old,…" base64 AES keys; the first encrypts
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
    max_body_bytes: int = Field(1024 * 1024, ge=1024)  # larger request bodies: 413 before auth and parsing
    backdate_days: float = Field(7.0, ge=0)  # how far back a hotline's received_at may lie

    @field_validator("timezone")
    @classmethod
    def _zone_exists(cls, value: str) -> str:
        ZoneInfo(value)
        return value

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
