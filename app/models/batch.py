"""Batches: one achievement issued to many learners from a spreadsheet, as a durable job.

The rows are the job's state. A worker claims a chunk of pending rows by writing a lease on
them (``lease_owner``, ``lease_until``) in a short transaction, then issues them and marks them
issued in one transaction with the credentials; a worker that dies leaves its leases to expire,
and any worker claims those rows again. A row's credential carries the idempotency key
``batch:<batch id>:<row key>``, so even two workers racing on one row write one credential.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models import lengths
from app.models.base import Base, CreatedAt, JsonType, UUIDPk

BATCH_STATES = ("queued", "running", "completed", "failed", "cancelled")
ROW_STATES = ("pending", "issued", "skipped", "failed", "cancelled")


class Batch(UUIDPk, CreatedAt, Base):
    """A batch: what to issue, to how many, and how far it got."""

    __tablename__ = "batches"
    __table_args__ = (Index("ix_batches_issuer_id_created_at", "issuer_id", "created_at"),)

    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"))
    achievement_lineage_id: Mapped[uuid.UUID]
    """The achievement as the caller named it (its lineage: the current version is issued)."""
    proof: Mapped[str] = mapped_column(String(16))
    duplicates: Mapped[str] = mapped_column(String(8))
    actor: Mapped[str] = mapped_column(String(200))
    source_name: Mapped[str | None] = mapped_column(String(lengths.FILE_NAME))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    issued: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    """When a worker last committed a chunk (the sweep re-dispatches batches gone quiet)."""


class BatchRow(Base):
    """One row of a batch: the validated request, and what became of it."""

    __tablename__ = "batch_rows"
    __table_args__ = (
        UniqueConstraint("batch_id", "row_key"),
        Index("ix_batch_rows_batch_id_state", "batch_id", "state"),
    )

    batch_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("batches.id"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    """The row's number in the sheet as the user sees it (header = 1)."""
    row_key: Mapped[str] = mapped_column(String(lengths.ROW_KEY))
    request: Mapped[dict[str, Any]] = mapped_column(JsonType)
    """The validated ``CredentialIssue`` (JSON mode, by alias)."""
    state: Mapped[str] = mapped_column(String(16), default="pending")
    credential_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credentials.id"))
    error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(default=None)
