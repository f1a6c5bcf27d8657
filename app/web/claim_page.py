"""The learner's claim page (``/claim/{token}``): the link the issuer e-mails.

It shows the credential as its public page does (the same view, verification banner and
LinkedIn link), its downloads, and a QR code and a button per wallet protocol
(:mod:`app.wallets`: OpenID4VCI, and the Learner Credential Wallet's VC-API request). The
*link* expires (``BADGES_CLAIM_LINK_DAYS``) or is revoked; the *credential* does not, and the
page says so, before and after: a dead link answers 410 with a page that says where the
credential still is.

The URL holds a bearer secret, so the page is never cached or indexed and sends no referrer
(its LinkedIn and wallet links must not carry the token away); the access log redacts it
(:mod:`app.core.log_redaction`). Downloads go through the token too
(``/claim/{token}/credential.json`` …), so they work even when the learner hid the public page.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.core.context import AppContext
from app.core.db import READ_ONLY
from app.core.errors import NotFound
from app.core.urls import credential_url
from app.credentials import service as credentials
from app.models import Credential, Offer
from app.offers import service as offers
from app.offers import wallets
from app.web import i18n
from app.web.brand import brand_of
from app.web.credential_page import (
    PageUrls,
    banner_text,
    base_url,
    cached_report,
    linkedin_url,
)
from app.web.downloads import baked_badge
from app.web.error_pages import wants_html
from app.web.languages import languages_of
from app.web.panel import build_panel
from app.web.qr import svg_data_uri
from app.web.responses import SVG_CSP, html_page
from app.web.templating import render
from app.web.view import credential_view

PRIVATE_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "Cache-Control": "no-store",
}
FILES = {
    "credential.json": "application/vc+ld+json",
    "credential.jwt": "application/vc+jwt",
    "badge.png": "image/png",
    "badge.svg": "image/svg+xml",
}


@dataclass(frozen=True, slots=True)
class WalletOption:
    """One protocol on the page: its QR code (for a wallet on another device) and its link."""

    key: str
    url: str
    qr: str
    alternate: str | None = None


@dataclass(frozen=True, slots=True)
class WalletSection:
    """The wallet part of the page."""

    options: list[WalletOption]
    expires_at: datetime | None
    tx_code_sent: bool


def _private(response: Response) -> Response:
    response.headers.update(PRIVATE_HEADERS)
    return response


def _credential_of(session: Session, offer: Offer) -> Credential | None:
    try:
        return credentials.get_credential(session, offer.issuer_id, offer.credential_id)
    except NotFound:
        return None


def _wallet_section(
    session: Session, context: AppContext, offer: Offer, credential: Credential
) -> WalletSection | None:
    """The wallet links of an active credential, or None (no wallet protocols, or a revoked,
    suspended or expired credential: a wallet would refuse its copy). Nothing is written:
    the links name the offer, and its codes are minted when a wallet opens them."""
    if credentials.credential_state(credential) != "active":
        return None
    links = wallets.wallet_links(session, context, offer)
    if links is None:
        return None
    return WalletSection(
        options=[
            WalletOption("oid4vci", links.oid4vci_offer_url, svg_data_uri(links.oid4vci_offer_url)),
            WalletOption("lcw", links.lcw_url, svg_data_uri(links.lcw_url), links.dcc_url),
        ],
        expires_at=links.expires_at,
        tx_code_sent=links.tx_code_sent,
    )


def _file_urls(token: str, credential: Credential) -> dict[str, str]:
    """The token-scoped downloads the credential has (no JSON for a JWT-only one)."""
    names = ["badge.png", "badge.svg"]
    if credential.proof_format != "jwt":
        names.insert(0, "credential.json")
    if credential.jwt:
        names.insert(1, "credential.jwt")
    return {name: f"/claim/{token}/{name}" for name in names}


def claim_page(request: Request, session: Session, context: AppContext, token: str) -> Response:
    """The claim page (200), the gone page (410), or 404 for a token that never existed."""
    t = i18n.translator_for(request)
    if not session.in_transaction():
        session.connection(execution_options=READ_ONLY)  # a view writes nothing
    offer = offers.offer_for_token(session, token)
    credential = _credential_of(session, offer) if offer is not None else None
    if offer is None or credential is None:
        raise NotFound("This claim link is not valid; check that it was copied whole.")
    if offers.offer_state(offer) != "active":
        return gone_page(request, offer, credential, t)
    wallet = _wallet_section(session, context, offer, credential)
    report, checked_at = cached_report(request, session, credential)
    view = credential_view(_document(credential))
    panel = build_panel(report, valid_from=view.valid_from, now=checked_at)
    page = credential_url(base_url(request), credential.id)
    public = not credential.hidden
    urls = PageUrls(page=page, json=None, jwt=None, og_image=f"{page}/og.png", qr="")
    brand = brand_of(session, credential.issuer_id)
    body = render(
        "claim.html",
        t=t,
        view=view,
        panel=panel,
        banner_text=banner_text(panel, view, credential, t),
        recipient=credential.recipient_name,
        image_src=view.image or f"/claim/{token}/badge.svg",
        languages=languages_of(session, base_url(request), view, t),
        page_url=page if public else None,
        linkedin_url=linkedin_url(view, urls, credential.id) if public and panel.current else None,
        files=_file_urls(token, credential),
        wallet=wallet,
        wallets_installed=wallets.available(),
        link_expires_at=offer.expires_at,
        state=credentials.credential_state(credential),
        brand=brand,
        issuer_name=(brand.name(t.locale) if brand else "") or view.issuer.name,
    )
    response = html_page(request, body.encode("utf-8"), locale=t.locale, cache_control="no-store")
    return _private(response)


def gone_page(
    request: Request, offer: Offer, credential: Credential, t: i18n.Translator
) -> Response:
    """410: the link is dead, the credential is not; the page says where it still is."""
    if not wants_html(request.url.path, request.headers.get("accept", "")):
        raise offers.OfferGone(
            "This claim link has expired or was revoked; the credential itself is unaffected."
        )
    view = credential_view(_document(credential))
    state = credentials.credential_state(credential)
    public = not credential.hidden and state != "revoked"
    body = render(
        "claim_gone.html",
        t=t,
        reason=offers.offer_state(offer),
        when=offer.revoked_at or offer.expires_at,
        credential_name=view.name,
        issuer=view.issuer.name or t("cred.unknown_issuer"),
        state=state,
        revoked_at=credential.revoked_at,
        page_url=credential_url(base_url(request), credential.id) if public else None,
    )
    response = html_page(
        request, body.encode("utf-8"), locale=t.locale, status_code=410, cache_control="no-store"
    )
    return _private(response)


def claim_file(session: Session, token: str, name: str) -> Response:
    """One download of a live offer's credential: the signed JSON or VC-JWT, or a baked badge."""
    offer = offers.offer_for_token(session, token)
    credential = _credential_of(session, offer) if offer is not None else None
    if offer is None or credential is None or name not in FILES:
        raise NotFound("No such file.")
    if offers.offer_state(offer) != "active":
        raise offers.OfferGone(
            "This claim link has expired or was revoked; the credential itself is unaffected."
        )
    files = _file_urls(token, credential)
    if name not in files:
        raise NotFound("This credential has no such form.")
    stem = f"credential-{credential.id}"
    if name == "credential.json":
        body, filename = credential.document.encode("utf-8"), f"{stem}.json"
    elif name == "credential.jwt":
        body, filename = str(credential.jwt).encode("ascii"), f"{stem}.jwt"
    else:
        baked = baked_badge(credential, name.rsplit(".", 1)[1])
        body, filename = baked.body, baked.filename
    response = Response(
        body,
        media_type=FILES[name],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": SVG_CSP,
            "ETag": '"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        },
    )
    return _private(response)


def _document(credential: Credential) -> dict[str, Any]:
    try:
        document = json.loads(credential.document)
    except (TypeError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}
