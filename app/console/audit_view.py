"""The audit log, read-only, for an issuer's staff: filters, pages, CSV (issue 14, item 4).

The log stays append-only: nothing here writes to it. Pages are keyset-paginated, newest
first (``before`` is the last row's ``created_at`` and id, opaque to the browser), so a long
log costs the same per page. The CSV export takes the same filters and holds at most
:data:`CSV_LIMIT` rows; cells a spreadsheet would run as a formula are prefixed with ``'``
(OWASP "CSV injection"). Actors ``staff:<id>`` are shown with the person's address.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from app.console import repository
from app.console.repository import AuditFilter
from app.core.errors import BadRequest
from app.models import AuditEvent

PAGE_SIZE = 50
CSV_LIMIT = 50_000
FILTER_FIELDS = ("actor", "action", "subject_type", "subject_id", "since", "until")
CSV_COLUMNS = ("time", "actor", "actor_email", "action", "subject_type", "subject_id", "details")


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of events, with who the staff actors are and the key of the next page."""

    events: Sequence[AuditEvent]
    actor_emails: dict[str, str]
    total: int
    next_key: str | None


def _day(value: str, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise BadRequest("Give a date as YYYY-MM-DD.", field=f"query.{field}") from exc


def parse_filter(query: Mapping[str, str]) -> AuditFilter:
    """The filter of the page's query string; ``since`` and ``until`` are whole UTC days, both
    included."""
    since, until = _day(query.get("since", ""), "since"), _day(query.get("until", ""), "until")
    text = {k: (query.get(k) or "").strip()[:255] or None for k in FILTER_FIELDS[:4]}
    return AuditFilter(
        actor=text["actor"],
        action=text["action"],
        subject_type=text["subject_type"],
        subject_id=text["subject_id"],
        since=datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None,
        until=(
            datetime(until.year, until.month, until.day, tzinfo=UTC) + timedelta(days=1)
            if until
            else None
        ),
    )


def _encode(event: AuditEvent) -> str:
    raw = f"{event.created_at.isoformat()}|{event.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(key: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4)).decode()
        when, _, ident = raw.partition("|")
        moment = datetime.fromisoformat(when)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment.astimezone(UTC), uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(
            "That page link is not one this console made.", field="query.before"
        ) from exc


def actor_emails(session: Session, events: Sequence[AuditEvent]) -> dict[str, str]:
    """``{"staff:<id>": email}`` for the staff actors among ``events``."""
    ids: set[uuid.UUID] = set()
    for event in events:
        if event.actor.startswith("staff:"):
            try:
                ids.add(uuid.UUID(event.actor.removeprefix("staff:")))
            except ValueError:
                continue
    return {
        f"staff:{uid}": user.email for uid, user in repository.users_by_ids(session, ids).items()
    }


def page(session: Session, issuer_id: uuid.UUID, f: AuditFilter, before: str | None) -> AuditPage:
    """One page of the issuer's events matching ``f``."""
    key = _decode(before) if before else None
    rows = repository.audit_page(session, issuer_id, f, before=key, limit=PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return AuditPage(
        events=rows,
        actor_emails=actor_emails(session, rows),
        total=repository.audit_count(session, issuer_id, f),
        next_key=_encode(rows[-1]) if more and rows else None,
    )


def _cell(value: str) -> str:
    """A CSV cell a spreadsheet shows as text, never runs."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_text(session: Session, issuer_id: uuid.UUID, f: AuditFilter) -> str:
    """Every event matching ``f`` (newest first, at most :data:`CSV_LIMIT`) as CSV."""
    rows = repository.audit_page(session, issuer_id, f, before=None, limit=CSV_LIMIT)
    emails = actor_emails(session, rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for event in rows:
        writer.writerow(
            [
                _cell(value)
                for value in (
                    event.created_at.isoformat(),
                    event.actor,
                    emails.get(event.actor, ""),
                    event.action,
                    event.subject_type,
                    event.subject_id,
                    json.dumps(event.details or {}, ensure_ascii=False, sort_keys=True),
                )
            ]
        )
    return out.getvalue()
