"""What the account page (``/account``, "My credentials") shows, and its downloads.

Every credential issued on this service to one of the account's verified addresses (of every
issuer) and every hosted one (uploaded, or upserted by an app), each as a card with its state in
words and an icon, its downloads, hide/show and a way to a wallet (a claim link,
:mod:`app.offers`). Hidden ones are listed apart, to be shown again.

Other parts of the service add sections to the page through :data:`SECTIONS` (the apps the
learner authorized, :mod:`app.obapi`): each is called with the session and the account and its
result reaches the template as ``sections[name]`` (``account_apps.html`` shows ``apps``).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts import hosted as hosted_store
from app.accounts import service as accounts
from app.core.errors import NotFound
from app.core.urls import credential_url
from app.credentials import service as credentials
from app.models import Credential, HostedCredential, LearnerAccount, LearnerEmail
from app.web.downloads import baked_badge
from app.web.learner_page import STATE_ICON, STATE_TONE

SECTIONS: dict[str, Callable[[Session, LearnerAccount], Any]] = {}
"""Extra sections of the page by name (``apps``: the authorized apps), filled at import by
the packages that own them."""

FILES = {
    "credential.json": "application/vc+ld+json",
    "credential.jwt": "application/vc+jwt",
    "badge.png": "image/png",
}
PRIVATE = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}


@dataclass(frozen=True, slots=True)
class Download:
    label: str
    href: str


@dataclass(frozen=True, slots=True)
class Card:
    """One credential of the account."""

    kind: str  # "issued" or "hosted"
    id: uuid.UUID
    name: str
    language: str | None
    issuer: str | None
    valid_from: datetime | None
    valid_until: datetime | None
    state: str
    icon: str
    tone: str
    hidden: bool
    url: str | None
    downloads: list[Download]
    offerable: bool
    source: str | None


@dataclass(frozen=True, slots=True)
class Address:
    id: uuid.UUID | None  # None: a confirmation link sent, not yet opened
    email: str
    verified: bool
    removable: bool


@dataclass(slots=True)
class AccountPage:
    """Everything the template shows."""

    cards: list[Card]
    hidden: list[Card]
    addresses: list[Address]
    sections: dict[str, Any] = field(default_factory=dict)


def _document(text: str) -> dict[str, Any]:
    try:
        loaded = json.loads(text)
    except (TypeError, ValueError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _names(document: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """The achievement's name and language and the issuer's name, as signed."""
    subject = document.get("credentialSubject")
    if isinstance(subject, list):
        subject = subject[0] if subject else {}
    achievement = subject.get("achievement") if isinstance(subject, dict) else None
    achievement = achievement if isinstance(achievement, dict) else {}
    name = achievement.get("name") or document.get("name") or "Open Badge"
    language = achievement.get("inLanguage")
    issuer = document.get("issuer")
    issuer_name = issuer.get("name") if isinstance(issuer, dict) else None
    return (
        str(name),
        language if isinstance(language, str) and len(language) < 36 else None,
        issuer_name if isinstance(issuer_name, str) else None,
    )


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _issued_card(row: Credential, hidden: bool, now: datetime) -> Card:
    name, language, issuer = _names(_document(row.document))
    state = credentials.credential_state(row, now)
    base = f"/account/credentials/{row.id}"
    downloads = [Download("account.download.json", f"{base}/credential.json")]
    if row.jwt:
        downloads.append(Download("account.download.jwt", f"{base}/credential.jwt"))
    downloads.append(Download("account.download.png", f"{base}/badge.png"))
    return Card(
        kind="issued",
        id=row.id,
        name=name,
        language=language,
        issuer=issuer,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        state=state,
        icon=STATE_ICON.get(state, "question"),
        tone=STATE_TONE.get(state, "warn"),
        hidden=hidden,
        url=None if row.hidden else credential_url("", row.id),
        downloads=downloads,
        # Wallet buttons only while the credential stands (issue 15: not when revoked,
        # suspended or expired).
        offerable=state == "active" and row.bound_from_id is None,
        source=None,
    )


_SAFE_URL = re.compile(r"^https?://[^\s\"'<>]+$")


def _hosted_card(row: HostedCredential, now: datetime) -> Card:
    document = _document(row.document)
    name, language, issuer = _names(document)
    valid_until = _moment(document.get("validUntil") or document.get("expirationDate"))
    state = "expired" if valid_until is not None and valid_until <= now else "active"
    base = f"/account/hosted/{row.id}"
    downloads = [Download("account.download.json", f"{base}/credential.json")]
    if row.compact_jws:
        downloads.append(Download("account.download.jwt", f"{base}/credential.jwt"))
    downloads.append(Download("account.download.png", f"{base}/badge.png"))
    own_id = document.get("id")
    url = own_id if isinstance(own_id, str) and _SAFE_URL.match(own_id) else None
    return Card(
        kind="hosted",
        id=row.id,
        name=name,
        language=language,
        issuer=issuer,
        valid_from=_moment(document.get("validFrom") or document.get("issuanceDate")),
        valid_until=valid_until,
        state=state,
        icon=STATE_ICON.get(state, "question"),
        tone=STATE_TONE.get(state, "warn"),
        hidden=row.hidden,
        url=url,
        downloads=downloads,
        offerable=False,
        source="upload" if row.source == "upload" else "app",
    )


def _addresses(rows: list[LearnerEmail]) -> list[Address]:
    verified = sum(1 for row in rows if row.verified_at is not None)
    return [
        Address(
            id=row.id,
            email=row.email,
            verified=row.verified_at is not None,
            removable=row.verified_at is None or verified > 1,
        )
        for row in rows
    ]


def account_page(session: Session, account: LearnerAccount) -> AccountPage:
    """The page's content (language-neutral: the template words it)."""
    now = datetime.now(UTC)
    hidden = accounts.hidden_ids(session, account.id)
    issued = [
        _issued_card(row, row.id in hidden, now)
        for row in accounts.issued_credentials(session, account.id, include_hidden=True)
    ]
    kept = [
        _hosted_card(row, now)
        for row in hosted_store.hosted_credentials(session, account.id, include_hidden=True)
    ]
    every = issued + kept
    page = AccountPage(
        cards=[card for card in every if not card.hidden],
        hidden=[card for card in every if card.hidden],
        addresses=_addresses(accounts.addresses(session, account.id)),
    )
    listed = {address.email for address in page.addresses}
    page.addresses += [
        Address(id=None, email=email, verified=False, removable=False)
        for email in accounts.pending_addresses(session, account.id)
        if email not in listed
    ]
    for name, section in SECTIONS.items():
        page.sections[name] = section(session, account)
    return page


def _file(body: bytes, name: str, stem: str) -> Response:
    extension = {"credential.json": "json", "credential.jwt": "jwt", "badge.png": "png"}[name]
    return Response(
        body,
        media_type=FILES[name],
        headers={
            "Content-Disposition": f'attachment; filename="{stem}.{extension}"',
            "X-Content-Type-Options": "nosniff",
            **PRIVATE,
        },
    )


def issued_file(
    session: Session, account: LearnerAccount, credential_id: uuid.UUID, name: str
) -> Response:
    """A download of one of the account's issued credentials (even one hidden from public
    view: it is the learner's)."""
    if name not in FILES:
        raise NotFound("No such file.")
    row = accounts.owned_credential(session, account.id, credential_id)
    if name == "credential.json":
        return _file(row.document.encode("utf-8"), name, f"credential-{row.id}")
    if name == "credential.jwt":
        if not row.jwt:
            raise NotFound("This credential has no VC-JWT form.")
        return _file(row.jwt.encode("ascii"), name, f"credential-{row.id}")
    baked = baked_badge(row, "png")
    return _file(baked.body, name, baked.filename.rsplit(".", 1)[0])


def hosted_file(
    session: Session, account: LearnerAccount, hosted_id: uuid.UUID, name: str
) -> Response:
    """A download of one of the account's hosted credentials: as kept, or baked."""
    if name not in FILES:
        raise NotFound("No such file.")
    row = accounts.owned_hosted(session, account.id, hosted_id)
    if name == "credential.json":
        return _file(row.document.encode("utf-8"), name, f"credential-{row.id}")
    if name == "credential.jwt":
        if not row.compact_jws:
            raise NotFound("This credential has no VC-JWT form.")
        return _file(row.compact_jws.encode("ascii"), name, f"credential-{row.id}")
    # baked with what was verified: the JWS when that is what came, else the signed JSON
    shaped = SimpleNamespace(
        id=f"hosted-{row.id}",
        document=row.document,
        jwt=row.compact_jws,
        proof_format="jwt" if row.compact_jws else "json",
    )
    baked = baked_badge(shaped, "png")
    return _file(baked.body, name, baked.filename.rsplit(".", 1)[0])


def safe_next(value: str | None) -> str | None:
    """``value`` when it is a path of this service (``/account``, ``/oauth/authorize?…``);
    None for anything else: an absolute URL, ``//host``, ``/\\host``, a scheme, control
    characters (no open redirect)."""
    if not value or len(value) > 2048 or not value.startswith("/"):
        return None
    if value.startswith(("//", "/\\")) or "\\" in value:
        return None
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value
