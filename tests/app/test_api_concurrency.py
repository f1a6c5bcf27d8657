"""Concurrent issuance and status changes on PostgreSQL (real row locks, real unique checks)."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from api_support import (
    IssuerHandle,
    issue,
    make_achievement,
    make_issuer,
    row_counts,
    status_entries,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from app.models import StatusAllocation, StatusList
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


def _slots(issued: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [
        (entry["statusListCredential"], entry["statusListIndex"])
        for item in issued
        for entry in status_entries(item["credential"])
    ]


def _allocations(engine: Engine, issued: list[dict[str, Any]]) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count())
            .select_from(StatusAllocation)
            .where(StatusAllocation.credential_id.in_([item["id"] for item in issued]))
        ).scalar_one()


def test_concurrent_issuances_never_share_an_index(
    app: FastAPI,
    client: TestClient,
    admin_headers: dict[str, str],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Both entries, and every issuance reserves its own position (blocks of one): the
    # counter is raced by every thread, on both paths (the first issuance is transactional).
    issuer = make_issuer(client, admin_headers, suspensionEnabled=True)
    achievement = make_achievement(client, issuer)
    monkeypatch.setattr(status_service, "RESERVE_BLOCK", 1)
    status_service.forget_reservations()

    def work(client: TestClient, _n: int) -> dict[str, Any]:
        return issue(client, issuer, achievement["id"])

    issued = _parallel(app, 24, work)
    slots = _slots(issued)
    assert len(slots) == len(set(slots)) == 48
    assert _allocations(engine, issued) == 48
    with engine.connect() as connection:
        counters = connection.execute(
            select(StatusList.purpose, StatusList.id, StatusList.next_position).where(
                StatusList.issuer_id == uuid.UUID(issuer.id)
            )
        ).all()
    # Collision-free: no position was thrown away (a retry would have used one more). A
    # position this worker reserved while another thread took the one it had reserved before
    # is still in the worker's pool (the next issuance takes it): counted as not handed out.
    handed_out = sorted(
        (purpose, position - status_service._reserved_left(list_id))
        for purpose, list_id, position in counters
    )
    assert handed_out == [("revocation", 24), ("suspension", 24)]


def test_concurrent_issuances_across_a_full_list_switch_lists_without_a_repeat(
    app: FastAPI,
    issuer: IssuerHandle,
    achievement: dict[str, Any],
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = issue(TestClient(app), issuer, achievement["id"])
    old_list = status_entries(first["credential"])[0]["statusListCredential"]
    monkeypatch.setattr(status_service, "RESERVE_BLOCK", 4)
    status_service.forget_reservations()
    with engine.begin() as connection:  # ten positions left in the open list
        connection.execute(
            update(StatusList)
            .where(StatusList.id == uuid.UUID(old_list.rsplit("/", 1)[1]))
            .values(next_position=StatusList.size - 10)
        )

    def work(client: TestClient, _n: int) -> dict[str, Any]:
        return issue(client, issuer, achievement["id"])

    issued = _parallel(app, 24, work)
    slots = _slots([first, *issued])
    assert len(slots) == len(set(slots)) == 25
    assert _allocations(engine, issued) == 24
    lists = {list_url for list_url, _ in slots}
    assert old_list in lists
    assert len(lists) >= 2  # it filled up, and issuance moved on
    assert sum(list_url == old_list for list_url, _ in slots) <= 11
    with engine.connect() as connection:
        full = connection.execute(
            select(StatusList.is_full).where(StatusList.id == uuid.UUID(old_list.rsplit("/", 1)[1]))
        ).scalar_one()
    assert full


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
        entry = status_entries(item["credential"])[0]
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
    from app.credentials import issuing as credentials
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
