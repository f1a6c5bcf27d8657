"""The program section of a credential page: what a program award was earned with.

When the page shows a program's award (the credential a program issued to a learner once its
completion rule was met), the section lists the program's modules in order, with the
learner's credential for each: a link to its public page, the issue date, a short result and
its state, and the completion rule in words. The download of the program's signed CLR 2.0 is
:func:`program_clr`.

Privacy: the module credentials are looked up for the identity the award was decided on (the
``program_learners`` row that points at the award) and only among the award issuer's
credentials, so no other learner's data and no other issuer's can appear. A module credential
the learner hid is shown as "completed, not shared", without link, date or result; a hidden
one that is no longer valid is not shown at all (saying "completed" would be untrue, saying
"revoked" would tell what the learner chose not to share). Copies bound to a wallet's DID
(``bound_from_id``) are left out: programs never count them, and a DID copy next to an e-mail
award would join the two identities.

Cost: a credential that is no award costs no query (a program award carries the program's
``program-award:`` idempotency key); an award costs three: the award row with its program,
the modules' current achievements, and every language version of the modules joined to the
learner's credentials.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from app.achievements.languages import pick_language
from app.credentials.service import credential_state
from app.models import Achievement, Credential, Program, ProgramLearner, ProgramModule
from app.programs.rules import CompletionRule
from app.web.i18n import Translator
from app.web.view import credential_view

AWARD_KEY_PREFIX = "program-award:"
"""The idempotency key prefix of every program award (``app.programs.service``)."""
MAX_RESULT_ROWS = 2
"""Results shown per module (the module's own page has them all)."""
_ACHIEVEMENT_PATH = re.compile(r"/achievements/([0-9a-fA-F-]{36})/v\d+$")

ModuleState = str
"""``valid``, ``revoked``, ``suspended``, ``expired``, ``hidden`` or ``missing``."""


@dataclass(frozen=True, slots=True)
class ModuleRow:
    """One module of the program and the learner's credential for it, as shown."""

    name: str
    language: str | None
    """The language of ``name`` (a ``lang`` attribute), when known."""
    state: ModuleState
    url: str | None
    """The module credential's public page; ``None`` when hidden or not earned."""
    issued: datetime | None
    result: str | None
    counted: bool
    """The rule counts this module (``False`` only for a module outside an ``among`` list)."""


@dataclass(frozen=True, slots=True)
class ProgramSection:
    """The program a credential was awarded for, its rule in words and its modules."""

    program_id: uuid.UUID
    name: str
    language: str | None
    rule: list[str]
    modules: list[ModuleRow]
    completed: int
    """Modules the learner holds a valid credential for (shared or not)."""
    clr_url: str
    """The signed CLR download, in the page language."""


@dataclass(frozen=True, slots=True)
class AwardFacts:
    """What the section and the CLR download are built from (read in three queries)."""

    program: Program
    learner: str
    modules: list[uuid.UUID]
    """The module lineages in program order."""
    current: dict[uuid.UUID, Achievement]
    """The current achievement of each module lineage."""
    names: dict[uuid.UUID, dict[str, str]]
    """``{module: {language: name}}`` over the module's language versions."""
    credentials: dict[uuid.UUID, list[Credential]]
    """``{module: the learner's credentials for it, oldest first}`` (bound copies left out)."""


def is_award_candidate(credential: Any) -> bool:
    """Whether ``credential`` can be a program award at all (no query)."""
    key = getattr(credential, "idempotency_key", None)
    return isinstance(key, str) and key.startswith(AWARD_KEY_PREFIX)


def _identities(credential: Any) -> list[str]:
    return [
        value
        for value in (
            getattr(credential, "recipient_email", None),
            getattr(credential, "recipient_did", None),
        )
        if isinstance(value, str) and value
    ]


def _lineage_in(url: object) -> uuid.UUID | None:
    """The lineage id of an achievement URL (``…/achievements/{lineage}/v{n}``)."""
    match = _ACHIEVEMENT_PATH.search(url) if isinstance(url, str) and len(url) < 2048 else None
    if match is None:
        return None
    try:
        return uuid.UUID(match.group(1))
    except ValueError:
        return None


def _related(row: Achievement | None) -> dict[uuid.UUID, str]:
    """``{lineage: language}`` of the other language versions an achievement names.

    Matched on the path alone (the page has no settings): whatever lineage is named, only the
    program issuer's own achievements are read for it, so a foreign URL adds nothing.
    """
    found: dict[uuid.UUID, str] = {}
    for entry in (row.related or []) if row is not None else []:
        if isinstance(entry, Mapping):
            lineage = _lineage_in(entry.get("id"))
            language = entry.get("inLanguage")
            if lineage is not None and isinstance(language, str):
                found.setdefault(lineage, language)
    return found


def load_award(session: Session, credential: Any) -> AwardFacts | None:
    """The program ``credential`` was awarded for and the learner's module credentials, or
    ``None`` when it is no program's award."""
    identities = _identities(credential)
    if not is_award_candidate(credential) or not identities:
        return None
    found = session.execute(
        select(ProgramLearner.learner, Program)
        .join(Program, Program.id == ProgramLearner.program_id)
        .where(
            ProgramLearner.learner.in_(identities),  # indexed; the award names its learner
            ProgramLearner.credential_id == credential.id,
            Program.issuer_id == credential.issuer_id,
        )
    ).first()
    if found is None:
        return None
    learner, program = str(found[0]), found[1]
    module_rows = session.execute(
        select(ProgramModule.achievement_lineage_id, Achievement)
        .outerjoin(
            Achievement,
            and_(
                Achievement.lineage_id == ProgramModule.achievement_lineage_id,
                Achievement.is_current.is_(True),
            ),
        )
        .where(ProgramModule.program_id == program.id)
        .order_by(ProgramModule.position, ProgramModule.achievement_lineage_id)
    ).all()
    modules = [row[0] for row in module_rows]
    current = {row[0]: row[1] for row in module_rows if row[1] is not None}
    aliases: dict[uuid.UUID, uuid.UUID] = {m: m for m in modules}
    for module in modules:
        for other in _related(current.get(module)):
            aliases.setdefault(other, module)
    names, credentials = _versions_and_credentials(session, program, learner, aliases, current)
    return AwardFacts(program, learner, modules, current, names, credentials)


def _versions_and_credentials(
    session: Session,
    program: Program,
    learner: str,
    aliases: Mapping[uuid.UUID, uuid.UUID],
    current: Mapping[uuid.UUID, Achievement],
) -> tuple[dict[uuid.UUID, dict[str, str]], dict[uuid.UUID, list[Credential]]]:
    """Every language version's current name, and the learner's credentials, in one query."""
    column = Credential.recipient_did if learner.startswith("did:") else Credential.recipient_email
    rows = session.execute(
        select(
            Achievement.lineage_id,
            Achievement.name,
            Achievement.in_language,
            Achievement.is_current,
            Credential,
        )
        .outerjoin(
            Credential,
            and_(
                Credential.achievement_id == Achievement.id,
                column == learner,
                Credential.issuer_id == program.issuer_id,
                Credential.bound_from_id.is_(None),
            ),
        )
        .where(
            Achievement.lineage_id.in_(list(aliases)),
            Achievement.issuer_id == program.issuer_id,
            or_(Achievement.is_current.is_(True), Credential.id.is_not(None)),
        )
        .order_by(Credential.created_at, Credential.id)
    ).all()
    names: dict[uuid.UUID, dict[str, str]] = {}
    for module, row in current.items():  # the module's own language first
        names.setdefault(module, {})[row.in_language or ""] = row.name
    credentials: dict[uuid.UUID, list[Credential]] = {}
    for lineage, name, language, is_current, credential in rows:
        module = aliases[lineage]
        if is_current:
            names.setdefault(module, {}).setdefault(language or "", name)
        if credential is not None:
            credentials.setdefault(module, []).append(credential)
    return names, credentials


def _localised(names: Mapping[str, str], locale: str, fallback: str) -> tuple[str, str | None]:
    """The name in ``locale`` (or the nearest) and its language tag (``None`` when unknown)."""
    if not names:
        return fallback, None
    tag = pick_language([k for k in names if k], locale, next(iter(names)))
    return names.get(tag, fallback), tag or None


def _description_names(rows: Iterable[Achievement]) -> dict[str, str]:
    """ResultDescription and rubric level ids -> names, to say the rule in words."""
    names: dict[str, str] = {}
    for row in rows:
        for description in row.result_description or []:
            if not isinstance(description, Mapping):
                continue
            if description.get("id") and description.get("name"):
                names.setdefault(str(description["id"]), str(description["name"]))
            for level in description.get("rubricCriterionLevel") or []:
                if isinstance(level, Mapping) and level.get("id") and level.get("name"):
                    names.setdefault(str(level["id"]), str(level["name"]))
    return names


def rule_in_words(
    rule_json: Mapping[str, Any],
    modules: Sequence[str],
    module_names: Mapping[str, str],
    labels: Mapping[str, str],
    t: Translator,
) -> list[str]:
    """The completion rule as sentences in the language of ``t`` (``modules``: their ids)."""
    rule = CompletionRule.model_validate(rule_json)
    total = len(modules)
    if rule.kind == "all":
        lines = [t("program.rule.single") if total == 1 else t("program.rule.all", total=total)]
    elif rule.among is not None and set(rule.among) != set(modules):
        listed = t("program.rule.separator").join(module_names.get(m, m) for m in rule.among)
        lines = [t("program.rule.n_of_among", n=rule.n, total=len(rule.among), names=listed)]
    else:
        lines = [t("program.rule.n_of", n=rule.n, total=total)]
    minimum = rule.minimum_result
    if minimum is not None:
        description = labels.get(minimum.result_description, minimum.result_description)
        if minimum.minimum:
            value = labels.get(minimum.minimum, minimum.minimum)
            lines.append(t("program.rule.minimum", minimum=value, description=description))
        else:
            lines.append(t("program.rule.minimum_default", description=description))
    return lines


def _document(row: Credential) -> dict[str, Any]:
    try:
        document = json.loads(row.document)
    except (TypeError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _result(row: Credential) -> str | None:
    """A short summary of the credential's results (``Final grade: A``)."""
    results = credential_view(_document(row)).results[:MAX_RESULT_ROWS]
    return "; ".join(f"{r.label}: {r.value}" if r.label else r.value for r in results) or None


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def shown_credential(
    rows: Sequence[Credential], now: datetime
) -> tuple[ModuleState, Credential | None]:
    """Which of the learner's credentials for one module the page shows, and in what state.

    A valid shared one first (the oldest: the one that made the module count), then a valid
    hidden one (shown without anything of it), then the latest shared one that is no longer
    valid; a hidden one that is no longer valid is not shown.
    """
    states = [(row, credential_state(row, now)) for row in rows]
    for row, state in states:
        if state == "active" and not row.hidden:
            return "valid", row
    if any(state == "active" and row.hidden for row, state in states):
        return "hidden", None
    for row, state in reversed(states):
        if not row.hidden:
            return state, row
    return "missing", None


def module_rows(facts: AwardFacts, t: Translator, now: datetime) -> list[ModuleRow]:
    """One row per module, in program order, in the language of ``t``."""
    rule = CompletionRule.model_validate(facts.program.rule)
    pool = set(rule.pool([str(m) for m in facts.modules]))
    rows: list[ModuleRow] = []
    for module in facts.modules:
        current = facts.current.get(module)
        fallback = current.name if current is not None else str(module)
        name, language = _localised(facts.names.get(module, {}), t.locale, fallback)
        state, shown = shown_credential(facts.credentials.get(module, []), now)
        rows.append(
            ModuleRow(
                name=name,
                language=language,
                state=state,
                url=f"/credentials/{shown.id}" if shown is not None else None,
                issued=_aware(shown.valid_from) if shown is not None else None,
                result=_result(shown) if shown is not None else None,
                counted=str(module) in pool,
            )
        )
    return rows


def build_section(
    facts: AwardFacts, credential_id: object, locale: str, now: datetime | None = None
) -> ProgramSection:
    """The section for already loaded facts (no query)."""
    t = Translator(locale)
    now = now or datetime.now(UTC)
    program = facts.program
    rows = module_rows(facts, t, now)
    ids = [str(m) for m in facts.modules]
    labels = _description_names(facts.current.values())
    module_names = {str(m): row.name for m, row in zip(facts.modules, rows, strict=True)}
    texts = program.translations or {}
    tag = pick_language(list(texts), locale, program.default_language)
    name = str((texts.get(tag) or {}).get("name") or program.id)
    return ProgramSection(
        program_id=program.id,
        name=name,
        language=tag if tag in texts else None,
        rule=rule_in_words(program.rule, ids, module_names, labels, t),
        modules=rows,
        completed=sum(1 for row in rows if row.state in ("valid", "hidden")),
        clr_url=f"/credentials/{credential_id}/clr.json?lang={locale}",
    )


def program_section(session: Session, credential: Any, locale: str) -> ProgramSection | None:
    """The program section of ``credential``'s page, or ``None`` when it is no program award."""
    facts = load_award(session, credential)
    if facts is None:
        return None
    return build_section(facts, credential.id, locale)
