"""Program completion rules and their evaluation (pure: no database, no clock).

A program is complete for a learner when their *valid* module credentials satisfy the rule:

* ``all``: every module of the program;
* ``n_of``: at least ``n`` modules among ``among`` (default: all of the program's modules);

either optionally with a minimum result: for the ResultDescription named ``result_description``
(matched by id or by name, so one rule fits every module that reuses the "Final assessment"
wording), the learner's Result must rank at least ``minimum`` on that description's scale
(rubric level order, ``allowedValue`` order, or the number; see
:func:`app.achievements.results.result_rank`). A module whose achievement defines no such
ResultDescription counts on being earned alone: the rule cannot ask for an assessment the module
never had.

Which credentials are "valid" (not revoked, suspended or expired) is the caller's business; this
module decides only whether the given ones satisfy the rule, and explains why per module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from app.achievements.results import result_descriptions, result_rank, threshold_rank


class MinimumResult(BaseModel):
    """A minimum result a module credential must carry to count towards the program."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    result_description: str = Field(
        min_length=1, description="id or name of the ResultDescription the minimum applies to"
    )
    minimum: str | None = Field(
        default=None,
        description="lowest acceptable value: a number, an allowedValue, a rubric level id or "
        "name; defaults to the description's requiredLevel / requiredValue",
    )


class CompletionRule(BaseModel):
    """When a learner has completed a program."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True)

    kind: Literal["all", "n_of"] = "all"
    n: int | None = Field(default=None, ge=1, description="how many modules (n_of only)")
    among: list[str] | None = Field(
        default=None, description="module ids the n are counted among (n_of; default all)"
    )
    minimum_result: MinimumResult | None = None

    @model_validator(mode="after")
    def _n_matches_kind(self) -> Self:
        """``n``/``among`` belong to ``n_of`` only, and ``n_of`` needs ``n``."""
        if self.kind == "n_of" and self.n is None:
            raise ValueError("n is required when kind is 'n_of'")
        if self.kind == "all" and (self.n is not None or self.among is not None):
            raise ValueError("n and among apply only when kind is 'n_of'")
        return self

    def pool(self, modules: Sequence[str]) -> list[str]:
        """Return the module ids the rule counts (``among`` or every module)."""
        return list(self.among) if self.among is not None else list(modules)

    def required(self, modules: Sequence[str]) -> int:
        """Return how many modules of the pool must qualify."""
        return len(self.pool(modules)) if self.kind == "all" else int(self.n or 0)


@dataclass(frozen=True)
class EarnedCredential:
    """A valid module credential of the learner, as the rule engine needs to see it."""

    credential_id: str
    module_id: str
    achievement: Mapping[str, Any]
    results: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True)
class ModuleProgress:
    """One module's state for one learner."""

    module_id: str
    earned: bool
    qualifies: bool
    credential_ids: tuple[str, ...]
    qualifying_credential_id: str | None
    reason: str | None


@dataclass(frozen=True)
class Evaluation:
    """The outcome of a rule for one learner."""

    satisfied: bool
    required: int
    qualifying: int
    modules: tuple[ModuleProgress, ...]

    @property
    def qualifying_credential_ids(self) -> list[str]:
        """Return the credential ids that made the modules count (for audit and CLR)."""
        return [m.qualifying_credential_id for m in self.modules if m.qualifying_credential_id]


def evaluate(
    rule: CompletionRule, modules: Sequence[str], earned: Sequence[EarnedCredential]
) -> Evaluation:
    """Evaluate ``rule`` over a program's ``modules`` given the learner's valid credentials."""
    pool = set(rule.pool(modules))
    progress = tuple(
        _module_progress(module, [e for e in earned if e.module_id == module], rule.minimum_result)
        for module in modules
    )
    qualifying = sum(1 for p in progress if p.qualifies and p.module_id in pool)
    required = rule.required(modules)
    return Evaluation(
        satisfied=qualifying >= required > 0,
        required=required,
        qualifying=qualifying,
        modules=progress,
    )


def _module_progress(
    module_id: str, credentials: list[EarnedCredential], minimum: MinimumResult | None
) -> ModuleProgress:
    """Decide whether one module counts, keeping the first credential that makes it count."""
    ids = tuple(c.credential_id for c in credentials)
    if not credentials:
        return ModuleProgress(module_id, False, False, ids, None, "not earned")
    reason = None
    for credential in credentials:
        reason = _shortfall(credential, minimum)
        if reason is None:
            return ModuleProgress(module_id, True, True, ids, credential.credential_id, None)
    return ModuleProgress(module_id, True, False, ids, None, reason)


def _shortfall(credential: EarnedCredential, minimum: MinimumResult | None) -> str | None:
    """Say why a credential falls short of the minimum result, or ``None`` when it meets it."""
    if minimum is None:
        return None
    description = _find_description(credential.achievement, minimum.result_description)
    if description is None:
        return None  # the module has no such assessment: earning it is enough
    threshold_text = (
        minimum.minimum or description.get("requiredLevel") or description.get("requiredValue")
    )
    linked = [r for r in credential.results if r.get("resultDescription") == description["id"]]
    ranks = [
        rank
        for r in linked
        if r.get("status", "Completed") == "Completed"
        and (rank := result_rank(description, r)) is not None
    ]
    if not ranks:
        return f"no completed result for {description.get('name', description['id'])!r}"
    if threshold_text is None:
        return None
    threshold = threshold_rank(description, str(threshold_text))
    if threshold is None:
        return f"minimum {threshold_text!r} is not on the scale of {description.get('name')!r}"
    if max(ranks) < threshold:
        return f"result below the minimum {threshold_text!r}"
    return None


def _find_description(achievement: Mapping[str, Any], ref: str) -> dict[str, Any] | None:
    """Find a ResultDescription by id first, then by name."""
    descriptions = result_descriptions(achievement)
    for rd in descriptions:
        if rd.get("id") == ref:
            return rd
    for rd in descriptions:
        if rd.get("name") == ref:
            return rd
    return None
