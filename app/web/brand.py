"""The issuer's brand on its credentials' public pages: name in the page language, logo, colours.

A credential page leads with the university that issued it, as Credly's and Accredible's do:
the header carries the issuer's logo and name (in the page's language when the issuer
registered one) on its ``brandColor``, and the accent colour marks the badge's frame. The
colours were contrast-checked when they were set (:mod:`app.issuers.colors`: white text on the
brand colour ≥ 4.5:1, the accent ≥ 3:1 on white), so the page can use them as given.

Read once per cold page and kept per worker for a minute (:data:`app.hot.public.page_brands`);
an issuer's change clears this worker's copy at once.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from app.core.errors import AppError
from app.hot import public as hot
from app.issuers import service as issuers


@dataclass(frozen=True, slots=True)
class Brand:
    """What a page shows of its issuer's identity."""

    issuer_id: uuid.UUID
    names: dict[str, str]
    default_language: str
    url: str | None
    logo: str | None
    """The logo's path with its digest as a version (``/issuers/{id}/logo?v=…``): immutable."""
    color: str | None
    accent: str | None
    stylesheet: str | None
    """``/issuers/{id}/brand.css?v=…`` when the issuer set colours (CSP: no inline style)."""

    def name(self, locale: str) -> str:
        """The issuer's name in ``locale`` (or the same language), else its default name."""
        primary = locale.split("-")[0].lower()
        for tag, text in self.names.items():
            if tag == locale:
                return text
        for tag, text in self.names.items():
            if tag.split("-")[0].lower() == primary:
                return text
        return self.names.get(self.default_language) or next(iter(self.names.values()), "")


def _read(session: Any, issuer_id: uuid.UUID) -> Brand | None:
    try:
        issuer = issuers.get_issuer(session, issuer_id)
    except AppError:
        return None
    names = {
        tag: str(texts["name"]) for tag, texts in issuer.translations.items() if texts.get("name")
    }
    logo = f"/issuers/{issuer.id}/logo?v={issuer.logo_digest[:16]}" if issuer.logo_digest else None
    if logo is None and (issuer.image or "").startswith("https://"):
        logo = issuer.image
    return Brand(
        issuer_id=issuer.id,
        names=names,
        default_language=issuer.default_language,
        url=issuer.url,
        logo=logo,
        color=issuer.brand_color,
        accent=issuer.accent_color,
        stylesheet=(
            f"/issuers/{issuer.id}/brand.css?v={issuers.brand_version(issuer)}"
            if issuer.brand_color or issuer.accent_color
            else None
        ),
    )


def brand_of(session: Any, issuer_id: uuid.UUID | None) -> Brand | None:
    """The brand of ``issuer_id`` (cached per worker), or None for an unknown issuer."""
    if issuer_id is None:
        return None
    hit = hot.page_brands.get(issuer_id)
    if hit is not None:
        cached: Brand | None = hit[0]
        return cached
    brand = _read(session, issuer_id)
    hot.page_brands.put(issuer_id, (brand,), hot.BRAND_TTL_S)
    return brand
