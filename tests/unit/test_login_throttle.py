"""Sign-in throttling: token buckets per address and per account, on an injected clock."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from api.throttle import HashPool, LoginGuard, LoginThrottle, PoolFull, Rate, Refused
from tests.support import run_async


class Clock:
    """Seconds, moved by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def throttle(clock: Clock) -> LoginThrottle:
    # 20 failures per address then 10 a minute; 5 per account then 2 a minute (the settings' defaults)
    return LoginThrottle(Rate(20, 10), Rate(5, 2), now=clock)


def test_an_account_is_slowed_after_five_failures_and_refills_in_thirty_seconds() -> None:
    clock = Clock()
    t = throttle(clock)
    for _ in range(5):
        assert t.admit("10.0.0.1", "fenxi") is None
    # 2 a minute: the next token comes 30 s after the bucket ran dry
    assert t.admit("10.0.0.9", "fenxi") == Refused("account", 30)  # from another address too
    assert t.admit("10.0.0.1", "wangxm") is None  # another account is not affected
    clock.t += 29
    assert t.admit("10.0.0.1", "FenXi") == Refused("account", 1)  # the name is matched case-insensitively
    clock.t += 1
    assert t.admit("10.0.0.1", "fenxi") is None


def test_spraying_many_accounts_from_one_address_is_slowed_per_address() -> None:
    clock = Clock()
    t = throttle(clock)
    for i in range(20):
        assert t.admit("10.0.0.1", f"user{i}") is None  # each name once: no account bucket runs dry
    # 10 a minute: the next token in 6 s, whatever name is tried
    assert t.admit("10.0.0.1", "user99") == Refused("address", 6)
    assert t.admit("10.0.0.2", "user99") is None  # another address is not affected


def test_successes_give_their_tokens_back() -> None:
    clock = Clock()
    t = throttle(clock)
    for _ in range(50):  # a hall behind one address: many staff signing in correctly
        assert t.admit("10.0.0.1", "wangxm") is None
        t.succeeded("10.0.0.1", "wangxm")


def test_spraying_is_logged_without_the_address_or_the_names(capsys: pytest.CaptureFixture[str]) -> None:
    clock = Clock()
    t = throttle(clock)
    for i in range(20):
        t.admit("203.0.113.7", f"staff{i}")
    assert t.admit("203.0.113.7", "staff20") is not None
    assert t.admit("203.0.113.7", "staff21") is not None  # reported once
    out = capsys.readouterr()
    text = out.out + out.err
    assert text.count("login_spraying_suspected") == 1
    assert "203.0.113.7" not in text
    assert "staff" not in text


def test_the_hash_pool_refuses_beyond_its_workers_and_queue() -> None:
    pool = HashPool(workers=1, queue=1)
    release = threading.Event()

    async def scenario() -> list[str]:
        first = asyncio.ensure_future(pool.run(release.wait))
        second = asyncio.ensure_future(pool.run(lambda: True))
        await asyncio.sleep(0.05)
        outcome = []
        try:
            await pool.run(lambda: True)
            outcome.append("ran")
        except PoolFull:
            outcome.append("full")
        release.set()
        await first
        await second
        outcome.append(str(await pool.run(lambda: "free again")))
        return outcome

    try:
        assert run_async(scenario()) == ["full", "free again"]
    finally:
        pool.close()


def test_hashing_workers_run_at_the_lowest_cpu_priority() -> None:
    """Linux keeps a nice value per thread: the pool's workers (and argon2's threads started from them) yield."""
    pool = HashPool(workers=1, queue=0)

    def own_nice() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    try:
        assert run_async(pool.run(own_nice)) == 19
        assert own_nice() != 19  # the caller's thread keeps its priority
    finally:
        pool.close()


def test_a_refusal_is_held_back_by_the_tarpit_but_never_beyond_its_retry_after() -> None:
    clock = Clock()
    guard = LoginGuard(throttle=throttle(clock), pool=HashPool(1, 0), tarpit=0.3)

    def timed(retry_after: int) -> float:
        start = time.perf_counter()
        run_async(guard.hold(retry_after))
        return time.perf_counter() - start

    try:
        assert 0.3 <= timed(6) < 1.0
        guard.tarpit = 0
        assert timed(6) < 0.1
    finally:
        guard.pool.close()
