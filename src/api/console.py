"""Serve the built staff console (console/dist) at `/`, with the single-page fallback to index.html."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from api.problems import problem

# paths the API owns: never answered with the console's index.html
API_PREFIXES = ("v1/", "docs", "redoc", "openapi.json", "healthz", "readyz")

# Element Plus sets inline styles; ECharts' "save as image" makes data: URLs. No inline or foreign scripts.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HTML_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",  # index.html names the hashed bundles: always revalidate it
}


def mount_console(app: FastAPI, dist_dir: Path) -> None:
    """Serve ``dist_dir`` at `/`; unknown non-API paths get index.html (client-side routes). Call it last."""
    dist = dist_dir.resolve()
    index = dist / "index.html"
    if not index.is_file():
        msg = f"console not built: {index} is missing (run `npm ci && npm run build` in console/)"
        raise FileNotFoundError(msg)
    if (dist / "assets").is_dir():
        # hashed file names: safe to cache for long
        app.mount("/assets", StaticFiles(directory=dist / "assets"), name="console-assets")

    @app.get("/{path:path}", include_in_schema=False)
    def console(path: str, request: Request) -> Response:
        if path.startswith(API_PREFIXES):
            return problem(404, "not_found", "未找到该接口", request=request)
        candidate = (dist / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(dist):
            return FileResponse(candidate)
        return FileResponse(index, headers=HTML_HEADERS)
