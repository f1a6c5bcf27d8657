"""The reports as CSV: UTF-8 with a BOM (Excel shows Chinese names right), written by the
stdlib ``csv`` module, every text cell guarded against formula injection (achievement and
program names are the issuer's input: a name starting with ``=`` must not run in a
spreadsheet)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from app.batches.template import csv_cell
from app.reports.service import METRICS, Funnel, Summary


def _csv(rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_cell(cell) if isinstance(cell, str) else cell for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def summary_csv(summary: Summary) -> bytes:
    """One row per day (``day`` then :data:`METRICS`), then a ``total`` row."""
    rows: list[Sequence[object]] = [("day", *METRICS)]
    rows += [(row.day.isoformat(), *(row.counts[m] for m in METRICS)) for row in summary.series]
    rows.append(("total", *(summary.totals[m] for m in METRICS)))
    return _csv(rows)


def funnel_csv(funnel: Funnel) -> bytes:
    """One row per stage: ``stage`` (enrolled, module, completed), the module's
    ``achievement_id`` and ``name``, and ``learners``."""
    rows: list[Sequence[object]] = [("stage", "achievement_id", "name", "learners")]
    for stage in funnel.stages:
        module = stage.key == "module"
        rows.append(
            (
                stage.key,
                str(stage.achievement_id) if stage.achievement_id else "",
                stage.label if module else "",
                stage.learners,
            )
        )
    return _csv(rows)
