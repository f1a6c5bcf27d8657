"""Per-issuer e-mail accounting: the daily quota and the sending pace."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class MailCounter(Base):
    """One row per issuer that has sent e-mail, updated when its messages are queued.

    A counter rather than a count of ``deliveries``: the fan-out checks it for every message,
    and counting a day's rows for each of a 10,000-learner cohort would read 50 million rows.
    """

    __tablename__ = "mail_counters"

    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10))
    """The UTC day ``count`` is of (``2026-12-02``); a new day starts from zero."""
    count: Mapped[int] = mapped_column(default=0)
    """Messages queued on ``day`` (those refused by the quota are not counted)."""
    pace_at: Mapped[datetime | None] = mapped_column(default=None)
    """The theoretical arrival time of the generic cell rate algorithm (GCRA, ITU-T I.371): the
    next message may go at ``pace_at - burst * interval``, and each one moves it by
    ``interval`` (60 s / rate)."""
