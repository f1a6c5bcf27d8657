"""Usage counts per issuer, achievement version, UTC day and kind (page views, verifications,
LinkedIn click-throughs): what the reports read. Aggregates only: nothing about who viewed,
verified or shared (no e-mail, no address)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base

USAGE_KINDS = ("view", "verify", "linkedin")
"""``view``: the credential's HTML page served (cached or not); ``verify``: one of our
credentials verified through ``POST /api/v1/verify`` or the ``/verify`` page; ``linkedin``: a
click on the page's "Add to LinkedIn" button (``/credentials/{id}/share/linkedin``)."""


class UsageCount(Base):
    """How many events of ``kind`` the credentials of one achievement version had on ``day``.

    Workers count in memory and add their counts in batches (an upsert that adds), so one row
    per key whatever the traffic: the key ``(issuer_id, achievement_id, day, kind)`` is the
    primary key (unique, and the index the reports read by issuer first). ``achievement_id`` is
    the credential's achievement version (a report of an achievement sums its lineage's
    versions); never NULL, since a NULL in a unique key defeats the adding upsert on
    PostgreSQL (NULLs are distinct) and every counted event is of a credential.
    """

    __tablename__ = "usage_counts"

    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id"), primary_key=True)
    achievement_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("achievements.id"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    """The UTC day the events happened on."""
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    """One of :data:`USAGE_KINDS`."""
    count: Mapped[int] = mapped_column(default=0)
