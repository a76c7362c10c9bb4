"""Settings of the staff console and its local sign-in (``YOUSU_*``); may be folded into Settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsoleSettings(BaseSettings):
    """Where the built console is, and the local sign-in's lockout and cookie rules."""

    model_config = SettingsConfigDict(env_prefix="YOUSU_", extra="ignore")

    console_dir: Path = Path("console/dist")  # served at `/` when it exists
    login_max_failures: int = Field(5, ge=1)  # failed sign-ins that lock an account…
    login_lockout_minutes: int = Field(15, ge=1)  # …within this many minutes
    session_hours: int = Field(12, ge=1, le=24)  # lifetime of the console session cookie
    cookie_secure: bool = False  # set to true behind HTTPS (the cookies then travel only over TLS)
