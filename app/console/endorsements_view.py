"""Endorsements in the console: those of the issuer's achievements, programs and of the issuer
itself (received: pending, accepted, declined), those the issuer gave, one line per request
(a group of language versions, decided together by :func:`app.endorsements.service.
decide_endorsement`), and the form's target parsing.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from app.console import pages, programs_view
from app.models import Achievement, Endorsement, Issuer, Program

LIMIT = 500
"""Endorsement rows read per list (a few language versions each)."""
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass(frozen=True)
class Group:
    """One endorsement request: its language versions, who wrote it, about what."""

    id: uuid.UUID
    first_id: uuid.UUID
    state: str
    endorser: str
    target_type: str
    target: str
    created_at: datetime
    comments: list[tuple[str, str]]


def _owned_targets(session: Session, issuer_id: uuid.UUID) -> list[ColumnElement[bool]]:
    lineages = [
        str(x)
        for x in session.scalars(
            select(Achievement.lineage_id).where(Achievement.issuer_id == issuer_id).distinct()
        )
    ]
    program_ids = [
        str(x) for x in session.scalars(select(Program.id).where(Program.issuer_id == issuer_id))
    ]
    return [
        and_(Endorsement.target_type == "achievement", Endorsement.target_id.in_(lineages)),
        and_(Endorsement.target_type == "program", Endorsement.target_id.in_(program_ids)),
        and_(Endorsement.target_type == "issuer", Endorsement.target_id == str(issuer_id)),
    ]


def _groups(session: Session, rows: list[Endorsement], locale: str) -> list[Group]:
    issuers = {
        i.id: i
        for i in session.scalars(select(Issuer).where(Issuer.id.in_({r.issuer_id for r in rows})))
    }
    names: dict[tuple[str, str], str] = {}
    grouped: dict[uuid.UUID, list[Endorsement]] = {}
    for row in rows:
        grouped.setdefault(row.group_id, []).append(row)
    found = []
    for group_id, members in grouped.items():
        first = members[0]
        key = (first.target_type, first.target_id)
        if key not in names:
            names[key] = _target_name(session, first.target_type, first.target_id, locale)
        endorser = issuers.get(first.issuer_id)
        found.append(
            Group(
                id=group_id,
                first_id=first.id,
                state=first.state,
                endorser=pages.issuer_name(endorser, locale) if endorser else str(first.issuer_id),
                target_type=first.target_type,
                target=names[key],
                created_at=first.created_at,
                comments=[(m.language, m.comment) for m in members],
            )
        )
    order = {"pending": 0, "accepted": 1, "declined": 2}
    return sorted(found, key=lambda g: (order.get(g.state, 3), -g.created_at.timestamp()))


def _target_name(session: Session, target_type: str, target_id: str, locale: str) -> str:
    try:
        ident = uuid.UUID(target_id)
    except ValueError:
        return target_id
    if target_type == "achievement":
        row = session.scalars(
            select(Achievement).where(
                Achievement.lineage_id == ident, Achievement.is_current.is_(True)
            )
        ).first()
        return row.name if row else target_id
    if target_type == "program":
        program = session.get(Program, ident)
        return programs_view.program_name(program, locale) if program else target_id
    if target_type == "issuer":
        issuer = session.get(Issuer, ident)
        return pages.issuer_name(issuer, locale) if issuer else target_id
    return target_id


def received(session: Session, issuer_id: uuid.UUID, locale: str) -> list[Group]:
    """Endorsements of the issuer's achievements, programs and of itself, pending first."""
    rows = session.scalars(
        select(Endorsement)
        .where(or_(*_owned_targets(session, issuer_id)))
        .order_by(Endorsement.created_at.desc(), Endorsement.id)
        .limit(LIMIT)
    ).all()
    return _groups(session, list(rows), locale)


def given(session: Session, issuer_id: uuid.UUID, locale: str) -> list[Group]:
    """Endorsements the issuer wrote about others' work."""
    rows = session.scalars(
        select(Endorsement)
        .where(Endorsement.issuer_id == issuer_id)
        .order_by(Endorsement.created_at.desc(), Endorsement.id)
        .limit(LIMIT)
    ).all()
    return _groups(session, list(rows), locale)


def target_id(text: str) -> uuid.UUID | None:
    """The id in what was typed: the id itself, or a URL that carries it (an achievement's
    public id ``…/achievements/<id>/v1``, a console link)."""
    match = _UUID.search(text or "")
    return uuid.UUID(match.group(0)) if match else None
