"""Database, app and factory fixtures shared by the programs and endorsements tests.

SQLite by default; PostgreSQL when ``BADGES_TEST_DATABASE_URL`` is set. Alembic migrates once
per session; each test runs in an outer transaction that is rolled back, with service commits
turned into savepoints (SQLAlchemy's "join a session into an external transaction" recipe).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.achievements import service as achievements
from app.achievements.schemas import AchievementCreate
from app.api_keys import service as api_keys
from app.api_keys.schemas import ApiKeyCreate
from app.core.config import Settings
from app.core.context import AppContext
from app.core.db import get_session, make_engine
from app.core.security import IssuerPrincipal
from app.credentials import issuing as credentials
from app.credentials.schemas import CredentialIssue
from app.issuers import service as issuers
from app.issuers.schemas import IssuerCreate
from app.main import create_app
from app.models import Credential, Issuer

ROOT = Path(__file__).resolve().parents[3]
BASE_URL = "https://badges.example.edu"


@pytest.fixture(scope="session")
def settings(
    tmp_path_factory: pytest.TempPathFactory, database_url_factory: Callable[[Path, str], str]
) -> Settings:
    """A database of these tests' own: a fresh SQLite file, or a freshly created PostgreSQL
    database with a unique name ending in ``_programs`` (dropped when the session ends)."""
    tmp = tmp_path_factory.mktemp("programs")
    return Settings(
        database_url=database_url_factory(tmp, "_programs"),
        base_url=BASE_URL,
        data_dir=tmp,
        admin_token=SecretStr("test-admin-token-0123456789abcdef"),
        key_encryption_key=SecretStr(base64.urlsafe_b64encode(b"k" * 32).decode()),
        # Each test holds one outer transaction: no relay thread beside it.
        outbox_relay=False,
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def context(settings: Settings) -> AppContext:
    return AppContext.from_settings(settings)


@pytest.fixture
def session(engine: Engine, context: AppContext) -> Iterator[Session]:
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
        info={"context": context},
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def client(settings: Settings, session: Session) -> Iterator[TestClient]:
    app = create_app(settings)

    def _session() -> Iterator[Session]:
        yield session

    app.dependency_overrides[get_session] = _session
    # https like BASE_URL, so the learner page's Secure cookie is sent back
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


def make_issuer(
    session: Session,
    context: AppContext,
    name: str = "Northwest Applied University",
    zh: str = "西北应用大学",
    default_language: str = "zh-CN",
    *,
    suspension: bool = False,
) -> Issuer:
    """An issuer with keys and status lists (``suspension``: its credentials can be suspended)."""
    data = IssuerCreate(
        name={"zh-CN": zh, "en": name},
        default_language=default_language,
        url="https://nwau.example.edu",
        suspension_enabled=suspension,
    )
    return issuers.create_issuer(session, context, data, actor="test")


def api_key(session: Session, issuer: Issuer) -> dict[str, str]:
    """Authorization header for a fresh API key of ``issuer``."""
    created = api_keys.create_api_key(session, issuer.id, ApiKeyCreate(), actor="test")
    return {"Authorization": f"Bearer {created.token}"}


def principal(issuer: Issuer) -> IssuerPrincipal:
    return IssuerPrincipal(issuer_id=issuer.id, api_key_id=uuid.uuid4(), actor="test")


PERCENT_RD = {
    "id": "urn:rd:final",
    "name": "Final assessment",
    "resultType": "Percent",
    "valueMin": "0",
    "valueMax": "100",
    "requiredValue": "60",
}


def make_module(session: Session, issuer: Issuer, name: str, **extra: Any) -> uuid.UUID:
    """A MicroCredential module achievement with a percent assessment; returns its lineage."""
    data = AchievementCreate.model_validate(
        {
            "name": name,
            "description": f"{name} module",
            "achievementType": "MicroCredential",
            "criteria": {"narrative": "Pass the assessment."},
            "resultDescription": [{**PERCENT_RD, "id": f"urn:rd:{uuid.uuid4()}"}],
            **extra,
        }
    )
    return achievements.create_achievement(session, issuer.id, data, actor="test").lineage_id


def final_rd(session: Session, issuer: Issuer, lineage: uuid.UUID) -> str:
    """The id of a module's "Final assessment" result description."""
    row = achievements.get_current(session, issuer.id, lineage)
    return str(row.result_description[0]["id"])


def issue(
    session: Session,
    context: AppContext,
    issuer: Issuer,
    lineage: uuid.UUID,
    email: str | None = "li.wei@example.com",
    score: str | None = None,
    **extra: Any,
) -> Credential:
    """Issue a module credential (through H5's service, so the program hook runs)."""
    payload: dict[str, Any] = {
        "achievementId": str(lineage),
        "recipient": {"email": email},
        **extra,
    }
    if score is not None:
        payload["results"] = [
            {"resultDescription": final_rd(session, issuer, lineage), "value": score}
        ]
    outcome = credentials.issue_credential(
        session, context, principal(issuer), CredentialIssue.model_validate(payload)
    )
    return outcome.credential
