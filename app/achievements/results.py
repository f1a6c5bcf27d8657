"""Check that a credential's Results fit its Achievement's ResultDescriptions (pure).

OB 3.0 lets an achievement publish ``resultDescription[]`` (rubric levels, a percentage range, an
ordered list of letter grades) and a credential carry ``result[]`` that points at them by id. The
spec does not make a verifier enforce the fit, so an issuer that does not check would sign a
"value 140 of a percentage" or a rubric level the rubric never had. This module is the one place
that decides the fit; it also defines the *order* of result values, which program completion
rules reuse to compare "at least X" (:func:`result_rank`).

Everything here works on the JSON shapes of the spec (camelCase dicts), so it serves the issue
API, the demo loader and the rule engine alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

RESULT_STATUSES = frozenset(
    {"Completed", "Enrolled", "Failed", "InProgress", "OnHold", "Provisional", "Withdrew"}
)
"""``ResultStatusType``: a closed enumeration (no ``ext:`` terms)."""

NUMERIC_RESULT_TYPES = frozenset(
    {"GradePointAverage", "Percent", "PredictedScore", "RawScore", "RubricScore", "ScaledScore"}
)
"""Result types whose ``value`` is a number (kept as a string in the JSON)."""

Problem = tuple[str, str]
"""``(path, message)``; the path names the offending input field, e.g. ``results[0].value``."""


def result_descriptions(achievement: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the achievement's ResultDescriptions (an empty list when it has none)."""
    found = achievement.get("resultDescription") or []
    return [rd for rd in found if isinstance(rd, dict)]


def level_ids(description: Mapping[str, Any]) -> list[str]:
    """Return the ids of a ResultDescription's rubric levels, lowest first (spec order)."""
    levels = description.get("rubricCriterionLevel") or []
    return [lvl["id"] for lvl in levels if isinstance(lvl, dict) and isinstance(lvl.get("id"), str)]


def parse_number(value: Any) -> float | None:
    """Read a numeric result value ("75", "75.5", 75); ``None`` when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("%"))
        except ValueError:
            return None
    return None


def result_rank(description: Mapping[str, Any], result: Mapping[str, Any]) -> float | None:
    """Place a result on its description's scale so that "at least" can be compared.

    The scale is the rubric level order for rubric descriptions, the ``allowedValue`` order
    (low to high, as OB 3.0 defines it) for enumerated values, and the number itself otherwise.
    ``None`` means the result cannot be placed (missing or unknown value).
    """
    levels = level_ids(description)
    achieved = result.get("achievedLevel")
    if levels and achieved is not None:
        return float(levels.index(achieved)) if achieved in levels else None
    allowed = description.get("allowedValue") or []
    value = result.get("value")
    if allowed:
        return float(allowed.index(value)) if value in allowed else None
    return parse_number(value)


def threshold_rank(description: Mapping[str, Any], minimum: str) -> float | None:
    """Place a rule's minimum ("60", "B", a level id or level name) on the same scale."""
    levels = description.get("rubricCriterionLevel") or []
    for index, level in enumerate(levels):
        if isinstance(level, dict) and minimum in (level.get("id"), level.get("name")):
            return float(index)
    allowed = description.get("allowedValue") or []
    if allowed:
        return float(allowed.index(minimum)) if minimum in allowed else None
    return parse_number(minimum)


def validate_results(achievement: Mapping[str, Any], results: Sequence[Any]) -> list[Problem]:
    """Return every way ``results`` do not fit ``achievement``; an empty list means they fit.

    Args:
        achievement: the OB Achievement JSON the credential asserts.
        results: the ``result[]`` entries of the issue request (OB JSON shape).

    Returns:
        ``(path, message)`` pairs, paths rooted at ``results`` like ``results[0].value``.
    """
    descriptions = {rd.get("id"): rd for rd in result_descriptions(achievement)}
    all_levels = {lvl for rd in descriptions.values() for lvl in level_ids(rd)}
    problems: list[Problem] = []
    for index, result in enumerate(results):
        path = f"results[{index}]"
        if not isinstance(result, Mapping):
            problems.append((path, "a Result must be an object"))
            continue
        problems.extend(_check_result(path, result, descriptions, all_levels))
    return problems


def _check_result(
    path: str,
    result: Mapping[str, Any],
    descriptions: Mapping[Any, Mapping[str, Any]],
    all_levels: set[str],
) -> Iterable[Problem]:
    """Check one Result against the description it names (or the whole rubric when none)."""
    status = result.get("status")
    if status is not None and status not in RESULT_STATUSES:
        yield f"{path}.status", f"status must be one of {sorted(RESULT_STATUSES)}"
    value = result.get("value")
    if value is not None and not isinstance(value, str):
        yield f"{path}.value", "value must be a string (OB 3.0 Result.value is a String)"
        return
    ref = result.get("resultDescription")
    if ref is None:
        achieved = result.get("achievedLevel")
        if achieved is not None and achieved not in all_levels:
            yield f"{path}.achievedLevel", f"unknown achievedLevel {achieved!r}"
        return
    description = descriptions.get(ref)
    if description is None:
        yield f"{path}.resultDescription", f"unknown resultDescription {ref!r}"
        return
    yield from _check_against(path, result, description)


def _check_against(
    path: str, result: Mapping[str, Any], description: Mapping[str, Any]
) -> Iterable[Problem]:
    """Check a Result against the ResultDescription it links to."""
    result_type = description.get("resultType")
    levels = level_ids(description)
    achieved = result.get("achievedLevel")
    value = result.get("value")
    if achieved is not None and achieved not in levels:
        yield f"{path}.achievedLevel", f"unknown achievedLevel {achieved!r}"
    elif achieved is None and result_type == "RubricCriterionLevel":
        yield f"{path}.achievedLevel", "achievedLevel is required for a rubric level result"
    if result_type == "Status" and result.get("status") is None:
        yield f"{path}.status", "status is required when the resultType is Status"
    if value is None:
        if result_type in NUMERIC_RESULT_TYPES or description.get("allowedValue"):
            yield f"{path}.value", "value is required for this resultDescription"
        return
    yield from _check_value(f"{path}.value", value, description)


def _check_value(path: str, value: str, description: Mapping[str, Any]) -> Iterable[Problem]:
    """Check ``value`` against ``allowedValue`` or the ``valueMin..valueMax`` range."""
    allowed = description.get("allowedValue")
    if allowed:
        if value not in allowed:
            yield path, f"value {value!r} is not one of the allowed values {list(allowed)}"
        return
    low, high = description.get("valueMin"), description.get("valueMax")
    if description.get("resultType") == "Percent":
        low = "0" if low is None else low
        high = "100" if high is None else high
    if low is None and high is None:
        if description.get("resultType") in NUMERIC_RESULT_TYPES and parse_number(value) is None:
            yield path, f"value {value!r} is not a number"
        return
    number = parse_number(value)
    if number is None:
        yield path, f"value {value!r} is not a number"
        return
    low_n, high_n = parse_number(low), parse_number(high)
    if (low_n is not None and number < low_n) or (high_n is not None and number > high_n):
        yield (
            path,
            f"value {value} is outside {low if low is not None else '…'}..{high if high is not None else '…'}",
        )
