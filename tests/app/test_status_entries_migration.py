"""Migration 0005 on a database with data: credentials issued before keep working as issued,
lists that hold random allocations are closed (the permutation would meet their indexes)."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from api_support import issue, make_achievement, make_issuer, status_entries
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.core.config import Settings
from app.core.migrations import downgrade, upgrade
from app.main import create_app

ADMIN = "migration-admin-" + "m" * 24


def _settings(url: str, data_dir: Path) -> Settings:
    return Settings(
        environment="development",
        data_dir=data_dir,
        database_url=url,
        base_url="https://badges.test",
        admin_token=ADMIN,
        key_encryption_key=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    )


def _lists(url: str) -> dict[str, tuple[bool, Any]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, is_full, permutation_key FROM status_lists")
            ).all()
    finally:
        engine.dispose()
    return {str(row[0]).replace("-", ""): (bool(row[1]), row[2]) for row in rows}


def test_upgrading_closes_used_lists_and_old_credentials_keep_working(
    tmp_path: Path, database_url_factory: Callable[[Path, str], str]
) -> None:
    url = database_url_factory(tmp_path, "_status_entries")
    upgrade(url)
    settings = _settings(url, tmp_path)
    admin = {"Authorization": f"Bearer {ADMIN}"}
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        used = make_issuer(client, admin, suspensionEnabled=True)
        make_issuer(client, admin)  # its list stays empty
        old = issue(client, used, make_achievement(client, used)["id"])
    app.state.engine.dispose()
    if app.state.autocommit_engine is not None:
        app.state.autocommit_engine.dispose()

    downgrade(url, "0004_audit_append_only")  # the schema before this round, data kept
    upgrade(url)

    used_lists = {
        e["statusListCredential"].rsplit("/", 1)[1].replace("-", "")
        for e in status_entries(old["credential"])
    }
    lists = _lists(url)
    assert all(key for _, key in lists.values())
    assert len({key for _, key in lists.values()}) == len(lists)  # a key of its own each
    assert {list_id for list_id, (full, _) in lists.items() if full} == used_lists

    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        new = issue(client, used, old["achievementId"])
        new_lists = {e["statusListCredential"] for e in status_entries(new["credential"])}
        assert not any(u.rsplit("/", 1)[1].replace("-", "") in used_lists for u in new_lists)
        path = f"/api/v1/credentials/{old['id']}"
        assert client.post(f"{path}/suspend", headers=used.headers).status_code == 200
        assert client.post(f"{path}/revoke", headers=used.headers).status_code == 200
        report = client.post("/api/v1/verify", json=old["credential"]).json()
        checks = {c["id"]: c["status"] for c in report["checks"]}
        assert (checks["revocation"], checks["suspension"]) == ("invalid", "invalid")
    app.state.engine.dispose()
    if app.state.autocommit_engine is not None:
        app.state.autocommit_engine.dispose()
