"""What the certificate of a stored credential says, in one page language.

Everything about the award is read from the signed document, as the credential page reads it
(:func:`app.web.view.credential_view`): the achievement's name, the dates, credits and results.
The issuer's name is its translation in the page language (the document carries the default
language's), its colours and logo come from its row. A bilingual achievement (``related``
language versions, :func:`app.web.languages.languages_of`) is named in the page language first,
the other language beneath.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import Any

from app.certificates.layout import Certificate, Fact
from app.models import Credential, Issuer
from app.web import i18n
from app.web.languages import languages_of
from app.web.view import CredentialView, credential_view

_PNG_URI = re.compile(r"^data:image/png;base64,", re.IGNORECASE)
MAX_RESULTS = 4
"""Results listed by name; the rest are counted (the page lists them all)."""


def document_of(credential: Credential) -> dict[str, Any]:
    """The signed document as a dict (empty when unreadable: the view then shows defaults)."""
    try:
        doc = json.loads(credential.document)
    except (TypeError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def logo_png(issuer: Issuer | None) -> bytes | None:
    """The issuer's uploaded logo when it is a PNG. An SVG logo is not drawn (reportlab has no
    SVG reader): the certificate then names the issuer in type alone."""
    uri = issuer.logo if issuer is not None else None
    if not uri or not _PNG_URI.match(uri):
        return None
    try:
        return base64.b64decode(uri.split(",", 1)[1], validate=True)
    except ValueError:
        return None


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def is_expired(credential: Credential, now: datetime) -> bool:
    """Past its ``validUntil`` (the row's copy of it)."""
    until = _aware(credential.valid_until)
    return until is not None and until <= now


def achievement_names(
    session: Any, base_url: str, view: CredentialView, t: i18n.Translator
) -> tuple[str, str | None]:
    """The achievement's name in the page language first, and the other language's beneath."""
    languages = languages_of(session, base_url, view, t)
    other = next((o for o in languages.others if o.name), None)
    if other is None:
        return view.name, None
    own_matches = i18n.match_locale(view.language) == t.locale
    if not own_matches and i18n.match_locale(other.language) == t.locale:
        return other.name or view.name, view.name
    return view.name, other.name


def _number(text: str) -> str:
    """``5.0`` as ``5``, ``2.5`` as is (JSON numbers come back as floats)."""
    try:
        return f"{float(text):g}"
    except ValueError:
        return text


def _facts(
    view: CredentialView, t: i18n.Translator, now: datetime
) -> tuple[list[Fact], str | None]:
    facts = [Fact(t("certificate.issued_on"), t.date(view.valid_from))] if view.valid_from else []
    if view.valid_until is not None:
        if view.valid_until <= now:
            facts.append(Fact(t("certificate.expired_on"), t.date(view.valid_until), True))
        else:
            facts.append(Fact(t("certificate.valid_until"), t.date(view.valid_until)))
    if view.credits:
        facts.append(Fact(t("certificate.credits"), _number(view.credits)))
    room = max(0, 6 - len(facts))
    shown = view.results[: min(room, MAX_RESULTS)]
    facts += [Fact(row.label, row.value) for row in shown]
    hidden = len(view.results) - len(shown)
    return facts, t("certificate.more_results", count=hidden) if hidden else None


def certificate_content(
    session: Any,
    credential: Credential,
    issuer: Issuer | None,
    t: i18n.Translator,
    *,
    base_url: str,
    page_url: str,
    now: datetime,
) -> Certificate:
    """The texts, colours and images of the certificate of ``credential`` in ``t``'s language."""
    view = credential_view(document_of(credential))
    achievement, other = achievement_names(session, base_url, view, t)
    issuer_name = (issuer.text("name", t.locale) if issuer else None) or view.issuer.name
    learner = (credential.recipient_name or "").strip() or t("certificate.holder")
    facts, more = _facts(view, t, now)
    return Certificate(
        locale=t.locale,
        title=t("certificate.document_title", achievement=achievement, learner=learner),
        heading=t("certificate.heading"),
        subheading=t("certificate.subheading"),
        certify=t("certificate.certify"),
        learner=learner,
        completed=t("certificate.completed"),
        achievement=achievement,
        achievement_other=other,
        issuer=issuer_name or t("cred.unknown_issuer"),
        facts=facts,
        more_facts=more,
        verify_label=t("certificate.verify_at"),
        page_url=page_url,
        id_label=t("certificate.credential_id"),
        credential_id=str(credential.id),
        brand=(issuer.brand_color if issuer else None) or "",
        accent=(issuer.accent_color if issuer else None) or "",
        logo_png=logo_png(issuer),
        seal_text=str(view.valid_from.year) if view.valid_from else "",
        creator=t("site.name"),
    )
