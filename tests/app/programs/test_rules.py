"""Program completion rules: all, N of a set, minimum results."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.programs.rules import CompletionRule, EarnedCredential, MinimumResult, evaluate

MODULES = ["m1", "m2", "m3"]


def achievement(module: str) -> dict[str, object]:
    return {
        "id": f"urn:{module}",
        "resultDescription": [
            {
                "id": f"urn:{module}:pct",
                "name": "Final assessment",
                "resultType": "Percent",
                "requiredValue": "60",
            },
            {
                "id": f"urn:{module}:rubric",
                "name": "Rubric",
                "resultType": "RubricCriterionLevel",
                "rubricCriterionLevel": [
                    {"id": f"urn:{module}:l{i}", "name": name}
                    for i, name in enumerate(["Novice", "Competent", "Expert"])
                ],
            },
        ],
    }


def earned(module: str, pct: str | None = None, level: int | None = None) -> EarnedCredential:
    results: list[dict[str, str]] = []
    if pct is not None:
        results.append({"resultDescription": f"urn:{module}:pct", "value": pct})
    if level is not None:
        results.append(
            {"resultDescription": f"urn:{module}:rubric", "achievedLevel": f"urn:{module}:l{level}"}
        )
    return EarnedCredential(f"cred-{module}-{pct}-{level}", module, achievement(module), results)


def test_all_needs_every_module() -> None:
    rule = CompletionRule(kind="all")
    two = evaluate(rule, MODULES, [earned("m1"), earned("m2")])
    assert (two.satisfied, two.qualifying, two.required) == (False, 2, 3)
    assert [m.earned for m in two.modules] == [True, True, False]
    assert evaluate(rule, MODULES, [earned(m) for m in MODULES]).satisfied


def test_n_of_counts_only_the_pool() -> None:
    rule = CompletionRule(kind="n_of", n=2, among=["m2", "m3"])
    assert not evaluate(rule, MODULES, [earned("m1"), earned("m2")]).satisfied
    result = evaluate(rule, MODULES, [earned("m2"), earned("m3")])
    assert result.satisfied
    assert result.qualifying_credential_ids == ["cred-m2-None-None", "cred-m3-None-None"]


def test_minimum_percent_defaults_to_required_value() -> None:
    rule = CompletionRule(
        kind="all", minimum_result=MinimumResult(result_description="Final assessment")
    )
    low = evaluate(rule, ["m1"], [earned("m1", pct="59")])
    assert not low.satisfied
    assert low.modules[0].reason == "result below the minimum '60'"
    assert evaluate(rule, ["m1"], [earned("m1", pct="60")]).satisfied


def test_minimum_is_met_by_any_of_the_credentials() -> None:
    rule = CompletionRule(
        minimum_result=MinimumResult(result_description="Final assessment", minimum="75")
    )
    result = evaluate(rule, ["m1"], [earned("m1", pct="70"), earned("m1", pct="80")])
    assert result.satisfied
    assert result.modules[0].qualifying_credential_id == "cred-m1-80-None"


def test_minimum_rubric_level_by_name() -> None:
    rule = CompletionRule(
        minimum_result=MinimumResult(result_description="Rubric", minimum="Competent")
    )
    assert not evaluate(rule, ["m1"], [earned("m1", level=0)]).satisfied
    assert evaluate(rule, ["m1"], [earned("m1", level=1)]).satisfied
    missing = evaluate(rule, ["m1"], [earned("m1", pct="99")])
    assert missing.modules[0].reason == "no completed result for 'Rubric'"


def test_failed_status_does_not_count() -> None:
    rule = CompletionRule(minimum_result=MinimumResult(result_description="Final assessment"))
    credential = EarnedCredential(
        "c",
        "m1",
        achievement("m1"),
        [{"resultDescription": "urn:m1:pct", "value": "90", "status": "Failed"}],
    )
    assert not evaluate(rule, ["m1"], [credential]).satisfied


def test_module_without_the_assessment_counts_on_earning() -> None:
    rule = CompletionRule(minimum_result=MinimumResult(result_description="Final assessment"))
    plain = EarnedCredential("c", "m1", {"id": "urn:m1"}, [])
    assert evaluate(rule, ["m1"], [plain]).satisfied


@pytest.mark.parametrize(
    "payload",
    [
        {"kind": "n_of"},
        {"kind": "all", "n": 2},
        {"kind": "n_of", "n": 0},
        {"kind": "some"},
        {"kind": "all", "extra": 1},
    ],
)
def test_malformed_rules_are_refused(payload: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CompletionRule.model_validate(payload)
