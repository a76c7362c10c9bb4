"""Pure ASGI middleware: refuse oversized bodies before anything reads them; no error escapes as plain text.

Both sit inside the request log (so their answers carry the request id and are logged) and outside
routing, authentication and body parsing.
"""

from __future__ import annotations

import json
import traceback
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import PROBLEM_JSON, TITLES

log = structlog.get_logger("yousu.http")

DEFAULT_MAX_BODY_BYTES = 1024 * 1024


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
    """The id the request log gave this request."""
    rid = (scope.get("state") or {}).get("request_id")
    return rid if isinstance(rid, str) else None


def frames(exc: BaseException) -> list[str]:
    """Where an error happened — file, line, function — without its message or locals (they may hold PII)."""
    return [f"{f.filename}:{f.lineno} {f.name}" for f in traceback.extract_tb(exc.__traceback__)]


class ErrorBoundaryMiddleware:
    """Any unexpected error becomes a problem+json 500 with the request id; the connection stays usable.

    Starlette's own last-resort handler answers plain text and re-raises to the server, which then
    closes the keep-alive connection. Here the error is logged (type and frames only) and answered.
    If the response had already started (a CSV/XLSX stream), it cannot be answered any more: the
    connection is dropped so that the client sees an incomplete chunked body, never a clean end.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error("unhandled_error", error=type(exc).__name__, frames=frames(exc), response_started=started)
            if started:
                scope.setdefault("state", {})["aborted"] = True
                raise ResponseAbortedError from None
            detail = "服务器内部错误，请稍后重试；如持续出现，请向运维人员提供请求编号"
            rid = request_id_of(scope)
            await send_problem(
                send, 500, problem_message(500, "internal_error", detail, request_id=rid, path=scope.get("path", ""))
            )


class BodyLimitMiddleware:
    """413 for a body over ``max_bytes``: from Content-Length at once, or while a chunked body streams in.

    Runs before authentication and parsing, so an oversized upload costs at most ``max_bytes`` of
    memory whoever sends it. The refusal closes the connection: the rest of the body is never read.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _refusal(self, scope: Scope) -> bytes:
        detail = f"请求体过大：上限为 {self.max_bytes} 字节"
        return problem_message(413, "body_too_large", detail, request_id=request_id_of(scope), path=scope["path"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await send_problem(send, 413, self._refusal(scope), close=True)
            return
        received = 0
        refused = False
        started = False

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
                        await send_problem(send, 413, self._refusal(scope), close=True)
                    # to the app the client is gone: whatever it answers now is dropped
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)
