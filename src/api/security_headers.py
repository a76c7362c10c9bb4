"""Security headers on every response: ``nosniff`` always, a Content-Security-Policy on every HTML page.

A page that needs more than the strict default (the console's scripts, Swagger UI's start-up script) sends
its own policy, which is kept; any other HTML (the printable case, an error page) gets ``HTML_CSP``: no
script at all, its own inline styles, nothing framed, no form posting elsewhere.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

NOSNIFF = (b"x-content-type-options", b"nosniff")
HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


class SecurityHeadersMiddleware:
    """Adds ``X-Content-Type-Options: nosniff`` to every response, and ``HTML_CSP`` to HTML without a policy."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = secured(list(message.get("headers") or []))
            await send(message)

        await self.app(scope, receive, with_headers)


def secured(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` with nosniff, and the default policy when they describe HTML that has none."""
    names = {name.lower() for name, _ in headers}
    out = list(headers)
    if NOSNIFF[0] not in names:
        out.append(NOSNIFF)
    content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
    if content_type.lower().startswith(b"text/html") and b"content-security-policy" not in names:
        out.append((b"content-security-policy", HTML_CSP.encode()))
    return out
