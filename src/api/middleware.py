"""The one request middleware (pure ASGI): request id, body limit, error boundary, response headers,
then the access log line and the metrics — one layer around routing, authentication and parsing.

Each concern was its own middleware once; every layer wraps ``send`` and ``receive`` again and costs
a little on every request. Here they share one wrapper, in the order they had:

- the request id (``X-Request-Id`` when the client sent a sane one, else a fresh one) is bound first,
  so every answer — the body limit's 413 and the boundary's 500 included — carries it and is logged;
- a body over the limit is refused before anything reads it (Content-Length, or while it streams in);
- an unexpected error becomes a problem+json 500 with the request id, the connection stays usable;
- :func:`response_headers` is the single place for headers every answer carries;
- last, the request is logged (:func:`api.logging.log_request`) and counted (:func:`api.observability.count`)
  with the status the client got.
"""

from __future__ import annotations

import json
import time
import traceback
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.logging import log_request
from api.observability import count
from api.problems import PROBLEM_JSON, TITLES
from api.security_headers import secured

log = structlog.get_logger("yousu.http")

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
MAX_QUERY_BYTES = 16 * 1024  # a query string (search words, filters) longer than this is refused: 413
# What the HTTP server buffers of a request line and headers before the app sees them: above the query limit, so
# an oversized query reaches the app and is refused as a problem (not with the server's plain-text 400).
MAX_REQUEST_HEAD_BYTES = 1024 * 1024


class ResponseAbortedError(Exception):
    """A response failed after its headers were sent: the server must drop the connection.

    Raised without the original exception (``from None``) so that the server's own error line
    carries no message that might quote personal data; our log line has the frames.
    """


def problem_message(status: int, code: str, detail: str, *, request_id: str | None, path: str) -> bytes:
    """A problem+json body, built without the app (these answers are sent from outside it)."""
    body: dict[str, Any] = {
        "type": f"https://yousu.invalid/problems/{code}",
        "title": TITLES.get(status, "错误"),
        "status": status,
        "detail": detail,
        "code": code,
        "instance": path,
    }
    if request_id is not None:
        body["request_id"] = request_id
    return json.dumps(body, ensure_ascii=False).encode()


async def send_problem(send: Send, status: int, body: bytes, *, close: bool = False) -> None:
    """Send a whole problem response (``Connection: close`` when the rest of the request will not be read)."""
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def request_id_of(scope: Scope) -> str | None:
    """The id the middleware gave this request."""
    rid = (scope.get("state") or {}).get("request_id")
    return rid if isinstance(rid, str) else None


def frames(exc: BaseException) -> list[str]:
    """Where an error happened — file, line, function — without its message or locals (they may hold PII)."""
    return [f"{f.filename}:{f.lineno} {f.name}" for f in traceback.extract_tb(exc.__traceback__)]


def response_headers(request_id: str) -> list[tuple[bytes, bytes]]:
    """Headers every answer carries, whoever made it (a route, the body limit's 413, the boundary's 500)."""
    return [(b"x-request-id", request_id.encode())]


def _read_headers(scope: Scope) -> tuple[str, int]:
    """The request id (the client's ``X-Request-Id`` when short plain ASCII, else a fresh one) and the
    declared Content-Length (-1 when absent or not a number), in one pass over the headers."""
    incoming, declared = "", -1
    for name, value in scope.get("headers") or ():
        if name == b"x-request-id":
            incoming = value.decode("latin-1")
        elif name == b"content-length" and value.isdigit():
            declared = int(value)
    request_id = incoming if 0 < len(incoming) <= 64 and incoming.isascii() else uuid.uuid4().hex
    return request_id, declared


class RequestMiddleware:
    """Request id, body limit, error boundary, response headers, access log and metrics in one ASGI layer.

    Body limit: 413 for a body over ``max_bytes``, from Content-Length at once or while a chunked body
    streams in; the refusal closes the connection (the rest of the body is never read), so an oversized
    upload costs at most ``max_bytes`` of memory whoever sends it.

    Error boundary: Starlette's own last-resort handler answers plain text and re-raises to the server,
    which then closes the keep-alive connection. Here the error is logged (type and frames only) and
    answered. If the response had already started (a CSV/XLSX stream), it cannot be answered any more:
    the connection is dropped so that the client sees an incomplete chunked body, never a clean end.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _refusal(self, scope: Scope) -> bytes:
        detail = f"请求体过大：上限为 {self.max_bytes} 字节"
        return problem_message(413, "body_too_large", detail, request_id=request_id_of(scope), path=scope["path"])

    def _early_refusal(self, scope: Scope, request_id: str, declared: int) -> tuple[bytes, bool] | None:
        """A 413 due before the app runs (and whether to close): a query string over ``MAX_QUERY_BYTES``, or a
        declared body over ``max_bytes`` (closed: the body is never read)."""
        if len(scope.get("query_string") or b"") > MAX_QUERY_BYTES:
            detail = f"查询内容过长：查询参数上限为 {MAX_QUERY_BYTES} 字节，请缩短检索词"
            return problem_message(413, "query_too_large", detail, request_id=request_id, path=scope["path"]), False
        if declared > self.max_bytes:
            return self._refusal(scope), True
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id, declared = _read_headers(scope)
        state = scope.setdefault("state", {})
        state["request_id"] = request_id  # for answers made outside the app (500, 413) and the log
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500  # an error that escaped before any answer: the server answers 500 or drops it
        started = refused = False
        received = 0

        async def answer(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                message["headers"] = secured([*message.get("headers", []), *response_headers(request_id)])
            await send(message)

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await send_problem(answer, 413, self._refusal(scope), close=True)
                    # to the app the client is gone: whatever it answers now is dropped
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await answer(message)

        try:
            early = self._early_refusal(scope, request_id, declared)
            if early is not None:
                await send_problem(answer, 413, early[0], close=early[1])
                return
            try:
                await self.app(scope, counting_receive, guarded_send)
            except Exception as exc:
                log.error("unhandled_error", error=type(exc).__name__, frames=frames(exc), response_started=started)
                if started:
                    state["aborted"] = True
                    raise ResponseAbortedError from None
                detail = "服务器内部错误，请稍后重试；如持续出现，请向运维人员提供请求编号"
                message = problem_message(500, "internal_error", detail, request_id=request_id, path=scope["path"])
                await send_problem(answer, 500, message)
        finally:
            seconds = time.perf_counter() - start
            log_request(scope, status, seconds)
            count(scope, status, seconds)
            structlog.contextvars.unbind_contextvars("request_id")
