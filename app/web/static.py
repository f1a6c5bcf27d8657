"""The page assets (one stylesheet, one small script), served with immutable caching.

There is no build step: the files are read once at import, and their URLs carry a content hash
(``/static/app.css?v=3f2a…``), so browsers may cache them for a year and still never see a stale
copy after a deploy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
MEDIA_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class Asset:
    """One static file held in memory."""

    body: bytes
    media_type: str
    version: str


def _load() -> dict[str, Asset]:
    assets: dict[str, Asset] = {}
    for path in sorted(STATIC_DIR.iterdir()):
        if path.suffix in MEDIA_TYPES:
            body = path.read_bytes()
            version = hashlib.sha256(body).hexdigest()[:12]
            assets[path.name] = Asset(body, MEDIA_TYPES[path.suffix], version)
    return assets


ASSETS = _load()


def url(name: str) -> str:
    """The cache-busting URL of asset ``name``."""
    return f"/static/{name}?v={ASSETS[name].version}"
