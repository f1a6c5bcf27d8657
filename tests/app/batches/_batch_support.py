"""Achievements built in memory (no database): the batch input side is pure."""

from __future__ import annotations

import uuid
from typing import Any

from app.models import Achievement

LEVELS = [
    {"id": "urn:uuid:00000000-0000-4000-8000-00000000000a", "name": "Pass"},
    {"id": "urn:uuid:00000000-0000-4000-8000-00000000000b", "name": "Merit"},
    {"id": "urn:uuid:00000000-0000-4000-8000-00000000000c", "name": "Distinction"},
]
GRADE_ID = "urn:uuid:00000000-0000-4000-8000-000000000001"
SCORE_ID = "urn:uuid:00000000-0000-4000-8000-000000000002"


def make_achievement(result_description: list[dict[str, Any]] | None = None) -> Achievement:
    """A current achievement version with a rubric-level and a percentage result."""
    if result_description is None:
        result_description = [
            {
                "id": GRADE_ID,
                "name": "Grade",
                "resultType": "RubricCriterionLevel",
                "rubricCriterionLevel": LEVELS,
            },
            {"id": SCORE_ID, "name": "Score", "resultType": "Percent"},
        ]
    return Achievement(
        id=uuid.uuid4(),
        lineage_id=uuid.uuid4(),
        version=1,
        is_current=True,
        issuer_id=uuid.uuid4(),
        name="Databases 101",
        description="Passed the module.",
        criteria={"narrative": "Pass the exam."},
        image=None,
        alignment=[],
        result_description=result_description,
        related=[],
        tags=[],
        in_language="en",
    )
