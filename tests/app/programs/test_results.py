"""Result validation against ResultDescriptions: every rejection names the offending field."""

from __future__ import annotations

from typing import Any

import pytest

from app.achievements.results import result_rank, threshold_rank, validate_results

PERCENT = {
    "id": "urn:rd:pct",
    "type": ["ResultDescription"],
    "name": "Final assessment",
    "resultType": "Percent",
    "valueMin": "0",
    "valueMax": "100",
}
LETTER = {
    "id": "urn:rd:letter",
    "type": ["ResultDescription"],
    "name": "Grade",
    "resultType": "LetterGrade",
    "allowedValue": ["D", "C", "B", "A"],
}
RUBRIC = {
    "id": "urn:rd:rubric",
    "type": ["ResultDescription"],
    "name": "Project rubric",
    "resultType": "RubricCriterionLevel",
    "requiredLevel": "urn:lvl:competent",
    "rubricCriterionLevel": [
        {"id": "urn:lvl:novice", "type": ["RubricCriterionLevel"], "name": "Novice"},
        {"id": "urn:lvl:competent", "type": ["RubricCriterionLevel"], "name": "Competent"},
        {"id": "urn:lvl:expert", "type": ["RubricCriterionLevel"], "name": "Expert"},
    ],
}
STATUS = {
    "id": "urn:rd:status",
    "type": ["ResultDescription"],
    "name": "Status",
    "resultType": "Status",
}
ACHIEVEMENT = {"id": "urn:a", "resultDescription": [PERCENT, LETTER, RUBRIC, STATUS]}


def paths(results: list[Any]) -> list[str]:
    return [path for path, _ in validate_results(ACHIEVEMENT, results)]


def test_fitting_results_pass() -> None:
    results = [
        {"type": ["Result"], "resultDescription": "urn:rd:pct", "value": "87.5"},
        {"resultDescription": "urn:rd:letter", "value": "B"},
        {"resultDescription": "urn:rd:rubric", "achievedLevel": "urn:lvl:expert"},
        {"resultDescription": "urn:rd:status", "status": "Completed"},
    ]
    assert validate_results(ACHIEVEMENT, results) == []


@pytest.mark.parametrize(
    ("result", "path"),
    [
        ({"resultDescription": "urn:rd:pct", "value": "140"}, "results[0].value"),
        ({"resultDescription": "urn:rd:pct", "value": "-1"}, "results[0].value"),
        ({"resultDescription": "urn:rd:pct", "value": "lots"}, "results[0].value"),
        ({"resultDescription": "urn:rd:pct"}, "results[0].value"),
        ({"resultDescription": "urn:rd:pct", "value": 50}, "results[0].value"),
        ({"resultDescription": "urn:rd:letter", "value": "E"}, "results[0].value"),
        (
            {"resultDescription": "urn:rd:rubric", "achievedLevel": "urn:lvl:guru"},
            "results[0].achievedLevel",
        ),
        ({"resultDescription": "urn:rd:rubric"}, "results[0].achievedLevel"),
        ({"resultDescription": "urn:rd:nope", "value": "1"}, "results[0].resultDescription"),
        ({"resultDescription": "urn:rd:status"}, "results[0].status"),
        ({"resultDescription": "urn:rd:status", "status": "Done"}, "results[0].status"),
        ({"achievedLevel": "urn:lvl:guru"}, "results[0].achievedLevel"),
        ("not an object", "results[0]"),
    ],
)
def test_misfits_name_the_field(result: Any, path: str) -> None:
    assert path in paths([result])


def test_index_points_at_the_bad_entry() -> None:
    good = {"resultDescription": "urn:rd:pct", "value": "60"}
    bad = {"resultDescription": "urn:rd:letter", "value": "Z"}
    assert paths([good, good, bad]) == ["results[2].value"]


def test_percent_without_explicit_range_is_bounded_0_100() -> None:
    achievement = {"resultDescription": [{**PERCENT, "valueMin": None, "valueMax": None}]}
    assert validate_results(achievement, [{"resultDescription": "urn:rd:pct", "value": "101"}])
    assert not validate_results(achievement, [{"resultDescription": "urn:rd:pct", "value": "100"}])


def test_ranks_follow_each_scale() -> None:
    assert result_rank(RUBRIC, {"achievedLevel": "urn:lvl:expert"}) == 2.0
    assert threshold_rank(RUBRIC, "Competent") == 1.0
    assert threshold_rank(RUBRIC, "urn:lvl:competent") == 1.0
    assert result_rank(LETTER, {"value": "A"}) > result_rank(LETTER, {"value": "C"})  # type: ignore[operator]
    assert result_rank(PERCENT, {"value": "59.5"}) == 59.5
    assert result_rank(LETTER, {"value": "Q"}) is None
