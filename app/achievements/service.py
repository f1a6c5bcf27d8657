"""Achievements: create, edit (versioned once issued), and their OB 3.0 JSON.

An issued credential embeds its achievement, and the version row it was issued from is never
edited afterwards: an edit after issuance adds version n+1 and makes it current, so the page of
an old credential and the achievement URL inside it keep meaning what was signed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from app.achievements import repository
from app.achievements.schemas import AchievementCreate, AchievementRead, AchievementUpdate
from app.audit import service as audit
from app.core import events
from app.core.context import AppContext
from app.core.errors import NotFound
from app.core.urls import achievement_url
from app.events import AchievementVersioned
from app.hot.issuing import VERSION_CACHE_SECONDS, current_issued, issued_versions
from app.models import Achievement

_COLUMNS = (
    "name",
    "description",
    "achievement_type",
    "criteria",
    "image",
    "alignment",
    "result_description",
    "credits_available",
    "in_language",
    "related",
    "tags",
    "human_code",
    "field_of_study",
)


class AchievementNotFound(NotFound):
    """No such achievement for this issuer."""


def _values(data: AchievementCreate | AchievementUpdate, *, only_set: bool) -> dict[str, Any]:
    """Column values from the request (JSON members in camelCase, as stored and signed)."""
    dumped = data.model_dump(by_alias=True, exclude_none=True, exclude_unset=only_set)
    snake = data.model_dump(exclude_unset=only_set)
    values: dict[str, Any] = {}
    for column in _COLUMNS:
        if column not in snake:
            continue
        alias = AchievementCreate.model_fields[column].alias or column
        values[column] = dumped.get(alias)
    for list_column in ("alignment", "result_description", "related", "tags"):
        if list_column in values and values[list_column] is None:
            values[list_column] = []
    return values


def _with_result_ids(values: dict[str, Any]) -> dict[str, Any]:
    """Give every ResultDescription an id: a Result links to its description by id."""
    for description in values.get("result_description") or []:
        description.setdefault("id", f"urn:uuid:{uuid.uuid4()}")
    return values


def create_achievement(
    session: Session, issuer_id: uuid.UUID, data: AchievementCreate, *, actor: str
) -> Achievement:
    """Create version 1 of an achievement."""
    row = Achievement(
        id=uuid.uuid4(),
        lineage_id=uuid.uuid4(),
        version=1,
        is_current=True,
        issuer_id=issuer_id,
        **_with_result_ids(_values(data, only_set=False)),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="achievement.create",
        subject_type="achievement",
        subject_id=row.lineage_id,
        issuer_id=issuer_id,
    )
    events.record(session, AchievementVersioned(issuer_id, row.lineage_id, row.version))
    session.commit()
    return row


def update_achievement(
    session: Session,
    issuer_id: uuid.UUID,
    lineage_id: uuid.UUID,
    data: AchievementUpdate,
    *,
    actor: str,
) -> Achievement:
    """Apply changes; a version that has been issued is copied to a new version instead."""
    row = repository.current(session, issuer_id, lineage_id, for_update=True)
    if row is None:
        raise AchievementNotFound("No such achievement.")
    changes = _with_result_ids(_values(data, only_set=True))
    versioned = repository.has_credentials(session, row.id)
    if versioned:
        copy = {column: getattr(row, column) for column in _COLUMNS}
        row.is_current = False
        session.flush()
        row = Achievement(
            id=uuid.uuid4(),
            lineage_id=lineage_id,
            version=row.version + 1,
            is_current=True,
            issuer_id=issuer_id,
            **{**copy, **changes},
        )
        session.add(row)
    else:
        for column, value in changes.items():
            setattr(row, column, value)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="achievement.update",
        subject_type="achievement",
        subject_id=lineage_id,
        issuer_id=issuer_id,
        details={"version": row.version},
    )
    if versioned:  # an edit in place changes a version no credential was issued from
        events.record(session, AchievementVersioned(issuer_id, lineage_id, row.version))
    session.commit()
    return row


def get_current(session: Session, issuer_id: uuid.UUID, lineage_id: uuid.UUID) -> Achievement:
    """The current version, or 404 (also for another issuer's achievement)."""
    row = repository.current(session, issuer_id, lineage_id)
    if row is None:
        raise AchievementNotFound("No such achievement.")
    return row


def current_for_issuing(
    session: Session, issuer_id: uuid.UUID, lineage_id: uuid.UUID
) -> Achievement:
    """:func:`get_current`, the row taken from this worker's cache of issued versions if there.

    A version this worker has not seen issued may still be edited in place (it is until its
    first credential commits), so it is read with a shared row lock held until the issuance
    commits: an edit racing it waits, then finds the credential and makes a new version,
    instead of changing the text under a credential that signed the old one. A version that
    became old while this waited for the lock is not returned; the read is retried once, in
    a fresh snapshot that sees its successor.
    """
    version_id = repository.current_id(session, issuer_id, lineage_id)
    if version_id is None:
        raise AchievementNotFound("No such achievement.")
    cached = issued_versions.get(version_id)
    if cached is not None:
        return repository.attach(session, cached)
    for _ in range(2):
        row = repository.current(session, issuer_id, lineage_id, for_share=True)
        if row is not None:
            return row
    raise AchievementNotFound("No such achievement.")


def remember_issued(row: Achievement) -> None:
    """Keep ``row`` for later issuances; call once a credential issued from it is committed."""
    copy = issued_versions.get(row.id)
    if copy is None:
        copy = repository.detached_copy(row)
        issued_versions.put(row.id, copy, VERSION_CACHE_SECONDS)
    if row.is_current:
        current_issued.put((row.issuer_id, row.lineage_id), copy, VERSION_CACHE_SECONDS)


def issued_current_hint(issuer_id: uuid.UUID, lineage_id: uuid.UUID) -> Achievement | None:
    """The issued version this worker believes current (no query; the caller re-checks it).

    The row is shared between requests: read it, never attach or change it.
    """
    return current_issued.get((issuer_id, lineage_id))


def forget_current_hint(issuer_id: uuid.UUID, lineage_id: uuid.UUID) -> None:
    """Drop the hint (it turned out stale: a newer version was made)."""
    current_issued.discard((issuer_id, lineage_id))


def list_achievements(
    session: Session, issuer_id: uuid.UUID, *, limit: int = 50, offset: int = 0
) -> Sequence[Achievement]:
    """A page of the issuer's achievements (current versions)."""
    return repository.list_current(session, issuer_id, limit=limit, offset=offset)


def version_for_issuing(
    session: Session, issuer_id: uuid.UUID, version_id: uuid.UUID
) -> Achievement:
    """One version of the issuer's by id, current or not (a copy repeats its original's).

    An old version is never edited in place, and a current one with credentials is not either
    (an edit makes a new version), so no lock is needed: the caller issues a copy of a
    credential already signed from this version."""
    row = session.get(Achievement, version_id)
    if row is None or row.issuer_id != issuer_id:
        raise AchievementNotFound("No such achievement version.")
    return row


def get_version(session: Session, lineage_id: uuid.UUID, number: int) -> Achievement:
    """One version by number, for the public achievement URL."""
    row = repository.version(session, lineage_id, number)
    if row is None:
        raise AchievementNotFound("No such achievement version.")
    return row


def to_read(context: AppContext, row: Achievement) -> AchievementRead:
    """The API view of a version."""
    return AchievementRead(
        id=row.lineage_id,
        version=row.version,
        version_id=row.id,
        url=achievement_url(context.settings.base_url, row.lineage_id, row.version),
        **{column: getattr(row, column) for column in _COLUMNS},
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _typed(items: list[dict[str, Any]], type_name: str) -> list[dict[str, Any]]:
    """Give each embedded object its OB ``type``."""
    return [{"type": [type_name], **item} for item in items]


def achievement_document(base_url: str, row: Achievement) -> dict[str, Any]:
    """The OB 3.0 ``Achievement`` object embedded in credentials (no undefined terms)."""
    document: dict[str, Any] = {
        "id": achievement_url(base_url, row.lineage_id, row.version),
        "type": ["Achievement"],
        "name": row.name,
        "description": row.description,
        "criteria": dict(row.criteria),
    }
    optional: dict[str, Any] = {
        "achievementType": row.achievement_type,
        "image": {
            "id": row.image["id"],
            "type": "Image",
            **({"caption": row.image["caption"]} if row.image.get("caption") else {}),
        }
        if row.image
        else None,
        "alignment": _typed(row.alignment, "Alignment"),
        "resultDescription": _typed(row.result_description, "ResultDescription"),
        "creditsAvailable": row.credits_available,
        "inLanguage": row.in_language,
        "related": _typed(row.related, "Related"),
        "tag": list(row.tags),
        "humanCode": row.human_code,
        "fieldOfStudy": row.field_of_study,
        "version": str(row.version),
    }
    document.update({k: v for k, v in optional.items() if v not in (None, [], {})})
    return document
