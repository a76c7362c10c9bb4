"""Limits on a real ``yousu serve`` process: a 200 MB upload without a token is refused after about
``YOUSU_MAX_BODY_BYTES`` and the server's memory stays flat; refusals keep the keep-alive connection."""

from __future__ import annotations

import json
import select
import socket
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from domain.values import Role
from tests.e2e.conftest import Server
from tests.support import auth

UPLOAD = 200 * 1024 * 1024
CHUNK = 1024 * 1024
LIMIT = 1024 * 1024


@pytest.fixture
def sqlite_server(server_factory: Callable[..., Server], tmp_path: Path) -> Server:
    return server_factory(f"sqlite:///{tmp_path / 'yousu.db'}", YOUSU_MAX_BODY_BYTES=str(LIMIT))


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    pytest.skip("no /proc/<pid>/status here")


def connect(server: Server) -> socket.socket:
    url = urlsplit(server.base_url)
    s = socket.create_connection((url.hostname, url.port), timeout=10)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    return s


def read_response(s: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response with a Content-Length body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        assert chunk, f"connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    while len(body) < int(headers.get("content-length", "0")):
        chunk = s.recv(65536)
        assert chunk
        body += chunk
    return int(status_line.split()[1]), headers, body


def test_200_mb_chunked_upload_without_token_is_refused_early(sqlite_server: Server) -> None:
    pid = sqlite_server.process.pid
    before = rss_bytes(pid)
    s = connect(sqlite_server)
    s.sendall(
        b"POST /v1/complaints HTTP/1.1\r\nHost: yousu\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = f"{CHUNK:x}\r\n".encode() + b"x" * CHUNK + b"\r\n"
    sent = 0
    answered = False
    try:
        while sent < UPLOAD:
            readable, _, _ = select.select([s], [], [], 0)
            if readable:
                answered = True
                break
            s.sendall(chunk)
            sent += CHUNK
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server closed the connection: it stopped reading
    status, headers, body = read_response(s)
    s.close()
    assert status == 413, body
    assert headers["content-type"].startswith("application/problem+json")
    assert b"body_too_large" in body
    assert answered or sent < UPLOAD
    assert sent <= 32 * CHUNK, f"the client could push {sent} bytes: the server kept reading"
    assert rss_bytes(pid) - before < 30 * 1024 * 1024  # nowhere near the 200 MB offered


def test_declared_200_mb_body_is_refused_before_reading(sqlite_server: Server) -> None:
    s = connect(sqlite_server)
    s.sendall(
        b"POST /v1/complaints HTTP/1.1\r\nHost: yousu\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {UPLOAD}\r\n\r\n".encode()
    )
    status, headers, body = read_response(s)  # answered with no byte of the body sent
    s.close()
    assert status == 413
    assert headers["connection"] == "close"
    assert b"body_too_large" in body


@pytest.mark.parametrize(
    "bad",
    [
        "/v1/ledger?offset=100000000000000000000",
        "/v1/sla/overdue?offset=100000000000000000000",
        "/v1/ledger?q=a%00b",
        "/v1/metrics?from=0001-01-01&to=9999-12-31",
        "/v1/calendar/due?from=9999-12-31T10:00%2B08:00&working_days=1",
    ],
)
def test_refusal_keeps_the_keep_alive_connection(sqlite_server: Server, bad: str) -> None:
    token = auth("liaison")["Authorization"]
    s = connect(sqlite_server)
    request = "GET {} HTTP/1.1\r\nHost: yousu\r\nAuthorization: {}\r\n\r\n"
    s.sendall(request.format(bad, token).encode())
    status, headers, body = read_response(s)
    assert status == 422, body
    assert headers["content-type"].startswith("application/problem+json")
    s.sendall(request.format("/v1/reference", token).encode())  # the same connection
    status, _, _ = read_response(s)
    s.close()
    assert status == 200
    assert "Traceback" not in sqlite_server.stderr()


def test_a_100_kb_search_query_is_a_413_problem(sqlite_server: Server) -> None:
    # sent in pieces, as a real network delivers it: the server must not give up on the request line with a
    # plain-text 400 before the app can answer
    query = "物业费" * 11_000  # 99,000 bytes of UTF-8, three times that percent-encoded
    token = auth(Role.analyst)["Authorization"]
    request = f"GET /v1/knowledge?q={quote(query)} HTTP/1.1\r\nHost: yousu\r\nAuthorization: {token}\r\n\r\n".encode()
    s = connect(sqlite_server)
    for i in range(0, len(request), 8192):
        s.sendall(request[i : i + 8192])
    status, headers, body = read_response(s)
    assert status == 413, body[:300]
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["code"] == "query_too_large"
    assert "查询内容过长" in problem["detail"]
    s.close()
