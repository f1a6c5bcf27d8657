"""Language versions of achievements (OB 3.0: one Achievement per language, linked by ``related``).

OB 3.0 ``name``/``description`` are single strings, so a bilingual achievement is a pair of
achievements whose ``related`` entries point at each other with ``inLanguage``. A program module
is therefore a *set* of lineages: a learner's credential in either language counts for it.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from app.models import Achievement

_ACHIEVEMENT_PATH = re.compile(r"^/achievements/([0-9a-fA-F-]{36})/v\d+$")


def local_lineage(base_url: str, achievement_id: str) -> uuid.UUID | None:
    """The lineage id behind one of this service's achievement URLs (``None`` for others)."""
    if not achievement_id.startswith(base_url + "/"):
        return None
    match = _ACHIEVEMENT_PATH.match(achievement_id[len(base_url) :])
    if match is None:
        return None
    try:
        return uuid.UUID(match.group(1))
    except ValueError:
        return None


def related_versions(base_url: str, related: Iterable[Mapping[str, Any]]) -> dict[str, uuid.UUID]:
    """``{inLanguage: lineage}`` of the local achievements listed in ``related``."""
    versions: dict[str, uuid.UUID] = {}
    for entry in related:
        lineage = local_lineage(base_url, str(entry.get("id", "")))
        language = entry.get("inLanguage")
        if lineage is not None and isinstance(language, str):
            versions.setdefault(language, lineage)
    return versions


def language_lineages(base_url: str, achievement: Achievement) -> set[uuid.UUID]:
    """The achievement's lineage and those of its local language versions: the lineages under
    which its credential counts as a program module (issuing's one-statement guard and the
    program awards must ask about the same set)."""
    return {achievement.lineage_id, *related_versions(base_url, achievement.related).values()}


def related_entries(
    base_url: str, versions: Mapping[str, tuple[uuid.UUID, int]], language: str
) -> list[dict[str, Any]]:
    """``related`` for the version in ``language``: every other language version."""
    return [
        {"id": f"{base_url}/achievements/{lineage}/v{number}", "inLanguage": tag}
        for tag, (lineage, number) in versions.items()
        if tag != language
    ]


def pick_language(available: Iterable[str], wanted: str | None, fallback: str) -> str:
    """The best available language: exact, then same primary subtag (zh ~ zh-CN), then fallback."""
    tags = list(available)
    for candidate in (wanted, fallback):
        if not candidate:
            continue
        if candidate in tags:
            return candidate
        primary = candidate.split("-")[0].lower()
        for tag in tags:
            if tag.split("-")[0].lower() == primary:
                return tag
    return tags[0] if tags else fallback
