"""Helpers shared by the API tests: tokens, clients, request bodies."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

from fastapi.testclient import TestClient

from api.auth import mint_token
from application.clock import Clock, SystemClock
from application.complaints import ComplaintsApp
from domain.values import Actor, Channel, Complainant, ComplainantType, Role
from yousu.server import build_http_app
from yousu.settings import Settings

T = TypeVar("T")

SECRET = "test-secret-for-yousu-only-0123456789"
CIPHER_KEY = "c2VjcmV0LWtleS1mb3IteW91c3UtdGVzdHMtMDEyMzQ="  # 32 bytes, tests only
CST = timezone(timedelta(hours=8))


def token(
    role: Role | str,
    *,
    department: str | None = None,
    sub: str | None = None,
    name: str = "测试员",
    centre: str | None = None,
) -> str:
    """A valid HS256 token for ``role``."""
    r = Role(role)
    if r is Role.department and department is None:
        department = "housing"
    return mint_token(
        secret=SECRET,
        sub=sub or f"{r.value}-1",
        name=name,
        roles=[r],
        department=department,
        centre=centre,
        now=datetime.now(tz=CST),
    )


def auth(role: Role | str, **kw: Any) -> dict[str, str]:
    """Authorization header for ``role``."""
    return {"Authorization": f"Bearer {token(role, **kw)}"}


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """Settings for a test database with the test secret."""
    overrides.setdefault("cipher_key", CIPHER_KEY)
    # signing by role alone unless the test is about rosters (those pass signing_mode="roster")
    overrides.setdefault("signing_mode", "roles_only")
    # a suite on every core of a 2-core machine keeps the store busy: a command's deadline with room to spare
    # (tests about the deadline pass their own)
    overrides.setdefault("store_timeout", 15.0)
    return Settings(database_url=database_url, auth_secret=SECRET, **overrides)


def client_for(database_url: str, clock: Clock | None = None, **overrides: Any) -> TestClient:
    """An in-process client of the real app on a real database."""
    app = build_http_app(settings_for(database_url, **overrides), clock or SystemClock())
    return TestClient(app, raise_server_exceptions=False)


def receive_body(**overrides: Any) -> dict[str, Any]:
    """A valid window intake."""
    body: dict[str, Any] = {
        "channel": "window",
        "content": "营业执照变更被拖延两周",
        "category": "market_regulation",
        "complainant": {"type": "person", "name": "张三丰", "phone": "13812345678"},
    }
    body.update(overrides)
    return body


def hotline_body(ref: str, **overrides: Any) -> dict[str, Any]:
    """A valid 12345 hotline intake, taken by the hotline an hour ago (wall clock: pass ``received_at``
    when the app runs on another clock — it must lie within the backdating window)."""
    overrides.setdefault("received_at", (datetime.now(tz=CST) - timedelta(hours=1)).isoformat())
    return receive_body(channel="hotline", external_ref=ref, **overrides)


def receive_many(complaints: ComplaintsApp, n: int, content: str) -> list[str]:
    """``n`` window complaints ("{content} {i}") received by 16 threads at once, so that they share group
    commits as a busy hall's do (one at a time, each waits for its own commit); their ids in order."""
    clerk = Actor("c-seed", "窗口", Role.window_clerk)
    person = Complainant(ComplainantType.person, "批量测试", "13800000000")

    def receive(i: int) -> str:
        made = complaints.receive(
            channel=Channel.window, content=f"{content} {i}", category="housing", complainant=person, actor=clerk
        )
        return str(made.id)

    with ThreadPoolExecutor(max_workers=16) as pool:
        return list(pool.map(receive, range(n)))


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` in a thread of its own: works even where this thread already runs an event loop (an
    xdist worker that ran a Playwright browser test keeps one)."""
    with ThreadPoolExecutor(1) as one:
        return one.submit(asyncio.run, coro).result()


def reference_signing_for_themselves(directory: Path, *centres: str) -> Path:
    """A copy of ops/reference.toml in ``directory`` where the street ``centres`` named sign for themselves
    (``signed_by = "<own code>"``) instead of being signed by the district hall."""
    text = (Path(__file__).resolve().parents[1] / "ops" / "reference.toml").read_text(encoding="utf-8")
    for code in centres:
        line = re.compile(rf'^({code} = \{{ .*kind = "street_centre") \}}$', re.MULTILINE)
        text, found = line.subn(rf'\1, signed_by = "{code}" }}', text)
        assert found == 1, code
    path = directory / "reference.toml"
    path.write_text(text, encoding="utf-8")
    return path
