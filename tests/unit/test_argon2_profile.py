"""Stored passwords are hashed at argon2's standard cost unless a test suite asks for the cheapest."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, extract_parameters

from tests.support import settings_for
from yousu.wiring import password_hasher


def test_a_hall_gets_the_standard_argon2_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("YOUSU_ARGON2_PROFILE", raising=False)
    hasher = password_hasher(settings_for("memory://"))
    params = extract_parameters(hasher.hash("a-long-passphrase"))
    # argon2-cffi's default, RFC 9106's low-memory choice: argon2id, 64 MiB, 3 passes, 4 lanes
    assert (params.type.name, params.memory_cost, params.time_cost, params.parallelism) == ("ID", 65536, 3, 4)


def test_a_test_only_hash_is_made_again_at_the_standard_cost() -> None:
    cheap = password_hasher(settings_for("memory://", argon2_profile="test-only"))
    stored = cheap.hash("a-long-passphrase")
    assert extract_parameters(stored).memory_cost < 65536
    standard = PasswordHasher()
    assert standard.verify(stored, "a-long-passphrase")
    assert standard.check_needs_rehash(stored)  # what the sign-in asks before it stores the hash again


def test_the_setting_accepts_only_its_two_values() -> None:
    with pytest.raises(ValueError, match="argon2_profile"):
        settings_for("memory://", argon2_profile="none")
