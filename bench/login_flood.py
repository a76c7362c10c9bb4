"""Intake latency under an unauthenticated sign-in flood, against a real `yousu serve`.

Starts ``yousu serve`` on ``--database-url`` (PostgreSQL), adds a few local accounts with ``yousu users
add --password-stdin``, then measures intake (``POST /v1/complaints``, one client sending its next request
when the last one answered) for ``--seconds``: first quiet, then while a flood of sign-ins with wrong
passwords runs from this machine — ``wrk`` with a Lua script when /usr/bin/wrk exists (``--flood wrk``),
otherwise ``--threads`` Python threads (``--flood threads``), cycling over the real user names and made-up
ones. It prints both p50s and their ratio (target: flooded ≤ 2 × quiet), and how the flood was answered.

Two servers are measured in the same run: the defaults (per-address and per-account throttling, argon2 in
its bounded pool), and ``--no-address-limit`` style settings (the address bucket made huge, so every
attempt reaches the hashing pool: what a flood from many addresses would do) unless ``--defaults-only``.

Usage: python bench/login_flood.py --database-url postgresql://postgres@127.0.0.1:5432/DB \\
       [--seconds 10] [--threads 8] [--flood wrk|threads] [--defaults-only]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from bench.commands import CIPHER_KEY, INTAKE, SECRET, running, token  # noqa: E402 — after sys.path

from domain.values import Role  # noqa: E402 — imports follow the sys.path set-up above

STARTUP_SECONDS = 60.0
WRK = "/usr/bin/wrk"
PASSWORD = "bench-flood-password-2025"  # noqa: S105 — the benchmark's own local accounts
ACCOUNTS = ("staff01", "staff02", "staff03", "staff04")
LUA = """
counter = 0
names = {"staff01", "staff02", "staff03", "staff04", "nobody1", "nobody2", "admin", "zhangsan"}
request = function()
  counter = counter + 1
  local body = string.format('{"username":"%s","password":"wrong-%d-%d"}',
    names[(counter % #names) + 1], math.random(1000000000), counter)
  return wrk.format("POST", "/v1/auth/login", {["Content-Type"] = "application/json"}, body)
end
"""


@dataclass
class Case:
    """One server's figures."""

    label: str
    quiet: list[float] = field(default_factory=list)
    flooded: list[float] = field(default_factory=list)
    flood: Counter[str] = field(default_factory=Counter)
    flood_rate: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)

    @property
    def ratio(self) -> float:
        """Flooded p50 over quiet p50."""
        return p50(self.flooded) / p50(self.quiet) if self.quiet and self.flooded else float("nan")


def p50(xs: list[float]) -> float:
    """The median, 0 for none."""
    return statistics.median(xs) if xs else 0.0


def env_for(database_url: str, extra: dict[str, str]) -> dict[str, str]:
    """The server's (and the CLI's) environment."""
    return {
        **os.environ,
        "YOUSU_DATABASE_URL": database_url,
        "YOUSU_AUTH_SECRET": SECRET,
        "YOUSU_CIPHER_KEY": CIPHER_KEY,
        "YOUSU_LOG_LEVEL": "INFO",  # the request log is part of what a request costs in production
        "YOUSU_SIGNING_MODE": "roles_only",
        **extra,
    }


@contextlib.contextmanager
def serve(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """A `yousu serve` process (one worker) with ``env``; its log goes to ``log_path``."""
    yousu = str(Path(sys.executable).with_name("yousu"))
    cmd = [yousu, "serve", "--host", "127.0.0.1", "--port", "{port}"]
    with running(cmd, env, "/healthz", log_path, startup=STARTUP_SECONDS) as (base_url, _pid):
        yield base_url


def add_accounts(env: dict[str, str]) -> None:
    """The accounts the flood guesses at, made as a hall makes them (an existing one is left as it is)."""
    yousu = Path(sys.executable).with_name("yousu")
    for name in ACCOUNTS:
        cmd = [str(yousu), "users", "add", "--username", name, "--name", name, "--role", "window_clerk"]
        done = subprocess.run(
            [*cmd, "--password-stdin"],
            cwd=ROOT,
            env=env,
            input=f"{PASSWORD}\n",
            text=True,
            capture_output=True,
            check=False,
        )
        if done.returncode != 0 and "已存在" not in done.stderr:
            raise RuntimeError(done.stderr[-2000:])


def intake(base_url: str, seconds: float, case: Case, *, into: list[float]) -> None:
    """Record complaints one after another for ``seconds``; latencies (ms) go to ``into``."""
    auth = {"Authorization": token(Role.window_clerk)}
    with httpx.Client(base_url=base_url, timeout=60.0) as http:
        http.get("/healthz")  # the connection is open before the clock starts
        for _ in range(3):  # warm-up
            http.post("/v1/complaints", json=INTAKE, headers=auth)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            start = time.perf_counter()
            r = http.post("/v1/complaints", json=INTAKE, headers=auth)
            into.append((time.perf_counter() - start) * 1000)
            if r.status_code != 201:
                case.errors[f"intake {r.status_code}"] += 1


@contextlib.contextmanager
def thread_flood(base_url: str, threads: int, case: Case) -> Iterator[None]:
    """``threads`` Python threads posting wrong passwords as fast as they are answered."""
    stop = threading.Event()
    names = [*ACCOUNTS, "nobody1", "nobody2", "admin", "zhangsan"]
    lock = threading.Lock()
    started = time.monotonic()

    def flood(k: int) -> None:
        n = 0
        with httpx.Client(base_url=base_url, timeout=30.0) as http:
            while not stop.is_set():
                n += 1
                body = {"username": names[(n + k) % len(names)], "password": f"wrong-{k}-{n}"}
                try:
                    status = str(http.post("/v1/auth/login", json=body).status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                with lock:
                    case.flood[status] += 1

    workers = [threading.Thread(target=flood, args=(k,), daemon=True) for k in range(threads)]
    for w in workers:
        w.start()
    time.sleep(1.0)  # the flood is under way before intake is measured
    try:
        yield
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=30)
        case.flood_rate = sum(case.flood.values()) / (time.monotonic() - started)


@contextlib.contextmanager
def wrk_flood(base_url: str, threads: int, seconds: float, case: Case, workdir: Path) -> Iterator[None]:
    """wrk with ``threads`` threads and twice as many connections, for the whole measurement."""
    script = workdir / "login_flood.lua"
    script.write_text(LUA, encoding="utf-8")
    duration = f"{int(seconds) + 3}s"
    cmd = [WRK, "-t", str(threads), "-c", str(threads * 2), "-d", duration, "-s", str(script), base_url]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(1.0)  # the flood is under way before intake is measured
    try:
        yield
    finally:
        out, _ = proc.communicate(timeout=seconds + 60)
        total = re.search(r"(\d+) requests in", out)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
        case.flood["requests"] = int(total.group(1)) if total else 0
        case.flood["non-2xx"] = int(non2xx.group(1)) if non2xx else 0
        case.flood_rate = float(rate.group(1)) if rate else 0.0


def run_case(label: str, database_url: str, extra: dict[str, str], args: argparse.Namespace, workdir: Path) -> Case:
    """Quiet, then flooded intake against one server."""
    case = Case(label)
    env = env_for(database_url, extra)
    add_accounts(env)
    with serve(env, workdir / f"serve-{len(extra)}.log") as base_url:
        intake(base_url, args.seconds, case, into=case.quiet)
        if args.flood == "wrk":
            flood = wrk_flood(base_url, args.threads, args.seconds, case, workdir)
        else:
            flood = thread_flood(base_url, args.threads, case)
        with flood:
            intake(base_url, args.seconds, case, into=case.flooded)
        if args.flood == "threads":
            with httpx.Client(base_url=base_url, timeout=5.0) as http:
                # a right password after the flood: the account is slowed for a while, never locked
                case.flood["right password afterwards"] = http.post(
                    "/v1/auth/login", json={"username": "staff01", "password": PASSWORD}
                ).status_code
    return case


def main() -> None:
    """Measure and print."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", required=True, help="the store (PostgreSQL)")
    p.add_argument("--seconds", type=float, default=10.0, help="intake measured for this long, quiet and flooded")
    p.add_argument("--threads", type=int, default=8, help="flood threads (wrk: connections are twice this)")
    p.add_argument("--flood", choices=["wrk", "threads"], default="wrk" if shutil.which(WRK) else "threads")
    p.add_argument("--defaults-only", action="store_true", help="skip the server without the address limit")
    args = p.parse_args()
    load1, load5, load15 = os.getloadavg()
    print(
        f"{datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()} {os.cpu_count()} CPUs, "
        f"load average {load1:.1f} {load5:.1f} {load15:.1f} at start, Python {platform.python_version()}; "
        f"flood: {args.flood}, {args.threads} threads; intake measured {args.seconds:g} s quiet and {args.seconds:g} s "
        "flooded, one client"
    )
    cases = [("defaults (address + account throttling, hashing pool)", {})]
    if not args.defaults_only:
        cases.append(
            ("address limit off (every attempt reaches the hashing pool)", {"YOUSU_LOGIN_ADDRESS_BURST": "10000"})
        )
    results = []
    with tempfile.TemporaryDirectory(prefix="yousu-login-flood-") as tmp:
        for label, extra in cases:
            results.append(run_case(label, args.database_url, extra, args, Path(tmp)))
    print("| server | intake p50 quiet ms | intake p50 flooded ms | ratio | intake n quiet/flooded | flood answered |")
    print("|---|---:|---:|---:|---|---|")
    for c in results:
        answered = ", ".join(f"{k}: {v}" for k, v in sorted(c.flood.items()))
        print(
            f"| {c.label} | {p50(c.quiet):.1f} | {p50(c.flooded):.1f} | {c.ratio:.2f} | "
            f"{len(c.quiet)}/{len(c.flooded)} | {answered}; {c.flood_rate:.0f} req/s |"
        )
    for c in results:
        for what, n in c.errors.items():
            print(f"errors ({c.label}): {what} × {n}")
    verdict = "within" if results[0].ratio <= 2.0 else "NOT within"
    print(f"defaults: flooded p50 is {results[0].ratio:.2f} × the quiet one ({verdict} the 2 × target)")


if __name__ == "__main__":
    main()
