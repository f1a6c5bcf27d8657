"""Programs in the console: the list, the learners' progress matrix (a page of learners × the
program's modules), its CSV, and the create form turned into the API's own
:class:`~app.programs.schemas.ProgramCreate`.

The matrix decides each cell as the program service does
(:func:`app.programs.service.learner_progress`): the learner's credentials of the program's
issuer under a module's lineage or one of its language versions
(:func:`app.programs.service.module_aliases`), the valid ones evaluated with the same
:func:`app.programs.rules.evaluate`. It only does it for a page of learners at once: one query
for the page's credentials and one for their award rows, not four per learner.

A program's learners are everyone with a progress row (``program_learners``: written whenever
a module credential is issued after the program exists) and everyone holding a credential of
one of its modules (issued before the program existed, too), by e-mail address, else DID.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Select, func, or_, select, union
from sqlalchemy.orm import Session

from app.achievements import service as achievements
from app.core.context import AppContext
from app.credentials.service import credential_state
from app.models import Achievement, Credential, Program, ProgramLearner
from app.programs import repository as programs_repository
from app.programs import service as programs
from app.programs.rules import CompletionRule, EarnedCredential, Evaluation, evaluate
from app.programs.schemas import ProgramCreate

PAGE = 50
"""Learners per page of the matrix (a cohort of hundreds takes a few pages)."""
CSV_LIMIT = 20_000
"""Learners in one CSV export."""
CHOICES = 500
"""Achievements the create form offers as modules."""
LANGUAGES = ("en", "zh-CN")
"""The languages the create form asks a name and description in."""

CELL_STATES = ("held", "below", "suspended", "expired", "revoked", "none")
"""A matrix cell, best first: counts towards the rule; held but under the minimum result;
suspended; expired; revoked; nothing."""


@dataclass(frozen=True)
class Cell:
    """One learner's standing in one module."""

    state: str
    credential_id: uuid.UUID | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Row:
    """One learner's line of the matrix."""

    learner: str
    name: str | None
    cells: list[Cell]
    counted: int
    required: int
    satisfied: bool
    awarded: bool
    program_credential_id: uuid.UUID | None
    needs_review: bool


@dataclass(frozen=True)
class Matrix:
    """A page of the matrix: the modules (columns), the rows, the total and the next page."""

    modules: list[tuple[uuid.UUID, str]]
    rows: list[Row]
    total: int
    after: str | None


# --- learners ------------------------------------------------------------------------------


def _identity() -> Any:
    return func.coalesce(Credential.recipient_email, Credential.recipient_did)


def learners_select(
    issuer_id: uuid.UUID, lineages: Iterable[uuid.UUID], program_ids: Iterable[uuid.UUID]
) -> Select[Any]:
    """The learners (one column, ``learner``): holders of a credential of the issuer under
    ``lineages``, and the progress rows of ``program_ids``."""
    holders = (
        select(_identity().label("learner"))
        .join(Achievement, Achievement.id == Credential.achievement_id)
        .where(Credential.issuer_id == issuer_id, Achievement.lineage_id.in_(list(lineages)))
    )
    parts: list[Select[Any]] = [holders]
    ids = list(program_ids)
    if ids:
        parts.append(
            select(ProgramLearner.learner.label("learner")).where(
                ProgramLearner.program_id.in_(ids)
            )
        )
    combined = union(*parts).subquery()
    return select(combined.c.learner).where(combined.c.learner.is_not(None))


def learners_page(
    session: Session,
    query: Select[Any],
    *,
    after: str | None = None,
    search: str = "",
    limit: int = PAGE,
) -> tuple[list[str], str | None]:
    """A page of learners in order (keyset on the identity), and the key of the next page."""
    column = query.selected_columns[0]
    stmt = query
    if search:
        stmt = stmt.where(column.icontains(search, autoescape=True))
    if after:
        stmt = stmt.where(column > after)
    found = list(session.scalars(stmt.order_by(column).limit(limit + 1)))
    more = len(found) > limit
    found = found[:limit]
    return found, (found[-1] if more and found else None)


def learners_count(session: Session, query: Select[Any], search: str = "") -> int:
    """How many learners ``query`` names (with the same search)."""
    column = query.selected_columns[0]
    if search:
        query = query.where(column.icontains(search, autoescape=True))
    return int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)


def credentials_of(
    session: Session,
    issuer_id: uuid.UUID,
    learners: Sequence[str],
    lineages: Iterable[uuid.UUID],
) -> dict[str, list[tuple[Credential, uuid.UUID]]]:
    """The learners' credentials of the issuer under ``lineages``, oldest first, by learner
    (a credential with both an e-mail address and a DID counts for either name)."""
    if not learners:
        return {}
    stmt = (
        select(Credential, Achievement.lineage_id)
        .join(Achievement, Achievement.id == Credential.achievement_id)
        .where(
            Credential.issuer_id == issuer_id,
            Achievement.lineage_id.in_(list(lineages)),
            or_(
                Credential.recipient_email.in_(list(learners)),
                Credential.recipient_did.in_(list(learners)),
            ),
        )
        .order_by(Credential.created_at, Credential.id)
    )
    wanted = set(learners)
    found: dict[str, list[tuple[Credential, uuid.UUID]]] = {}
    for row, lineage in session.execute(stmt):
        for name in {row.recipient_email, row.recipient_did} & wanted:
            found.setdefault(str(name), []).append((row, lineage))
    return found


def cell_of(credentials: Sequence[Credential], progress_reason: str | None, counts: bool) -> Cell:
    """A module's cell from the learner's credentials of it (any state)."""
    if not credentials:
        return Cell("none")
    now = datetime.now(UTC)
    states = {credential_state(c, now): c for c in reversed(credentials)}
    if "active" in states:
        return Cell("held" if counts else "below", states["active"].id, progress_reason)
    for state in ("suspended", "expired", "revoked"):
        if state in states:
            return Cell(state, states[state].id)
    return Cell("none")


def _earned(row: Credential, module: uuid.UUID) -> EarnedCredential:
    subject = json.loads(row.document).get("credentialSubject", {})
    return EarnedCredential(
        credential_id=str(row.id),
        module_id=str(module),
        achievement=subject.get("achievement", {}),
        results=subject.get("result", []),
    )


def _valid(row: Credential, now: datetime) -> bool:
    """As :func:`app.programs.service._is_valid`: active and already valid."""
    return credential_state(row, now) == "active" and row.valid_from <= now


def matrix(
    session: Session,
    context: AppContext,
    program: Program,
    *,
    after: str | None = None,
    search: str = "",
    limit: int = PAGE,
) -> Matrix:
    """One page of the program's learners × modules."""
    modules = programs.module_lineages(session, program)
    aliases = programs.module_aliases(session, context, modules)
    names = {
        k: v.name for k, v in programs_repository.current_achievements(session, modules).items()
    }
    query = learners_select(program.issuer_id, aliases, [program.id])
    learners, next_after = learners_page(session, query, after=after, search=search, limit=limit)
    total = learners_count(session, query, search)
    held = credentials_of(session, program.issuer_id, learners, aliases)
    awards = {
        row.learner: row
        for row in session.scalars(
            select(ProgramLearner).where(
                ProgramLearner.program_id == program.id, ProgramLearner.learner.in_(learners)
            )
        )
    }
    rule = CompletionRule.model_validate(program.rule)
    now = datetime.now(UTC)
    rows = []
    for learner in learners:
        mine = held.get(learner, [])
        valid = [(c, aliases[lineage]) for c, lineage in mine if _valid(c, now)]
        evaluation: Evaluation = evaluate(
            rule, [str(m) for m in modules], [_earned(c, m) for c, m in valid]
        )
        cells = []
        for module, progress in zip(modules, evaluation.modules, strict=True):
            of_module = [c for c, lineage in mine if aliases[lineage] == module]
            cells.append(cell_of(of_module, progress.reason, progress.qualifies))
        award = awards.get(learner)
        rows.append(
            Row(
                learner=learner,
                name=next((c.recipient_name for c, _ in reversed(mine) if c.recipient_name), None),
                cells=cells,
                counted=evaluation.qualifying,
                required=evaluation.required,
                satisfied=evaluation.satisfied,
                awarded=award is not None and award.credential_id is not None,
                program_credential_id=award.credential_id if award else None,
                needs_review=bool(award and award.needs_review),
            )
        )
    return Matrix(
        modules=[(m, names.get(m, str(m))) for m in modules],
        rows=rows,
        total=total,
        after=next_after,
    )


# --- CSV -----------------------------------------------------------------------------------


def safe_cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run: ``= + - @`` (and tab, CR) get a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def matrix_csv(
    session: Session, context: AppContext, program: Program, labels: Mapping[str, str]
) -> str:
    """The whole matrix (up to :data:`CSV_LIMIT` learners) as CSV with a BOM (Excel reads
    UTF-8 then); ``labels`` names the columns and the cell states in the page's language."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    first = matrix(session, context, program, limit=1)
    header = [labels["learner"], labels["name"], *(name for _, name in first.modules)]
    writer.writerow(
        [safe_cell(h) for h in (*header, labels["counted"], labels["completed"], labels["awarded"])]
    )
    after: str | None = None
    written = 0
    while written < CSV_LIMIT:
        page = matrix(session, context, program, after=after, limit=500)
        for row in page.rows:
            writer.writerow(
                [
                    safe_cell(row.learner),
                    safe_cell(row.name or ""),
                    *(labels[f"state.{cell.state}"] for cell in row.cells),
                    f"{row.counted}/{row.required}",
                    labels["yes"] if row.satisfied else labels["no"],
                    labels["yes"] if row.awarded else labels["no"],
                ]
            )
        written += len(page.rows)
        if page.after is None:
            break
        after = page.after
    return out.getvalue()


# --- the create form -----------------------------------------------------------------------


@dataclass
class ProgramForm:
    """The create form as typed, with errors by field id."""

    values: dict[str, str] = field(default_factory=dict)
    modules: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


FORM_FIELDS = (
    *(f"name_{tag}" for tag in LANGUAGES),
    *(f"description_{tag}" for tag in LANGUAGES),
    "default_language",
    "kind",
    "n",
    "minimum_rd",
    "minimum",
    "on_module_revoked",
    "achievement_type",
    "criteria",
)


def module_choices(session: Session, issuer_id: uuid.UUID) -> list[Achievement]:
    """The issuer's current achievements that can be modules (MicroCredential, Course)."""
    return [
        a
        for a in achievements.list_achievements(session, issuer_id, limit=CHOICES)
        if a.achievement_type in programs.MODULE_TYPES
    ]


def form_from_post(form: Mapping[str, Any], modules: Sequence[str]) -> ProgramForm:
    """The posted form, values kept as typed."""
    values = {
        name: (form.get(name) or "").strip()[:10_000] if isinstance(form.get(name), str) else ""
        for name in FORM_FIELDS
    }
    return ProgramForm(values=values, modules=[m for m in modules if isinstance(m, str)][:100])


def body_of(state: ProgramForm) -> dict[str, Any]:
    """The API body the form means."""
    v = state.values
    names = {tag: v[f"name_{tag}"] for tag in LANGUAGES if v.get(f"name_{tag}")}
    descriptions = {
        tag: v[f"description_{tag}"] for tag in LANGUAGES if v.get(f"description_{tag}")
    }
    rule: dict[str, Any] = {"kind": v.get("kind") or "all"}
    if rule["kind"] == "n_of":
        rule["n"] = v.get("n") or None
    if v.get("minimum_rd"):
        rule["minimumResult"] = {"resultDescription": v["minimum_rd"]}
        if v.get("minimum"):
            rule["minimumResult"]["minimum"] = v["minimum"]
    default = v.get("default_language") or None
    return {
        "name": names,
        "description": descriptions,
        "defaultLanguage": default if default in names else (next(iter(names), None)),
        "modules": state.modules,
        "rule": rule,
        "onModuleRevoked": v.get("on_module_revoked") or "flag",
        "achievement": {
            "achievementType": v.get("achievement_type") or "LearningProgram",
            "criteria": {"narrative": v.get("criteria") or None},
        },
    }


def _field_of(loc: Sequence[Any]) -> str:
    """The form field an API location names."""
    parts = [str(p) for p in loc if not isinstance(p, int)]
    head = parts[0] if parts else ""
    if head in ("name", "description"):
        tag = parts[1] if len(parts) > 1 and parts[1] in LANGUAGES else LANGUAGES[0]
        return f"{head}_{tag}"
    if head == "modules":
        return "modules"
    if head == "rule":
        if "minimumResult" in parts or "minimum_result" in parts:
            return "minimum_rd"
        return "n" if "n" in parts or "among" in parts else "kind"
    if head == "achievement":
        return "achievement_type" if "achievementType" in parts else "criteria"
    if head in ("onModuleRevoked",):
        return "on_module_revoked"
    if head == "defaultLanguage":
        return "default_language"
    return "name_en"


def validate(state: ProgramForm) -> ProgramCreate | None:
    """The API model of the form, or None with ``state.errors`` filled in."""
    body = body_of(state)
    if not body["name"]:
        state.errors.setdefault("name_en", "name")
    if set(body["name"]) != set(body["description"]):
        missing = (set(body["name"]) ^ set(body["description"])) or {LANGUAGES[0]}
        tag = sorted(missing)[0]
        which = "description" if tag in body["name"] else "name"
        state.errors.setdefault(f"{which}_{tag}", "pair")
    if not state.modules:
        state.errors.setdefault("modules", "modules")
    try:
        data = ProgramCreate.model_validate(body)
    except ValidationError as exc:
        for error in exc.errors():
            loc = error.get("loc", ())
            state.errors.setdefault(_field_of(loc) if loc else "kind", str(error.get("msg", "")))
        return None
    return None if state.errors else data


def service_field(path: str | None) -> str:
    """The form field of a service error's ``field`` (``$.rule.n``, ``$.modules[1]``)."""
    text = (path or "").removeprefix("$.")
    loc = [p.split("[")[0] for p in text.split(".") if p]
    return _field_of(loc) if loc else "modules"


def rule_text(program: Program) -> dict[str, Any]:
    """The rule's parts for the page: kind, n, the minimum result."""
    rule = CompletionRule.model_validate(program.rule)
    minimum = rule.minimum_result
    return {
        "kind": rule.kind,
        "n": rule.n,
        "among": rule.among,
        "minimum_rd": minimum.result_description if minimum else None,
        "minimum": minimum.minimum if minimum else None,
    }


def program_name(program: Program, locale: str) -> str:
    """The program's name in ``locale``, else its default language's, else any."""
    translations = program.translations or {}
    for tag in (locale, program.default_language, *translations):
        name = (translations.get(tag) or {}).get("name")
        if name:
            return str(name)
    return str(program.id)
