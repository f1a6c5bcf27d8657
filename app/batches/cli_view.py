"""``badges batch``: upload a cohort file from a shell and watch it being issued.

The file is read and every row validated by the same service call as ``POST /api/v1/batches``
(:func:`app.batches.service.create_batch`, actor ``cli``), so a registrar sees the same
row-and-column errors either way. Who then issues the batch follows the configuration, as for
an upload through the API: with ``badges worker`` processes (PostgreSQL) this command only
watches the batch row; otherwise (SQLite, the embedded runner) the service may not be running,
so this process issues the batch itself, in a thread, while the bar follows the same row.
The rows are leased chunk by chunk (:func:`~app.batches.service.process_batch`), so a service
that picks the batch up at the same time shares it safely.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable
from rich.text import Text
from sqlalchemy.orm import Session

from app.batches import service
from app.batches.input import BatchLimits, read_table
from app.batches.schemas import BatchOptions, BatchPreview, BatchRead
from app.core.context import AppContext
from app.core.db import READ_ONLY
from app.core.errors import AppError
from app.core.security import IssuerPrincipal
from app.models import Batch

ACTOR = "cli"
FINAL_STATES = ("completed", "failed", "cancelled")
POLL_S = 0.25
"""How often the bar reads the batch row (a chunk of 100 rows takes about a second)."""
QUIET_NOTE_S = 10.0
"""Nothing moved for this long: say who the batch is waiting for."""
RETRY_S = 1.0
"""After a pass of the foreground issuer, rows still pending are leased by another process:
look again this often (they become claimable when that lease runs out)."""

Sessions = Callable[[], Session]


def principal(issuer_id: uuid.UUID) -> IssuerPrincipal:
    """The CLI acts for an issuer without an API key: audit entries name ``cli``."""
    return IssuerPrincipal(issuer_id=issuer_id, api_key_id=uuid.UUID(int=0), actor=ACTOR)


def create(
    session: Session,
    context: AppContext,
    issuer_id: uuid.UUID,
    options: BatchOptions,
    path: Path,
    encoding: str | None,
) -> Batch | BatchPreview:
    """Read ``path`` (CSV or XLSX) and validate and queue it as the upload API does."""
    table = read_table(
        path.read_bytes(),
        filename=path.name,
        content_type=None,
        encoding=encoding,
        limits=BatchLimits.from_settings(context.settings),
    )

    return service.create_from_table(
        session, context, principal(issuer_id), options, table, source_name=path.name
    )


# --- what is printed --------------------------------------------------------------------------


def row_errors(error: AppError) -> list[dict[str, Any]]:
    """The entries of ``error`` that point at a row or a column (empty: a one-line error)."""
    return [
        e
        for e in error.errors
        if "message" in e and (e.get("row") is not None or e.get("column") is not None)
    ]


def error_table(errors: Iterable[Mapping[str, Any]], title: str | None = None) -> RichTable:
    """Row, column, message; cells are plain text (a message may hold ``[...]``)."""
    table = RichTable(title=title, title_justify="left")
    table.add_column("row", justify="right")
    table.add_column("column")
    table.add_column("message", overflow="fold")
    for e in errors:
        row, column = e.get("row"), e.get("column")
        table.add_row(
            Text("" if row is None else str(row)), Text(column or ""), Text(str(e["message"]))
        )
    return table


def print_refusal(error: AppError, errors: Sequence[Mapping[str, Any]]) -> None:
    """The upload was refused: the summary line and every row's problem, on stderr."""
    console = Console(stderr=True)
    console.print(Text(f"error: {error.detail}"), soft_wrap=True)
    console.print(error_table(errors))


def print_preview(preview: BatchPreview) -> None:
    """A dry run: the counts, any problem, and the first credential as it would be signed."""
    typer.echo(
        f"dry run: {preview.total} row(s): {preview.valid} to issue, {preview.skipped} skipped "
        f"(already hold it), {preview.invalid} invalid; nothing was created."
    )
    if preview.errors:
        Console(stderr=True).print(
            error_table((e.model_dump() for e in preview.errors), title="problems")
        )
    if preview.first_credential is not None:
        typer.echo("first credential (unsigned):")
        typer.echo(json.dumps(preview.first_credential, indent=2, ensure_ascii=False))


def preview_refused(preview: BatchPreview, options: BatchOptions) -> bool:
    """Would the upload itself be refused? Any problem is, unless ``skipInvalid`` leaves out
    the invalid rows, no problem is the header's or the whole file's, and a row is left."""
    if not preview.errors:
        return False
    rows = {e.row for e in preview.errors if e.row is not None}
    # ``invalid`` counts the data rows with a problem: any other row named is the header
    file_problem = len(rows) > preview.invalid or any(e.row is None for e in preview.errors)
    return not options.skip_invalid or file_problem or preview.valid + preview.skipped == 0


def _time(value: datetime | None) -> str:
    return "-" if value is None else value.isoformat(sep=" ", timespec="seconds")


def print_status(read: BatchRead) -> None:
    """State, counts, times and the failed rows of one batch."""
    lines = [
        ("batch", str(read.id)),
        ("state", read.state),
        ("file", read.source_name or "-"),
        ("achievement", str(read.achievement_id)),
        ("proof", read.proof),
        (
            "rows",
            f"{read.total}: {read.issued} issued, {read.skipped} skipped, {read.failed} failed",
        ),
        ("created", _time(read.created_at)),
        ("started", _time(read.started_at)),
        ("finished", _time(read.finished_at)),
        ("results", read.results_url),
    ]
    width = max(len(label) for label, _ in lines)
    for label, value in lines:
        typer.echo(f"{label:<{width}}  {value}")
    if read.errors:
        Console().print(error_table((e.model_dump() for e in read.errors), title="failed rows"))


def summary(read: BatchRead, issuer_id: uuid.UUID, elapsed_s: float) -> str:
    """The last lines of an upload: the outcome and where the per-row results are."""
    return (
        f"batch {read.id} {read.state}: {read.issued} issued, {read.skipped} skipped, "
        f"{read.failed} failed ({elapsed_s:.1f} s)\n"
        f"results: {read.results_url}\n"
        f"status:  badges batch status {read.id} --issuer {issuer_id}"
    )


# --- following a batch ------------------------------------------------------------------------


def read_batch(sessions: Sessions, issuer_id: uuid.UUID, batch_id: uuid.UUID) -> Batch:
    """The batch row as committed now (a read that takes no write lock on SQLite)."""
    with sessions() as session:
        session.connection(execution_options=READ_ONLY)
        return service.get_batch(session, issuer_id, batch_id)


class ForegroundIssuer:
    """This process issues the batch in a thread until it is finished, the bar following it.

    A pass of :func:`~app.batches.service.process_batch` ends when no row is left to claim;
    rows another process still holds are taken when their lease runs out.
    """

    def __init__(
        self, sessions: Sessions, context: AppContext, issuer_id: uuid.UUID, batch_id: uuid.UUID
    ) -> None:
        self._sessions = sessions
        self._context = context
        self._issuer_id = issuer_id
        self._batch_id = batch_id
        self._stop = threading.Event()
        self.error: Exception | None = None
        self.name = f"cli-{uuid.uuid4().hex[:12]}"
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop after the chunk in hand (it commits or rolls back whole)."""
        self._stop.set()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                service.process_batch(self._sessions, self._context, self._batch_id, self.name)
                batch = read_batch(self._sessions, self._issuer_id, self._batch_id)
                if batch.state in FINAL_STATES:
                    return
                self._stop.wait(RETRY_S)
        except Exception as exc:  # handed to the main thread, which raises it
            self.error = exc


def follow(
    sessions: Sessions,
    issuer_id: uuid.UUID,
    batch: Batch,
    issuer: ForegroundIssuer | None,
    waiting_for: str,
) -> Batch:
    """Show a progress bar until the batch is finished; the final row.

    ``issuer`` is this process's own (None when workers issue); ``waiting_for`` is said once
    when nothing has moved for :data:`QUIET_NOTE_S`.
    """
    columns = (
        TextColumn("issuing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns) as bar:
        task = bar.add_task("issuing", total=batch.total)
        seen = (batch.state, batch.issued + batch.skipped + batch.failed)
        moved_at = time.monotonic()
        said = False
        while True:
            done = batch.issued + batch.skipped + batch.failed
            bar.update(task, completed=done, total=batch.total)
            if batch.state in FINAL_STATES:
                return batch
            if issuer is not None and issuer.error is not None:
                raise issuer.error
            now = time.monotonic()
            if (batch.state, done) != seen:
                seen, moved_at = (batch.state, done), now
            elif not said and now - moved_at >= QUIET_NOTE_S:
                bar.console.print(Text(waiting_for))
                said = True
            time.sleep(POLL_S)
            batch = read_batch(sessions, issuer_id, batch.id)


def after_queue(
    sessions: Sessions, context: AppContext, issuer_id: uuid.UUID, batch: Batch, *, wait: bool
) -> int:
    """Follow a queued batch to its end (or, without ``wait``, say who will); the exit code."""
    workers = context.settings.uses_workers
    if not wait and batch.state not in FINAL_STATES:
        who = "`badges worker` processes issue it" if workers else "`badges serve` issues it"
        typer.echo(f"batch {batch.id} {batch.state} ({batch.total} rows); {who}")
        return 0
    started = time.monotonic()
    issue_here = not workers and batch.state not in FINAL_STATES
    issuer = ForegroundIssuer(sessions, context, issuer_id, batch.id) if issue_here else None
    waiting_for = (
        "waiting for `badges worker` processes"
        if workers
        else "waiting for rows another process holds (its lease runs out within 2 minutes)"
    )
    if issuer is not None:
        issuer.start()
    try:
        final = follow(sessions, issuer_id, batch, issuer, waiting_for)
    except KeyboardInterrupt:
        if issuer is not None:
            issuer.stop()
        typer.echo(
            f"interrupted: batch {batch.id} keeps what it issued; "
            f"{'`badges worker` processes issue' if workers else '`badges serve` issues'} the rest",
            err=True,
        )
        return 130
    with sessions() as session:
        read = service.to_read(context, session, final)
    typer.echo(summary(read, issuer_id, time.monotonic() - started))
    return 0 if read.state == "completed" else 1
