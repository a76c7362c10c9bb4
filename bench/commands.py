"""Latency a clerk feels: requests/s, p50/p99 and errors per command kind of a real `yousu serve`, driven by wrk.

The load generator is ``wrk`` (Debian package ``wrk``; installed with apt-get when missing), with
``bench/wrk/bench.lua`` for the bodies, per-request ids and bearer headers. Python only prepares and
reads the figures; it sends no measured request. For each worker count (``--workers 1,2``):

1. the ceiling: a trivial FastAPI app (``bench/trivial.py``) under the same uvicorn, same options and
   workers, at every connection count — what this machine answers at all with this load generator;
2. ``yousu serve --workers W`` on the store (``--database-url``, PostgreSQL for the real figures): its
   ``/healthz``, then every command kind — receive, classify, sign, dispatch, resolve, feedback,
   callback — and the audited read (``GET /v1/complaints/{id}``, which commits an access record), each
   for ``--duration`` seconds (≥ 10 s for the published figures) at every ``--connections`` count.

A command on a complaint needs a complaint in the right state, one per request: the ids are prepared
beforehand (by wrk too, at 32 connections, unmeasured) — receive → classify cannot_do → sign → sign
(leader) → dispatch; receive → classify general → resolve → feedback → callback — and each measured
row's answers feed the next kind. Should a row use up its ids it sends ``/healthz`` instead and the
row is flagged (its rate would be wrong).

Then the slowest command at 16 connections is driven once more with py-spy attached (one worker), and
the share of the GIL-holding samples per part of the request is printed: where the time goes.

Usage: python bench/commands.py --database-url postgresql://postgres@127.0.0.1:5432/DB \\
       [--connections 1,16,64] [--workers 1,2] [--duration 10] [--kinds receive,read] [--no-profile]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from api.auth import mint_token  # noqa: E402 — imports follow the sys.path set-up above
from domain.values import Role  # noqa: E402 — imports follow the sys.path set-up above

SECRET = "bench-secret-for-yousu-only-0123456789"  # noqa: S105 — signs tokens for benchmark servers only
CIPHER_KEY = "YmVuY2gta2V5LWZvci15b3VzdS1vbmx5LTAxMjM0NTY="  # 32 bytes; benchmark databases only
LUA = ROOT / "bench" / "wrk" / "bench.lua"
STARTUP_SECONDS = 90.0
PREP_CONNECTIONS = 32
MARGIN = 2.0  # ids prepared for a row: this many times the rate expected
WARM_UP_SECONDS = 2
INTAKE = {
    "channel": "window",
    "content": "压测诉求：营业执照变更被拖延",
    "category": "market_regulation",
    "complainant": {"type": "person", "name": "张三丰", "phone": "13812345678"},
}


@dataclass(frozen=True)
class Kind:
    """A request kind: what wrk sends, and which prepared ids it consumes and feeds."""

    name: str
    method: str
    path: str
    role: Role | None = None
    body: dict[str, Any] | None = None
    source: str | None = None  # the pool of ids it consumes (one per request)
    feeds: str | None = None  # the pool its answers' ids go to
    cycle: bool = False  # reads: the ids are used again and again


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("healthz", "GET", "/healthz"),
        Kind("receive", "POST", "/v1/complaints", Role.window_clerk, INTAKE, feeds="received"),
        Kind(
            "classify",
            "POST",
            "/v1/complaints/{id}/classify",
            Role.window_clerk,
            {"classification": "cannot_do", "reason": "政策不允许"},
            source="received",
            feeds="classified",
        ),
        Kind("sign", "POST", "/v1/complaints/{id}/sign", Role.duty_officer, {}, "classified", "officer_signed"),
        Kind(
            "dispatch",
            "POST",
            "/v1/complaints/{id}/dispatch",
            Role.duty_leader,
            {"departments": ["housing"], "supervisor": "bench-supervisor", "instructions": ""},
            source="leader_signed",
            feeds="dispatched",
        ),
        Kind(
            "resolve",
            "POST",
            "/v1/complaints/{id}/resolve",
            Role.window_clerk,
            {"result": "当场办结"},
            source="general",
            feeds="resolved",
        ),
        Kind(
            "feedback",
            "POST",
            "/v1/complaints/{id}/feedback",
            Role.window_clerk,
            {"method": "电话", "summary": "已电话告知办理结果"},
            source="resolved",
            feeds="fed_back",
        ),
        Kind(
            "callback",
            "POST",
            "/v1/complaints/{id}/callback",
            Role.window_clerk,
            {"rating": 5, "comment": ""},
            source="fed_back",
            feeds="closed",
        ),
        # reading a complaint with personal information is audited: each read commits an access record
        Kind("read", "GET", "/v1/complaints/{id}", Role.window_clerk, source="readable", cycle=True),
    )
}
# preparation only: the second signature, and the general classification that resolve needs
PREP_KINDS: dict[str, Kind] = {
    "sign_leader": Kind(
        "sign_leader", "POST", "/v1/complaints/{id}/sign", Role.duty_leader, {}, "officer_signed", "leader_signed"
    ),
    "classify_general": Kind(
        "classify_general",
        "POST",
        "/v1/complaints/{id}/classify",
        Role.window_clerk,
        {"classification": "general", "reason": "当场可办"},
        source="received",
        feeds="general",
    ),
}
PRODUCER = {k.feeds: k for k in (*KINDS.values(), *PREP_KINDS.values()) if k.feeds}
COMMANDS = ("receive", "classify", "sign", "dispatch", "resolve", "feedback", "callback")


def token(role: Role) -> str:
    """A bearer header value for ``role`` (the server is started with the bench secret)."""
    minted = mint_token(
        secret=SECRET, sub=f"bench-{role.value}", name="压测", roles=[role], department=None, now=datetime.now(tz=UTC)
    )
    return f"Bearer {minted}"


def ensure_wrk() -> str:
    """Debian's wrk, installed with apt-get when missing (as the browser tests install chromium)."""
    found = shutil.which("wrk")
    if found is not None:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        msg = "wrk is missing and apt-get is unavailable: install Debian's wrk package"
        raise RuntimeError(msg)
    done = subprocess.run([apt, "install", "-y", "wrk"], capture_output=True, text=True, check=False)
    if done.returncode != 0:  # a fresh image has no package lists yet
        subprocess.run([apt, "update"], capture_output=True, check=False)
        done = subprocess.run([apt, "install", "-y", "wrk"], capture_output=True, text=True, check=False)
    found = shutil.which("wrk")
    if found is None:
        msg = f"apt-get install -y wrk failed ({done.returncode}):\n{done.stderr[-2000:]}"
        raise RuntimeError(msg)
    return found


@dataclass
class Row:
    """One measured row (or one preparation run)."""

    kind: str
    connections: int
    workers: int
    server: str  # "trivial" or "yousu"
    rate: float = 0.0
    p50: float = 0.0  # ms
    p99: float = 0.0  # ms
    requests: int = 0
    errors: int = 0
    fallback: int = 0
    seconds: float = 0.0
    sample: str = ""
    ids: list[str] = field(default_factory=list, repr=False)

    @property
    def note(self) -> str:
        """What makes the row doubtful."""
        return f"ids ran out ({self.fallback} /healthz sent instead)" if self.fallback else ""


class Wrk:
    """Runs wrk against one server."""

    def __init__(self, wrk: str, base_url: str, work: Path) -> None:
        self.wrk = wrk
        self.base_url = base_url
        self.work = work
        self.tokens = {r: token(r) for r in (Role.window_clerk, Role.duty_officer, Role.duty_leader)}
        self.runs = 0

    def run(
        self,
        kind: Kind,
        connections: int,
        seconds: float,
        ids: list[str] | None = None,
        *,
        path: str | None = None,
        capture: bool = False,
    ) -> Row:
        """``kind`` for ``seconds`` at ``connections``; the answers' ids when ``capture``."""
        self.runs += 1
        threads = threads_for(connections)
        env = {
            **os.environ,
            "BENCH_METHOD": kind.method,
            "BENCH_PATH": path or kind.path,
            "BENCH_BODY": json.dumps(kind.body, ensure_ascii=False) if kind.body is not None else "",
            "BENCH_AUTH": self.tokens[kind.role] if kind.role is not None else "",
            "BENCH_THREADS": str(threads),
            "BENCH_CYCLE": "1" if kind.cycle else "",
            "BENCH_IDS": "",
            "BENCH_OUT": "",
        }
        if ids is not None:
            id_file = self.work / f"ids-{self.runs}"
            id_file.write_text("".join(f"{i}\n" for i in ids))
            env["BENCH_IDS"] = str(id_file)
        out_prefix = self.work / f"out-{self.runs}"
        if capture:
            env["BENCH_OUT"] = str(out_prefix)
        cmd = [self.wrk, "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s"]
        cmd += ["--timeout", "10s", "-s", str(LUA), self.base_url]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, timeout=seconds + 120)
        line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
        if done.returncode != 0 or line is None:
            msg = f"wrk failed ({done.returncode}): {done.stdout[-1000:]} {done.stderr[-1000:]}"
            raise RuntimeError(msg)
        figures = json.loads(line.removeprefix("BENCH "))
        sample = next((x.removeprefix("BENCHSAMPLE ") for x in done.stdout.splitlines() if x.startswith("BENCHS")), "")
        errors = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
        wall = figures["duration_us"] / 1e6
        row = Row(
            kind.name,
            connections,
            0,
            "",
            rate=(figures["requests"] - figures["fallback"] - errors) / wall if wall else 0.0,
            p50=figures["p50_us"] / 1000,
            p99=figures["p99_us"] / 1000,
            requests=figures["requests"],
            errors=errors,
            fallback=figures["fallback"],
            seconds=wall,
            sample=sample,
        )
        if capture:
            for f in self.work.glob(f"out-{self.runs}.*"):
                row.ids += f.read_text().split()
                f.unlink()
        return row


def threads_for(connections: int) -> int:
    """wrk threads: two cores, shared with the server, so few."""
    return 1 if connections < 4 else 2


def unreached(ids: list[str], row: Row, connections: int) -> list[str]:
    """The ids a run certainly never sent: in each wrk thread's share, those after its last answered one and
    after the requests that may still have been in flight when wrk stopped (one per connection)."""
    threads = threads_for(connections)
    answered = set(row.ids)
    left: list[str] = []
    for t in range(threads):
        share = ids[t::threads]
        last = max((n for n, i in enumerate(share) if i in answered), default=-1)
        left += share[last + 1 + connections // threads + 1 :]
    return left


class Pools:
    """Ids of complaints in the state each kind needs, filled by measured rows and by preparation runs."""

    def __init__(self, load: Wrk) -> None:
        self.load = load
        self.ids: dict[str, list[str]] = {}
        self.rates: dict[str, float] = {}  # requests/s seen per kind, for sizing preparation runs

    def add(self, pool: str, ids: list[str]) -> None:
        """Ids a run produced."""
        self.ids.setdefault(pool, []).extend(ids)

    def take(self, pool: str, n: int) -> list[str]:
        """``n`` ids (or all there are) out of ``pool``."""
        have = self.ids.setdefault(pool, [])
        taken, self.ids[pool] = have[:n], have[n:]
        return taken

    def ensure(self, pool: str, n: int) -> None:
        """At least ``n`` ids in ``pool``: run its producer (unmeasured) as often as it takes."""
        for _ in range(6):
            short = n - len(self.ids.get(pool, []))
            if short <= 0:
                return
            kind = PRODUCER[pool]
            rate = self.rates.get(kind.name) or self.rates.get("receive") or 200.0
            short += max(64, short // 5)  # some answers are still in flight when wrk stops: prepare a few more
            seconds = short / rate * 1.15 + 1
            if kind.source is None:  # receive: runs until its time is up
                row = self.load.run(kind, PREP_CONNECTIONS, seconds, capture=True)
            else:
                self.ensure(kind.source, short)
                taken = self.take(kind.source, short)
                row = self.load.run(kind, PREP_CONNECTIONS, seconds, taken, capture=True)
                self.ids[kind.source] = unreached(taken, row, PREP_CONNECTIONS) + self.ids[kind.source]
            if row.rate > 0:
                self.rates[kind.name] = max(row.rate, self.rates.get(kind.name, 0.0))
            self.add(pool, row.ids)
            print(
                f"    prepared {len(row.ids)} for {pool} ({kind.name}, {row.rate:.0f}/s, {row.errors} errors"
                f"{', ' + row.sample[:120] if row.sample else ''})",
                file=sys.stderr,
            )
        msg = f"could not prepare {n} ids for {pool}"
        raise RuntimeError(msg)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def store_kind(url: str) -> str:
    """``postgresql`` or ``sqlite`` for the table."""
    return "postgresql" if url.startswith("postgres") else "sqlite"


@contextlib.contextmanager
def running(
    cmd: list[str], env: dict[str, str], health: str, log_path: Path, startup: float = STARTUP_SECONDS
) -> Iterator[tuple[str, int]]:
    """A server process, once ``health`` answers 200 (within ``startup`` seconds): its base URL and pid."""
    port = free_port()
    cmd = [c.replace("{port}", str(port)) for c in cmd]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + startup
        while True:
            if proc.poll() is not None:
                msg = f"{cmd[0]} exited with {proc.returncode}: {log_path.read_text(errors='replace')[-2000:]}"
                raise RuntimeError(msg)
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}{health}", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                msg = f"{cmd[0]} not healthy after {startup} s"
                raise RuntimeError(msg)
            time.sleep(0.2)
        yield base_url, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def yousu_env(database_url: str) -> dict[str, str]:
    """The server's environment: the bench secret and key; the request log on, as in production."""
    return {
        **os.environ,
        "YOUSU_DATABASE_URL": database_url,
        "YOUSU_AUTH_SECRET": SECRET,
        "YOUSU_CIPHER_KEY": CIPHER_KEY,
        "YOUSU_LOG_LEVEL": "INFO",  # the request log is part of what a request costs in production
        "YOUSU_SIGNING_MODE": "roles_only",  # the benchmark keeps no duty roster: any holder of the role signs
    }


def measure_trivial(wrk: str, workers: int, connections: list[int], seconds: float, work: Path) -> list[Row]:
    """The ceiling rows: the trivial app under the same uvicorn."""
    cmd = [sys.executable, str(ROOT / "bench" / "trivial.py"), "--port", "{port}", "--workers", str(workers)]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    rows = []
    with running(cmd, env, "/", work / f"trivial-{workers}.log") as (base_url, _):
        load = Wrk(wrk, base_url, work)
        trivial = Kind("trivial", "GET", "/")
        load.run(trivial, max(connections), WARM_UP_SECONDS)
        for c in connections:
            rows.append(tag(load.run(trivial, c, seconds), workers, "trivial"))
            say(rows[-1])
    return rows


def tag(row: Row, workers: int, server: str) -> Row:
    """Name the server a row measured."""
    row.workers, row.server = workers, server
    return row


def say(row: Row) -> None:
    """Progress on stderr."""
    extra = f", {row.note}" if row.note else ""
    print(
        f"  {row.server} ×{row.workers} {row.kind} c={row.connections}: {row.rate:.0f}/s p50 {row.p50:.1f} ms "
        f"p99 {row.p99:.1f} ms, {row.errors} errors{extra}",
        file=sys.stderr,
    )


def measure_yousu(
    wrk: str, url: str, workers: int, connections: list[int], kinds: list[str], seconds: float, work: Path
) -> tuple[list[Row], Pools]:
    """Every kind at every connection count against one `yousu serve --workers W`."""
    cmd = [str(Path(sys.executable).with_name("yousu")), "serve", "--host", "127.0.0.1", "--port", "{port}"]
    cmd += ["--workers", str(workers)]
    env = yousu_env(url)
    if workers > 1:
        env["YOUSU_BACKGROUND"] = "false"  # `serve --workers` refuses background work in every worker
    rows: list[Row] = []
    with running(cmd, env, "/healthz", work / f"yousu-{workers}.log") as (base_url, _):
        load = Wrk(wrk, base_url, work)
        pools = Pools(load)
        load.run(KINDS["healthz"], max(connections), WARM_UP_SECONDS)
        started = time.perf_counter()
        pools.ensure("received", 50)
        pools.add("readable", pools.ids["received"][:50])  # read (not consumed): any complaint will do
        for c in connections:
            for name in ["healthz", *kinds]:
                kind = KINDS[name]
                ids = None
                if kind.source is not None:
                    # what this kind may reach: the fastest command so far at these connections, or itself elsewhere
                    expected = max([pools.rates.get(f"{k}@{c}", 0.0) for k in KINDS if k != "healthz"])
                    expected = max(expected, pools.rates.get(name, 0.0))
                    need = int((expected or 300.0) * seconds * MARGIN) + 20 * c + 50
                    if kind.cycle:
                        ids = pools.ids["readable"][:2000]
                    else:
                        pools.ensure(kind.source, need)
                        ids = pools.take(kind.source, need)
                row = tag(load.run(kind, c, seconds, ids, capture=kind.feeds is not None), workers, "yousu")
                if kind.feeds is not None:
                    pools.add(kind.feeds, row.ids)
                if kind.source is not None and ids is not None and not kind.cycle:
                    pools.ids[kind.source] = unreached(ids, row, c) + pools.ids[kind.source]
                pools.rates[f"{name}@{c}"] = row.rate
                pools.rates[name] = max(row.rate, pools.rates.get(name, 0.0))
                rows.append(row)
                say(row)
        print(f"  yousu ×{workers}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return rows, pools


PARTS = (  # (part, pieces of a frame that place a sample in it); a sample goes to the part of its innermost frame
    ("JWT decoding", ("jwt/",)),
    ("logging (structlog, stdlib)", ("structlog/", "logging/")),
    ("PostgreSQL driver and pool (psycopg)", ("psycopg/", "psycopg_pool/")),
    ("event store library (eventsourcing)", ("eventsourcing/",)),
    ("encryption (cryptography)", ("cryptography/",)),
    ("yousu domain, application, projections", ("(domain/", "(application/", "(projections/", "(policies/")),
    ("pydantic validation / serialisation", ("pydantic", "json/")),
    ("FastAPI route matching", ("._match (fastapi", ".matches (fastapi", "_restore_fastapi_scope_key")),
    ("FastAPI solve_dependencies", ("solve_dependencies",)),
    ("thread hand-offs (anyio, executors, locks)", ("anyio/", "concurrent/futures", "threading.py", "queue.py")),
    ("yousu HTTP layer (routes, deps, middleware)", ("(api/",)),
    ("FastAPI / Starlette, other", ("fastapi/", "starlette/")),
    ("uvicorn / h11 HTTP parsing", ("uvicorn/", "h11/")),
    ("asyncio event loop", ("asyncio/", "selectors.py")),
)
MARKERS = (  # inclusive shares the issue names
    ("in solve_dependencies", "solve_dependencies"),
    ("in run_in_threadpool", "run_in_threadpool"),
    ("in the request log line", "log_request"),
    ("in JWT decoding", "jwt/"),
    ("in the Store (load, act, save)", "(application/store.py"),
    ("in the store guard's workers", "concurrent/futures/thread.py"),
)


def profile(
    wrk: str, url: str, kind: str, connections: int, seconds: float, work: Path, keep: Path | None = None
) -> str:
    """py-spy samples of one worker while ``kind`` runs at ``connections``: the share of each part."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return "profile: py-spy is not installed (pip install py-spy)"
    cmd = [str(Path(sys.executable).with_name("yousu")), "serve", "--host", "127.0.0.1", "--port", "{port}"]
    with running(cmd, yousu_env(url), "/healthz", work / "yousu-profile.log") as (base_url, pid):
        load = Wrk(wrk, base_url, work)
        pools = Pools(load)
        k = KINDS[kind]
        load.run(KINDS["healthz"], connections, WARM_UP_SECONDS)
        ids = None
        if k.cycle:
            pools.ensure("received", 50)
            ids = pools.ids["received"][:50]
        elif k.source is not None:
            pools.ensure(k.source, int(400 * seconds * MARGIN))
            ids = pools.ids[k.source]
        raw = work / "profile.txt"
        rate = max(50, min(250, int(20000 / max(seconds, 1))))
        spy_cmd = [spy, "record", "--pid", str(pid), "--format", "raw", "--gil", "--rate", str(rate)]
        spy_cmd += ["--duration", str(max(1, round(seconds))), "--output", str(raw), "--nonblocking"]
        spying = subprocess.Popen(spy_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        row = load.run(k, connections, seconds, ids)
        _, err = spying.communicate(timeout=seconds + 60)
        if not raw.exists():
            return f"profile: py-spy failed: {err[-500:]}"
        if keep is not None:
            shutil.copy(raw, keep)
    return summarise(raw.read_text(), kind, connections, row)


def summarise(collapsed: str, kind: str, connections: int, row: Row) -> str:
    """The collapsed stacks as shares: by part (of the innermost frame that has one) and a few inclusive ones."""
    parts: Counter[str] = Counter()
    marked: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        calls = stack.split(";")
        part = next((label for f in reversed(calls) for label, pieces in PARTS if any(p in f for p in pieces)), "other")
        parts[part] += n
        for label, piece in MARKERS:
            if any(piece in f for f in calls):
                marked[label] += n
    if not total:
        return "profile: no samples"
    lines = [
        f"profile of {kind} at {connections} connections, one worker, py-spy --gil ({row.rate:.0f}/s while sampled; "
        f"{total} GIL-holding samples), by the part of the innermost frame:"
    ]
    lines += [f"  {share / total:6.1%}  {label}" for label, share in parts.most_common()]
    lines.append("  inclusive:")
    lines += [f"  {marked[label] / total:6.1%}  {label}" for label, _ in MARKERS]
    return "\n".join(lines)


TARGETS = (
    "at 16 connections: every command ≥ 0.5× the trivial app, the audited read ≥ 0.6×, /healthz ≥ 0.8×, "
    "p99 < 50 ms; one connection's receive p50 < 5 ms; no errors at 64"
)


def verdicts(rows: list[Row]) -> list[str]:
    """Each target against the rows: met or missed, per worker count."""
    out = []
    ceiling = {(r.workers, r.connections): r.rate for r in rows if r.server == "trivial"}
    for r in rows:
        if r.server != "yousu":
            continue
        base = ceiling.get((r.workers, r.connections)) or 0.0
        ratio = r.rate / base if base else 0.0
        if r.connections == 16:
            floor = {"healthz": 0.8, "read": 0.6}.get(r.kind, 0.5)
            ok = ratio >= floor and r.p99 < 50
            out.append(
                f"{'met   ' if ok else 'MISSED'} {r.kind} ×{r.workers} at 16: {ratio:.2f}× the trivial app "
                f"(target ≥ {floor}), p99 {r.p99:.1f} ms (target < 50)"
            )
        if r.connections == 1 and r.kind == "receive":
            ok = r.p50 < 5
            out.append(f"{'met   ' if ok else 'MISSED'} receive ×{r.workers} at 1: p50 {r.p50:.1f} ms (target < 5)")
        if r.connections == 64:
            ok = r.errors == 0 and not r.fallback
            out.append(f"{'met   ' if ok else 'MISSED'} {r.kind} ×{r.workers} at 64: {r.errors} errors")
    return out


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table, each against the trivial app and /healthz at the same workers and connections."""
    ceiling = {(r.workers, r.connections): r.rate for r in rows if r.server == "trivial"}
    healthz = {(r.workers, r.connections): r.rate for r in rows if r.server == "yousu" and r.kind == "healthz"}
    lines = [
        "| kind | connections | workers | req/s | p50 ms | p99 ms | errors | × trivial app | × /healthz | note |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        key = (r.workers, r.connections)
        vs_trivial = f"{r.rate / ceiling[key]:.2f}" if ceiling.get(key) else "—"
        vs_healthz = f"{r.rate / healthz[key]:.2f}" if healthz.get(key) and r.server == "yousu" else "—"
        name = "trivial FastAPI app" if r.server == "trivial" else r.kind
        lines.append(
            f"| {name} | {r.connections} | {r.workers} | {r.rate:.0f} | {r.p50:.1f} | {r.p99:.1f} "
            f"| {r.errors}/{r.requests} | {vs_trivial} | {vs_healthz} | {r.note} |"
        )
    return "\n".join(lines)


def ints(text: str) -> list[int]:
    """``1,16,64`` → [1, 16, 64]."""
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> None:
    """Measure, then print the table, the targets, the profile and any error samples."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", required=True, help="the store (PostgreSQL for the published figures)")
    p.add_argument("--connections", type=ints, default=[1, 16, 64])
    p.add_argument("--workers", type=ints, default=[1, 2])
    p.add_argument("--duration", type=float, default=10.0, help="seconds per row (≥ 10 for published figures)")
    p.add_argument("--kinds", default=",".join(k for k in KINDS if k != "healthz"), help="subset of the kinds")
    p.add_argument("--no-profile", action="store_true", help="skip the py-spy profile of the slowest command")
    p.add_argument("--profile-out", type=Path, default=None, help="keep py-spy's collapsed stacks in this file")
    args = p.parse_args()
    kinds = [k for k in args.kinds.split(",") if k and k != "healthz"]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        p.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    store = store_kind(args.database_url)
    workers = [w for w in args.workers if w == 1 or store == "postgresql"]
    wrk = ensure_wrk()
    version = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False).stdout.splitlines()
    load1, load5, load15 = os.getloadavg()
    print(
        f"{datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()} {os.cpu_count()} CPUs (shared), "
        f"load average {load1:.1f} {load5:.1f} {load15:.1f} at start, Python {platform.python_version()}, "
        f"{(version or ['wrk'])[0].split(' [')[0]}; {store}; {args.duration:g} s per row"
    )
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="yousu-bench-") as tmp:
        work = Path(tmp)
        for w in workers:
            rows += measure_trivial(wrk, w, args.connections, args.duration, work)
            rows += measure_yousu(wrk, args.database_url, w, args.connections, kinds, args.duration, work)[0]
        print(table(rows))
        if store != "postgresql" or len(workers) < len(args.workers):
            print("`serve --workers 2` on the embedded SQLite default is refused (one writer): one worker only")
        print(f"\ntargets ({TARGETS}):")
        for line in verdicts(rows):
            print(f"  {line}")
        commands = [r for r in rows if r.server == "yousu" and r.kind in COMMANDS and r.workers == workers[0]]
        at = 16 if 16 in args.connections else max(args.connections)
        slowest = min((r for r in commands if r.connections == at), key=lambda r: r.rate, default=None)
        if slowest is not None and not args.no_profile:
            print()
            print(profile(wrk, args.database_url, slowest.kind, at, args.duration, work, args.profile_out))
    for r in rows:
        if r.sample:
            print(f"error sample ({r.kind}, {r.connections} connections, {r.workers} workers): {r.sample}")


if __name__ == "__main__":
    main()
