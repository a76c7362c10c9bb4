"""Command throughput of a real `yousu serve`: requests/s, p50/p99 and errors per command kind.

For each store (``--database-url``, repeatable) and worker count (``--workers 1,2``) this starts
``yousu serve --workers W`` as its own process, prepares complaints in the state each command needs
through the API (receive → classify → sign → sign feeds ``dispatch``; receive → classify ``general``
feeds ``resolve``), then drives every kind at each client count (``--clients 1,16,64``) from this
process with asyncio + httpx, each client sending its next request when the last one answered.
``/healthz`` is measured in the same run against the same server: the ratio says how far a command
falls short of what uvicorn + FastAPI answer here at all. The embedded SQLite default runs its
background work inside ``serve`` and so refuses more than one worker; those rows say so.

Usage: python bench/commands.py --database-url postgresql://postgres@127.0.0.1:5432/DB \\
       --database-url sqlite:////tmp/bench.db [--clients 1,16,64] [--workers 1,2] [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
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
KINDS = ("healthz", "receive", "classify", "sign", "dispatch", "resolve", "read", "history")
PREP_CLIENTS = 16
PREP_ROUNDS = 10
GENERATORS = 4
CLIENTS_PER_GENERATOR = 16
WARM_UP = 50
STARTUP_SECONDS = 60.0
INTAKE = {
    "channel": "window",
    "content": "压测诉求：营业执照变更被拖延",
    "category": "market_regulation",
    "complainant": {"type": "person", "name": "张三丰", "phone": "13812345678"},
}


def headers(role: Role) -> dict[str, str]:
    """A bearer header for ``role`` (the server is started with the bench secret)."""
    token = mint_token(
        secret=SECRET,
        sub=f"bench-{role.value}",
        name="压测",
        roles=[role],
        department=None,
        now=datetime.now(tz=UTC),
    )
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Call:
    """One request and the status that counts as success."""

    method: str
    url: str
    role: Role | None = None
    body: dict[str, Any] | None = None
    expect: int = 200


@dataclass
class Cell:
    """One measured row."""

    kind: str
    clients: int
    workers: int
    store: str
    rate: float = 0.0
    p50: float = 0.0
    p99: float = 0.0
    errors: int = 0
    done: int = 0
    note: str = ""
    samples: list[str] = field(default_factory=list)


class Load:
    """An asyncio load generator: ``clients`` connections, each sending its next request on an answer."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.auth = {r: headers(r) for r in (Role.window_clerk, Role.duty_officer, Role.duty_leader)}

    async def run(
        self, calls: list[Call], clients: int, gate: Callable[[], object] | None = None
    ) -> tuple[float, list[float], list[str], list[Any]]:
        """Send ``calls`` with ``clients`` concurrent clients: wall time, latencies (ms), errors, bodies.

        ``gate`` (blocking) is passed once every connection is open, just before the clock starts.
        """
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        latencies: list[float] = []
        errors: list[str] = []
        bodies: list[Any] = [None] * len(calls)
        queue = iter(enumerate(calls))
        ready = asyncio.Barrier(clients + 1)
        async with httpx.AsyncClient(base_url=self.base_url, limits=limits, timeout=60.0) as http:

            async def client() -> None:
                # open this client's connection before the clock starts: rows measure requests, not handshakes
                with contextlib.suppress(httpx.HTTPError):
                    await http.get("/healthz")
                await ready.wait()
                for i, call in queue:
                    hdrs = self.auth[call.role] if call.role is not None else {}
                    start = time.perf_counter()
                    try:
                        r = await http.request(call.method, call.url, json=call.body, headers=hdrs)
                    except httpx.HTTPError as exc:
                        errors.append(type(exc).__name__)
                        continue
                    latencies.append((time.perf_counter() - start) * 1000)
                    if r.status_code != call.expect:
                        errors.append(f"{r.status_code} {problem_code(r)}")
                    elif r.headers.get("content-type", "").startswith("application/json"):
                        bodies[i] = r.json()

            tasks = [asyncio.create_task(client()) for _ in range(clients)]
            if gate is not None:  # connections open, clients held at the barrier until the gate opens
                await asyncio.to_thread(gate)
            await ready.wait()
            start = time.perf_counter()
            await asyncio.gather(*tasks)
            wall = time.perf_counter() - start
        return wall, latencies, errors, bodies

    def prepare(self, calls: list[Call]) -> list[Any]:
        """Send preparation calls, resending the refused ones (two workers' intakes collide: 503)."""
        bodies: list[Any] = [None] * len(calls)
        for _ in range(PREP_ROUNDS):
            todo = [i for i, b in enumerate(bodies) if b is None]
            if not todo:
                return bodies
            _, _, _, answers = asyncio.run(self.run([calls[i] for i in todo], PREP_CLIENTS))
            for i, body in zip(todo, answers, strict=True):
                bodies[i] = body
        failed = sum(b is None for b in bodies)
        msg = f"preparation failed: {failed} of {len(calls)} calls refused {PREP_ROUNDS} times"
        raise RuntimeError(msg)


def _generator(base_url: str, calls: list[Call], clients: int, gate: Any, out: Any) -> None:
    """One load-generator process: its share of the clients, started with the others at ``gate``."""
    out.put(asyncio.run(Load(base_url).run(calls, clients, gate.wait))[:3])


def drive(load: Load, calls: list[Call], clients: int) -> tuple[float, list[float], list[str]]:
    """``calls`` from ``clients`` clients, spread over up to GENERATORS processes of CLIENTS_PER_GENERATOR.

    One asyncio process with 64 httpx connections is itself the bottleneck on a small machine
    (measured here: 64 clients in one process answered fewer /healthz per second than 16).
    """
    procs = max(1, min(GENERATORS, clients // CLIENTS_PER_GENERATOR))
    if procs == 1:
        return asyncio.run(load.run(calls, clients))[:3]
    ctx = multiprocessing.get_context("fork")  # children inherit the imports; no event loop runs here
    gate, out = ctx.Barrier(procs), ctx.Queue()
    shares = [(calls[i::procs], clients // procs + (1 if i < clients % procs else 0)) for i in range(procs)]
    workers = [ctx.Process(target=_generator, args=(load.base_url, c, n, gate, out)) for c, n in shares]
    for w in workers:
        w.start()
    results = [out.get(timeout=600) for _ in workers]
    for w in workers:
        w.join()
    return (
        max(r[0] for r in results),
        [x for r in results for x in r[1]],
        [x for r in results for x in r[2]],
    )


def problem_code(r: httpx.Response) -> str:
    """The problem's stable ``code`` (or the start of the body)."""
    try:
        return str(r.json().get("code"))
    except ValueError:
        return r.text[:80]


def receive() -> Call:
    """One window intake."""
    return Call("POST", "/v1/complaints", Role.window_clerk, INTAKE, 201)


def command(cid: str, name: str, role: Role, body: dict[str, Any]) -> Call:
    """A command on complaint ``cid``."""
    return Call("POST", f"/v1/complaints/{cid}/{name}", role, body)


CLASSIFY_COMPLEX = {"classification": "cannot_do", "reason": "政策不允许"}
CLASSIFY_GENERAL = {"classification": "general", "reason": "当场可办"}
DISPATCH = {"departments": ["housing"], "supervisor": "bench-supervisor", "instructions": ""}


class Pools:
    """Complaints prepared in the state each command needs, consumed in order."""

    def __init__(self, load: Load, size: int) -> None:
        def ids(bodies: list[Any]) -> list[str]:
            return [b["id"] for b in bodies]

        received = ids(load.prepare([receive() for _ in range(4 * size)]))
        to_classify, for_sign, for_dispatch, for_resolve = (received[i * size : (i + 1) * size] for i in range(4))
        load.prepare(
            [command(c, "classify", Role.window_clerk, CLASSIFY_COMPLEX) for c in for_sign + for_dispatch]
            + [command(c, "classify", Role.window_clerk, CLASSIFY_GENERAL) for c in for_resolve]
        )
        load.prepare([command(c, "sign", Role.duty_officer, {}) for c in for_dispatch])
        load.prepare([command(c, "sign", Role.duty_leader, {}) for c in for_dispatch])
        self.queues: dict[str, Iterator[str]] = {
            "classify": iter(to_classify),
            "sign": iter(for_sign),
            "dispatch": iter(for_dispatch),
            "resolve": iter(for_resolve),
        }
        self.readable = received[: max(1, min(50, size))]

    def calls(self, kind: str, n: int) -> list[Call]:
        """``n`` requests of ``kind``."""
        makers: dict[str, Callable[[int], Call]] = {
            "healthz": lambda _: Call("GET", "/healthz"),
            "receive": lambda _: receive(),
            "classify": lambda _: command(
                next(self.queues["classify"]), "classify", Role.window_clerk, CLASSIFY_COMPLEX
            ),
            "sign": lambda _: command(next(self.queues["sign"]), "sign", Role.duty_officer, {}),
            "dispatch": lambda _: command(next(self.queues["dispatch"]), "dispatch", Role.duty_leader, DISPATCH),
            "resolve": lambda _: command(
                next(self.queues["resolve"]), "resolve", Role.window_clerk, {"result": "当场办结"}
            ),
            # reads of personal information (clerk) and of the history (leader) are audited:
            # each commits an access record
            "read": lambda i: Call("GET", f"/v1/complaints/{self.readable[i % len(self.readable)]}", Role.window_clerk),
            "history": lambda i: Call(
                "GET", f"/v1/complaints/{self.readable[i % len(self.readable)]}/history", Role.duty_leader
            ),
        }
        return [makers[kind](i) for i in range(n)]


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
def serve(database_url: str, workers: int, log_dir: Path) -> Iterator[str]:
    """A `yousu serve --workers N` process on ``database_url``; its JSON log goes to a file."""
    port = free_port()
    env = {
        **os.environ,
        "YOUSU_DATABASE_URL": database_url,
        "YOUSU_AUTH_SECRET": SECRET,
        "YOUSU_CIPHER_KEY": CIPHER_KEY,
        "YOUSU_LOG_LEVEL": "INFO",  # the request log is part of what a request costs in production
        "YOUSU_SIGNING_MODE": "roles_only",  # the benchmark keeps no duty roster: any holder of the role signs
    }
    yousu = Path(sys.executable).with_name("yousu")
    log_path = log_dir / f"serve-{store_kind(database_url)}-{workers}.log"
    with log_path.open("wb") as log:
        cmd = [str(yousu), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                msg = f"yousu serve exited with {proc.returncode}: {log_path.read_text(errors='replace')[-2000:]}"
                raise RuntimeError(msg)
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                msg = f"yousu serve not healthy after {STARTUP_SECONDS} s"
                raise RuntimeError(msg)
            time.sleep(0.2)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def measure(load: Load, pools: Pools, kind: str, clients: int, n: int, cell: Cell) -> Cell:
    """Run ``n`` requests of ``kind`` at ``clients`` and fill ``cell``."""
    wall, latencies, errors = drive(load, pools.calls(kind, n), clients)
    latencies.sort()
    cell.done = len(latencies)
    cell.rate = (cell.done - len(errors)) / wall if wall > 0 else 0.0
    cell.p50 = statistics.median(latencies) if latencies else 0.0
    cell.p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0.0
    cell.errors = len(errors)
    cell.samples = sorted(set(errors))[:3]
    return cell


def per_row(n: int, clients: int) -> int:
    """Requests in one row: at least ``n``, and three per client so every client is busy for a while."""
    return max(n, 3 * clients)


def run_store(url: str, workers: int, clients: list[int], kinds: list[str], n: int, log_dir: Path) -> list[Cell]:
    """Every kind at every client count against one server."""
    store = store_kind(url)
    if workers > 1 and store == "sqlite":
        refused = f"`serve --workers {workers}` refused: background threads, one writer"
        return [Cell("all", 0, workers, store, note=refused)]
    cells = []
    with serve(url, workers, log_dir) as base_url:
        load = Load(base_url)
        started = time.perf_counter()
        load.prepare([Call("GET", "/healthz")] * WARM_UP)  # every worker's first requests are slow
        pools = Pools(load, sum(per_row(n, c) for c in clients))
        print(f"  {store} × {workers} worker(s): prepared in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        for kind in kinds:
            for c in clients:
                cells.append(measure(load, pools, kind, c, per_row(n, c), Cell(kind, c, workers, store)))
                last = cells[-1]
                print(f"  {kind} {c} clients: {last.rate:.0f}/s, {last.errors} errors", file=sys.stderr)
    return cells


def table(cells: list[Cell]) -> str:
    """The results as a Markdown table, each row's ratio against /healthz of the same server and clients."""
    trivial = {(c.store, c.workers, c.clients): c.rate for c in cells if c.kind == "healthz"}
    lines = [
        "| kind | clients | workers | store | req/s | p50 ms | p99 ms | errors | ratio to /healthz |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for c in cells:
        if c.note:
            lines.append(f"| {c.kind} | — | {c.workers} | {c.store} | — | — | — | — | {c.note} |")
            continue
        base = trivial.get((c.store, c.workers, c.clients)) or 0.0
        ratio = f"{c.rate / base:.2f}" if base else "—"
        lines.append(
            f"| {c.kind} | {c.clients} | {c.workers} | {c.store} | {c.rate:.0f} | {c.p50:.1f} | {c.p99:.1f} "
            f"| {c.errors}/{c.done} | {ratio} |"
        )
    return "\n".join(lines)


def ints(text: str) -> list[int]:
    """``1,16,64`` → [1, 16, 64]."""
    return [int(x) for x in text.split(",") if x.strip()]


def main() -> None:
    """Measure, then print the table and any error samples."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", action="append", required=True, help="a store to measure (repeatable)")
    p.add_argument("--clients", type=ints, default=[1, 16, 64])
    p.add_argument("--workers", type=ints, default=[1, 2])
    p.add_argument("--requests", type=int, default=200, help="requests per row (at least 3 per client)")
    p.add_argument("--kinds", default=",".join(KINDS), help=f"subset of {','.join(KINDS)}")
    args = p.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        p.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    if "healthz" not in kinds:
        kinds.insert(0, "healthz")  # every ratio needs it

    load1, load5, load15 = os.getloadavg()
    print(
        f"{datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()} {os.cpu_count()} CPUs, "
        f"load average {load1:.1f} {load5:.1f} {load15:.1f} at start, Python {platform.python_version()}; "
        f"max({args.requests}, 3 × clients) requests per row"
    )
    cells: list[Cell] = []
    with tempfile.TemporaryDirectory(prefix="yousu-bench-") as log_dir:
        for url in args.database_url:
            for w in args.workers:
                cells += run_store(url, w, args.clients, kinds, args.requests, Path(log_dir))
    print(table(cells))
    for c in cells:
        for s in c.samples:
            print(f"error sample ({c.kind}, {c.clients} clients, {c.workers} workers, {c.store}): {s}")


if __name__ == "__main__":
    main()
