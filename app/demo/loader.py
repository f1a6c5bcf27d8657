"""Demo data for ``badges serve --demo``: one bilingual issuer, achievements, credentials.

``load_demo`` is idempotent: issuers and achievements are found by name, credentials are issued
with fixed Idempotency-Keys, so running it again returns the same ids. The program demo
(:mod:`app.demo.program`) then adds its program, partner and learner cohort.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.achievements import service as achievements
from app.achievements.schemas import AchievementCreate
from app.core.config import Settings
from app.core.context import AppContext
from app.core.security import IssuerPrincipal
from app.credentials import issuing
from app.credentials import service as credentials
from app.credentials.schemas import CredentialIssue, RecipientIn
from app.demo.cohort import load_cohort_demo
from app.demo.program import UNIVERSITY_BRAND, load_program_demo, set_crest, showcase_urls
from app.demo.staff import StaffLine, banner_lines, load_staff_demo
from app.issuers import repository as issuer_repository
from app.issuers import service as issuers
from app.issuers.schemas import IssuerCreate
from app.models import Issuer
from app.offers import service as offers

DEMO_ISSUER_NAME = "Northwest Applied University"
DEMO_ACTOR = "demo"


@dataclass
class DemoSummary:
    """What the demo created (or found): ids to print and to build on."""

    issuer_id: uuid.UUID
    achievements: dict[str, uuid.UUID] = field(default_factory=dict)
    credentials: dict[str, uuid.UUID] = field(default_factory=dict)
    program_id: uuid.UUID | None = None
    batch_id: uuid.UUID | None = None
    showcase: list[tuple[str, str]] = field(default_factory=list)
    staff: list[StaffLine] = field(default_factory=list)


_ACHIEVEMENTS: dict[str, dict[str, object]] = {
    "data-analysis": {
        "name": "Data Analysis with Python",
        "description": "Cleans, explores and visualises real data sets with pandas and matplotlib.",
        "criteria": {
            "narrative": "Pass the final project (a reproducible analysis notebook) with at least 70%."
        },
        "achievementType": "MicroCredential",
        "creditsAvailable": 3.0,
        "inLanguage": "en",
        "humanCode": "NAU-DA101",
        "fieldOfStudy": "Data Science",
        "tags": ["python", "data analysis"],
        "alignment": [
            {
                "targetName": "Data analysis",
                "targetUrl": "https://esco.ec.europa.eu/en/classification/skills",
                "targetFramework": "ESCO",
            }
        ],
        "resultDescription": [
            {
                "name": "Final grade",
                "resultType": "LetterGrade",
                "allowedValue": ["D", "C", "B", "A"],
                "requiredValue": "C",
            }
        ],
    },
    "academic-writing-zh": {
        "name": "学术写作基础",
        "description": "掌握学术论文的结构、引用规范与论证方法。",
        "criteria": {"narrative": "完成三篇课程论文并通过同行评审。"},
        "achievementType": "Course",
        "creditsAvailable": 2.0,
        "inLanguage": "zh-CN",
        "humanCode": "NAU-AW110",
    },
    "lab-safety": {
        "name": "Laboratory Safety",
        "description": "Knows and applies the university's laboratory safety rules.",
        "criteria": {"narrative": "Complete the safety induction and pass the quiz."},
        "achievementType": "Badge",
        "inLanguage": "en",
    },
}


def _demo_issuer(session: Session, context: AppContext) -> Issuer:
    """Find the demo issuer by name or create it."""
    existing = issuer_repository.find_by_name(session, "en", DEMO_ISSUER_NAME)
    if existing is not None:
        return existing
    data = IssuerCreate.model_validate(
        {
            "name": {"en": DEMO_ISSUER_NAME, "zh-CN": "西北应用大学"},
            "description": {
                "en": "A public university of applied sciences (demo data).",
                "zh-CN": "一所公立应用科技大学（演示数据）。",
            },
            "defaultLanguage": "en",
            "url": "https://nwau.example.edu",
            "email": "registrar@nwau.example.edu",
            # The demo shows a suspended credential: suspension is an issuer setting.
            "suspensionEnabled": True,
            **UNIVERSITY_BRAND,
        }
    )
    issuer = issuers.create_issuer(session, context, data, actor=DEMO_ACTOR)
    return set_crest(session, issuer, "NWAU")


def _demo_achievements(session: Session, issuer_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """Find or create the demo achievements; returns slug → achievement id."""
    existing = {
        a.name: a.lineage_id for a in achievements.list_achievements(session, issuer_id, limit=200)
    }
    result: dict[str, uuid.UUID] = {}
    for slug, fields in _ACHIEVEMENTS.items():
        if fields["name"] in existing:
            result[slug] = existing[str(fields["name"])]
            continue
        data = AchievementCreate.model_validate(fields)
        result[slug] = achievements.create_achievement(
            session, issuer_id, data, actor=DEMO_ACTOR
        ).lineage_id
    return result


def _demo_credentials(
    session: Session, context: AppContext, principal: IssuerPrincipal, ids: dict[str, uuid.UUID]
) -> dict[str, uuid.UUID]:
    """Issue (idempotently) one credential per state, then set the states."""
    now = datetime.now(UTC)
    plans = {
        "valid": ("data-analysis", "li.wei@example.org", "李伟 Li Wei", {}),
        "revoked": ("lab-safety", "sam.taylor@example.org", "Sam Taylor", {}),
        "suspended": ("academic-writing-zh", "zhang.min@example.org", "张敏", {}),
        "expired": (
            "lab-safety",
            "alex.kim@example.org",
            "Alex Kim",
            {
                "validFrom": (now - timedelta(days=400)).replace(
                    hour=9, minute=0, second=0, microsecond=0
                ),
                "validUntil": (now - timedelta(days=35)).replace(
                    hour=9, minute=0, second=0, microsecond=0
                ),
            },
        ),
    }
    result: dict[str, uuid.UUID] = {}
    for state, (slug, email, name, dates) in plans.items():
        data = CredentialIssue(
            achievement_id=ids[slug],
            recipient=RecipientIn(email=email, name=name),
            proof="both",
            valid_from=dates.get("validFrom"),
            valid_until=dates.get("validUntil"),
        )
        outcome = issuing.issue_credential(
            session, context, principal, data, idempotency_key=f"demo-{state}"
        )
        result[state] = outcome.credential.id
    for state, kind in (("revoked", "revocation"), ("suspended", "suspension")):
        credentials.change_status(session, context, principal, result[state], kind, "Demo data")
    return result


def load_demo(session: Session, settings: Settings) -> DemoSummary:
    """Create (or find) the demo issuer, achievements and credentials; safe to run again."""
    context = AppContext.from_settings(settings)
    issuer = _demo_issuer(session, context)
    principal = IssuerPrincipal(issuer_id=issuer.id, api_key_id=uuid.UUID(int=0), actor=DEMO_ACTOR)
    summary = DemoSummary(issuer_id=issuer.id)
    summary.achievements = _demo_achievements(session, issuer.id)
    summary.credentials = _demo_credentials(session, context, principal, summary.achievements)
    summary.batch_id = load_cohort_demo(
        session, context, principal, summary.achievements["data-analysis"]
    )
    program = load_program_demo(session, settings)
    summary.program_id = program.program_id
    summary.showcase = showcase_urls(session, settings, program)
    summary.showcase.append(
        (
            "claim page (wallet QR codes)",
            _claim_link(session, context, issuer.id, summary.credentials),
        )
    )
    # the staff console's demo coordinator and mentor (development only; passwords printed once)
    summary.staff = load_staff_demo(session, settings, program.program_id)
    summary.showcase += banner_lines(settings.base_url, summary.staff)
    return summary


def _claim_link(
    session: Session, context: AppContext, issuer_id: uuid.UUID, ids: dict[str, uuid.UUID]
) -> str:
    """A fresh claim link to the valid demo credential (a learner's e-mail carries one): the
    page with its wallet QR codes. Each start makes a new one; earlier ones keep working."""
    credential = credentials.get_credential(session, issuer_id, ids["valid"])
    _, token = offers.create_offer(session, context, credential, actor=DEMO_ACTOR)
    session.commit()
    return offers.claim_url(context.settings.base_url, token)
