"""Encryption at rest: keys, rotation, refusal to start with a wrong or missing key."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import psycopg
import pytest

from application.cipher import MAGIC, generate_key, key_id, parse_keys
from application.persistence import parse_database_url
from domain.values import Actor, Channel, Complainant, ComplainantType, Role
from tests.support import SECRET
from yousu.settings import Settings
from yousu.wiring import StartupError, build_complaints

ROOT = Path(__file__).resolve().parents[2]
CLERK = Actor("c1", "窗口甲", Role.window_clerk)
NAME, PHONE, ID_NUMBER = "欧阳娜娜", "13912345678", "11010519491231002X"


def settings(url: str, key: str | None) -> Settings:
    return Settings(database_url=url, auth_secret=SECRET, cipher_key=key)


def receive(url: str, key: str | None) -> None:
    app = build_complaints(settings(url, key))
    try:
        app.receive(
            channel=Channel.window,
            content="诉求内容",
            category="housing",
            complainant=Complainant(ComplainantType.person, NAME, PHONE, ID_NUMBER),
            actor=CLERK,
        )
    finally:
        app.close()


def raw_states(url: str) -> list[bytes]:
    with psycopg.connect(url) as conn:
        return [bytes(r[0]) for r in conn.execute("SELECT state FROM complaints_events ORDER BY notification_id")]


def test_events_are_encrypted_and_rotation_keeps_old_ones_readable(pg_url: str) -> None:
    old, new = generate_key(), generate_key()
    receive(pg_url, old)
    receive(pg_url, f"{new},{old}")  # rotation: the new key encrypts, the old one still decrypts
    states = raw_states(pg_url)
    assert all(s.startswith(MAGIC) for s in states)
    ids = {s[len(MAGIC) : len(MAGIC) + 4] for s in states}
    assert ids == {key_id(parse_keys(old)[0]), key_id(parse_keys(new)[0])}
    for s in states:
        for secret in (NAME, PHONE, ID_NUMBER):
            assert secret.encode() not in s
    app = build_complaints(settings(pg_url, f"{new},{old}"))
    try:
        events = [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, 100)]
        names = [e.complainant.name for e in events if hasattr(e, "complainant")]
        assert names == [NAME, NAME]  # both the old-key and the new-key events decrypt
    finally:
        app.close()


@pytest.mark.parametrize("variant", ["wrong", "missing", "old_key_dropped"])
def test_wrong_or_missing_key_refuses_to_start(pg_url: str, variant: str) -> None:
    old, new = generate_key(), generate_key()
    receive(pg_url, old)
    key = {"wrong": generate_key(), "missing": None, "old_key_dropped": new}[variant]
    # "missing" with plaintext allowed: the store is encrypted, so reading it must still fail
    chosen = settings(pg_url, key).model_copy(update={"allow_plaintext": key is None})
    with pytest.raises(StartupError) as err:
        build_complaints(chosen)
    assert "YOUSU_CIPHER_KEY" in str(err.value)


def test_serve_exits_with_a_clear_message(pg_url: str) -> None:
    receive(pg_url, generate_key())
    env = {**os.environ, "YOUSU_DATABASE_URL": pg_url, "YOUSU_AUTH_SECRET": SECRET, "YOUSU_CIPHER_KEY": generate_key()}
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "yousu"), "serve", "--port", "1"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "YOUSU_CIPHER_KEY" in done.stderr


def test_malformed_key_is_refused(pg_url: str) -> None:
    with pytest.raises(StartupError, match=r"base64|bytes"):
        build_complaints(settings(pg_url, "not base64!!"))
    with pytest.raises(StartupError, match="16, 24 or 32"):
        build_complaints(settings(pg_url, "c2hvcnQ="))


def test_embedded_default_creates_and_keeps_a_local_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YOUSU_HOME", str(tmp_path))  # relative paths resolve against the home
    (tmp_path / "ops").symlink_to(ROOT / "ops")
    receive("sqlite:///var/yousu.db", None)
    key_file = tmp_path / "var" / "cipher-key"
    assert key_file.is_file()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    first = key_file.read_text()
    receive("sqlite:///var/yousu.db", None)  # second start reuses the key
    assert key_file.read_text() == first
    raw = (tmp_path / "var" / "yousu.db").read_bytes()
    for secret in (NAME, PHONE, ID_NUMBER):
        assert secret.encode() not in raw
    assert parse_database_url("sqlite:///var/yousu.db").sqlite_path == Path("var/yousu.db")
