"""Build an app on a fresh SQLite database and issue credentials through the public API.

Shared by the page tests (TestClient), the browser tests (uvicorn) and ``bench/``: the data
is made exactly as an issuer would make it, so the pages are tested against real signatures.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.models import Base

ADMIN_TOKEN = "test-admin-token-" + "x" * 24


def make_settings(
    data_dir: Path, base_url: str = "http://testserver", kek: str | None = None
) -> Settings:
    """Settings for a throw-away service in ``data_dir``."""
    return Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{(data_dir / 'badges.db').as_posix()}",
        base_url=base_url,
        admin_token=ADMIN_TOKEN,
        key_encryption_key=kek or base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        allow_private_fetch=True,
    )


def make_app(settings: Settings) -> FastAPI:
    """The real application with its tables created."""
    app = create_app(settings)
    Base.metadata.create_all(app.state.engine)
    return app


@dataclass
class Issued:
    """The ids of the credentials the tests look at."""

    valid: str
    revoked: str
    suspended: str
    expired: str
    chinese: str
    hostile: str


class Issuer:
    """Drives the admin and issuer API as a client would."""

    def __init__(self, client: TestClient, name: dict[str, str] | None = None) -> None:
        self.client = client
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        issuer = self._ok(
            client.post(
                "/api/v1/issuers",
                json={
                    "name": name or {"en": "Example University", "zh-CN": "示例大学"},
                    "url": "https://university.example",
                    "suspensionEnabled": True,  # the pages show a suspended credential
                },
                headers=admin,
            )
        )
        key = self._ok(client.post(f"/api/v1/issuers/{issuer['id']}/api-keys", headers=admin))
        self.headers = {"Authorization": f"Bearer {key['token']}"}

    @staticmethod
    def _ok(response: Any) -> dict[str, Any]:
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    def achievement(self, name: str, **extra: Any) -> str:
        body = {
            "name": name,
            "description": extra.pop("description", f"Awarded for completing {name}."),
            "criteria": extra.pop("criteria", {"narrative": "Pass the final assessment."}),
            **extra,
        }
        return str(
            self._ok(self.client.post("/api/v1/achievements", json=body, headers=self.headers))[
                "id"
            ]
        )

    def issue(self, achievement_id: str, name: str | None = "Ada Lovelace", **extra: Any) -> str:
        body = {
            "achievementId": achievement_id,
            "recipient": {"email": "ada@example.org", **({"name": name} if name else {})},
            **extra,
        }
        created = self._ok(self.client.post("/api/v1/credentials", json=body, headers=self.headers))
        return str(created["id"])

    def change(self, credential_id: str, action: str) -> None:
        self._ok(
            self.client.post(
                f"/api/v1/credentials/{credential_id}/{action}", json={}, headers=self.headers
            )
        )


@contextmanager
def fresh_issuer(data_dir: Path) -> Iterator[Issuer]:
    """An issuer on its own application and SQLite database in ``data_dir`` (a test that
    counts statements or fills per-worker memory must not share them)."""
    app = make_app(make_settings(data_dir, TEST_BASE))
    client = TestClient(app, base_url=TEST_BASE)
    try:
        yield Issuer(client)
    finally:
        client.close()
        app.state.engine.dispose()


def issue_fixtures(client: TestClient) -> Issued:
    """A valid, revoked, suspended, expired, Chinese and hostile-text credential."""
    issuer = Issuer(client)
    python = issuer.achievement(
        "Data Analysis with Python",
        description="Cleaning, exploring and **visualising** data with pandas.",
        criteria={"narrative": "1. Complete six labs\n2. Pass the final project with 70% or more"},
        achievementType="Certificate",
        resultDescription=[
            {
                "id": "urn:uuid:6a2c7a8e-0000-4000-8000-000000000001",
                "name": "Final grade",
                "resultType": "LetterGrade",
            }
        ],
    )
    now = datetime.now(UTC)
    valid = issuer.issue(
        python,
        results=[
            {"resultDescription": "urn:uuid:6a2c7a8e-0000-4000-8000-000000000001", "value": "A"}
        ],
        evidence=[
            {
                "id": "https://portfolio.example/ada/project",
                "name": "Final project",
                "narrative": "A study of bike-share data.",
            }
        ],
        validUntil=(now + timedelta(days=730)).isoformat(),
    )
    revoked = issuer.issue(python, name="Grace Hopper")
    issuer.change(revoked, "revoke")
    suspended = issuer.issue(python, name="Alan Turing")
    issuer.change(suspended, "suspend")
    expired = issuer.issue(
        python,
        name="Katherine Johnson",
        validFrom=(now - timedelta(days=800)).isoformat(),
        validUntil=(now - timedelta(days=30)).isoformat(),
    )
    chinese = issuer.issue(
        issuer.achievement(
            "数据分析基础", description="使用 Python 进行数据清洗与可视化。", inLanguage="zh-CN"
        ),
        name="张伟",
    )
    hostile = issuer.issue(
        issuer.achievement(
            '<script>alert("name")</script>',
            description="<img src=x onerror=alert(1)> [click](javascript:alert(2))",
        ),
        name='<b onmouseover="alert(3)">Mallory</b>',
    )
    return Issued(valid, revoked, suspended, expired, chinese, hostile)


MODULES = (
    ("Computer-Assisted Translation", "计算机辅助翻译"),
    ("Terminology Management", "术语管理"),
    ("Localisation Project", "本地化项目实践"),
)
LEARNER = "li.na@example.org"


@dataclass
class ProgramData:
    """A bilingual program (2 of 3 modules) and a learner who earned two modules (awarded)."""

    program_id: str
    token: str
    learner: str
    module_en: str
    module_zh: str
    module_names: tuple[tuple[str, str], ...] = MODULES


def bilingual_achievement(issuer: Issuer, en: str, zh: str, **extra: Any) -> tuple[str, str]:
    """An achievement in en and in zh-CN, each ``related`` to the other; returns both lineages."""
    made: dict[str, dict[str, Any]] = {}
    for language, name in (("en", en), ("zh-CN", zh)):
        body = {
            "name": name,
            "description": f"{name}.",
            "criteria": {"narrative": "Pass the assessment."},
            "inLanguage": language,
            **extra,
        }
        made[language] = issuer._ok(
            issuer.client.post("/api/v1/achievements", json=body, headers=issuer.headers)
        )
    for language, other in (("en", "zh-CN"), ("zh-CN", "en")):
        related = [{"id": made[other]["url"], "inLanguage": other}]
        issuer._ok(
            issuer.client.patch(
                f"/api/v1/achievements/{made[language]['id']}",
                json={"related": related},
                headers=issuer.headers,
            )
        )
    return str(made["en"]["id"]), str(made["zh-CN"]["id"])


def issue_program(client: TestClient) -> ProgramData:
    """Program "Translation Technology": any 2 of 3 modules; the learner earns modules 1 and 2.

    Module 1 is earned in English, module 2 in Chinese (a language version counts for its
    module), so the program credential is awarded and module 3 is still missing.
    """
    issuer = Issuer(client, {"en": "Northwest Applied University", "zh-CN": "西北应用大学"})
    modules = [
        bilingual_achievement(issuer, en, zh, achievementType="MicroCredential")
        for en, zh in MODULES
    ]
    program = issuer._ok(
        client.post(
            "/api/v1/programs",
            json={
                "name": {"en": "Translation Technology", "zh-CN": "翻译技术"},
                "description": {"en": "A program.", "zh-CN": "项目。"},
                "defaultLanguage": "zh-CN",
                "modules": [zh for _, zh in modules],
                "rule": {"kind": "n_of", "n": 2},
                "achievement": {"achievementType": "Certificate", "criteria": {"narrative": "2."}},
            },
            headers=issuer.headers,
        )
    )
    recipient = {"email": LEARNER, "name": "李娜"}
    issued = []
    for lineage in (modules[0][0], modules[1][1]):
        body = {"achievementId": lineage, "recipient": recipient}
        issued.append(
            issuer._ok(client.post("/api/v1/credentials", json=body, headers=issuer.headers))
        )
    link = issuer._ok(
        client.post("/api/v1/learners/link", json={"email": LEARNER}, headers=issuer.headers)
    )
    return ProgramData(
        program_id=str(program["id"]),
        token=str(link["token"]),
        learner=LEARNER,
        module_en=str(issued[0]["id"]),
        module_zh=str(issued[1]["id"]),
    )


# did:web ids resolve over https (http only for loopback hosts); with an https base URL the
# service answers its own did:web and status-list URLs from the database.
TEST_BASE = "https://testserver"
CHROMIUM = "/usr/bin/chromium"


@dataclass
class Site:
    """An app with issued credentials, and a client on it."""

    app: FastAPI
    client: TestClient
    ids: Issued
    base: str


@dataclass
class LiveSite:
    """The app served by uvicorn on 127.0.0.1."""

    url: str
    base: str
    ids: Issued
    client: TestClient


def chromium_or_skip() -> str:
    """Debian's chromium; its absence skips locally and fails under CI."""
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: CI must install Debian's chromium package")
    pytest.skip(f"{CHROMIUM} is not installed")
    raise AssertionError("unreachable")


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[3] / "test-output" / "screenshots"
"""Where page tests leave their screenshots (to look at; CI keeps the folder)."""


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Debian's chromium under Playwright (skipped locally when absent, failed under CI)."""
    from playwright.sync_api import sync_playwright

    executable = chromium_or_skip()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on ``page`` (id, impact, first nodes)."""
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def free_socket() -> socket.socket:
    """A listening-ready socket on a free loopback port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serving(app: FastAPI, sock: socket.socket) -> Iterator[None]:
    """uvicorn serving ``app`` on ``sock`` in a thread, for as long as the block runs."""
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def screenshot(page: Any, name: str) -> None:
    """A full-page screenshot ``name``.png in :data:`SHOTS`."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


LOGO_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100">'
    b'<rect width="100" height="100" rx="12" fill="#7a1f2b"/>'
    b'<text x="50" y="62" text-anchor="middle" font-size="34" fill="#fff">NU</text></svg>'
)
RUBRIC_ID = "urn:uuid:6a2c7a8e-0000-4000-8000-00000000000a"
SCORE_ID = "urn:uuid:6a2c7a8e-0000-4000-8000-00000000000b"
MENTOR = {"id": "https://industry.example/people/chen-jing", "name": "Chen Jing, Localisation Lead"}


@dataclass
class Showcase:
    """A branded issuer's fully described credential in every state (issue 15's pages)."""

    issuer_id: str
    valid: str
    revoked: str
    suspended: str
    expired: str
    reason: str
    private_reason: str
    headers: dict[str, str]


def issue_showcase(client: TestClient) -> Showcase:
    """A branded bilingual issuer (colours, logo) and a credential that uses every field the
    page shows: type, tags, human code, field of study, credits, a rubric result with its
    level, a score out of a maximum, evidence, an alignment, a mentor as ``source``."""
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    issuer = Issuer.__new__(Issuer)
    issuer.client = client
    made = Issuer._ok(
        client.post(
            "/api/v1/issuers",
            json={
                "name": {"en": "Northern Lakes University", "zh-CN": "北湖大学"},
                "url": "https://lakes.example.edu",
                "suspensionEnabled": True,
                "brandColor": "#7a1f2b",
                "accentColor": "#a8741a",
            },
            headers=admin,
        )
    )
    key = Issuer._ok(client.post(f"/api/v1/issuers/{made['id']}/api-keys", headers=admin))
    issuer.headers = {"Authorization": f"Bearer {key['token']}"}
    Issuer._ok(
        client.put(
            f"/api/v1/issuers/{made['id']}/logo",
            content=LOGO_SVG,
            headers={**issuer.headers, "Content-Type": "image/svg+xml"},
        )
    )
    achievement = issuer.achievement(
        "Machine Translation Post-Editing",
        description="Post-edits machine translation output to publication quality.",
        criteria={"narrative": "Post-edit 5,000 words and pass the rubric-assessed project."},
        achievementType="MicroCredential",
        tags=["post-editing", "localisation"],
        humanCode="ITIC-102",
        fieldOfStudy="Translation Studies",
        creditsAvailable=2,
        alignment=[
            {
                "targetName": "Translation competence",
                "targetUrl": "https://framework.example/translation",
                "targetType": "CFItem",
                "targetFramework": "PACTE",
                "targetCode": "PACTE-TC",
            }
        ],
        resultDescription=[
            {
                "id": RUBRIC_ID,
                "name": "Project rubric",
                "resultType": "RubricCriterionLevel",
                "rubricCriterionLevel": [
                    {
                        "id": f"{RUBRIC_ID}:proficient",
                        "name": "Proficient",
                        "description": "Fluent, accurate output with consistent terminology.",
                    },
                    {
                        "id": f"{RUBRIC_ID}:exemplary",
                        "name": "Exemplary",
                        "description": "Publication-ready output needing no revision.",
                    },
                ],
            },
            {
                "id": SCORE_ID,
                "name": "Final assessment",
                "resultType": "Percent",
                "valueMax": "100",
            },
        ],
    )
    body = {
        "results": [
            {"resultDescription": RUBRIC_ID, "achievedLevel": f"{RUBRIC_ID}:exemplary"},
            {"resultDescription": SCORE_ID, "value": "92"},
        ],
        "evidence": [
            {
                "id": "https://portfolio.example/mei/post-editing",
                "name": "Post-editing portfolio",
                "narrative": "Three client projects, with a reflective report.",
            }
        ],
        "source": MENTOR,
        "creditsEarned": 2,
        "term": "Spring 2026",
    }
    now = datetime.now(UTC)
    valid = issuer.issue(achievement, name="Wang Mei", **body)
    reason = "Issued to the wrong learner by mistake."
    private_reason = "Under review by the academic board."
    revoked = issuer.issue(achievement, name="Zhao Lei", **body)
    Issuer._ok(
        client.post(
            f"/api/v1/credentials/{revoked}/revoke", json={"reason": reason}, headers=issuer.headers
        )
    )
    suspended = issuer.issue(achievement, name="Sun Li", **body)
    Issuer._ok(
        client.post(
            f"/api/v1/credentials/{suspended}/suspend",
            json={"reason": private_reason},
            headers=issuer.headers,
        )
    )
    expired = issuer.issue(
        achievement,
        name="Liu Yang",
        validFrom=(now - timedelta(days=800)).isoformat(),
        validUntil=(now - timedelta(days=30)).isoformat(),
        **body,
    )
    return Showcase(
        str(made["id"]), valid, revoked, suspended, expired, reason, private_reason, issuer.headers
    )
