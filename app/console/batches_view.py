"""The cohort wizard and the batches list in the console: what the pages show, through the API's
own batch service.

Every step goes through :mod:`app.batches.service` with the staff member's
:class:`~app.core.security.IssuerPrincipal`, exactly as ``POST /api/v1/batches`` does:

* **check**: the upload is parsed by :func:`app.batches.input.read_table` under the API's limits
  and run through :func:`app.batches.service.create_from_table` with ``dryRun`` (the same
  validation and duplicate check as the create path; nothing is written);
* **issue**: the same function without ``dryRun`` creates the queued batch (``staff:<id>``
  as its actor and in its audit row); the job runners issue it;
* **cancel**, **results**: the service's cancel and the API's results CSV.

Between *check* and *issue* the uploaded file is kept on the server, never in the page: its
bytes and what it was checked against go to ``<data dir>/console-uploads/<random id>``; the page
carries only the id, which opens the file for the same user at the same issuer, for
:data:`UPLOAD_TTL_S`. Issuing validates the file again (an upload could meanwhile have issued
some of its learners). A deployment whose web processes do not share a data directory sends a
user whose next request lands elsewhere back to upload again (the page says so).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.achievements import service as achievements
from app.batches import service as batches
from app.batches.input import BatchInputError, BatchLimits, read_table
from app.batches.schemas import BatchOptions, BatchPreview
from app.batches.template import result_columns
from app.console.access import IssuerConsole
from app.core.context import AppContext
from app.core.errors import AppError
from app.models import Achievement, Batch, StaffUser

PAGE_SIZE = 25
"""Batches per page of the list."""
RESULTS_PAGE = 100
"""Rows per page of a batch's results table."""
PREVIEW_SHOWN = 10
"""Rows of the preview table (the counts cover every row)."""
ERRORS_SHOWN = 1_000
"""Problems listed on the check page (the count covers all)."""
UPLOAD_TTL_S = 2 * 60 * 60
"""How long a checked upload waits for its "Issue" click."""
UPLOAD_DIR = "console-uploads"
DUPLICATES = ("skip", "error", "allow")
ACTIVE = ("queued", "running")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


# --- the checked upload, kept between the steps -------------------------------------------


@dataclass(frozen=True, slots=True)
class Upload:
    """A checked file waiting to be issued, and what it was checked against."""

    token: str
    issuer_id: uuid.UUID
    user_id: uuid.UUID
    achievement_id: uuid.UUID
    duplicates: str
    notify: bool
    filename: str | None
    content_type: str | None
    data: bytes


def clean_filename(name: str | None) -> str | None:
    """The upload's name as the batch keeps it: no control characters, at most 200."""
    cleaned = "".join(c for c in (name or "") if c >= " " and c != "\x7f").strip()
    return cleaned[-200:] or None


def _folder(context: AppContext) -> Path:
    return Path(context.settings.data_dir) / UPLOAD_DIR


def keep_upload(
    context: AppContext,
    console: IssuerConsole,
    options: BatchOptions,
    data: bytes,
    filename: str | None,
    content_type: str | None,
) -> str:
    """Keep the file for the issue step; the random id the page carries."""
    folder = _folder(context)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    _sweep(folder)
    token = secrets.token_urlsafe(24)
    meta = {
        "issuer": str(console.issuer.id),
        "user": str(console.user.id),
        "achievement": str(options.achievement_id),
        "duplicates": options.duplicates,
        "notify": options.notify,
        "filename": filename,
        "contentType": content_type,
    }
    _write(folder / f"{token}.bin", data)
    _write(folder / f"{token}.json", json.dumps(meta).encode("utf-8"))
    return token


def _write(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)


def _sweep(folder: Path) -> None:
    """Forget uploads nobody issued in time."""
    cutoff = time.time() - UPLOAD_TTL_S
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # another process swept it first
            continue


def open_upload(context: AppContext, console: IssuerConsole, token: str) -> Upload | None:
    """The upload ``token`` of this user at this issuer, or None (unknown, expired, another's)."""
    if not _TOKEN.match(token):
        return None
    folder = _folder(context)
    meta_path, data_path = folder / f"{token}.json", folder / f"{token}.bin"
    try:
        if meta_path.stat().st_mtime < time.time() - UPLOAD_TTL_S:
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        data = data_path.read_bytes()
    except (OSError, ValueError):
        return None
    if meta.get("issuer") != str(console.issuer.id) or meta.get("user") != str(console.user.id):
        return None
    return Upload(
        token=token,
        issuer_id=console.issuer.id,
        user_id=console.user.id,
        achievement_id=uuid.UUID(meta["achievement"]),
        duplicates=str(meta["duplicates"]),
        notify=bool(meta["notify"]),
        filename=meta.get("filename"),
        content_type=meta.get("contentType"),
        data=data,
    )


def drop_upload(context: AppContext, token: str) -> None:
    """Forget an upload once its batch exists."""
    if not _TOKEN.match(token):
        return
    for suffix in (".bin", ".json"):
        (_folder(context) / f"{token}{suffix}").unlink(missing_ok=True)


# --- check and issue ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of the upload: the sheet's row (None: the whole file), column, message."""

    row: int | None
    column: str | None
    message: str


@dataclass(slots=True)
class Checked:
    """What the check page shows: counts, problems, the first rows as they would be issued."""

    total: int = 0
    valid: int = 0
    invalid: int = 0
    duplicates: int = 0
    problems: list[Problem] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)
    preview: list[dict[str, str]] = field(default_factory=list)

    @property
    def can_issue(self) -> bool:
        """Something to issue, and no problem that is the whole file's."""
        return self.valid > 0 and not self.file_problems


def options_for(upload: Upload, *, dry_run: bool, skip_invalid: bool = False) -> BatchOptions:
    return BatchOptions(
        achievement_id=upload.achievement_id,
        duplicates=upload.duplicates,
        notify=upload.notify,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
    )


def _table(context: AppContext, upload: Upload) -> Any:
    return read_table(
        upload.data,
        filename=upload.filename,
        content_type=upload.content_type,
        encoding=None,
        limits=BatchLimits.from_settings(context.settings),
    )


def check(session: Session, context: AppContext, console: IssuerConsole, upload: Upload) -> Checked:
    """Validate every row as the create path does (``dryRun``: nothing is written)."""
    try:
        result = batches.create_from_table(
            session,
            context,
            console.principal,
            options_for(upload, dry_run=True),
            _table(context, upload),
            source_name=upload.filename,
        )
    except BatchInputError as exc:  # unreadable, too large, too many rows, a bad header
        session.rollback()
        problem = Problem(exc.row, exc.column, exc.message)
        return Checked(problems=[problem], file_problems=[problem])
    except AppError as exc:  # e.g. the achievement was meanwhile removed
        session.rollback()
        problem = Problem(None, None, exc.detail)
        return Checked(problems=[problem], file_problems=[problem])
    assert isinstance(result, BatchPreview)
    achievement = batches.current_achievement(session, console.issuer.id, upload.achievement_id)
    problems = [Problem(e.row, e.column, e.message) for e in result.errors]
    return Checked(
        total=result.total,
        valid=result.valid,
        invalid=result.invalid,
        duplicates=result.skipped,
        problems=problems,
        file_problems=[p for p in problems if p.row is None or p.row == 1],
        preview=[_preview_row(achievement, row) for row in result.rows[:PREVIEW_SHOWN]],
    )


def _preview_row(achievement: Achievement, row: dict[str, Any]) -> dict[str, str]:
    """A row as the preview table shows it: who, which results, when."""
    recipient = row.get("recipient") or {}
    names = {str(d.get("id")): header for header, d in result_columns(achievement)}
    results = "; ".join(
        f"{names.get(str(r.get('resultDescription')), '')}: "
        f"{r.get('value') or r.get('achievedLevel') or r.get('status') or ''}".strip(": ")
        for r in row.get("results") or []
    )
    return {
        "row": str(row.get("row", "")),
        "rowKey": str(row.get("rowKey", "")),
        "name": str(recipient.get("name") or ""),
        "recipient": str(recipient.get("email") or recipient.get("did") or ""),
        "results": results,
        "validFrom": str(row.get("validFrom") or ""),
    }


def issue(
    session: Session,
    context: AppContext,
    console: IssuerConsole,
    upload: Upload,
    *,
    skip_invalid: bool,
) -> Batch:
    """Create the queued batch through the API's service (it validates every row again)."""
    result = batches.create_from_table(
        session,
        context,
        console.principal,
        options_for(upload, dry_run=False, skip_invalid=skip_invalid),
        _table(context, upload),
        source_name=upload.filename,
    )
    assert isinstance(result, Batch)
    return result


# --- the list, one batch --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Listed:
    """A batch as the list shows it."""

    batch: Batch
    achievement: str
    creator: str

    @property
    def done(self) -> int:
        return self.batch.issued + self.batch.skipped + self.batch.failed

    @property
    def pending(self) -> int:
        return max(self.batch.total - self.done, 0) if self.batch.state in ACTIVE else 0


def achievement_choices(session: Session, issuer_id: uuid.UUID) -> list[Achievement]:
    """The issuer's achievements (current versions) to choose from, by name."""
    found: list[Achievement] = []
    offset = 0
    while True:  # an issuer has tens of achievements, a few hundred at most
        page = achievements.list_achievements(session, issuer_id, limit=200, offset=offset)
        found.extend(page)
        if len(page) < 200 or len(found) >= 2_000:
            break
        offset += 200
    return sorted(found, key=lambda a: a.name.casefold())


def count_batches(session: Session, issuer_id: uuid.UUID) -> int:
    return int(
        session.scalar(select(func.count()).select_from(Batch).where(Batch.issuer_id == issuer_id))
        or 0
    )


def listing(session: Session, issuer_id: uuid.UUID, page: int) -> list[Listed]:
    """A page of the issuer's batches, newest first (the API's own list)."""
    rows = batches.list_batches(session, issuer_id, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return describe(session, issuer_id, rows)


def describe(session: Session, issuer_id: uuid.UUID, rows: Sequence[Batch]) -> list[Listed]:
    """Each batch with its achievement's name and who created it."""
    lineages = {b.achievement_lineage_id for b in rows}
    names: dict[uuid.UUID, str] = {}
    if lineages:
        found = session.execute(
            select(Achievement.lineage_id, Achievement.name).where(
                Achievement.issuer_id == issuer_id,
                Achievement.lineage_id.in_(lineages),
                Achievement.is_current.is_(True),
            )
        )
        names = {row.lineage_id: row.name for row in found}
    staff_ids: set[uuid.UUID] = set()
    for b in rows:
        staff_id = _staff_id(b.actor)
        if staff_id is not None:
            staff_ids.add(staff_id)
    people: dict[uuid.UUID, str] = {}
    if staff_ids:
        found_people = session.execute(
            select(StaffUser.id, StaffUser.display_name, StaffUser.email).where(
                StaffUser.id.in_(staff_ids)
            )
        )
        people = {p.id: f"{p.display_name} ({p.email})" for p in found_people}
    return [
        Listed(
            batch=b,
            achievement=names.get(b.achievement_lineage_id, str(b.achievement_lineage_id)),
            creator=_creator(b.actor, people),
        )
        for b in rows
    ]


def _staff_id(actor: str) -> uuid.UUID | None:
    if not actor.startswith("staff:"):
        return None
    try:
        return uuid.UUID(actor.removeprefix("staff:"))
    except ValueError:
        return None


def _creator(actor: str, people: dict[uuid.UUID, str]) -> str:
    """A staff member by name and address; an API key or the CLI by the actor string."""
    staff_id = _staff_id(actor)
    if staff_id is not None and staff_id in people:
        return people[staff_id]
    return actor


def one(session: Session, console: IssuerConsole, batch_id: uuid.UUID) -> Listed:
    """One batch of the issuer (404 for another's, as in the API)."""
    batch = batches.get_batch(session, console.issuer.id, batch_id)
    return describe(session, console.issuer.id, [batch])[0]


def progress(listed: Listed) -> dict[str, Any]:
    """The counts the progress script polls for."""
    b = listed.batch
    return {
        "state": b.state,
        "total": b.total,
        "issued": b.issued,
        "skipped": b.skipped,
        "failed": b.failed,
        "pending": listed.pending,
        "done": listed.done,
        "finished": b.state not in ACTIVE,
    }


def results_page(
    session: Session, context: AppContext, batch: Batch, page: int
) -> tuple[list[dict[str, Any]], int]:
    """A page of the batch's rows (state, credential, error) and the number of pages."""
    rows = batches.result_rows(session, batch, context.settings.base_url)
    pages = max((len(rows) + RESULTS_PAGE - 1) // RESULTS_PAGE, 1)
    start = (min(page, pages) - 1) * RESULTS_PAGE
    return rows[start : start + RESULTS_PAGE], pages


def cancel(session: Session, console: IssuerConsole, batch_id: uuid.UUID) -> Batch:
    """Stop a queued or running batch (the service's cancel; its audit row names the person)."""
    return batches.cancel_batch(session, console.principal, batch_id)
