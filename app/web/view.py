"""What a person sees of a credential, read defensively out of its JSON.

The same view serves our own credentials (the credential page) and anyone's (``/verify``), so
nothing here trusts the document: every field may be missing, of the wrong type or hostile.
Strings stay plain ``str`` (Jinja escapes them); Markdown goes through :mod:`app.web.markup`;
URLs are kept only when a person can safely follow them (http(s)) or, for images, when they are
https or a ``data:image/…`` URI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup

from app.web.markup import is_safe_link, kept_markdown, markdown

_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,6}$")
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp|svg\+xml)[;,]", re.IGNORECASE)
MAX_ITEMS = 50
"""Lists (results, evidence, endorsements) are cut here: a hostile document stays a page."""


@dataclass(frozen=True, slots=True)
class Party:
    """An issuer or endorser as shown: a name, and a link only when it is safe to follow."""

    name: str
    url: str | None = None
    image: str | None = None


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One line of the results table: what was assessed and what the learner achieved.

    ``value`` is the result as recorded (a grade, a score, else the rubric level's or the
    status's word); ``level`` / ``level_description`` the rubric level achieved and what it
    means; ``result_type`` and ``status`` are OB 3.0 enumeration values the page translates.
    """

    label: str
    value: str
    result_type: str | None = None
    level: str | None = None
    level_description: str | None = None
    status: str | None = None
    maximum: str | None = None


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    """A piece of evidence: name, an optional link and an optional narrative."""

    name: str
    url: str | None
    narrative: Markup
    genre: str | None


@dataclass(frozen=True, slots=True)
class Endorsement:
    """Who endorsed the achievement or issuer, and what they said."""

    endorser: str
    comment: Markup
    url: str | None = None
    issued: datetime | None = None


@dataclass(frozen=True, slots=True)
class Alignment:
    """A framework or competency the achievement is aligned to."""

    name: str
    url: str | None
    framework: str | None
    target_type: str | None = None
    code: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class RelatedVersion:
    """Another language version of the achievement (OB 3.0 ``related`` with ``inLanguage``)."""

    id: str
    language: str


@dataclass(frozen=True, slots=True)
class CredentialView:
    """The display fields of one credential."""

    id: str | None
    name: str
    description: Markup
    criteria: Markup
    achievement_type: str | None
    image: str | None
    issuer: Party
    valid_from: datetime | None
    valid_until: datetime | None
    credits: str | None
    results: list[ResultRow] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)
    endorsements: list[Endorsement] = field(default_factory=list)
    alignments: list[Alignment] = field(default_factory=list)
    plain_description: str = ""
    achievement_id: str | None = None
    language: str | None = None
    related: list[RelatedVersion] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    human_code: str | None = None
    field_of_study: str | None = None
    specialization: str | None = None
    credits_earned: str | None = None
    term: str | None = None
    activity_start: datetime | None = None
    activity_end: datetime | None = None
    assessors: list[Party] = field(default_factory=list)
    plain_criteria: str = ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value[:MAX_ITEMS]
    return [] if value is None else [value]


def _text(value: Any, limit: int = 500) -> str:
    """A short display string; numbers become text, everything else is dropped."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, int | float):
        return str(value)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _link(value: Any) -> str | None:
    return value if isinstance(value, str) and is_safe_link(value) and len(value) < 2048 else None


def image_url(value: Any) -> str | None:
    """An image a page may embed: https, or a ``data:image/…`` URI (never http or javascript)."""
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str):
        return None
    if _DATA_IMAGE.match(value):
        return value
    return value if value.lower().startswith("https://") and len(value) < 2048 else None


def parse_datetime(value: Any) -> datetime | None:
    """An XSD dateTime as an aware UTC datetime, or ``None`` when absent or malformed."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def party(value: Any) -> Party:
    """An issuer or endorser given as a Profile object or a bare id."""
    if isinstance(value, str):
        return Party(name="", url=_link(value))
    profile = _dict(value)
    return Party(
        name=_text(profile.get("name")),
        url=_link(profile.get("url")) or _link(profile.get("id")),
        image=image_url(profile.get("image")),
    )


def _results(subject: dict[str, Any], achievement: dict[str, Any]) -> list[ResultRow]:
    """Pair each result with its ResultDescription, so ``value`` gets a human label."""
    descriptions = {d.get("id"): d for d in map(_dict, _list(achievement.get("resultDescription")))}
    rows: list[ResultRow] = []
    for result in map(_dict, _list(subject.get("result"))):
        described = _dict(descriptions.get(result.get("resultDescription")))
        levels = {
            lv.get("id"): lv for lv in map(_dict, _list(described.get("rubricCriterionLevel")))
        }
        level = _dict(levels.get(result.get("achievedLevel")))
        level_name = _text(level.get("name")) or None
        status = _text(result.get("status")) or None
        value = _text(result.get("value")) or level_name or status or ""
        label = _text(described.get("name")) or _type_name(result.get("type")) or "Result"
        maximum = _text(described.get("valueMax")) or None
        if value:
            rows.append(
                ResultRow(
                    label=label,
                    value=value,
                    result_type=_text(described.get("resultType")) or None,
                    level=level_name if level_name != value else None,
                    level_description=_text(level.get("description"), 1000) or None,
                    status=status if status != value else None,
                    maximum=maximum,
                )
            )
    return rows


def _type_name(value: Any) -> str:
    """The specific type of an object (``["Result"]`` -> ``Result``)."""
    types = [t for t in _list(value) if isinstance(t, str)]
    return _text(types[-1]) if types else ""


def _evidence(doc: dict[str, Any]) -> list[EvidenceItem]:
    items: list[EvidenceItem] = []
    for ev in map(_dict, _list(doc.get("evidence"))):
        url = _link(ev.get("id"))
        name = _text(ev.get("name")) or _text(ev.get("description")) or (url or "")
        narrative = markdown(ev.get("narrative"))
        if name or narrative:
            items.append(EvidenceItem(name, url, narrative, _text(ev.get("genre")) or None))
    return items


def _endorsements(*holders: dict[str, Any]) -> list[Endorsement]:
    found: list[Endorsement] = []
    for holder in holders:
        for endorsement in map(_dict, _list(holder.get("endorsement"))):
            endorser = party(endorsement.get("issuer")).name or _text(endorsement.get("name"))
            comment = markdown(
                _dict(endorsement.get("credentialSubject")).get("endorsementComment")
            )
            if endorser:
                found.append(
                    Endorsement(
                        endorser=endorser,
                        comment=comment,
                        url=_link(endorsement.get("id")),
                        issued=parse_datetime(
                            endorsement.get("validFrom") or endorsement.get("issuanceDate")
                        ),
                    )
                )
    return found[:MAX_ITEMS]


def _alignments(achievement: dict[str, Any]) -> list[Alignment]:
    return [
        Alignment(
            name=_text(a.get("targetName")),
            url=_link(a.get("targetUrl")),
            framework=_text(a.get("targetFramework")) or None,
            target_type=_text(a.get("targetType")) or None,
            code=_text(a.get("targetCode")) or None,
            description=_text(a.get("targetDescription"), 1000),
        )
        for a in map(_dict, _list(achievement.get("alignment")))
        if _text(a.get("targetName"))
    ]


def language_tag(value: Any) -> str | None:
    """A well-formed BCP 47 tag (safe in a ``lang`` attribute), or ``None``."""
    return value if isinstance(value, str) and _LANGUAGE_TAG.match(value) else None


def _related(achievement: dict[str, Any], own: str | None) -> list[RelatedVersion]:
    """The ``related`` entries that are another language version (tag given and different)."""
    found: list[RelatedVersion] = []
    for entry in map(_dict, _list(achievement.get("related"))):
        tag, target = language_tag(entry.get("inLanguage")), entry.get("id")
        if tag and tag != own and isinstance(target, str) and len(target) < 2048:
            found.append(RelatedVersion(id=target, language=tag))
    return found


def credential_view(doc: dict[str, Any], *, own: bool = False) -> CredentialView:
    """Build the view of an OB 3.0 (or VCDM 1.1-dated) credential document; ``own``: one this
    service stored, whose achievement texts may be kept rendered (:func:`kept_markdown`)."""
    render = kept_markdown if own else markdown
    subject = _dict(doc.get("credentialSubject"))
    achievement = _dict(subject.get("achievement"))
    credits = achievement.get("creditsAvailable")
    earned = subject.get("creditsEarned")
    description = achievement.get("description")
    criteria = _dict(achievement.get("criteria")).get("narrative")
    return CredentialView(
        id=_link(doc.get("id")) or _text(doc.get("id"), 2048) or None,
        name=_text(achievement.get("name")) or _text(doc.get("name")) or "Open Badge",
        description=render(description),
        criteria=render(criteria),
        achievement_type=_text(achievement.get("achievementType")) or None,
        image=image_url(achievement.get("image")) or image_url(doc.get("image")),
        issuer=party(doc.get("issuer")),
        valid_from=parse_datetime(doc.get("validFrom") or doc.get("issuanceDate")),
        valid_until=parse_datetime(doc.get("validUntil") or doc.get("expirationDate")),
        credits=_text(credits) if isinstance(credits, int | float) else None,
        results=_results(subject, achievement),
        evidence=_evidence(doc),
        endorsements=_endorsements(doc, achievement, _dict(doc.get("issuer"))),
        alignments=_alignments(achievement),
        plain_description=_text(description, 300),
        achievement_id=_text(achievement.get("id"), 2048) or None,
        language=language_tag(achievement.get("inLanguage")),
        related=_related(achievement, language_tag(achievement.get("inLanguage"))),
        tags=[tag for tag in map(_text, _list(achievement.get("tag"))) if tag],
        human_code=_text(achievement.get("humanCode")) or None,
        field_of_study=_text(achievement.get("fieldOfStudy")) or None,
        specialization=_text(achievement.get("specialization")) or None,
        credits_earned=_text(earned) if isinstance(earned, int | float) else None,
        term=_text(subject.get("term")) or None,
        activity_start=parse_datetime(subject.get("activityStartDate")),
        activity_end=parse_datetime(subject.get("activityEndDate")),
        assessors=[p for p in map(party, _list(subject.get("source"))) if p.name or p.url],
        plain_criteria=_text(criteria, 300),
    )
