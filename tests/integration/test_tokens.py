"""Bearer tokens through the real app: issuer, audience, claim types and lifetime are enforced (HS256 and RS256)."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from api.auth import TokenVerifier
from tests.support import SECRET, client_for

ROOT = Path(__file__).resolve().parents[2]
DUE_URL = "/v1/calendar/due?from=2025-09-26T10:00%2B08:00&working_days=1"
HOUR = 3600
CJK = re.compile(r"[\u4e00-\u9fff]")


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "sub": "clerk-1",
        "name": "王小明",
        "roles": ["window_clerk"],
        "iss": "yousu",
        "aud": "yousu",
        "iat": now,
        "exp": now + HOUR,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    path = tmp_path_factory.mktemp("rsa") / "public.pem"
    path.write_bytes(pem)
    return key, path


@pytest.fixture(scope="module", params=["HS256", "RS256"])
def mode(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, rsa_key: tuple[Any, Path]
) -> Iterator[tuple[TestClient, Any]]:
    db = tmp_path_factory.mktemp("tokens") / "yousu.db"
    if request.param == "HS256":
        with client_for(f"sqlite:///{db}") as c:
            yield c, lambda body: jwt.encode(body, SECRET, algorithm="HS256")
    else:
        key, path = rsa_key
        with client_for(f"sqlite:///{db}", auth_public_key_file=path) as c:
            yield c, lambda body: jwt.encode(body, key, algorithm="RS256")


def call(mode: tuple[TestClient, Any], body: dict[str, Any]) -> Any:
    client, sign = mode
    return client.get(DUE_URL, headers={"Authorization": f"Bearer {sign(body)}"})


def test_a_compliant_token_is_accepted(mode: tuple[TestClient, Any]) -> None:
    assert call(mode, claims()).status_code == 200


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("evil issuer", claims(iss="evil")),
        ("no issuer", claims(iss=None)),
        ("other audience", claims(aud="payroll")),
        ("no audience", claims(aud=None)),
        ("exp as text", claims(exp=str(int(time.time()) + HOUR))),
        ("iat as text", claims(iat=str(int(time.time())))),
        ("exp as boolean", claims(exp=True)),
        ("no iat", claims(iat=None)),
        ("department as list", claims(roles=["department"], department=["market"])),
        ("name as number", claims(name=7)),
        ("sub as number", claims(sub=42)),
        ("role not text", claims(roles=["window_clerk", 1])),
        ("ten-year token", claims(exp=int(time.time()) + 10 * 365 * 24 * HOUR)),
        ("thirteen hours", claims(exp=int(time.time()) + 13 * HOUR)),
        ("expired beyond leeway", claims(iat=int(time.time()) - 2 * HOUR, exp=int(time.time()) - 120)),
        # far ahead: the cases are built at collection, and the whole suite may run long after that
        ("issued in the future", claims(iat=int(time.time()) + 6 * HOUR, exp=int(time.time()) + 8 * HOUR)),
    ],
)
def test_noncompliant_tokens_are_401_with_chinese_detail(
    mode: tuple[TestClient, Any], name: str, body: dict[str, Any]
) -> None:
    r = call(mode, body)
    assert r.status_code == 401, name
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "unauthenticated"
    assert CJK.search(r.json()["detail"]), r.json()


def test_small_clock_skew_is_tolerated(mode: tuple[TestClient, Any]) -> None:
    now = int(time.time())
    assert call(mode, claims(iat=now - 2 * HOUR, exp=now - 20)).status_code == 200
    assert call(mode, claims(iat=now + 20, exp=now + HOUR)).status_code == 200


def test_issuer_and_audience_are_configurable(tmp_path: Path) -> None:
    with client_for(f"sqlite:///{tmp_path / 'y.db'}", auth_issuer="district-sso", auth_audience="yousu-prod") as c:
        sign = (c, lambda body: jwt.encode(body, SECRET, algorithm="HS256"))
        assert call(sign, claims()).status_code == 401
        assert call(sign, claims(iss="district-sso", aud="yousu-prod")).status_code == 200


def test_yousu_token_mints_a_compliant_token_within_the_cap(tmp_path: Path) -> None:
    env = {"YOUSU_AUTH_SECRET": SECRET, "PATH": "/usr/bin:/bin", "COLUMNS": "400"}
    yousu = str(ROOT / ".venv" / "bin" / "yousu")
    minted = subprocess.run(
        [yousu, "token", "--role", "department", "--department", "market", "--name", "李四"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    who = TokenVerifier(secret=SECRET).verify(minted)
    assert who.department == "market"
    decoded = jwt.decode(minted, SECRET, algorithms=["HS256"], audience="yousu")
    assert decoded["iss"] == "yousu"
    assert decoded["exp"] - decoded["iat"] == 12 * HOUR
    too_long = subprocess.run(
        [yousu, "token", "--role", "admin", "--name", "x", "--hours", "13"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert too_long.returncode != 0
    assert "YOUSU_TOKEN_MAX_LIFETIME" in too_long.stderr
