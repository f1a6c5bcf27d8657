"""JSON of the reports API (camelCase, as every issuer route)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import Field

from app.core.schemas import ReadModel
from app.reports.service import METRICS, Funnel, Summary


class Counts(ReadModel):
    """The six measures of a report (see :mod:`app.reports.service`)."""

    issued: int
    claimed: int
    viewed: int
    verified: int
    shared_linkedin: int
    revoked: int


class DayRead(ReadModel):
    """One UTC day of the series."""

    day: date
    issued: int
    claimed: int
    viewed: int
    verified: int
    shared_linkedin: int
    revoked: int


class SummaryRead(ReadModel):
    """A report over ``[from, to)`` (UTC days, ``to`` excluded): totals and one row per day."""

    issuer_id: uuid.UUID
    from_: date = Field(alias="from")
    to: date
    achievement_id: uuid.UUID | None
    program_id: uuid.UUID | None
    totals: Counts
    series: list[DayRead]

    @classmethod
    def of(cls, summary: Summary) -> SummaryRead:
        return cls.model_validate(
            {
                "issuer_id": summary.issuer_id,
                "from_": summary.period.start,
                "to": summary.period.end,
                "achievement_id": summary.scope.achievement_id,
                "program_id": summary.scope.program_id,
                "totals": {m: summary.totals[m] for m in METRICS},
                "series": [{"day": row.day, **row.counts} for row in summary.series],
            }
        )


class StageRead(ReadModel):
    stage: Literal["enrolled", "module", "completed"]
    achievement_id: uuid.UUID | None
    """The module's achievement (lineage) id; None for enrolled and completed."""
    name: str | None
    """The module's current name."""
    learners: int


class FunnelRead(ReadModel):
    program_id: uuid.UUID
    name: dict[str, str]
    from_: date | None = Field(alias="from")
    to: date | None
    stages: list[StageRead]

    @classmethod
    def of(cls, funnel: Funnel) -> FunnelRead:
        return cls(
            program_id=funnel.program_id,
            name=funnel.name,
            from_=funnel.period.start if funnel.period else None,
            to=funnel.period.end if funnel.period else None,
            stages=[
                StageRead(
                    stage=s.key,
                    achievement_id=s.achievement_id,
                    name=s.label if s.key == "module" else None,
                    learners=s.learners,
                )
                for s in funnel.stages
            ],
        )
