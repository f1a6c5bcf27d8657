"""``/docs`` and ``/redoc`` that work offline: their scripts and styles are served by the service.

FastAPI's default pages load Swagger UI and ReDoc from a CDN (jsDelivr), so ``/docs`` is blank
without Internet access and unreliable from mainland China. The same assets come from the
``fastapi-offline`` package (a maintained pip package that ships current Swagger UI 5 and
ReDoc builds); they are read once and served under ``/static/docs/`` with their content hash
in the URL, cached for a year.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse, Response

from app.core.errors import NotFound

ASSET_DIR = Path(fastapi_offline.__file__).parent / "static"
PREFIX = "/static/docs"
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
}


@dataclass(frozen=True, slots=True)
class DocsAsset:
    """One file of the documentation pages, held in memory."""

    body: bytes
    media_type: str
    etag: str


def _load() -> dict[str, DocsAsset]:
    assets = {}
    for path in sorted(ASSET_DIR.iterdir()):
        if path.suffix in MEDIA_TYPES:
            body = path.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            assets[path.name] = DocsAsset(body, MEDIA_TYPES[path.suffix], etag)
    return assets


ASSETS = _load()


def asset_url(name: str) -> str:
    """The cache-busting URL of asset ``name``."""
    return f"{PREFIX}/{name}?v={ASSETS[name].etag.strip(chr(34))}"


def install_docs(app: FastAPI) -> None:
    """Add ``/docs``, ``/docs/oauth2-redirect``, ``/redoc`` and their assets to ``app``.

    ``app`` must be built with ``docs_url=None, redoc_url=None`` (FastAPI's CDN pages off).
    """
    title = f"{app.title} – API"
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=title,
            swagger_js_url=asset_url("swagger-ui-bundle.js"),
            swagger_css_url=asset_url("swagger-ui.css"),
            swagger_favicon_url=asset_url("favicon.png"),
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=title,
            redoc_js_url=asset_url("redoc.standalone.js"),
            redoc_favicon_url=asset_url("favicon.png"),
            with_google_fonts=False,
        )

    @app.get(PREFIX + "/{name}", include_in_schema=False)
    async def docs_asset(name: str, request: Request) -> Response:
        asset = ASSETS.get(name)
        if asset is None:
            raise NotFound("No such asset.")
        headers = {
            "ETag": asset.etag,
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        }
        if asset.etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        return Response(asset.body, media_type=asset.media_type, headers=headers)
