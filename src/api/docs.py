"""/docs (Swagger UI) and /redoc served from assets installed with the package, so they work without internet.

Each page carries its own Content-Security-Policy: scripts only from this server, plus Swagger UI's
inline start-up script by its hash (no 'unsafe-inline' script); inline styles, which both UIs set.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

# fastapi-offline ships Swagger UI 5 (OpenAPI 3.1, which FastAPI emits) and ReDoc 2; we only use its files.
ASSETS = files("fastapi_offline") / "static"
ASSETS_URL = "/docs-assets"
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def with_policy(page: HTMLResponse) -> HTMLResponse:
    """``page`` with a CSP allowing its own inline scripts by hash, and only this server's resources."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in INLINE_SCRIPT.findall(page.body)
    )
    page.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
    return page


def add_docs(app: FastAPI, *, openapi_url: str = "/openapi.json") -> None:
    """Mount the assets and add the two documentation pages (left out of the schema)."""
    app.mount(ASSETS_URL, StaticFiles(directory=str(ASSETS)), name="docs-assets")
    favicon = f"{ASSETS_URL}/favicon.png"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return with_policy(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=f"{app.title} — Swagger UI",
                swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
                swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
                swagger_favicon_url=favicon,
                oauth2_redirect_url=None,
            )
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return with_policy(
            get_redoc_html(
                openapi_url=openapi_url,
                title=f"{app.title} — ReDoc",
                redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
                redoc_favicon_url=favicon,
                with_google_fonts=False,
            )
        )
