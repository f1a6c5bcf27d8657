"""Micro-credential programs: stackable modules, a completion rule, one award per learner."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models import lengths
from app.models.base import Base, JsonType, Timestamps, UUIDPk


class Program(UUIDPk, Timestamps, Base):
    """A program: its own achievement (Certificate / LearningProgram) earned through modules."""

    __tablename__ = "programs"

    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"), index=True)
    achievement_lineage_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    """The program's achievement (lineage id, so new versions of it stay the program's)."""
    default_language: Mapped[str] = mapped_column(String(lengths.LANGUAGE_TAG))
    translations: Mapped[dict[str, Any]] = mapped_column(JsonType)
    """``{"en": {"name": …, "description": …}, "zh-CN": {…}}``."""
    rule: Mapped[dict[str, Any]] = mapped_column(JsonType)
    """A :class:`app.programs.rules.CompletionRule` as JSON."""
    on_module_revoked: Mapped[str] = mapped_column(String(16), default="flag")
    """``flag`` (mark the award for review) or ``suspend`` (also suspend the program credential)."""


class ProgramModule(Base):
    """Membership of a module achievement in a program, in display order."""

    __tablename__ = "program_modules"

    program_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    achievement_lineage_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    position: Mapped[int] = mapped_column(default=0)


class ProgramLearner(UUIDPk, Timestamps, Base):
    """One learner in one program: the row that is locked while deciding the award.

    The unique ``(program_id, learner)`` pair plus ``SELECT … FOR UPDATE`` on this row is what
    makes the program award exactly-once when module credentials arrive concurrently.
    """

    __tablename__ = "program_learners"
    __table_args__ = (UniqueConstraint("program_id", "learner"),)

    program_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"))
    learner: Mapped[str] = mapped_column(String(lengths.LEARNER), index=True)
    """Normalised learner identity: lower-case e-mail or a DID."""
    credential_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("credentials.id"))
    """The program credential, once awarded (never re-awarded: exactly once)."""
    awarded_at: Mapped[datetime | None] = mapped_column(default=None)
    needs_review: Mapped[bool] = mapped_column(default=False)
    review_reason: Mapped[str | None] = mapped_column(Text, default=None)
