"""API shapes of batches."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from app.core.schemas import ApiModel, Bool, ReadModel
from app.credentials.schemas import ProofFormat

DuplicatePolicy = Literal["skip", "allow", "error"]
BatchState = Literal["queued", "running", "completed", "failed", "cancelled"]


class BatchOptions(ApiModel):
    """What to issue and how, for a file upload (form fields) or JSON rows."""

    achievement_id: uuid.UUID
    proof: ProofFormat = "data-integrity"
    duplicates: DuplicatePolicy = "skip"
    skip_invalid: Bool = False
    dry_run: Bool = False
    notify: Bool = True
    """E-mail each learner about their credential (``false``: no e-mail for this batch)."""


class BatchCreate(BatchOptions):
    """``POST /api/v1/batches`` with JSON rows: each row an object of template columns."""

    rows: list[dict[str, Any]] = Field(min_length=1)


class RowErrorRead(ReadModel):
    """One problem of one row (``row`` is the sheet's row number: the header is row 1)."""

    row: int | None
    column: str | None
    message: str


class BatchRead(ReadModel):
    """A batch and how far it got."""

    id: uuid.UUID
    achievement_id: uuid.UUID
    state: BatchState
    proof: str
    duplicates: str
    source_name: str | None
    total: int
    issued: int
    skipped: int
    failed: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    results_url: str
    errors: list[RowErrorRead] = Field(default_factory=list)


class BatchAccepted(ReadModel):
    """``202``: the batch is queued."""

    id: uuid.UUID
    state: BatchState
    total: int
    skipped: int
    url: str


class BatchPreview(ReadModel):
    """``dryRun``: what would be issued, nothing created."""

    total: int
    valid: int
    skipped: int
    invalid: int
    rows: list[dict[str, Any]]
    errors: list[RowErrorRead]
    first_credential: dict[str, Any] | None
    note: str


class BatchPage(ReadModel):
    items: list[BatchRead]
