"""What the learner page (``/learners/me``) shows, built from the learner view.

The JSON view (:class:`~app.learners.schemas.LearnerView`) is language-neutral; the page picks,
for each program and module, the name in the page language (a module is one achievement per
language, linked by ``related``), spells the completion rule out in words, and gives every state
an icon *and* words, so nothing is told by colour alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from app.achievements.languages import pick_language, related_versions
from app.core.context import AppContext
from app.core.urls import credential_url
from app.learners.schemas import LearnerCredential, LearnerView
from app.models import Achievement
from app.programs import repository
from app.programs.rules import CompletionRule
from app.programs.schemas import LearnerProgress, ModuleProgressRead
from app.web.i18n import Translator

STATE_ICON = {"active": "check", "revoked": "cross", "suspended": "pause", "expired": "clock"}
STATE_TONE = {"active": "ok", "revoked": "bad", "suspended": "warn", "expired": "warn"}
MODULE_ICON = {"counts": "check", "below": "alert", "missing": "question"}


@dataclass(frozen=True, slots=True)
class CredentialCard:
    """One of the learner's credentials as a card."""

    id: uuid.UUID
    url: str
    name: str
    language: str | None
    issuer: str | None
    valid_from: datetime
    valid_until: datetime | None
    state: str
    icon: str
    tone: str
    hidden: bool


@dataclass(frozen=True, slots=True)
class ModuleLine:
    """One module of a program: its name in the page language and where the learner stands."""

    name: str
    language: str | None
    status: str
    icon: str
    url: str | None


@dataclass(frozen=True, slots=True)
class ProgramCard:
    """A program: progress, the rule in words, the award and the CLR download."""

    id: uuid.UUID
    name: str
    language: str | None
    counted: int
    required: int
    rule: list[str]
    awarded: bool
    awarded_at: datetime | None
    award_url: str | None
    needs_review: bool
    modules: list[ModuleLine]
    clr_url: str


@dataclass(frozen=True, slots=True)
class LearnerPage:
    """Everything the template shows."""

    learner: str
    credentials: list[CredentialCard]
    programs: list[ProgramCard]


def _card(item: LearnerCredential) -> CredentialCard:
    return CredentialCard(
        id=item.id,
        url=item.url,
        name=item.name,
        language=item.language,
        issuer=item.issuer_name,
        valid_from=item.valid_from,
        valid_until=item.valid_until,
        state=item.state,
        icon=STATE_ICON.get(item.state, "question"),
        tone=STATE_TONE.get(item.state, "warn"),
        hidden=item.hidden,
    )


def _versions(
    session: Session, base_url: str, rows: Mapping[uuid.UUID, Achievement]
) -> dict[uuid.UUID, dict[str, str]]:
    """``{module lineage: {language: name}}`` over every language version of each module."""
    related = {module: related_versions(base_url, row.related) for module, row in rows.items()}
    others = repository.current_achievements(
        session, {lineage for versions in related.values() for lineage in versions.values()}
    )
    names: dict[uuid.UUID, dict[str, str]] = {}
    for module, row in rows.items():
        found = {row.in_language or "": row.name}
        for language, lineage in related[module].items():
            other = others.get(lineage)
            if other is not None and other.issuer_id == row.issuer_id:
                found.setdefault(other.in_language or language, other.name)
        names[module] = found
    return names


def _localised(names: Mapping[str, str], locale: str, fallback: str) -> tuple[str, str | None]:
    """The name in ``locale`` (or the nearest) and its language tag (``None`` when unknown)."""
    if not names:
        return fallback, None
    tag = pick_language([k for k in names if k], locale, next(iter(names)))
    return names.get(tag, fallback), tag or None


def _module_status(module: ModuleProgressRead) -> str:
    if module.counts:
        return "counts"
    return "below" if module.earned else "missing"


def _description_names(rows: Iterable[Achievement]) -> dict[str, str]:
    """ResultDescription and rubric level ids → names, to say the rule in words."""
    names: dict[str, str] = {}
    for row in rows:
        for description in row.result_description or []:
            if description.get("id") and description.get("name"):
                names.setdefault(str(description["id"]), str(description["name"]))
            for level in description.get("rubricCriterionLevel") or []:
                if isinstance(level, dict) and level.get("id") and level.get("name"):
                    names.setdefault(str(level["id"]), str(level["name"]))
    return names


def rule_sentences(
    rule_json: Mapping[str, Any], modules: int, labels: Mapping[str, str], t: Translator
) -> list[str]:
    """The completion rule in plain words, in the page language."""
    rule = CompletionRule.model_validate(rule_json)
    if rule.kind == "all":
        lines = [t("learner.rule.all")]
    else:
        total = len(rule.among) if rule.among is not None else modules
        lines = [t("learner.rule.n_of", n=rule.n, total=total)]
    minimum = rule.minimum_result
    if minimum is not None:
        description = labels.get(minimum.result_description, minimum.result_description)
        if minimum.minimum:
            value = labels.get(minimum.minimum, minimum.minimum)
            lines.append(t("learner.rule.minimum", minimum=value, description=description))
        else:
            lines.append(t("learner.rule.minimum_default", description=description))
    return lines


def _program(
    session: Session,
    base_url: str,
    progress: LearnerProgress,
    t: Translator,
) -> ProgramCard:
    ids = [m.achievement_id for m in progress.modules]
    rows = repository.current_achievements(session, ids)
    names = _versions(session, base_url, rows)
    modules = []
    for module in progress.modules:
        name, language = _localised(names.get(module.achievement_id, {}), t.locale, module.name)
        status = _module_status(module)
        first = module.credential_ids[0] if module.credential_ids else None
        modules.append(
            ModuleLine(
                name=name,
                language=language,
                status=status,
                icon=MODULE_ICON[status],
                url=credential_url(base_url, first) if first else None,
            )
        )
    program = repository.get(session, progress.program_id)
    rule = rule_sentences(
        program.rule if program else {}, len(ids), _description_names(rows.values()), t
    )
    name, language = _localised(progress.program_name, t.locale, str(progress.program_id))
    # no token in the URL: the CLR download is authorised by the learner page's cookie
    query = urlencode({"language": t.locale})
    award = progress.program_credential_id
    return ProgramCard(
        id=progress.program_id,
        name=name,
        language=language,
        counted=progress.counted,
        required=progress.required,
        rule=rule,
        awarded=progress.awarded,
        awarded_at=progress.awarded_at,
        award_url=credential_url(base_url, award) if award else None,
        needs_review=progress.needs_review,
        modules=modules,
        clr_url=f"/api/v1/learner/programs/{progress.program_id}/clr?{query}",
    )


def learner_page(
    session: Session, context: AppContext, view: LearnerView, t: Translator
) -> LearnerPage:
    """The learner page's content in the language of ``t``."""
    base_url = context.settings.base_url
    return LearnerPage(
        learner=view.learner,
        credentials=[_card(c) for c in view.credentials],
        programs=[_program(session, base_url, p, t) for p in view.programs],
    )
