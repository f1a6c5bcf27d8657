"""Language versions of an achievement, as a page shows them.

OB 3.0 keeps ``name`` a single string, so a bilingual achievement is one Achievement per language
linked by ``related`` entries that carry ``inLanguage`` (see :mod:`app.achievements.languages`). The
``related`` entry names no title, so the page looks the other version up among this service's
stored achievements (read only) — and only among the same issuer's, so a credential cannot borrow
another issuer's wording. Versions hosted elsewhere are named by their language alone.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from app.achievements import service as achievements
from app.core.errors import AppError
from app.models import Achievement
from app.web import i18n
from app.web.markup import markdown
from app.web.view import CredentialView

_ACHIEVEMENT_PATH = re.compile(r"^/achievements/([0-9a-fA-F-]{36})/v(\d{1,9})$")
MAX_LOOKUPS = 8
"""A hostile ``related`` list costs at most this many queries."""


@dataclass(frozen=True, slots=True)
class OtherVersion:
    """Another language version: its tag, the language's name and (when known) its texts."""

    language: str
    label: str
    name: str | None
    description: Markup = field(default_factory=Markup)
    criteria: Markup = field(default_factory=Markup)


@dataclass(frozen=True, slots=True)
class Languages:
    """What the page says about languages: the achievement's own, and the other versions."""

    language: str | None
    label: str | None
    others: list[OtherVersion] = field(default_factory=list)

    def in_page_language(self, locale: str) -> OtherVersion | None:
        """The other version written in the page's language, when the issuer published one
        here (the page then leads with its texts and names the signed language beside them)."""
        if self.language and same_language(self.language, locale):
            return None
        return next((o for o in self.others if o.name and same_language(o.language, locale)), None)


def same_language(tag: str, locale: str) -> bool:
    """Whether two BCP 47 tags name the same language for reading (``zh-CN`` ~ ``zh``)."""
    return tag.split("-")[0].lower() == locale.split("-")[0].lower()


def language_label(t: i18n.Translator, tag: str) -> str:
    """The name of language ``tag`` in the page language (``English``, ``简体中文``), else the tag."""
    for key in (f"language.{tag}", f"language.{tag.split('-')[0].lower()}"):
        label = t(key)
        if label != key:
            return label
    return tag


def _local_version(base_url: str, url: str) -> tuple[uuid.UUID, int] | None:
    if not url.startswith(base_url + "/"):
        return None
    match = _ACHIEVEMENT_PATH.match(url[len(base_url) :])
    if match is None:
        return None
    try:
        return uuid.UUID(match.group(1)), int(match.group(2))
    except ValueError:
        return None


def _stored(session: Any, base_url: str, url: str | None) -> Achievement | None:
    found = _local_version(base_url, url or "")
    if found is None:
        return None
    try:
        return achievements.get_version(session, *found)
    except AppError:
        return None


def languages_of(
    session: Any, base_url: str, view: CredentialView, t: i18n.Translator
) -> Languages:
    """The achievement's language and its other language versions, with their stored names."""
    own = _stored(session, base_url, view.achievement_id) if view.related else None
    others: list[OtherVersion] = []
    seen: set[str] = set()
    for related in view.related[:MAX_LOOKUPS]:
        if related.language in seen:
            continue
        seen.add(related.language)
        row = _stored(session, base_url, related.id) if own is not None else None
        same_issuer = row is not None and own is not None and row.issuer_id == own.issuer_id
        label_of = language_label(t, related.language)
        if same_issuer and row is not None:
            criteria = (row.criteria or {}).get("narrative")
            others.append(
                OtherVersion(
                    related.language,
                    label_of,
                    row.name,
                    markdown(row.description),
                    markdown(criteria),
                )
            )
        else:
            others.append(OtherVersion(related.language, label_of, None))
    label = language_label(t, view.language) if view.language else None
    return Languages(language=view.language, label=label, others=others)
