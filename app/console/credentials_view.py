"""Credentials in the console: the issuer's list, one credential, and its status changes.

Reads and changes go through :mod:`app.credentials.service`, the API's own service, with the
staff member's :class:`~app.core.security.IssuerPrincipal`: the same checks (another issuer's
credential is 404; revocation is final; suspension needs a suspension entry), the same status
list re-signing, events, webhooks and audit rows, with ``staff:<user id>`` as actor.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.achievements import service as achievements
from app.console import repository
from app.console.access import IssuerConsole
from app.core.context import AppContext
from app.credentials import service as credentials
from app.credentials.repository import CredentialFilter
from app.models import Credential
from app.status import service as status

KINDS = {"revoke": "revocation", "suspend": "suspension", "unsuspend": "unsuspension"}
"""The form's action → the service's kind."""
STATES = ("active", "revoked", "suspended", "expired")
PAGE_SIZE = 50
REASON_MAX = 500
BULK_MAX = 200
"""Most credentials one bulk form changes (four pages of the list)."""
SEARCH_FIELDS = ("name", "recipient", "achievement", "state", "since", "until", "batch")
"""The list's query parameters, in the form's order."""


@dataclass(frozen=True, slots=True)
class Search:
    """The list's filters as the form shows them (``query``) and as the service takes them
    (``filters``); ``invalid`` names the fields whose value was not understood (ignored)."""

    query: dict[str, str]
    filters: CredentialFilter
    invalid: tuple[str, ...] = ()


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def parse_search(params: Mapping[str, str]) -> Search:
    """The filters of the list's query string. Name: part of the display name, any case;
    recipient: an e-mail address or DID, exactly (as the API); achievement: a lineage id;
    ``since`` / ``until``: whole UTC days of the issue date, both included; batch: its id."""
    query = {
        k: " ".join((params.get(k) or "").split())[:320]
        for k in SEARCH_FIELDS
        if (params.get(k) or "").strip()
    }
    invalid: list[str] = []
    since = _day(query.get("since", "")) if "since" in query else None
    until = _day(query.get("until", "")) if "until" in query else None
    achievement = _uuid(query["achievement"]) if "achievement" in query else None
    batch = _uuid(query["batch"]) if "batch" in query else None
    state = query.get("state")
    for name, value in (("since", since), ("until", until), ("achievement", achievement)):
        if name in query and value is None:
            invalid.append(name)
    if "batch" in query and batch is None:
        invalid.append("batch")
    if state is not None and state not in STATES:
        invalid.append("state")
        state = None
    filters = CredentialFilter(
        achievement_lineage_id=achievement,
        recipient=query.get("recipient"),
        state=state,
        name=query.get("name"),
        batch_id=batch,
        issued_from=datetime(since.year, since.month, since.day, tzinfo=UTC) if since else None,
        issued_before=(
            datetime(until.year, until.month, until.day, tzinfo=UTC) + timedelta(days=1)
            if until
            else None
        ),
    )
    return Search(
        query={k: v for k, v in query.items() if k not in invalid},
        filters=filters,
        invalid=tuple(invalid),
    )


def achievement_choices(session: Session, issuer_id: uuid.UUID) -> list[tuple[str, str]]:
    """``(lineage id, name)`` of the issuer's achievements, by name (the filter's options)."""
    rows = achievements.list_achievements(session, issuer_id, limit=500)
    return sorted(((str(a.lineage_id), a.name) for a in rows), key=lambda pair: pair[1].lower())


@dataclass(frozen=True, slots=True)
class Row:
    """A credential as the list shows it."""

    credential: Credential
    achievement: str
    state: str


def listing(
    session: Session,
    issuer_id: uuid.UUID,
    filters: CredentialFilter,
    *,
    cursor: str | None,
) -> tuple[list[Row], str | None]:
    """A page of the issuer's credentials, newest first, and the next page's cursor."""
    rows, next_cursor = credentials.list_credentials(
        session, issuer_id, filters, cursor=cursor, limit=PAGE_SIZE
    )
    return _rows(session, rows), next_cursor


def _rows(session: Session, rows: Sequence[Credential]) -> list[Row]:
    names = repository.achievement_names(session, {r.achievement_id for r in rows})
    return [
        Row(
            credential=r,
            achievement=names.get(r.achievement_id, ""),
            state=credentials.credential_state(r),
        )
        for r in rows
    ]


def one(session: Session, console: IssuerConsole, credential_id: uuid.UUID) -> tuple[Row, bool]:
    """One credential of the issuer (404 for another's) and whether it can be suspended."""
    row = credentials.get_credential(session, console.issuer.id, credential_id)
    return _rows(session, [row])[0], status.has_entry(session, row.id, "suspension")


def change(
    session: Session,
    context: AppContext,
    console: IssuerConsole,
    credential_id: uuid.UUID,
    action: str,
    reason: str,
) -> Credential:
    """Revoke, suspend or unsuspend through the API's service (it commits)."""
    kind = KINDS[action]
    cleaned = " ".join(reason.split())[:REASON_MAX] or None
    return credentials.change_status(
        session, context, console.principal, credential_id, kind, cleaned
    )


@dataclass
class BulkResult:
    """What one bulk form did, per credential (in the order the form listed them)."""

    action: str
    changed: list[Row] = field(default_factory=list)
    unchanged: list[Row] = field(default_factory=list)
    errors: list[tuple[str, Row | None, str]] = field(default_factory=list)
    """``(credential id, its row when it is the issuer's, error code)``."""


def change_many(
    session: Session,
    context: AppContext,
    console: IssuerConsole,
    credential_ids: Sequence[uuid.UUID],
    action: str,
    reason: str,
) -> BulkResult:
    """Revoke, suspend or unsuspend many through the API's bulk service (it commits; an id
    that is not the issuer's is reported as not found, and nothing about it is read)."""
    kind = KINDS[action]
    cleaned = " ".join(reason.split())[:REASON_MAX] or None
    outcome = credentials.change_status_many(
        session, context, console.principal, credential_ids, kind, cleaned
    )
    mine = {
        row.credential.id: row
        for row in _rows(
            session,
            credentials_of_issuer(session, console.issuer.id, list(dict.fromkeys(credential_ids))),
        )
    }
    result = BulkResult(action=action)
    result.changed = [mine[i] for i in outcome.changed if i in mine]
    result.unchanged = [mine[i] for i in outcome.unchanged if i in mine]
    for error in outcome.errors:
        found = _uuid(error["id"])
        result.errors.append((error["id"], mine.get(found) if found else None, error["code"]))
    return result


def credentials_of_issuer(
    session: Session, issuer_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Credential]:
    """The issuer's credentials among ``ids`` (another issuer's are left out)."""
    if not ids:
        return []
    query = select(Credential).where(Credential.id.in_(ids), Credential.issuer_id == issuer_id)
    return list(session.scalars(query))
