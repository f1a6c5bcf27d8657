"""Concurrent issuance and status changes on PostgreSQL (real row locks, real unique checks)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from api_support import IssuerHandle, issue, row_counts
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from app.models import StatusAllocation
from app.status import service as status_service
from openbadges.status_list import read_status


@pytest.fixture(autouse=True)
def _postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrency needs PostgreSQL row locks (set BADGES_TEST_DATABASE_URL)")


pytestmark = pytest.mark.postgres


def _parallel(app: FastAPI, count: int, work: Any) -> list[Any]:
    """Run ``work(client, n)`` in ``count`` threads, each with its own client."""

    def run(n: int) -> Any:
        return work(TestClient(app, raise_server_exceptions=False), n)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(run, range(count)))


def test_concurrent_issuances_never_share_an_index(
    app: FastAPI,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Warm: later issuances take the one-statement path (random indexes drawn before signing).
    issue(TestClient(app), issuer, achievement["id"])
    # Forced collisions: every draw repeats thrice, so the unique-constraint retry path runs.
    indexes = iter([5, 5, 5, 6, 6, 6, 7, 7, 7] * 40)
    monkeypatch.setattr(status_service.secrets, "randbelow", lambda _n: next(indexes, 9))

    def work(client: TestClient, _n: int) -> dict[str, Any]:
        return issue(client, issuer, achievement["id"])

    issued = _parallel(app, 24, work)
    slots = [
        (entry["statusListCredential"], entry["statusListIndex"])
        for item in issued
        for entry in item["credential"]["credentialStatus"]
    ]
    assert len(slots) == len(set(slots)) == 48
    with engine.connect() as connection:
        taken = connection.execute(
            select(func.count())
            .select_from(StatusAllocation)
            .where(StatusAllocation.credential_id.in_([item["id"] for item in issued]))
        ).scalar_one()
    assert taken == 48


def test_concurrent_revocations_in_one_list_all_show(
    app: FastAPI, client: TestClient, issuer: IssuerHandle, achievement: dict[str, Any]
) -> None:
    issued = [issue(client, issuer, achievement["id"]) for _ in range(12)]

    def work(worker: TestClient, n: int) -> int:
        return worker.post(
            f"/api/v1/credentials/{issued[n]['id']}/revoke", headers=issuer.headers
        ).status_code

    assert _parallel(app, len(issued), work) == [200] * len(issued)
    for item in issued:
        entry = item["credential"]["credentialStatus"][0]
        list_credential = client.get(
            entry["statusListCredential"].removeprefix("https://badges.test")
        ).json()
        assert read_status(list_credential, entry) == 1


def test_concurrent_retries_with_one_idempotency_key_make_one_credential(
    app: FastAPI, issuer: IssuerHandle, achievement: dict[str, Any], engine: Engine
) -> None:
    issue(TestClient(app), issuer, achievement["id"])  # warm: the one-statement path answers
    before = row_counts(engine)
    body = {"achievementId": achievement["id"], "recipient": {"email": "same@example.org"}}

    def work(client: TestClient, _n: int) -> tuple[int, str]:
        response = client.post(
            "/api/v1/credentials", json=body, headers={**issuer.headers, "Idempotency-Key": "k-1"}
        )
        return response.status_code, response.json()["id"]

    results = _parallel(app, 8, work)
    assert {code for code, _ in results} == {201}
    assert len({ident for _, ident in results}) == 1
    assert row_counts(engine)["credentials"] == before["credentials"] + 1


def test_an_edit_racing_the_first_issuance_waits_and_makes_a_new_version(
    app: FastAPI,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading
    import uuid

    from app.achievements import service as achievements
    from app.achievements.schemas import AchievementUpdate
    from app.core.security import IssuerPrincipal
    from app.credentials import service as credentials
    from app.credentials.schemas import CredentialIssue
    from app.models import Achievement, Credential

    issuer_id, lineage = uuid.UUID(issuer.id), uuid.UUID(achievement["id"])
    edited: dict[str, int] = {}

    def edit() -> None:
        with app.state.sessionmaker() as session:
            row = achievements.update_achievement(
                session, issuer_id, lineage, AchievementUpdate(name="Renamed"), actor="test"
            )
            edited["version"] = row.version

    editor = threading.Thread(target=edit)
    waited: list[bool] = []
    results = credentials._results

    def edit_between_read_and_write(*args: Any) -> Any:
        # The issuance has read version 1 (never issued, so still editable in place) and has
        # written nothing yet: the edit starts now, and must wait for the issuance.
        editor.start()
        editor.join(0.5)
        waited.append(editor.is_alive())
        return results(*args)

    monkeypatch.setattr(credentials, "_results", edit_between_read_and_write)
    principal = IssuerPrincipal(issuer_id, uuid.uuid4(), "test")
    data = CredentialIssue.model_validate(
        {"achievementId": achievement["id"], "recipient": {"email": "race@example.org"}}
    )
    with app.state.sessionmaker() as session:
        outcome = credentials.issue_credential(session, app.state.context, principal, data)
    editor.join(10)
    assert waited == [True]
    assert edited == {"version": 2}  # it found the credential and made a new version
    with engine.connect() as connection:
        issued_from = connection.execute(
            select(Achievement.name, Achievement.version)
            .join(Credential, Credential.achievement_id == Achievement.id)
            .where(Credential.id == outcome.credential.id)
        ).one()
    assert tuple(issued_from) == (achievement["name"], 1)  # version 1 says what was signed
