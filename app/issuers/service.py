"""Issuers: creation (with keys and status lists) and the public Profile document."""

from __future__ import annotations

import copy
import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from app.audit import service as audit
from app.core import events
from app.core.context import AppContext
from app.core.errors import NotFound, Unprocessable
from app.core.urls import issuer_did, issuer_profile_url
from app.events import IssuerUpdated
from app.hot.issuing import PROFILE_CACHE_SECONDS, issuer_profiles
from app.issuers import repository
from app.issuers.colors import HEX_COLOR
from app.issuers.schemas import IssuerCreate, IssuerRead, IssuerUpdate
from app.models import Issuer
from app.signing_keys import service as keys
from app.status import service as status

OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"


MAIL_SETTINGS = (
    "mail_sender_name",
    "mail_reply_to",
    "notify_on_revocation",
    "mail_daily_quota",
    "mail_rate_per_minute",
)
"""The e-mail settings of :mod:`app.mail` (plain columns, merge-patched like ``url``)."""
BRANDING = ("brand_color", "accent_color")
"""The colours (checked by the schema; the logo has its own calls: :mod:`app.issuers.logo`)."""


class IssuerNotFound(NotFound):
    """No such issuer (or not visible to the caller)."""


def create_issuer(
    session: Session, context: AppContext, data: IssuerCreate, *, actor: str
) -> Issuer:
    """Create an issuer with its first keys and status lists, in one transaction."""
    translations: dict[str, dict[str, str]] = {tag: {"name": n} for tag, n in data.name.items()}
    for tag, text in data.description.items():
        translations.setdefault(tag, {})["description"] = text
    issuer = Issuer(
        id=uuid.uuid4(),
        default_language=data.default_language or next(iter(data.name)),
        translations=translations,
        url=data.url,
        email=data.email,
        image=data.image,
        suspension_enabled=data.suspension_enabled,
        brand_color=data.brand_color,
        accent_color=data.accent_color,
    )
    session.add(issuer)
    session.flush()
    keys.create_initial_keys(
        session, context, issuer.id, jwt_key_type=keys.JWT_ALGORITHMS[data.jwt_algorithm]
    )
    status.create_initial_lists(session, context, issuer.id, suspension=data.suspension_enabled)
    audit.record(
        session,
        actor=actor,
        action="issuer.create",
        subject_type="issuer",
        subject_id=issuer.id,
        issuer_id=issuer.id,
    )
    session.commit()
    return issuer


def get_issuer(session: Session, issuer_id: uuid.UUID, *, for_update: bool = False) -> Issuer:
    """An issuer or 404 (``for_update``: locked until the transaction ends, for a change)."""
    issuer = repository.get(session, issuer_id, for_update=for_update)
    if issuer is None:
        raise IssuerNotFound("No such issuer.")
    return issuer


def update_issuer(
    session: Session, issuer_id: uuid.UUID, data: IssuerUpdate, *, actor: str
) -> Issuer:
    """Apply a profile change (merge-patch semantics, see :class:`IssuerUpdate`), audited.

    Credentials already issued keep the profile they were signed with; new ones carry the new
    one (this worker at once, others within :data:`~app.hot.issuing.PROFILE_CACHE_SECONDS`).
    The public profile ``/issuers/{id}`` is read from the row and changes at once. A changed
    suspension setting also drops this worker's open-list hint, which names the purposes of
    the old setting (both after the commit: :mod:`app.hot.subscribers`).
    """
    # Locked: two edits read-modify-write the translations; unlocked, the later commit would
    # drop the earlier one's change.
    issuer = get_issuer(session, issuer_id, for_update=True)
    given = data.model_fields_set
    translations = copy.deepcopy(issuer.translations)
    if "description" in given and data.description is None:  # RFC 7396: null removes it all
        for entry in translations.values():
            entry.pop("description", None)
    for field in ("name", "description"):
        if field in given:
            for tag, text in (getattr(data, field) or {}).items():
                entry = translations.setdefault(tag, {})
                if text is None:
                    entry.pop(field, None)
                else:
                    entry[field] = text
    translations = {tag: texts for tag, texts in translations.items() if texts}
    default_language = data.default_language or issuer.default_language
    if not any(texts.get("name") for texts in translations.values()):
        raise Unprocessable("An issuer needs a name in at least one language.", field="$.name")
    if not translations.get(default_language, {}).get("name"):
        raise Unprocessable(
            f"defaultLanguage {default_language!r} must be a language the issuer has a name in.",
            field="$.defaultLanguage" if "default_language" in given else "$.name",
        )
    changed: list[str] = []
    if translations != issuer.translations:
        issuer.translations = translations
        changed += [f for f in ("name", "description") if f in given]
    for field in ("url", "email", "image", "suspension_enabled", *MAIL_SETTINGS, *BRANDING):
        if field in given and getattr(issuer, field) != getattr(data, field):
            setattr(issuer, field, getattr(data, field))
            changed.append(field)
    if default_language != issuer.default_language:
        issuer.default_language = default_language
        changed.append("default_language")
    audit.record(
        session,
        actor=actor,
        action="issuer.update",
        subject_type="issuer",
        subject_id=issuer.id,
        issuer_id=issuer.id,
        details={"changed": changed},
    )
    suspension_changed = "suspension_enabled" in changed
    events.record(session, IssuerUpdated(issuer.id, suspension_changed=suspension_changed))
    session.commit()
    return issuer


def suspension_enabled(session: Session, issuer_id: uuid.UUID) -> bool:
    """Whether the issuer's new credentials get a suspension status entry (read each time:
    only the transactional issuing path asks, and the one-statement path re-checks it)."""
    return repository.suspension_enabled(session, issuer_id)


def list_issuers(session: Session, *, limit: int = 50, offset: int = 0) -> Sequence[Issuer]:
    """A page of issuers."""
    return repository.list_page(session, limit=limit, offset=offset)


def to_read(context: AppContext, issuer: Issuer) -> IssuerRead:
    """The admin view of an issuer."""
    base = context.settings.base_url
    return IssuerRead(
        id=issuer.id,
        did=issuer_did(base, issuer.id),
        profile_url=issuer_profile_url(base, issuer.id),
        name={t: v["name"] for t, v in issuer.translations.items() if v.get("name")},
        description={
            t: v["description"] for t, v in issuer.translations.items() if v.get("description")
        },
        default_language=issuer.default_language,
        url=issuer.url,
        email=issuer.email,
        image=issuer.image,
        suspension_enabled=issuer.suspension_enabled,
        mail_sender_name=issuer.mail_sender_name,
        mail_reply_to=issuer.mail_reply_to,
        notify_on_revocation=issuer.notify_on_revocation,
        mail_daily_quota=issuer.mail_daily_quota,
        mail_rate_per_minute=issuer.mail_rate_per_minute,
        brand_color=issuer.brand_color,
        accent_color=issuer.accent_color,
        logo_url=logo_url(base, issuer),
        created_at=issuer.created_at,
    )


def logo_url(base_url: str, issuer: Issuer) -> str | None:
    """``{base}/issuers/{id}/logo`` when the issuer has an uploaded logo, else None."""
    if not issuer.logo_digest:
        return None
    return f"{issuer_profile_url(base_url, issuer.id)}/logo"


def embedded_profile(context: AppContext, issuer: Issuer) -> dict[str, Any]:
    """The issuer object embedded in credentials (the 1EdTech validator wants an object).

    ``image`` is the issuer's image URL, else the URL of its uploaded logo (never the logo's
    ``data:`` URI: it would add up to 350 KB to every credential)."""
    profile: dict[str, Any] = {
        "id": issuer_did(context.settings.base_url, issuer.id),
        "type": ["Profile"],
        "name": issuer.name,
    }
    if issuer.url:
        profile["url"] = issuer.url
    description = issuer.text("description")
    if description:
        profile["description"] = description
    if issuer.email:
        profile["email"] = issuer.email
    image = issuer.image or logo_url(context.settings.base_url, issuer)
    if image:
        profile["image"] = {"id": image, "type": "Image"}
    return profile


def cached_embedded_profile(
    session: Session, context: AppContext, issuer_id: uuid.UUID
) -> dict[str, Any]:
    """:func:`embedded_profile` of an issuer, from this worker's short-lived cache when it can.

    Issuing needs it for every credential; the cache saves the issuer query. A copy is
    returned because the caller builds a document around it.
    """
    key = (context.settings.base_url, issuer_id)
    profile = issuer_profiles.get(key)
    if profile is None:
        profile = embedded_profile(context, get_issuer(session, issuer_id))
        issuer_profiles.put(key, profile, PROFILE_CACHE_SECONDS)
    return copy.deepcopy(profile)


def public_profile(session: Session, context: AppContext, issuer_id: uuid.UUID) -> dict[str, Any]:
    """The Profile JSON-LD served at ``/issuers/{id}`` (unsigned, descriptive)."""
    issuer = get_issuer(session, issuer_id)
    return {"@context": [VC_CONTEXT, OB_CONTEXT], **embedded_profile(context, issuer)}


def brand_css(issuer: Issuer) -> str:
    """``:root`` custom properties of the issuer's set colours: ``--brand`` (with
    ``--brand-fg``, the text on it) and ``--brand-accent`` (borders and large marks only: it is
    checked for 3:1, not the 4.5:1 body text needs)."""
    rules: list[str] = []
    # Checked when set; checked again here, where a value becomes CSS.
    if issuer.brand_color and HEX_COLOR.match(issuer.brand_color):
        rules += [f"--brand:{issuer.brand_color}", "--brand-fg:#ffffff"]  # white reaches 4.5:1
    if issuer.accent_color and HEX_COLOR.match(issuer.accent_color):
        rules.append(f"--brand-accent:{issuer.accent_color}")
    return ":root{" + ";".join(rules) + "}\n"


def brand_version(issuer: Issuer) -> str:
    """A short digest of the colours: the stylesheet's ETag and its URL's ``?v=``."""
    text = f"{issuer.brand_color or ''}/{issuer.accent_color or ''}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]
