"""Secrets: key custody, settings that refuse unsafe defaults, nothing secret in logs or responses."""

from __future__ import annotations

import base64
import logging
import secrets
import uuid
from pathlib import Path
from typing import Any

import pytest
from api_support import IssuerHandle, issue
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from app.core.config import InsecureSettingsError, Settings, ensure_secrets
from app.core.keystore import Keystore, KeystoreError
from app.core.logging import JsonFormatter
from app.models import SigningKey
from openbadges.keys import KeyType
from openbadges.keys import SigningKey as LibSigningKey


def test_keystore_round_trip_and_binding() -> None:
    store = Keystore(secrets.token_bytes(32))
    key = LibSigningKey.generate(KeyType.ED25519)
    row_id = uuid.uuid4()
    sealed = store.seal(key, row_id)
    assert b"PRIVATE KEY" not in sealed.blob
    opened = Keystore(secrets.token_bytes(32))
    with pytest.raises(KeystoreError):
        opened.open(sealed.blob, row_id, opened.kek_id)  # another KEK
    with pytest.raises(KeystoreError):
        store.open(sealed.blob, uuid.uuid4(), store.kek_id)  # blob moved to another row
    assert store.open(sealed.blob, row_id, store.kek_id).public_key == key.public_key


def test_private_keys_are_sealed_in_the_database(issuer: IssuerHandle, engine: Engine) -> None:
    with engine.connect() as connection:
        rows = connection.execute(
            select(SigningKey.sealed_private_key, SigningKey.public_jwk).where(
                SigningKey.issuer_id == uuid.UUID(issuer.id)
            )
        ).all()
    assert len(rows) == 2
    for blob, jwk in rows:
        assert b"PRIVATE KEY" not in bytes(blob)
        assert "d" not in jwk  # no private JWK member


def test_no_secret_in_logs_or_responses(
    client: TestClient,
    admin_headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    achievement: dict[str, Any],
    issuer: IssuerHandle,
) -> None:
    caplog.set_level(logging.DEBUG)
    created_key = client.post(f"/api/v1/issuers/{issuer.id}/api-keys", headers=admin_headers).json()
    token = created_key["token"]
    issue(client, issuer, achievement["id"], proof="both")
    client.post("/api/v1/keys/rotate", headers={"Authorization": f"Bearer {token}"})
    client.get("/api/v1/issuers", headers={"Authorization": "Bearer wrong"})
    listed = client.get(f"/api/v1/issuers/{issuer.id}/api-keys", headers=admin_headers).text
    assert token not in listed
    assert issuer.token not in listed
    formatter = JsonFormatter()
    captured = "\n".join(formatter.format(record) for record in caplog.records)
    assert '"message": "credential issued"' in captured  # the logs do carry the events
    for secret in (token, issuer.token, admin_headers["Authorization"].split()[1]):
        assert secret not in captured
    assert "PRIVATE KEY" not in captured


def test_json_log_lines() -> None:
    record = logging.LogRecord("app.x", logging.INFO, __file__, 1, "issued %s", ("c-1",), None)
    record.credential_id = "c-1"
    line = JsonFormatter().format(record)
    assert '"message": "issued c-1"' in line
    assert '"credential_id": "c-1"' in line


def test_development_generates_and_keeps_secrets(tmp_path: Path) -> None:
    first, generated = ensure_secrets(Settings(data_dir=tmp_path, _env_file=None))  # type: ignore[call-arg]
    assert set(generated) == {"BADGES_ADMIN_TOKEN", "BADGES_KEY_ENCRYPTION_KEY"}
    again, generated_again = ensure_secrets(Settings(data_dir=tmp_path, _env_file=None))  # type: ignore[call-arg]
    assert generated_again == []
    assert again.admin_token_value() == first.admin_token_value()
    assert again.kek_bytes() == first.kek_bytes()
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({}, "BADGES_ADMIN_TOKEN"),
        ({"admin_token": "short"}, "BADGES_ADMIN_TOKEN"),
        ({"admin_token": "a" * 32}, "BADGES_KEY_ENCRYPTION_KEY"),
        ({"admin_token": "a" * 32, "key_encryption_key": "too-short"}, "key-encryption key"),
    ],
)
def test_production_refuses_missing_secrets(
    tmp_path: Path, overrides: dict[str, str], variable: str
) -> None:
    settings = Settings(
        environment="production",
        data_dir=tmp_path,
        base_url="https://badges.example.edu",
        _env_file=None,  # type: ignore[call-arg]
        **overrides,
    )
    with pytest.raises(InsecureSettingsError, match=variable):
        ensure_secrets(settings)


def test_production_accepts_a_kek_file(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir()
    (keys_dir / "key-encryption-key").write_text(
        base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    )
    settings = Settings(
        environment="production",
        data_dir=tmp_path,
        base_url="https://badges.example.edu",
        admin_token=secrets.token_urlsafe(32),
        keys_dir=keys_dir,
        _env_file=None,  # type: ignore[call-arg]
    )
    ready, generated = ensure_secrets(settings)
    assert generated == []
    assert len(ready.kek_bytes()) == 32
