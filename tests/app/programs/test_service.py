"""Programs end to end through the services: award on completion, exactly once, revocation."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from _fixtures import issue, make_issuer, make_module, principal
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.achievements import service as achievements
from app.achievements.schemas import AchievementUpdate
from app.core.context import AppContext
from app.core.errors import AppError
from app.credentials import service as credentials
from app.models import AuditEvent, Credential, Issuer, ProgramLearner
from app.programs import service
from app.programs.schemas import ProgramCreate


def make_program(
    session: Session,
    context: AppContext,
    issuer: Issuer,
    modules: list[uuid.UUID],
    rule: dict[str, Any] | None = None,
    policy: str = "flag",
) -> Any:
    data = ProgramCreate.model_validate(
        {
            "name": {"zh-CN": "智能翻译与国际传播", "en": "Intelligent Translation"},
            "description": {"zh-CN": "微证书项目", "en": "A micro-credential program"},
            "defaultLanguage": "zh-CN",
            "modules": [str(m) for m in modules],
            "rule": rule or {"kind": "all"},
            "onModuleRevoked": policy,
            "achievement": {
                "achievementType": "Certificate",
                "criteria": {"narrative": "All modules."},
            },
        }
    )
    return service.create_program(session, context, issuer.id, data, actor="test")


@pytest.fixture
def issuer(session: Session, context: AppContext) -> Issuer:
    return make_issuer(session, context, suspension=True)  # some tests suspend modules


@pytest.fixture
def modules(session: Session, issuer: Issuer) -> list[uuid.UUID]:
    return [make_module(session, issuer, f"Module {i}") for i in range(3)]


def awards(session: Session, learner: str) -> list[ProgramLearner]:
    return list(
        session.scalars(
            select(ProgramLearner).where(
                ProgramLearner.learner == learner, ProgramLearner.credential_id.is_not(None)
            )
        )
    )


def test_program_is_awarded_once_when_the_last_module_arrives(
    session: Session, context: AppContext, issuer: Issuer, modules: list[uuid.UUID]
) -> None:
    program = make_program(session, context, issuer, modules)
    issue(session, context, issuer, modules[0], email="Li.Wei@Example.com")
    issue(session, context, issuer, modules[1])
    progress = service.learner_progress(session, context, program, "li.wei@example.com")
    assert (progress.counted, progress.required, progress.awarded) == (2, 3, False)
    issue(session, context, issuer, modules[2])
    issue(session, context, issuer, modules[2])  # a duplicate module award must not re-award
    [award] = awards(session, "li.wei@example.com")
    program_credential = session.get(Credential, award.credential_id)
    assert program_credential is not None
    document = json.loads(program_credential.document)
    achievement = document["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "Certificate"
    assert achievement["inLanguage"] == "zh-CN"
    assert achievement["name"] == "智能翻译与国际传播"
    assert achievement["related"][0]["inLanguage"] == "en"
    assert "proof" in document
    again = service.evaluate_learner(session, context, program, "li.wei@example.com", actor="t")
    assert again.awarded
    assert again.program_credential_id == award.credential_id
    assert len(awards(session, "li.wei@example.com")) == 1


def test_n_of_rule_with_minimum_result(
    session: Session, context: AppContext, issuer: Issuer, modules: list[uuid.UUID]
) -> None:
    rule = {
        "kind": "n_of",
        "n": 2,
        "minimumResult": {"resultDescription": "Final assessment", "minimum": "75"},
    }
    program = make_program(session, context, issuer, modules, rule)
    issue(session, context, issuer, modules[0], score="74")
    issue(session, context, issuer, modules[1], score="90")
    progress = service.learner_progress(session, context, program, "li.wei@example.com")
    assert not progress.awarded
    assert [m.counts for m in progress.modules] == [False, True, False]
    assert progress.modules[0].reason == "result below the minimum '75'"
    issue(session, context, issuer, modules[2], score="75")
    assert service.learner_progress(session, context, program, "li.wei@example.com").awarded


def test_revoked_suspended_and_expired_modules_do_not_count(
    session: Session, context: AppContext, issuer: Issuer, modules: list[uuid.UUID]
) -> None:
    program = make_program(session, context, issuer, modules[:2])
    first = issue(session, context, issuer, modules[0])
    credentials.change_status(session, context, principal(issuer), first.id, "suspension", None)
    issue(session, context, issuer, modules[1])
    assert not service.learner_progress(session, context, program, "li.wei@example.com").awarded
    # unsuspending makes the module count again, and the hook awards at once
    credentials.change_status(session, context, principal(issuer), first.id, "unsuspension", None)
    assert service.learner_progress(session, context, program, "li.wei@example.com").awarded
    issue(
        session,
        context,
        issuer,
        modules[0],
        email="old@example.com",
        validFrom="2020-01-01T00:00:00Z",
        validUntil="2021-01-01T00:00:00Z",
    )
    issue(session, context, issuer, modules[1], email="old@example.com")
    assert not service.learner_progress(session, context, program, "old@example.com").awarded


@pytest.mark.parametrize("policy", ["flag", "suspend"])
def test_revoking_a_module_flags_and_per_policy_suspends(
    session: Session, context: AppContext, issuer: Issuer, modules: list[uuid.UUID], policy: str
) -> None:
    program = make_program(session, context, issuer, modules[:2], policy=policy)
    first = issue(session, context, issuer, modules[0])
    issue(session, context, issuer, modules[1])
    credentials.change_status(session, context, principal(issuer), first.id, "revocation", "fraud")
    progress = service.learner_progress(session, context, program, "li.wei@example.com")
    assert progress.needs_review
    assert "revoked" in (progress.review_reason or "")
    program_credential = session.get(Credential, progress.program_credential_id)
    assert program_credential is not None
    assert (program_credential.suspended_at is not None) == (policy == "suspend")
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "program.review")).all()
    assert [e.details["suspended"] for e in events] == [policy == "suspend"]


def test_did_learners_are_matched_by_did(
    session: Session, context: AppContext, issuer: Issuer, modules: list[uuid.UUID]
) -> None:
    program = make_program(session, context, issuer, modules[:1])
    did = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    issue(session, context, issuer, modules[0], email=None, recipient={"did": did})
    progress = service.learner_progress(session, context, program, did)
    assert progress.awarded
    credential = session.get(Credential, progress.program_credential_id)
    assert credential is not None
    assert credential.recipient_did == did


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"modules": ["00000000-0000-0000-0000-000000000001"]}, "$.modules[0]"),
        ({"rule": {"kind": "n_of", "n": 4}}, "$.rule.n"),
        ({"rule": {"kind": "n_of", "n": 1, "among": ["x"]}}, "$.rule.among[0]"),
        (
            {"rule": {"minimumResult": {"resultDescription": "Nope"}}},
            "$.rule.minimumResult.resultDescription",
        ),
    ],
)
def test_bad_programs_are_refused_naming_the_field(
    session: Session,
    context: AppContext,
    issuer: Issuer,
    modules: list[uuid.UUID],
    change: dict[str, Any],
    field: str,
) -> None:
    payload = {
        "name": {"en": "P"},
        "description": {"en": "D"},
        "modules": [str(m) for m in modules],
        "achievement": {"criteria": {"narrative": "x"}},
        **change,
    }
    with pytest.raises(AppError) as caught:
        service.create_program(
            session, context, issuer.id, ProgramCreate.model_validate(payload), actor="t"
        )
    assert caught.value.status == 422
    assert caught.value.field == field


def test_a_programs_award_does_not_complete_another_program(
    session: Session, context: AppContext, issuer: Issuer, modules: list[uuid.UUID]
) -> None:
    """Programs react to module credentials, not to their own awards: an inner program's
    achievement re-typed as a Course and listed as an outer program's module does not make
    the inner award complete the outer program."""
    inner = make_program(session, context, issuer, modules[:1])
    achievements.update_achievement(
        session,
        issuer.id,
        inner.achievement_lineage_id,
        AchievementUpdate(achievement_type="Course"),
        actor="test",
    )
    outer = make_program(session, context, issuer, [inner.achievement_lineage_id])
    issue(session, context, issuer, modules[0])
    awarded = {row.program_id for row in awards(session, "li.wei@example.com")}
    assert inner.id in awarded
    assert outer.id not in awarded
