"""Programs: creation, learner progress, the exactly-once award, and revocation follow-up.

The award is decided under a row lock on the ``(program, learner)`` row
(:func:`app.programs.repository.lock_learner`), inside the transaction that issued or revoked
the module credential, so the program credential commits or rolls back with its cause and is
issued at most once per learner (the unique row; the credential's idempotency key is a second
guard).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.achievements.languages import language_lineages, pick_language, related_versions
from app.audit import service as audit
from app.core.context import AppContext
from app.core.errors import NotFound, Unprocessable
from app.core.urls import achievement_url
from app.credentials import issuing
from app.credentials import service as credentials
from app.credentials.schemas import CredentialIssue, RecipientIn
from app.models import (
    Achievement,
    Credential,
    Program,
    ProgramLearner,
    ProgramModule,
    StatusEvent,
)
from app.programs import repository
from app.programs.identity import InvalidIdentity, normalise_learner
from app.programs.rules import CompletionRule, EarnedCredential, Evaluation, evaluate
from app.programs.schemas import (
    LearnerProgress,
    ModuleProgressRead,
    ModuleRead,
    ProgramCreate,
    ProgramRead,
)
from app.status import service as status

PROGRAM_TYPES = frozenset({"Certificate", "LearningProgram"})
MODULE_TYPES = frozenset({"MicroCredential", "Course"})


class ProgramNotFound(NotFound):
    """No such program for this issuer."""


def parse_learner(value: str) -> str:
    """Normalise a learner path parameter, or 422 naming it."""
    try:
        return normalise_learner(value)
    except InvalidIdentity as exc:
        raise Unprocessable(str(exc), field="path.learner") from exc


# --- creation and reads -------------------------------------------------------------------


def _check_modules(
    session: Session, issuer_id: uuid.UUID, modules: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Achievement]:
    """Every module is a current MicroCredential/Course achievement of this issuer."""
    found: dict[uuid.UUID, Achievement] = {}
    for position, lineage in enumerate(modules):
        row = repository.current_achievement(session, lineage)
        field = f"$.modules[{position}]"
        if row is None or row.issuer_id != issuer_id:
            raise Unprocessable(f"No achievement {lineage} for this issuer.", field=field)
        if row.achievement_type not in MODULE_TYPES:
            raise Unprocessable(
                f"A module must be a MicroCredential or Course, not {row.achievement_type}.",
                field=field,
            )
        found[lineage] = row
    return found


def _check_rule(
    rule: CompletionRule, modules: Sequence[uuid.UUID], rows: dict[uuid.UUID, Achievement]
) -> None:
    """``among`` names modules, ``n`` fits, the minimum result names a known description."""
    ids = {str(m) for m in modules}
    for position, module in enumerate(rule.among or []):
        if module not in ids:
            raise Unprocessable("among must list module ids.", field=f"$.rule.among[{position}]")
    if rule.n is not None and rule.n > len(rule.pool([str(m) for m in modules])):
        raise Unprocessable("n is larger than the number of modules counted.", field="$.rule.n")
    minimum = rule.minimum_result
    if minimum is not None:
        names = {
            key
            for row in rows.values()
            for rd in row.result_description
            for key in (rd.get("id"), rd.get("name"))
        }
        if minimum.result_description not in names:
            raise Unprocessable(
                "No module defines this resultDescription (by id or name).",
                field="$.rule.minimumResult.resultDescription",
            )


def _program_achievements(
    context: AppContext, issuer_id: uuid.UUID, data: ProgramCreate
) -> dict[str, Achievement]:
    """One program Achievement per language, each ``related`` to the others."""
    spec = data.achievement
    lineages = {tag: uuid.uuid4() for tag in data.name}
    base = context.settings.base_url
    result_descriptions = [
        {**rd.model_dump(by_alias=True, exclude_none=True)} for rd in spec.result_description
    ]
    for rd in result_descriptions:
        rd.setdefault("id", f"urn:uuid:{uuid.uuid4()}")
    rows = {}
    for tag, lineage in lineages.items():
        rows[tag] = Achievement(
            id=uuid.uuid4(),
            lineage_id=lineage,
            version=1,
            is_current=True,
            issuer_id=issuer_id,
            name=data.name[tag],
            description=data.description[tag],
            achievement_type=spec.achievement_type,
            criteria=spec.criteria.model_dump(by_alias=True, exclude_none=True),
            image=spec.image.model_dump(by_alias=True, exclude_none=True) if spec.image else None,
            alignment=[a.model_dump(by_alias=True, exclude_none=True) for a in spec.alignment],
            result_description=result_descriptions,
            tags=list(spec.tags),
            credits_available=spec.credits_available,
            in_language=tag,
            human_code=spec.human_code,
            field_of_study=spec.field_of_study,
            related=[
                {"id": achievement_url(base, other, 1), "inLanguage": other_tag}
                for other_tag, other in lineages.items()
                if other_tag != tag
            ],
        )
    return rows


def create_program(
    session: Session, context: AppContext, issuer_id: uuid.UUID, data: ProgramCreate, *, actor: str
) -> Program:
    """Create the program, its achievement(s) and module list in one transaction."""
    module_rows = _check_modules(session, issuer_id, data.modules)
    _check_rule(data.rule, data.modules, module_rows)
    achievements = _program_achievements(context, issuer_id, data)
    default = str(data.default_language)
    translations = {
        tag: {
            "name": data.name[tag],
            "description": data.description[tag],
            "achievement_lineage_id": str(row.lineage_id),
        }
        for tag, row in achievements.items()
    }
    program = Program(
        id=uuid.uuid4(),
        issuer_id=issuer_id,
        achievement_lineage_id=achievements[default].lineage_id,
        default_language=default,
        translations=translations,
        rule=data.rule.model_dump(mode="json", by_alias=True, exclude_none=True),
        on_module_revoked=data.on_module_revoked,
    )
    repository.add(session, *achievements.values())
    repository.add(session, program)
    repository.add(
        session,
        *[
            ProgramModule(program_id=program.id, achievement_lineage_id=m, position=i)
            for i, m in enumerate(data.modules)
        ],
    )
    audit.record(
        session,
        actor=actor,
        action="program.create",
        subject_type="program",
        subject_id=program.id,
        issuer_id=issuer_id,
        details={"modules": [str(m) for m in data.modules], "rule": program.rule},
    )
    session.commit()
    return program


def get_program(session: Session, issuer_id: uuid.UUID | None, program_id: uuid.UUID) -> Program:
    """A program (of this issuer, when one is given) or 404."""
    program = repository.get(session, program_id)
    if program is None or (issuer_id is not None and program.issuer_id != issuer_id):
        raise ProgramNotFound("No such program.")
    return program


def list_programs(session: Session, issuer_id: uuid.UUID) -> Sequence[Program]:
    """The issuer's programs."""
    return repository.list_for_issuer(session, issuer_id)


def find_program_lineage(session: Session, program_id: uuid.UUID) -> uuid.UUID | None:
    """The program's achievement lineage (for endorsements), or None."""
    program = repository.get(session, program_id)
    return program.achievement_lineage_id if program else None


def _texts(program: Program, field: str) -> dict[str, str]:
    return {tag: str(v[field]) for tag, v in program.translations.items() if v.get(field)}


def _language_lineages(program: Program) -> dict[str, uuid.UUID]:
    """``{language: program achievement lineage}``."""
    return {
        tag: uuid.UUID(v["achievement_lineage_id"])
        for tag, v in program.translations.items()
        if v.get("achievement_lineage_id")
    }


def _module_name(session: Session, lineage: uuid.UUID) -> str:
    row = repository.current_achievement(session, lineage)
    return row.name if row else str(lineage)


def to_read(session: Session, context: AppContext, program: Program) -> ProgramRead:
    """The API view of a program."""
    modules = repository.modules(session, program.id)
    current = repository.current_achievement(session, program.achievement_lineage_id)
    version = current.version if current else 1
    return ProgramRead(
        id=program.id,
        issuer_id=program.issuer_id,
        achievement_id=program.achievement_lineage_id,
        achievement_url=achievement_url(
            context.settings.base_url, program.achievement_lineage_id, version
        ),
        achievements_by_language=_language_lineages(program),
        name=_texts(program, "name"),
        description=_texts(program, "description"),
        default_language=program.default_language,
        modules=[
            ModuleRead(achievement_id=m, name=_module_name(session, m), position=i)
            for i, m in enumerate(modules)
        ],
        rule=program.rule,
        on_module_revoked=program.on_module_revoked,
        created_at=program.created_at,
    )


# --- evaluation ----------------------------------------------------------------------------


def module_aliases(
    session: Session, context: AppContext, modules: Sequence[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """Map every language version's lineage to the module it belongs to."""
    aliases: dict[uuid.UUID, uuid.UUID] = {m: m for m in modules}
    for module, row in repository.current_achievements(session, modules).items():
        for other in related_versions(context.settings.base_url, row.related).values():
            aliases.setdefault(other, module)
    return aliases


def _is_valid(row: Credential, now: datetime) -> bool:
    """Counts towards a program: active (not revoked/suspended/expired) and already valid."""
    return credentials.credential_state(row, now) == "active" and row.valid_from <= now


def _earned(row: Credential, module: uuid.UUID) -> EarnedCredential:
    """The rule engine's view of a stored credential."""
    subject = json.loads(row.document).get("credentialSubject", {})
    return EarnedCredential(
        credential_id=str(row.id),
        module_id=str(module),
        achievement=subject.get("achievement", {}),
        results=subject.get("result", []),
    )


def _evaluate(
    session: Session,
    context: AppContext,
    program: Program,
    learner: str,
    *,
    exclude: uuid.UUID | None = None,
) -> tuple[Evaluation, list[Credential]]:
    """Evaluate the rule over the learner's valid module credentials.

    Only the program's issuer's credentials count: a module's ``related`` may name any local
    achievement, and another issuer's credential must not complete (or enter the CLR of) this
    issuer's program.
    """
    modules = repository.modules(session, program.id)
    aliases = module_aliases(session, context, modules)
    now = datetime.now(UTC)
    valid = [
        (row, aliases[lineage])
        for row, lineage in repository.learner_credentials(
            session, learner, aliases, issuer_id=program.issuer_id
        )
        if row.id != exclude and _is_valid(row, now)
    ]
    rule = CompletionRule.model_validate(program.rule)
    evaluation = evaluate(rule, [str(m) for m in modules], [_earned(r, m) for r, m in valid])
    return evaluation, [r for r, _ in valid]


def _progress(
    session: Session,
    program: Program,
    learner: str,
    evaluation: Evaluation,
    row: ProgramLearner | None,
) -> LearnerProgress:
    """The progress view from an evaluation and the learner's award row."""
    ids = [uuid.UUID(m.module_id) for m in evaluation.modules]
    names = {k: v.name for k, v in repository.current_achievements(session, ids).items()}
    return LearnerProgress(
        program_id=program.id,
        program_name=_texts(program, "name"),
        learner=learner,
        modules=[
            ModuleProgressRead(
                achievement_id=module_id,
                name=names.get(module_id, str(module_id)),
                earned=m.earned,
                counts=m.qualifies,
                credential_ids=[uuid.UUID(c) for c in m.credential_ids],
                reason=m.reason,
            )
            for module_id, m in zip(ids, evaluation.modules, strict=True)
        ],
        required=evaluation.required,
        counted=evaluation.qualifying,
        rule_satisfied=evaluation.satisfied,
        awarded=row is not None and row.credential_id is not None,
        program_credential_id=row.credential_id if row else None,
        awarded_at=row.awarded_at if row else None,
        needs_review=bool(row and row.needs_review),
        review_reason=row.review_reason if row else None,
    )


def learner_progress(
    session: Session, context: AppContext, program: Program, learner: str
) -> LearnerProgress:
    """Where the learner stands (read only)."""
    evaluation, _ = _evaluate(session, context, program, learner)
    return _progress(
        session, program, learner, evaluation, repository.find_learner(session, program.id, learner)
    )


def evaluate_learner(
    session: Session, context: AppContext, program: Program, learner: str, *, actor: str
) -> LearnerProgress:
    """Re-evaluate now and award if due (one transaction): the manual trigger."""
    evaluation, row = _award_if_due(session, context, program, learner, actor=actor)
    progress = _progress(session, program, learner, evaluation, row)
    session.commit()
    return progress


def _award_if_due(
    session: Session,
    context: AppContext,
    program: Program,
    learner: str,
    *,
    actor: str,
    trigger: Credential | None = None,
) -> tuple[Evaluation, ProgramLearner]:
    """Lock the learner's row, evaluate, and issue the program credential once (no commit).

    ``trigger`` is the module credential being issued, when there is one: it is the learner's
    latest and sets the program credential's language.
    """
    row = repository.lock_learner(session, program.id, learner)
    evaluation, valid = _evaluate(session, context, program, learner)
    if evaluation.satisfied and row.credential_id is None:
        latest = [*valid, trigger] if trigger is not None else valid
        credential = _issue_program_credential(session, context, program, learner, latest)
        row.credential_id, row.awarded_at = credential.id, credential.created_at
        audit.record(
            session,
            actor=actor,
            action="program.award",
            subject_type="program",
            subject_id=program.id,
            issuer_id=program.issuer_id,
            details={
                "learner": learner,
                "credential": str(credential.id),
                "modules": evaluation.qualifying_credential_ids,
            },
        )
        session.flush()
    return evaluation, row


def _award_language(session: Session, program: Program, valid: Sequence[Credential]) -> str:
    """The language of the learner's latest module credential, else the program's default.

    ``valid`` is oldest first; credentials carry whole-second times, so the caller appends the
    credential being issued to make "latest" unambiguous.
    """
    languages = _language_lineages(program)
    for row in reversed(valid):
        achievement = repository.achievement(session, row.achievement_id)
        if achievement is not None and achievement.in_language:
            return pick_language(languages, achievement.in_language, program.default_language)
    return program.default_language


def _issue_program_credential(
    session: Session,
    context: AppContext,
    program: Program,
    learner: str,
    valid: Sequence[Credential],
) -> Credential:
    """Issue the program credential inside the current transaction (H5's issuing path)."""
    language = _award_language(session, program, valid)
    lineage = _language_lineages(program).get(language, program.achievement_lineage_id)
    name = next((r.recipient_name for r in reversed(valid) if r.recipient_name), None)
    is_did = learner.startswith("did:")
    data = CredentialIssue(
        achievement_id=lineage,
        recipient=RecipientIn(
            email=None if is_did else learner, did=learner if is_did else None, name=name
        ),
    )
    digest = hashlib.sha256(f"{program.id}|{learner}".encode()).hexdigest()[:40]
    key = f"program-award:{digest}"
    # The issuance pipeline's transactional form: same facts, proofs, rows and audit as the
    # API. A program that suspends its award when a module is revoked needs a suspension
    # entry in the award whatever the issuer's setting (choosing that policy is the issuer's
    # opt-in); otherwise the issuer's setting decides (None).
    request = issuing.IssueRequest(
        issuer_id=program.issuer_id,
        actor=f"program:{program.id}",
        data=data,
        idempotency_key=key,
        request_hash=issuing.request_hash(data),
        suspension=True if program.on_module_revoked == "suspend" else None,
        program_award=True,
    )
    (credential,) = issuing.issue_in_transaction(session, context, [request])
    return credential


def _suspend(
    session: Session, context: AppContext, credential_id: uuid.UUID, *, actor: str, reason: str
) -> bool:
    """Suspend the program credential inside the current transaction (list re-signed now)."""
    row = session.get(Credential, credential_id, with_for_update=True)
    if row is None or row.revoked_at is not None or row.suspended_at is not None:
        return False
    if not status.has_entry(session, row.id, "suspension"):
        return False  # issued without a suspension entry: flagged for review only
    status.set_bit(session, context, row.id, "suspension", True)
    row.suspended_at = datetime.now(UTC)
    session.add(StatusEvent(credential_id=row.id, kind="suspension", reason=reason, actor=actor))
    return True


# --- reactions to module credentials (app.programs.subscribers, inside their transaction) ---


def _credential_lineages(
    session: Session, context: AppContext, credential: Credential
) -> set[uuid.UUID]:
    """The credential's achievement lineage and its other language versions."""
    achievement = repository.achievement(session, credential.achievement_id)
    if achievement is None:
        return set()
    return language_lineages(context.settings.base_url, achievement)


_PROGRAMS_MEMO = "programs_counting_lineages"


def _programs_counting(session: Session, lineages: set[uuid.UUID]) -> Sequence[Program]:
    """The programs that count any of ``lineages`` as a module, read once per transaction and
    set of lineages: a batch issues a hundred credentials of one achievement in one
    transaction, and asking again for each cost a query per credential. Kept on the session
    for its current transaction only (a program created meanwhile commits in another)."""
    transaction = session.get_transaction()
    memo: tuple[object, dict[frozenset[uuid.UUID], Sequence[Program]]] | None = session.info.get(
        _PROGRAMS_MEMO
    )
    if memo is None or memo[0] is not transaction:
        memo = session.info[_PROGRAMS_MEMO] = (transaction, {})
    key = frozenset(lineages)
    if key not in memo[1]:
        memo[1][key] = repository.programs_with_modules(session, lineages)
    found: Sequence[Program] = memo[1][key]
    return found


def on_module_credential_issued(
    session: Session, context: AppContext, credential: Credential
) -> None:
    """A credential was issued: award every program it completes (no commit: caller's tx)."""
    aliases = _credential_lineages(session, context, credential)
    for program in _programs_counting(session, aliases):
        for identity in {i for i in (credential.recipient_did, credential.recipient_email) if i}:
            _award_if_due(
                session,
                context,
                program,
                identity,
                actor=f"program:{program.id}",
                trigger=credential,
            )


def on_module_credential_revoked(
    session: Session, context: AppContext, credential: Credential
) -> None:
    """A module credential was revoked: flag awarded programs for review, suspend per policy."""
    aliases = _credential_lineages(session, context, credential)
    for program in repository.programs_with_modules(session, aliases):
        for learner in {i for i in (credential.recipient_did, credential.recipient_email) if i}:
            _review_award(session, context, program, learner, credential)


def _review_award(
    session: Session, context: AppContext, program: Program, learner: str, revoked: Credential
) -> None:
    """Flag the learner's program award; suspend it when the rule fails and policy says so."""
    found = repository.find_learner(session, program.id, learner)
    if found is None or found.credential_id is None:
        return
    row = repository.lock_learner(session, program.id, learner)
    program_credential = found.credential_id
    evaluation, _ = _evaluate(session, context, program, learner, exclude=revoked.id)
    reason = f"module credential {revoked.id} was revoked"
    if not evaluation.satisfied:
        reason += "; the completion rule is no longer met"
    row.needs_review, row.review_reason = True, reason
    suspend = program.on_module_revoked == "suspend" and not evaluation.satisfied
    if suspend:
        suspend = _suspend(
            session, context, program_credential, actor=f"program:{program.id}", reason=reason
        )
    audit.record(
        session,
        actor=f"program:{program.id}",
        action="program.review",
        subject_type="program",
        subject_id=program.id,
        issuer_id=program.issuer_id,
        details={
            "learner": learner,
            "revoked": str(revoked.id),
            "suspended": suspend,
            "credential": str(row.credential_id),
        },
    )
    session.flush()


def learner_program_rows(
    session: Session, learner: str, *, issuer_id: uuid.UUID | None = None
) -> Sequence[Program]:
    """Programs the learner takes part in (for the learner view: one issuer's)."""
    return repository.learner_programs(session, learner, issuer_id=issuer_id)


def module_lineages(session: Session, program: Program) -> list[uuid.UUID]:
    """The program's module lineages, in order."""
    return repository.modules(session, program.id)


def issued_document(row: Credential) -> dict[str, Any]:
    """A stored credential's JSON, unchanged."""
    document: dict[str, Any] = json.loads(row.document)
    return document
