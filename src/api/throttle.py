"""Sign-in under attack: throttling per address and per account, and password hashing in a bounded pool.

Throttling, not lockout: each address and each user name has a token bucket. A sign-in attempt takes
one token from both (a successful one gives them back, so only failures count); an empty bucket
answers ``429`` with ``Retry-After`` (the seconds until the next token) before any password is hashed.
Buckets refill on their own, so a name being guessed is slowed for everyone but never locked: its
owner waits a minute, not the quarter of an hour a lockout would impose whenever anyone typed
their name five times. Password spraying — one address trying many names, each only a few times —
empties the address's bucket; the first refusal of an address that tried several names is logged as
``login_spraying_suspected`` (with the number of names, never the address or the names).

The buckets live in this process (each ``serve`` worker has its own; behind a reverse proxy, run
uvicorn with ``--forwarded-allow-ips`` so the client's address is the one counted).

Hashing: argon2 is deliberately slow (tens of milliseconds of CPU and 64 MiB per check). The checks run
in a pool of ``workers`` threads with at most ``queue`` more waiting; beyond that a sign-in is answered
``503`` with ``Retry-After`` at once. The route awaits the pool without holding a request thread, so a
flood of sign-ins costs the rest of the API at most ``workers`` busy threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

import structlog

T = TypeVar("T")
log = structlog.get_logger("yousu.login")
MAX_KEYS = 50_000  # buckets kept per kind; the least recently used (refilled long ago) are dropped first
SPRAY_NAMES = 3  # an address refused after trying at least this many names is reported


@dataclass(frozen=True)
class Rate:
    """A bucket of ``burst`` tokens refilled at ``per_minute`` tokens a minute."""

    burst: int
    per_minute: float

    @property
    def per_second(self) -> float:
        """Refill per second."""
        return self.per_minute / 60.0


@dataclass
class _Bucket:
    tokens: float
    at: float
    names: set[str] = field(default_factory=set)  # (address buckets) digests of the names tried lately
    reported: bool = False


class Buckets:
    """Token buckets by key, bounded in number."""

    def __init__(self, rate: Rate) -> None:
        self.rate = rate
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def _get(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(float(self.rate.burst), now)
            self._buckets[key] = bucket
            if len(self._buckets) > MAX_KEYS:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(float(self.rate.burst), bucket.tokens + (now - bucket.at) * self.rate.per_second)
            bucket.at = now
            if bucket.tokens >= self.rate.burst:
                bucket.names.clear()  # a full bucket: what came before no longer counts
                bucket.reported = False
        return bucket

    def wait(self, key: str, now: float) -> float:
        """Seconds until ``key`` has a token (0: it has one now)."""
        bucket = self._get(key, now)
        if bucket.tokens >= 1:
            return 0.0
        if self.rate.per_second <= 0:
            return 3600.0
        return (1 - bucket.tokens) / self.rate.per_second

    def take(self, key: str, now: float) -> _Bucket:
        """Take a token (the caller checked ``wait``)."""
        bucket = self._get(key, now)
        bucket.tokens -= 1
        return bucket

    def give_back(self, key: str, now: float) -> None:
        """Return a token taken for an attempt that succeeded."""
        bucket = self._get(key, now)
        bucket.tokens = min(float(self.rate.burst), bucket.tokens + 1)


@dataclass(frozen=True)
class Refused:
    """A throttled attempt: which limit (``address`` or ``account``) and the seconds to wait."""

    scope: str
    retry_after: int


class LoginThrottle:
    """Per-address and per-account buckets for sign-in attempts (thread-safe)."""

    def __init__(self, per_address: Rate, per_account: Rate, *, now: Callable[[], float] = time.monotonic) -> None:
        self.addresses = Buckets(per_address)
        self.accounts = Buckets(per_account)
        self._now = now
        self._lock = threading.Lock()

    @staticmethod
    def _account_key(username: str) -> str:
        return username.strip().lower()

    def admit(self, address: str, username: str) -> Refused | None:
        """Take a token for one attempt from both buckets, or say which is empty and for how long."""
        user = self._account_key(username)
        digest = hashlib.sha256(user.encode()).hexdigest()[:16]
        with self._lock:
            now = self._now()
            by_address = self.addresses.wait(address, now)
            by_account = self.accounts.wait(user, now)
            if by_address > 0 or by_account > 0:
                scope = "address" if by_address >= by_account else "account"
                wait = max(1, math.ceil(max(by_address, by_account)))
                self._report(address, scope)
                return Refused(scope, wait)
            bucket = self.addresses.take(address, now)
            bucket.names.add(digest)
            self.accounts.take(user, now)
        return None

    def _report(self, address: str, scope: str) -> None:
        bucket = self.addresses._get(address, self._now())
        if bucket.reported:
            return
        bucket.reported = True
        names = len(bucket.names)
        if scope == "address" and names >= SPRAY_NAMES:
            # no address, no name: only how many names one address tried before it was slowed
            log.warning("login_spraying_suspected", names=names, limit="address")
        else:
            log.warning("login_throttled", limit=scope)

    def succeeded(self, address: str, username: str) -> None:
        """A right password: the attempt's tokens go back (only failures use up a bucket)."""
        with self._lock:
            now = self._now()
            self.addresses.give_back(address, now)
            self.accounts.give_back(self._account_key(username), now)


class PoolFull(Exception):
    """Every hashing worker is busy and the queue is full."""


HASH_NICE = 19  # the lowest CPU priority: a password check yields to every request thread


def _lower_priority() -> None:
    """Run this worker (and the threads argon2 starts from it, which inherit it) at the lowest CPU priority.

    Linux keeps a nice value per thread; elsewhere, or if refused, the worker keeps the normal priority."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICE)


class HashPool:
    """At most ``workers`` password checks at a time and ``queue`` waiting; more are refused at once.

    The workers run at the lowest CPU priority: argon2 takes the CPU only when requests leave it idle,
    so a flood of sign-ins slows sign-ins, not intake."""

    def __init__(self, workers: int, queue: int) -> None:
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="login-hash", initializer=_lower_priority
        )
        self._slots = threading.BoundedSemaphore(workers + queue)

    async def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in the pool and await it without holding a request thread; PoolFull when saturated."""
        if not self._slots.acquire(blocking=False):
            raise PoolFull
        try:
            future = self._executor.submit(fn)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _: self._slots.release())
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        """Stop the workers (checks under way finish)."""
        self._executor.shutdown(wait=False, cancel_futures=True)


MAX_HELD = 2000  # refusals held back at once; beyond, they are answered at once


@dataclass
class LoginGuard:
    """The throttle and the hashing pool of one process, and how long a refusal is held back.

    A refusal (429, or 503 when the pool is full) is answered after ``tarpit`` seconds (capped by its
    Retry-After), awaited on the event loop at no CPU cost: a client that sends its next guess when the
    last one is answered — any script, wrk — is slowed to ``connections / tarpit`` guesses a second
    instead of taking the server's CPU answering refusals as fast as it can send them."""

    throttle: LoginThrottle
    pool: HashPool
    busy_retry_after: int = 1
    tarpit: float = 1.0
    _held: int = 0

    async def hold(self, retry_after: int) -> None:
        """Wait before answering a refusal (not when ``MAX_HELD`` are already waiting)."""
        delay = min(self.tarpit, float(retry_after))
        if delay <= 0 or self._held >= MAX_HELD:
            return
        self._held += 1  # the event loop's thread only: no lock needed
        try:
            await asyncio.sleep(delay)
        finally:
            self._held -= 1
