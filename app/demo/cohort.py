"""The demo's finished batch: a small term-end cohort issued from a GB18030 CSV, as a
registrar's Excel in a Chinese locale saves it (through the same parsing, validation and job
as ``POST /api/v1/batches``)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.batches import service as batches
from app.batches.input import BatchLimits, read_table
from app.batches.schemas import BatchOptions
from app.core.context import AppContext
from app.core.security import IssuerPrincipal
from app.models import Achievement, Batch

COHORT_FILE = "demo-cohort-2026-autumn.csv"
LEARNERS = [
    ("wang.fang@example.org", "王芳 Wang Fang", "A"),
    ("zhang.wei@example.org", "张伟 Zhang Wei", "B"),
    ("chen.jing@example.org", "陈静 Chen Jing", "A"),
    ("liu.yang@example.org", "刘洋 Liu Yang", "B"),
    ("zhao.min@example.org", "赵敏 Zhao Min", "A"),
    ("maria.garcia@example.org", "Maria García", "B"),
]


def _csv(result_column: str | None) -> bytes:
    header = ["email", "name", "term", *([result_column] if result_column else [])]
    lines = [",".join(header)]
    for email, name, grade in LEARNERS:
        cells = [email, name, "2026 秋季学期 Autumn", *([grade] if result_column else [])]
        lines.append(",".join(cells))
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


def load_cohort_demo(
    session: Session, context: AppContext, principal: IssuerPrincipal, lineage: uuid.UUID
) -> uuid.UUID:
    """The demo batch's id: found by its file name, else created and issued to the end."""
    found = session.scalars(
        select(Batch.id).where(
            Batch.issuer_id == principal.issuer_id, Batch.source_name == COHORT_FILE
        )
    ).first()
    if found is not None:
        return found
    current = session.scalars(
        select(Achievement).where(Achievement.lineage_id == lineage, Achievement.is_current)
    ).one()
    names = [rd.get("name") for rd in current.result_description or [] if rd.get("name")]
    table = read_table(
        _csv(names[0] if names else None),
        filename=COHORT_FILE,
        content_type="text/csv",
        encoding=None,
        limits=BatchLimits.from_settings(context.settings),
    )
    options = BatchOptions(achievement_id=lineage, duplicates="skip")
    created = batches.create_from_table(
        session, context, principal, options, table, source_name=COHORT_FILE
    )
    assert isinstance(created, Batch)
    sessions = sessionmaker(
        bind=session.get_bind(), info=dict(session.info), expire_on_commit=False
    )
    batches.process_batch(sessions, context, created.id, "demo")
    return created.id
