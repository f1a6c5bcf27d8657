"""Outside development, made-up secrets are refused by name, with the way to make a good one.

Issue 9, item 4: ``changeme-changeme-changeme`` and an all-zero KEK used to be accepted.
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest

from app.core.config import KEK_HINT, TOKEN_HINT, InsecureSettingsError, Settings, ensure_secrets
from app.core.secret_strength import MIN_KEK_BITS, MIN_TOKEN_BITS, shannon_bits, weakness


def _kek(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def _production(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "admin_token": secrets.token_urlsafe(32),
        "key_encryption_key": _kek(secrets.token_bytes(32)),
        **overrides,
    }
    return Settings(
        environment="production",
        data_dir=tmp_path,
        base_url="https://badges.example.edu",
        _env_file=None,  # type: ignore[call-arg]
        **values,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    "token",
    [
        "changeme-changeme-changeme",
        "a" * 32,
        "Password123Password123Password123",
        "abababababababababababababababab",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",  # no period, but 2 distinct characters
        "cli-admin-" + "z" * 24,  # no period, 9 distinct, ~59 bits
        # a pattern with a character added or changed is still a pattern (they passed)
        "changeme-changeme-changeme!",
        "Xchangeme-changeme-changeme-changeme",
        "changemechangemechangemechangeme1",
        "changeme-chanGeme-changeme-changeme",
        # runs of consecutive characters have many distinct symbols but no randomness
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEF",
        "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQ",
    ],
)
def test_made_up_admin_tokens_are_refused(tmp_path: Path, token: str) -> None:
    with pytest.raises(InsecureSettingsError) as raised:
        ensure_secrets(_production(tmp_path, admin_token=token))
    message = str(raised.value)
    assert "BADGES_ADMIN_TOKEN" in message
    assert TOKEN_HINT in message
    assert token not in message  # the secret itself is never echoed


@pytest.mark.parametrize(
    "kek",
    [
        bytes(32),  # all zero
        b"\xff" * 32,
        b"\x01\x02" * 16,
        bytes(range(16)) * 2,  # a 16-byte pattern twice
        b"\x00" * 31 + b"\x01",  # 2 distinct bytes
        bytes(range(32)),  # consecutive bytes (passed: 32 distinct, 160 "bits")
        bytes(range(31, -1, -1)),
        bytes(range(0, 64, 2)),
        bytes(range(31)) + b"x",
        b"secret-key-secret-key-secret-key",  # 3 repeats and a bit (passed)
    ],
)
@pytest.mark.parametrize("encoding", ["base64url", "hex"])
def test_patterned_keks_are_refused(tmp_path: Path, kek: bytes, encoding: str) -> None:
    value = _kek(kek) if encoding == "base64url" else kek.hex()
    with pytest.raises(InsecureSettingsError) as raised:
        ensure_secrets(_production(tmp_path, key_encryption_key=value))
    assert "BADGES_KEY_ENCRYPTION_KEY" in str(raised.value)
    assert KEK_HINT in str(raised.value)


def test_a_patterned_kek_file_is_named(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    keys_dir.mkdir()
    (keys_dir / "key-encryption-key").write_text(bytes(32).hex())
    settings = _production(tmp_path, key_encryption_key=None, keys_dir=keys_dir)
    with pytest.raises(InsecureSettingsError, match="BADGES_KEYS_DIR/key-encryption-key"):
        ensure_secrets(settings)


def test_generated_secrets_always_pass(tmp_path: Path) -> None:
    """The hints' generators (and ``openssl rand -hex``) never trip the rules."""
    for _ in range(500):
        assert weakness(secrets.token_urlsafe(32), min_bits=MIN_TOKEN_BITS) is None
        assert weakness(secrets.token_urlsafe(18), min_bits=MIN_TOKEN_BITS) is None  # 24 chars
        assert weakness(secrets.token_hex(32), min_bits=MIN_TOKEN_BITS) is None
        assert weakness(secrets.token_bytes(32), min_bits=MIN_KEK_BITS, unit="byte") is None
    ready, generated = ensure_secrets(_production(tmp_path))
    assert generated == []
    assert len(ready.kek_bytes()) == 32


def test_development_keeps_accepting_simple_secrets(tmp_path: Path) -> None:
    settings = Settings(
        environment="development",
        data_dir=tmp_path,
        admin_token="changeme-changeme-changeme",
        key_encryption_key=_kek(bytes(32)),
        _env_file=None,  # type: ignore[call-arg]
    )
    ready, _ = ensure_secrets(settings)
    assert ready.admin_token_value() == "changeme-changeme-changeme"


def test_shannon_estimate() -> None:
    assert shannon_bits("aaaa") == 0
    assert shannon_bits("abcd") == pytest.approx(8.0)  # 4 symbols × 2 bits
    assert shannon_bits("changeme-changeme-changeme") < MIN_TOKEN_BITS


def test_a_near_pattern_is_not_a_false_alarm_on_short_random_values() -> None:
    """The tolerant rules look at whole values: random ones of any generator length pass."""
    for _ in range(2000):
        for size in (12, 16, 24):
            assert weakness(secrets.token_urlsafe(size), min_bits=0) is None
        assert weakness(secrets.token_hex(16), min_bits=0) is None
        assert weakness(secrets.token_bytes(16), min_bits=0, unit="byte") is None


def test_a_long_random_secret_passes_and_a_long_pattern_does_not() -> None:
    """Only the first symbols are searched for a pattern; that must not flag a long value."""
    assert weakness(secrets.token_urlsafe(3000), min_bits=MIN_TOKEN_BITS) is None
    assert weakness("changeme-" * 500, min_bits=MIN_TOKEN_BITS) is not None
