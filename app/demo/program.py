"""Demo: the "Intelligent Translation and International Communication" micro-credential program.

Northwest Applied University runs a five-module program with a partner translation company:
bilingual (zh-CN / en) modules with a percentage assessment and a rubric, competency
alignments, a partner endorsement, and a cohort of 30 learners at mixed progress (completed,
in progress, one module revoked, one expired, one suspended). Everything goes through the same
services as the API, so the program awards happen through the real hook. Idempotent: a second
run finds the program by name and returns its summary.
"""

from __future__ import annotations

import io
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.achievements import service as achievements
from app.achievements.schemas import AchievementCreate, AchievementUpdate
from app.core.config import Settings
from app.core.context import AppContext
from app.core.security import IssuerPrincipal
from app.core.urls import achievement_url
from app.credentials import issuing
from app.credentials import service as credentials
from app.credentials.schemas import CredentialIssue
from app.endorsements import service as endorsements
from app.endorsements.schemas import EndorsementCreate
from app.issuers import logo
from app.issuers import repository as issuer_repository
from app.issuers import service as issuers
from app.issuers.schemas import IssuerCreate
from app.learners import links
from app.models import Endorsement, Issuer, Program, ProgramLearner
from app.programs import service
from app.programs.schemas import ProgramCreate

ACTOR = "demo"
UNIVERSITY = ("Northwest Applied University", "西北应用大学")
PARTNER = ("Silk Road Language Technology Co., Ltd.", "丝路语言科技有限公司")
PROGRAM_NAME = {
    "en": "Intelligent Translation and International Communication",
    "zh-CN": "智能翻译与国际传播",
}
ASSESSMENT = "期末考核 Final assessment"
RUBRIC = "项目评分量规 Project rubric"
LEVELS = [("Developing", "发展中"), ("Proficient", "熟练"), ("Exemplary", "卓越")]
COMPETENCIES = {
    "translation": ("Translation competence", "翻译能力", "PACTE-TC"),
    "cross-cultural": ("Cross-cultural communication skills", "跨文化沟通能力", "CEFR-MED"),
    "ai": ("AI-assisted translation technology", "人工智能辅助翻译技术", "DIGCOMP-AI"),
}
MODULES = [
    ("cat", "Computer-Aided Translation", "计算机辅助翻译", "ITIC-101", ["translation", "ai"]),
    (
        "mtpe",
        "Machine Translation Post-Editing",
        "机器翻译译后编辑",
        "ITIC-102",
        ["translation", "ai"],
    ),
    ("ccc", "Cross-Cultural Communication", "跨文化交际", "ITIC-103", ["cross-cultural"]),
    ("icp", "International Communication Practice", "国际传播实务", "ITIC-104", ["cross-cultural"]),
    (
        "project",
        "Industry Project",
        "行业实践项目",
        "ITIC-105",
        ["translation", "cross-cultural", "ai"],
    ),
]
ACADEMIC_MENTOR = {"id": "https://nwau.example.edu/staff/zhou-lan", "name": "周岚博士 Dr. Zhou Lan"}
INDUSTRY_MENTOR = {
    "id": "https://silkroad-lt.example.com/people/chen-jing",
    "name": "陈静 Chen Jing, Senior Localisation Manager",
}
SURNAMES = ["Li", "Wang", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu"]
GIVEN = ["Wei", "Fang", "Min", "Jing", "Lei", "Na"]


@dataclass
class ProgramDemoSummary:
    """What the program demo created (or found)."""

    program_id: uuid.UUID
    university_id: uuid.UUID
    partner_id: uuid.UUID
    modules: dict[str, uuid.UUID] = field(default_factory=dict)
    learners: list[str] = field(default_factory=list)
    credentials_issued: int = 0


UNIVERSITY_BRAND = {"brandColor": "#7a1f2b", "accentColor": "#a8741a"}
"""The university's colours (white on the brand colour 10:1, the accent 4:1 on white)."""


def _crest(initials: str, colour: str, accent: str) -> bytes:
    """A plain shield with the institution's initials, as a PNG (the demo university's logo;
    PNG so that the PDF certificate can draw it too)."""
    scale = 4
    image = Image.new("RGBA", (120 * scale, 140 * scale), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    shield = [
        (60, 4),
        (112, 20),
        (112, 66),
        (104, 96),
        (84, 120),
        (60, 136),
        (36, 120),
        (16, 96),
        (8, 66),
        (8, 20),
    ]
    draw.polygon(
        [(x * scale, y * scale) for x, y in shield], fill=colour, outline=accent, width=6 * scale
    )
    for y in (44, 56):
        draw.line([(30 * scale, y * scale), (90 * scale, y * scale)], fill=accent, width=4 * scale)
    font = ImageFont.load_default(size=22 * scale)
    draw.text((60 * scale, 96 * scale), initials, font=font, fill="#ffffff", anchor="ms")
    buffer = io.BytesIO()
    image.resize((240, 280), Image.Resampling.LANCZOS).save(buffer, format="PNG")
    return buffer.getvalue()


def _issuer(
    session: Session,
    context: AppContext,
    names: tuple[str, str],
    url: str,
    brand: dict[str, str] | None = None,
    initials: str | None = None,
) -> Issuer:
    """Find an issuer by its English name, or create it (bilingual, zh-CN default), with its
    colours and a logo when given."""
    found = issuer_repository.find_by_name(session, "en", names[0])
    if found is not None:
        return found
    data = IssuerCreate.model_validate(
        {
            "name": {"en": names[0], "zh-CN": names[1]},
            "defaultLanguage": "zh-CN",
            "url": url,
            "description": {"en": f"{names[0]} (demo data).", "zh-CN": f"{names[1]}（演示数据）。"},
            # The demo shows a suspended credential: suspension is an issuer setting.
            "suspensionEnabled": True,
            **(brand or {}),
        }
    )
    issuer = issuers.create_issuer(session, context, data, actor=ACTOR)
    return set_crest(session, issuer, initials) if brand and initials else issuer


def set_crest(session: Session, issuer: Issuer, initials: str) -> Issuer:
    """Give a demo issuer a crest in its colours as its uploaded logo."""
    colour, accent = issuer.brand_color or "#1f3a68", issuer.accent_color or "#a8741a"
    uri = logo.checked(_crest(initials, colour, accent), "image/png")
    return logo.set_logo(session, issuer.id, uri, actor=ACTOR)


def _alignment(key: str, language: str) -> dict[str, Any]:
    en, zh, code = COMPETENCIES[key]
    return {
        "targetName": zh if language == "zh-CN" else en,
        "targetCode": code,
        "targetUrl": f"https://nwau.example.edu/competencies/{key}",
        "targetFramework": "NWAU Translation Competence Framework",
        "targetType": "ceasn:Competency",
    }


def _module_fields(module: tuple[str, str, str, str, list[str]], language: str) -> dict[str, Any]:
    slug, en, zh, code, competencies = module
    zh_text = language == "zh-CN"
    return {
        "name": zh if zh_text else en,
        "description": (
            f"{zh}：智能翻译与国际传播微证书模块。"
            if zh_text
            else f"{en}: a module of the Intelligent Translation micro-credential."
        ),
        "criteria": {
            "narrative": (
                "期末考核不低于60分，并提交项目作品集。"
                if zh_text
                else "Score at least 60% in the final assessment and submit a project portfolio."
            )
        },
        "achievementType": "MicroCredential",
        "creditsAvailable": 2.0,
        "inLanguage": language,
        "humanCode": code,
        "fieldOfStudy": "翻译" if zh_text else "Translation",
        "alignment": [_alignment(c, language) for c in competencies],
        "resultDescription": [
            {
                "id": f"urn:nwau:{slug}:final",
                "name": ASSESSMENT,
                "resultType": "Percent",
                "valueMin": "0",
                "valueMax": "100",
                "requiredValue": "60",
            },
            {
                "id": f"urn:nwau:{slug}:rubric",
                "name": RUBRIC,
                "resultType": "RubricCriterionLevel",
                "requiredLevel": f"urn:nwau:{slug}:rubric:1",
                "rubricCriterionLevel": [
                    {
                        "id": f"urn:nwau:{slug}:rubric:{i}",
                        "name": zh_name if zh_text else en_name,
                        "level": str(i + 1),
                    }
                    for i, (en_name, zh_name) in enumerate(LEVELS)
                ],
            },
        ],
    }


def _modules(
    session: Session, context: AppContext, issuer: Issuer
) -> dict[str, dict[str, uuid.UUID]]:
    """Each module in zh-CN and en, the two versions ``related`` to each other."""
    base = context.settings.base_url
    result: dict[str, dict[str, uuid.UUID]] = {}
    for module in MODULES:
        ids = {}
        for language in ("zh-CN", "en"):
            data = AchievementCreate.model_validate(_module_fields(module, language))
            ids[language] = achievements.create_achievement(
                session, issuer.id, data, actor=ACTOR
            ).lineage_id
        for language, other in (("zh-CN", "en"), ("en", "zh-CN")):
            related = [{"id": achievement_url(base, ids[other], 1), "inLanguage": other}]
            achievements.update_achievement(
                session,
                issuer.id,
                ids[language],
                AchievementUpdate.model_validate({"related": related}),
                actor=ACTOR,
            )
        result[module[0]] = ids
    return result


def _program(
    session: Session, context: AppContext, issuer: Issuer, modules: dict[str, dict[str, uuid.UUID]]
) -> Program:
    data = ProgramCreate.model_validate(
        {
            "name": PROGRAM_NAME,
            "description": {
                "zh-CN": "由西北应用大学与丝路语言科技联合开设的可叠加微证书：五个模块全部通过（期末考核不低于60分）即获得项目证书。",
                "en": "A stackable micro-credential run with Silk Road Language Technology: pass all five modules (final assessment at least 60%) to earn the program certificate.",
            },
            "defaultLanguage": "zh-CN",
            "modules": [str(ids["zh-CN"]) for ids in modules.values()],
            "rule": {
                "kind": "all",
                "minimumResult": {"resultDescription": ASSESSMENT, "minimum": "60"},
            },
            "onModuleRevoked": "suspend",
            "achievement": {
                "achievementType": "Certificate",
                "creditsAvailable": 10.0,
                "humanCode": "ITIC",
                "fieldOfStudy": "Translation and International Communication",
                "criteria": {
                    "narrative": "Earn all five module credentials with a final assessment of at least 60%."
                },
                "alignment": [_alignment(k, "en") for k in COMPETENCIES],
            },
        }
    )
    return service.create_program(session, context, issuer.id, data, actor=ACTOR)


def _endorse(
    session: Session, context: AppContext, partner: Issuer, program: Program, project: uuid.UUID
) -> None:
    """The partner endorses the program and the industry project module; the university accepts.

    Acceptance is what lets the learners' credentials issued next embed the endorsement.
    """
    for target_type, target in (("program", program.id), ("achievement", project)):
        data = EndorsementCreate.model_validate(
            {
                "targetType": target_type,
                "targetId": str(target),
                "comment": {
                    "zh-CN": "丝路语言科技参与了课程设计与项目评审，认可该项目培养的翻译与本地化能力。",
                    "en": "Silk Road Language Technology co-designed the curriculum and assessed the projects; we endorse the translation and localisation skills it builds.",
                },
            }
        )
        rows = endorsements.create_endorsements(
            session, context, data, partner_id=partner.id, actor=ACTOR
        )
        endorsements.decide_endorsement(
            session, context, rows[0].id, accept=True, owner_id=program.issuer_id, actor=ACTOR
        )


def _learners() -> list[tuple[str, str, str]]:
    """30 learners: (email, display name, preferred language)."""
    people = []
    for i in range(30):
        surname, given = SURNAMES[i % len(SURNAMES)], GIVEN[i % len(GIVEN)]
        email = f"{given.lower()}.{surname.lower()}{i:02d}@students.nwau.example.edu"
        people.append((email, f"{surname} {given}", "zh-CN" if i % 3 else "en"))
    return people


def _issue_module(
    session: Session,
    context: AppContext,
    principal: IssuerPrincipal,
    lineage: uuid.UUID,
    slug: str,
    learner: tuple[str, str, str],
    score: int,
    level: int,
    dates: dict[str, datetime],
) -> uuid.UUID:
    email, name, language = learner
    industry = slug == "project"
    data = CredentialIssue.model_validate(
        {
            "achievementId": str(lineage),
            "recipient": {"email": email, "name": name},
            "results": [
                {"resultDescription": f"urn:nwau:{slug}:final", "value": str(score)},
                {
                    "resultDescription": f"urn:nwau:{slug}:rubric",
                    "achievedLevel": f"urn:nwau:{slug}:rubric:{level}",
                },
            ],
            "evidence": [
                {
                    "id": f"https://portfolio.nwau.example.edu/{email.split('@')[0]}/{slug}",
                    "name": "项目作品集 Project portfolio",
                    "genre": "Translation project",
                    "description": "Translated and localised deliverables with a reflective report.",
                    "narrative": (
                        f"Assessed by {ACADEMIC_MENTOR['name']} (academic mentor) and "
                        f"{INDUSTRY_MENTOR['name']} (industry mentor)."
                    ),
                }
            ],
            "source": INDUSTRY_MENTOR if industry else ACADEMIC_MENTOR,
            "creditsEarned": 2.0,
            "term": "2026 春季学期 Spring 2026" if language == "zh-CN" else "Spring 2026",
            "activityStartDate": dates["start"],
            "activityEndDate": dates["end"],
            **(
                {"validFrom": dates["valid_from"], "validUntil": dates["valid_until"]}
                if "valid_until" in dates
                else {}
            ),
        }
    )
    key = f"demo-program-{email}-{slug}"
    return issuing.issue_credential(
        session, context, principal, data, idempotency_key=key
    ).credential.id


def _cohort(
    session: Session,
    context: AppContext,
    issuer: Issuer,
    modules: dict[str, dict[str, uuid.UUID]],
) -> tuple[list[str], int]:
    """Issue the cohort's module credentials; then one revoked and one suspended."""
    principal = IssuerPrincipal(issuer_id=issuer.id, api_key_id=uuid.UUID(int=0), actor=ACTOR)
    rng = random.Random(20260301)  # fixed seed: the same demo every time
    now = datetime.now(UTC).replace(microsecond=0)
    slugs = list(modules)
    issued: dict[tuple[int, str], uuid.UUID] = {}
    people = _learners()
    for index, learner in enumerate(people):
        count = 5 if index < 12 else rng.randint(1, 4)
        for position, slug in enumerate(slugs[:count]):
            dates: dict[str, datetime] = {
                "start": now - timedelta(days=200 - position * 30),
                "end": now - timedelta(days=175 - position * 30),
            }
            if index == 13 and position == 0:  # one expired module credential
                dates |= {
                    "valid_from": now - timedelta(days=500),
                    "valid_until": now - timedelta(days=30),
                }
            score = 58 if index == 11 and slug == "mtpe" else rng.randint(62, 98)
            level = 0 if score < 60 else rng.randint(1, 2)
            lineage = modules[slug][learner[2]]
            issued[(index, slug)] = _issue_module(
                session, context, principal, lineage, slug, learner, score, level, dates
            )
    credentials.change_status(
        session,
        context,
        principal,
        issued[(0, "ccc")],
        "revocation",
        "Demo: plagiarism found in the portfolio",
    )
    credentials.change_status(
        session,
        context,
        principal,
        issued[(14, "cat")],
        "suspension",
        "Demo: assessment under appeal",
    )
    return [p[0] for p in people], len(issued)


def _existing(session: Session) -> ProgramDemoSummary | None:
    """The summary of an already loaded demo, found by the program's name."""
    for program in session.scalars(select(Program)):
        if program.translations.get("en", {}).get("name") == PROGRAM_NAME["en"]:
            partner = issuer_repository.find_by_name(session, "en", PARTNER[0])
            modules = service.module_lineages(session, program)
            return ProgramDemoSummary(
                program_id=program.id,
                university_id=program.issuer_id,
                partner_id=partner.id if partner else program.issuer_id,
                modules={m[0]: lineage for m, lineage in zip(MODULES, modules, strict=False)},
                learners=[p[0] for p in _learners()],
            )
    return None


def load_program_demo(session: Session, settings: Settings) -> ProgramDemoSummary:
    """Create (or find) the demo program, partner, endorsements and cohort; safe to re-run."""
    found = _existing(session)
    if found is not None:
        return found
    context = AppContext.from_settings(settings)
    university = _issuer(
        session, context, UNIVERSITY, "https://nwau.example.edu", UNIVERSITY_BRAND, "NWAU"
    )
    partner = _issuer(session, context, PARTNER, "https://silkroad-lt.example.com")
    modules = _modules(session, context, university)
    program = _program(session, context, university, modules)
    _endorse(session, context, partner, program, modules["project"]["zh-CN"])
    learners, issued = _cohort(session, context, university, modules)
    return ProgramDemoSummary(
        program_id=program.id,
        university_id=university.id,
        partner_id=partner.id,
        modules={slug: ids["zh-CN"] for slug, ids in modules.items()},
        learners=learners,
        credentials_issued=issued,
    )


def showcase_urls(
    session: Session, settings: Settings, summary: ProgramDemoSummary
) -> list[tuple[str, str]]:
    """Labelled URLs that show the program features: what `badges serve --demo` prints.

    A completed learner's program credential and their learner page (a signed link valid for
    30 days, from which the CLR downloads), the partner's endorsement and profile, the
    learner's sign-in page (with the address to sign in as) and the Open Badges API.
    """
    base = settings.base_url
    urls: list[tuple[str, str]] = []
    award = session.scalars(
        select(ProgramLearner)
        .where(ProgramLearner.program_id == summary.program_id)
        .where(ProgramLearner.credential_id.is_not(None))
        .order_by(ProgramLearner.learner)
    ).first()
    if award is not None:
        urls.append(("program credential", f"{base}/credentials/{award.credential_id}"))
        expires = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
        token = links.make_token(
            award.learner, summary.university_id, settings.kek_bytes(), expires
        )
        urls.append(("learner page", f"{base}/learners/{token}"))
        urls.append(
            (
                "learner CLR",
                f"{base}/api/v1/learner/programs/{summary.program_id}/clr?token={token}",
            )
        )
    endorsement = session.scalars(
        select(Endorsement).where(Endorsement.issuer_id == summary.partner_id)
    ).first()
    if endorsement is not None:
        urls.append(("endorsement", f"{base}/endorsements/{endorsement.id}"))
    urls.append(("partner", f"{base}/issuers/{summary.partner_id}"))
    urls.append(("verify page", f"{base}/verify"))
    if award is not None:  # the link arrives in the development mailbox (/dev/mail)
        urls.append(("learner sign-in", f"{base}/account/sign-in (as {award.learner})"))
    urls.append(("Open Badges API", f"{base}/ims/ob/v3p0/discovery"))
    return urls
